//! WASIX exec and spawn: `proc_exec` (2022), `proc_exec2`, `proc_exec3`, `proc_exec4`,
//! `proc_spawn` (legacy), `proc_spawn2`, `proc_spawn3`.
//!
//! The program is found (PATH search where asked), read from the guest's file system and
//! compiled before anything changes, so a failed exec returns its errno to the old image.
//! A `#!` script runs its interpreter (one level). exec then replaces the image in place:
//! the same pid, parent, children and fds (minus cloexec); the import unwinds with
//! [`ExecImage`], which the host's run loop turns into the new instance. spawn starts a
//! new child process after applying its file actions.
//!
//! Argument strings: `proc_exec3`/`proc_spawn2` take `\n`-terminated lists (wasix-libc
//! joins argv that way), `proc_exec4`/`proc_spawn3` arrays of pointers to NUL-terminated
//! strings. A null pointer means absent: the environment is inherited, PATH is the default.

use super::procs::{ExecImage, Launch};
use crate::core::exec::Program;
use crate::core::fds::{duplex_pair, rights, FdEntry, FdKind};
use crate::core::fs::{Descriptor, DescriptorType, OpenFlags};
use crate::core::io::pipe::{EmptyInput, Sink};
use crate::core::process::{Process, FDFLAGSEXT_CLOEXEC, LIBC_DEFAULTS_PRIMER, MAIN_TID};
use crate::core::signal::Disposition;
use crate::guest::MemSize;
use crate::witx::env::{run, Call, WasiEnv};
use crate::witx::errno::Errno;
use crate::witx::WasiCtx;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wasmer::{FunctionEnvMut, Module, RuntimeError};

/// Most bytes all strings of one pointer array (exec4/spawn3) may take together, and most
/// entries (Linux's ARG_MAX is 2 MiB for argv and envp together).
const MAX_STRINGS_BYTES: u64 = 1 << 20;
const MAX_ENTRIES: u64 = 1 << 16;

/// What to run and with what.
struct Request {
    name: String,
    args: Vec<String>,
    /// `None`: the caller's environment.
    env: Option<Vec<(String, String)>>,
    search: bool,
    path: Option<String>,
}

/// A `\n`-separated list: trailing newlines trimmed; with `drop_empty`, empty entries go
/// too (spawn's parsing, as wasmer-wasix's), else they stay (exec's).
fn lines(s: &str, drop_empty: bool) -> Vec<String> {
    let s = s.trim_end_matches(['\n', '\r']);
    if s.is_empty() {
        return Vec::new();
    }
    s.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .filter(|l| !drop_empty || !l.is_empty())
        .collect()
}

/// `K=V` entries; an entry without `=` is `inval`.
fn parse_env(entries: Vec<String>) -> Result<Vec<(String, String)>, Errno> {
    entries
        .into_iter()
        .filter(|e| !e.is_empty())
        .map(|e| match e.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(Errno::INVAL),
        })
        .collect()
}

/// The string at (`p`, `l`); `None` for a null pointer.
fn opt_str(c: &Call<'_>, p: u64, l: u64) -> Result<Option<String>, Errno> {
    if p == 0 {
        return Ok(None);
    }
    Ok(Some(c.mem.str(p, l)?.to_string()))
}

/// `n` pointers (of width M) at `p` to NUL-terminated UTF-8 strings; `None` for a null `p`.
fn c_strings<M: MemSize>(c: &Call<'_>, p: u64, n: u64) -> Result<Option<Vec<String>>, Errno> {
    if p == 0 {
        return Ok(None);
    }
    if n > MAX_ENTRIES {
        return Err(Errno::TOOBIG);
    }
    c.mem.check_range(p, n * M::BYTES as u64)?;
    let mut out = Vec::with_capacity(n as usize);
    let mut budget = MAX_STRINGS_BYTES;
    for i in 0..n {
        let s = c.mem.read_off::<M>(p + i * M::BYTES as u64)?;
        let bytes = c_string(c, s, budget)?;
        budget -= bytes.len() as u64 + 1;
        out.push(String::from_utf8(bytes).map_err(|_| Errno::ILSEQ)?);
    }
    Ok(Some(out))
}

