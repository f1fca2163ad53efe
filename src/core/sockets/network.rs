//! `wasi:sockets/network`: the instance's network — a virtual-net backend behind a policy
//! (off unless enabled), plus the tokio runtime the backend's async calls need.

use crate::core::ErrorCode;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock, RwLock};
use virtual_net::VirtualNetworking;

/// Owns (or borrows) a tokio runtime. virtual-net's host backend registers its sockets with
/// the runtime's reactor, so backend calls run with the runtime entered; the guest thread
/// itself blocks with the core's park-based `block_on`, no executor hop for ready sockets.
pub struct Runtime {
    handle: tokio::runtime::Handle,
    _owned: Option<tokio::runtime::Runtime>,
}

impl Runtime {
    /// A small runtime of our own (2 workers: the machine model has 2 cores).
    pub fn new() -> Result<Runtime, ErrorCode> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wxc-net")
            .enable_all()
            .build()
            .map_err(ErrorCode::from)?;
        Ok(Runtime {
            handle: rt.handle().clone(),
            _owned: Some(rt),
        })
    }

    /// The embedder's runtime.
    pub fn from_handle(handle: tokio::runtime::Handle) -> Runtime {
        Runtime {
            handle,
            _owned: None,
        }
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Runs `f` to completion on the calling (guest) thread with the runtime entered.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        let _g = self.handle.enter();
        crate::core::io::poll::block_on(f)
    }

    /// As [`Runtime::block_on`]; `None` when the calling thread is interrupted first.
    pub fn block_on_interruptible<F: Future>(&self, f: F) -> Option<F::Output> {
        let _g = self.handle.enter();
        crate::core::io::poll::block_on_interruptible(f)
    }

    /// Runs `g` with the runtime entered (for backend calls that register with the reactor).
    pub fn enter<R>(&self, g: impl FnOnce() -> R) -> R {
        let _g = self.handle.enter();
        g()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Never block process exit on lingering network tasks.
        if let Some(rt) = self._owned.take() {
            rt.shutdown_background();
        }
    }
}

/// The network an instance's sockets use. `None` backend = networking disabled: every
/// operation that would touch the network answers `access`.
///
/// Lock order: `backend` and `saved` are leaves, never held together (`bridge` swaps the
/// backend, releases it, then records the previous one in `saved`) and never across a
/// backend call: callers clone the backend's `Arc` out first.
pub struct Network {
    backend: RwLock<Option<Arc<dyn VirtualNetworking>>>,
    runtime: OnceLock<Runtime>,
    /// The instance's port (addresses, routes, gateway, MAC, bridge).
    pub port: super::port::Port,
    /// The local backend while bridged elsewhere (restored by `unbridge`).
    saved: std::sync::Mutex<Option<Arc<dyn VirtualNetworking>>>,
    /// How `tls://` bridges verify their server (a leaf lock, cloned out before use).
    trust: RwLock<super::bridge::BridgeTrust>,
}

impl Network {
    fn make(backend: Option<Arc<dyn VirtualNetworking>>) -> Network {
        Network {
            backend: RwLock::new(backend),
            runtime: OnceLock::new(),
            port: Default::default(),
            saved: Default::default(),
            trust: Default::default(),
        }
    }

    /// Networking off (the default).
    pub fn disabled() -> Arc<Network> {
        Arc::new(Network::make(None))
    }

    /// Host networking (`LocalNetworking`), constructed inside our runtime as it requires.
    pub fn host() -> Result<Arc<Network>, ErrorCode> {
        let rt = Runtime::new()?;
        let backend: Arc<dyn VirtualNetworking> =
            rt.enter(|| Arc::new(virtual_net::host::LocalNetworking::new()));
        let n = Network::make(Some(backend));
        let _ = n.runtime.set(rt);
        Ok(Arc::new(n))
    }

    /// Any backend the embedder passes (e.g. virtual-net's in-process loopback).
    pub fn with_backend(backend: Arc<dyn VirtualNetworking>, runtime: Runtime) -> Arc<Network> {
        let n = Network::make(Some(backend));
        let _ = n.runtime.set(runtime);
        Arc::new(n)
    }

