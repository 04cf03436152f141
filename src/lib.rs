pub use taskchain_core::*;
