//! Runs a module under wasmer-wasix 0.704.2, the reference implementation, so that the same
//! guest can be compared against our engine (`wasix-compat run --engine wasmer-wasix`).
//!
//! Setup mirrors what our engine does, so differential runs see the same preopens:
//! - the guest file system is a mount tree: an in-memory root at `/`, each `--dir` host
//!   directory mounted at its guest path (a `--dir` at `/` replaces the in-memory root),
//!   each `--tmpfs` a fresh in-memory tree;
//! - every `--dir` / `--tmpfs` guest path is preopened in command-line order, and its
//!   preopen name is the guest path (e.g. `/sandbox`); fd numbers are wasmer-wasix's own;
//! - `argv[0]` is the module's file name; stdout / stderr are the host's own;
//! - a WASIX module (unless `--preopens-only`) gets the root `wasmer run` gives it: the
//!   in-memory root is virtual-fs's `RootFileSystemBuilder` tree (`/tmp`, `/dev`, …), a
//!   relative guest path is mounted under `/home` (then the working directory), and `/`
//!   is preopened after the mounts.

pub mod imports;
pub mod pinned;
pub mod wasmtime_engine;

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use virtual_fs::{FileSystem, MountFileSystem};
use wasmer_wasix::wasmer_wasix_types::wasi::ExitCode;
use wasmer_wasix::{WasiEnvBuilder, WasiError};

use crate::options::RunOptions;

type Fs = Arc<dyn FileSystem + Send + Sync>;

