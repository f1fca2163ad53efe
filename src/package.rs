//! Wasmer packages: `run PACKAGE.webc` and `run DIR` (a directory with `wasmer.toml`).
//!
//! The package is read with `wasmer-package` (the loader wasmer itself uses: a `.webc` of
//! any version, a tarball, or a directory's `wasmer.toml` built into a package in memory).
//! A command is chosen (`--command NAME`, else the manifest's entrypoint, else the only
//! command); its atom is written to a scratch directory under the command's name (the
//! program's `argv[0]`, as `wasmer run` gives it), its `wasi` annotation's `main_args` go
//! before the user's arguments and its `env` (`K=V`) before the user's `--env`; every
//! file system mapping of the package (`[fs]` in wasmer.toml, the `fs` annotation of a
//! `.webc`) is unpacked from its volume into the scratch directory and mounted read-only
//! at its guest path, as wasmer mounts package volumes.

#[cfg(feature = "package")]
use crate::options::DirMap;
use crate::options::RunOptions;
use anyhow::bail;
#[cfg(feature = "package")]
use anyhow::{anyhow, Context};
use std::path::{Path, PathBuf};

/// Whether `path` names a package rather than a module: a directory, or a file that
/// starts with the webc magic (`\0webc`) or is a gzip tarball.
pub fn is_package(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    let mut head = [0u8; 5];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && (head == *b"\0webc" || head[..2] == [0x1f, 0x8b])
}

/// The scratch directory of a package run; removed when dropped (after the run).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Rewrites `opts` (whose `module` is a package) to run the package's command: the
/// command's atom as the module, its args and env first, its volumes mounted.
#[cfg(feature = "package")]
pub fn prepare(opts: &mut RunOptions, command: Option<&str>) -> anyhow::Result<Scratch> {
    let shown = opts.module.display().to_string();
    let container = wasmer_package::utils::from_disk(&opts.module)
        .map_err(|e| anyhow!("{shown}: not a wasmer package: {e}"))?;
    let manifest = container.manifest();
    let name =
        match command {
            Some(c) => c.to_string(),
            None => {
                match (&manifest.entrypoint, manifest.commands.len()) {
                    (Some(e), _) => e.clone(),
                    (None, 1) => manifest.commands.keys().next().unwrap().clone(),
                    (None, 0) => bail!("{shown}: the package has no commands"),
                    (None, _) => bail!(
                "{shown}: the package has no entrypoint; choose a command with --command ({})",
                manifest.commands.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
                }
            }
        };
    let cmd = manifest.commands.get(&name).ok_or_else(|| {
        anyhow!(
            "{shown}: no command `{name}` (the package has: {})",
            manifest
                .commands
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let atom = cmd
        .atom()
        .with_context(|| format!("{shown}: command `{name}`"))?
        .ok_or_else(|| anyhow!("{shown}: command `{name}` names no atom"))?;
    if let Some(dep) = &atom.dependency {
        bail!("{shown}: command `{name}` runs an atom of the dependency `{dep}`: dependencies are not fetched");
    }
    let wasm = container
        .get_atom(&atom.name)
        .ok_or_else(|| anyhow!("{shown}: command `{name}`: no atom `{}`", atom.name))?;

    let scratch = scratch_dir()?;
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin)?;
    let module = bin.join(&name);
    std::fs::write(&module, wasm.as_slice())
        .with_context(|| format!("write {}", module.display()))?;

    let wasi = cmd
        .wasi()
        .with_context(|| format!("{shown}: command `{name}`'s wasi annotation"))?;
    let mut args = Vec::new();
    let mut envs = Vec::new();
    if let Some(w) = &wasi {
        args.extend(w.main_args.iter().flatten().cloned());
        for kv in w.env.iter().flatten() {
            let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
            envs.push((k.to_string(), v.to_string()));
        }
    }
    args.append(&mut opts.args);
    envs.append(&mut opts.envs);

    let mut dirs = Vec::new();
    let mappings = manifest
        .filesystem()
        .with_context(|| format!("{shown}: the fs annotation"))?
        .unwrap_or_default();
    let volumes = container.volumes();
    for (i, m) in mappings.iter().enumerate() {
        if let Some(from) = &m.from {
            bail!("{shown}: the mapping of {} comes from the dependency `{from}`: dependencies are not fetched", m.mount_path);
        }
        let vol = volumes.get(&m.volume_name).ok_or_else(|| {
            anyhow!(
                "{shown}: the mapping of {} names no volume `{}`",
                m.mount_path,
                m.volume_name
            )
        })?;
        let host = scratch.path().join(format!("volume{i}"));
        let inner = m.host_path.as_deref().unwrap_or("/");
        vol.unpack(inner, &host)
            .map_err(|e| anyhow!("{shown}: unpack volume `{}`: {e}", m.volume_name))?;
        dirs.push(DirMap {
            host,
            guest: m.mount_path.clone(),
            readonly: true,
        });
    }
    dirs.append(&mut opts.dirs);

    opts.module = module;
    opts.args = args;
    opts.envs = envs;
    opts.dirs = dirs;
    Ok(scratch)
}

#[cfg(not(feature = "package"))]
pub fn prepare(opts: &mut RunOptions, _command: Option<&str>) -> anyhow::Result<Scratch> {
    bail!(
        "{}: this wasix-compat was built without the `package` feature (wasmer packages)",
        opts.module.display()
    )
}

#[cfg(feature = "package")]
fn scratch_dir() -> anyhow::Result<Scratch> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let p = std::env::temp_dir().join(format!(
        "wasix-compat-package-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&p).with_context(|| format!("create {}", p.display()))?;
    Ok(Scratch(p))
}