/// The NUL-terminated string at `p`, read a page at a time: `toobig` past `budget` bytes,
/// `memviolation` when memory ends first.
fn c_string(c: &Call<'_>, p: u64, budget: u64) -> Result<Vec<u8>, Errno> {
    const CHUNK: u64 = 4096;
    let mut bytes = Vec::new();
    loop {
        let at = p
            .checked_add(bytes.len() as u64)
            .ok_or(Errno::MEMVIOLATION)?;
        let avail = c.mem.len().saturating_sub(at).min(CHUNK);
        if avail == 0 {
            return Err(Errno::MEMVIOLATION);
        }
        let chunk = c.mem.slice(at, avail)?;
        match chunk.iter().position(|b| *b == 0) {
            Some(end) => {
                bytes.extend_from_slice(&chunk[..end]);
                break;
            }
            None => bytes.extend_from_slice(chunk),
        }
        if bytes.len() as u64 >= budget {
            return Err(Errno::TOOBIG);
        }
    }
    if bytes.len() as u64 >= budget {
        return Err(Errno::TOOBIG);
    }
    Ok(bytes)
}

/// How a call passes its argument and environment lists.
#[derive(Clone, Copy)]
enum Lists {
    /// `\n`-terminated entries in one string (exec3, spawn2); `drop_empty` as [`lines`].
    Lines { drop_empty: bool },
    /// Arrays of pointers to NUL-terminated strings, lengths counting entries (exec4, spawn3).
    Arrays,
}

/// The request of an exec or spawn: `[name, name_len, args, args_len, envs, envs_len]`,
/// the search flag and the PATH string.
fn request<M: MemSize>(
    c: &Call<'_>,
    lists: Lists,
    [n, nl, a, al, e, el]: [u64; 6],
    search: u32,
    (p, pl): (u64, u64),
) -> Result<Request, Errno> {
    if search > 1 {
        return Err(Errno::INVAL);
    }
    let name = c.mem.str(n, nl)?.to_string();
    let (args, env) = match lists {
        Lists::Lines { drop_empty } => (
            opt_str(c, a, al)?.map_or(Vec::new(), |s| lines(&s, drop_empty)),
            opt_str(c, e, el)?
                .map(|s| parse_env(lines(&s, true)))
                .transpose()?,
        ),
        Lists::Arrays => (
            c_strings::<M>(c, a, al)?.unwrap_or_default(),
            c_strings::<M>(c, e, el)?.map(parse_env).transpose()?,
        ),
    };
    Ok(Request {
        name,
        args,
        env,
        search: search == 1,
        path: opt_str(c, p, pl)?,
    })
}

/// Finds, reads and compiles the program; the argv it runs with (a script's
/// interpreter goes first, then its argument, the script's path, and the caller's
/// arguments after argv[0]).
fn load(c: &Call<'_>, launcher: &dyn Launch, r: &Request) -> Result<(Module, Vec<String>), Errno> {
    let p = &c.ctx.process;
    let abs = p.find_program(&r.name, r.search, r.path.as_deref())?;
    let mut args = r.args.clone();
    if args.is_empty() {
        args.push(r.name.clone());
    }
    match p.read_program(&abs)? {
        Program::Wasm(bytes) => Ok((launcher.load(&bytes)?, args)),
        Program::Script { interpreter, arg } => {
            let iabs = p.absolute(&interpreter);
            let Program::Wasm(bytes) = p.read_program(&iabs)? else {
                return Err(Errno::NOEXEC);
            };
            let mut argv = vec![interpreter];
            argv.extend(arg);
            argv.push(abs);
            argv.extend(args.into_iter().skip(1));
            Ok((launcher.load(&bytes)?, argv))
        }
        Program::Other => Err(Errno::NOEXEC),
    }
}

