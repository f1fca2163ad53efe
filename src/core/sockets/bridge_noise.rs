//! The inner layer of `double_encryption`: a Noise NK session
//! (`Noise_NK_25519_ChaChaPoly_SHA256`, revision 34 of the Noise spec) inside the TLS
//! session, with the server's static X25519 key pinned by the client, and the TLS session's
//! exporter mixed into the Noise prologue.
//!
//! ```text
//! NK:  <- s            (the client knows the server's static key: the pin)
//!      ...
//!      -> e, es        (client: ephemeral; DH(e, s))
//!      <- e, ee        (server: ephemeral; DH(e, e))
//! ```
//!
//! Prologue: `"wxc-bridge/2 noise-nk"` ‖ 32 bytes of the TLS exporter (RFC 8446 §7.5, label
//! `EXPORTER-wxc-bridge-noise`, no context). Both sides must agree on the prologue, so an
//! inner handshake relayed from one TLS session into another fails. Handshake messages and
//! transport records are framed as `u16 BE length` ‖ message; a transport record carries at
//! most 65,519 plaintext bytes. Nonces count up from 0 per direction; a record that fails
//! authentication, or a nonce that would wrap, ends the stream.
//!
//! Primitives: aws-lc-rs (X25519, ChaCha20-Poly1305, HMAC-SHA256, SHA-256): the provider
//! rustls already uses here. The symmetric state follows the Noise spec section 5.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use aws_lc_rs::{digest, hmac};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};

const PROTOCOL: &[u8; 32] = b"Noise_NK_25519_ChaChaPoly_SHA256";
pub const PROLOGUE_LABEL: &[u8] = b"wxc-bridge/2 noise-nk";
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-wxc-bridge-noise";
const TAG: usize = 16;
const MAX_MSG: usize = 65535;
const MAX_PLAIN: usize = MAX_MSG - TAG;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseError;

type R<T> = Result<T, NoiseError>;

fn err<E>(_: E) -> NoiseError {
    NoiseError
}

/// The public key of a 32-byte X25519 private key.
pub fn public_key(private: &[u8; 32]) -> R<[u8; 32]> {
    let k = PrivateKey::from_private_key(&X25519, private).map_err(err)?;
    let p = k.compute_public_key().map_err(err)?;
    p.as_ref().try_into().map_err(err)
}

/// A new random private key.
pub fn generate() -> R<[u8; 32]> {
    let mut k = [0u8; 32];
    getrandom::getrandom(&mut k).map_err(err)?;
    Ok(k)
}

fn dh(private: &PrivateKey, public: &[u8]) -> R<[u8; 32]> {
    agreement::agree(
        private,
        UnparsedPublicKey::new(&X25519, public),
        NoiseError,
        |s| {
            // An all-zero result means a low-order public key: refuse it.
            if s.iter().all(|b| *b == 0) {
                return Err(NoiseError);
            }
            s.try_into().map_err(err)
        },
    )
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut c = hmac::Context::with_key(&k);
    for p in parts {
        c.update(p);
    }
    c.sign()
        .as_ref()
        .try_into()
        .expect("HMAC-SHA256 is 32 bytes")
}

/// HKDF as the Noise spec defines it (two outputs).
fn hkdf2(ck: &[u8; 32], ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let t = hmac(ck, &[ikm]);
    let o1 = hmac(&t, &[&[1]]);
    let o2 = hmac(&t, &[&o1, &[2]]);
    (o1, o2)
}

fn nonce(n: u64) -> Nonce {
    let mut b = [0u8; 12];
    b[4..].copy_from_slice(&n.to_le_bytes());
    Nonce::assume_unique_for_key(b)
}

/// A cipher state: key and counter.
pub struct Cipher {
    key: LessSafeKey,
    n: u64,
}

impl Cipher {
    fn new(k: &[u8; 32]) -> Cipher {
        Cipher {
            key: LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, k).expect("32-byte key")),
            n: 0,
        }
    }

    fn next(&mut self) -> R<Nonce> {
        // 2^64-1 is reserved by the spec.
        if self.n == u64::MAX {
            return Err(NoiseError);
        }
        let n = nonce(self.n);
        self.n += 1;
        Ok(n)
    }

    /// Encrypts `buf` in place, appending the tag.
    pub fn seal(&mut self, ad: &[u8], buf: &mut Vec<u8>) -> R<()> {
        let n = self.next()?;
        self.key
            .seal_in_place_append_tag(n, Aad::from(ad), buf)
            .map_err(err)
    }

    /// Decrypts `buf` in place; returns the plaintext length.
    pub fn open(&mut self, ad: &[u8], buf: &mut [u8]) -> R<usize> {
        let n = self.next()?;
        let p = self.key.open_in_place(n, Aad::from(ad), buf).map_err(err)?;
        Ok(p.len())
    }
}

