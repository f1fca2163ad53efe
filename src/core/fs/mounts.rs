//! One directory tree made of several: an in-memory root with other directories (host
//! directories, other virtual trees) mounted at paths beneath it, as `wasmer run` gives a
//! WASIX program. A [`MountView`] is a directory descriptor somewhere in the root's own
//! part of the tree (the root, `/tmp`'s parent chain, a mount point); whatever is opened
//! inside a mount is an ordinary descriptor of that mount's backend.
//!
//! Paths are walked component by component in the root part (lexically: the in-memory root
//! has no symlinks), absolute paths start at the tree's root (wasix-libc passes them so to
//! the `/` preopen), and the first mount point reached takes over the rest of the path —
//! unless the rest climbs back out of it with `..`, which the root part then resolves, so
//! `/home/../tmp` means `/tmp` as it does for wasmer-wasix.

use super::{Descriptor, DescriptorFlags, Dir, DirEntry, DirKind, NewTimestamp, OpenFlags, Stat};
use crate::core::ErrorCode;
use std::sync::Arc;

type Result<T> = std::result::Result<T, ErrorCode>;

pub struct MountTree {
    /// The root part: an in-memory tree holding a directory at every mount point.
    base: Dir,
    /// (mount point as components, directory mounted there).
    mounts: Vec<(Vec<String>, Dir)>,
}

/// A directory of the root part (or a mount point) of a [`MountTree`].
#[derive(Clone)]
pub struct MountView {
    tree: Arc<MountTree>,
    at: Vec<String>,
}

/// The descriptor of the view at `at` (components) of `tree`.
fn view_dir(tree: &Arc<MountTree>, at: Vec<String>) -> Dir {
    Dir {
        kind: DirKind::Mounts(MountView {
            tree: tree.clone(),
            at,
        }),
        readonly: false,
    }
}

/// Where a path lands.
enum Target<'a> {
    /// In the root part: the path from the root (`.` for the root itself) and its components.
    Base(String, Vec<String>),
    /// Inside mount `i`: the path beneath its directory (`.` for the mount point itself).
    Mount(usize, &'a Dir, String),
}

fn components(guest: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in guest.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if c == ".." {
            return Err(ErrorCode::Invalid);
        }
        out.push(c.to_string());
    }
    Ok(out)
}