/// The exec itself: the errno when the program cannot run (the caller goes on), else the
/// unwinding that replaces the image.
fn exec(
    env: &mut FunctionEnvMut<WasiEnv>,
    (name, arity): (&'static str, usize),
    args: [u64; 6],
    decode: impl FnOnce(&Call<'_>) -> Result<Request, Errno>,
) -> Result<i32, RuntimeError> {
    let r = exec_inner(env, name, args, decode);
    // The exec imports are not wrapped by the recorder (see record::UNWRAPPED): noted here,
    // as the wrapper would (the noreturn forms exit on failure).
    let noreturn = matches!(name, "proc_exec" | "proc_exec2");
    let result = match &r {
        Ok(e) if *e != 0 && !noreturn => crate::witx::record::errno_result(*e),
        Ok(0) => "success".to_string(),
        _ => "exit".to_string(),
    };
    crate::witx::record::note_unwrapped(env.data(), name, &result, arity);
    r
}

fn exec_inner(
    env: &mut FunctionEnvMut<WasiEnv>,
    name: &'static str,
    args: [u64; 6],
    decode: impl FnOnce(&Call<'_>) -> Result<Request, Errno>,
) -> Result<i32, RuntimeError> {
    let tid = env.data().tid;
    let mut image = None;
    let e = run(env, name, args, |c| {
        let r = decode(c)?;
        // Another thread's instance cannot hand the process a new image.
        if tid != MAIN_TID {
            return Err(Errno::NOTSUP);
        }
        let launcher = c.ctx.launcher.get().ok_or(Errno::NOTSUP)?.clone();
        let (module, argv) = load(c, &*launcher, &r)?;
        let env = r.env.unwrap_or_else(|| c.ctx.cli.env.clone());
        image = Some((module, argv, env));
        Ok(())
    });
    let Some((module, argv, vars)) = image else {
        return Ok(e);
    };
    if super::vfork::active(env) {
        return exec_from_vfork(env, name, args, module, argv, vars);
    }
    let old = env.data().ctx.clone();
    let process = Arc::new(old.process.exec_copy(argv, vars));
    old.family.attach(process.pid, &process);
    let mut ctx = WasiCtx::new(process);
    ctx.recorder = old.recorder.clone();
    Err(RuntimeError::user(Box::new(ExecImage {
        module,
        ctx: Arc::new(ctx),
    })))
}

/// exec in a vfork child: the new image starts as the child process on a thread of its
/// own (as a spawn would: the child's fds without cloexec, its pid), and the instance goes
/// back to the parent. A failure to start is the errno the child gets.
fn exec_from_vfork(
    env: &mut FunctionEnvMut<WasiEnv>,
    name: &'static str,
    args: [u64; 6],
    module: Module,
    argv: Vec<String>,
    vars: Vec<(String, String)>,
) -> Result<i32, RuntimeError> {
    let child = env.data().ctx.clone();
    let process = Arc::new(child.process.exec_copy(argv, vars));
    child.family.attach(process.pid, &process);
    let mut ctx = WasiCtx::new(process);
    ctx.recorder = child.recorder.clone();
    let launcher = child.launcher.get().cloned();
    let started = match launcher {
        Some(l) => l.spawn(Arc::new(ctx), module),
        None => Err(Errno::NOTSUP),
    };
    if let Err(e) = started {
        // The child goes on as it was (attach it again: the new process never ran).
        child.family.attach(child.pid, &child.process);
        return Ok(run(env, name, args, |_| Err(e)));
    }
    super::vfork::give_back(env)?;
    Ok(0)
}

/// `proc_exec3(name, args, envs, search_path, path)`: returns only on failure.
#[allow(clippy::too_many_arguments)]
pub fn proc_exec3<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    args: M::Offset,
    args_len: M::Offset,
    envs: M::Offset,
    envs_len: M::Offset,
    search: u32,
    path: M::Offset,
    path_len: M::Offset,
) -> Result<i32, RuntimeError> {
    let [n, nl, a, al, e, el, p, pl] = [
        name, name_len, args, args_len, envs, envs_len, path, path_len,
    ]
    .map(M::to_u64);
    let lists = Lists::Lines { drop_empty: false };
    exec(
        &mut env,
        ("proc_exec3", 9),
        [n, a, e, search as u64, p, pl],
        |c| request::<M>(c, lists, [n, nl, a, al, e, el], search, (p, pl)),
    )
}

/// `proc_exec4(name, args[], envs[], search_path, path)`: as `proc_exec3`, with arrays of
/// NUL-terminated strings (the lengths count entries).
#[allow(clippy::too_many_arguments)]
pub fn proc_exec4<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    args: M::Offset,
    args_n: M::Offset,
    envs: M::Offset,
    envs_n: M::Offset,
    search: u32,
    path: M::Offset,
    path_len: M::Offset,
) -> Result<i32, RuntimeError> {
    let [n, nl, a, an, e, en, p, pl] =
        [name, name_len, args, args_n, envs, envs_n, path, path_len].map(M::to_u64);
    exec(
        &mut env,
        ("proc_exec4", 9),
        [n, a, e, search as u64, p, pl],
        |c| request::<M>(c, Lists::Arrays, [n, nl, a, an, e, en], search, (p, pl)),
    )
}

/// The noreturn 2022 forms: a failure ends the process with the errno as its status
/// (what wasmer-wasix does; the caller has no way to see an error).
fn exec_or_exit(r: Result<i32, RuntimeError>) -> Result<(), RuntimeError> {
    match r? {
        0 => Ok(()),
        e => Err(RuntimeError::user(Box::new(crate::core::cli::Exit(e)))),
    }
}

/// `proc_exec(name, args)` (2022, noreturn).
pub fn proc_exec<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    args: M::Offset,
    args_len: M::Offset,
) -> Result<(), RuntimeError> {
    let [n, nl, a, al] = [name, name_len, args, args_len].map(M::to_u64);
    let lists = Lists::Lines { drop_empty: false };
    exec_or_exit(exec(
        &mut env,
        ("proc_exec", 4),
        [n, nl, a, al, 0, 0],
        |c| {
            // No environment: the caller's.
            request::<M>(c, lists, [n, nl, a, al, 0, 0], 0, (0, 0))
        },
    ))
}

