//! The `wasix-compat` command line: `run`, `compile`, `inspect`, `net`, `matrix`, `fuzz`.

use std::process::ExitCode;
use wasix_compat::options::{DirMap, RunOptions};

const USAGE: &str = "usage:
  wasix-compat run [--engine ours|wasmer-wasix|wasmtime] [--dir HOST[::GUEST]] [--dir-ro HOST[::GUEST]] [--mapdir GUEST:HOST]
                   [--volume HOST:GUEST] [--tmpfs GUEST] [--preopens-only] [--env K=V] [--stdin FILE] [--net]
                   [--no-cache] [--allow-precompiled] [--max-threads N] [--max-procs N] [--sigchld]
                   [--allow-clock-set] [--trap-unknown-imports] [--bridge-ca FILE] [--bridge-pin SHA256HEX]
                   [--bridge-noise-key HEX] FILE.{wasm,wat,wasmu} [-- ARGS...]
      Compiled modules are cached in $WASIX_COMPAT_CACHE_DIR (default ~/.cache/wasix-compat/modules;
      --no-cache compiles every time). A precompiled artifact (.wasmu) is native code: it runs
      only with --allow-precompiled.
      A WASIX module (one importing wasix_32v1 / wasix_64v1) sees the root `wasmer run` gives it:
      `/` in memory with /tmp and /dev, the directories mounted beneath (relative guest paths
      under /home, then the working directory); --preopens-only turns that off.
      --engine wasmtime runs a WASI 0.2 component under wasmtime 48 (the reference for
      components; no --tmpfs); --engine wasmer-wasix runs a module under wasmer-wasix.
      --max-threads N: most guest threads alive at once, main included (default 1024); past
      it pthread_create fails with EAGAIN.
      --max-procs N: most processes of the guest's family alive or unjoined at once (default
      256); past it fork and posix_spawn fail with EAGAIN.
      --allow-clock-set: WASIX clock_time_set may set the guest's own realtime clock (an offset
      from the host's, which never changes); without it the call is refused with `perm`.
      --sigchld: a parent gets SIGCHLD when a child ends (off by default, as in wasmer-wasix:
      wasix-libc traps on an uncaught SIGCHLD; shells that catch it need it on).
      --trap-unknown-imports: a component's imports that wasix-compat does not provide link
      to functions that trap when called, instead of failing the run before it starts.
      --bridge-ca FILE: port_bridge to a `tls://` network trusts only the CA certificates in
      this PEM file (default: the system roots). --bridge-pin SHA256HEX: it accepts a server
      whose certificate has this SHA-256 fingerprint (repeatable). --bridge-noise-key HEX: the
      server's static Noise public key (from `net keygen`): with it `tls://` bridges can meet
      `double_encryption` (Noise NK inside TLS; docs/bridge.md).
  wasix-compat compile FILE.{wasm,wat} -o FILE.wasmu   (compile once; `run` accepts the artifact)
  wasix-compat inspect [--json] FILE.{wasm,wat}
      What a module or component needs: its ABIs (and WASIX generation), each import with its
      status here (implemented / implemented-with-difference / missing), memory, asyncify,
      dylink.0, the ABI exports, and whether it runs on ours, on wasmer-wasix, and can be
      wrapped as a WASI 0.2 component. --json: schema wasix-compat.inspect/1 (docs/inspect.md).
      A file that is not wasm or WAT, truncated or unreadable: one line on stderr, exit 2.
  wasix-compat net serve --listen ADDR:PORT (--token TOKEN | --token-file FILE)...
                        [--tls-cert FILE --tls-key FILE [--noise-key FILE]] [--handshake-timeout SECS] [--max-failures N]
      Serves this host's network to port_bridge. --token may repeat; --token-file has one token
      per line. With --tls-cert/--tls-key (PEM) it serves TLS 1.3 (bridges use `tls://ADDR:PORT`).
      A handshake (TLS and token) must end within --handshake-timeout (default 10 s); a peer
      address with --max-failures failed handshakes (default 5) within a minute is refused
      without being read. One line per accepted or refused bridge on stderr (never the token).
      --noise-key FILE (with TLS): also offer double_encryption with this static Noise private
      key (64 hex digits).
  wasix-compat net keygen --out FILE
      Writes a new static Noise private key to FILE (64 hex digits, mode 0600) and prints its
      public key, for clients' --bridge-noise-key.
  wasix-compat matrix [--check] [--evidence DIR]
      Regenerates compat-matrix/ (--check: fails when it is stale) from the import records
      the test suite leaves in target/import-evidence/ (WASIX_COMPAT_RECORD).
  wasix-compat fuzz [--seed N] [--calls N] [--ns NAME,...] [--no-shared]
      Random-syscall driver: N calls (default 100000) per namespace with random and boundary
      arguments; fails on a host panic, an unexpected trap, a call that an interrupt cannot
      end, a broken fd table, or a file changed outside the scratch sandbox.";

