//! The migration the crate exists for: the project's own preview1 programs (C with Debian's
//! wasi-libc, Rust `wasm32-wasip1`, real programs) wrapped into WASI 0.2 command
//! components with the official preview1 adapter (`wasi-preview1-component-adapter-provider`
//! and `wit-component`, at test time, cached under target/guests/adapted-*). Each test here
//! re-runs an existing test of a preview1 program inside [`migrate`]: every run of the
//! module is repeated as its component (same flags, args, env, stdin, restored host
//! trees) and both must agree exactly on exit code, stdout, stderr and host trees, save
//! for the differences a test names (`Known`), which must occur.

//!
//! The differences, all the adapter's own (read from its source, version 50.0.1):
//! process cputime clocks are `badf`; reads and writes use the first non-empty iovec
//! only; `fd_fdstat_set_rights` is `notsup` (no rights in 0.2); unknown `oflags` bits are
//! ignored; `pwrite` on an append fd appends (as Linux does); poll_oneoff fails the call
//! where preview1 answers in the event; unknown clock ids are `badf`; `proc_exit(n != 0)`
//! becomes status 1; `proc_raise` and `sock_*` are `unreachable`; `fd_readdir` repeats
//! `..` when a buffer ends inside it (its dirent cache is skipped for cookies 0 and 1);
//! the set-size right alone opens read-only, so the read-only preopen answers at
//! `set-size`, not at the open.

use crate::common;
use crate::{conformance, p1_programs, p2, real_programs, sandbox, sqlite};
use common::{migrate, Known};

// ---- tests/guests/c/p1_*.c (p1_programs.rs) ----

/// poll_oneoff: the adapter fails the whole call where preview1 reports the error in the
/// subscription's event.
const POLL_ERRORS_AS_CALL_ERRORS: [Known; 2] = [
    Known::Line {
        module: "poll_oneoff.bad_fd: event error badf",
        component: "poll_oneoff.bad_fd: call error badf",
    },
    Known::Line {
        module: "poll_oneoff.bad_clock: event error inval",
        component: "poll_oneoff.bad_clock: call error inval",
    },
];

/// sock_accept / sock_recv / sock_send / sock_shutdown are `unreachable` in the adapter:
/// the first call traps (and stdout still in libc's buffer is lost).
const SOCK_TRAP: [Known; 2] = [
    Known::Diverges {
        at: "path_open.sock: success",
        stdout: "",
        stderr: "unreachable executed at adapter line 2421\n\
                 wasix-compat: guest trapped: unreachable (in \
                 _RNvNtCsi4CVahZSHti_22wasi_snapshot_preview16macros11unreachable)\n",
    },
    Known::Code {
        module: 0,
        component: 134,
    },
];

#[test]
fn adapter_p1_args_env() {
    migrate(&[], p1_programs::p1_args_env);
}

