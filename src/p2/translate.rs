//! A component, flattened by `wasmtime-environ` into what the linker needs: core modules
//! (with fixed-size tables made growable, DESIGN §9), the ordered instantiation steps, and
//! each trampoline named by interface and function. Nothing here touches wasmer.

use super::P2Error;
use std::collections::HashMap;
use wasmtime_environ::component::{
    CanonicalOptionsDataModel, ComponentTypesBuilder, CoreDef, Export, ExportItem,
    GlobalInitializer, InstantiateModule, InterfaceType, NameMapNoIntern, StringEncoding,
    Trampoline as Tramp, Translator, TypeResourceTable,
};
use wasmtime_environ::{EntityIndex, ScopeVec, Tunables, WasmValType};

/// Flat core value types of a trampoline's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    I32,
    I64,
    F32,
    F64,
    Other,
}

/// Where a core item comes from.
#[derive(Clone, Debug)]
pub enum Def {
    /// Export `name` of the core instance made by step `instance`'s instantiation.
    Export { instance: usize, name: String },
    /// Our host function for trampoline `n`.
    Trampoline(usize),
}

#[derive(Clone, Debug)]
pub enum Step {
    Instantiate {
        module: usize,
        /// (module, name, definition) for each of the module's imports, in order.
        args: Vec<(String, String, Def)>,
    },
    Memory {
        index: usize,
        def: Def,
    },
    Realloc {
        index: usize,
        def: Def,
    },
    PostReturn {
        index: usize,
        def: Def,
    },
}

#[derive(Clone, Debug)]
pub enum TrampolineKind {
    /// A lowered import: `interface` is versioned as imported (`wasi:cli/stdout@0.2.6`).
    Lower {
        interface: String,
        func: String,
        memory: Option<usize>,
        realloc: Option<usize>,
        /// (size, alignment) of the results when they come back through a return pointer
        /// (more than one flat result): the host checks the pointer against both.
        ret_area: Option<(u32, u32)>,
    },
    /// `[resource-drop]R` of an imported resource `R` from `interface`.
    ResourceDrop { interface: String, resource: String },
}

#[derive(Clone, Debug)]
pub struct Trampoline {
    pub kind: TrampolineKind,
    pub params: Vec<Val>,
    pub results: Vec<Val>,
}

pub struct Plan {
    /// Core modules, ready for wasmer.
    pub modules: Vec<Vec<u8>>,
    pub steps: Vec<Step>,
    pub trampolines: Vec<Trampoline>,
    pub memories: usize,
    pub reallocs: usize,
    pub post_returns: usize,
    /// `wasi:cli/run#run`: its core function and post-return.
    pub run: Def,
    pub run_post_return: Option<usize>,
}

/// Whether `bytes` is a component (binary layer field `0d 00 01 00`) rather than a module.
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[4..8] == [0x0d, 0x00, 0x01, 0x00]
}

fn val(t: &WasmValType) -> Val {
    match t {
        WasmValType::I32 => Val::I32,
        WasmValType::I64 => Val::I64,
        WasmValType::F32 => Val::F32,
        WasmValType::F64 => Val::F64,
        _ => Val::Other,
    }
}

/// Export names of a core module by (kind, index), from its export section.
fn export_names(wasm: &[u8]) -> Result<HashMap<(u8, u32), String>, P2Error> {
    let mut out = HashMap::new();
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(r) = p.map_err(P2Error::invalid)? {
            for e in r {
                let e = e.map_err(P2Error::invalid)?;
                out.insert((e.kind as u8, e.index), e.name.to_string());
            }
        }
    }
    Ok(out)
}

fn kind_index(e: &EntityIndex) -> (u8, u32) {
    use wasmparser::ExternalKind as K;
    use wasmtime_environ::EntityRef;
    match e {
        EntityIndex::Function(i) => (K::Func as u8, i.index() as u32),
        EntityIndex::Table(i) => (K::Table as u8, i.index() as u32),
        EntityIndex::Memory(i) => (K::Memory as u8, i.index() as u32),
        EntityIndex::Global(i) => (K::Global as u8, i.index() as u32),
        EntityIndex::Tag(i) => (K::Tag as u8, i.index() as u32),
    }
}