    pub fn enabled(&self) -> bool {
        self.backend
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// The backend, or `access` when networking is off.
    pub fn backend(&self) -> Result<Arc<dyn VirtualNetworking>, ErrorCode> {
        self.backend
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(ErrorCode::Access)
    }

    /// Swaps the backend (bridging to another network); returns the previous one.
    pub fn replace_backend(
        &self,
        b: Option<Arc<dyn VirtualNetworking>>,
    ) -> Option<Arc<dyn VirtualNetworking>> {
        std::mem::replace(
            &mut *self.backend.write().unwrap_or_else(|p| p.into_inner()),
            b,
        )
    }

    pub fn runtime(&self) -> Result<&Runtime, ErrorCode> {
        if let Some(r) = self.runtime.get() {
            return Ok(r);
        }
        let r = Runtime::new()?;
        Ok(self.runtime.get_or_init(|| r))
    }

    /// `ip-name-lookup.resolve-addresses`.
    pub fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ErrorCode> {
        if host.is_empty() || host.len() > 253 {
            return Err(ErrorCode::Invalid);
        }
        // Literal addresses resolve to themselves without asking anyone.
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            self.backend()?;
            return Ok(vec![ip]);
        }
        let b = self.backend()?;
        let rt = self.runtime()?;
        // A lookup can take seconds (DNS timeouts): an interrupt ends the wait (`intr`).
        let r = rt
            .block_on_interruptible(b.resolve(host, None, None))
            .ok_or(ErrorCode::Interrupted)?
            .map_err(ErrorCode::from)?;
        if r.is_empty() {
            return Err(ErrorCode::NameUnresolvable);
        }
        Ok(r)
    }
}

/// Port operations: the backend's answer when it implements them, else the port's table.
impl Network {
    /// Runs a backend port call; `None` when there is no backend or it does not implement
    /// the call (then the port's own table answers). A remote backend (a bridge) answers
    /// over the network: an interrupt ends the wait with `intr`.
    fn forward<T>(
        &self,
        call: impl FnOnce(
            Arc<dyn VirtualNetworking>,
        ) -> futures_like::BoxFut<'static, virtual_net::Result<T>>,
    ) -> Option<Result<T, ErrorCode>> {
        let b = self.backend().ok()?;
        let rt = self.runtime().ok()?;
        match rt.block_on_interruptible(call(b)) {
            None => Some(Err(ErrorCode::Interrupted)),
            Some(Err(virtual_net::NetworkError::Unsupported)) => None,
            Some(r) => Some(r.map_err(ErrorCode::from)),
        }
    }

    /// As `forward`, but while bridged the port's own table answers: routes and the
    /// gateway steer this instance's sockets (`route::decide`), so they live here, not at
    /// the server (virtual-net's remote client sends them fire-and-forget anyway).
    fn forward_unbridged<T>(
        &self,
        call: impl FnOnce(
            Arc<dyn VirtualNetworking>,
        ) -> futures_like::BoxFut<'static, virtual_net::Result<T>>,
    ) -> Option<Result<T, ErrorCode>> {
        if self.is_bridged() {
            return None;
        }
        self.forward(call)
    }

    pub fn port_addr_add(&self, c: super::port::Cidr) -> Result<(), ErrorCode> {
        match self.forward(move |b| Box::pin(async move { b.ip_add(c.ip, c.prefix).await })) {
            Some(Ok(())) if self.is_bridged() => self.confirm_addr(c.ip),
            Some(r) => r,
            None => {
                self.port.addr_add(c);
                Ok(())
            }
        }
    }