/// Whether `rest` (a path inside a mount) climbs above the mount's directory.
fn climbs_out(rest: &[&str]) -> bool {
    let mut depth = 0usize;
    for c in rest {
        match *c {
            "." => {}
            ".." if depth == 0 => return true,
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
}

impl MountTree {
    /// A tree whose root part is `base` (an in-memory tree), with `mounts` at their guest
    /// paths (absolute; `/` itself cannot be a mount here). The mount points are created
    /// in `base` as directories so that listings show them.
    pub fn new(base: Dir, mounts: Vec<(String, Dir)>) -> Result<MountTree> {
        let mut list: Vec<(Vec<String>, Dir)> = Vec::new();
        for (guest, dir) in mounts {
            let comps = components(&guest)?;
            if comps.is_empty() {
                return Err(ErrorCode::Invalid);
            }
            for i in 1..=comps.len() {
                match base.create_directory_at(&comps[..i].join("/")) {
                    Ok(()) | Err(ErrorCode::Exist) => {}
                    Err(e) => return Err(e),
                }
            }
            // A later mount at the same point replaces the earlier one (as --volume does).
            list.retain(|(c, _)| *c != comps);
            list.push((comps, dir));
        }
        Ok(MountTree { base, mounts: list })
    }

    /// A directory descriptor for guest path `at` of this tree (must be in the root part or
    /// a mount point).
    pub fn view(self: &Arc<Self>, at: &str) -> Result<Dir> {
        Ok(view_dir(self, components(at)?))
    }

    fn mount_exact(&self, at: &[&str]) -> Option<(usize, &Dir)> {
        self.mounts
            .iter()
            .enumerate()
            .find(|(_, (c, _))| c.len() == at.len() && c.iter().zip(at).all(|(a, b)| a == b))
            .map(|(i, (_, d))| (i, d))
    }

    /// Whether some mount lies strictly beneath `at` (then `at`'s mount does not own the
    /// whole subtree and the walk goes on in the root part).
    fn has_mount_below(&self, at: &[&str]) -> bool {
        self.mounts
            .iter()
            .any(|(c, _)| c.len() > at.len() && c.iter().zip(at).all(|(a, b)| a == b))
    }
}

impl<'a> Target<'a> {
    /// The directory that serves the path, the path beneath it, and which mount it is
    /// (`None`: the root part, served by `base`).
    fn parts(self, base: &'a Dir) -> (&'a Dir, String, Option<usize>) {
        match self {
            Target::Mount(m, d, r) => (d, r, Some(m)),
            Target::Base(r, _) => (base, r, None),
        }
    }
}

impl MountView {
    /// The root of the tree this view is part of.
    pub fn root(&self) -> Dir {
        view_dir(&self.tree, Vec::new())
    }

    fn resolve(&self, path: &str) -> Result<Target<'_>> {
        if path.is_empty() {
            return Err(ErrorCode::NoEntry);
        }
        if path.contains('\0') {
            return Err(ErrorCode::IllegalByteSequence);
        }
        let trailing = path.ends_with('/');
        let mut at: Vec<&str> = if path.starts_with('/') {
            Vec::new()
        } else {
            self.at.iter().map(String::as_str).collect()
        };
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut i = 0;
        loop {
            if let Some((m, dir)) = self.tree.mount_exact(&at) {
                let rest = &comps[i..];
                if !self.tree.has_mount_below(&at) && !climbs_out(rest) {
                    let mut r = rest.join("/");
                    if r.is_empty() {
                        r.push('.');
                    } else if trailing {
                        r.push('/');
                    }
                    return Ok(Target::Mount(m, dir, r));
                }
            }
            let Some(c) = comps.get(i) else { break };
            match *c {
                "." => {}
                ".." => {
                    at.pop();
                }
                c => at.push(c),
            }
            i += 1;
        }
        let mut r = at.join("/");
        if r.is_empty() {
            r.push('.');
        } else if trailing {
            r.push('/');
        }
        Ok(Target::Base(r, at.into_iter().map(String::from).collect()))
    }

    fn at(&self) -> Result<Target<'_>> {
        self.resolve(".")
    }

    pub fn open_at(
        &self,
        path: &str,
        follow: bool,
        o: OpenFlags,
        f: DescriptorFlags,
    ) -> Result<Descriptor> {
        let view = |at: Vec<String>| Descriptor::Dir(view_dir(&self.tree, at));
        match self.resolve(path)? {
            Target::Mount(m, d, rest) => {
                let opened = d.open_at(&rest, follow, o, f)?;
                // The mount point itself stays a view, so that `..` from it works.
                match (&opened, rest.as_str()) {
                    (Descriptor::Dir(_), ".") => Ok(view(self.tree.mounts[m].0.clone())),
                    _ => Ok(opened),
                }
            }
            Target::Base(r, at) => match self.tree.base.open_at(&r, follow, o, f)? {
                Descriptor::Dir(_) => Ok(view(at)),
                other => Ok(other),
            },
        }
    }

    pub fn stat(&self) -> Result<Stat> {
        self.stat_at(".", true)
    }

    pub fn stat_at(&self, path: &str, follow: bool) -> Result<Stat> {
        match self.resolve(path)? {
            Target::Mount(_, d, rest) if rest == "." => d.stat(),
            Target::Mount(_, d, rest) => d.stat_at(&rest, follow),
            Target::Base(r, _) => self.tree.base.stat_at(&r, follow),
        }
    }

    pub fn set_times_at(
        &self,
        path: &str,
        follow: bool,
        a: NewTimestamp,
        m: NewTimestamp,
    ) -> Result<()> {
        match self.resolve(path)? {
            Target::Mount(_, d, rest) if rest == "." => d.set_times(a, m),
            Target::Mount(_, d, rest) => d.set_times_at(&rest, follow, a, m),
            Target::Base(r, _) => self.tree.base.set_times_at(&r, follow, a, m),
        }
    }

    pub fn set_times(&self, a: NewTimestamp, m: NewTimestamp) -> Result<()> {
        self.set_times_at(".", true, a, m)
    }

    pub fn create_directory_at(&self, path: &str) -> Result<()> {
        match self.resolve(path)? {
            Target::Mount(_, _, rest) if rest == "." => Err(ErrorCode::Exist),
            Target::Mount(_, d, rest) => d.create_directory_at(&rest),
            Target::Base(r, _) => self.tree.base.create_directory_at(&r),
        }
    }

    /// The root part's path of `path`, or the mount's; a mount point itself is `busy`.
    fn mutable(&self, path: &str) -> Result<Target<'_>> {
        match self.resolve(path)? {
            Target::Mount(_, _, rest) if rest == "." => Err(ErrorCode::Busy),
            Target::Base(_, at) if at.is_empty() => Err(ErrorCode::Busy),
            t => Ok(t),
        }
    }

    pub fn remove_directory_at(&self, path: &str) -> Result<()> {
        let (d, rest) = self.resolve_for(path)?;
        d.remove_directory_at(&rest)
    }

    pub fn unlink_file_at(&self, path: &str) -> Result<()> {
        let (d, rest) = self.resolve_for(path)?;
        d.unlink_file_at(&rest)
    }

    /// Resolves the two ends of a rename or link: both in this tree's same part (root part
    /// or one mount), or one end in an ordinary descriptor (whose backend then decides).
    fn pair<'a>(
        &'a self,
        old: &str,
        new_dir: &'a Dir,
        new: &str,
    ) -> Result<(&'a Dir, String, &'a Dir, String)> {
        let (od, or, om) = self.mutable(old)?.parts(&self.tree.base);
        let (nd, nr) = match &new_dir.kind {
            DirKind::Mounts(v) => {
                let (nd, nr, nm) = v.mutable(new)?.parts(&v.tree.base);
                if !Arc::ptr_eq(&self.tree, &v.tree) || om != nm {
                    return Err(ErrorCode::CrossDevice);
                }
                (nd, nr)
            }
            _ => (new_dir, new.to_string()),
        };
        Ok((od, or, nd, nr))
    }

    pub fn rename_at(&self, old: &str, new_dir: &Dir, new: &str) -> Result<()> {
        let (od, or, nd, nr) = self.pair(old, new_dir, new)?;
        od.rename_at(&or, nd, &nr)
    }

    pub fn link_at(&self, old: &str, follow: bool, new_dir: &Dir, new: &str) -> Result<()> {
        let (od, or, nd, nr) = self.pair(old, new_dir, new)?;
        od.link_at(&or, follow, nd, &nr)
    }

    /// The mount-resolved end of a rename / link whose other end is an ordinary
    /// descriptor (`new_dir` is this view).
    pub fn resolve_for(&self, path: &str) -> Result<(&Dir, String)> {
        let (d, r, _) = self.mutable(path)?.parts(&self.tree.base);
        Ok((d, r))
    }

    pub fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        let (d, rest) = self.resolve_for(path)?;
        d.symlink_at(target, &rest)
    }

    pub fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        let (d, rest, _) = self.resolve(path)?.parts(&self.tree.base);
        d.readlink_at(&rest)
    }

    pub fn read_dir(&self) -> Result<Vec<DirEntry>> {
        match self.at()? {
            Target::Mount(_, d, _) => d.read_dir(),
            Target::Base(r, _) => match self.tree.base.open_at(
                &r,
                true,
                OpenFlags {
                    directory: true,
                    ..Default::default()
                },
                DescriptorFlags {
                    read: true,
                    ..Default::default()
                },
            )? {
                Descriptor::Dir(d) => d.read_dir(),
                _ => Err(ErrorCode::NotDirectory),
            },
        }
    }

    pub fn sync(&self) -> Result<()> {
        match self.at()? {
            Target::Mount(_, d, _) => d.sync(),
            Target::Base(..) => Ok(()),
        }
    }
}

