//! The whole test corpus under both engines: every self-contained run the suite makes of a
//! core module, replayed with `wasix-compat diff --engines ours,wasmer-wasix` and the clocks
//! and random pinned (`tests/corpus_diff.rs`). A run whose first divergence is not listed
//! here exactly, or a listed one that no run shows, fails that test.

/// One run (or family of runs) whose replay differs, and why.
pub struct CorpusDifference {
    /// The test that made the run (the end of its path, `module::test`); empty for every
    /// test that runs the program.
    pub test: &'static str,
    /// The guest program's name (its source's file stem).
    pub program: &'static str,
    /// The program's arguments, space-joined, when only that invocation differs.
    pub args: Option<&'static str>,
    /// The exit statuses (ours, wasmer-wasix) when they differ; `signal` for a run ended
    /// by one.
    pub status: Option<(&'static str, &'static str)>,
    /// The first other aspect that differs (`stdout`, `stderr`, `tree`; empty when only
    /// the status does), or `timeout` (the replay did not end in 60 s) or `error` (`diff`
    /// refused the run's flags; `ours` is its message).
    pub what: &'static str,
    /// Where, as `diff` says it (`line 3`, `exit status`, the entry's guest path).
    pub at: &'static str,
    /// Our engine's version, then wasmer-wasix 0.704.2's.
    pub ours: &'static str,
    pub wasmer: &'static str,
    /// Why they differ: the compat-matrix entry that covers it, or the reason.
    pub why: &'static str,
}

pub const CORPUS_DIFFERENCES: &[CorpusDifference] = &[];