/// Translates a component's bytes into a [`Plan`].
pub fn translate(bytes: &[u8]) -> Result<Plan, P2Error> {
    use wasmtime_environ::EntityRef;
    let tunables = Tunables::default_host();
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    let mut types = ComponentTypesBuilder::new(&validator);
    let adapters = ScopeVec::new();
    let (translation, modules) = Translator::new(&tunables, &mut validator, &mut types, &adapters)
        .translate(bytes)
        .map_err(|e| P2Error::Invalid(format!("{e:#}")))?;
    let (types, _) = types.finish(&translation.component);
    let c = &translation.component;

    // Core instance index → the module it instantiates (to name its exports).
    let names: Vec<HashMap<(u8, u32), String>> = modules
        .values()
        .map(|m| export_names(m.wasm))
        .collect::<Result<_, _>>()?;
    let mut instance_module: Vec<usize> = Vec::new();
    let def = |d: &CoreDef, instance_module: &[usize]| -> Result<Def, P2Error> {
        match d {
            CoreDef::Export(e) => {
                let instance = e.instance.index();
                let module = *instance_module
                    .get(instance)
                    .ok_or_else(|| P2Error::Unsupported("an imported core module".into()))?;
                let name = match &e.item {
                    ExportItem::Name(n) => n.clone(),
                    ExportItem::Index(i) => names[module]
                        .get(&kind_index(i))
                        .cloned()
                        .ok_or_else(|| P2Error::Unsupported(format!("an unexported item {i:?}")))?,
                };
                Ok(Def::Export { instance, name })
            }
            CoreDef::Trampoline(t) => Ok(Def::Trampoline(t.index())),
            other => Err(P2Error::Unsupported(format!("core definition {other:?}"))),
        }
    };

    let mut steps = Vec::new();
    for init in &c.initializers {
        match init {
            GlobalInitializer::InstantiateModule(InstantiateModule::Static(m, args), _) => {
                let m = m.index();
                let imports: Vec<_> = modules[wasmtime_environ::StaticModuleIndex::new(m)]
                    .module
                    .imports()
                    .map(|(a, b, _)| (a.to_string(), b.to_string()))
                    .collect();
                let args = imports
                    .into_iter()
                    .zip(args.iter())
                    .map(|((a, b), d)| Ok((a, b, def(d, &instance_module)?)))
                    .collect::<Result<_, P2Error>>()?;
                steps.push(Step::Instantiate { module: m, args });
                instance_module.push(m);
            }
            GlobalInitializer::InstantiateModule(InstantiateModule::Import(..), _) => {
                return Err(P2Error::Unsupported("an imported core module".into()))
            }
            // Lowerings are described by their trampolines below.
            GlobalInitializer::LowerImport { .. } => {}
            GlobalInitializer::ExtractMemory(m) => steps.push(Step::Memory {
                index: m.index.index(),
                def: def(&CoreDef::from(m.export.clone()), &instance_module)?,
            }),
            GlobalInitializer::ExtractRealloc(r) => steps.push(Step::Realloc {
                index: r.index.index(),
                def: def(&r.def, &instance_module)?,
            }),
            GlobalInitializer::ExtractPostReturn(r) => steps.push(Step::PostReturn {
                index: r.index.index(),
                def: def(&r.def, &instance_module)?,
            }),
            GlobalInitializer::ExtractCallback(_) => {
                return Err(P2Error::Unsupported("async callbacks".into()))
            }
            GlobalInitializer::ExtractTable(_) => {
                return Err(P2Error::Unsupported("component threads (tables)".into()))
            }
            GlobalInitializer::Resource(_) => {
                return Err(P2Error::Unsupported(
                    "resources defined by the component".into(),
                ))
            }
        }
    }

    // Each lowering's import name, by lowered index.
    let mut lowered: HashMap<usize, (String, String)> = HashMap::new();
    for init in &c.initializers {
        if let GlobalInitializer::LowerImport { index, import } = init {
            let (imp, path) = &c.imports[*import];
            let iface = c.import_types[*imp].0.clone();
            let func = path.join("/");
            lowered.insert(index.index(), (iface, func));
        }
    }
    let mut trampolines = Vec::new();
    for (ti, t) in translation.trampolines.iter() {
        let sig = types.module_types()[c.trampolines[ti]].unwrap_func();
        let kind = match t {
            Tramp::LowerImport {
                index,
                options,
                lower_ty,
            } => {
                let (interface, func) = lowered
                    .get(&index.index())
                    .cloned()
                    .ok_or_else(|| P2Error::Unsupported("a lowering without an import".into()))?;
                let o = &c.options[*options];
                if o.async_ {
                    return Err(P2Error::Unsupported(format!(
                        "async lowering of `{interface}#{func}`"
                    )));
                }
                if !matches!(o.string_encoding, StringEncoding::Utf8) {
                    return Err(P2Error::Unsupported(format!(
                        "string encoding {:?} for `{interface}#{func}` (UTF-8 only)",
                        o.string_encoding
                    )));
                }
                let (memory, realloc) = match &o.data_model {
                    CanonicalOptionsDataModel::LinearMemory(m) => {
                        (m.memory.map(|i| i.index()), m.realloc.map(|i| i.index()))
                    }
                    CanonicalOptionsDataModel::Gc {} => {
                        return Err(P2Error::Unsupported("the GC data model".into()))
                    }
                };
                // The canonical ABI returns more than one flat result through memory.
                let results = types.canonical_abi(&InterfaceType::Tuple(types[*lower_ty].results));
                let ret_area = match results.flat_count {
                    Some(0 | 1) => None,
                    _ => Some((results.size32, results.align32)),
                };
                TrampolineKind::Lower {
                    interface,
                    func,
                    memory,
                    realloc,
                    ret_area,
                }
            }
            Tramp::ResourceDrop { ty, .. } => {
                let TypeResourceTable::Concrete { ty: res, .. } = &types[*ty] else {
                    return Err(P2Error::Unsupported("an abstract resource".into()));
                };
                let import = c.imported_resources.get(*res).ok_or_else(|| {
                    P2Error::Unsupported("dropping a resource the component defines".into())
                })?;
                let (imp, path) = &c.imports[*import];
                TrampolineKind::ResourceDrop {
                    interface: c.import_types[*imp].0.clone(),
                    resource: path.join("/"),
                }
            }
            other => {
                let name = format!("{other:?}");
                let name = name.split([' ', '{', '(']).next().unwrap_or("?");
                return Err(P2Error::Unsupported(format!("the `{name}` intrinsic")));
            }
        };
        trampolines.push(Trampoline {
            kind,
            params: sig.params().iter().map(val).collect(),
            results: sig.results().iter().map(val).collect(),
        });
    }

    // The entry point: `wasi:cli/run@0.2.x` exporting `run`.
    let run = (|| {
        // A semver-compatible lookup: `@0.2.0` finds any `@0.2.x` export.
        let (idx, _) = c.exports.get("wasi:cli/run@0.2.0", &NameMapNoIntern)?;
        let Export::Instance { exports, .. } = &c.export_items[*idx] else {
            return None;
        };
        let (f, _) = exports.get("run", &NameMapNoIntern)?;
        match &c.export_items[*f] {
            Export::LiftedFunction { func, options, .. } => Some((func.clone(), *options)),
            _ => None,
        }
    })()
    .ok_or(P2Error::NoRun)?;
    let run_post_return = c.options[run.1].post_return.map(|p| p.index());
    let run = def(&run.0, &instance_module)?;

    let modules = modules
        .values()
        .map(|m| super::tables::growable_tables(m.wasm))
        .collect::<Result<_, _>>()?;
    Ok(Plan {
        modules,
        steps,
        trampolines,
        memories: c.num_runtime_memories as usize,
        reallocs: c.num_runtime_reallocs as usize,
        post_returns: c.num_runtime_post_returns as usize,
        run,
        run_post_return,
    })
}
