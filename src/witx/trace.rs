//! `--trace FILE`: one JSON line per import call, written as the calls happen.
//!
//! Built on the import recorder ([`super::record`]): the recorder's forwarding functions
//! are only linked when a record or a trace is asked for, so a run without `--trace` has
//! nothing added on its path. Lines go through a buffered writer (flushed when the run
//! ends, and when the writer fills), so memory stays bounded however long the run.
//!
//! A line (schema in docs/diff.md, "Import traces"):
//! `{"tid":1,"ns":"wasi_snapshot_preview1","name":"path_open","args":[3,1,{"ptr":1024,"len":5,"str":"a.txt"},…],"result":"success","dur_ns":1830}`
//! - `args`: the wasm arguments in order, integers as numbers (i32 as unsigned 32-bit,
//!   i64 as unsigned 64-bit); a (pointer, length) pair that [`shape`] knows is one object:
//!   a path or string `{"ptr","len","str"}` (`str` only when it is valid UTF-8 inside
//!   memory, at most [`MAX_STR`] bytes), a buffer `{"ptr","len"}`, an iovec array
//!   `{"ptr","len","bytes"}` (`bytes`: the sum of its lengths, when readable).
//!   Functions the recorder does not wrap (`proc_exit`, fork, exec, setjmp: see
//!   [`super::record::UNWRAPPED`]) have `args` `null` except `proc_exit` (its code), and
//!   `dur_ns` `null`; so do WASI 0.2 imports (`ns` their interface).
//! - `result`: the errno name (`success`, `badf`…), `none`, `value N`, `exit` or `trap`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use wasmer::{AsStoreRef, Memory, Value};

/// Longest string shown in a trace line.
pub const MAX_STR: u64 = 4096;

/// Where trace lines go.
pub struct Tracer {
    out: Mutex<BufWriter<File>>,
}

impl Tracer {
    pub fn create(path: &Path) -> std::io::Result<Tracer> {
        Ok(Tracer {
            out: Mutex::new(BufWriter::with_capacity(64 << 10, File::create(path)?)),
        })
    }

    /// Writes out what is buffered.
    pub fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|p| p.into_inner()).flush();
    }

    /// One line; `args` and `dur` are JSON already (`null` when unknown).
    pub fn line(&self, tid: u32, ns: &str, name: &str, args: &str, result: &str, dur: &str) {
        let mut l = String::with_capacity(96 + args.len());
        l.push_str("{\"tid\":");
        l.push_str(&tid.to_string());
        l.push_str(",\"ns\":");
        crate::inspect::json::escape(&mut l, ns);
        l.push_str(",\"name\":");
        crate::inspect::json::escape(&mut l, name);
        l.push_str(",\"args\":");
        l.push_str(args);
        l.push_str(",\"result\":");
        crate::inspect::json::escape(&mut l, result);
        l.push_str(",\"dur_ns\":");
        l.push_str(dur);
        l.push_str("}\n");
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(l.as_bytes());
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// How a (pointer, length) argument pair is shown.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Pair {
    /// A path or other string: shown when readable.
    Str,
    /// A buffer: pointer and length only.
    Buf,
    /// An iovec / ciovec array: pointer, count, and the total of the lengths.
    Iovs,
}

/// The (pointer, length) pairs of `function`'s wasm arguments that are decoded: the
/// index of the pointer (its length follows) and how to show it. Every other argument
/// is shown as a number.
pub fn shape(function: &str) -> &'static [(usize, Pair)] {
    use Pair::*;
    match function {
        "path_create_directory" | "path_remove_directory" | "path_unlink_file" => &[(1, Str)],
        "path_filestat_get" | "path_filestat_set_times" | "path_open" | "path_open2" => &[(2, Str)],
        "path_link" => &[(2, Str), (5, Str)],
        "path_readlink" => &[(1, Str), (3, Buf)],
        "path_rename" => &[(1, Str), (4, Str)],
        "path_symlink" => &[(0, Str), (3, Str)],
        "chdir" => &[(0, Str)],
        "fd_write" | "fd_read" | "fd_pwrite" | "fd_pread" | "sock_send" | "sock_recv" => {
            &[(1, Iovs)]
        }
        "random_get" => &[(0, Buf)],
        "fd_readdir" | "fd_prestat_dir_name" => &[(1, Buf)],
        _ => &[],
    }
}

fn num(v: &Value) -> u64 {
    match v {
        Value::I32(n) => *n as u32 as u64,
        Value::I64(n) => *n as u64,
        Value::F32(f) => f.to_bits() as u64,
        Value::F64(f) => f.to_bits(),
        _ => 0,
    }
}

/// `function`'s arguments as a JSON array, strings read from `mem` (`wide`: 64-bit
/// pointers and lengths, so 16-byte iovecs).
pub fn decode_args(
    function: &str,
    args: &[Value],
    mem: Option<(&Memory, &impl AsStoreRef)>,
    wide: bool,
) -> String {
    let pairs = shape(function);
    let mut out = String::from("[");
    let mut i = 0;
    while i < args.len() {
        if i > 0 {
            out.push(',');
        }
        match pairs
            .iter()
            .find(|(at, _)| *at == i)
            .filter(|_| i + 1 < args.len())
        {
            Some((_, kind)) => {
                let (ptr, len) = (num(&args[i]), num(&args[i + 1]));
                out.push_str(&format!("{{\"ptr\":{ptr},\"len\":{len}"));
                match (kind, mem) {
                    (Pair::Str, Some((m, s))) if len <= MAX_STR => {
                        let mut b = vec![0u8; len as usize];
                        if m.view(s).read(ptr, &mut b).is_ok() {
                            if let Ok(t) = std::str::from_utf8(&b) {
                                out.push_str(",\"str\":");
                                crate::inspect::json::escape(&mut out, t);
                            }
                        }
                    }
                    (Pair::Iovs, Some((m, s))) if len <= 1 << 16 => {
                        let stride: u64 = if wide { 16 } else { 8 };
                        let view = m.view(s);
                        let mut total = Some(0u64);
                        for k in 0..len {
                            let at = ptr.wrapping_add(k * stride + stride / 2);
                            let l = match wide {
                                true => {
                                    let mut b = [0u8; 8];
                                    view.read(at, &mut b).ok().map(|_| u64::from_le_bytes(b))
                                }
                                false => {
                                    let mut b = [0u8; 4];
                                    view.read(at, &mut b)
                                        .ok()
                                        .map(|_| u32::from_le_bytes(b) as u64)
                                }
                            };
                            total = total.zip(l).map(|(t, l)| t.saturating_add(l));
                        }
                        if let Some(t) = total {
                            out.push_str(&format!(",\"bytes\":{t}"));
                        }
                    }
                    _ => {}
                }
                out.push('}');
                i += 2;
            }
            None => {
                out.push_str(&num(&args[i]).to_string());
                i += 1;
            }
        }
    }
    out.push(']');
    out
}
