//! `wasi:cli/{environment,exit,stdin,stdout,stderr,terminal-*}` over the process's
//! [`Cli`](crate::core::cli::Cli): the standard streams are the very objects fds 0-2 hold.

use super::abi::{self, Env, HostResult};
use super::link::Mk;
use super::resources::Resource;
use crate::core::cli::Exit;
use wasmer::RuntimeError;

macro_rules! f {
    ($f:expr) => {
        (|s, e| abi::HostFn::make($f, s, e)) as Mk
    };
}

/// The functions this file serves: (interface without version, function, constructor).
pub const FUNCS: &[(&str, &str, Mk)] = &[
    (
        "wasi:cli/environment",
        "get-environment",
        f!(get_environment),
    ),
    ("wasi:cli/environment", "get-arguments", f!(get_arguments)),
    ("wasi:cli/environment", "initial-cwd", f!(initial_cwd)),
    ("wasi:cli/exit", "exit", f!(exit)),
    ("wasi:cli/exit", "exit-with-code", f!(exit_with_code)),
    ("wasi:cli/stdin", "get-stdin", f!(get_stdin)),
    ("wasi:cli/stdout", "get-stdout", f!(get_stdout)),
    ("wasi:cli/stderr", "get-stderr", f!(get_stderr)),
    (
        "wasi:cli/terminal-stdin",
        "get-terminal-stdin",
        f!(terminal_stdin),
    ),
    (
        "wasi:cli/terminal-stdout",
        "get-terminal-stdout",
        f!(terminal_stdout),
    ),
    (
        "wasi:cli/terminal-stderr",
        "get-terminal-stderr",
        f!(terminal_stderr),
    ),
];

/// Writes a `list<string>`-shaped list of `n` string groups: each element is `strs.len()`
/// strings laid out as (ptr, len) pairs. Returns (ptr, len) of the list.
fn string_list(env: &mut Env, items: &[Vec<&str>]) -> HostResult<(u32, u32)> {
    let per = items.first().map_or(1, |v| v.len()) as u64;
    let elem = 8 * per;
    let list = abi::alloc(env, elem * items.len() as u64, 4)?;
    for (i, strs) in items.iter().enumerate() {
        for (j, s) in strs.iter().enumerate() {
            let (p, l) = abi::string(env, s)?;
            let at = list as u64 + i as u64 * elem + j as u64 * 8;
            abi::with_mem(env, |m| {
                m.write_bytes(at, &p.to_le_bytes())?;
                m.write_bytes(at + 4, &l.to_le_bytes())
            })?;
        }
    }
    Ok((list, items.len() as u32))
}

/// `get-environment: func() -> list<tuple<string, string>>`
fn get_environment(mut env: Env, ret: i32) -> HostResult<()> {
    let p = env.data().st.process.clone();
    let items: Vec<Vec<&str>> = p
        .cli
        .env
        .iter()
        .map(|(k, v)| vec![k.as_str(), v.as_str()])
        .collect();
    let (ptr, len) = string_list(&mut env, &items)?;
    abi::ret(&mut env, ret, |a| {
        a.u32(0, ptr);
        a.u32(4, len)
    })
}

/// `get-arguments: func() -> list<string>`
fn get_arguments(mut env: Env, ret: i32) -> HostResult<()> {
    let p = env.data().st.process.clone();
    let items: Vec<Vec<&str>> = p.cli.args.iter().map(|a| vec![a.as_str()]).collect();
    let (ptr, len) = string_list(&mut env, &items)?;
    abi::ret(&mut env, ret, |a| {
        a.u32(0, ptr);
        a.u32(4, len)
    })
}

/// `initial-cwd: func() -> option<string>`
fn initial_cwd(mut env: Env, ret: i32) -> HostResult<()> {
    let p = env.data().st.process.clone();
    match &p.cli.initial_cwd {
        None => abi::ret(&mut env, ret, |a| a.u8(0, 0)),
        Some(d) => {
            let (ptr, len) = abi::string(&mut env, d)?;
            abi::ret(&mut env, ret, |a| {
                a.u8(0, 1);
                a.u32(4, ptr);
                a.u32(8, len)
            })
        }
    }
}

/// `exit: func(status: result)`: ok is status 0, err status 1.
fn exit(env: Env, status: i32) -> HostResult<()> {
    match status {
        0 | 1 => Err(RuntimeError::user(Box::new(Exit(status)))),
        d => Err(abi::trap(&env, format!("invalid result discriminant {d}"))),
    }
}

/// `exit-with-code: func(status-code: u8)` (unstable `cli-exit-with-code`).
fn exit_with_code(_env: Env, code: i32) -> HostResult<()> {
    Err(RuntimeError::user(Box::new(Exit(code & 0xff))))
}

fn get_stdin(env: Env) -> HostResult<i32> {
    let s = env.data().st.process.cli.stdin.clone();
    abi::push(&env, Resource::InputStream(s))
}

fn get_stdout(env: Env) -> HostResult<i32> {
    let s = env.data().st.process.cli.stdout.clone();
    abi::push(&env, Resource::OutputStream(s))
}

fn get_stderr(env: Env) -> HostResult<i32> {
    let s = env.data().st.process.cli.stderr.clone();
    abi::push(&env, Resource::OutputStream(s))
}

/// `option<own<terminal-*>>`: `some` when the stream is a terminal.
fn terminal(mut env: Env, ret: i32, is_tty: bool, r: Resource) -> HostResult<()> {
    if !is_tty {
        return abi::ret(&mut env, ret, |a| a.u8(0, 0));
    }
    let h = abi::push(&env, r)? as u32;
    abi::ret(&mut env, ret, |a| {
        a.u8(0, 1);
        a.u32(4, h)
    })
}

fn terminal_stdin(env: Env, ret: i32) -> HostResult<()> {
    let t = env.data().st.process.cli.stdin.is_terminal();
    terminal(env, ret, t, Resource::TerminalInput)
}

fn terminal_stdout(env: Env, ret: i32) -> HostResult<()> {
    let t = env.data().st.process.cli.stdout.is_terminal();
    terminal(env, ret, t, Resource::TerminalOutput)
}

fn terminal_stderr(env: Env, ret: i32) -> HostResult<()> {
    let t = env.data().st.process.cli.stderr.is_terminal();
    terminal(env, ret, t, Resource::TerminalOutput)
}
