//! Inputs that broke a reader under the fuzz targets of `fuzz/` (`scripts/fuzz`), kept as
//! regression tests: each must now be refused with a clear error naming the file. The inputs
//! are under tests/data/fuzz/.

use aescope::checkpoint;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(name)
}

/// A checkpoint whose header declares a tensor of 2^62 × 3 f32 values (the CRC is right):
/// the file's expected size overflowed u64, a panic with overflow checks and a size check
/// against a wrapped number without them ("2059 bytes where its header says 1626"). Found
/// with the `checkpoint` target's framing (a header, then tensor bytes).
#[test]
fn a_checkpoint_declaring_tensors_past_u64_is_refused_as_corrupt() {
    let path = data("checkpoint-tensor-size-overflow.ckpt");
    let err = match checkpoint::load(&path, u64::MAX) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("checkpoint-tensor-size-overflow.ckpt")
            && err.contains("A 4611686018427387904×3")
            && err.contains("corrupt"),
        "{err}"
    );
}
