//! Sandbox escapes (DESIGN §6): our own C probe (tests/guests/c/sandbox_ops.c) runs with a
//! preopen `/sandbox` over a temp dir that sits next to a "secret" sibling file and
//! directory on the host. Every escape must fail with an errno, and the host outside the
//! sandbox must be untouched afterwards (names, kinds, contents, link targets, link counts,
//! mtimes). Read-only preopens come from `--dir-ro HOST::GUEST`.
//!
//! Each probe has one expected result (ours):
//! - escapes (`..`, absolute paths, symlinks that resolve outside): `perm`; opening a
//!   final-component symlink *without* `symlink_follow`: `loop` (POSIX `O_NOFOLLOW`);
//! - symlink loops and chains longer than the limit: `loop`;
//! - mutations of a read-only preopen: `rofs`.
//!
//! `WXC_TEST_ENGINE=wasmer-wasix` runs the same assertions under the reference engine: the
//! failures it prints are the differences.

use crate::common;

use common::{build_c, Engine, Outcome, Run, TempDir};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const SECRET: &str = "TOP-SECRET-DATA";
const INNER_SECRET: &str = "INNER-SECRET";
const ESCAPE: &str = "perm";
const ESCAPE_NOFOLLOW: &str = "loop";
const LOOP: &str = "loop";
const RO: &str = "rofs";

fn engine() -> Engine {
    common::engine_from_env()
}

/// Guest builds are serialized: the harness's temp file name is per process, so two test
/// threads building the same guest at once would collide.
static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn probe() -> PathBuf {
    let _g = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    build_c(&["tests/guests/c/sandbox_ops.c"], &[])
}

/// The host layout every test starts from:
///
/// ```text
/// root/secret.txt                  "TOP-SECRET-DATA"
/// root/secretdir/inner.txt         "INNER-SECRET"
/// root/sandbox/                    -> guest /sandbox (read-write)
///     file.txt "hello", sub/file2.txt "sub-hello", sub/deeper/, emptydir/
/// root/ro/                         -> guest /ro (read-only, when a test asks for it)
///     keep.txt "keep", emptydir/, sub/x.txt "x"
/// ```
struct World {
    _tmp: TempDir,
    root: PathBuf,
}

impl World {
    fn new(tag: &str) -> World {
        let tmp = TempDir::new(tag);
        let root = tmp.path().to_path_buf();
        let w = |p: &str, c: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, c).unwrap();
        };
        w("secret.txt", SECRET);
        w("secretdir/inner.txt", INNER_SECRET);
        w("sandbox/file.txt", "hello");
        w("sandbox/sub/file2.txt", "sub-hello");
        std::fs::create_dir_all(root.join("sandbox/sub/deeper")).unwrap();
        std::fs::create_dir_all(root.join("sandbox/emptydir")).unwrap();
        w("ro/keep.txt", "keep");
        w("ro/sub/x.txt", "x");
        std::fs::create_dir_all(root.join("ro/emptydir")).unwrap();
        World { _tmp: tmp, root }
    }
    fn sandbox(&self) -> PathBuf {
        self.root.join("sandbox")
    }
    fn ro(&self) -> PathBuf {
        self.root.join("ro")
    }
    /// Creates a symlink at `sandbox/<at>` pointing to `target` (verbatim).
    fn symlink(&self, target: &str, at: &str) {
        std::os::unix::fs::symlink(target, self.sandbox().join(at)).unwrap();
    }
    /// Everything outside `sandbox/` (the read-only tree included).
    fn snapshot_outside(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        snap(&self.root, &self.root, &mut m, &|rel| {
            rel == "sandbox" || rel.starts_with("sandbox/")
        });
        m
    }
    fn run(&self, ro: bool, ops: &[(&str, &[&str])]) -> BTreeMap<String, String> {
        let mut r = Run::new(probe())
            .engine(engine())
            .dir(&self.sandbox(), "/sandbox");
        if ro {
            r = r.dir_ro(&self.ro(), "/ro");
        }
        for (i, (label, op)) in ops.iter().enumerate() {
            if i > 0 {
                r = r.arg(",");
            }
            r = r.arg(label);
            for a in op.iter() {
                r = r.arg(a);
            }
        }
        let out = r.run();
        parse(&out, ops)
    }
}

fn snap(root: &Path, dir: &Path, m: &mut BTreeMap<String, String>, skip: &dyn Fn(&str) -> bool) {
    let mut ents: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    ents.sort_by_key(|e| e.file_name());
    for e in ents {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if skip(&rel) {
            continue;
        }
        let md = std::fs::symlink_metadata(&p).unwrap();
        let desc = if md.file_type().is_symlink() {
            format!("symlink -> {}", std::fs::read_link(&p).unwrap().display())
        } else if md.is_dir() {
            format!("dir mtime={}.{}", md.mtime(), md.mtime_nsec())
        } else {
            format!(
                "file nlink={} mtime={}.{} mode={:o} {:?}",
                md.nlink(),
                md.mtime(),
                md.mtime_nsec(),
                md.mode(),
                String::from_utf8_lossy(&std::fs::read(&p).unwrap())
            )
        };
        m.insert(rel, desc);
        if md.is_dir() {
            snap(root, &p, m, skip);
        }
    }
}