#[derive(PartialEq)]
enum Engine {
    Ours,
    WasmerWasix,
    Wasmtime,
}

fn parse_run(argv: &[String]) -> Result<(Engine, RunOptions), String> {
    let mut o = RunOptions::default();
    let mut engine = Engine::Ours;
    let mut module = None;
    let mut i = 0;
    let val = |i: &mut usize, name: &str| -> Result<String, String> {
        *i += 1;
        argv.get(*i)
            .cloned()
            .ok_or_else(|| format!("{name} needs a value"))
    };
    while i < argv.len() {
        let a = &argv[i];
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if a.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| match &inline {
            Some(v) => Ok(v.clone()),
            None => val(&mut i, name),
        };
        match flag.as_str() {
            "--" => {
                o.args.extend(argv[i + 1..].iter().cloned());
                break;
            }
            "--engine" => {
                engine = match value("--engine")?.as_str() {
                    "ours" => Engine::Ours,
                    "wasmer-wasix" => Engine::WasmerWasix,
                    "wasmtime" => Engine::Wasmtime,
                    e => {
                        return Err(format!(
                            "unknown engine `{e}` (ours, wasmer-wasix, wasmtime)"
                        ))
                    }
                }
            }
            "--dir" => o.dirs.push(DirMap::parse_dir(&value("--dir")?)?),
            "--dir-ro" => {
                let mut d = DirMap::parse_dir(&value("--dir-ro")?)?;
                d.readonly = true;
                o.dirs.push(d)
            }
            "--mapdir" => o.dirs.push(DirMap::parse_mapdir(&value("--mapdir")?)?),
            "--volume" => o.dirs.push(DirMap::parse_volume(&value("--volume")?)?),
            "--preopens-only" => o.preopens_only = true,
            "--allow-precompiled" => o.allow_precompiled = true,
            "--no-cache" => o.no_cache = true,
            "--trap-unknown-imports" => o.trap_unknown_imports = true,
            "--sigchld" => o.sigchld = true,
            "--allow-clock-set" => o.allow_clock_set = true,
            "--max-procs" => {
                let v = value("--max-procs")?;
                o.max_procs = Some(
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(format!("--max-procs takes a positive count, not `{v}`"))?,
                );
            }
            "--max-threads" => {
                let v = value("--max-threads")?;
                o.max_threads = Some(
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(format!("--max-threads takes a positive count, not `{v}`"))?,
                );
            }
            "--tmpfs" => o.tmpfs.push(value("--tmpfs")?),
            "--env" => {
                let kv = value("--env")?;
                match kv.split_once('=') {
                    Some((k, v)) => o.envs.push((k.into(), v.into())),
                    // `--env NAME` passes the host's value through, as wasmtime does.
                    None => o
                        .envs
                        .push((kv.clone(), std::env::var(&kv).unwrap_or_default())),
                }
            }
            "--stdin" => o.stdin = Some(value("--stdin")?.into()),
            "--net" => o.net = true,
            "--bridge-ca" => o.bridge_ca = Some(value("--bridge-ca")?.into()),
            "--bridge-pin" => o.bridge_pins.push(value("--bridge-pin")?),
            "--bridge-noise-key" => o.bridge_noise_key = Some(value("--bridge-noise-key")?),
            "-h" | "--help" => return Err(USAGE.into()),
            f if f.starts_with('-') && module.is_none() => {
                return Err(format!("unknown option `{f}`\n{USAGE}"))
            }
            _ => {
                if module.is_none() {
                    module = Some(a.clone());
                } else {
                    // Arguments after the module without `--` go to the guest.
                    o.args.extend(argv[i..].iter().cloned());
                    break;
                }
            }
        }
        i += 1;
    }
    o.module = module
        .ok_or_else(|| format!("no module given\n{USAGE}"))?
        .into();
    Ok((engine, o))
}

