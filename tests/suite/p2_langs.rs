//! Components whose language runtime nobody here wrote: Python through componentize-py
//! (PyPI) and JavaScript through componentize-js (npm, StarlingMonkey), run with
//! `wasix-compat run`. `scripts/setup.sh` installs the pinned versions
//! (`scripts/lang-tools.env`); guests are built at test time and cached under
//! target/guests by the hash of their sources, the project's `wit/` and the tool version.

use crate::common;

use common::{ensure_toolchain, guest_out_dir, repo, show, Engine, Run, TempDir};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Every language component runs on both engines with the same outcome.
const ENGINES: [Engine; 2] = [Engine::Ours, Engine::Wasmtime];

/// `NAME=value` from scripts/lang-tools.env.
fn tool_version(name: &str) -> String {
    let env = std::fs::read_to_string(repo().join("scripts/lang-tools.env")).unwrap();
    env.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{name} missing from scripts/lang-tools.env"))
        .trim()
        .to_string()
}

/// Where setup.sh installs the tools (the same default as the script's).
fn tools_dir() -> PathBuf {
    match std::env::var_os("WASIX_COMPAT_TOOLS") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/wasix-compat/tools")
        }
    }
}

/// Every file under `dir` (sorted paths), for cache keys.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// target/guests/<stem>-<hash of tool version, inputs' names and bytes>.wasm, built by
/// `build(tmp_out)` when missing.
fn cached(stem: &str, version: &str, inputs: &[PathBuf], build: impl FnOnce(&Path)) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    version.hash(&mut h);
    for p in inputs {
        p.strip_prefix(repo()).unwrap_or(p).hash(&mut h);
        std::fs::read(p).unwrap().hash(&mut h);
    }
    let out = guest_out_dir().join(format!("{stem}-{:016x}.wasm", h.finish()));
    if !out.exists() {
        let tmp = out.with_extension(format!("tmp{}", std::process::id()));
        build(&tmp);
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}

fn check(cmd: &mut Command, what: &str) {
    let o = cmd.output().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    assert!(
        o.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// tests/guests/p2/py/app.py as a `wasi:cli/command` of the project's wit/ (built once
/// per test process: tests running in parallel share it).
fn python_app() -> PathBuf {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(build_python_app).clone()
}

fn build_python_app() -> PathBuf {
    ensure_toolchain();
    let v = tool_version("COMPONENTIZE_PY_VERSION");
    let mut inputs = Vec::new();
    files_under(&repo().join("tests/guests/p2/py"), &mut inputs);
    inputs.retain(|p| p.extension().is_some_and(|e| e == "py"));
    files_under(&repo().join("wit"), &mut inputs);
    cached("py-app", &v, &inputs, |out| {
        let tool = tools_dir().join(format!("componentize-py-{v}/bin/componentize-py"));
        check(
            Command::new(tool)
                .arg("-q")
                .arg("-d")
                .arg(repo().join("wit"))
                .args(["-w", "wasi:cli/command", "componentize"])
                .arg("-p")
                .arg(repo().join("tests/guests/p2/py"))
                .arg("app")
                .arg("-o")
                .arg(out),
            "componentize-py",
        );
    })
}

/// tests/guests/p2/js/app.js for the world in app.wit (over the project's wit/ packages),
/// without componentize-js's http and fetch-event features (which import wasi:http).
fn js_app() -> PathBuf {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(build_js_app).clone()
}

fn build_js_app() -> PathBuf {
    ensure_toolchain();
    let v = tool_version("COMPONENTIZE_JS_VERSION");
    let src = repo().join("tests/guests/p2/js");
    let mut inputs = vec![
        src.join("app.js"),
        src.join("app.wit"),
        repo().join("scripts/js-tools/package-lock.json"),
    ];
    files_under(&repo().join("wit"), &mut inputs);
    cached("js-app", &v, &inputs, |out| {
        // The WIT directory componentize-js wants: the app's package at the top, every
        // package it uses under deps/ (wit/'s own files are the wasi:cli package).
        let tmp = TempDir::new("js-wit");
        let deps = tmp.path().join("deps");
        std::fs::create_dir_all(deps.join("cli")).unwrap();
        std::fs::copy(src.join("app.wit"), tmp.path().join("app.wit")).unwrap();
        for e in std::fs::read_dir(repo().join("wit")).unwrap().flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), deps.join("cli").join(e.file_name())).unwrap();
            }
        }
        for e in std::fs::read_dir(repo().join("wit/deps"))
            .unwrap()
            .flatten()
        {
            let to = deps.join(e.file_name());
            std::fs::create_dir_all(&to).unwrap();
            for f in std::fs::read_dir(e.path()).unwrap().flatten() {
                std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
            }
        }
        let tool = tools_dir().join(format!(
            "componentize-js-{v}/node_modules/.bin/componentize-js"
        ));
        check(
            Command::new(tool)
                .arg(src.join("app.js"))
                .arg("--wit")
                .arg(tmp.path())
                .args(["--world-name", "local:app/app"])
                .args(["--disable", "http", "fetch-event"])
                .arg("-o")
                .arg(out),
            "componentize-js",
        );
    })
}

