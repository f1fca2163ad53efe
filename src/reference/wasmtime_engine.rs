//! Runs a WASI 0.2 command component under wasmtime 48 + wasmtime-wasi, the reference
//! implementation of WASI 0.2 (`wasix-compat run --engine wasmtime`), so that every
//! component can be compared against our engine.
//!
//! Setup mirrors our engine's, and exits the way the wasmtime CLI does:
//! - `argv[0]` is the component's file name, then the guest arguments; `--env` as given;
//!   stdin / stdout / stderr are the host's (or `--stdin FILE`);
//! - each `--dir` (`--mapdir`, `--volume`) is a preopen named by its guest path, in
//!   command-line order; `--dir-ro` is a read-only one; `--tmpfs` has no wasmtime
//!   equivalent and is refused;
//! - `--net` inherits the host network and allows TCP, UDP and name lookups; without it
//!   creating a socket is refused (`access-denied`, wasmtime-wasi's default);
//! - `run` returning `ok` is status 0, `err` 1; `wasi:cli/exit#exit` 0 / 1,
//!   `exit-with-code` its code; a trap is [`crate::RunError::Trap`] (status 134 in the
//!   CLI, like ours);
//! - compiled components go through the module cache directory (entries of their own).

use anyhow::{anyhow, bail, Context};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::{Command, LinkOptions};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::options::RunOptions;

/// What goes into a cache entry's name besides the component bytes.
const FLAVOUR: &str = concat!(
    "wasmtime 48.0.0 cranelift component; wasix-compat ",
    env!("CARGO_PKG_VERSION")
);

struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// wasmtime's errors as one `a: b: c` line.
fn err(e: wasmtime::Error) -> anyhow::Error {
    anyhow!("{e:#}")
}

pub fn run(opts: &RunOptions) -> anyhow::Result<i32> {
    let path = &opts.module;
    let bytes = std::fs::read(path).with_context(|| format!("module {}", path.display()))?;
    let bytes = match bytes.starts_with(b"\0asm") {
        true => bytes,
        false => wasmer::wat2wasm(&bytes)
            .map_err(|e| anyhow!("{} is neither wasm nor wat: {e}", path.display()))?
            .into_owned(),
    };
    if !crate::p2::is_component(&bytes) {
        bail!(
            "the wasmtime engine runs WASI 0.2 components only; {} is a core module \
             (run it with --engine ours or --engine wasmer-wasix)",
            path.display()
        );
    }
    if let Some(t) = opts.tmpfs.first() {
        bail!(
            "--tmpfs {t} is not supported by the wasmtime engine (it has no in-memory directories)"
        );
    }

    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).map_err(err)?;
    let component = compile(&engine, &bytes, opts)?;

    let mut linker: Linker<Host> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_with_options_sync(&mut linker, &LinkOptions::default())
        .map_err(err)?;

    let program = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main.wasm".into());
    let mut b = WasiCtxBuilder::new();
    // Blocking calls block this (the guest's) thread, as the wasmtime CLI runs them.
    b.allow_blocking_current_thread(true);
    b.arg(&program).args(&opts.args).envs(&opts.envs);
    b.inherit_stdout().inherit_stderr();
    match &opts.stdin {
        Some(p) => {
            let f = std::fs::File::open(p)
                .with_context(|| format!("cannot open --stdin {}", p.display()))?;
            b.stdin(wasmtime_wasi::cli::InputFile::new(f));
        }
        None => {
            b.inherit_stdin();
        }
    }
    for d in &opts.dirs {
        let perms = match d.readonly {
            true => FsPerms::ReadOnly,
            false => FsPerms::ReadWrite,
        };
        b.preopened_dir(&d.host, &d.guest, perms)
            .map_err(|e| anyhow!("--dir {}: {e:#}", d.host.display()))?;
    }
    if opts.net {
        // wasmtime-wasi 48 allows neither protocol nor lookups by default.
        b.inherit_network()
            .allow_tcp(true)
            .allow_udp(true)
            .allow_ip_name_lookup(true);
    }
    let mut store = Store::new(
        &engine,
        Host {
            ctx: b.build(),
            table: ResourceTable::new(),
        },
    );

    let command = Command::instantiate(&mut store, &component, &linker)
        .map_err(|e| anyhow!("wasmtime instantiate: {e:#}"))?;
    let result = command.wasi_cli_run().call_run(&mut store);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    match result {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(*code),
            // A trap: its innermost cause, one line, typed so the CLI exits like ours.
            None => {
                let why = e.chain().last().map(|c| c.to_string()).unwrap_or_default();
                let line = why.lines().next().unwrap_or("trap").to_string();
                Err(crate::RunError::Trap(line).into())
            }
        },
    }
}

/// Compiles `bytes`, through the module cache unless `--no-cache`.
fn compile(engine: &Engine, bytes: &[u8], opts: &RunOptions) -> anyhow::Result<Component> {
    let compile =
        || Component::new(engine, bytes).map_err(|e| anyhow!("cannot compile component: {e:#}"));
    let Some(dir) = opts.load_options().cache else {
        return compile();
    };
    let entry = crate::host::cache::flavoured_path(&dir, FLAVOUR, "cwasm", bytes);
    if let Some(data) = crate::host::cache::read_checked(&entry) {
        // SAFETY: the entry was written below into our own cache directory and passed its
        // checksum; wasmtime checks its header, version and engine settings again.
        if let Ok(c) = unsafe { Component::deserialize(engine, &data) } {
            return Ok(c);
        }
    }
    let c = compile()?;
    if let Ok(data) = c.serialize() {
        crate::host::cache::write_checked(&entry, data);
    }
    Ok(c)
}