/// `proc_exec2(name, args, envs)` (noreturn).
pub fn proc_exec2<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    args: M::Offset,
    args_len: M::Offset,
    envs: M::Offset,
    envs_len: M::Offset,
) -> Result<(), RuntimeError> {
    let [n, nl, a, al, e, el] = [name, name_len, args, args_len, envs, envs_len].map(M::to_u64);
    let lists = Lists::Lines { drop_empty: false };
    exec_or_exit(exec(
        &mut env,
        ("proc_exec2", 6),
        [n, nl, a, al, e, el],
        |c| request::<M>(c, lists, [n, nl, a, al, e, el], 0, (0, 0)),
    ))
}

// ---- spawn ----

/// One `proc_spawn_fd_op`, decoded.
enum FdOp {
    Close(u32),
    Dup2 {
        from: u32,
        to: u32,
    },
    Open {
        fd: u32,
        path: String,
        follow: bool,
        oflags: u16,
        base: u64,
        inheriting: u64,
        fdflags: u16,
        cloexec: bool,
    },
    Chdir(String),
    Fchdir(u32),
}

/// `proc_spawn_fd_op`'s size: 56 in wasm32, 64 in wasm64.
fn fd_op_size<M: MemSize>() -> u64 {
    if M::BYTES == 8 {
        64
    } else {
        56
    }
}