fn parse(out: &Outcome, ops: &[(&str, &[&str])]) -> BTreeMap<String, String> {
    let text = out.stdout_str();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            m.insert(k.to_string(), v.to_string());
        }
    }
    let missing: Vec<_> = ops
        .iter()
        .map(|o| o.0)
        .filter(|l| !m.contains_key(*l))
        .collect();
    assert!(
        out.code == Some(0) && missing.is_empty(),
        "probe did not complete: code={:?} missing={missing:?}\n--- stdout\n{text}\n--- stderr\n{}",
        out.code,
        out.stderr_str()
    );
    for v in m.values() {
        assert!(
            !v.contains(SECRET) && !v.contains(INNER_SECRET) && !v.contains("root:x:0:0"),
            "secret leaked to the guest:\n{text}"
        );
    }
    m
}

/// Collects every mismatch so one run reports all failing cases.
#[derive(Default)]
struct Check {
    fails: Vec<String>,
}

impl Check {
    fn err(&mut self, res: &BTreeMap<String, String>, label: &str, want: &str) {
        self.ok(res, label, want)
    }
    fn ok(&mut self, res: &BTreeMap<String, String>, label: &str, want: &str) {
        let got = &res[label];
        if got != want {
            self.fails
                .push(format!("{label}: got `{got}`, want `{want}`"));
        }
    }
    fn that(&mut self, cond: bool, what: impl Into<String>) {
        if !cond {
            self.fails.push(what.into());
        }
    }
    fn finish(self, res: &BTreeMap<String, String>) {
        if !self.fails.is_empty() {
            let all: Vec<String> = res.iter().map(|(k, v)| format!("  {k}={v}")).collect();
            panic!(
                "{} sandbox expectation(s) failed:\n  {}\nall results:\n{}",
                self.fails.len(),
                self.fails.join("\n  "),
                all.join("\n")
            );
        }
    }
}

#[test]
pub(crate) fn dotdot_escapes_fail_and_inner_dotdot_works() {
    let w = World::new("sbx-dotdot");
    let before = w.snapshot_outside();
    let res = w.run(
        false,
        &[
            ("plain", &["open", "/sandbox", "../secret.txt", "r"]),
            ("plain_follow", &["open", "/sandbox", "../secret.txt", "fr"]),
            (
                "nested",
                &["open", "/sandbox", "sub/../../secret.txt", "fr"],
            ),
            (
                "nested_deep",
                &["open", "/sandbox", "sub/deeper/../../../secret.txt", "fr"],
            ),
            ("dot_dotdot", &["open", "/sandbox", "./../secret.txt", "fr"]),
            ("dotdot_dir", &["open", "/sandbox", "..", "d"]),
            ("dotdot_slash", &["open", "/sandbox", "../", "d"]),
            (
                "dotdot_secretdir",
                &["open", "/sandbox", "../secretdir/inner.txt", "fr"],
            ),
            (
                "dotdot_back_in",
                &["open", "/sandbox", "../sandbox/file.txt", "fr"],
            ),
            ("dotdot_stat", &["stat", "/sandbox", "../secret.txt", "f"]),
            ("dotdot_readdir", &["readdir", "/sandbox", ".."]),
            (
                "dotdot_create",
                &["open", "/sandbox", "../created.txt", "cw"],
            ),
            ("dotdot_trunc", &["open", "/sandbox", "../secret.txt", "tw"]),
            ("dotdot_mkdir", &["mkdir", "/sandbox", "../newdir"]),
            ("dotdot_unlink", &["unlink", "/sandbox", "../secret.txt"]),
            ("dotdot_rmdir", &["rmdir", "/sandbox", "../secretdir"]),
            ("dotdot_utimes", &["utimes", "/sandbox", "../secret.txt"]),
            (
                "dotdot_symlink_at",
                &["symlink", "file.txt", "/sandbox", "../evil_link"],
            ),
            ("libc_dotdot", &["fopen", "/sandbox/../secret.txt", "r"]),
            // Through a directory fd opened beneath the preopen.
            (
                "subfd_up2",
                &["subopen", "/sandbox", "sub", "../../secret.txt", "fr"],
            ),
            (
                "subfd_up3",
                &[
                    "subopen",
                    "/sandbox",
                    "sub/deeper",
                    "../../../secret.txt",
                    "fr",
                ],
            ),
            (
                "subfd_abs",
                &["subopen", "/sandbox", "sub", "/etc/passwd", "fr"],
            ),
            (
                "subfd_create",
                &[
                    "subopen",
                    "/sandbox",
                    "sub",
                    "../../subfd_created.txt",
                    "cw",
                ],
            ),
            (
                "subfd_up1",
                &["subopen", "/sandbox", "sub", "../file.txt", "fr"],
            ),
            (
                "subfd_inner",
                &["subopen", "/sandbox", "sub", "file2.txt", "fr"],
            ),
            // Positive controls: `..` that stays inside.
            ("inner", &["open", "/sandbox", "sub/../file.txt", "fr"]),
            (
                "inner_deep",
                &["open", "/sandbox", "sub/deeper/../../file.txt", "fr"],
            ),
            (
                "inner_dot",
                &["open", "/sandbox", "./sub/./file2.txt", "fr"],
            ),
            ("inner_stat", &["stat", "/sandbox", "sub/deeper/..", "f"]),
            ("inner_libc", &["fopen", "/sandbox/sub/../file.txt", "r"]),
            ("inner_mkdir", &["mkdir", "/sandbox", "sub/../made"]),
        ],
    );
    let mut c = Check::default();
    for l in [
        "plain",
        "plain_follow",
        "nested",
        "nested_deep",
        "dot_dotdot",
        "dotdot_dir",
        "dotdot_slash",
        "dotdot_secretdir",
        "dotdot_back_in",
        "dotdot_stat",
        "dotdot_readdir",
        "dotdot_create",
        "dotdot_trunc",
        "dotdot_mkdir",
        "dotdot_unlink",
        "dotdot_rmdir",
        "dotdot_utimes",
        "dotdot_symlink_at",
        "subfd_up2",
        "subfd_up3",
        "subfd_abs",
        "subfd_create",
    ] {
        c.err(&res, l, ESCAPE);
    }
    // A directory fd is its own root (as in wasmtime / cap-std): `..` from it is refused,
    // even where it would land back inside the preopen.
    c.err(&res, "subfd_up1", ESCAPE);
    c.ok(&res, "subfd_inner", "ok:sub-hello");
    c.ok(&res, "libc_dotdot", "errno=Operation not permitted");
    c.ok(&res, "inner", "ok:hello");
    c.ok(&res, "inner_deep", "ok:hello");
    c.ok(&res, "inner_dot", "ok:sub-hello");
    // `sub/deeper/..` is `sub`: the host's own size for that directory.
    let sub_size = std::fs::metadata(w.sandbox().join("sub")).unwrap().len();
    c.ok(&res, "inner_stat", &format!("ok:type=3 size={sub_size}"));
    c.ok(&res, "inner_libc", "ok:hello");
    c.ok(&res, "inner_mkdir", "ok");
    c.that(
        w.sandbox().join("made").is_dir(),
        "sub/../made was not created in the sandbox",
    );
    c.that(
        w.snapshot_outside() == before,
        "host outside the sandbox changed",
    );
    c.finish(&res);
}

