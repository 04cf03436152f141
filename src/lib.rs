#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub use taskchain_core::*;
