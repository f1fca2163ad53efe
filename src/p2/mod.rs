//! The WASI 0.2 front end: runs command components (`wasi:cli/run`) on wasmer.
//!
//! `wasmtime-environ` flattens the component into core-module instantiations and
//! trampolines ([`translate`]); [`link`] instantiates the core modules in order on one
//! wasmer `Store`, wiring lowered imports to hand-written host functions with the flat
//! core signatures of the canonical ABI ([`cli`], [`io`], [`clocks`], [`random`],
//! [`filesystem`], [`sockets`]). Their resources live in one handle table per instance
//! ([`resources`]) over the same core objects the witx front end uses (stdout here is the
//! object behind p1's fd 1, a preopen's descriptor the `Dir` behind p1's fd 3).
//!
//! Provided so far: `wasi:cli/{environment,exit,stdin,stdout,stderr,terminal-*}`,
//! `wasi:io/{error,poll,streams}`, `wasi:clocks/{monotonic-clock,wall-clock}`,
//! `wasi:random/{random,insecure,insecure-seed}`, `wasi:filesystem/{types,preopens}`
//! ([`filesystem`]: the process's preopens, the same core `Dir`s p1's fds hold),
//! `wasi:sockets/{network,instance-network,tcp,tcp-create-socket,udp,udp-create-socket,
//! ip-name-lookup}` ([`sockets`]: the process's network under its `--net` policy, the same
//! core sockets p1's socket fds hold), each at any 0.2.x version. A component importing
//! anything else fails to link with an error naming the function (or, built with
//! [`Component::new_trapping_unknown`], links it to a function that traps when called).
//!
//! Core modules may import these functions directly ([`core_imports`]): the raw output of
//! a `wasm32-wasip2` compiler, or a preview1/WASIX module mixing in 0.2 calls; the host
//! wires them beside the witx namespaces (`host::link`), with the module's own memory and
//! `cabi_realloc`, and runs `wasi:cli/run#run` when there is no `_start`.

pub mod abi;
mod cli;
mod clocks;
pub mod core_imports;
pub mod filesystem;
mod io;
pub mod link;
mod random;
pub mod resources;
pub mod sockets;
mod tables;
pub mod translate;

pub use translate::is_component;

use crate::core::cli::Exit;
use crate::core::process::Process;
use std::sync::{Arc, Mutex};
use wasmer::{Engine, Module, Store};

#[derive(Debug, thiserror::Error)]
pub enum P2Error {
    #[error("invalid component: {0}")]
    Invalid(String),
    #[error("unsupported component: it uses {0}")]
    Unsupported(String),
    #[error("the component exports no `wasi:cli/run@0.2.x` `run` function (only command components can be run)")]
    NoRun,
    #[error("unknown import `{interface}#{func}`: wasix-compat provides wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem and wasi:sockets 0.2.x so far")]
    UnknownImport { interface: String, func: String },
    #[error("import `{name}` has core signature {got}, but wasix-compat provides {want}")]
    Signature {
        name: String,
        got: String,
        want: String,
    },
    #[error("cannot compile core module {index} of the component: {why}")]
    Compile { index: usize, why: String },
    #[error("component instantiation failed: {0}")]
    Instantiate(String),
}

impl P2Error {
    pub(crate) fn invalid(e: impl std::fmt::Display) -> P2Error {
        P2Error::Invalid(e.to_string())
    }
}

/// A translated, linked-checked and compiled component.
pub struct Component {
    plan: translate::Plan,
    modules: Vec<Module>,
    /// Imports we do not provide link to trapping functions ([`Component::new_trapping_unknown`]).
    trap_unknown: bool,
}

/// How a run ended, short of an exit status.
#[derive(Debug)]
pub enum RunEnd {
    Status(i32),
    Trap(wasmer::RuntimeError),
}

impl Component {
    /// Translates `bytes` (binary; see [`is_component`]), fails on the first import we do
    /// not provide, and compiles each core module with `compile` (e.g. through a cache).
    pub fn new(
        bytes: &[u8],
        compile: impl Fn(&[u8]) -> Result<Module, String>,
    ) -> Result<Component, P2Error> {
        let plan = translate::translate(bytes)?;
        link::check_imports(&plan)?;
        Self::compiled(plan, compile, false)
    }

    /// Like [`Component::new`], but an import we do not provide links to a function that
    /// traps when called, naming it (`--trap-unknown-imports`): a component whose runtime
    /// imports more than it uses (CPython imports all of wasi:sockets) can run.
    pub fn new_trapping_unknown(
        bytes: &[u8],
        compile: impl Fn(&[u8]) -> Result<Module, String>,
    ) -> Result<Component, P2Error> {
        Self::compiled(translate::translate(bytes)?, compile, true)
    }

    fn compiled(
        plan: translate::Plan,
        compile: impl Fn(&[u8]) -> Result<Module, String>,
        trap_unknown: bool,
    ) -> Result<Component, P2Error> {
        let modules = plan
            .modules
            .iter()
            .enumerate()
            .map(|(index, m)| compile(m).map_err(|why| P2Error::Compile { index, why }))
            .collect::<Result<_, _>>()?;
        Ok(Component {
            plan,
            modules,
            trap_unknown,
        })
    }

    /// Like [`Component::new`], compiling with `engine` directly.
    pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, P2Error> {
        Self::new(bytes, |m| Module::new(engine, m).map_err(|e| e.to_string()))
    }

    /// Instantiates the component in `store` for `process` and calls `wasi:cli/run#run`:
    /// `ok` is status 0, `err` status 1, `wasi:cli/exit` the status it asks for.
    pub fn run(&self, store: &mut Store, process: Arc<Process>) -> Result<RunEnd, P2Error> {
        self.run_recorded(store, process, None)
    }

    /// [`Component::run`], noting each import call in `recorder` when given (see
    /// [`crate::witx::record`]; without one, imports are not wrapped).
    pub fn run_recorded(
        &self,
        store: &mut Store,
        process: Arc<Process>,
        recorder: Option<Arc<crate::witx::record::ImportRecorder>>,
    ) -> Result<RunEnd, P2Error> {
        let st = Arc::new(abi::State {
            process,
            handles: Mutex::new(Default::default()),
        });
        let linked = link::link(
            store,
            &self.plan,
            &self.modules,
            st,
            recorder,
            self.trap_unknown,
        )?;
        let run = linked
            .run
            .typed::<(), i32>(store)
            .map_err(|e| P2Error::Instantiate(format!("`run` has the wrong core type: {e}")))?;
        Ok(match run.call(store) {
            Ok(r @ (0 | 1)) => {
                if let Some(pr) = &linked.run_post_return {
                    if let Err(e) = pr.call(store, &[wasmer::Value::I32(r)]) {
                        return Ok(ended(e));
                    }
                }
                RunEnd::Status(r)
            }
            Ok(d) => RunEnd::Trap(wasmer::RuntimeError::new(format!(
                "wasi:cli/run#run returned invalid result discriminant {d}"
            ))),
            Err(e) => ended(e),
        })
    }
}

fn ended(e: wasmer::RuntimeError) -> RunEnd {
    match e.downcast_ref::<Exit>() {
        Some(Exit(c)) => RunEnd::Status(*c),
        None => RunEnd::Trap(e),
    }
}
