//! Reading a module or component with wasmparser: imports with their types, exports,
//! memories, `dylink.0`; a component through the same translation the loader uses.

use super::{Kind, Memory};
use crate::host::dylink::section::DylinkInfo;
use crate::p2::translate::{TrampolineKind, Val};
use wasmparser::{Parser, Payload, TypeRef, ValType, Validator, WasmFeatures};

/// A function type as value types.
pub type Sig = (Vec<ValType>, Vec<ValType>);

#[derive(Clone, Debug)]
pub enum RawType {
    Func(Sig),
    Memory(wasmparser::MemoryType),
    Table(String),
    Global(String),
    Tag,
}

#[derive(Clone, Debug)]
pub struct RawImport {
    pub module: String,
    pub name: String,
    pub ty: RawType,
}

/// A component's lowered import (or resource drop), as the loader sees it.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub interface: String,
    /// The function, or `[resource-drop]R`.
    pub func: String,
    pub drop: Option<String>,
    pub params: Vec<Val>,
    pub results: Vec<Val>,
}

#[derive(Clone, Debug, Default)]
pub struct Raw {
    pub kind: Kind,
    pub imports: Vec<RawImport>,
    pub lowered: Vec<Lowered>,
    /// Export names (of a component: its own and its core modules').
    pub exports: Vec<String>,
    pub memories: Vec<Memory>,
    /// Exports a `_start` of type `() -> ()`.
    pub start_ok: bool,
    pub dylink: Option<DylinkInfo>,
}

impl Raw {
    /// The real name of the WASI 0.2 run export (`wasi:cli/run@0.2.0#run`), if any.
    pub fn run_export(&self) -> Option<String> {
        self.exports.iter().find_map(|e| {
            let (interface, func) = match e.split_once('#') {
                Some((i, f)) => (i, Some(f)),
                None => (e.as_str(), None),
            };
            let run = crate::p2::link::unversioned(interface) == Some("wasi:cli/run");
            match (self.kind, func) {
                (Kind::Module, Some("run")) if run => Some(e.clone()),
                (Kind::Component, None) if run => Some(format!("{e}#run")),
                _ => None,
            }
        })
    }
}

/// The binary of `bytes`: as is when it has the `\0asm` magic, else assembled from WAT.
pub fn binary(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).ok();
    let looks_like_wat = text.is_some_and(|t| {
        let t = t.trim_start();
        t.starts_with('(') || t.starts_with(";;")
    });
    if !looks_like_wat {
        return Err("not a WebAssembly module or component (no `\\0asm` header, not WAT)".into());
    }
    wasmer::wat2wasm(bytes)
        .map(|b| b.into_owned())
        .map_err(|e| {
            let e = e.to_string();
            format!("invalid WAT: {}", e.lines().next().unwrap_or("").trim())
        })
}

fn invalid(e: wasmparser::BinaryReaderError) -> String {
    format!("invalid WebAssembly: {e}")
}

/// Validates and reads `wasm`.
pub fn parse(wasm: &[u8]) -> Result<Raw, String> {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(wasm)
        .map_err(invalid)?;
    if crate::p2::is_component(wasm) {
        return component(wasm);
    }
    module(wasm)
}

