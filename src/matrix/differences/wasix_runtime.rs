//! WASIX threads, futexes, signals and wasix-libc programs; the libc's own limits; where
//! we follow wasix-libc rather than the witx.

/// Single-threaded WASIX thread / futex / signal imports and wasix-libc programs: where
/// wasmer-wasix 0.704.2 answers differently (`tests/suite/wasix_sync.rs` and
/// `tests/suite/wasix_libc.rs` run each case on both engines and keep this list exact):
/// (case, check, ours, wasmer-wasix, why).
pub const WASIX_RUNTIME_DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "futex",
        "futex_wait / futex_wake on an unaligned word",
        "inval",
        "proceeds (reads the unaligned word)",
        "a futex word is an aligned u32 (as memory.atomic.wait32 requires); wasmer does not check; its bad option tags also mean \"no timeout\" (from its source) where we say inval",
    ),
    (
        "thread",
        "proc_signals_sizes_get / proc_signals_get of a process the host started",
        "1: SIGHUP at its default",
        "0",
        "wasix-libc sets up its default-action handler only inside sigaction(), which its start-up calls once per inherited disposition: with none, a program that never called sigaction traps (null function pointer) on its first signal instead of taking the default action; SIGHUP at default changes nothing else",
    ),
    (
        "signal",
        "thread_signal to a thread that does not exist",
        "srch",
        "success (signal lost)",
        "POSIX pthread_kill answers ESRCH, which `pthread_kill(t, 0)` liveness checks rely on",
    ),
    (
        "sigterm",
        "SIGTERM before any handler is registered",
        "process ends, status 143",
        "ignored",
        "POSIX default action of SIGTERM (and of every signal not ignored by default) is to terminate; wasmer terminates only for INT, QUIT, KILL, ABRT and PIPE",
    ),
    (
        "sigkill-handled",
        "SIGKILL with a handler registered",
        "process ends, status 137, handler not called",
        "handler called (wasix-libc's then aborts, 127)",
        "SIGKILL cannot be caught (POSIX)",
    ),
    (
        "texit",
        "thread_exit(5) from the only thread",
        "process ends with status 5",
        "error `WASI thread exited` (status 1 through our reference runner)",
        "the witx: when the last thread exits, the process exits with its code",
    ),
    (
        "wasix-libc:preopens",
        "preopened directories of a WASIX program",
        "3 `/`, then each mount",
        "3 `/` (virtual), each mount, `/` again",
        "wasmer-wasix's fd 3 cannot look through mounts, so its engine set-up adds a second `/` preopen that wasix-libc uses; fds a program opens are one higher there",
    ),
    (
        "wasix-libc:pipes_events",
        "epoll_wait after the eventfd was reported once and is still readable",
        "eventfd and pipe ready (2)",
        "pipe only (1)",
        "epoll is level-triggered unless EPOLLET: a non-zero eventfd stays readable",
    ),
    (
        "threads:pthread_kill",
        "pthread_kill(worker, SIGUSR1) while the worker sleeps",
        "handler runs on the worker (pthread_self is the target)",
        "handler runs on another thread",
        "POSIX: a signal sent with pthread_kill is delivered to that thread",
    ),
    (
        "threads:sigkill",
        "raise(SIGKILL) while four workers sit in memory.atomic.wait32",
        "process ends at once, status 137",
        "status 27",
        "SIGKILL's status is 128+9; the workers' waits are woken and their atomics closed",
    ),
    (
        "threads:exit",
        "exit(7) from a worker while main blocks in read() on an open, empty stdin",
        "process ends, status 7",
        "hangs until stdin yields data or closes",
        "exit ends every thread; a read blocked in the host is interrupted",
    ),
    (
        "threads:itimer",
        "setitimer 20 ms interval, main sleeping in usleep",
        "SIGALRM handler runs every 20 ms",
        "no tick in 5 s",
        "the interval timer raises SIGALRM to the process; the sleep is interrupted and the handler runs",
    ),
    (
        "threads:limit",
        "pthread_create past `--max-threads 20`",
        "19 created, then EAGAIN",
        "no limit (the limit scenario is not run there: it would create 256 threads)",
        "a runtime needs a bound on OS threads per guest",
    ),
    (
        "threads:atomics",
        "futex_wait woken by memory.atomic.notify; memory.atomic.wait32 woken by futex_wake",
        "both wake (one set of wait queues, the engine's)",
        "neither wakes: the bounded loops run out (exit 100)",
        "the imports and the instructions name the same futex words",
    ),
    (
        "threads:2022",
        "thread_spawn(user_data, stack_base, stack_start, reactor, tid*), thread_local_*",
        "run (entry `_start_thread(lo, hi)`, __stack_pointer = stack_base)",
        "unknown import",
        "binaries of 2022 import them; wasmer-wasix dropped them",
    ),
    (
        "threads:join",
        "thread_join of a tid never given out",
        "srch",
        "success",
        "pthread_join answers ESRCH for a thread that does not exist; an ended thread joins at once on both",
    ),
    (
        "threads:no-shared-memory",
        "thread_spawn_v2 in a module whose memory is not shared",
        "notsup",
        "memviolation",
        "no memory for a second instance to share: threads are not supported for that module",
    ),
    (
        "threads:exported-memory",
        "four wasi-threads adding into a shared memory the module defines and exports",
        "10: every thread adds into main's memory",
        "100: main's count never moves",
        "the defined memory is loaded as an `env.memory` import with its declared limits, so each thread instance gets the process's memory",
    ),
    (
        "threads:oneshot",
        "proc_raise_interval(SIGALRM, 200 ms in ns, repeat = 0) called directly, then sleeping",
        "the handler runs once",
        "no tick in 2.6 s",
        "the witx interval is a timestamp (ns) and repeat false means once; wasmer-wasix reads it as milliseconds (200,000,000 ms) and always repeats",
    ),
    (
        "threads:spin",
        "exit(9) from a worker while main computes in a loop that calls no import",
        "process ends, status 9 (the CLI returns once the end is decided)",
        "hangs",
        "exit ends every thread; a thread that never calls an import cannot unwind, so the runner must not wait for it",
    ),
    (
        "threads:sa_restart",
        "read() on a pipe interrupted by pthread_kill(main, SIGUSR1) with an SA_RESTART handler; a byte written 200 ms later",
        "-1 EINTR after the handler ran",
        "returns the byte; the handler has not run by then",
        "the host cannot see wasix-libc's sigaction flags: a handled signal ends the blocking call with intr after the handler (wasix-libc retries only its futex waits); wasmer-wasix does not interrupt reads (and runs handlers inside poll/futex waits, which go on waiting)",
    ),
    (
        "threads:sleep-signal",
        "thread_signal(worker, SIGUSR1) with a handler while the worker sits in thread_sleep(u64::MAX - 1)",
        "the handler runs on the worker and the sleep returns intr",
        "the handler runs and the sleep goes on (main's join hangs)",
        "a handled signal interrupts a blocking call, as POSIX nanosleep (EINTR)",
    ),
    (
        "threads:signal-other-default",
        "thread_signal(worker, SIGTERM) before any handler was registered (SIGCHLD first)",
        "process ends, status 143 (SIGCHLD ignored)",
        "both ignored: main goes on",
        "POSIX default actions are process-wide, whichever thread the signal names",
    ),
    (
        "threads:last-thread",
        "main calls thread_exit(5) while two workers run; the last one calls thread_exit(6)",
        "process ends when the last thread has, status 6",
        "error `WASI thread exited` (status 1)",
        "the witx: when the last thread exits, the process exits with its code",
    ),
    (
        "threads:futex-huge-timeout",
        "futex_wait with timeout u64::MAX - 1 ns (or none) woken by futex_wake from main",
        "woken = 1, the waiter returns",
        "sometimes lost: futex_wake reports the waiter woken and the waiter sleeps on (with a 10 s timeout it returns at the timeout, woken = 0); not asserted there, as it varies from run to run",
        "a wake that reports a woken waiter must end that waiter's wait",
    ),
    (
        "wasix-libc:nonblocking-connect",
        "connect() on an O_NONBLOCK TCP socket to a loopback listener, then poll(POLLOUT) and connect() again",
        "EINPROGRESS, writable, EISCONN; refused: EINPROGRESS, ready, ECONNREFUSED",
        "0 (connected before returning), writable, ENOTSUP; refused: EINPROGRESS, ready, ENOTSUP",
        "as Linux: a nonblocking connect starts the handshake and reports it through readiness (WASI 0.2 start-connect / finish-connect)",
    ),
    (
        "wasix-libc:sendfile",
        "sendfile() of 32 MiB on a nonblocking TCP socket while the peer drains it",
        "partial counts, every byte delivered once",
        "does not finish in 10 s",
        "a partial send reports what went out (sendfile(2)); a full socket is `again`",
    ),
    (
        "wasix-libc:sigkill",
        "raise(SIGKILL) in a wasix-libc program",
        "status 137, nothing printed",
        "status 127 after wasix-libc's \"Program recieved termination signal: Killed\"",
        "as sigkill-handled",
    ),
    (
        "wasix-libc:2022-signals",
        "raise() in a program built against the 2022 sysroot (6c2e047), which passes thread_signal a thread id it never initialised",
        "srch (the program's check fails and the 2022 strerror traps: status 134)",
        "success, the signal is dropped (no handler runs)",
        "as `signal`: an id that names no thread is srch",
    ),
    (
        "wasix-libc:2022-symlinks",
        "symlink() in a 2022 program: its libc resolves relative paths against the `/` preopen, an in-memory tree",
        "notsup (the check fails, the 2022 strerror traps: status 134)",
        "the link is made in the in-memory tree",
        "our in-memory trees have no symlinks (documented for path_symlink)",
    ),
    (
        "closures:non-pic",
        "closure_allocate / closure_prepare / closure_free, call_dynamic and reflect_signature in an ordinary (non-PIC) wasix-libc program",
        "they work: the host exports the module's table (growable) when it imports them",
        "notsup (58) from each",
        "wasmer-wasix reaches the table only through its dynamic linker, i.e. for PIC main modules; a non-PIC module's table is defined, not exported, and these imports work on it just as well (tests/suite/wasix_closures.rs)",
    ),
    (
        "contexts:asyncified",
        "wasix_context_create in an asyncified wasix-libc program (tests/suite/wasix_contexts.rs)",
        "a context (run on asyncify, each on a 1 MiB shadow stack of its own)",
        "notsup (its contexts need an engine with async support; the default one has none)",
        "asyncify gives contexts on any engine, as it gives fork and setjmp",
    ),
    (
        "contexts:switch-unavailable",
        "context_switch where contexts are unavailable (a module without asyncify)",
        "notsup",
        "trap (`async imported function yielded when not called via Function::call_async`, status 134)",
        "wasix/context.h: `ENOTSUP` when not in a context-switching environment",
    ),
    (
        "dl:pointer-identity",
        "&f in the main module vs dlsym(\"f\") and a side module's GOT.func entry for f (tests/suite/wasix_dl.rs)",
        "the same pointer: a function the module's own elements put in the table keeps that slot",
        "different pointers: every dlsym and GOT.func lookup gets a new slot",
        "C requires one address per function (pointer comparisons, callback registries)",
    ),
    (
        "dl:needed-data",
        "dlsym(handle, data symbol of a library that handle's module needs)",
        "its address (the handle's scope includes what its module needs)",
        "a pointer to address 0",
        "dlsym searches the module and its dependencies (POSIX dlsym)",
    ),
    (
        "dl:local-scope",
        "dlsym(RTLD_DEFAULT, f) for f of a side module opened without RTLD_GLOBAL",
        "not found (RTLD_LOCAL: only the main module and RTLD_GLOBAL modules)",
        "found",
        "POSIX RTLD_LOCAL; wasix-libc's RTLD_LOCAL is 0, the default",
    ),
    (
        "dl:noload",
        "dlopen(name, RTLD_NOLOAD) of a module not loaded",
        "NULL, dlerror `PATH: not loaded (RTLD_NOLOAD)`",
        "loads it",
        "POSIX RTLD_NOLOAD",
    ),
    (
        "dl:rtld-now",
        "dlopen(RTLD_NOW) of a side module importing a function no loaded module defines",
        "NULL, dlerror `PATH: undefined symbol: NAME` (RTLD_LAZY binds at the first call)",
        "loads it (the call traps later)",
        "POSIX RTLD_NOW",
    ),
    (
        "dl:main-handle",
        "dlopen(NULL) then dlsym on that handle; dl_invalid_handle(main's handle)",
        "the main module's handle (1): its symbols are found, dlclose succeeds",
        "dlsym on it finds nothing; dl_invalid_handle(1) is `noexec`",
        "POSIX dlopen(NULL) is the main program",
    ),
    (
        "dl:errnos",
        "errno of a failed dlopen/dlsym (wasix-libc shows the message instead when there is one) and unknown flag bits",
        "what failed: `noent` missing file or symbol, `noexec` not a side module or a link error, `inval` bad handle or unknown flag bits",
        "79 (`unknown`) for every failure; unknown flag bits are ignored",
        "an errno that says what failed; unknown flags rejected before anything is loaded",
    ),
    (
        "dl:fork",
        "fork() in a dynamically linked, asyncified program (tests/suite/wasix_dl.rs)",
        "a child with its parent's side modules (instantiated again at the same places in its copy of memory); it can dlopen more",
        "notsup (`fork: Not supported`)",
        "fork works for every asyncified program here, dynamically linked or not",
    ),
    (
        "dl:messages",
        "dlerror() texts",
        "glibc-like: `NAME: cannot open shared object file: No such file or directory`, `symbol not found: NAME`",
        "wasmer's own (`failed to load module: …`, with its search list)",
        "messages people and scripts recognise",
    ),
];