/// `net keygen --out FILE`: a new static Noise private key in FILE; prints the public key.
fn net_keygen(argv: &[String]) -> anyhow::Result<()> {
    use wasix_compat::core::sockets::bridge_noise::{generate, public_key};
    let out = match argv {
        [o, f] if o == "--out" => f,
        _ => anyhow::bail!("usage: wasix-compat net keygen --out FILE"),
    };
    let hex = |b: &[u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let key = generate().map_err(|_| anyhow::anyhow!("no randomness"))?;
    let public = public_key(&key).map_err(|_| anyhow::anyhow!("bad key"))?;
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(out)
            .map_err(|e| anyhow::anyhow!("{out}: {e}"))?;
        writeln!(f, "{}", hex(&key))?;
    }
    println!("{}", hex(&public));
    Ok(())
}

/// `net serve`: serves the host's network to bridging instances (see USAGE).
fn net_cli(argv: &[String]) -> anyhow::Result<()> {
    use wasix_compat::core::sockets::bridge::{read_token_file, ServeConfig};
    const NET_USAGE: &str = "usage: wasix-compat net serve --listen ADDR:PORT (--token TOKEN | --token-file FILE)... [--tls-cert FILE --tls-key FILE [--noise-key FILE]] [--handshake-timeout SECS] [--max-failures N]";
    let (mut listen, mut tokens) = (None, Vec::new());
    let (mut cert, mut key, mut timeout, mut max_failures) = (None, None, None, None);
    let mut noise_key = None;
    let mut it = argv.iter();
    match it.next().map(String::as_str) {
        Some("serve") => {}
        Some("keygen") => return net_keygen(&argv[1..]),
        _ => anyhow::bail!("{NET_USAGE}"),
    }
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--listen" => listen = Some(value()?),
            "--token" => {
                let t = value()?;
                wasix_compat::core::sockets::bridge::check_token(&t).map_err(|_| {
                    anyhow::anyhow!("a token is at most 4096 bytes, without NUL, CR or LF")
                })?;
                tokens.push(t)
            }
            "--token-file" => tokens.extend(
                read_token_file(std::path::Path::new(&value()?)).map_err(anyhow::Error::msg)?,
            ),
            "--tls-cert" => cert = Some(value()?),
            "--tls-key" => key = Some(value()?),
            "--noise-key" => noise_key = Some(value()?),
            "--handshake-timeout" => {
                let v = value()?;
                timeout = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|s| *s > 0.0 && *s <= 3600.0)
                        .ok_or_else(|| {
                            anyhow::anyhow!("--handshake-timeout takes seconds, not `{v}`")
                        })?,
                )
            }
            "--max-failures" => {
                let v = value()?;
                max_failures = Some(v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    anyhow::anyhow!("--max-failures takes a positive count, not `{v}`")
                })?)
            }
            o => anyhow::bail!("unknown option `{o}`\n{NET_USAGE}"),
        }
    }
    let listen: std::net::SocketAddr = listen
        .ok_or_else(|| anyhow::anyhow!("--listen is required"))?
        .parse()?;
    anyhow::ensure!(
        !tokens.is_empty(),
        "a token is required (--token or --token-file)"
    );
    let mut cfg = ServeConfig::new(listen, tokens);
    match (cert, key) {
        (Some(c), Some(k)) => {
            let read = |p: &str| std::fs::read(p).map_err(|e| anyhow::anyhow!("{p}: {e}"));
            cfg.tls = Some(
                ServeConfig::tls_from_pem(&read(&c)?, &read(&k)?).map_err(anyhow::Error::msg)?,
            );
        }
        (None, None) => {}
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    }
    if let Some(p) = noise_key {
        anyhow::ensure!(
            cfg.tls.is_some(),
            "--noise-key needs --tls-cert/--tls-key (the inner layer runs inside TLS)"
        );
        let text = std::fs::read_to_string(&p).map_err(|e| anyhow::anyhow!("{p}: {e}"))?;
        cfg.noise_key = Some(
            wasix_compat::core::sockets::bridge::parse_hex32(&text)
                .ok_or_else(|| anyhow::anyhow!("{p}: a Noise private key is 64 hex digits"))?,
        );
    }
    if let Some(t) = timeout {
        cfg.handshake_timeout = std::time::Duration::from_secs_f64(t);
    }
    if let Some(n) = max_failures {
        cfg.max_failures = n;
    }
    cfg.log = Some(std::sync::Arc::new(|l: &str| eprintln!("{l}")));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(wasix_compat::core::sockets::bridge::serve_with(
        cfg,
        |addr| {
            use std::io::Write;
            println!("serving on {addr}");
            let _ = std::io::stdout().flush();
        },
    ))?;
    Ok(())
}

