//! The migration the crate exists for: the project's own preview1 programs (C with Debian's
//! wasi-libc, Rust `wasm32-wasip1`, real programs) wrapped into WASI 0.2 command
//! components with the official preview1 adapter (`wasi-preview1-component-adapter-provider`
//! + `wit-component`, at test time, cached under target/guests/adapted-*). Each test here
//! re-runs an existing test of a preview1 program inside [`migrate`]: every run of the
//! module is repeated as its component (same flags, args, env, stdin, restored host
//! trees) and both must agree exactly on exit code, stdout, stderr and host trees, save
//! for the differences a test names (`Known`), which must occur.

use crate::common;
use crate::{conformance, p1_programs, p2, real_programs, sandbox, sqlite};
use common::{migrate, Known};

// ---- tests/guests/c/p1_*.c (p1_programs.rs) ----

#[test]
fn adapter_p1_args_env() {
    migrate(&[], p1_programs::p1_args_env);
}

#[test]
fn adapter_p1_clock_random() {
    migrate(&[], p1_programs::p1_clock_random);
}

#[test]
fn adapter_p1_fd_io() {
    migrate(&[], p1_programs::p1_fd_io);
}

#[test]
fn adapter_p1_fd_io_tmpfs() {
    migrate(&[], p1_programs::p1_fd_io_tmpfs);
}

#[test]
fn adapter_p1_fd_meta() {
    migrate(&[], p1_programs::p1_fd_meta);
}

#[test]
fn adapter_p1_fd_meta_tmpfs() {
    migrate(&[], p1_programs::p1_fd_meta_tmpfs);
}

#[test]
fn adapter_p1_readdir() {
    migrate(&[], p1_programs::p1_readdir);
}

#[test]
fn adapter_p1_readdir_tmpfs() {
    migrate(&[], p1_programs::p1_readdir_tmpfs);
}

#[test]
fn adapter_p1_path() {
    migrate(&[], p1_programs::p1_path);
}

#[test]
fn adapter_p1_path_tmpfs() {
    migrate(&[], p1_programs::p1_path_tmpfs);
}

#[test]
fn adapter_p1_poll() {
    migrate(&[], p1_programs::p1_poll);
}

#[test]
fn adapter_p1_poll_tmpfs() {
    migrate(&[], p1_programs::p1_poll_tmpfs);
}

#[test]
fn adapter_p1_proc_exit_codes() {
    migrate(&[], p1_programs::p1_proc_exit_codes);
}

#[test]
fn adapter_p1_proc_raise() {
    migrate(&[], p1_programs::p1_proc_raise);
}

#[test]
fn adapter_p1_sock() {
    migrate(&[], p1_programs::p1_sock);
}

#[test]
fn adapter_p1_sock_tmpfs() {
    migrate(&[], p1_programs::p1_sock_tmpfs);
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
    migrate(&[], conformance::rights);
}

#[test]
fn adapter_conformance_file_io() {
    migrate(&[], conformance::file_io);
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
    migrate(&[], conformance::libc_programs);
}

#[test]
fn adapter_conformance_poll_clocks_random_sockets() {
    migrate(&[], conformance::poll_clocks_random_sockets);
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
    migrate(&[], sandbox::read_only_preopen_refuses_every_mutation);
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

#[test]
fn adapter_sqlite() {
    migrate(&[], sqlite::sqlite_ours);
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
    assert_eq!((code, String::from_utf8_lossy(&r.take_all()).into_owned()), (0, want.to_string()));

    let mut store = wasmer::Store::default();
    let component = wasix_compat::p2::Component::compile(store.engine(), &component_bytes)
        .expect("component compiles");
    let (w, r) = pipe(1 << 16);
    let code = Builder::new("hello.wasm")
        .args(["one", "two words"])
        .stdout(Arc::new(w))
        .run_component(&mut store, &component)
        .expect("component runs");
    assert_eq!((code, String::from_utf8_lossy(&r.take_all()).into_owned()), (0, want.to_string()));
}
