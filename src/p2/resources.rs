//! The instance's handle table: handle → a typed host object (core streams, pollables,
//! errors, terminals, filesystem descriptors, sockets). The guest only ever holds indices; a forged, dropped or wrongly
//! typed one is a [`Trap`] with a message naming the handle, never a host panic. One
//! table serves every version of an interface: `pollable@0.2.0` and `pollable@0.2.6`
//! are the same host type, as under wasmtime's semver-compatible linking.

use super::filesystem::{Desc, DirEntries};
use super::sockets::{Incoming, Outgoing, ResolveStream, TcpSocket, UdpSocket};
use crate::core::io::poll::{Deadline, Pollable};
use crate::core::io::{InputStream, OutputStream};
use crate::core::sockets::Network;
use crate::core::ErrorCode;
use std::sync::Arc;

/// Most live handles one component instance may hold.
pub const MAX_HANDLES: usize = 1 << 20;

/// A trap raised for the guest: the run ends with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Trap(pub String);

/// What a pollable waits for (it keeps its source alive).
#[derive(Clone)]
pub enum PollSource {
    Input(Arc<dyn InputStream>),
    Output(Arc<dyn OutputStream>),
    Deadline(Deadline),
    /// Anything else that can be waited on (a socket's pending operation, a lookup).
    Other(Arc<dyn Pollable>),
}

impl PollSource {
    pub fn as_pollable(&self) -> &dyn Pollable {
        match self {
            PollSource::Input(s) => s.as_pollable(),
            PollSource::Output(s) => s.as_pollable(),
            PollSource::Deadline(d) => d,
            PollSource::Other(p) => &**p,
        }
    }
}

#[derive(Clone)]
pub enum Resource {
    InputStream(Arc<dyn InputStream>),
    OutputStream(Arc<dyn OutputStream>),
    Pollable(PollSource),
    /// `wasi:io/error`: why a stream operation failed.
    Error(ErrorCode),
    TerminalInput,
    TerminalOutput,
    /// `wasi:filesystem/types.descriptor`: the core directory or file itself (a preopen's
    /// is the very `Dir` p1's fd 3.. holds).
    Descriptor(Arc<Desc>),
    /// `wasi:filesystem/types.directory-entry-stream`: the rest of a listing.
    DirectoryEntryStream(Arc<DirEntries>),
    /// `wasi:sockets/network.network`: the process's network (the one p1's sockets use).
    Network(Arc<Network>),
    TcpSocket(Arc<TcpSocket>),
    UdpSocket(Arc<UdpSocket>),
    IncomingDatagramStream(Arc<Incoming>),
    OutgoingDatagramStream(Arc<Outgoing>),
    ResolveAddressStream(Arc<ResolveStream>),
}

/// Resource types, by their WIT names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    InputStream,
    OutputStream,
    Pollable,
    Error,
    TerminalInput,
    TerminalOutput,
    Descriptor,
    DirectoryEntryStream,
    Network,
    TcpSocket,
    UdpSocket,
    IncomingDatagramStream,
    OutgoingDatagramStream,
    ResolveAddressStream,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::InputStream => "input-stream",
            Kind::OutputStream => "output-stream",
            Kind::Pollable => "pollable",
            Kind::Error => "error",
            Kind::TerminalInput => "terminal-input",
            Kind::TerminalOutput => "terminal-output",
            Kind::Descriptor => "descriptor",
            Kind::DirectoryEntryStream => "directory-entry-stream",
            Kind::Network => "network",
            Kind::TcpSocket => "tcp-socket",
            Kind::UdpSocket => "udp-socket",
            Kind::IncomingDatagramStream => "incoming-datagram-stream",
            Kind::OutgoingDatagramStream => "outgoing-datagram-stream",
            Kind::ResolveAddressStream => "resolve-address-stream",
        }
    }

    /// The kind of an imported resource `name` of `interface` (version stripped).
    pub fn of(interface: &str, name: &str) -> Option<Kind> {
        Some(match (interface, name) {
            ("wasi:io/streams", "input-stream") => Kind::InputStream,
            ("wasi:io/streams", "output-stream") => Kind::OutputStream,
            ("wasi:io/poll", "pollable") => Kind::Pollable,
            ("wasi:io/error", "error") => Kind::Error,
            ("wasi:cli/terminal-input", "terminal-input") => Kind::TerminalInput,
            ("wasi:cli/terminal-output", "terminal-output") => Kind::TerminalOutput,
            ("wasi:filesystem/types", "descriptor") => Kind::Descriptor,
            ("wasi:filesystem/types", "directory-entry-stream") => Kind::DirectoryEntryStream,
            ("wasi:sockets/network", "network") => Kind::Network,
            ("wasi:sockets/tcp", "tcp-socket") => Kind::TcpSocket,
            ("wasi:sockets/udp", "udp-socket") => Kind::UdpSocket,
            ("wasi:sockets/udp", "incoming-datagram-stream") => Kind::IncomingDatagramStream,
            ("wasi:sockets/udp", "outgoing-datagram-stream") => Kind::OutgoingDatagramStream,
            ("wasi:sockets/ip-name-lookup", "resolve-address-stream") => Kind::ResolveAddressStream,
            _ => return None,
        })
    }
}