/// Limitations of the guest's C library that no host can mend: the same on both engines
/// (function, what, where it is tested).
pub const WASIX_LIBC_LIMITATIONS: &[(&str, &str, &str)] = &[
    (
        "alarm",
        "never fires: wasix-libc 34178a6's alarm(n) calls setitimer with only `it_value` set, and its setitimer passes `it_interval` (0 = cancel) to `proc_raise_interval` with repeat = 1, dropping `it_value`; a setitimer whose `it_interval` equals its `it_value` works (repeating), and a one-shot timer needs `proc_raise_interval(sig, ns, 0)` itself",
        "threads::interval_timer_reaches_the_handler (`alarm fired: 0` on both), threads::one_shot_interval_timer_fires_once",
    ),
    (
        "sigaction SA_RESTART",
        "invisible to the host: wasix-libc keeps the flags and registers one handler export (`__wasm_signal`) for every signal, so a blocking call interrupted by a handled signal returns EINTR whatever the flags (wasix-libc retries only its own futex waits); programs that rely on SA_RESTART for read/accept/poll must retry on EINTR",
        "threads::a_handled_signal_interrupts_read_even_with_sa_restart",
    ),
];

/// Where our WASIX answers depart from the witx to agree with what wasix-libc passes and
/// wasmer-wasix expects (tests named in the why).
pub const WASIX_ABI_NOTES: &[(&str, &str)] = &[
    (
        "thread-spawn",
        "wasmer-wasix also registers the wasi-threads `thread-spawn` under `wasi_unstable` and `wasi_snapshot_preview1`; we register it in the `wasi` module only, where the proposal and every toolchain import it, so the preview1 namespaces hold exactly their witx functions. Every other import wasmer-wasix 0.704 registers (all 140 of `wasix_32v1` and of `wasix_64v1`) is registered here (tests/suite/witx_abi.rs every_wasmer_wasix_import_is_registered)",
    ),
    (
        "epoll_ctl",
        "op 0 or 1 adds, 2 deletes, 3 modifies: wasix-libc passes Linux's EPOLL_CTL_* numbers unchanged where the witx enum says add 0, mod 1, del 2; wasmer-wasix decodes the same way (tests/suite/wasix_libc.rs pipes_poll_eventfd_epoll)",
    ),
    (
        "fd_fdstat_get",
        "under wasix_32v1 / wasix_64v1 the process's stdin, stdout and stderr are character devices whatever the host streams are (as wasmer-wasix): 2022 wasix-libc runs no destructors when main returns, so only a line-buffered (terminal) stdout keeps its output (tests/suite/wasix_libc.rs hello_world_from_the_2022_sysroot); preview1 namespaces report the host stream's kind",
    ),
    (
        "sock_pair",
        "protocol tcp (6) is accepted for a stream pair, as wasix-libc's socketpair() asks for it; udp (17) is notsup",
    ),
];
