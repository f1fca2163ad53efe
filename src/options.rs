//! What `wasix-compat run` was asked to do, independent of which engine runs it.

use std::path::PathBuf;

/// A directory made visible to the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirMap {
    /// Host directory.
    pub host: PathBuf,
    /// Path the guest sees (`/` allowed: the whole guest root).
    pub guest: String,
    /// Refuse every mutation beneath it (`--dir-ro`).
    pub readonly: bool,
}

/// Parsed options of one `run`.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub module: PathBuf,
    pub args: Vec<String>,
    pub envs: Vec<(String, String)>,
    pub dirs: Vec<DirMap>,
    /// Guest paths backed by a fresh in-memory tree.
    pub tmpfs: Vec<String>,
    pub stdin: Option<PathBuf>,
    pub net: bool,
    /// `tls://` bridges trust only this CA file (`--bridge-ca FILE`).
    pub bridge_ca: Option<PathBuf>,
    /// Pinned SHA-256 fingerprints for `tls://` bridges (`--bridge-pin HEX`).
    pub bridge_pins: Vec<String>,
    /// The server's static Noise public key for `double_encryption` (`--bridge-noise-key HEX`).
    pub bridge_noise_key: Option<String>,
    /// Never give a WASIX module the in-memory root (`--preopens-only`): it then sees only
    /// its preopened directories, as a preview1 module does.
    pub preopens_only: bool,
    /// Run precompiled artifacts (`--allow-precompiled`).
    pub allow_precompiled: bool,
    /// Compile every time instead of using the module cache (`--no-cache`).
    pub no_cache: bool,
    /// Most guest threads alive at once, main included (`--max-threads N`).
    pub max_threads: Option<u32>,
    /// Most processes of the family alive or unjoined at once (`--max-procs N`).
    pub max_procs: Option<u32>,
    /// Send SIGCHLD to parents (`--sigchld`).
    pub sigchld: bool,
    /// Let the guest set its own realtime clock (`--allow-clock-set`).
    pub allow_clock_set: bool,
    /// Link a component's imports we do not provide to trapping functions
    /// (`--trap-unknown-imports`).
    pub trap_unknown_imports: bool,
    /// Write every import call as a JSON line to this file (`--trace FILE`; our engine).
    pub trace: Option<PathBuf>,
    /// Pin the clocks at this start, 1 µs per reading (`--fake-clock NS`; ours and wasmer-wasix).
    pub fake_clock: Option<u64>,
    /// Seed randomness (`--seed N`; ours and wasmer-wasix).
    pub seed: Option<u64>,
}

impl RunOptions {
    /// How to load the module these options name.
    pub fn load_options(&self) -> crate::host::module::LoadOptions {
        crate::host::module::LoadOptions {
            allow_precompiled: self.allow_precompiled,
            cache: if self.no_cache {
                None
            } else {
                crate::host::cache::default_dir()
            },
            import_shared_memory: false,
            trap_unknown_imports: self.trap_unknown_imports,
        }
    }
}

impl RunOptions {
    /// These options as `wasix-compat run` arguments (after `run --engine E`): what `diff`
    /// gives each side's process.
    pub fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = Vec::new();
        let mut flag = |f: &str, v: Option<std::ffi::OsString>| {
            a.push(f.into());
            a.extend(v);
        };
        for d in &self.dirs {
            let mut v = d.host.clone().into_os_string();
            v.push("::");
            v.push(&d.guest);
            flag(if d.readonly { "--dir-ro" } else { "--dir" }, Some(v));
        }
        for t in &self.tmpfs {
            flag("--tmpfs", Some(t.into()));
        }
        for (k, v) in &self.envs {
            flag("--env", Some(format!("{k}={v}").into()));
        }
        if let Some(p) = &self.stdin {
            flag("--stdin", Some(p.clone().into()));
        }
        let switches = [
            (self.net, "--net"),
            (self.preopens_only, "--preopens-only"),
            (self.allow_precompiled, "--allow-precompiled"),
            (self.no_cache, "--no-cache"),
            (self.sigchld, "--sigchld"),
            (self.allow_clock_set, "--allow-clock-set"),
            (self.trap_unknown_imports, "--trap-unknown-imports"),
        ];
        for (on, f) in switches {
            if on {
                flag(f, None);
            }
        }
        if let Some(n) = self.max_threads {
            flag("--max-threads", Some(n.to_string().into()));
        }
        if let Some(n) = self.max_procs {
            flag("--max-procs", Some(n.to_string().into()));
        }
        if let Some(p) = &self.trace {
            flag("--trace", Some(p.clone().into()));
        }
        if let Some(n) = self.fake_clock {
            flag("--fake-clock", Some(n.to_string().into()));
        }
        if let Some(n) = self.seed {
            flag("--seed", Some(n.to_string().into()));
        }
        a.push(self.module.clone().into());
        a.push("--".into());
        a.extend(self.args.iter().map(Into::into));
        a
    }
}

impl DirMap {
    /// `--dir HOST[::GUEST]`: without GUEST the guest sees the path as given.
    pub fn parse_dir(s: &str) -> Result<DirMap, String> {
        let (host, guest) = match s.split_once("::") {
            Some((h, g)) => (h, g),
            None => (s, s),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(format!("bad --dir `{s}`: expected HOST[::GUEST]"));
        }
        Ok(DirMap {
            host: host.into(),
            guest: guest.into(),
            readonly: false,
        })
    }

    /// `--volume HOST:GUEST` (wasmer's other spelling).
    pub fn parse_volume(s: &str) -> Result<DirMap, String> {
        match s.split_once(':') {
            Some((h, g)) if !g.is_empty() && !h.is_empty() => Ok(DirMap {
                host: h.into(),
                guest: g.into(),
                readonly: false,
            }),
            _ => Err(format!("bad --volume `{s}`: expected HOST:GUEST")),
        }
    }

    /// `--mapdir GUEST:HOST` (wasmer's spelling).
    pub fn parse_mapdir(s: &str) -> Result<DirMap, String> {
        match s.split_once(':') {
            Some((g, h)) if !g.is_empty() && !h.is_empty() => Ok(DirMap {
                host: h.into(),
                guest: g.into(),
                readonly: false,
            }),
            _ => Err(format!("bad --mapdir `{s}`: expected GUEST:HOST")),
        }
    }
}
