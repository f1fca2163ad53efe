//! Moving data: stream send/receive (with MSG_WAITALL-style continuation), datagrams
//! with their truncation flag, and shutdown.

use super::*;

impl Socket {
    /// Sends from the buffers in order; a partial count is a success. Blocking callers wait
    /// for room (up to the send timeout).
    pub fn send(&self, bufs: &[IoSlice<'_>], nonblocking: bool) -> Result<usize> {
        if lock(&self.shut).1 {
            return Err(ErrorCode::Pipe);
        }
        if self.kind == Kind::Dgram {
            let peer = lock(&self.udp_peer).ok_or(ErrorCode::DestinationRequired)?;
            return self.send_to(bufs, peer, nonblocking);
        }
        let deadline = Self::deadline(self.options().send_timeout);
        loop {
            {
                let mut st = lock(&self.state);
                let State::Stream(s) = &mut *st else {
                    return Err(ErrorCode::NotConnected);
                };
                let mut total = 0;
                let mut blocked = false;
                for b in bufs.iter().filter(|b| !b.is_empty()) {
                    match s.try_send(b) {
                        Ok(n) => {
                            total += n;
                            if n < b.len() {
                                break;
                            }
                        }
                        Err(NetworkError::WouldBlock) => {
                            blocked = true;
                            break;
                        }
                        Err(e) if total == 0 => return Err(e.into()),
                        Err(_) => break,
                    }
                }
                if total > 0 || !blocked {
                    return Ok(total);
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(true, deadline)?;
        }
    }

    /// Receives into the buffers; `Ok(0)` is end of stream.
    pub fn recv(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<usize> {
        self.recv_flagged(bufs, peek, nonblocking).map(|(n, _)| n)
    }

    /// Like [`Socket::recv`], also telling whether a datagram was truncated.
    pub fn recv_flagged(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<(usize, bool)> {
        if self.kind == Kind::Dgram {
            let peer = *lock(&self.udp_peer);
            loop {
                let (n, from, trunc) = self.recv_from(bufs, peek, nonblocking)?;
                // A connected UDP socket only hears its peer.
                if peer.is_none_or(|p| p == from) {
                    return Ok((n, trunc));
                }
            }
        }
        self.recv_stream(bufs, peek, nonblocking)
            .map(|n| (n, false))
    }

    fn recv_stream(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<usize> {
        if lock(&self.shut).0 {
            return Ok(0);
        }
        let deadline = Self::deadline(self.options().recv_timeout);
        loop {
            {
                let mut st = lock(&self.state);
                let State::Stream(s) = &mut *st else {
                    return Err(ErrorCode::NotConnected);
                };
                let Some(first) = bufs.iter_mut().find(|b| !b.is_empty()) else {
                    return Ok(0);
                };
                // The receive API fills uninitialised memory; the guest's buffer is
                // initialised bytes, which may not be handed out as uninitialised. So the
                // bytes land in scratch space first (at most 64 KiB: a short read).
                let mut scratch = [MaybeUninit::<u8>::uninit(); 1 << 16];
                let room = first.len().min(scratch.len());
                match s.try_recv(&mut scratch[..room], peek) {
                    Ok(n) => {
                        let n = n.min(room);
                        // SAFETY: the receive initialised the first `n` bytes.
                        let got =
                            unsafe { std::slice::from_raw_parts(scratch.as_ptr() as *const u8, n) };
                        first[..n].copy_from_slice(got);
                        return Ok(n);
                    }
                    Err(NetworkError::WouldBlock) => {}
                    // The peer went away: end of stream for the reader.
                    Err(
                        NetworkError::ConnectionReset
                        | NetworkError::BrokenPipe
                        | NetworkError::UnexpectedEof,
                    ) => return Ok(0),
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(false, deadline)?;
        }
    }

    pub fn send_to(
        &self,
        bufs: &[IoSlice<'_>],
        to: SocketAddr,
        nonblocking: bool,
    ) -> Result<usize> {
        self.check_family(&to)?;
        self.net.check_route(&to.ip())?;
        if self.kind == Kind::Stream {
            return Err(ErrorCode::AlreadyConnected);
        }
        if matches!(*lock(&self.state), State::Fresh) {
            self.autobind()?;
        }
        // One datagram: gather the buffers (rarely more than one).
        let data: std::borrow::Cow<'_, [u8]> = match bufs {
            [one] => std::borrow::Cow::Borrowed(&one[..]),
            many => std::borrow::Cow::Owned(many.iter().flat_map(|b| b.iter().copied()).collect()),
        };
        let deadline = Self::deadline(self.options().send_timeout);
        loop {
            {
                let mut st = lock(&self.state);
                let State::Udp(u) = &mut *st else {
                    return Err(ErrorCode::Invalid);
                };
                match u.try_send_to(&data, to) {
                    Ok(n) => return Ok(n),
                    Err(NetworkError::WouldBlock) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(true, deadline)?;
        }
    }

    /// One datagram into the buffers; excess bytes of a large datagram are dropped and
    /// reported as truncation (the third value).
    pub fn recv_from(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
    ) -> Result<(usize, SocketAddr, bool)> {
        if self.kind == Kind::Stream {
            let n = self.recv_stream(bufs, peek, nonblocking)?;
            return Ok((n, self.addr_peer()?, false));
        }
        let deadline = Self::deadline(self.options().recv_timeout);
        // Taken out (a concurrent receive on the same socket allocates its own), so no
        // lock is held while waiting; put back when done.
        let mut tmp = std::mem::take(&mut *lock(&self.dgram_buf));
        if tmp.is_empty() {
            tmp.resize(virtual_net::MAX_SOCKET_PAYLOAD, MaybeUninit::uninit());
        }
        let r = self.recv_datagram(&mut tmp, bufs, peek, nonblocking, deadline);
        *lock(&self.dgram_buf) = tmp;
        r
    }

    fn recv_datagram(
        &self,
        tmp: &mut [MaybeUninit<u8>],
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        nonblocking: bool,
        deadline: Option<Instant>,
    ) -> Result<(usize, SocketAddr, bool)> {
        loop {
            {
                let mut st = lock(&self.state);
                let State::Udp(u) = &mut *st else {
                    return Err(ErrorCode::Invalid);
                };
                match u.try_recv_from(tmp, peek) {
                    Ok((n, from)) => {
                        let n = n.min(tmp.len());
                        // SAFETY: the receive initialised the first `n` bytes.
                        let got: &[u8] =
                            unsafe { std::slice::from_raw_parts(tmp.as_ptr() as *const u8, n) };
                        let mut copied = 0;
                        for b in bufs.iter_mut() {
                            let k = b.len().min(n - copied);
                            b[..k].copy_from_slice(&got[copied..copied + k]);
                            copied += k;
                            if copied == n {
                                break;
                            }
                        }
                        return Ok((copied, from, copied < n));
                    }
                    Err(NetworkError::WouldBlock) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if nonblocking {
                return Err(ErrorCode::WouldBlock);
            }
            self.wait(false, deadline)?;
        }
    }

    pub fn shutdown(&self, read: bool, write: bool) -> Result<()> {
        let mut st = lock(&self.state);
        match &mut *st {
            State::Stream(s) => {
                let how = match (read, write) {
                    (true, true) => Shutdown::Both,
                    (true, false) => Shutdown::Read,
                    (false, true) => Shutdown::Write,
                    (false, false) => return Err(ErrorCode::Invalid),
                };
                s.shutdown(how)?;
            }
            State::Udp(_) if lock(&self.udp_peer).is_some() => {}
            _ => return Err(ErrorCode::NotConnected),
        }
        let mut sh = lock(&self.shut);
        sh.0 |= read;
        sh.1 |= write;
        Ok(())
    }
}