struct Symmetric {
    ck: [u8; 32],
    h: [u8; 32],
    k: Option<Cipher>,
}

impl Symmetric {
    fn new(prologue: &[u8]) -> Symmetric {
        let mut s = Symmetric {
            ck: *PROTOCOL,
            h: *PROTOCOL,
            k: None,
        };
        s.mix_hash(prologue);
        s
    }
    fn mix_hash(&mut self, data: &[u8]) {
        let mut c = digest::Context::new(&digest::SHA256);
        c.update(&self.h);
        c.update(data);
        self.h = c.finish().as_ref().try_into().expect("SHA-256 is 32 bytes");
    }
    fn mix_key(&mut self, ikm: &[u8]) {
        let (ck, k) = hkdf2(&self.ck, ikm);
        self.ck = ck;
        self.k = Some(Cipher::new(&k));
    }
    fn encrypt_and_hash(&mut self, plain: &[u8]) -> R<Vec<u8>> {
        let mut buf = plain.to_vec();
        let h = self.h;
        self.k.as_mut().ok_or(NoiseError)?.seal(&h, &mut buf)?;
        self.mix_hash(&buf);
        Ok(buf)
    }
    fn decrypt_and_hash(&mut self, cipher: &[u8]) -> R<Vec<u8>> {
        let mut buf = cipher.to_vec();
        let h = self.h;
        let n = self.k.as_mut().ok_or(NoiseError)?.open(&h, &mut buf)?;
        self.mix_hash(cipher);
        buf.truncate(n);
        Ok(buf)
    }
    /// (initiator → responder, responder → initiator).
    fn split(&self) -> (Cipher, Cipher) {
        let (a, b) = hkdf2(&self.ck, &[]);
        (Cipher::new(&a), Cipher::new(&b))
    }
}

/// The full prologue for a TLS exporter value.
pub fn prologue(exporter: &[u8; 32]) -> Vec<u8> {
    [PROLOGUE_LABEL, &exporter[..]].concat()
}

async fn write_msg<W: AsyncWrite + Unpin>(w: &mut W, m: &[u8]) -> std::io::Result<()> {
    w.write_all(&(m.len() as u16).to_be_bytes()).await?;
    w.write_all(m).await?;
    w.flush().await
}

async fn read_msg<Rd: AsyncRead + Unpin>(r: &mut Rd) -> std::io::Result<Vec<u8>> {
    let n = r.read_u16().await? as usize;
    let mut m = vec![0u8; n];
    r.read_exact(&mut m).await?;
    Ok(m)
}

/// Why an inner handshake failed.
#[derive(Debug)]
pub enum HandshakeError {
    Io(std::io::Error),
    /// Authentication failed (wrong static key, different prologue, altered message).
    Crypto,
}

impl From<std::io::Error> for HandshakeError {
    fn from(e: std::io::Error) -> Self {
        HandshakeError::Io(e)
    }
}

impl From<NoiseError> for HandshakeError {
    fn from(_: NoiseError) -> Self {
        HandshakeError::Crypto
    }
}

/// Initiator, first message (`-> e, es` and `payload`), with ephemeral `e`.
fn initiator_write1(
    prologue: &[u8],
    rs: &[u8; 32],
    e: &PrivateKey,
    payload: &[u8],
) -> R<(Symmetric, Vec<u8>)> {
    let mut st = Symmetric::new(prologue);
    st.mix_hash(rs);
    let e_pub = e.compute_public_key().map_err(err)?;
    let mut m1 = e_pub.as_ref().to_vec();
    st.mix_hash(e_pub.as_ref());
    st.mix_key(&dh(e, rs)?);
    m1.extend(st.encrypt_and_hash(payload)?);
    Ok((st, m1))
}

/// Initiator, second message (`<- e, ee`): (payload, send, receive).
fn initiator_read2(mut st: Symmetric, e: &PrivateKey, m2: &[u8]) -> R<(Vec<u8>, Cipher, Cipher)> {
    if m2.len() < 32 + TAG {
        return Err(NoiseError);
    }
    let re = &m2[..32];
    st.mix_hash(re);
    st.mix_key(&dh(e, re)?);
    let payload = st.decrypt_and_hash(&m2[32..])?;
    let (send, recv) = st.split();
    Ok((payload, send, recv))
}

/// Responder, first message: (state, initiator's ephemeral, payload).
fn responder_read1(
    prologue: &[u8],
    sk: &PrivateKey,
    m1: &[u8],
) -> R<(Symmetric, Vec<u8>, Vec<u8>)> {
    if m1.len() < 32 + TAG {
        return Err(NoiseError);
    }
    let s_pub = sk.compute_public_key().map_err(err)?;
    let mut st = Symmetric::new(prologue);
    st.mix_hash(s_pub.as_ref());
    let re = m1[..32].to_vec();
    st.mix_hash(&re);
    st.mix_key(&dh(sk, &re)?);
    let payload = st.decrypt_and_hash(&m1[32..])?;
    Ok((st, re, payload))
}

