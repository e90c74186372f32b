//! IDX files (MNIST, Fashion-MNIST, EMNIST): `00 00 TYPE NDIM`, NDIM big-endian u32
//! dimensions, then the data in C order, big-endian.

use super::body::Body;
use super::{DataFileError, LoadOptions, Parsed, keep};

const FORMAT: &str = "IDX";

/// (type code, element bytes, name).
const TYPES: [(u8, usize, &str); 6] = [
    (0x08, 1, "u8"),
    (0x09, 1, "i8"),
    (0x0B, 2, "i16"),
    (0x0C, 4, "i32"),
    (0x0D, 4, "f32"),
    (0x0E, 8, "f64"),
];

/// Whether the first bytes are an IDX magic number.
pub(crate) fn looks_like(head: &[u8]) -> bool {
    head.len() >= 4
        && head[0] == 0
        && head[1] == 0
        && TYPES.iter().any(|t| t.0 == head[2])
        && (1..=4).contains(&head[3])
}

fn convert(code: u8, bytes: &[u8], out: &mut Vec<f32>) {
    match code {
        0x08 => out.extend(bytes.iter().map(|&b| f32::from(b))),
        0x09 => out.extend(bytes.iter().map(|&b| f32::from(b.cast_signed()))),
        0x0B => out.extend(
            bytes
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_be_bytes([c[0], c[1]]))),
        ),
        0x0C => out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f32),
        ),
        0x0D => out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])),
        ),
        _ => {
            out.extend(bytes.chunks_exact(8).map(|c| {
                f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
            }));
        }
    }
}

pub(crate) fn parse(body: &mut Body<'_>, opts: &LoadOptions) -> Result<Parsed, DataFileError> {
    let mut magic = [0u8; 4];
    body.header(&mut magic, FORMAT)?;
    if !looks_like(&magic) {
        return Err(DataFileError::BadMagic {
            path: body.path().into(),
            format: FORMAT,
            expected: "00 00 <type 08|09|0B|0C|0D|0E> <ndim 1..4>",
            found: hex(&magic),
        });
    }
    let (code, elem, dtype) = TYPES
        .iter()
        .copied()
        .find(|t| t.0 == magic[2])
        .unwrap_or(TYPES[0]);
    let ndim = usize::from(magic[3]);
    let mut raw = vec![0u8; 4 * ndim];
    body.header(&mut raw, FORMAT)?;
    let dims: Vec<u64> = raw
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    if ndim == 1 {
        return Err(DataFileError::Unsupported {
            path: body.path().into(),
            format: FORMAT,
            what: format!(
                "a 1-D array of {} values is a label file; use the images file (e.g. train-images-idx3-ubyte)",
                dims[0]
            ),
        });
    }
    let header_len = 4 + 4 * ndim as u64;
    let expected = body.check_claim(&dims, elem as u64, header_len)?;
    let samples = dims[0] as usize;
    let shape: Vec<usize> = dims[1..].iter().map(|&d| d as usize).collect();
    let features: usize = shape.iter().product();
    let start = body.consumed();
    let kept = keep(samples, opts);
    let data = body.records(samples, features * elem, kept, features, |b, out| {
        convert(code, b, out);
    })?;
    body.expect_end(&dims, expected, start)?;
    Ok(Parsed {
        data,
        kept,
        features,
        samples_in_file: samples,
        shape,
        dtype,
        finite_checked: false,
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
