//! The functions wasmer-wasix 0.704.2 links, read from its own import objects (for
//! `wasix-compat inspect`'s wasmer-wasix verdict).

use std::sync::OnceLock;
use wasmer::{Extern, FunctionEnv, FunctionType, Store};
use wasmer_wasix::{generate_import_object_from_env, WasiEnvBuilder, WasiVersion};

/// (module, name, type) of every function wasmer-wasix provides, built once per process
/// (empty if wasmer-wasix cannot build its environment here).
pub fn wasmer_wasix_imports() -> &'static [(String, String, FunctionType)] {
    static ALL: OnceLock<Vec<(String, String, FunctionType)>> = OnceLock::new();
    ALL.get_or_init(|| build().unwrap_or_default())
}

fn build() -> anyhow::Result<Vec<(String, String, FunctionType)>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let _enter = rt.enter();
    let mut store = Store::default();
    let env = WasiEnvBuilder::new("inspect")
        .engine(store.engine().clone())
        .build()?;
    let env = FunctionEnv::new(&mut store, env);
    let mut out: Vec<(String, String, FunctionType)> = Vec::new();
    for v in [
        WasiVersion::Snapshot0,
        WasiVersion::Snapshot1,
        WasiVersion::Wasix32v1,
        WasiVersion::Wasix64v1,
    ] {
        let imports = generate_import_object_from_env(&mut store, &env, v);
        for ((m, n), e) in &imports {
            if let Extern::Function(f) = e {
                let ty = f.ty(&store);
                if !out
                    .iter()
                    .any(|(om, on, ot)| *om == m && *on == n && *ot == ty)
                {
                    out.push((m, n, ty));
                }
            }
        }
    }
    Ok(out)
}