/// Responder, second message (`<- e, ee` and `payload`): (message, send, receive).
fn responder_write2(
    mut st: Symmetric,
    re: &[u8],
    e: &PrivateKey,
    payload: &[u8],
) -> R<(Vec<u8>, Cipher, Cipher)> {
    let e_pub = e.compute_public_key().map_err(err)?;
    let mut m2 = e_pub.as_ref().to_vec();
    st.mix_hash(e_pub.as_ref());
    st.mix_key(&dh(e, re)?);
    m2.extend(st.encrypt_and_hash(payload)?);
    let (recv, send) = st.split();
    Ok((m2, send, recv))
}

/// The client (initiator) side: returns (send, receive) ciphers. Handshake payloads are
/// empty (and must be).
pub async fn initiate<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    server_static: &[u8; 32],
    prologue: &[u8],
) -> Result<(Cipher, Cipher), HandshakeError> {
    let e = PrivateKey::generate(&X25519).map_err(err)?;
    let (st, m1) = initiator_write1(prologue, server_static, &e, &[])?;
    write_msg(s, &m1).await?;
    let m2 = read_msg(s).await?;
    if m2.len() != 32 + TAG {
        return Err(HandshakeError::Crypto);
    }
    let (_, send, recv) = initiator_read2(st, &e, &m2)?;
    Ok((send, recv))
}

/// The server (responder) side with its static private key: returns (send, receive).
pub async fn respond<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    static_private: &[u8; 32],
    prologue: &[u8],
) -> Result<(Cipher, Cipher), HandshakeError> {
    let sk = PrivateKey::from_private_key(&X25519, static_private).map_err(err)?;
    let m1 = read_msg(s).await?;
    if m1.len() != 32 + TAG {
        return Err(HandshakeError::Crypto);
    }
    let (st, re, _) = responder_read1(prologue, &sk, &m1)?;
    let e = PrivateKey::generate(&X25519).map_err(err)?;
    let (m2, send, recv) = responder_write2(st, &re, &e, &[])?;
    write_msg(s, &m2).await?;
    Ok((send, recv))
}