#[test]
pub(crate) fn absolute_paths_fail() {
    let w = World::new("sbx-abs");
    let before = w.snapshot_outside();
    let host_secret = w.root.join("secret.txt").display().to_string();
    let host_new = w.root.join("abs_created.txt").display().to_string();
    let host_newdir = w.root.join("abs_newdir").display().to_string();
    let res = w.run(
        false,
        &[
            ("etc_passwd", &["open", "/sandbox", "/etc/passwd", "fr"]),
            (
                "etc_passwd_nofollow",
                &["open", "/sandbox", "/etc/passwd", "r"],
            ),
            ("double_slash", &["open", "/sandbox", "//etc/passwd", "fr"]),
            ("root_dir", &["open", "/sandbox", "/", "d"]),
            (
                "guest_abs_self",
                &["open", "/sandbox", "/sandbox/file.txt", "fr"],
            ),
            ("host_abs_secret", &["open", "/sandbox", &host_secret, "fr"]),
            ("host_abs_create", &["open", "/sandbox", &host_new, "cw"]),
            ("host_abs_mkdir", &["mkdir", "/sandbox", &host_newdir]),
            ("host_abs_stat", &["stat", "/sandbox", &host_secret, "f"]),
            ("host_abs_unlink", &["unlink", "/sandbox", &host_secret]),
            (
                "host_abs_rename_to",
                &["rename", "/sandbox", "file.txt", "/sandbox", &host_new],
            ),
            (
                "host_abs_rename_from",
                &["rename", "/sandbox", &host_secret, "/sandbox", "got.txt"],
            ),
            (
                "host_abs_link_from",
                &["link", "/sandbox", &host_secret, "/sandbox", "got.txt", "-"],
            ),
            ("etc_stat", &["stat", "/sandbox", "/etc/passwd", "f"]),
            ("etc_readdir", &["readdir", "/sandbox", "/etc"]),
            ("libc_etc", &["fopen", "/etc/passwd", "r"]),
            // Positive control: the same file by its relative path.
            ("relative", &["open", "/sandbox", "file.txt", "fr"]),
        ],
    );
    let mut c = Check::default();
    for l in [
        "etc_passwd",
        "etc_passwd_nofollow",
        "double_slash",
        "root_dir",
        "guest_abs_self",
        "host_abs_secret",
        "host_abs_create",
        "host_abs_mkdir",
        "host_abs_stat",
        "host_abs_unlink",
        "host_abs_rename_to",
        "host_abs_rename_from",
        "host_abs_link_from",
        "etc_stat",
        "etc_readdir",
    ] {
        c.err(&res, l, ESCAPE);
    }
    c.ok(&res, "libc_etc", "errno=Capabilities insufficient");
    c.ok(&res, "relative", "ok:hello");
    c.that(
        w.sandbox().join("file.txt").exists(),
        "sandbox/file.txt vanished",
    );
    c.that(
        !w.sandbox().join("got.txt").exists(),
        "secret pulled into the sandbox",
    );
    c.that(
        w.snapshot_outside() == before,
        "host outside the sandbox changed",
    );
    c.finish(&res);
}

