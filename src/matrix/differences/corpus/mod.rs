//! The whole test corpus under both engines: every self-contained run the suite makes of a
//! core module, replayed with `wasix-compat diff --engines ours,wasmer-wasix` and the clocks
//! and random pinned (`tests/corpus_diff.rs`). A run whose first divergence is not listed
//! here exactly, or a listed one that no run shows, fails that test. The entries are kept
//! by area (`preview1.rs`, `wasix.rs`), generated from the replay's report, each with its
//! reason (most point at the compat-matrix entry the suite's own tests keep exact).

mod preview1;
mod wasix;

/// One run (or family of runs) whose replay differs, and why.
#[derive(Clone, Copy)]
pub struct CorpusDifference {
    /// The test that made the run (the end of its path, `module::test`); empty for every
    /// test that runs the program.
    pub test: &'static str,
    /// The guest program's name (its source's file stem).
    pub program: &'static str,
    /// The program's arguments, space-joined, when only that invocation differs.
    pub args: Option<&'static str>,
    /// The run's flags, space-joined, each preopen's host path written `dir-N`, when the
    /// test runs the program with the same arguments in several ways.
    pub flags: Option<&'static str>,
    /// The exit statuses (ours, wasmer-wasix) when they differ; `signal` for a run ended
    /// by one.
    pub status: Option<(&'static str, &'static str)>,
    /// The first other aspect that differs (`stdout`, `stderr`, `tree`; empty when only
    /// the status does); `error` when `diff` refuses the run's flags (`ours` is its
    /// message); `varies` when wasmer-wasix's outcome differs between runs (only our status
    /// is held to the list: `status` gives ours first, or `None` when both exit alike).
    pub what: &'static str,
    /// Where, as `diff` says it (`line 3`, `exit status`, the entry's guest path).
    pub at: &'static str,
    /// Our engine's version, then wasmer-wasix 0.704.2's (as `diff` prints them; a value
    /// ending in `...` is a prefix).
    pub ours: &'static str,
    pub wasmer: &'static str,
    /// Why they differ: the compat-matrix entry that covers it, or the reason.
    pub why: &'static str,
}

#[allow(clippy::too_many_arguments)]
pub(super) const fn cd(
    test: &'static str,
    program: &'static str,
    args: Option<&'static str>,
    flags: Option<&'static str>,
    status: Option<(&'static str, &'static str)>,
    what: &'static str,
    at: &'static str,
    ours: &'static str,
    wasmer: &'static str,
    why: &'static str,
) -> CorpusDifference {
    CorpusDifference {
        test,
        program,
        args,
        flags,
        status,
        what,
        at,
        ours,
        wasmer,
        why,
    }
}

/// Every listed difference, in area order.
pub static CORPUS_DIFFERENCES: std::sync::LazyLock<Vec<CorpusDifference>> =
    std::sync::LazyLock::new(|| [preview1::LIST, wasix::LIST].concat());