fn read_fd_op<M: MemSize>(c: &Call<'_>, at: u64) -> Result<FdOp, Errno> {
    let w = M::BYTES as u64;
    // path and path_len follow src_fd at pointer alignment; the rest after them.
    let path_at = if w == 8 { at + 16 } else { at + 12 };
    let rest = path_at + 2 * w;
    let cmd = c.mem.read::<u8>(at)?;
    let fd = c.mem.read::<u32>(at + 4)?;
    let src = c.mem.read::<u32>(at + 8)?;
    let path = |c: &Call<'_>| -> Result<String, Errno> {
        let p = c.mem.read_off::<M>(path_at)?;
        let l = c.mem.read_off::<M>(path_at + w)?;
        Ok(c.mem.str(p, l)?.to_string())
    };
    Ok(match cmd {
        0 => FdOp::Close(fd),
        1 => FdOp::Dup2 { from: src, to: fd },
        2 => {
            let dirflags = c.mem.read::<u32>(rest)?;
            let oflags = c.mem.read::<u16>(rest + 4)?;
            let (b, i, f, x) = if w == 8 {
                (rest + 8, rest + 16, rest + 24, rest + 26)
            } else {
                (rest + 12, rest + 20, rest + 28, rest + 30)
            };
            FdOp::Open {
                fd,
                path: path(c)?,
                follow: dirflags & 1 != 0,
                oflags,
                base: c.mem.read::<u64>(b)?,
                inheriting: c.mem.read::<u64>(i)?,
                fdflags: c.mem.read::<u16>(f)?,
                cloexec: c.mem.read::<u16>(x)? as u64 & FDFLAGSEXT_CLOEXEC != 0,
            }
        }
        3 => FdOp::Chdir(path(c)?),
        4 => FdOp::Fchdir(fd),
        _ => return Err(Errno::INVAL),
    })
}

/// Applies one file action to the child, in its own fd table and cwd.
fn apply(child: &Process, op: FdOp) -> Result<(), Errno> {
    match op {
        // musl's child ignores close errors: a closed fd is no failure.
        FdOp::Close(fd) => {
            let _ = child.fds.remove(fd);
        }
        FdOp::Dup2 { from, to } => {
            let e = child.fds.get(from).map_err(|_| Errno::BADF)?;
            if from == to {
                // POSIX 2018: dup2 onto itself clears FD_CLOEXEC.
                e.fdflags_ext.store(0, Ordering::Relaxed);
            } else {
                child.fds.insert_at(to, Arc::new(e.duplicate()))?;
            }
        }
        FdOp::Open {
            fd,
            path,
            follow,
            oflags,
            base,
            inheriting,
            fdflags,
            cloexec,
        } => {
            use crate::witx::fd::fdflags as ff;
            if oflags & !0xF != 0 || fdflags & !ff::ALL != 0 {
                return Err(Errno::INVAL);
            }
            let o = OpenFlags {
                create: oflags & 1 != 0,
                directory: oflags & 2 != 0,
                exclusive: oflags & 4 != 0,
                truncate: oflags & 8 != 0,
            };
            let f = crate::core::fs::DescriptorFlags {
                read: base & rights::FD_READ != 0,
                write: !o.directory && (base & rights::FD_WRITE != 0 || fdflags & ff::APPEND != 0),
                append: fdflags & ff::APPEND != 0,
                nonblock: fdflags & ff::NONBLOCK != 0,
                data_sync: fdflags & ff::DSYNC != 0,
                file_sync: fdflags & ff::SYNC != 0,
                read_sync: fdflags & ff::RSYNC != 0,
            };
            let abs = child.absolute(&path);
            let (dir, rest) = child.resolve_abs(&abs)?;
            let rest = if rest.is_empty() { "." } else { rest.as_str() };
            let entry = match dir.open_at(rest, follow, o, f)? {
                Descriptor::File(file) => FdEntry::new(
                    FdKind::File(Arc::new(file)),
                    base & rights::FILE,
                    inheriting,
                ),
                Descriptor::Dir(d) => {
                    FdEntry::new(FdKind::Dir(Arc::new(d)), base & rights::DIR, inheriting)
                }
                Descriptor::Stdio(n) => child.fds.get(n).map_err(|_| Errno::BADF)?.duplicate(),
            };
            entry
                .fdflags
                .store((fdflags & ff::NONBLOCK) as u64, Ordering::Relaxed);
            entry.fdflags_ext.store(
                if cloexec { FDFLAGSEXT_CLOEXEC } else { 0 },
                Ordering::Relaxed,
            );
            child.fds.insert_at(fd, Arc::new(entry))?;
        }
        FdOp::Chdir(path) => chdir(child, &path)?,
        FdOp::Fchdir(fd) => {
            let e = child.fds.get(fd).map_err(|_| Errno::BADF)?;
            if !matches!(e.kind, FdKind::Dir(_)) {
                return Err(Errno::NOTDIR);
            }
            // Only a preopen knows its own path here.
            let path = e.preopen.clone().ok_or(Errno::NOTSUP)?;
            chdir(child, &path)?;
        }
    }
    Ok(())
}