#[test]
fn adapter_p1_clock_random() {
    migrate(
        &[
            Known::Diverges {
            at: "clock_res_get.process_cputime: success",
            stdout: "clock_res_get.process_cputime: FAIL got badf, want success\n",
            stderr: "check failed at line 11: clock_res_get.process_cputime: got badf, want success\n",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        p1_programs::p1_clock_random,
    );
}

#[test]
fn adapter_p1_fd_io() {
    migrate(
        &[
            Known::Diverges {
                at: "fd_write.iovecs.count: 20",
                stdout: "fd_write.iovecs.count: FAIL `n == 20` is false\n",
                stderr: "check failed at line 26: fd_write.iovecs.count: `n == 20` is false\n",
            },
            Known::Code {
                module: 0,
                component: 1,
            },
        ],
        p1_programs::p1_fd_io,
    );
}

#[test]
fn adapter_p1_fd_io_tmpfs() {
    migrate(
        &[
            Known::Diverges {
                at: "fd_write.iovecs.count: 20",
                stdout: "fd_write.iovecs.count: FAIL `n == 20` is false\n",
                stderr: "check failed at line 26: fd_write.iovecs.count: `n == 20` is false\n",
            },
            Known::Code {
                module: 0,
                component: 1,
            },
        ],
        p1_programs::p1_fd_io_tmpfs,
    );
}

#[test]
fn adapter_p1_fd_meta() {
    migrate(
        &[
            Known::Diverges {
            at: "fd_fdstat_set_rights.drop_write: success",
            stdout: "fd_fdstat_set_rights.drop_write: FAIL got notsup, want success\n",
            stderr: "check failed at line 58: fd_fdstat_set_rights.drop_write: got notsup, want success\n",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        p1_programs::p1_fd_meta,
    );
}

#[test]
fn adapter_p1_fd_meta_tmpfs() {
    migrate(
        &[
            Known::Diverges {
            at: "fd_fdstat_set_rights.drop_write: success",
            stdout: "fd_fdstat_set_rights.drop_write: FAIL got notsup, want success\n",
            stderr: "check failed at line 58: fd_fdstat_set_rights.drop_write: got notsup, want success\n",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        p1_programs::p1_fd_meta_tmpfs,
    );
}

#[test]
fn adapter_p1_readdir() {
    migrate(
        &[
            Known::Diverges {
                at: "fd_readdir.buf28.same_listing: ok",
                stdout: "fd_readdir.buf28.same_listing: FAIL `same` is false\n",
                stderr:
                    "check failed at line 128: fd_readdir.buf28.same_listing: `same` is false\n",
            },
            Known::Code {
                module: 0,
                component: 1,
            },
        ],
        p1_programs::p1_readdir,
    );
}

#[test]
fn adapter_p1_readdir_tmpfs() {
    migrate(
        &[
            Known::Diverges {
                at: "fd_readdir.buf28.same_listing: ok",
                stdout: "fd_readdir.buf28.same_listing: FAIL `same` is false\n",
                stderr:
                    "check failed at line 128: fd_readdir.buf28.same_listing: `same` is false\n",
            },
            Known::Code {
                module: 0,
                component: 1,
            },
        ],
        p1_programs::p1_readdir_tmpfs,
    );
}

#[test]
fn adapter_p1_path() {
    migrate(
        &[
            Known::Diverges {
                at: "path_open.bad_oflags: inval",
                stdout: "path_open.bad_oflags: FAIL got success, want inval\n",
                stderr: "check failed at line 77: path_open.bad_oflags: got success, want inval\n",
            },
            Known::Code {
                module: 0,
                component: 1,
            },
        ],
        p1_programs::p1_path,
    );
}

#[test]
fn adapter_p1_path_tmpfs() {
    migrate(
        &[
            Known::Diverges {
                at: "path_open.bad_oflags: inval",
                stdout: "path_open.bad_oflags: FAIL got success, want inval\n",
                stderr: "check failed at line 77: path_open.bad_oflags: got success, want inval\n",
            },
            Known::Code {
                module: 0,
                component: 1,
            },
        ],
        p1_programs::p1_path_tmpfs,
    );
}

#[test]
fn adapter_p1_poll() {
    migrate(
        &[POLL_ERRORS_AS_CALL_ERRORS[0], POLL_ERRORS_AS_CALL_ERRORS[1]],
        p1_programs::p1_poll,
    );
}

#[test]
fn adapter_p1_poll_tmpfs() {
    migrate(
        &[POLL_ERRORS_AS_CALL_ERRORS[0], POLL_ERRORS_AS_CALL_ERRORS[1]],
        p1_programs::p1_poll_tmpfs,
    );
}

#[test]
fn adapter_p1_proc_exit_codes() {
    migrate(
        &[
            Known::Code {
                module: 42,
                component: 1,
            },
            Known::Code {
                module: 255,
                component: 1,
            },
            Known::Code {
                module: 7,
                component: 1,
            },
        ],
        p1_programs::p1_proc_exit_codes,
    );
}

#[test]
fn adapter_p1_proc_raise() {
    migrate(
        &[
            Known::Diverges {
            at: "proc_raise.none: success",
            stdout: "",
            stderr: "unreachable executed at adapter line 2376\n\
                     wasix-compat: guest trapped: unreachable (in _RNvNtCsi4CVahZSHti_22wasi_snapshot_preview16macros11unreachable)\n",
        },
        Known::Code {
            module: 0,
            component: 134,
        },
        Known::Diverges {
            at: "proc_raise.before: 10",
            stdout: "proc_raise.before: 10\n",
            stderr: "unreachable executed at adapter line 2376\n\
                     wasix-compat: guest trapped: unreachable (in \
                     _RNvNtCsi4CVahZSHti_22wasi_snapshot_preview16macros11unreachable)\n",
        },
        Known::Code {
            module: 138,
            component: 134,
        },
        ],
        p1_programs::p1_proc_raise,
    );
}

#[test]
fn adapter_p1_sock() {
    migrate(&[SOCK_TRAP[0], SOCK_TRAP[1]], p1_programs::p1_sock);
}

#[test]
fn adapter_p1_sock_tmpfs() {
    migrate(&[SOCK_TRAP[0], SOCK_TRAP[1]], p1_programs::p1_sock_tmpfs);
}

// ---- tests/guests/c/conformance_*.c (conformance.rs) ----

#[test]
fn adapter_conformance_paths() {
    migrate(&[], conformance::paths);
}

#[test]
fn adapter_conformance_symlinks() {
    migrate(&[], conformance::symlinks);
}

#[test]
fn adapter_conformance_link_rename_remove() {
    migrate(&[], conformance::link_rename_remove);
}

#[test]
fn adapter_conformance_rights() {
    migrate(
        &[
            Known::Diverges {
            at: "ok conformance_rights",
            stdout: "FAIL line 68: __wasi_fd_fdstat_set_rights(d, st.fs_rights_base & ~((__wasi_rights_t)(1 << 1)), st.fs_rights_inheriting & ~((__wasi_rights_t)(1 << 1))) -> NOTSUP(58); expected SUCCESS\nFAIL line 71: !(st.fs_rights_inheriting & __WASI_RIGHTS_FD_READ)\nFAIL line 104: __wasi_fd_fdstat_set_rights( f, st.fs_rights_base & ~(((__wasi_rights_t)(1 << 1)) | ((__wasi_rights_t)(1 << 6))), st.fs_rights_inheriting) -> NOTSUP(58); expected SUCCESS\nFAIL line 106: !(st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE))\nFAIL line 109: e -> SUCCESS(0); expected BADF NOTCAPABLE\nFAIL line 111: e -> SUCCESS(0); expected BADF NOTCAPABLE\nFAIL line 114: __wasi_fd_fdstat_set_rights(f, st.fs_rights_base | r, st.fs_rights_inheriting | r) -> NOTSUP(58); expected NOTCAPABLE\nnote: PATH_FILESTAT_SET_SIZE not advertised, truncation checks skipped\n7 failure(s) in conformance_rights\n",
            stderr: "",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        conformance::rights,
    );
}

#[test]
fn adapter_conformance_file_io() {
    migrate(
        &[
            Known::Diverges {
            at: "ok conformance_fileio",
            stdout: "FAIL line 54: n == 4\nFAIL line 58: n == 4 && a[0] == 0 && a[1] == 1 && b[0] == 2 && b[1] == 3\n2 failure(s) in conformance_fileio\n",
            stderr: "",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        conformance::file_io,
    );
}

#[test]
fn adapter_conformance_directory_fds_and_readdir() {
    migrate(&[], conformance::directory_fds_and_readdir);
}

#[test]
fn adapter_conformance_close_preopen() {
    migrate(&[], conformance::close_preopen);
}

#[test]
fn adapter_conformance_overwrite_preopen() {
    migrate(&[], conformance::overwrite_preopen);
}

#[test]
fn adapter_conformance_renumber_stdio_isatty() {
    migrate(&[], conformance::renumber_stdio_isatty);
}

#[test]
fn adapter_conformance_libc_programs() {
    migrate(
        &[
            Known::Diverges {
            at: "ok conformance_libc",
            stdout: "FAIL line 72: end == 4 (errno 59 Not a tty)\nFAIL line 76: fd >= 0 && read(fd, got, sizeof got) == 4 && memcmp(got, \"abcb\", 4) == 0 (errno 59 Not a tty)\n2 failure(s) in conformance_libc\n",
            stderr: "",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        conformance::libc_programs,
    );
}

#[test]
fn adapter_conformance_poll_clocks_random_sockets() {
    migrate(
        &[
            Known::Diverges {
            at: "ok conformance_misc",
            stdout: "FAIL line 87: __wasi_clock_time_get(99, 1, &t) -> BADF(8); expected INVAL\n1 failure(s) in conformance_misc\n",
            stderr: "",
        },
        Known::Code {
            module: 0,
            component: 1,
        },
        ],
        conformance::poll_clocks_random_sockets,
    );
}

// ---- tests/guests/c/sandbox_ops.c (sandbox.rs) ----

#[test]
fn adapter_sandbox_dotdot() {
    migrate(&[], sandbox::dotdot_escapes_fail_and_inner_dotdot_works);
}

#[test]
fn adapter_sandbox_absolute_paths() {
    migrate(&[], sandbox::absolute_paths_fail);
}

#[test]
fn adapter_sandbox_symlinks_leading_out() {
    migrate(&[], sandbox::symlinks_leading_out_fail);
}

#[test]
fn adapter_sandbox_symlink_loops() {
    migrate(&[], sandbox::symlink_loops_and_long_chains_say_loop);
}

#[test]
fn adapter_sandbox_rename_and_link_out() {
    migrate(&[], sandbox::rename_and_link_out_of_the_preopen_fail);
}

#[test]
fn adapter_sandbox_read_only_preopen() {
    migrate(
        &[Known::Line {
            module: "setsize=open=rofs",
            component: "setsize=rofs",
        }],
        sandbox::read_only_preopen_refuses_every_mutation,
    );
}

#[test]
fn adapter_sandbox_mapped_at_guest_root() {
    migrate(&[], sandbox::sandbox_mapped_at_guest_root_does_not_escape);
}

// ---- Rust wasm32-wasip1 programs (tests/guests/p2/*.rs, p2.rs) ----

#[test]
fn adapter_rust_fs_ops_and_fs_raw() {
    migrate(&[], p2::p2_std_fs_components_match_the_p1_modules);
}

#[test]
fn adapter_rust_fs_sandbox() {
    migrate(&[], p2::p2_std_fs_sandbox);
}

// ---- real programs ----

/// SQLite's first run (create + 1000 inserts) as a component: the adapter finds its
/// state's canary overwritten (`assertion failed at adapter line 2857`) on the first
/// write transaction; read-only statements run. wasmtime stops at the same assertion
/// (`adapter_sqlite_write_fails_alike_on_wasmtime`): the adapter with this program, not us.
#[test]
fn adapter_sqlite() {
    migrate(
        &[
            Known::Diverges {
                at: "3.46.0",
                stdout: "",
                stderr: "assertion failed at adapter line 2857\
                         wasix-compat: guest trapped: unreachable (in \
                         _RNvNtCsi4CVahZSHti_22wasi_snapshot_preview16macros11assert_fail)\n",
            },
            Known::Code {
                module: 0,
                component: 134,
            },
        ],
        || {
            let data = common::TempDir::new("adapter-sqlite-data");
            let scripts = common::TempDir::new("adapter-sqlite-scripts");
            sqlite::create_db(common::Engine::Ours, data.path(), scripts.path());
        },
    );
}

/// The adapter's failure on SQLite's first write is not ours: wasmtime stops at the same
/// adapter assertion with the same program and statements.
#[test]
fn adapter_sqlite_write_fails_alike_on_wasmtime() {
    let component = common::adapt(sqlite::sqlite_wasm());
    let sql = "CREATE TABLE t(a); INSERT INTO t VALUES(1); SELECT * FROM t;";
    let mut seen = Vec::new();
    for engine in [common::Engine::Ours, common::Engine::Wasmtime] {
        let data = common::TempDir::new("adapter-sqlite-wasmtime");
        let out = common::Run::new(&component)
            .engine(engine)
            .dir(data.path(), "/data")
            .arg("/data/t.db")
            .arg(sql)
            .run();
        let first = out
            .stderr_str()
            .split("wasix-compat:")
            .next()
            .unwrap_or("")
            .to_string();
        seen.push((engine, out.code, out.stdout_str(), first));
    }
    let want = |engine| {
        (
            engine,
            Some(134),
            String::new(),
            "assertion failed at adapter line 2858".to_string(),
        )
    };
    assert_eq!(
        seen,
        vec![want(common::Engine::Ours), want(common::Engine::Wasmtime)]
    );
}

#[test]
fn adapter_yosys() {
    migrate(&[], real_programs::yosys_synthesises_a_design);
}

// ---- the embedding API ----

/// The adapter-wrapped hello program runs through `p2::Component::compile` +
/// `Builder::run_component` with the output the module gives through `Builder::run`.
#[test]
fn adapter_hello_through_the_embedding_api() {
    use std::sync::Arc;
    use wasix_compat::core::io::pipe::pipe;
    use wasix_compat::Builder;

    let module_path = p2::fs_guest("hello", "wasm32-wasip1");
    let module_bytes = std::fs::read(&module_path).unwrap();
    let component_bytes = common::adapt_bytes(&module_bytes).unwrap();
    let want = "hello from a component\narg[0]=hello.wasm\narg[1]=one\narg[2]=two words\n";

    let mut store = wasmer::Store::default();
    let module = wasmer::Module::new(&store, &module_bytes).unwrap();
    let (w, r) = pipe(1 << 16);
    let code = Builder::new("hello.wasm")
        .args(["one", "two words"])
        .stdout(Arc::new(w))
        .run(&mut store, &module)
        .expect("module runs");
    assert_eq!(
        (code, String::from_utf8_lossy(&r.take_all()).into_owned()),
        (0, want.to_string())
    );

    let mut store = wasmer::Store::default();
    let component = wasix_compat::p2::Component::compile(store.engine(), &component_bytes)
        .expect("component compiles");
    let (w, r) = pipe(1 << 16);
    let code = Builder::new("hello.wasm")
        .args(["one", "two words"])
        .stdout(Arc::new(w))
        .run_component(&mut store, &component)
        .expect("component runs");
    assert_eq!(
        (code, String::from_utf8_lossy(&r.take_all()).into_owned()),
        (0, want.to_string())
    );
}

// ---- programs the adapter cannot wrap ----

const WASIX_SOCK_OPEN: &str = "failed to decode world from module: module was not valid: failed to resolve import `wasix_32v1::sock_open`: module requires an import interface named `wasix_32v1`";
const WASIX_ENVIRON_GET: &str = "failed to decode world from module: module was not valid: failed to resolve import `wasix_32v1::environ_get`: module requires an import interface named `wasix_32v1`";
const UNSTABLE_FD_WRITE: &str = "failed to decode world from module: module was not valid: failed to resolve import `wasi_unstable::fd_write`: module requires an import interface named `wasi_unstable`";
const UNSTABLE_ENVIRON_GET: &str = "failed to decode world from module: module was not valid: failed to resolve import `wasi_unstable::environ_get`: module requires an import interface named `wasi_unstable`";
const WASI_THREAD_SPAWN: &str = "failed to decode world from module: module was not valid: failed to resolve import `wasi::thread-spawn`: module requires an import interface named `wasi`";

/// WASIX programs (our `port_*` / `sock_*` C guests import `wasix_32v1`), `wasi_unstable`
/// modules and `wasm32-wasip1-threads` programs are refused by the encoder: the adapter
/// provides `wasi_snapshot_preview1` only, with its own unshared memory. Each row is the
/// exact error.
#[test]
fn adapter_refuses_what_it_cannot_wrap() {
    let c = |n: &str| common::build_c(&[&format!("tests/guests/c/{n}.c")], &[]);
    let p1_io = c("p1_fd_io");
    let rows: Vec<(String, std::path::PathBuf, &str)> = vec![
        ("port_route".into(), c("port_route"), WASIX_SOCK_OPEN),
        (
            "sock_tcp_local".into(),
            c("sock_tcp_local"),
            WASIX_SOCK_OPEN,
        ),
        (
            "unstable_basic.wat".into(),
            common::wat("unstable_basic"),
            UNSTABLE_FD_WRITE,
        ),
        (
            "p1_fd_io retargeted to wasi_unstable".into(),
            common::retarget_imports(&p1_io, "wasi_unstable", &[]),
            UNSTABLE_ENVIRON_GET,
        ),
        (
            "p1_fd_io retargeted to wasix_32v1".into(),
            common::retarget_imports(&p1_io, "wasix_32v1", &[]),
            WASIX_ENVIRON_GET,
        ),
        (
            "threads.rs (wasm32-wasip1-threads)".into(),
            p2::fs_guest_at("tests/guests/rust/threads.rs", "wasm32-wasip1-threads"),
            WASI_THREAD_SPAWN,
        ),
    ];
    let mut wrong = Vec::new();
    for (name, wasm, want) in &rows {
        let got = common::adapt_bytes(&std::fs::read(wasm).unwrap())
            .err()
            .unwrap_or_else(|| "wrapped".into());
        if got != *want {
            wrong.push(format!("{name}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