fn module(wasm: &[u8]) -> Result<Raw, String> {
    let mut raw = Raw {
        kind: Kind::Module,
        ..Raw::default()
    };
    let mut types: Vec<Option<Sig>> = Vec::new();
    // Type index of every function: imported ones first.
    let mut funcs: Vec<u32> = Vec::new();
    let mut start = None;
    let mut dylink = None;
    for p in Parser::new(0).parse_all(wasm) {
        match p.map_err(invalid)? {
            Payload::TypeSection(r) => {
                for g in r {
                    for t in g.map_err(invalid)?.into_types() {
                        types.push(match &t.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => {
                                Some((f.params().to_vec(), f.results().to_vec()))
                            }
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.map_err(invalid)?;
                    let ty = match i.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            funcs.push(t);
                            RawType::Func(
                                types.get(t as usize).cloned().flatten().unwrap_or_default(),
                            )
                        }
                        TypeRef::Memory(m) => {
                            raw.memories
                                .push(memory(Some(format!("{}.{}", i.module, i.name)), &m));
                            RawType::Memory(m)
                        }
                        TypeRef::Table(t) => RawType::Table(format!("{:?}", t.element_type)),
                        TypeRef::Global(g) => RawType::Global(format!(
                            "{}{}",
                            if g.mutable { "mut " } else { "" },
                            val(&g.content_type)
                        )),
                        TypeRef::Tag(_) => RawType::Tag,
                    };
                    raw.imports.push(RawImport {
                        module: i.module.to_string(),
                        name: i.name.to_string(),
                        ty,
                    });
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    funcs.push(t.map_err(invalid)?);
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    raw.memories.push(memory(None, &m.map_err(invalid)?));
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(invalid)?;
                    if e.name == "_start" && e.kind == wasmparser::ExternalKind::Func {
                        start = Some(e.index);
                    }
                    raw.exports.push(e.name.to_string());
                }
            }
            Payload::CustomSection(c) if c.name() == "dylink.0" => {
                dylink = Some(c.data().to_vec());
            }
            _ => {}
        }
    }
    raw.start_ok = start
        .and_then(|f| funcs.get(f as usize))
        .and_then(|t| types.get(*t as usize).cloned().flatten())
        .is_some_and(|(p, r)| p.is_empty() && r.is_empty());
    raw.dylink = crate::host::dylink::section::parse(dylink.as_deref())?;
    Ok(raw)
}

fn component(wasm: &[u8]) -> Result<Raw, String> {
    let mut raw = Raw {
        kind: Kind::Component,
        ..Raw::default()
    };
    // The component's own exports: those at nesting depth 0.
    let mut depth = 0usize;
    for p in Parser::new(0).parse_all(wasm) {
        match p.map_err(invalid)? {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(r) if depth == 1 => {
                for e in r {
                    raw.exports.push(e.map_err(invalid)?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    let plan = crate::p2::translate::translate(wasm).map_err(|e| e.to_string())?;
    for m in &plan.modules {
        let inner = module(m)?;
        raw.exports.extend(inner.exports);
        raw.memories
            .extend(inner.memories.into_iter().filter(|m| m.import.is_none()));
    }
    for t in &plan.trampolines {
        let (interface, func, drop) = match &t.kind {
            TrampolineKind::Lower {
                interface, func, ..
            } => (interface.clone(), func.clone(), None),
            TrampolineKind::ResourceDrop {
                interface,
                resource,
            } => (
                interface.clone(),
                format!("[resource-drop]{resource}"),
                Some(resource.clone()),
            ),
        };
        if raw
            .lowered
            .iter()
            .any(|l| l.interface == interface && l.func == func)
        {
            continue;
        }
        raw.lowered.push(Lowered {
            interface,
            func,
            drop,
            params: t.params.clone(),
            results: t.results.clone(),
        });
    }
    Ok(raw)
}

fn memory(import: Option<String>, m: &wasmparser::MemoryType) -> Memory {
    Memory {
        import,
        shared: m.shared,
        memory64: m.memory64,
        min_pages: m.initial,
        max_pages: m.maximum,
    }
}

/// A value type as the linker's messages write it (`i32`, `funcref`, …).
pub fn val(t: &ValType) -> String {
    match t {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) if r.is_func_ref() => "funcref".into(),
        ValType::Ref(r) if r.is_extern_ref() => "externref".into(),
        ValType::Ref(r) => format!("{r}").to_lowercase(),
    }
}

/// `(i32, i32) -> (i32)`.
pub fn sig_text(params: &[String], results: &[String]) -> String {
    format!("({}) -> ({})", params.join(", "), results.join(", "))
}
