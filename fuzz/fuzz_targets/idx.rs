//! Any bytes, read as idx (gzip-compressed or not): an error is fine, a panic, a hang or an
//! allocation beyond the 16 MiB cap is a bug.
#![no_main]

use aescope::data::files::{Format, LoadOptions, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = LoadOptions {
        format: Some(Format::Idx),
        max_bytes: 1 << 24,
        ..LoadOptions::default()
    };
    let _ = load_bytes(std::path::Path::new("fuzz-input"), data, &opts);
});