/// Args, an env var, stdin, a file written in a preopen, both clocks, stderr.
#[test]
fn p2_js_command_component() {
    for engine in ENGINES {
        js_command_component_on(engine);
    }
}

fn js_command_component_on(engine: Engine) {
    let dir = TempDir::new("p2-js");
    let out = Run::new(js_app())
        .engine(engine)
        .env("GREETING", "hi")
        .dir(dir.path(), "/out")
        .stdin(b"one\ntwo\n")
        .arg("a")
        .arg("b c")
        .run();
    let file = std::fs::read_to_string(dir.path().join("result.txt")).unwrap_or_default();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str(), file),
        (
            Some(0),
            "args: [\"a\",\"b c\"]\nGREETING: hi\nstdin: \"one\\ntwo\\n\"\nmonotonic: true\n\
             wall clock after 2020: true\npreopen: /out\nsize: 15\n"
                .to_string(),
            "to stderr\n".to_string(),
            "upper: ONE\nTWO\n".to_string()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// `wasi:cli/exit#exit(err)` from JavaScript ends the run with status 1.
#[test]
fn p2_js_exit_err() {
    for engine in ENGINES {
        js_exit_err_on(engine);
    }
}

fn js_exit_err_on(engine: Engine) {
    let dir = TempDir::new("p2-js-exit");
    let out = Run::new(js_app())
        .engine(engine)
        .env("STATUS", "fail")
        .dir(dir.path(), "/out")
        .run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(1),
            "args: []\nGREETING: undefined\nstdin: \"\"\nmonotonic: true\n\
             wall clock after 2020: true\npreopen: /out\nsize: 7\n"
                .to_string(),
            "to stderr\n".to_string()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

/// The Python app: args, env, stdin, `time.sleep` and both clocks, a file in the preopen,
/// a directory listing. `sys.exit(3)` ends the run with status 1: a 0.2 command reports
/// only success or failure through `wasi:cli/exit#exit`. CPython imports every
/// `wasi:sockets` interface; with or without `--trap-unknown-imports` (nothing is left
/// for it to stub) the run is the same.
fn run_python(engine: Engine, flags: &[&str]) {
    let dir = TempDir::new("p2-py");
    let mut run = Run::new(python_app()).engine(engine);
    for f in flags {
        run = run.flag(f);
    }
    let out = run
        .env("GREETING", "hi")
        .env("STATUS", "3")
        .dir(dir.path(), "/out")
        .stdin(b"one\ntwo\n")
        .arg("a")
        .arg("b c")
        .run();
    let file = std::fs::read_to_string(dir.path().join("result.txt")).unwrap_or_default();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str(), file),
        (
            Some(1),
            "args: ['a', 'b c']\nGREETING: hi\nstdin: 'one\\ntwo\\n' 2 lines\n\
             slept at least 20ms: True\nwall clock after 2020: True\ndir: ['result.txt']\n"
                .to_string(),
            "to stderr\n".to_string(),
            "upper: ONE\nTWO\n".to_string()
        ),
        "{engine:?}: {}",
        show(&out)
    );
}

#[test]
fn p2_python_command_component() {
    for engine in ENGINES {
        run_python(engine, &[]);
    }
}

#[test]
fn p2_python_command_component_with_trap_unknown_imports() {
    run_python(Engine::Ours, &["--trap-unknown-imports"]);
}

/// Under `--trap-unknown-imports` a call of an import we do not provide traps, naming it
/// (a component calling `wasi:http/outgoing-handler#handle`).
#[test]
fn p2_trap_unknown_imports_names_the_called_import() {
    let wasm = common::repo().join("tests/guests/p2/uses_http.wat");
    let out = Run::new(wasm).flag("--trap-unknown-imports").run();
    assert_eq!(
        (out.code, out.stdout_str(), out.stderr_str()),
        (
            Some(134),
            String::new(),
            "wasix-compat: guest trapped: wasi:http/outgoing-handler@0.2.0#handle: called, \
             but wasix-compat does not provide it (linked by --trap-unknown-imports)\n"
                .to_string()
        ),
        "{}",
        show(&out)
    );
}