fn chdir(p: &Process, path: &str) -> Result<(), Errno> {
    let abs = p.absolute(path);
    let (dir, rest) = p.resolve_abs(&abs)?;
    let st = if rest.is_empty() {
        dir.stat()?
    } else {
        dir.stat_at(&rest, true)?
    };
    if st.ty() != DescriptorType::Directory {
        return Err(Errno::NOTDIR);
    }
    *p.cwd.lock().unwrap_or_else(|e| e.into_inner()) = abs;
    Ok(())
}

/// `signal_disposition` pairs (sig u8, disp u8: 0 default, 1 ignore); later ones win.
fn read_dispositions(c: &Call<'_>, p: u64, n: u64) -> Result<Vec<(u8, Disposition)>, Errno> {
    if n > 64 {
        return Err(Errno::INVAL);
    }
    let mut out: Vec<(u8, Disposition)> = vec![LIBC_DEFAULTS_PRIMER];
    for i in 0..n {
        let sig = c.mem.read::<u8>(p + 2 * i)?;
        let d = match c.mem.read::<u8>(p + 2 * i + 1)? {
            0 => Disposition::Default,
            1 => Disposition::Ignore,
            _ => return Err(Errno::INVAL),
        };
        if sig == 0 || sig as u32 > crate::witx::proc::WASIX_SIGNALS.last {
            return Err(Errno::INVAL);
        }
        out.retain(|(s, _)| *s != sig);
        out.push((sig, d));
    }
    Ok(out)
}

/// Starts the child: reserves its pid, builds its process with `prepare` (file actions),
/// closes its cloexec fds, hands it to the host. Returns the pid.
fn start(
    c: &Call<'_>,
    module: Module,
    argv: Vec<String>,
    env: Option<Vec<(String, String)>>,
    inherited: Vec<(u8, Disposition)>,
    prepare: impl FnOnce(&Process) -> Result<(), Errno>,
) -> Result<u32, Errno> {
    let launcher = c.ctx.launcher.get().ok_or(Errno::NOTSUP)?.clone();
    let me = &c.ctx.process;
    let pid = me.family.reserve(me.pid)?;
    let env = env.unwrap_or_else(|| me.cli.env.clone());
    let child = Arc::new(me.spawn_copy(pid, argv, env, inherited));
    let started = prepare(&child).and_then(|()| {
        child.close_on_exec();
        me.family.attach(pid, &child);
        let mut ctx = WasiCtx::new(child);
        ctx.recorder = c.ctx.recorder.clone();
        launcher.spawn(Arc::new(ctx), module)
    });
    match started {
        Ok(()) => Ok(pid),
        Err(e) => {
            me.family.release(pid);
            Err(e)
        }
    }
}