#[test]
pub(crate) fn symlinks_leading_out_fail() {
    let w = World::new("sbx-symlink");
    let abs_secret = w.root.join("secret.txt").display().to_string();
    let abs_secretdir = w.root.join("secretdir").display().to_string();
    let abs_missing = w.root.join("made_via_abs_link.txt").display().to_string();
    w.symlink("../secret.txt", "out_rel");
    w.symlink("sub/../../secret.txt", "out_rel_deep");
    w.symlink("../../secret.txt", "sub/out_rel2");
    w.symlink(&abs_secret, "out_abs");
    w.symlink("../secretdir", "out_dir");
    w.symlink(&abs_secretdir, "out_dir_abs");
    w.symlink("/", "out_root");
    w.symlink("/etc/passwd", "out_passwd");
    w.symlink("../made_via_link.txt", "out_missing");
    w.symlink(&abs_missing, "out_missing_abs");
    w.symlink("out_rel", "via_inner_to_out"); // inside link -> link that leaves
    w.symlink("sub", "in_dir");
    // Positive controls: links that stay inside.
    w.symlink("file.txt", "in_link");
    w.symlink("sub/file2.txt", "in_link_sub");
    w.symlink("sub/../file.txt", "in_link_dotdot");
    w.symlink("../file.txt", "sub/up_link");
    w.symlink("../sandbox/file.txt", "in_via_parent_name"); // leaves, then re-enters
    let before = w.snapshot_outside();
    let res = w.run(
        false,
        &[
            ("rel_follow", &["open", "/sandbox", "out_rel", "fr"]),
            ("rel_nofollow", &["open", "/sandbox", "out_rel", "r"]),
            (
                "rel_deep_follow",
                &["open", "/sandbox", "out_rel_deep", "fr"],
            ),
            (
                "rel_sub_follow",
                &["open", "/sandbox", "sub/out_rel2", "fr"],
            ),
            ("abs_follow", &["open", "/sandbox", "out_abs", "fr"]),
            ("abs_nofollow", &["open", "/sandbox", "out_abs", "r"]),
            ("passwd_follow", &["open", "/sandbox", "out_passwd", "fr"]),
            (
                "chain_follow",
                &["open", "/sandbox", "via_inner_to_out", "fr"],
            ),
            (
                "dir_follow",
                &["open", "/sandbox", "out_dir/inner.txt", "fr"],
            ),
            (
                "dir_nofollow",
                &["open", "/sandbox", "out_dir/inner.txt", "r"],
            ),
            (
                "dir_abs_follow",
                &["open", "/sandbox", "out_dir_abs/inner.txt", "fr"],
            ),
            (
                "dir_abs_nofollow",
                &["open", "/sandbox", "out_dir_abs/inner.txt", "r"],
            ),
            (
                "root_etc",
                &["open", "/sandbox", "out_root/etc/passwd", "r"],
            ),
            ("dir_open", &["open", "/sandbox", "out_dir", "fd"]),
            ("dir_readdir", &["readdir", "/sandbox", "out_dir"]),
            (
                "dir_dotdot",
                &["open", "/sandbox", "in_dir/../out_dir/inner.txt", "r"],
            ),
            ("stat_follow", &["stat", "/sandbox", "out_rel", "f"]),
            (
                "stat_dir_comp",
                &["stat", "/sandbox", "out_dir/inner.txt", "-"],
            ),
            ("write_follow", &["open", "/sandbox", "out_rel", "fw"]),
            ("trunc_follow", &["open", "/sandbox", "out_rel", "ftw"]),
            (
                "create_via_rel",
                &["open", "/sandbox", "out_missing", "fcw"],
            ),
            (
                "create_via_abs",
                &["open", "/sandbox", "out_missing_abs", "fcw"],
            ),
            (
                "create_in_dir",
                &["open", "/sandbox", "out_dir/new.txt", "cw"],
            ),
            ("mkdir_in_dir", &["mkdir", "/sandbox", "out_dir/newdir"]),
            (
                "unlink_in_dir",
                &["unlink", "/sandbox", "out_dir/inner.txt"],
            ),
            (
                "rename_into_dir",
                &[
                    "rename",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "out_dir/stolen.txt",
                ],
            ),
            (
                "rename_from_dir",
                &[
                    "rename",
                    "/sandbox",
                    "out_dir/inner.txt",
                    "/sandbox",
                    "got.txt",
                ],
            ),
            (
                "link_follow",
                &["link", "/sandbox", "out_rel", "/sandbox", "hard.txt", "f"],
            ),
            (
                "link_from_dir",
                &[
                    "link",
                    "/sandbox",
                    "out_dir/inner.txt",
                    "/sandbox",
                    "hard2.txt",
                    "-",
                ],
            ),
            ("utimes_follow", &["utimes", "/sandbox", "out_rel"]),
            ("setsize_follow", &["setsize", "/sandbox", "out_abs"]),
            ("libc_follow", &["fopen", "/sandbox/out_rel", "r"]),
            ("libc_dir", &["fopen", "/sandbox/out_dir/inner.txt", "r"]),
            // A symlink the guest makes itself, then follows.
            (
                "guest_symlink",
                &["symlink", "../secret.txt", "/sandbox", "guest_out"],
            ),
            (
                "guest_symlink_open",
                &["open", "/sandbox", "guest_out", "fr"],
            ),
            // Not escapes: the link itself is inside.
            ("lstat_out", &["stat", "/sandbox", "out_rel", "-"]),
            ("readlink_out", &["readlink", "/sandbox", "out_rel"]),
            // Positive controls.
            ("in_link", &["open", "/sandbox", "in_link", "fr"]),
            ("in_link_sub", &["open", "/sandbox", "in_link_sub", "fr"]),
            (
                "in_link_dotdot",
                &["open", "/sandbox", "in_link_dotdot", "fr"],
            ),
            ("in_up_link", &["open", "/sandbox", "sub/up_link", "fr"]),
            (
                "in_dir_comp",
                &["open", "/sandbox", "in_dir/file2.txt", "r"],
            ),
            ("in_dir_open", &["open", "/sandbox", "in_dir", "fd"]),
            ("in_dir_readdir", &["readdir", "/sandbox", "in_dir"]),
            ("in_stat", &["stat", "/sandbox", "in_link", "f"]),
            ("in_libc", &["fopen", "/sandbox/in_link_sub", "r"]),
            // Leaves and re-enters by the host name of the sandbox: still an escape, the
            // guest cannot know (or rely on) what lies above its preopen.
            (
                "in_via_parent_name",
                &["open", "/sandbox", "in_via_parent_name", "fr"],
            ),
        ],
    );
    let mut c = Check::default();
    for l in [
        "rel_follow",
        "rel_deep_follow",
        "rel_sub_follow",
        "abs_follow",
        "passwd_follow",
        "chain_follow",
        "dir_follow",
        "dir_nofollow",
        "dir_abs_follow",
        "dir_abs_nofollow",
        "root_etc",
        "dir_open",
        "dir_readdir",
        "dir_dotdot",
        "stat_follow",
        "stat_dir_comp",
        "write_follow",
        "trunc_follow",
        "create_via_rel",
        "create_via_abs",
        "create_in_dir",
        "mkdir_in_dir",
        "unlink_in_dir",
        "rename_into_dir",
        "rename_from_dir",
        "link_follow",
        "link_from_dir",
        "utimes_follow",
        "in_via_parent_name",
    ] {
        c.err(&res, l, ESCAPE);
    }
    // `setsize` opens first: `open=<errno>` is the expected failure.
    let ss = res["setsize_follow"]
        .trim_start_matches("open=")
        .to_string();
    c.that(
        ss == ESCAPE,
        format!("setsize_follow: got `{}`", res["setsize_follow"]),
    );
    c.err(&res, "rel_nofollow", ESCAPE_NOFOLLOW);
    c.err(&res, "abs_nofollow", ESCAPE_NOFOLLOW);
    c.ok(&res, "libc_follow", "errno=Operation not permitted");
    c.ok(&res, "libc_dir", "errno=Operation not permitted");
    // Creating a link whose text points outside is harmless; following it is not.
    c.ok(&res, "guest_symlink", "ok");
    c.err(&res, "guest_symlink_open", ESCAPE);
    c.ok(
        &res,
        "lstat_out",
        &format!("ok:type=7 size={}", "../secret.txt".len()),
    );
    c.ok(&res, "readlink_out", "ok:../secret.txt");
    c.ok(&res, "in_link", "ok:hello");
    c.ok(&res, "in_link_sub", "ok:sub-hello");
    c.ok(&res, "in_link_dotdot", "ok:hello");
    c.ok(&res, "in_up_link", "ok:hello");
    c.ok(&res, "in_dir_comp", "ok:sub-hello");
    c.ok(&res, "in_dir_open", "ok");
    c.ok(
        &res,
        "in_dir_readdir",
        "ok:deeper,file2.txt,out_rel2,up_link",
    );
    c.ok(&res, "in_stat", "ok:type=4 size=5");
    c.ok(&res, "in_libc", "ok:sub-hello");
    c.that(
        w.sandbox().join("file.txt").exists(),
        "sandbox/file.txt vanished",
    );
    for p in ["got.txt", "hard.txt", "hard2.txt"] {
        c.that(
            !w.sandbox().join(p).exists(),
            format!("sandbox/{p} created from outside"),
        );
    }
    c.that(
        w.snapshot_outside() == before,
        diff(&before, &w.snapshot_outside()),
    );
    c.finish(&res);
}

