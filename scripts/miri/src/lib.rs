//! `src/guest` as it is in the crate, compiled alone for Miri.
#[path = "../../../src/guest/mod.rs"]
pub mod guest;
