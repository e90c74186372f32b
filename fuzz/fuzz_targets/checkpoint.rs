//! Any bytes as a checkpoint (`checkpoint::load`): an error is fine; a panic, a hang or an
//! allocation beyond the 16 MiB cap is a bug.
//!
//! The first byte picks how the rest becomes a file, so that mutations get past the length
//! and CRC checks: 0 as is; 1 with its last four bytes replaced by the right CRC; 2 as a JSON
//! header, a NUL, then tensor bytes, framed (magic, version, header length) with the tensor
//! bytes padded or cut to what the header declares and the CRC appended.
#![no_main]

use aescope::train::checkpoint::{self, FORMAT_VERSION, MAGIC};
use libfuzzer_sys::fuzz_target;

const CAP: u64 = 1 << 24;

fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// Bytes the header's `tensors` declare, if they are few.
fn declared(header: &[u8]) -> Option<usize> {
    let v: serde_json::Value = serde_json::from_slice(header).ok()?;
    let mut total = 0u64;
    for t in v.get("tensors")?.as_array()? {
        let w = if t.get("dtype")?.as_str()? == "f64" { 8 } else { 4 };
        let n = t.get("rows")?.as_u64()?.checked_mul(t.get("cols")?.as_u64()?)?;
        total = total.checked_add(n.checked_mul(w)?)?;
    }
    (total <= 1 << 20).then_some(usize::try_from(total).ok()?)
}

fn file(data: &[u8]) -> Option<Vec<u8>> {
    let (&mode, rest) = data.split_first()?;
    Some(match mode % 3 {
        0 => rest.to_vec(),
        1 => with_crc(rest[..rest.len().saturating_sub(4)].to_vec()),
        _ => {
            let nul = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (header, tensors) = (&rest[..nul], rest.get(nul + 1..).unwrap_or_default());
            let mut tensors = tensors.to_vec();
            if let Some(n) = declared(header) {
                let fill = tensors.clone();
                tensors = (0..n).map(|i| fill.get(i % fill.len().max(1)).copied().unwrap_or(0)).collect();
            }
            let mut body = MAGIC.to_vec();
            body.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            body.extend_from_slice(&u32::try_from(header.len()).ok()?.to_le_bytes());
            body.extend_from_slice(header);
            body.extend_from_slice(&tensors);
            with_crc(body)
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = file(data) else {
        return;
    };
    let path = std::env::temp_dir().join(format!("aescope-fuzz-{}.ckpt", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let loaded = checkpoint::load(&path, CAP);
    let _ = std::fs::remove_file(&path);
    if let Ok(ck) = loaded {
        // What loads is what `--resume` trains on: shapes as its settings say.
        let (d, n) = (ck.config().data.d, ck.config().n());
        assert_eq!(ck.state.a.dim(), (d, n));
        assert_eq!(ck.state.b.dim(), (n, d));
    }
});