#[test]
pub(crate) fn symlink_loops_and_long_chains_say_loop() {
    let w = World::new("sbx-loop");
    w.symlink("loop_b", "loop_a");
    w.symlink("loop_a", "loop_b");
    w.symlink("self_loop", "self_loop");
    w.symlink("./sub/../dir_loop", "dir_loop");
    // chain_0 -> chain_1 -> ... -> chain_49 -> file.txt: 50 links.
    for i in 0..50 {
        let target = if i == 49 {
            "file.txt".to_string()
        } else {
            format!("chain_{}", i + 1)
        };
        w.symlink(&target, &format!("chain_{i}"));
    }
    // A short chain (5 links) is fine.
    for i in 0..5 {
        let target = if i == 4 {
            "file.txt".to_string()
        } else {
            format!("short_{}", i + 1)
        };
        w.symlink(&target, &format!("short_{i}"));
    }
    let before = w.snapshot_outside();
    let res = w.run(
        false,
        &[
            ("ab_follow", &["open", "/sandbox", "loop_a", "fr"]),
            ("ba_follow", &["open", "/sandbox", "loop_b", "fr"]),
            ("self_follow", &["open", "/sandbox", "self_loop", "fr"]),
            ("dir_loop_follow", &["open", "/sandbox", "dir_loop", "fr"]),
            ("ab_component", &["open", "/sandbox", "loop_a/x", "r"]),
            ("self_component", &["open", "/sandbox", "self_loop/x", "r"]),
            ("ab_stat", &["stat", "/sandbox", "loop_a", "f"]),
            ("ab_create", &["open", "/sandbox", "loop_a", "fcw"]),
            ("ab_mkdir", &["mkdir", "/sandbox", "loop_a/new"]),
            ("chain50_follow", &["open", "/sandbox", "chain_0", "fr"]),
            ("chain50_stat", &["stat", "/sandbox", "chain_0", "f"]),
            ("libc_ab", &["fopen", "/sandbox/loop_a", "r"]),
            // Without follow the final link is not resolved: `loop` (O_NOFOLLOW) too.
            ("ab_nofollow", &["open", "/sandbox", "loop_a", "r"]),
            ("ab_lstat", &["stat", "/sandbox", "loop_a", "-"]),
            // Positive controls.
            ("chain49_follow", &["open", "/sandbox", "chain_1", "fr"]),
            ("short_follow", &["open", "/sandbox", "short_0", "fr"]),
        ],
    );
    let mut c = Check::default();
    for l in [
        "ab_follow",
        "ba_follow",
        "self_follow",
        "dir_loop_follow",
        "ab_component",
        "self_component",
        "ab_stat",
        "ab_create",
        "ab_mkdir",
        "chain50_follow",
        "chain50_stat",
        "ab_nofollow",
    ] {
        c.err(&res, l, LOOP);
    }
    c.ok(&res, "libc_ab", "errno=Symbolic link loop");
    c.ok(&res, "ab_lstat", "ok:type=7 size=6");
    // 49 links is beyond our limit, which is Linux's 40.
    c.err(&res, "chain49_follow", LOOP);
    c.ok(&res, "short_follow", "ok:hello");
    c.that(
        w.snapshot_outside() == before,
        diff(&before, &w.snapshot_outside()),
    );
    c.finish(&res);
}