fn main() -> ExitCode {
    wasix_compat::host::init_tracing();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = argv.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match cmd.as_str() {
        "run" => {
            let (engine, opts) = match parse_run(&argv[1..]) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("wasix-compat: {e}");
                    return ExitCode::from(2);
                }
            };
            let r = match engine {
                Engine::Ours => wasix_compat::host::run_cli(&opts),
                #[cfg(feature = "reference")]
                Engine::WasmerWasix => wasix_compat::reference::run(&opts),
                #[cfg(feature = "reference")]
                Engine::Wasmtime => wasix_compat::reference::wasmtime_engine::run(&opts),
                #[cfg(not(feature = "reference"))]
                Engine::WasmerWasix | Engine::Wasmtime => Err(anyhow::anyhow!(
                    "this wasix-compat was built without the `reference` feature (the wasmer-wasix and wasmtime engines)"
                )),
            };
            match r {
                Ok(code) => ExitCode::from(code as u8),
                Err(e) => {
                    eprintln!("wasix-compat: {e:#}");
                    ExitCode::from(
                        if e.downcast_ref::<wasix_compat::RunError>()
                            .is_some_and(|e| e.is_trap())
                        {
                            134
                        } else {
                            1
                        },
                    )
                }
            }
        }
        "compile" => match wasix_compat::host::module::compile_cli(&argv[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wasix-compat: {e:#}");
                ExitCode::FAILURE
            }
        },
        "inspect" => inspect(&argv[1..]),
        "net" => match net_cli(&argv[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wasix-compat: {e:#}");
                ExitCode::FAILURE
            }
        },
        "fuzz" => match fuzz(&argv[1..]) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("wasix-compat: {e:#}");
                ExitCode::FAILURE
            }
        },
        "matrix" => match wasix_compat::matrix::cli(&argv[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wasix-compat: {e:#}");
                ExitCode::FAILURE
            }
        },
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        c => {
            eprintln!("wasix-compat: unknown command `{c}`\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `inspect [--json] FILE`: the report on stdout; exit 2 for bad usage or a bad file.
fn inspect(args: &[String]) -> ExitCode {
    let mut json = false;
    let mut file = None;
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            f if f.starts_with('-') => {
                eprintln!("wasix-compat: unknown inspect option `{f}` (inspect [--json] FILE)");
                return ExitCode::from(2);
            }
            _ if file.is_some() => {
                eprintln!("wasix-compat: inspect takes one file (inspect [--json] FILE)");
                return ExitCode::from(2);
            }
            f => file = Some(f.to_string()),
        }
    }
    let Some(file) = file else {
        eprintln!("wasix-compat: inspect needs a file (inspect [--json] FILE)");
        return ExitCode::from(2);
    };
    match wasix_compat::inspect::inspect_file(std::path::Path::new(&file)) {
        Ok(r) => {
            let out = match json {
                true => wasix_compat::inspect::json::render(&r),
                false => wasix_compat::inspect::text::render(&r),
            };
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasix-compat: {e}");
            ExitCode::from(2)
        }
    }
}

fn fuzz(args: &[String]) -> anyhow::Result<bool> {
    use wasix_compat::witx::Namespace;
    let mut o = wasix_compat::fuzz::Options {
        seed: 1,
        calls: 100_000,
        namespaces: Namespace::ALL
            .into_iter()
            .filter(|n| *n != Namespace::WasiThreads)
            .collect(),
        shared: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--seed" => o.seed = value()?.parse()?,
            "--calls" => o.calls = value()?.parse()?,
            "--ns" => {
                o.namespaces = value()?
                    .split(',')
                    .map(|n| {
                        Namespace::from_name(n)
                            .ok_or_else(|| anyhow::anyhow!("unknown namespace `{n}`"))
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            "--no-shared" => o.shared = false,
            other => anyhow::bail!("unknown fuzz option `{other}`"),
        }
    }
    let r = wasix_compat::fuzz::run(&o)?;
    println!(
        "fuzz: seed {} — {} calls in {:.1} s ({:.0} calls/s), {} restarts, {} interrupted waits, {} distinct errnos, {} failures",
        o.seed,
        r.calls,
        r.elapsed.as_secs_f64(),
        r.calls as f64 / r.elapsed.as_secs_f64().max(1e-9),
        r.restarts,
        r.interrupted,
        r.errnos.len(),
        r.failures.len()
    );
    for f in &r.failures {
        println!("FAIL {f}");
    }
    Ok(r.failures.is_empty())
}
