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
pub struct Network {
    backend: RwLock<Option<Arc<dyn VirtualNetworking>>>,
    runtime: OnceLock<Runtime>,
}

impl Network {
    /// Networking off (the default).
    pub fn disabled() -> Arc<Network> {
        Arc::new(Network {
            backend: RwLock::new(None),
            runtime: OnceLock::new(),
        })
    }

    /// Host networking (`LocalNetworking`), constructed inside our runtime as it requires.
    pub fn host() -> Result<Arc<Network>, ErrorCode> {
        let rt = Runtime::new()?;
        let backend: Arc<dyn VirtualNetworking> =
            rt.enter(|| Arc::new(virtual_net::host::LocalNetworking::new()));
        let n = Network {
            backend: RwLock::new(Some(backend)),
            runtime: OnceLock::new(),
        };
        let _ = n.runtime.set(rt);
        Ok(Arc::new(n))
    }

    /// Any backend the embedder passes (e.g. virtual-net's in-process loopback).
    pub fn with_backend(backend: Arc<dyn VirtualNetworking>, runtime: Runtime) -> Arc<Network> {
        let n = Network {
            backend: RwLock::new(Some(backend)),
            runtime: OnceLock::new(),
        };
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
        let r = rt
            .block_on(b.resolve(host, None, None))
            .map_err(ErrorCode::from)?;
        if r.is_empty() {
            return Err(ErrorCode::NameUnresolvable);
        }
        Ok(r)
    }
}