#[test]
pub(crate) fn rename_and_link_out_of_the_preopen_fail() {
    let w = World::new("sbx-rename");
    let before = w.snapshot_outside();
    let secret_nlink = std::fs::metadata(w.root.join("secret.txt"))
        .unwrap()
        .nlink();
    let res = w.run(
        false,
        &[
            (
                "rename_out",
                &[
                    "rename",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "../stolen.txt",
                ],
            ),
            (
                "rename_out_nested",
                &[
                    "rename",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "sub/../../stolen.txt",
                ],
            ),
            (
                "rename_out_dir",
                &["rename", "/sandbox", "sub", "/sandbox", "../stolen_dir"],
            ),
            (
                "rename_over_secret",
                &[
                    "rename",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "../secret.txt",
                ],
            ),
            (
                "rename_in",
                &["rename", "/sandbox", "../secret.txt", "/sandbox", "got.txt"],
            ),
            (
                "rename_in_dir",
                &["rename", "/sandbox", "../secretdir", "/sandbox", "gotdir"],
            ),
            (
                "link_out",
                &[
                    "link",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "../linked.txt",
                    "-",
                ],
            ),
            (
                "link_out_nested",
                &[
                    "link",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "sub/../../linked.txt",
                    "-",
                ],
            ),
            (
                "link_in",
                &[
                    "link",
                    "/sandbox",
                    "../secret.txt",
                    "/sandbox",
                    "got_link.txt",
                    "-",
                ],
            ),
            (
                "link_in_follow",
                &[
                    "link",
                    "/sandbox",
                    "../secret.txt",
                    "/sandbox",
                    "got_link2.txt",
                    "f",
                ],
            ),
            (
                "symlink_out_at",
                &["symlink", "file.txt", "/sandbox", "../evil_link"],
            ),
            // Positive controls: rename / link inside.
            (
                "rename_inside",
                &[
                    "rename",
                    "/sandbox",
                    "sub/file2.txt",
                    "/sandbox",
                    "moved.txt",
                ],
            ),
            (
                "link_inside",
                &[
                    "link",
                    "/sandbox",
                    "file.txt",
                    "/sandbox",
                    "sub/hard.txt",
                    "-",
                ],
            ),
            ("read_moved", &["open", "/sandbox", "moved.txt", "r"]),
            ("read_hard", &["open", "/sandbox", "sub/hard.txt", "r"]),
        ],
    );
    let mut c = Check::default();
    for l in [
        "rename_out",
        "rename_out_nested",
        "rename_out_dir",
        "rename_over_secret",
        "rename_in",
        "rename_in_dir",
        "link_out",
        "link_out_nested",
        "link_in",
        "link_in_follow",
        "symlink_out_at",
    ] {
        c.err(&res, l, ESCAPE);
    }
    c.ok(&res, "rename_inside", "ok");
    // Hard links within the preopen work.
    c.ok(&res, "link_inside", "ok");
    c.ok(&res, "read_hard", "ok:hello");
    c.ok(&res, "read_moved", "ok:sub-hello");
    c.that(
        std::fs::read_to_string(w.sandbox().join("file.txt"))
            .ok()
            .as_deref()
            == Some("hello"),
        "sandbox/file.txt changed",
    );
    c.that(w.sandbox().join("sub").is_dir(), "sandbox/sub moved");
    c.that(
        std::fs::metadata(w.root.join("secret.txt"))
            .unwrap()
            .nlink()
            == secret_nlink,
        "secret.txt gained a hard link",
    );
    c.that(
        w.snapshot_outside() == before,
        diff(&before, &w.snapshot_outside()),
    );
    c.finish(&res);
}