/// Spawn with file actions and signal dispositions (spawn2 and spawn3 decode differently).
#[allow(clippy::too_many_arguments)]
fn spawn<M: MemSize>(
    c: &Call<'_>,
    r: Request,
    ops: u64,
    ops_n: u64,
    sigs: u64,
    sigs_n: u64,
    ret: u64,
) -> Result<(), Errno> {
    c.mem.check_range(ret, 4)?;
    if ops_n > MAX_ENTRIES {
        return Err(Errno::INVAL);
    }
    let size = fd_op_size::<M>();
    let actions = (0..ops_n)
        .map(|i| read_fd_op::<M>(c, ops + i * size))
        .collect::<Result<Vec<_>, _>>()?;
    let inherited = read_dispositions(c, sigs, sigs_n)?;
    let launcher = c.ctx.launcher.get().ok_or(Errno::NOTSUP)?.clone();
    let (module, argv) = load(c, &*launcher, &r)?;
    let pid = start(c, module, argv, r.env, inherited, |child| {
        actions.into_iter().try_for_each(|op| apply(child, op))
    })?;
    Ok(c.mem.write::<u32>(ret, pid)?)
}

/// `proc_spawn2(name, args, envs, fd_ops[], signal_dispositions[], search_path, path,
/// pid*)`: posix_spawn. The errno is what posix_spawn returns.
#[allow(clippy::too_many_arguments)]
pub fn proc_spawn2<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    args: M::Offset,
    args_len: M::Offset,
    envs: M::Offset,
    envs_len: M::Offset,
    ops: M::Offset,
    ops_n: M::Offset,
    sigs: M::Offset,
    sigs_n: M::Offset,
    search: u32,
    path: M::Offset,
    path_len: M::Offset,
    ret: M::Offset,
) -> i32 {
    let [n, nl, a, al, e, el, o, on, s, sn, p, pl, r] = [
        name, name_len, args, args_len, envs, envs_len, ops, ops_n, sigs, sigs_n, path, path_len,
        ret,
    ]
    .map(M::to_u64);
    run(&mut env, "proc_spawn2", [n, a, e, o, s, r], |c| {
        let lists = Lists::Lines { drop_empty: true };
        let req = request::<M>(c, lists, [n, nl, a, al, e, el], search, (p, pl))?;
        spawn::<M>(c, req, o, on, s, sn, r)
    })
}

/// `proc_spawn3`: as `proc_spawn2`, with arrays of NUL-terminated strings for args and envs.
#[allow(clippy::too_many_arguments)]
pub fn proc_spawn3<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    args: M::Offset,
    args_n: M::Offset,
    envs: M::Offset,
    envs_n: M::Offset,
    ops: M::Offset,
    ops_n: M::Offset,
    sigs: M::Offset,
    sigs_n: M::Offset,
    search: u32,
    path: M::Offset,
    path_len: M::Offset,
    ret: M::Offset,
) -> i32 {
    let [n, nl, a, an, e, en, o, on, s, sn, p, pl, r] = [
        name, name_len, args, args_n, envs, envs_n, ops, ops_n, sigs, sigs_n, path, path_len, ret,
    ]
    .map(M::to_u64);
    run(&mut env, "proc_spawn3", [n, a, e, o, s, r], |c| {
        let req = request::<M>(c, Lists::Arrays, [n, nl, a, an, e, en], search, (p, pl))?;
        spawn::<M>(c, req, o, on, s, sn, r)
    })
}

/// `stdio_mode`: piped 0, inherit 1, null 2, log 3.
const STDIO_PIPED: u32 = 0;
const STDIO_INHERIT: u32 = 1;
const STDIO_LOG: u32 = 3;