/// Runs the transport over `outer` and returns the plaintext end: bytes written to it are
/// sealed into records on `outer`, records read from `outer` are opened into it. A record
/// that fails authentication ends both directions (the plaintext end sees end of stream).
pub fn transport<S>(outer: S, mut send: Cipher, mut recv: Cipher) -> DuplexStream
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (ours, theirs) = tokio::io::duplex(4 * MAX_MSG);
    let (mut pr, mut pw) = tokio::io::split(theirs);
    let (mut or, mut ow) = tokio::io::split(outer);
    let stop = Arc::new(tokio::sync::Notify::new());
    let (s1, s2) = (stop.clone(), stop);
    // plaintext -> records
    tokio::spawn(async move {
        let seal = async {
            let mut buf = vec![0u8; MAX_PLAIN];
            loop {
                let n = pr.read(&mut buf).await.ok()?;
                if n == 0 {
                    let _ = ow.shutdown().await;
                    return None::<()>;
                }
                let mut rec = buf[..n].to_vec();
                send.seal(&[], &mut rec).ok()?;
                write_msg(&mut ow, &rec).await.ok()?;
            }
        };
        tokio::select! {
            _ = seal => {}
            _ = s1.notified() => {}
        }
        s1.notify_one();
    });
    // records -> plaintext
    tokio::spawn(async move {
        let open = async {
            let mut r = tokio::io::BufReader::with_capacity(4 * MAX_MSG, &mut or);
            loop {
                let mut rec = read_msg(&mut r).await.ok()?;
                let n = recv.open(&[], &mut rec).ok()?;
                pw.write_all(&rec[..n]).await.ok()?;
            }
        };
        let _: Option<()> = tokio::select! {
            r = open => r,
            _ = s2.notified() => None,
        };
        let _ = pw.shutdown().await;
        s2.notify_one();
    });
    ours
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn handshake_and_transport() {
        let sk = generate().unwrap();
        let pk = public_key(&sk).unwrap();
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let p = prologue(&[7; 32]);
        let p2 = p.clone();
        let srv = tokio::spawn(async move {
            let (s, r) = respond(&mut b, &sk, &p2).await.unwrap();
            (b, s, r)
        });
        let (cs, cr) = initiate(&mut a, &pk, &p).await.unwrap();
        let (b, ss, sr) = srv.await.unwrap();
        let mut c = transport(a, cs, cr);
        let mut s = transport(b, ss, sr);
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
        let b2 = big.clone();
        let w = tokio::spawn(async move {
            c.write_all(&b2).await.unwrap();
            c.shutdown().await.unwrap();
            c
        });
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, big);
        w.await.unwrap();
    }

    async fn pair(
        server_key: [u8; 32],
        pinned: [u8; 32],
        p_client: Vec<u8>,
        p_server: Vec<u8>,
    ) -> (bool, bool) {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let srv =
            tokio::spawn(async move { respond(&mut b, &server_key, &p_server).await.is_ok() });
        let c = initiate(&mut a, &pinned, &p_client).await.is_ok();
        drop(a);
        (c, srv.await.unwrap())
    }

    fn unhex(h: &str) -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key(h: &str) -> PrivateKey {
        PrivateKey::from_private_key(&X25519, &unhex(h)).unwrap()
    }

    /// The Cacophony test vector for `Noise_NK_25519_ChaChaPoly_SHA256` (as shipped in
    /// Noise-C's tests/vector/cacophony.txt): both handshake messages and four transport
    /// messages, byte for byte.
    #[test]
    fn cacophony_vector() {
        let prologue = unhex("4a6f686e2047616c74");
        let ie = key("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a");
        let rs_priv = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
        let rs: [u8; 32] =
            unhex("31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62")
                .try_into()
                .unwrap();
        assert_eq!(public_key(&unhex(rs_priv).try_into().unwrap()).unwrap(), rs);
        let re = key("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b");
        let msgs = [
            ("4c756477696720766f6e204d69736573", "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79448134d00711fdb390a0d178fa008f6d47d2891e5ea18ae136c3b4c23ac384efb0"),
            ("4d757272617920526f746862617264", "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f1448088438ea16e3701bc0d77744f117bee22451c9afa7f4cdbbcff00c04a8ee0913c88"),
            ("462e20412e20486179656b", "a62de29ce27cb80245d440d986ed816c156e9d757d7008df2198b0"),
        ];
        let (st, m1) = initiator_write1(&prologue, &rs, &ie, &unhex(msgs[0].0)).unwrap();
        assert_eq!(m1, unhex(msgs[0].1));
        let (rst, r_e, p1) = responder_read1(&prologue, &key(rs_priv), &m1).unwrap();
        assert_eq!(p1, unhex(msgs[0].0));
        let (m2, mut r_send, mut r_recv) =
            responder_write2(rst, &r_e, &re, &unhex(msgs[1].0)).unwrap();
        assert_eq!(m2, unhex(msgs[1].1));
        let (p2, mut i_send, mut i_recv) = initiator_read2(st, &ie, &m2).unwrap();
        assert_eq!(p2, unhex(msgs[1].0));
        // Transport: initiator -> responder first.
        let transport = [
            (true, msgs[2].0, msgs[2].1),
            (
                false,
                "4361726c204d656e676572",
                "174a35f11c689f4530d7208618e0564ae12f2f50ba8eb4df5382ff",
            ),
            (
                true,
                "4a65616e2d426170746973746520536179",
                "337e475ebb8eae60f91974c4e455a5af38d1d8628d1803b160d60442874b0a1777",
            ),
            (
                false,
                "457567656e2042f6686d20766f6e2042617765726b",
                "047e80e060b7bb08b53c5a23dfe9920cae135b9d1dc6302fc475003062723700366346ac9d",
            ),
        ];
        for (from_initiator, plain, cipher) in transport {
            let mut t = unhex(plain);
            if from_initiator {
                i_send.seal(&[], &mut t).unwrap();
                assert_eq!(t, unhex(cipher));
                let n = r_recv.open(&[], &mut t).unwrap();
                assert_eq!(t[..n], unhex(plain)[..]);
            } else {
                r_send.seal(&[], &mut t).unwrap();
                assert_eq!(t, unhex(cipher));
                let n = i_recv.open(&[], &mut t).unwrap();
                assert_eq!(t[..n], unhex(plain)[..]);
            }
        }
    }

    #[tokio::test]
    async fn wrong_key_or_prologue_fails() {
        let sk = generate().unwrap();
        let other = public_key(&generate().unwrap()).unwrap();
        let p = prologue(&[1; 32]);
        // Wrong pinned key: the server cannot open the first message.
        assert_eq!(pair(sk, other, p.clone(), p.clone()).await, (false, false));
        // A different outer session (exporter): fails too.
        let pk = public_key(&sk).unwrap();
        assert_eq!(
            pair(sk, pk, p.clone(), prologue(&[2; 32])).await,
            (false, false)
        );
        assert_eq!(pair(sk, pk, p.clone(), p).await, (true, true));
    }
}
