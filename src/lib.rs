//! wasix-compat: runs witx-era WASI / WASIX modules unchanged on wasmer by translating every
//! witx import onto a preview2-style resource core (see DESIGN.md §2 for the layering).

pub mod core;
pub mod guest;
pub mod host;
pub mod matrix;
pub mod options;
pub mod p1;
pub mod reference;
pub mod registry;

pub use host::{Builder, RunError};
