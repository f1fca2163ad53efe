//! Finding and reading a program for exec and spawn: guest paths (absolute, or relative to
//! the cwd) resolved through the process's preopened directories, PATH search, and what
//! kind of file was found. The front end decides what a module is and how to run it.

use super::error::ErrorCode;
use super::fds::FdKind;
use super::fs::{DescriptorFlags, DescriptorType, Dir, DirKind, OpenFlags};
use super::process::Process;
use std::io::IoSliceMut;
use std::sync::Arc;

/// Where PATH lookups go when the caller gives no PATH (wasmer-wasix's default too).
pub const DEFAULT_PATH: &str = "/usr/local/bin:/bin:/usr/bin";

/// Largest program read for exec/spawn (a bigger file is `InsufficientMemory`).
pub const MAX_PROGRAM: u64 = 512 << 20;

/// What a program file holds, by its first bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Program {
    /// `\0asm`: a module or component.
    Wasm(Vec<u8>),
    /// `#!interpreter [arg]`: the interpreter's path and its optional argument.
    Script {
        interpreter: String,
        arg: Option<String>,
    },
    /// Anything else (exec says ENOEXEC, so a shell runs it as a script itself).
    Other,
}

/// `/a/./b/../c/` → `/a/c`; `..` above the root stays at the root (lexical, as a shell's
/// `cd` and wasix-libc's own cwd string treat it).
pub fn normalize_abs(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Process {
    /// `path` made absolute against the cwd and normalised.
    pub fn absolute(&self, path: &str) -> String {
        normalize_abs(&if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}/{path}", self.cwd())
        })
    }

    /// The root of the WASIX root tree (`/` in memory with the mounts beneath), from any
    /// fd that is a directory of it: the `/` preopen's fd may have been closed or replaced
    /// (`exec 3>file` in a shell), the tree is still the process's root. `None` without a
    /// WASIX root (plain preopens).
    pub fn mount_root(&self) -> Option<Dir> {
        self.fds
            .entries()
            .into_iter()
            .find_map(|(_, e)| match &e.kind {
                FdKind::Dir(d) => match &d.kind {
                    DirKind::Mounts(v) => Some(v.root()),
                    _ => None,
                },
                _ => None,
            })
    }

    /// The preopened directory with the longest guest path containing `abs` (normalised),
    /// and the rest of the path below it ("" for the directory itself); without one (the
    /// `/` preopen's fd was closed or replaced), the WASIX root tree's root if there is one.
    pub fn resolve_abs(&self, abs: &str) -> Result<(Arc<Dir>, String), ErrorCode> {
        let mut best: Option<(usize, Arc<Dir>, String)> = None;
        for (_, e) in self.fds.entries() {
            let (Some(root), FdKind::Dir(d)) = (&e.preopen, &e.kind) else {
                continue;
            };
            let root = normalize_abs(root);
            let rest = if root == "/" {
                Some(abs.trim_start_matches('/'))
            } else {
                abs.strip_prefix(root.as_str())
                    .filter(|r| r.is_empty() || r.starts_with('/'))
                    .map(|r| r.trim_start_matches('/'))
            };
            if let Some(rest) = rest {
                if best.as_ref().is_none_or(|(n, _, _)| root.len() > *n) {
                    best = Some((root.len(), d.clone(), rest.to_string()));
                }
            }
        }
        if let Some((_, d, r)) = best {
            return Ok((d, r));
        }
        let root = self.mount_root().ok_or(ErrorCode::NoEntry)?;
        Ok((Arc::new(root), abs.trim_start_matches('/').to_string()))
    }

    /// The program `name` names: with `search` and no `/` in it, the first regular file
    /// in `path` (`None`: [`DEFAULT_PATH`]; an empty entry is the cwd); else `name`
    /// against the cwd. Returns its absolute guest path. Not found anywhere: `Access` if
    /// some candidate was refused so, else `NoEntry`.
    pub fn find_program(
        &self,
        name: &str,
        search: bool,
        path: Option<&str>,
    ) -> Result<String, ErrorCode> {
        if name.is_empty() {
            return Err(ErrorCode::NoEntry);
        }
        if name.split('/').any(|c| c.len() > 255) {
            return Err(ErrorCode::NameTooLong);
        }
        if !search || name.contains('/') {
            let abs = self.absolute(name);
            self.program_stat(&abs)?;
            return Ok(abs);
        }
        let mut denied = false;
        for dir in path.unwrap_or(DEFAULT_PATH).split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let abs = self.absolute(&format!("{dir}/{name}"));
            match self.program_stat(&abs) {
                Ok(()) => return Ok(abs),
                Err(ErrorCode::Access) => denied = true,
                Err(_) => {}
            }
        }
        Err(if denied {
            ErrorCode::Access
        } else {
            ErrorCode::NoEntry
        })
    }

    /// `abs` exists and is a regular file (a directory is `Access`, as execve says).
    fn program_stat(&self, abs: &str) -> Result<(), ErrorCode> {
        let (dir, rest) = self.resolve_abs(abs)?;
        let st = if rest.is_empty() {
            dir.stat()?
        } else {
            dir.stat_at(&rest, true)?
        };
        match st.ty() {
            DescriptorType::RegularFile => Ok(()),
            _ => Err(ErrorCode::Access),
        }
    }

    /// Reads the program at absolute guest path `abs` and tells what it is.
    pub fn read_program(&self, abs: &str) -> Result<Program, ErrorCode> {
        let (dir, rest) = self.resolve_abs(abs)?;
        if rest.is_empty() {
            return Err(ErrorCode::Access);
        }
        let read = DescriptorFlags {
            read: true,
            ..Default::default()
        };
        let file = match dir.open_at(&rest, true, OpenFlags::default(), read)? {
            super::fs::Descriptor::File(f) => f,
            _ => return Err(ErrorCode::Access),
        };
        let size = file.stat()?.size;
        if size > MAX_PROGRAM {
            return Err(ErrorCode::InsufficientMemory);
        }
        let mut bytes = vec![0u8; size as usize];
        let mut got = 0usize;
        while got < bytes.len() {
            let n = file.read_at(&mut [IoSliceMut::new(&mut bytes[got..])], Some(got as u64))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        bytes.truncate(got);
        Ok(classify(bytes))
    }
}