#[test]
pub(crate) fn read_only_preopen_refuses_every_mutation() {
    let w = World::new("sbx-ro");
    // A link in the writable preopen that points into the read-only one: leaving /sandbox.
    w.symlink("../ro/keep.txt", "to_ro");
    let before = w.snapshot_outside();
    let res = w.run(
        true,
        &[
            ("trunc", &["open", "/ro", "keep.txt", "t"]),
            ("trunc_follow", &["open", "/ro", "keep.txt", "ft"]),
            ("trunc_dotdot", &["open", "/ro", "sub/../keep.txt", "ft"]),
            ("creat", &["open", "/ro", "new.txt", "c"]),
            ("creat_excl", &["open", "/ro", "new2.txt", "cx"]),
            ("creat_sub", &["open", "/ro", "sub/new.txt", "cw"]),
            ("unlink", &["unlink", "/ro", "keep.txt"]),
            ("unlink_sub", &["unlink", "/ro", "sub/x.txt"]),
            ("mkdir", &["mkdir", "/ro", "newdir"]),
            ("rmdir", &["rmdir", "/ro", "emptydir"]),
            ("symlink", &["symlink", "keep.txt", "/ro", "newlink"]),
            ("utimes", &["utimes", "/ro", "keep.txt"]),
            (
                "rename_within",
                &["rename", "/ro", "keep.txt", "/ro", "renamed.txt"],
            ),
            (
                "rename_rw_to_ro",
                &["rename", "/sandbox", "file.txt", "/ro", "file.txt"],
            ),
            (
                "rename_ro_to_rw",
                &["rename", "/ro", "keep.txt", "/sandbox", "stolen.txt"],
            ),
            (
                "rename_ro_dir_to_rw",
                &["rename", "/ro", "sub", "/sandbox", "stolen_dir"],
            ),
            (
                "link_ro_to_rw",
                &["link", "/ro", "keep.txt", "/sandbox", "hard.txt", "-"],
            ),
            (
                "link_rw_to_ro",
                &["link", "/sandbox", "file.txt", "/ro", "hard.txt", "-"],
            ),
            (
                "link_within",
                &["link", "/ro", "keep.txt", "/ro", "hard.txt", "-"],
            ),
            ("via_rw_symlink", &["open", "/sandbox", "to_ro", "ftw"]),
            (
                "dotdot_from_rw",
                &["open", "/sandbox", "../ro/keep.txt", "tw"],
            ),
            // Open for writing: refused at open, or the write itself is refused.
            ("write", &["open", "/ro", "keep.txt", "w"]),
            ("setsize", &["setsize", "/ro", "keep.txt"]),
            ("fdtimes", &["fdtimes", "/ro", "keep.txt"]),
            // A directory fd opened beneath a read-only preopen is read-only too.
            ("subfd_creat", &["subopen", "/ro", "sub", "new.txt", "cw"]),
            ("subfd_trunc", &["subopen", "/ro", "sub", "x.txt", "t"]),
            ("subfd_write", &["subopen", "/ro", "sub", "x.txt", "w"]),
            ("subfd_read", &["subopen", "/ro", "sub", "x.txt", "r"]),
            // Reads work.
            ("read", &["open", "/ro", "keep.txt", "r"]),
            ("read_sub", &["open", "/ro", "sub/x.txt", "fr"]),
            ("readdir", &["readdir", "/ro", "."]),
            ("stat", &["stat", "/ro", "keep.txt", "f"]),
            // The writable preopen still works next to it.
            ("rw_create", &["open", "/sandbox", "new_rw.txt", "cw"]),
        ],
    );
    let mut c = Check::default();
    for l in [
        "trunc",
        "trunc_follow",
        "trunc_dotdot",
        "creat",
        "creat_excl",
        "creat_sub",
        "unlink",
        "unlink_sub",
        "mkdir",
        "rmdir",
        "symlink",
        "utimes",
        "rename_within",
        "rename_rw_to_ro",
        "rename_ro_to_rw",
        "rename_ro_dir_to_rw",
        "link_ro_to_rw",
        "link_rw_to_ro",
        "link_within",
        "subfd_creat",
        "subfd_trunc",
    ] {
        c.err(&res, l, RO);
    }
    c.ok(&res, "fdtimes", RO);
    c.ok(&res, "setsize", "open=rofs");
    c.ok(&res, "subfd_read", "ok:x");
    c.err(&res, "via_rw_symlink", ESCAPE);
    c.err(&res, "dotdot_from_rw", ESCAPE);
    c.ok(&res, "write", RO);
    c.ok(&res, "subfd_write", RO);
    c.ok(&res, "read", "ok:keep");
    c.ok(&res, "read_sub", "ok:x");
    c.ok(&res, "readdir", "ok:emptydir,keep.txt,sub");
    c.ok(&res, "stat", "ok:type=4 size=4");
    c.ok(&res, "rw_create", "ok:wrote=5");
    c.that(
        std::fs::read_to_string(w.sandbox().join("file.txt"))
            .ok()
            .as_deref()
            == Some("hello"),
        "sandbox/file.txt changed",
    );
    c.that(
        !w.sandbox().join("stolen.txt").exists(),
        "ro/keep.txt moved into the sandbox",
    );
    c.that(
        !w.sandbox().join("hard.txt").exists(),
        "ro/keep.txt linked into the sandbox",
    );
    c.that(
        w.snapshot_outside() == before,
        diff(&before, &w.snapshot_outside()),
    );
    c.finish(&res);
}

