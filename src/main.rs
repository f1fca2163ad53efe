//! The `wasix-compat` command line: `run`, `diff`, `compile`, `inspect`, `net`, `matrix`, `fuzz`.

use std::process::ExitCode;
use wasix_compat::engine::Engine;
use wasix_compat::options::{DirMap, RunOptions};

const USAGE: &str = "usage:
  wasix-compat run [--engine ours|wasmer-wasix|wasmtime] [--dir HOST[::GUEST]] [--dir-ro HOST[::GUEST]] [--mapdir GUEST:HOST]
                   [--volume HOST:GUEST] [--tmpfs GUEST] [--preopens-only] [--env K=V] [--stdin FILE] [--net]
                   [--no-cache] [--allow-precompiled] [--max-threads N] [--max-procs N] [--sigchld]
                   [--allow-clock-set] [--trap-unknown-imports] [--bridge-ca FILE] [--bridge-pin SHA256HEX]
                   [--bridge-noise-key HEX] [--trace FILE] [--fake-clock NS] [--seed N]
                   [--command NAME] FILE.{wasm,wat,wasmu,webc}|PACKAGE-DIR [-- ARGS...]
      A wasmer package (a .webc, or a directory with wasmer.toml) runs its entrypoint command
      (or --command NAME) with the command's declared args and env before the given ones and
      the package's fs volumes mounted read-only at their paths.
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
      --trace FILE (ours): one JSON line per import call (thread, namespace, name, decoded
      arguments, result, duration; docs/diff.md). --fake-clock NS (ours, wasmer-wasix): every
      clock reads NS + 1 µs per reading so far. --seed N (ours, wasmer-wasix): random_get is
      a stream seeded with N.
  wasix-compat diff [--engines A,B] [--as module,component] [--timeout SECS] [--json] [run options] FILE [-- ARGS...]
      Runs FILE on two engines (default ours,wasmer-wasix) with the same args, env, stdin and
      a fresh copy of every --dir each, and compares exit status, stdout, stderr, the
      resulting trees and (ours vs ours) the import traces; prints the first divergence.
      Exit 0: identical; 1: different; 2: usage or setup error. --json: schema
      wasix-compat.diff/1 (docs/diff.md). --fake-clock / --seed pin the engines that can.
      --as module,component: a preview1 module against its migrated WASI 0.2 component (as
      `migrate` makes it), on one engine (ours unless --engines E); traces not compared.
      --timeout SECS: a side still running after SECS is killed (status `timed out`).
  wasix-compat compile FILE.{wasm,wat} -o FILE.wasmu   (compile once; `run` accepts the artifact)
  wasix-compat inspect [--json] FILE.{wasm,wat}
      What a module or component needs: its ABIs (and WASIX generation), each import with its
      status here (implemented / implemented-with-difference / missing), memory, asyncify,
      dylink.0, the ABI exports, and whether it runs on ours, on wasmer-wasix, and can be
      wrapped as a WASI 0.2 component. --json: schema wasix-compat.inspect/1 (docs/inspect.md).
      A file that is not wasm or WAT, truncated or unreadable: one line on stderr, exit 2.
  wasix-compat migrate FILE.{wasm,wat} -o FILE.component.wasm
      Wraps a preview1 module into a WASI 0.2 command component with the official preview1
      adapter. A module importing anything beyond wasi_snapshot_preview1 (WASIX, wasi_unstable,
      threads), with a shared memory or dylink.0, is not wrapped: the reasons and each import
      with no WASI 0.2 equivalent (with the nearest interface) go to stderr, exit 1. A bad file:
      exit 2.
  wasix-compat net serve --listen ADDR:PORT (--token TOKEN | --token-file FILE)...
                        [--tls-cert FILE --tls-key FILE [--noise-key FILE]] [--handshake-timeout SECS] [--max-failures N]
                        [--allow CIDR[:PORTS]]... [--deny CIDR[:PORTS]]... [--max-sockets N]
                        [--max-bytes N] [--shutdown-grace SECS] [--ws-listen ADDR:PORT[/PATH]]
                        [--network host|isolated]
      Serves this host's network to port_bridge. --token may repeat; --token-file has one token
      per line. With --tls-cert/--tls-key (PEM) it serves TLS 1.3 (bridges use `tls://ADDR:PORT`).
      A handshake (TLS and token) must end within --handshake-timeout (default 10 s); a peer
      address with --max-failures failed handshakes (default 5) within a minute is refused
      without being read. One line per accepted or refused bridge on stderr (never the token).
      Egress: loopback, link-local and cloud metadata addresses are denied unless --allow'ed;
      the most specific --allow/--deny rule wins (deny wins ties); a refused connect is `acces`.
      --max-sockets / --max-bytes limit each token (`again` past the sockets; past the bytes
      the token's bridges end). SIGHUP re-reads the tokens; SIGTERM stops accepting, lets
      bridges finish for --shutdown-grace seconds (default 10) and exits 0.
      --noise-key FILE (with TLS): also offer double_encryption with this static Noise private
      key (64 hex digits).
      --ws-listen also serves WebSocket bridges on that address and path (default /): bridges
      use `ws://ADDR:PORT/PATH`, or `wss://...` when --tls-cert/--tls-key are given.
      --network isolated: instead of this host's network, every bridge is one host on a private
      in-process network (TCP between the addresses the guests add; nothing leaves the
      process). See docs/bridge.md.
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

fn parse_run(argv: &[String]) -> Result<(Box<dyn Engine>, RunOptions), String> {
    let mut o = RunOptions::default();
    let mut engine: Box<dyn Engine> = Box::new(wasix_compat::engine::Ours);
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
            "--engine" => engine = wasix_compat::engine::by_name(&value("--engine")?)?,
            "--trace" => o.trace = Some(value("--trace")?.into()),
            "--fake-clock" => {
                let v = value("--fake-clock")?;
                o.fake_clock = Some(v.parse().map_err(|_| {
                    format!("--fake-clock takes a start time in nanoseconds, not `{v}`")
                })?);
            }
            "--seed" => {
                let v = value("--seed")?;
                o.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed takes an unsigned integer, not `{v}`"))?,
                );
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
    use wasix_compat::core::sockets::egress::{EgressPolicy, Rule};
    const NET_USAGE: &str = "usage: wasix-compat net serve --listen ADDR:PORT (--token TOKEN | --token-file FILE)... [--tls-cert FILE --tls-key FILE [--noise-key FILE]] [--handshake-timeout SECS] [--max-failures N] [--allow CIDR[:PORTS]]... [--deny CIDR[:PORTS]]... [--max-sockets N] [--max-bytes N] [--shutdown-grace SECS] [--ws-listen ADDR:PORT[/PATH]] [--network host|isolated]";
    let (mut listen, mut tokens) = (None, Vec::new());
    // In the order given, to re-read on SIGHUP: Ok(token) or Err(token file).
    let mut sources: Vec<Result<String, String>> = Vec::new();
    let mut egress = EgressPolicy::default();
    let (mut max_sockets, mut max_bytes, mut grace) = (None, None, None);
    let count = |flag: &str, v: String| -> anyhow::Result<u64> {
        v.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| anyhow::anyhow!("{flag} takes a positive count, not `{v}`"))
    };
    let (mut cert, mut key, mut timeout, mut max_failures) = (None, None, None, None);
    let mut noise_key = None;
    let (mut ws_listen, mut isolated) = (None, false);
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
                sources.push(Ok(t.clone()));
                tokens.push(t)
            }
            "--token-file" => {
                let f = value()?;
                tokens
                    .extend(read_token_file(std::path::Path::new(&f)).map_err(anyhow::Error::msg)?);
                sources.push(Err(f));
            }
            "--allow" | "--deny" => {
                egress.push(Rule::parse(&value()?, a == "--allow").map_err(anyhow::Error::msg)?)
            }
            "--max-sockets" => max_sockets = Some(count(a, value()?)? as usize),
            "--max-bytes" => max_bytes = Some(count(a, value()?)?),
            "--shutdown-grace" => {
                let v = value()?;
                grace = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|s| *s >= 0.0 && *s <= 3600.0)
                        .ok_or_else(|| {
                            anyhow::anyhow!("--shutdown-grace takes seconds, not `{v}`")
                        })?,
                )
            }
            "--ws-listen" => ws_listen = Some(value()?),
            "--network" => {
                isolated = match value()?.as_str() {
                    "host" => false,
                    "isolated" => true,
                    v => anyhow::bail!("--network is `host` or `isolated`, not `{v}`"),
                }
            }
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
    let mut ws_line = None;
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
    cfg.egress = std::sync::Arc::new(egress);
    cfg.limits.max_sockets = max_sockets;
    cfg.limits.max_bytes = max_bytes;
    if let Some(g) = grace {
        cfg.grace = std::time::Duration::from_secs_f64(g);
    }
    if let Some(w) = ws_listen {
        let w = wasix_compat::core::sockets::bridge_ws_serve::WsListen::bind(&w)
            .map_err(anyhow::Error::msg)?;
        let scheme = if cfg.tls.is_some() { "wss" } else { "ws" };
        ws_line = Some(format!(
            "serving websocket on {scheme}://{}{}",
            w.local_addr()?,
            w.path
        ));
        cfg.ws = Some(w);
    }
    if isolated {
        cfg.lan = Some(std::sync::Arc::new(
            wasix_compat::core::sockets::lan::Lan::new(),
        ));
    }
    cfg.signals = true;
    cfg.reload = Some(std::sync::Arc::new(move || {
        let mut ts = Vec::new();
        for s in &sources {
            match s {
                Ok(t) => ts.push(t.clone()),
                Err(f) => ts.extend(read_token_file(std::path::Path::new(f))?),
            }
        }
        if ts.is_empty() {
            return Err("no tokens left".into());
        }
        Ok(ts)
    }));
    cfg.log = Some(std::sync::Arc::new(|l: &str| eprintln!("{l}")));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let r = rt.block_on(wasix_compat::core::sockets::bridge::serve_with(
        cfg,
        |addr| {
            use std::io::Write;
            println!("serving on {addr}");
            if let Some(l) = ws_line {
                println!("{l}");
            }
            let _ = std::io::stdout().flush();
        },
    ));
    // Bridges past the grace period are not waited for.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    r?;
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
            // `--command NAME` (a package's command), before the file.
            let mut rest: Vec<String> = argv[1..].to_vec();
            let mut command = None;
            if let Some(i) = rest
                .iter()
                .take_while(|a| *a != "--")
                .position(|a| a == "--command" || a.starts_with("--command="))
            {
                let a = rest.remove(i);
                command = match a.split_once('=') {
                    Some((_, v)) => Some(v.to_string()),
                    None if i < rest.len() => Some(rest.remove(i)),
                    None => {
                        eprintln!("wasix-compat: --command needs a value");
                        return ExitCode::from(2);
                    }
                };
            }
            let mut package = None;
            let (engine, opts) = match parse_run(&rest)
                .and_then(|(e, mut o)| {
                    if wasix_compat::package::is_package(&o.module) {
                        package = Some(
                            wasix_compat::package::prepare(&mut o, command.as_deref())
                                .map_err(|e| format!("{e:#}"))?,
                        );
                    } else if command.is_some() {
                        return Err(format!(
                            "--command is for wasmer packages; {} is not one",
                            o.module.display()
                        ));
                    }
                    Ok((e, o))
                })
                .and_then(|(e, o)| e.check(&o).map(|_| (e, o)))
            {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("wasix-compat: {e}");
                    return ExitCode::from(2);
                }
            };
            match engine.run(&opts) {
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
        "diff" => diff(&argv[1..]),
        "migrate" => migrate(&argv[1..]),
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

/// `diff [--engines A,B] [--json] RUN-OPTIONS FILE [-- ARGS]`.
fn diff(args: &[String]) -> ExitCode {
    let mut engines = None;
    let mut forms: Option<String> = None;
    let mut timeout: Option<String> = None;
    let mut json = false;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            rest.extend(args[i..].iter().cloned());
            break;
        }
        match a.split_once('=') {
            Some(("--engines", v)) => engines = Some(v.to_string()),
            _ if a == "--engines" => match args.get(i + 1) {
                Some(v) => {
                    engines = Some(v.clone());
                    i += 1;
                }
                None => {
                    eprintln!("wasix-compat: --engines needs a value");
                    return ExitCode::from(2);
                }
            },
            Some(("--as", v)) => forms = Some(v.to_string()),
            _ if a == "--as" => match args.get(i + 1) {
                Some(v) => {
                    forms = Some(v.clone());
                    i += 1;
                }
                None => {
                    eprintln!("wasix-compat: --as needs a value (module,component)");
                    return ExitCode::from(2);
                }
            },
            _ if a == "--json" => json = true,
            Some(("--timeout", v)) => timeout = Some(v.to_string()),
            _ if a == "--timeout" => match args.get(i + 1) {
                Some(v) => {
                    timeout = Some(v.clone());
                    i += 1;
                }
                None => {
                    eprintln!("wasix-compat: --timeout needs a value (seconds)");
                    return ExitCode::from(2);
                }
            },
            _ if a == "--engine" || a.starts_with("--engine=") || a.starts_with("--trace") => {
                eprintln!(
                    "wasix-compat: diff takes --engines A,B (and traces ours itself), not {a}"
                );
                return ExitCode::from(2);
            }
            _ => rest.push(a.clone()),
        }
        i += 1;
    }
    // `--as module,component` compares the two forms on one engine: ours by default.
    // `--as` with `--engines E` (one engine): E on both sides.
    let engines = match (engines, &forms) {
        (None, Some(_)) => "ours,ours".to_string(),
        (None, None) => "ours,wasmer-wasix".to_string(),
        (Some(e), Some(_)) if !e.contains(',') => format!("{e},{e}"),
        (Some(e), _) => e,
    };
    let forms = match forms.as_deref().map(|f| {
        f.split(',')
            .map(wasix_compat::diff::Form::parse)
            .collect::<Result<Vec<_>, _>>()
            .and_then(|v| {
                <[_; 2]>::try_from(v)
                    .map_err(|_| "--as takes two forms, e.g. module,component".to_string())
            })
    }) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            eprintln!("wasix-compat: {e}");
            return ExitCode::from(2);
        }
    };
    let setup = parse_run(&rest).and_then(|(_, o)| {
        let engines = engines
            .split(',')
            .map(wasix_compat::engine::by_name)
            .collect::<Result<Vec<_>, _>>()?;
        if engines.len() != 2 {
            return Err("--engines takes two engines, e.g. ours,wasmer-wasix".into());
        }
        Ok((engines, o))
    });
    let (engines, opts) = match setup {
        Ok(x) => x,
        Err(e) => {
            eprintln!("wasix-compat: {e}");
            return ExitCode::from(2);
        }
    };
    let timeout = match timeout.as_deref().map(str::parse::<u64>) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(std::time::Duration::from_secs(n)),
        Some(_) => {
            eprintln!("wasix-compat: --timeout takes a number of seconds (1 or more)");
            return ExitCode::from(2);
        }
    };
    match wasix_compat::diff::diff_as(&opts, [&*engines[0], &*engines[1]], forms, timeout) {
        Ok(report) => {
            match json {
                true => print!("{}", report.json()),
                false => print!("{}", report.text()),
            }
            ExitCode::from(if report.identical() { 0 } else { 1 })
        }
        Err(e) => {
            eprintln!("wasix-compat: diff: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `migrate FILE -o OUT`: 0 written; 1 a module with no WASI 0.2 form (its blockers on
/// stderr); 2 bad usage or a bad file.
fn migrate(args: &[String]) -> ExitCode {
    const U: &str = "(migrate FILE.wasm -o FILE.component.wasm)";
    let (mut file, mut out) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" | "--output" => match it.next() {
                Some(o) => out = Some(o.clone()),
                None => {
                    eprintln!("wasix-compat: -o needs a file {U}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            f if f.starts_with('-') => {
                eprintln!("wasix-compat: unknown migrate option `{f}` {U}");
                return ExitCode::from(2);
            }
            _ if file.is_some() => {
                eprintln!("wasix-compat: migrate takes one file {U}");
                return ExitCode::from(2);
            }
            f => file = Some(f.to_string()),
        }
    }
    let (Some(file), Some(out)) = (file, out) else {
        eprintln!("wasix-compat: migrate needs a file and -o {U}");
        return ExitCode::from(2);
    };
    match wasix_compat::migrate::migrate_file(
        std::path::Path::new(&file),
        std::path::Path::new(&out),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render());
            ExitCode::from(e.exit_code())
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