/// A program's kind by its first bytes (a `#!` line is read up to 255 bytes, as Linux).
pub fn classify(bytes: Vec<u8>) -> Program {
    if bytes.starts_with(b"\0asm") {
        return Program::Wasm(bytes);
    }
    let Some(line) = bytes.strip_prefix(b"#!") else {
        return Program::Other;
    };
    let end = line
        .iter()
        .take(255)
        .position(|b| *b == b'\n')
        .unwrap_or(line.len().min(255));
    let Ok(line) = std::str::from_utf8(&line[..end]) else {
        return Program::Other;
    };
    let line = line.trim_matches(|c| c == ' ' || c == '\t' || c == '\r');
    let (interp, arg) = match line.split_once([' ', '\t']) {
        Some((i, a)) => (i, Some(a.trim().to_string()).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    if interp.is_empty() {
        return Program::Other;
    }
    Program::Script {
        interpreter: interp.to_string(),
        arg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_first_bytes() {
        assert_eq!(
            classify(b"\0asm\x01\0\0\0".to_vec()),
            Program::Wasm(b"\0asm\x01\0\0\0".to_vec())
        );
        assert_eq!(
            classify(b"#!/bin/sh -e\necho".to_vec()),
            Program::Script {
                interpreter: "/bin/sh".into(),
                arg: Some("-e".into())
            }
        );
        assert_eq!(
            classify(b"#! /bin/sh\n".to_vec()),
            Program::Script {
                interpreter: "/bin/sh".into(),
                arg: None
            }
        );
        assert_eq!(classify(b"echo hi\n".to_vec()), Program::Other);
        assert_eq!(classify(b"#!\n".to_vec()), Program::Other);
    }

    #[test]
    fn normalize() {
        assert_eq!(normalize_abs("/a/./b/../c/"), "/a/c");
        assert_eq!(normalize_abs("/../x"), "/x");
        assert_eq!(normalize_abs("/"), "/");
    }
}