#[test]
pub(crate) fn sandbox_mapped_at_guest_root_does_not_escape() {
    let w = World::new("sbx-root");
    w.symlink("../secret.txt", "out_rel");
    w.symlink("/", "to_root");
    let before = w.snapshot_outside();
    let spec = format!("{}::/", w.sandbox().display());
    let ops: &[(&str, &[&str])] = &[
        ("dotdot", &["open", "/", "../secret.txt", "fr"]),
        ("dotdot_dir", &["open", "/", "..", "d"]),
        ("nested", &["open", "/", "sub/../../secret.txt", "fr"]),
        ("symlink_out", &["open", "/", "out_rel", "fr"]),
        ("abs_etc", &["open", "/", "/etc/passwd", "fr"]),
        ("create_up", &["open", "/", "../created.txt", "cw"]),
        ("readdir_up", &["readdir", "/", ".."]),
        ("libc_dotdot", &["fopen", "/../secret.txt", "r"]),
        ("libc_deep", &["fopen", "/../../../../../etc/passwd", "r"]),
        ("libc_rel", &["fopen", "../secret.txt", "r"]),
        // An absolute symlink to `/` means the host root (never the guest root) or is refused.
        ("abs_root_link", &["open", "/", "to_root/etc/passwd", "r"]),
        // Positive controls.
        ("file", &["fopen", "/file.txt", "r"]),
        ("file_rel", &["fopen", "sub/../file.txt", "r"]),
    ];
    let mut r = Run::new(probe()).engine(engine()).flag("--dir").flag(&spec);
    for (i, (label, op)) in ops.iter().enumerate() {
        if i > 0 {
            r = r.arg(",");
        }
        r = r.arg(label);
        for a in op.iter() {
            r = r.arg(a);
        }
    }
    let res = parse(&r.run(), ops);
    let mut c = Check::default();
    for l in [
        "dotdot",
        "dotdot_dir",
        "nested",
        "symlink_out",
        "abs_etc",
        "create_up",
        "readdir_up",
        "abs_root_link",
    ] {
        c.err(&res, l, ESCAPE);
    }
    c.ok(&res, "libc_dotdot", "errno=Operation not permitted");
    c.ok(&res, "libc_deep", "errno=Operation not permitted");
    c.ok(&res, "libc_rel", "errno=Operation not permitted");
    c.ok(&res, "file", "ok:hello");
    c.ok(&res, "file_rel", "ok:hello");
    c.that(
        w.snapshot_outside() == before,
        diff(&before, &w.snapshot_outside()),
    );
    c.finish(&res);
}

fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    let mut out = String::from("host outside the sandbox changed:");
    for (k, v) in a {
        match b.get(k) {
            None => out += &format!("\n  removed {k}: {v}"),
            Some(v2) if v2 != v => out += &format!("\n  changed {k}: {v} => {v2}"),
            _ => {}
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            out += &format!("\n  added {k}: {v}");
        }
    }
    out
}