/// Whether guest path `guest` names the root itself (`/`, `//`, `/.`): such a mapping
/// replaces the whole tree. `.` is relative (it is `/home`), not the root.
pub fn names_root(guest: &str) -> bool {
    guest.starts_with('/') && guest.split('/').all(|c| c.is_empty() || c == ".")
}

/// Where `wasmer run` puts a mount given with a relative guest path: beneath `/home`
/// (`.` is `/home` itself). Absolute paths are kept, normalized. Returns the absolute guest
/// path and whether it was relative (then the initial working directory is `/home`).
pub fn guest_mount_path(guest: &str) -> Result<(String, bool)> {
    let relative = !guest.starts_with('/');
    let comps = components(guest)?;
    let path = if relative {
        let mut p = String::from("/home");
        for c in &comps {
            p.push('/');
            p.push_str(c);
        }
        p
    } else {
        format!("/{}", comps.join("/"))
    };
    Ok((path, relative))
}

/// The in-memory root `wasmer run` gives a WASIX program: `/.app`, `/.private`, `/bin`,
/// `/dev` (with `null`, `zero`, `urandom`, `stdin`, `stdout`, `stderr`, `tty`, `shm/`),
/// `/etc` and `/tmp`, minus the top-level directories a mount replaces. virtual-fs's own
/// root builder makes it, so the device files behave as wasmer-wasix's do.
pub fn wasix_root_base(mount_points: &[String]) -> Result<Dir> {
    let mapped: Vec<&str> = mount_points.iter().map(String::as_str).collect();
    let tmp = virtual_fs::RootFileSystemBuilder::default().build_tmp_ext(&mapped);
    Dir::virtual_fs(Arc::new(tmp), "/", false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(mounts: &[&str]) -> Arc<MountTree> {
        let list = mounts
            .iter()
            .map(|m| (m.to_string(), Dir::memory()))
            .collect();
        let names: Vec<String> = mounts.iter().map(|m| m.to_string()).collect();
        Arc::new(MountTree::new(wasix_root_base(&names).unwrap(), list).unwrap())
    }

    fn rw() -> DescriptorFlags {
        DescriptorFlags {
            read: true,
            write: true,
            ..Default::default()
        }
    }

    fn create() -> OpenFlags {
        OpenFlags {
            create: true,
            ..Default::default()
        }
    }

    #[test]
    fn relative_mounts_go_under_home() {
        assert_eq!(guest_mount_path(".").unwrap(), ("/home".into(), true));
        assert_eq!(
            guest_mount_path("data/x/").unwrap(),
            ("/home/data/x".into(), true)
        );
        assert_eq!(
            guest_mount_path("/srv//a/").unwrap(),
            ("/srv/a".into(), false)
        );
        assert_eq!(guest_mount_path("/a/../b"), Err(ErrorCode::Invalid));
    }

    #[test]
    fn root_lists_default_dirs_and_mount_points() {
        let t = tree(&["/home", "/srv/data"]);
        let names: Vec<String> = t
            .view("/")
            .unwrap()
            .read_dir()
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        for n in [
            ".app", ".private", "bin", "dev", "etc", "tmp", "home", "srv",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
    }

    #[test]
    fn paths_cross_into_mounts_and_back() {
        let t = tree(&["/home"]);
        let root = t.view("/").unwrap();
        root.open_at("/home/f", true, create(), rw()).unwrap();
        // The file is in the mounted tree, not in the root's placeholder directory.
        let home = t.view("/home").unwrap();
        assert!(home.stat_at("f", true).is_ok());
        assert_eq!(
            t.base.stat_at("home/f", true).err(),
            Some(ErrorCode::NoEntry)
        );
        // `..` out of a mount reaches the root part.
        home.open_at("../tmp/g", true, create(), rw()).unwrap();
        assert!(root.stat_at("tmp/g", true).is_ok());
        assert!(root.stat_at("/home/../tmp/g", true).is_ok());
        // `..` above the root stays at the root, as POSIX says.
        assert!(root.stat_at("../../tmp/g", true).is_ok());
    }

    #[test]
    fn mount_points_are_busy_and_renames_do_not_cross() {
        let t = tree(&["/home", "/data"]);
        let root = t.view("/").unwrap();
        assert_eq!(root.remove_directory_at("home"), Err(ErrorCode::Busy));
        assert_eq!(
            root.rename_at("data", &t.view("/").unwrap(), "x"),
            Err(ErrorCode::Busy)
        );
        root.open_at("/home/f", true, create(), rw()).unwrap();
        let r = root.rename_at("home/f", &t.view("/").unwrap(), "data/f");
        assert_eq!(r, Err(ErrorCode::CrossDevice));
        root.rename_at("home/f", &t.view("/").unwrap(), "home/g")
            .unwrap();
        assert!(root.stat_at("home/g", true).is_ok());
    }

    #[test]
    fn dev_stdout_is_the_process_fd() {
        let t = tree(&[]);
        let root = t.view("/").unwrap();
        let w = DescriptorFlags {
            write: true,
            ..Default::default()
        };
        assert!(matches!(
            root.open_at("/dev/stdout", true, OpenFlags::default(), w),
            Ok(Descriptor::Stdio(1))
        ));
        assert!(matches!(
            root.open_at("dev/null", true, OpenFlags::default(), w),
            Ok(Descriptor::File(_))
        ));
    }
}