/// The legacy `proc_spawn(name, chroot, args, preopen, stdin, stdout, stderr, working_dir)
/// -> process_handles`: `chroot` and a preopen list are `notsup`; each stdio is inherited,
/// a pipe whose other end the caller gets, or a null stream (`log` too).
#[allow(clippy::too_many_arguments)]
pub fn proc_spawn<M: MemSize>(
    mut env: FunctionEnvMut<WasiEnv>,
    name: M::Offset,
    name_len: M::Offset,
    chroot: u32,
    args: M::Offset,
    args_len: M::Offset,
    preopen: M::Offset,
    preopen_len: M::Offset,
    stdin: u32,
    stdout: u32,
    stderr: u32,
    wd: M::Offset,
    wd_len: M::Offset,
    ret: M::Offset,
) -> i32 {
    let [n, nl, a, al, po, pol, w, wl, r] = [
        name,
        name_len,
        args,
        args_len,
        preopen,
        preopen_len,
        wd,
        wd_len,
        ret,
    ]
    .map(M::to_u64);
    run(
        &mut env,
        "proc_spawn",
        [n, a, stdin as u64, stdout as u64, stderr as u64, r],
        |c| {
            c.mem.check_range(r, 28)?;
            let modes = [stdin, stdout, stderr];
            if chroot > 1 || modes.iter().any(|m| *m > STDIO_LOG) {
                return Err(Errno::INVAL);
            }
            if chroot == 1 || opt_str(c, po, pol)?.is_some_and(|s| !s.is_empty()) {
                return Err(Errno::NOTSUP);
            }
            let req = Request {
                name: c.mem.str(n, nl)?.to_string(),
                args: opt_str(c, a, al)?.map_or(Vec::new(), |s| lines(&s, true)),
                env: None,
                search: false,
                path: None,
            };
            let wd = opt_str(c, w, wl)?.filter(|s| !s.is_empty());
            let launcher = c.ctx.launcher.get().ok_or(Errno::NOTSUP)?.clone();
            let (module, argv) = load(c, &*launcher, &req)?;
            let inherited = c.ctx.signals.inherited().to_vec();
            // The caller's ends of the pipes, inserted only once the child runs.
            let mut ours: [Option<FdKind>; 3] = [None, None, None];
            let pid = start(c, module, argv, None, inherited, |child| {
                if let Some(wd) = &wd {
                    chdir(child, wd)?;
                }
                for (i, mode) in modes.iter().enumerate() {
                    let fd = i as u32;
                    let kind = match *mode {
                        STDIO_INHERIT => continue,
                        STDIO_PIPED => {
                            let (theirs, mine) = duplex_pair(false);
                            ours[i] = Some(mine);
                            theirs
                        }
                        // STDIO_NULL, STDIO_LOG (there is no log to send it to).
                        _ if i == 0 => FdKind::Input(Arc::new(EmptyInput)),
                        _ => FdKind::Output(Arc::new(Sink)),
                    };
                    child
                        .fds
                        .insert_at(fd, Arc::new(FdEntry::new(kind, rights::STREAM, 0)))?;
                }
                Ok(())
            })?;
            c.mem.write::<u32>(r, pid)?;
            for (i, kind) in ours.into_iter().enumerate() {
                let at = r + 4 + 8 * i as u64;
                match kind {
                    Some(k) => {
                        let fd = c
                            .ctx
                            .fds
                            .insert(Arc::new(FdEntry::new(k, rights::STREAM, 0)))?;
                        c.mem.write::<u8>(at, 1)?;
                        c.mem.write::<u32>(at + 4, fd)?;
                    }
                    None => c.mem.write::<u8>(at, 0)?,
                }
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_lists() {
        assert_eq!(lines("sh\n-c\nx\n", false), ["sh", "-c", "x"]);
        assert_eq!(lines("a\n\nb\n", false), ["a", "", "b"]);
        assert_eq!(lines("a\n\nb\n", true), ["a", "b"]);
        assert_eq!(lines("", false), Vec::<String>::new());
        assert_eq!(lines("a\r\n", false), ["a"]);
    }

    #[test]
    fn env_entries_need_an_equals_sign() {
        assert_eq!(
            parse_env(vec!["A=1".into(), "".into(), "B=x=y".into()]),
            Ok(vec![("A".into(), "1".into()), ("B".into(), "x=y".into())])
        );
        assert_eq!(parse_env(vec!["NOPE".into()]), Err(Errno::INVAL));
    }
}
