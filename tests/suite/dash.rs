//! A real shell runs its scripts (issue 12): Debian's dash 0.5.12, built with wasix-libc and
//! asyncified at test time by `scripts/build-dash.sh` (cached under
//! ~/.cache/wasix-compat/dash, never committed), runs `sh -c SCRIPT` on our engine.
//!
//! Each run has dash as `/bin/sh` in a temporary directory mapped at `/bin`, beside the
//! external commands of `tests/guests/wasix/procs/sh_tools.c` (`cat`, `upper`, `lines`,
//! `args`, `status`; dash's `echo`, `printf`, `test`, `kill`, `true` and `false` are
//! builtins), with `PATH=/bin` and `--sigchld` (dash's `wait` waits for its SIGCHLD
//! handler). Every test states the exact stdout and exit status.
//!
//! dash forks for subshells, pipelines, command substitution and background jobs, vforks
//! (in place: the child borrows the shell's instance) and execs for every external command
//! (Debian's patch 0004 keeps it from exec'ing the last command of `-c` in place), and
//! setjmps for every exception handler.

use crate::common;

use common::{build_wasix_c, show, skip_without_wasix_libc, Run, TempDir, WASIX_REV};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// How long one script may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The external commands, one program acting by the name it runs under.
const TOOLS: &[&str] = &["cat", "upper", "lines", "args", "status"];

macro_rules! skip_unless_wasix_libc {
    ($name:expr) => {
        if skip_without_wasix_libc($name) {
            return;
        }
    };
}

/// `dash.wasm`, built by `scripts/build-dash.sh` once per test process (the script itself
/// returns at once when its cache holds this recipe's build).
fn dash() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let p = common::build_script(&common::repo().join("scripts/build-dash.sh"), &[]);
        assert!(p.is_file(), "scripts/build-dash.sh printed no dash.wasm");
        p
    })
}

/// `sh_tools.c`, built once.
fn tools() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| build_wasix_c(&["tests/guests/wasix/procs/sh_tools.c"], &[], WASIX_REV))
}

