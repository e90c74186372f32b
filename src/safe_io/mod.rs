//! Files as a hostile world hands them over: inputs that may be FIFOs, devices or huge, outputs
//! that may be symlinks, the preset itself or held by another running aescope, and text that
//! may carry terminal escape sequences.

pub mod input;
pub mod output;
pub mod text;

pub use input::{InputError, read_input};
pub use output::{OutputError, OutputFile, OutputMode};
pub use text::{excerpt, sanitize};
