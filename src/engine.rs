//! The engines a program can run on — ours, wasmer-wasix (modules) and wasmtime
//! (components) — behind one trait, used by `run`, `diff` and the benchmark's CLI runs.

use crate::options::RunOptions;

/// What pins an engine honours, and whether it can trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `--fake-clock NS` pins every clock reading.
    pub fake_clock: bool,
    /// `--seed N` pins random bytes.
    pub seed: bool,
    /// `--trace FILE` writes the import calls.
    pub trace: bool,
}

/// One way to run a program. Its standard streams are the process's own; the result is
/// the exit status (a trap is an error of type [`crate::RunError::Trap`]).
pub trait Engine: Send + Sync {
    /// The name `--engine` / `--engines` take.
    fn name(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    fn run(&self, opts: &RunOptions) -> anyhow::Result<i32>;

    /// The options this engine cannot honour, as a usage error.
    fn check(&self, opts: &RunOptions) -> Result<(), String> {
        let c = self.capabilities();
        let refuse = |flag: &str| {
            Err(format!(
                "{flag} is not supported by the {} engine",
                self.name()
            ))
        };
        if opts.fake_clock.is_some() && !c.fake_clock {
            return refuse("--fake-clock");
        }
        if opts.seed.is_some() && !c.seed {
            return refuse("--seed");
        }
        if opts.trace.is_some() && !c.trace {
            return refuse("--trace");
        }
        Ok(())
    }
}

/// This crate's engine.
pub struct Ours;

/// wasmer-wasix 0.704 (see [`crate::reference`]).
pub struct WasmerWasix;

/// wasmtime 48 for WASI 0.2 components (see [`crate::reference::wasmtime_engine`]).
pub struct Wasmtime;

/// Every engine's name, in the order usage lists them.
pub const NAMES: [&str; 3] = ["ours", "wasmer-wasix", "wasmtime"];

/// The engine called `name`.
pub fn by_name(name: &str) -> Result<Box<dyn Engine>, String> {
    match name {
        "ours" => Ok(Box::new(Ours)),
        "wasmer-wasix" => Ok(Box::new(WasmerWasix)),
        "wasmtime" => Ok(Box::new(Wasmtime)),
        e => Err(format!(
            "unknown engine `{e}` (ours, wasmer-wasix, wasmtime)"
        )),
    }
}

impl Engine for Ours {
    fn name(&self) -> &'static str {
        "ours"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            fake_clock: true,
            seed: true,
            trace: true,
        }
    }
    fn run(&self, opts: &RunOptions) -> anyhow::Result<i32> {
        crate::host::run_cli(opts)
    }
}

const NO_PINS: Capabilities = Capabilities {
    fake_clock: false,
    seed: false,
    trace: false,
};

#[cfg(not(feature = "reference"))]
fn no_reference() -> anyhow::Result<i32> {
    Err(anyhow::anyhow!(
        "this wasix-compat was built without the `reference` feature (the wasmer-wasix and wasmtime engines)"
    ))
}

impl Engine for WasmerWasix {
    fn name(&self) -> &'static str {
        "wasmer-wasix"
    }
    /// Pinned through an instantiation hook that replaces `clock_time_get` and
    /// `random_get` (see [`crate::reference::pinned`]); not traced.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            fake_clock: true,
            seed: true,
            trace: false,
        }
    }
    fn run(&self, opts: &RunOptions) -> anyhow::Result<i32> {
        #[cfg(feature = "reference")]
        return crate::reference::run(opts);
        #[cfg(not(feature = "reference"))]
        {
            let _ = opts;
            no_reference()
        }
    }
}

impl Engine for Wasmtime {
    fn name(&self) -> &'static str {
        "wasmtime"
    }
    fn capabilities(&self) -> Capabilities {
        NO_PINS
    }
    fn run(&self, opts: &RunOptions) -> anyhow::Result<i32> {
        #[cfg(feature = "reference")]
        return crate::reference::wasmtime_engine::run(opts);
        #[cfg(not(feature = "reference"))]
        {
            let _ = opts;
            no_reference()
        }
    }
}
