//! The one wasmer name `src/guest` uses, so that it builds without wasmer under Miri.
pub trait FromToNativeWasmType {}
impl FromToNativeWasmType for u32 {}
impl FromToNativeWasmType for u64 {}