impl Resource {
    pub fn kind(&self) -> Kind {
        match self {
            Resource::InputStream(_) => Kind::InputStream,
            Resource::OutputStream(_) => Kind::OutputStream,
            Resource::Pollable(_) => Kind::Pollable,
            Resource::Error(_) => Kind::Error,
            Resource::TerminalInput => Kind::TerminalInput,
            Resource::TerminalOutput => Kind::TerminalOutput,
            Resource::Descriptor(_) => Kind::Descriptor,
            Resource::DirectoryEntryStream(_) => Kind::DirectoryEntryStream,
            Resource::Network(_) => Kind::Network,
            Resource::TcpSocket(_) => Kind::TcpSocket,
            Resource::UdpSocket(_) => Kind::UdpSocket,
            Resource::IncomingDatagramStream(_) => Kind::IncomingDatagramStream,
            Resource::OutgoingDatagramStream(_) => Kind::OutgoingDatagramStream,
            Resource::ResolveAddressStream(_) => Kind::ResolveAddressStream,
        }
    }
}

struct Slot {
    res: Resource,
    /// The handle this one was derived from (a stream's pollable): it must outlive us.
    parent: Option<u32>,
    children: u32,
}

/// Handles are 1-based (0 is never valid, as in the component model); freed slots are
/// reused.
#[derive(Default)]
pub struct Handles {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
}

impl Handles {
    /// A new own handle for `res`.
    pub fn push(&mut self, res: Resource) -> Result<u32, Trap> {
        self.insert(Slot {
            res,
            parent: None,
            children: 0,
        })
    }

    /// A new own handle for `res`, a child of `parent` (which cannot be dropped first).
    pub fn push_child(&mut self, res: Resource, parent: u32) -> Result<u32, Trap> {
        self.slot_mut(parent)?.children += 1;
        self.insert(Slot {
            res,
            parent: Some(parent),
            children: 0,
        })
    }

    fn insert(&mut self, s: Slot) -> Result<u32, Trap> {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(s);
            return Ok(i + 1);
        }
        // A bound far above real use, so a guest looping on `get-stdin` meets a trap, not
        // the host's memory limit.
        if self.slots.len() >= MAX_HANDLES {
            return Err(Trap(format!("resource table full ({MAX_HANDLES} handles)")));
        }
        self.slots.push(Some(s));
        Ok(self.slots.len() as u32)
    }

    fn slot_mut(&mut self, h: u32) -> Result<&mut Slot, Trap> {
        h.checked_sub(1)
            .and_then(|i| self.slots.get_mut(i as usize))
            .and_then(Option::as_mut)
            .ok_or_else(|| Trap(format!("unknown handle index {h}")))
    }

    /// The object behind handle `h`, which must be of kind `want`.
    pub fn get(&self, h: u32, want: Kind) -> Result<&Resource, Trap> {
        let s = h
            .checked_sub(1)
            .and_then(|i| self.slots.get(i as usize))
            .and_then(Option::as_ref)
            .ok_or_else(|| Trap(format!("unknown handle index {h}")))?;
        if s.res.kind() != want {
            return Err(Trap(format!(
                "handle index {h} has type `{}`, expected `{}`",
                s.res.kind().name(),
                want.name()
            )));
        }
        Ok(&s.res)
    }

    /// Drops own handle `h` of kind `want`; returns its object.
    pub fn drop_handle(&mut self, h: u32, want: Kind) -> Result<Resource, Trap> {
        self.get(h, want)?;
        let s = self.slot_mut(h)?;
        if s.children > 0 {
            return Err(Trap(format!(
                "cannot drop {} handle {h}: {} child resource(s) still alive",
                want.name(),
                s.children
            )));
        }
        let s = self.slots[h as usize - 1].take().expect("checked above");
        self.free.push(h - 1);
        if let Some(p) = s.parent {
            if let Ok(p) = self.slot_mut(p) {
                p.children -= 1;
            }
        }
        Ok(s.res)
    }

    /// Live handles (tests).
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::io::fdstream::FdOutput;

    fn out() -> Resource {
        Resource::OutputStream(Arc::new(FdOutput::stdout()))
    }

    #[test]
    fn p2_forged_handle_traps() {
        let t = Handles::default();
        assert_eq!(
            t.get(42, Kind::Pollable).err(),
            Some(Trap("unknown handle index 42".into()))
        );
        assert_eq!(
            t.get(0, Kind::Pollable).err(),
            Some(Trap("unknown handle index 0".into()))
        );
    }

    #[test]
    fn p2_wrong_type_traps() {
        let mut t = Handles::default();
        let h = t.push(out()).unwrap();
        assert_eq!(
            t.get(h, Kind::InputStream).err(),
            Some(Trap(
                "handle index 1 has type `output-stream`, expected `input-stream`".into()
            ))
        );
    }

    #[test]
    fn p2_use_after_drop_traps_and_slot_is_reused() {
        let mut t = Handles::default();
        let h = t.push(out()).unwrap();
        t.drop_handle(h, Kind::OutputStream).unwrap();
        assert_eq!(
            t.drop_handle(h, Kind::OutputStream).err(),
            Some(Trap("unknown handle index 1".into()))
        );
        assert_eq!(t.push(Resource::TerminalInput).unwrap(), h);
    }

    #[test]
    fn p2_parent_outlives_child() {
        let mut t = Handles::default();
        let s = t.push(out()).unwrap();
        let p = t
            .push_child(
                Resource::Pollable(PollSource::Deadline(Deadline(std::time::Instant::now()))),
                s,
            )
            .unwrap();
        assert_eq!(
            t.drop_handle(s, Kind::OutputStream).err(),
            Some(Trap(
                "cannot drop output-stream handle 1: 1 child resource(s) still alive".into()
            ))
        );
        t.drop_handle(p, Kind::Pollable).unwrap();
        t.drop_handle(s, Kind::OutputStream).unwrap();
        assert!(t.is_empty());
    }
}