/// An executable copy of `from` at `dir/name`.
fn install(from: &Path, dir: &Path, name: &str) {
    use std::os::unix::fs::PermissionsExt;
    let to = dir.join(name);
    std::fs::copy(from, &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `/bin` with `sh` and the tools; keep it until the run is over.
fn bin_dir() -> TempDir {
    let bin = TempDir::new("dash-bin");
    install(dash(), bin.path(), "sh");
    for t in TOOLS {
        install(tools(), bin.path(), t);
    }
    bin
}

/// `sh -c SCRIPT` with `bin` at `/bin`.
fn sh_in(bin: &TempDir, script: &str) -> Run {
    Run::new(bin.path().join("sh"))
        .dir(bin.path(), "/bin")
        .env("PATH", "/bin")
        .flag("--sigchld")
        .arg("-c")
        .arg(script)
        .timeout(TIMEOUT)
}

/// Runs the script; it must exit with `code` having printed exactly `stdout`.
fn check_run(run: Run, code: i32, stdout: &str) {
    let out = run.run();
    assert!(!out.timed_out, "timed out\n{}", show(&out));
    assert_eq!(
        (out.code, out.stdout_str().as_str()),
        (Some(code), stdout),
        "\n{}",
        show(&out)
    );
}

fn check(script: &str, code: i32, stdout: &str) {
    let bin = bin_dir();
    check_run(sh_in(&bin, script), code, stdout);
}

#[test]
fn dash_exit_status() {
    skip_unless_wasix_libc!("dash_exit_status");
    check("exit 3", 3, "");
}

#[test]
fn dash_echo_two_lines() {
    skip_unless_wasix_libc!("dash_echo_two_lines");
    check("echo hi; echo there", 0, "hi\nthere\n");
}

#[test]
fn dash_variables_and_arithmetic() {
    skip_unless_wasix_libc!("dash_variables_and_arithmetic");
    check(
        r#"x=6; y=$((x * 7)); echo "$x*7=$y"; z=${unset:-dflt}; echo $z ${#z} $((y % 5 + (1 << 4)))"#,
        0,
        "6*7=42\ndflt 4 18\n",
    );
}

#[test]
fn dash_if_while_for_case() {
    skip_unless_wasix_libc!("dash_if_while_for_case");
    check(
        "for i in 1 2 3; do if [ $i = 2 ]; then echo two; else echo $i; fi; done; \
         n=0; while [ $n -lt 4 ]; do n=$((n+1)); done; echo n=$n; \
         case abc in x*) echo no;; a*) echo case;; esac",
        0,
        "1\ntwo\n3\nn=4\ncase\n",
    );
}

/// `$( )` of a builtin and of an external command (a fork, a pipe, then an exec).
#[test]
fn dash_command_substitution() {
    skip_unless_wasix_libc!("dash_command_substitution");
    check(
        r#"v=$(echo x); echo "[$v]" $(echo a; echo b) "$(args 1 '2 3')""#,
        0,
        "[x] a b 2 [1] [2 3]\n",
    );
}

/// Three-stage pipelines of external commands; a pipeline's status is its last command's.
#[test]
fn dash_pipelines() {
    skip_unless_wasix_libc!("dash_pipelines");
    check(
        "echo hello | upper | cat; printf 'a\\nb\\nc\\n' | cat | lines; \
         echo x | status 4; echo st=$?",
        0,
        "HELLO\n3\nst=4\n",
    );
}

#[test]
fn dash_redirections() {
    skip_unless_wasix_libc!("dash_redirections");
    check(
        "echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f; lines < /tmp/f; \
         read first < /tmp/f; echo first=$first; cat /tmp/f | lines",
        0,
        "one\ntwo\n2\nfirst=one\n2\n",
    );
}

/// `2>&1` of a builtin group and of an external command (its own message on stderr).
#[test]
fn dash_stderr_to_stdout() {
    skip_unless_wasix_libc!("dash_stderr_to_stdout");
    check(
        "{ echo out; echo err >&2; } 2>&1 | upper; cat /nonexistent 2>&1; echo st=$?; \
         echo gone 2>/dev/null >&2",
        0,
        "OUT\nERR\ncat: /nonexistent: cannot open\nst=1\n",
    );
}

#[test]
fn dash_here_documents() {
    skip_unless_wasix_libc!("dash_here_documents");
    check(
        "x=var\ncat <<EOF\nline $x\n$((1+2))\nEOF\ncat <<'E'\n$x raw\nE\nlines <<EOF\n1\n2\nEOF",
        0,
        "line var\n3\n$x raw\n2\n",
    );
}

/// A subshell's variables, directory and exit stay in it.
#[test]
fn dash_subshells() {
    skip_unless_wasix_libc!("dash_subshells");
    check(
        "x=1; (x=2; echo in $x; exit 4); echo st=$? x=$x; (cd /tmp && pwd); \
         cd /bin; (cd /tmp); pwd",
        0,
        "in 2\nst=4 x=1\n/tmp\n/bin\n",
    );
}

#[test]
fn dash_and_or_lists() {
    skip_unless_wasix_libc!("dash_and_or_lists");
    check(
        r#"true && echo a; false && echo b; false || echo c; status 3 || echo "st=$?"; status 0 && status 5; echo $?"#,
        0,
        "a\nc\nst=3\n5\n",
    );
}

/// An external command that is not there: dash's message on stderr and 127.
#[test]
fn dash_command_not_found() {
    skip_unless_wasix_libc!("dash_command_not_found");
    check(
        "nosuch 2>&1; echo st=$?; /bin/nosuch 2>&1; echo st=$?",
        0,
        "sh: 1: nosuch: not found\nst=127\nsh: 1: /bin/nosuch: not found\nst=127\n",
    );
}

/// Background jobs and the `wait` builtin: `wait PID` gives the job's status, plain `wait`
/// waits for them all.
#[test]
fn dash_background_and_wait() {
    skip_unless_wasix_libc!("dash_background_and_wait");
    check(
        "(exit 5) & wait $!; echo st=$?; status 7 & p=$!; wait $p; echo st=$?; \
         echo bg | upper & wait; echo done",
        0,
        "st=5\nst=7\nBG\ndone\n",
    );
}

/// A trap runs when the shell signals itself; the EXIT trap at the end.
#[test]
fn dash_trap_usr1() {
    skip_unless_wasix_libc!("dash_trap_usr1");
    check(
        "trap 'echo T' USR1; kill -USR1 $$; echo after; trap 'echo bye' EXIT",
        0,
        "T\nafter\nbye\n",
    );
}

/// A `#!/bin/sh` file run by path: exec fails with `noexec` (not wasm), and dash runs it as
/// a script in a new shell.
#[test]
fn dash_script_file_by_path() {
    skip_unless_wasix_libc!("dash_script_file_by_path");
    let bin = bin_dir();
    let scripts = TempDir::new("dash-scripts");
    let file = scripts.path().join("run.sh");
    std::fs::write(
        &file,
        "#!/bin/sh\necho \"script $# $1\"\nargs \"$@\"\nexit 9\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = sh_in(
        &bin,
        "/s/run.sh a 'b c'; echo st=$?; sh /s/run.sh; echo st=$?",
    )
    .dir(scripts.path(), "/s");
    check_run(
        run,
        0,
        "script 2 a\n2 [a] [b c]\nst=9\nscript 0 \n0\nst=9\n",
    );
}

/// `set -e` ends the shell at a failing simple command, but not in a condition, in `||`
/// lists or after `!`.
#[test]
fn dash_set_e() {
    skip_unless_wasix_libc!("dash_set_e");
    check("set -e; echo one; false; echo not", 1, "one\n");
    check(
        "set -e; false || true; if status 2; then :; fi; ! true; status 1 && echo no; \
         echo survived; status 3; echo not",
        3,
        "survived\n",
    );
}

/// `exec N>FILE` keeps a file open in the shell for later redirections. (fd 8: fds 3 and 4
/// are the preopens `/` and `/bin` here, which a shell must not reuse — see the module
/// notes in docs/processes-design.md §4.)
#[test]
fn dash_exec_keeps_a_file_open() {
    skip_unless_wasix_libc!("dash_exec_keeps_a_file_open");
    check(
        "exec 8> /tmp/g; echo hi >&8; args x >&8; exec 8>&-; cat /tmp/g; exec args last",
        0,
        "hi\n1 [x]\n1 [last]\n",
    );
}

/// Functions, `local`, `shift`, `eval`, `getopts`, and a `while read` loop fed by a pipe.
#[test]
fn dash_functions_eval_getopts_read() {
    skip_unless_wasix_libc!("dash_functions_eval_getopts_read");
    check(
        r#"f() { local a=$1; shift; echo "$a:$#:$*"; return 3; }; f x y z; echo st=$?;
           eval "echo ev\$((1+1))"; set -- -a -b v; while getopts ab: o; do echo "$o$OPTARG"; done;
           printf '1\n2\n' | while read l; do echo "<$l>"; done"#,
        0,
        "x:2:y z\nst=3\nev2\na\nbv\n<1>\n<2>\n",
    );
}

/// 3000 lines through a pipe into an external command; a nested `sh -c`.
#[test]
fn dash_long_pipe_and_nested_shells() {
    skip_unless_wasix_libc!("dash_long_pipe_and_nested_shells");
    check(
        r#"i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done | lines;
           sh -c 'sh -c "exit 7"'; echo st=$?"#,
        0,
        "3000\nst=7\n",
    );
}

/// With no `-c`, dash reads its script from stdin.
#[test]
fn dash_script_on_stdin() {
    skip_unless_wasix_libc!("dash_script_on_stdin");
    let bin = bin_dir();
    let run = Run::new(bin.path().join("sh"))
        .dir(bin.path(), "/bin")
        .env("PATH", "/bin")
        .flag("--sigchld")
        .stdin(b"echo from stdin | upper\nexit 4\n")
        .timeout(TIMEOUT);
    check_run(run, 4, "FROM STDIN\n");
}

/// `kill` of a background job that spins (the parent counts to 300 first, so the job is in
/// its loop, whose only import is setjmp's `stack_checkpoint`): SIGTERM ends it with 127,
/// not 143 (128+TERM), because wasix-libc's default action prints "Program recieved
/// termination signal" and exits 127 (the libc's behaviour, the same under wasmer;
/// docs/processes-design.md §3.8); SIGKILL gives 137 and dash's "Killed".
#[test]
fn dash_kill_a_background_job() {
    skip_unless_wasix_libc!("dash_kill_a_background_job");
    let spin = "(while :; do :; done) & p=$!; i=0; while [ $i -lt 300 ]; do i=$((i+1)); done";
    check(
        &format!(
            "{spin}; kill $p; wait $p; echo st=$?; {spin}; kill -9 $p; wait $p 2>&1; echo st=$?"
        ),
        0,
        "st=127\nKilled\nst=137\n",
    );
}

/// `exec 3>FILE` replaces fd 3, the number of the `/` preopen that wasix-libc passes every
/// absolute path with: the shell's own opens of absolute paths still work (the host
/// resolves an absolute path from the root when the fd cannot serve it, as POSIX `openat`
/// ignores the fd then). External commands started while fd 3 is not the preopen find no
/// preopens at all (wasix-libc stops its preopen scan at fd 3), so this uses builtins only.
#[test]
fn dash_exec_3_then_open_absolute_paths() {
    skip_unless_wasix_libc!("dash_exec_3_then_open_absolute_paths");
    check(
        r#"exec 3> /tmp/g; echo hi >&3; read x < /tmp/g; echo "[$x]"; echo more > /tmp/h;
           read y < /tmp/h; echo "[$y]"; cd /tmp && echo "$PWD"; set -- /tmp/*; echo $#"#,
        0,
        "[hi]\n[more]\n/tmp\n2\n",
    );
}