    /// virtual-net's remote client sends `ip_add` without waiting for an answer: over a
    /// bridge whose server keeps addresses (`net serve --network isolated`), wait until the
    /// server lists it, so a peer can reach it once this call returns. Never listed
    /// (another host holds it): `addrinuse`. A server that keeps no addresses: done.
    fn confirm_addr(&self, ip: IpAddr) -> Result<(), ErrorCode> {
        for _ in 0..200 {
            match self.forward(|b| Box::pin(async move { b.ip_list().await })) {
                None => return Ok(()),
                Some(Err(e)) => return Err(e),
                Some(Ok(l)) if l.iter().any(|c| c.ip == ip) => return Ok(()),
                Some(Ok(_)) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
        Err(ErrorCode::AddressInUse)
    }

    pub fn port_addr_remove(&self, ip: IpAddr) -> Result<(), ErrorCode> {
        self.forward(move |b| Box::pin(async move { b.ip_remove(ip).await }))
            .unwrap_or_else(|| self.port.addr_remove(&ip))
    }

    pub fn port_addr_clear(&self) -> Result<(), ErrorCode> {
        match self.forward(|b| Box::pin(async move { b.ip_clear().await })) {
            Some(r) => r,
            None => {
                self.port.addr_clear();
                Ok(())
            }
        }
    }

    pub fn port_addr_list(&self) -> Result<Vec<super::port::Cidr>, ErrorCode> {
        match self.forward(|b| Box::pin(async move { b.ip_list().await })) {
            Some(r) => Ok(r?
                .into_iter()
                .map(|c| super::port::Cidr {
                    ip: c.ip,
                    prefix: c.prefix,
                })
                .collect()),
            None => Ok(self.port.addr_list()),
        }
    }

    pub fn port_mac(&self) -> Result<[u8; 6], ErrorCode> {
        self.forward(|b| Box::pin(async move { b.mac().await }))
            .unwrap_or(Ok(self.port.mac()))
    }

    pub fn port_gateway_set(&self, ip: IpAddr) -> Result<(), ErrorCode> {
        match self.forward_unbridged(move |b| Box::pin(async move { b.gateway_set(ip).await })) {
            Some(r) => r,
            None => {
                self.port.gateway_set(ip);
                Ok(())
            }
        }
    }

    pub fn port_dhcp_acquire(&self) -> Result<Vec<IpAddr>, ErrorCode> {
        self.forward(|b| Box::pin(async move { b.dhcp_acquire().await }))
            .unwrap_or_else(|| Ok(self.port.dhcp_acquire()))
    }

    pub fn port_route_add(&self, r: super::port::Route) -> Result<(), ErrorCode> {
        let cidr = virtual_net::IpCidr {
            ip: r.cidr.ip,
            prefix: r.cidr.prefix,
        };
        let (pu, ea) = (
            r.preferred_until.map(std::time::Duration::from_nanos),
            r.expires_at.map(std::time::Duration::from_nanos),
        );
        match self.forward_unbridged(move |b| {
            Box::pin(async move { b.route_add(cidr, r.via, pu, ea).await })
        }) {
            Some(res) => res,
            None => {
                self.port.route_add(r);
                Ok(())
            }
        }
    }

    pub fn port_route_remove(&self, ip: IpAddr) -> Result<(), ErrorCode> {
        self.forward_unbridged(move |b| Box::pin(async move { b.route_remove(ip).await }))
            .unwrap_or_else(|| self.port.route_remove(&ip))
    }

    pub fn port_route_clear(&self) -> Result<(), ErrorCode> {
        match self.forward_unbridged(|b| Box::pin(async move { b.route_clear().await })) {
            Some(r) => r,
            None => {
                self.port.route_clear();
                Ok(())
            }
        }
    }

    pub fn port_route_list(&self) -> Result<Vec<super::port::Route>, ErrorCode> {
        match self.forward_unbridged(|b| Box::pin(async move { b.route_list().await })) {
            Some(r) => Ok(r?
                .into_iter()
                .map(|x| super::port::Route {
                    cidr: super::port::Cidr {
                        ip: x.cidr.ip,
                        prefix: x.cidr.prefix,
                    },
                    via: x.via_router,
                    preferred_until: x.preferred_until.map(|d| d.as_nanos() as u64),
                    expires_at: x.expires_at.map(|d| d.as_nanos() as u64),
                })
                .collect()),
            None => Ok(self.port.route_list()),
        }
    }

    /// The routing decision for an outbound connection or datagram (`route::decide`).
    pub fn check_route(&self, dest: &IpAddr) -> Result<(), ErrorCode> {
        self.backend_for(dest).map(|_| ())
    }

    /// Whether the instance is bridged (its local backend is saved aside).
    pub fn is_bridged(&self) -> bool {
        self.saved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// The backend a new socket to `dest` uses: the routes decide between the bridge and
    /// the local network (split tunnelling); `netunreach` when no route reaches `dest`.
    pub fn backend_for(&self, dest: &IpAddr) -> Result<Arc<dyn VirtualNetworking>, ErrorCode> {
        use super::route::Path;
        let bridged = self.is_bridged();
        match self.port.decide(dest, bridged)? {
            Path::Default | Path::Bridge => self.backend(),
            Path::Local => {
                let local = self.saved.lock().unwrap_or_else(|p| p.into_inner()).clone();
                match local {
                    Some(l) => Ok(l),
                    None => self.backend(),
                }
            }
        }
    }

    /// Sets how `tls://` bridges verify their server (CA file, pinned fingerprints;
    /// default: the system roots).
    pub fn set_bridge_trust(&self, t: super::bridge::BridgeTrust) {
        *self.trust.write().unwrap_or_else(|p| p.into_inner()) = t;
    }

    /// Joins a served network (see `bridge`): afterwards every socket goes through it.
    pub fn bridge(&self, network: &str, token: &str, security: u8) -> Result<(), ErrorCode> {
        let via = self.backend()?;
        let rt = self.runtime()?;
        let route = |ip: &IpAddr| self.check_route(ip);
        let trust = self.trust.read().unwrap_or_else(|p| p.into_inner()).clone();
        let remote = super::bridge::connect(rt, via, route, network, token, security, &trust)?;
        let prev = self.replace_backend(Some(remote));
        let mut saved = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        if saved.is_none() {
            *saved = prev;
        }
        self.port.set_bridged(Some(network.to_string()));
        Ok(())
    }

    /// Back to the local network; `inval` when not bridged.
    pub fn unbridge(&self) -> Result<(), ErrorCode> {
        let prev = self.saved.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(local) = prev else {
            return Err(ErrorCode::Invalid);
        };
        self.replace_backend(Some(local));
        self.port.set_bridged(None);
        Ok(())
    }
}

mod futures_like {
    pub type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}
