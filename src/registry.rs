//! The import registry: every (namespace, function) we provide with its wasm signature.
//! Used by the ABI test, the bad-input sweep and the compat-matrix generator.

use crate::witx::{Namespace, WasiEnv};
use wasmer::{FunctionEnv, Store};

pub struct ImportSig {
    pub module: &'static str,
    pub name: &'static str,
    pub params: Vec<wasmer::Type>,
    pub results: Vec<wasmer::Type>,
}

/// Builds every host function once in a scratch store and reads back its type.
pub fn signatures() -> Vec<ImportSig> {
    let mut store = Store::default();
    let ctx = crate::host::scratch_ctx();
    let mut out = Vec::new();
    for ns in Namespace::ALL {
        let env = FunctionEnv::new(&mut store, WasiEnv::new(ctx.clone(), ns.flavor()));
        for (name, f) in ns.build_all(&mut store, &env) {
            let ty = f.ty(&store);
            out.push(ImportSig {
                module: ns.name(),
                name,
                params: ty.params().to_vec(),
                results: ty.results().to_vec(),
            });
        }
    }
    out
}