pub fn run(opts: &RunOptions) -> anyhow::Result<i32> {
    // wasmer-wasix has no read-only host mounts; refusing beats a silently writable dir.
    if let Some(d) = opts.dirs.iter().find(|d| d.readonly) {
        anyhow::bail!(
            "--dir-ro {} is not supported by the wasmer-wasix engine (it cannot mount read-only)",
            d.host.display()
        );
    }
    // wasmer-wasix drives its syscalls from a tokio runtime; we own it and drop it with a
    // timeout at the end, so a lingering blocking task cannot keep the process alive.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("create tokio runtime")?;
    let result = {
        let _enter = rt.enter();
        run_inside(opts)
    };
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

fn run_inside(opts: &RunOptions) -> anyhow::Result<i32> {
    let engine = wasmer::Engine::default();
    // Same loader as our engine: .wasm, .wat, or a `wasix-compat compile` artifact.
    let module = crate::host::module::load(&engine, &opts.module, &opts.load_options())?;

    // A WASIX program gets the root `wasmer run` gives it, as on our engine.
    let wasix = !opts.preopens_only && crate::host::module::is_wasix(&module);
    let mut relative = false;
    let mut guest_path = |g: &str| -> anyhow::Result<String> {
        if wasix && !crate::core::fs::mounts::names_root(g) {
            let (abs, rel) = crate::core::fs::mounts::guest_mount_path(g)
                .map_err(|e| anyhow!("guest path `{g}`: {e}"))?;
            relative |= rel;
            Ok(abs)
        } else {
            normalize_guest(g)
        }
    };
    let program = opts
        .module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main.wasm".into());
    let mut b = WasiEnvBuilder::new(program).engine(engine.clone());
    // Like ours, the reference gets networking only with --net: its default runtime would
    // hand out host networking unconditionally.
    // With --fake-clock / --seed, a hook replaces clock_time_get and random_get (see
    // reference::pinned); the runtime is then ours to build with --net too.
    let pinned = (opts.fake_clock.is_some() || opts.seed.is_some())
        .then(|| Arc::new(crate::core::pinned::Pinned::new(opts.fake_clock, opts.seed)));
    if !opts.net || pinned.is_some() {
        let mut rt = wasmer_wasix::runtime::PluggableRuntime::new(Arc::new(
            wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager::new(
                tokio::runtime::Handle::current(),
            ),
        ));
        rt.set_engine(engine.clone());
        if !opts.net {
            rt.set_networking_implementation(virtual_net::UnsupportedVirtualNetworking::default());
        }
        if let Some(p) = pinned {
            rt.with_instantiation_hook(pinned::PinHook(p));
        }
        b = b.runtime(Arc::new(rt));
    }
    b.add_args(opts.args.iter().cloned());
    b.add_envs(opts.envs.iter().map(|(k, v)| (k.clone(), v.clone())));

    // Build the mount tree. The root is in memory unless a host dir is mapped at `/`.
    let handle = tokio::runtime::Handle::current();
    let mut root: Option<Fs> = None;
    let mut others: Vec<(String, Fs)> = Vec::new();
    let mut preopens: Vec<String> = Vec::new();
    for d in &opts.dirs {
        let host = std::fs::canonicalize(&d.host)
            .with_context(|| format!("--dir {}", d.host.display()))?;
        if !host.is_dir() {
            bail!("--dir {}: not a directory", d.host.display());
        }
        let fs: Fs = Arc::new(
            virtual_fs::host_fs::FileSystem::new(handle.clone(), host)
                .map_err(|e| anyhow!("--dir {}: {e}", d.host.display()))?,
        );
        let guest = guest_path(&d.guest)?;
        if guest == "/" {
            if root.is_some() {
                bail!("two directories mapped at guest `/`");
            }
            root = Some(fs);
        } else {
            others.push((guest.clone(), fs));
        }
        preopens.push(guest);
    }
    for t in &opts.tmpfs {
        let guest = guest_path(t)?;
        let fs: Fs = Arc::new(virtual_fs::mem_fs::FileSystem::default());
        if guest == "/" {
            if root.is_some() {
                bail!("two directories mapped at guest `/`");
            }
            root = Some(fs);
        } else {
            others.push((guest.clone(), fs));
        }
        preopens.push(guest);
    }
    let mounts = MountFileSystem::new();
    let root_mapped = root.is_some();
    let root = root.unwrap_or_else(|| {
        if wasix {
            let points: Vec<&str> = preopens.iter().map(String::as_str).collect();
            Arc::new(virtual_fs::RootFileSystemBuilder::default().build_tmp_ext(&points))
        } else {
            Arc::new(virtual_fs::mem_fs::FileSystem::default())
        }
    });
    mounts
        .mount(Path::new("/"), root)
        .map_err(|e| anyhow!("mount /: {e}"))?;
    for (guest, fs) in others {
        mounts
            .mount(Path::new(&guest), fs)
            .map_err(|e| anyhow!("mount {guest}: {e}"))?;
    }
    b.set_mount_fs(mounts);
    // wasmer-wasix always shows `/` as fd 3 (a virtual root whose listings and lookups
    // through mount points fail), so `/` is preopened once more, last: wasix-libc takes
    // the last-registered root preopen for absolute paths.
    if wasix && !root_mapped {
        preopens.push("/".into());
        if relative {
            b.set_current_dir("/home");
        }
    }
    for g in &preopens {
        // No alias: the preopen's name is the guest path itself.
        b.add_preopen_build(|p| p.directory(g).read(true).write(true).create(true))
            .map_err(|e| anyhow!("preopen {g}: {e}"))?;
    }

    if let Some(path) = &opts.stdin {
        let data = std::fs::read(path).with_context(|| format!("--stdin {}", path.display()))?;
        b.set_stdin(Box::new(virtual_fs::StaticFile::new(data)));
    }

    // Instantiate in our own store and call `_start` on this thread: a trap then comes back
    // to us as an error (the task-based runner would turn it into exit code 45 and print it).
    let mut store = wasmer::Store::new(engine);
    let (instance, wasi_env) = b
        .instantiate(module, &mut store)
        .map_err(|e| anyhow!("wasmer-wasix instantiate: {e}"))?;
    let start = instance
        .exports
        .get_function("_start")
        .map_err(|_| anyhow!("module has no `_start` export"))?
        .clone();
    let outcome = start.call(&mut store, &[]);
    let result = match outcome {
        Ok(_) => Ok(0),
        Err(err) => match err.downcast::<WasiError>() {
            Ok(WasiError::Exit(code)) => Ok(code.raw()),
            Ok(other) => Err(anyhow!("wasmer-wasix: {other}")),
            // A trap: one line for the user, typed so the CLI exits like our engine does.
            Err(trap) => {
                let msg = trap.message();
                Err(crate::RunError::Trap(msg.lines().next().unwrap_or("trap").to_string()).into())
            }
        },
    };
    // Let wasmer-wasix flush and close its files before we report.
    let code = *result.as_ref().unwrap_or(&1);
    wasi_env.on_exit(&mut store, Some(ExitCode::from(code)));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    result
}

/// `sandbox`, `/sandbox/` → `/sandbox`; `/` stays `/`. Rejects `..`.
fn normalize_guest(g: &str) -> anyhow::Result<String> {
    let parts: Vec<&str> = g
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.contains(&"..") {
        bail!("guest path `{g}` must not contain `..`");
    }
    Ok(format!("/{}", parts.join("/")))
}

/// The import names wasmer-wasix registers under `namespace` (`wasix_32v1`, `wasix_64v1`,
/// `wasi_snapshot_preview1`, `wasi_unstable`): what a module it runs may import there. The
/// compat check compares them with ours (every one must be registered here).
pub fn import_names(namespace: &str) -> anyhow::Result<Vec<String>> {
    use wasmer_wasix::WasiVersion;
    let version = match namespace {
        "wasix_32v1" => WasiVersion::Wasix32v1,
        "wasix_64v1" => WasiVersion::Wasix64v1,
        "wasi_snapshot_preview1" => WasiVersion::Snapshot1,
        "wasi_unstable" => WasiVersion::Snapshot0,
        other => anyhow::bail!("no wasmer-wasix namespace {other}"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("create tokio runtime")?;
    let names = {
        let _enter = rt.enter();
        let engine = wasmer::Engine::default();
        let mut store = wasmer::Store::new(engine.clone());
        let env = WasiEnvBuilder::new("names")
            .engine(engine)
            .finalize(&mut store)
            .map_err(|e| anyhow!("wasmer-wasix env: {e}"))?;
        let imports = wasmer_wasix::generate_import_object_from_env(&mut store, &env.env, version);
        let mut names: Vec<String> = imports
            .into_iter()
            .filter(|((m, _), _)| m == namespace)
            .map(|((_, n), _)| n)
            .collect();
        names.sort();
        names
    };
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(names)
}
