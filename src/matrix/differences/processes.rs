//! WASIX processes (`tests/suite/wasix_procs.rs`).

/// WASIX processes (fork, exec, spawn, join, signals, setjmp): where wasmer-wasix 0.704.2
/// answers differently. `tests/suite/wasix_procs.rs` runs each scenario on both engines and
/// asserts each one's exact outcome; `process_differences_are_listed` there keeps this
/// list equal to the scenarios that differ: (test, check, ours, wasmer-wasix, why).
pub const PROCESS_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "fork_then_wait_for_the_exit_status",
        "getppid() in a forked child",
        "the parent's pid",
        "0",
        "POSIX: a child's parent is the process that forked it",
    ),
    (
        "fork_without_asyncify",
        "fork() in a module not transformed by `wasm-opt --asyncify`",
        "-1, errno ENOTSUP (58); the program goes on",
        "the process exits with status 45",
        "fork cannot work there; the caller gets an errno it can report, not a dead process",
    ),
    (
        "fork_from_a_pthread",
        "fork() from a pthread",
        "-1, errno ENOTSUP",
        "succeeds, but the child's `_exit(3)` is reported as status 0",
        "the host cannot place the asyncify buffer on a pthread's stack (its bounds are libc's); a wrong status is worse than a clear errno",
    ),
    (
        "sigkill_a_child_blocked_in_read",
        "kill(child, SIGKILL) while the child blocks in read()",
        "waitpid: WIFSIGNALED, WTERMSIG 9",
        "hangs (waitpid never returns)",
        "SIGKILL ends the target, whatever it waits in; join reports the signal",
    ),
    (
        "sigterm_a_child_blocked_in_read",
        "kill(child, SIGTERM) while the child blocks in read() (no handler)",
        "the child ends with 127 (wasix-libc's default action prints and aborts)",
        "hangs",
        "the signal interrupts the wait and the libc's default action runs",
    ),
    (
        "sigterm_a_child_blocked_in_sleep",
        "kill(child, SIGTERM) while the child sleeps (no handler)",
        "the child ends with 127",
        "the child ends with 27 (the errno `intr`)",
        "as above; with no inherited disposition wasix-libc would trap on the signal instead (see `thread` above)",
    ),
    (
        "waitpid_wnohang_on_a_running_child",
        "waitpid(child, WNOHANG) while the child runs",
        "0",
        "the child's pid, with status 0",
        "POSIX: WNOHANG returns 0 while no child has changed state",
    ),
    (
        "kill_of_an_unknown_pid",
        "kill(99999, SIGTERM)",
        "ESRCH (71, returned by wasix-libc's kill)",
        "0",
        "POSIX: no such process is ESRCH; 0 and negative pids address process groups",
    ),
    (
        "fork_bomb_stops_at_the_process_limit",
        "fork in a loop with `--max-procs 8`",
        "7 forks, then EAGAIN; every child reaped",
        "no limit (20 of 20 forks); two or more children reading one pipe never see EOF and waitpid hangs",
        "a runtime needs a bound on processes (each is an OS thread, an instance and a memory copy); a pipe reaches EOF once every write end is closed",
    ),
    (
        "posix_spawn_of_a_missing_program",
        "posix_spawn of a path that does not exist",
        "ENOENT (44)",
        "ENOEXEC (45)",
        "POSIX: a missing file is ENOENT; ENOEXEC is for a file that is not a program",
    ),
    (
        "longjmp_to_an_unset_jmp_buf",
        "longjmp to a jmp_buf no setjmp filled",
        "trap `longjmp to a jmp_buf that is not live (stack_restore)`, status 134",
        "exit status 79",
        "there is no frame to return to and no errno to return; a trap names the cause",
    ),
    (
        "setjmp_without_asyncify",
        "setjmp in a module not transformed by asyncify",
        "stack_checkpoint answers notsup; wasix-libc's setjmp then traps (status 134)",
        "the process exits with status 45",
        "the import never traps itself: the errno is the libc's to handle",
    ),
];

/// Process behaviour no scenario above compares, each tested on our engine: (what, ours,
/// wasmer-wasix from its source, why).
pub const PROCESS_NOTES: &[(&str, &str, &str, &str)] = &[
    (
        "SIGCHLD",
        "sent to the parent only with `--sigchld` / `Builder::sigchld(true)` (then a handler counts each child)",
        "never sent",
        "wasix-libc's default action for SIGCHLD calls SIG_IGN as a function and traps, so sending it by default would kill every parent that does not catch it",
    ),
    (
        "exec",
        "replaces the image in place: same pid, parent, children; fds without cloexec; the old instance and memory are freed",
        "runs the new program as a second run with the same pid and waits for it",
        "exit codes are the same; our process table stays exact (getppid, waitpid across exec)",
    ),
    (
        "join of a pid that is not a child",
        "ECHILD",
        "joins any process of the runtime",
        "POSIX waitpid",
    ),
    (
        "proc_parent(other pid)",
        "that process's parent; an unknown pid is srch",
        "the pid itself; badf",
        "the witx: the parent of `pid`",
    ),
    (
        "a child that traps",
        "reported as killed by SIGABRT (WTERMSIG 6), the trap line on its stderr",
        "an exit code",
        "a trapping process dies of a signal on a real system",
    ),
    (
        "proc_snapshot, proc_fork_env",
        "notsup",
        "snapshot: success without a journal; fork_env: a vfork of exception-handling builds",
        "there is no journal; exception-handling builds of wasix-libc are not supported yet (asyncify builds use proc_fork(0))",
    ),
    (
        "fd_renumber in a module importing WASIX",
        "dup2: the source stays open, the target need not be open",
        "the same",
        "wasix-libc's dup2 and dup3 are this import (a preview1-only module keeps the witx's move onto an open fd)",
    ),
    (
        "orphans",
        "reparented to pid 1 for getppid, reaped when they end",
        "not reparented",
        "nobody waits for them",
    ),
];
