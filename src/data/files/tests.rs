//! Every format and every malformed-file case, on files written to a temporary directory.

use super::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::io::Write;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn idx_u8(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

/// An NPY v1 file with the given header dict and payload, padded as NumPy does.
fn npy(dict: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend((header.len() as u16).to_le_bytes());
    v.extend(header.as_bytes());
    v.extend(payload);
    v
}

fn pixels(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn load_ok(p: &Path) -> Dataset {
    load(p, &LoadOptions::default()).unwrap()
}

fn load_err(p: &Path, opts: &LoadOptions) -> DataFileError {
    let e = load(p, opts).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&p.display().to_string()),
        "message does not name the file: {msg}"
    );
    e
}

fn sha(bytes: &[u8]) -> String {
    body::hex_lower(&Sha256::digest(bytes))
}

#[test]
fn idx_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let data = pixels(5 * 4 * 3);
    let raw = idx_u8(&[5, 4, 3], &data);
    for (name, bytes) in [
        ("t-images-idx3-ubyte", raw.clone()),
        ("t-images-idx3-ubyte.gz", gz(&raw)),
    ] {
        let p = write(&dir, name, &bytes);
        let ds = load_ok(&p);
        assert_eq!(ds.format, Format::Idx);
        assert_eq!(ds.x.dim(), (5, 12));
        assert_eq!(ds.shape, vec![4, 3]);
        assert_eq!(ds.x[[2, 5]], f32::from(data[2 * 12 + 5]));
        assert_eq!(ds.sha256, sha(&bytes));
        assert_eq!(ds.gzip, name.contains(".gz"));
        let few = load(
            &p,
            &LoadOptions {
                max_samples: Some(2),
                ..LoadOptions::default()
            },
        )
        .unwrap();
        assert_eq!((few.samples(), few.samples_in_file), (2, 5));
        assert_eq!(few.sha256, ds.sha256);
    }
}

#[test]
fn idx_float_types() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vec![0, 0, 0x0D, 2];
    v.extend(2u32.to_be_bytes());
    v.extend(2u32.to_be_bytes());
    for x in [1.5f32, -2.0, 0.25, 8.0] {
        v.extend(x.to_be_bytes());
    }
    let ds = load_ok(&write(&dir, "f.idx", &v));
    assert_eq!(ds.x.as_slice().unwrap(), &[1.5, -2.0, 0.25, 8.0]);
    assert_eq!(ds.dtype, "f32");
}

#[test]
fn npy_dtypes_orders_and_stacks() {
    let dir = tempfile::tempdir().unwrap();
    // u8, 3-D stack of 3 images 2×2.
    let p = write(
        &dir,
        "a.npy",
        &npy(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 2), }",
            &pixels(12),
        ),
    );
    let ds = load_ok(&p);
    assert_eq!(
        (ds.x.dim(), ds.shape.clone(), ds.dtype),
        ((3, 4), vec![2, 2], "u8")
    );
    // f32 little-endian 2-D.
    let vals = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.5];
    let payload: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(
        &dir,
        "b.npy",
        &npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &payload,
        ),
    );
    assert_eq!(load_ok(&p).x.as_slice().unwrap(), &vals);
    // f64, Fortran order: the same 2×3 matrix stored column-major.
    let cols = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.5];
    let payload: Vec<u8> = cols.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(
        &dir,
        "c.npy.gz",
        &gz(&npy(
            "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
            &payload,
        )),
    );
    let ds = load_ok(&p);
    assert_eq!(ds.x.as_slice().unwrap(), &vals);
    assert_eq!(ds.dtype, "f64");
    // 4-D stack, big-endian f4, version 2 header.
    let vals: Vec<f32> = (0..2 * 3 * 2 * 2).map(|i| i as f32).collect();
    let payload: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    let dict = "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3, 2, 2), }\n";
    let mut v = b"\x93NUMPY\x02\x00".to_vec();
    v.extend((dict.len() as u32).to_le_bytes());
    v.extend(dict.as_bytes());
    v.extend(&payload);
    let ds = load_ok(&write(&dir, "d.npy", &v));
    assert_eq!(ds.shape, vec![3, 2, 2]);
    assert_eq!(ds.x.as_slice().unwrap(), vals.as_slice());
}

#[test]
fn csv_header_and_label_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "a.csv", b"label,p1,p2\n3, 0.5,1\n1,2,-1e3\n");
    let opts = LoadOptions {
        label_column: Some(LabelColumn::First),
        ..LoadOptions::default()
    };
    let ds = load(&p, &opts).unwrap();
    assert_eq!(ds.x.as_slice().unwrap(), &[0.5, 1.0, 2.0, -1000.0]);
    assert_eq!(ds.format, Format::Csv);
    // No header, label last, shape given.
    let p = write(&dir, "b.csv", b"1,2,3,4,9\n5,6,7,8,9\n");
    let ds = load(
        &p,
        &LoadOptions {
            label_column: Some(LabelColumn::Last),
            shape: Some(vec![2, 2]),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(ds.x.row(1).to_vec(), vec![5.0, 6.0, 7.0, 8.0]);
    assert_eq!(ds.shape, vec![2, 2]);
    let e = load_err(
        &p,
        &LoadOptions {
            label_column: Some(LabelColumn::Index(5)),
            ..LoadOptions::default()
        },
    );
    assert!(
        matches!(
            e,
            DataFileError::LabelColumn {
                column: 5,
                width: 5,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn cifar_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vec::new();
    for label in [3u8, 7] {
        v.push(label);
        v.extend(pixels(3072).iter().map(|p| p.wrapping_add(label)));
    }
    let ds = load_ok(&write(&dir, "data_batch_1.bin", &v));
    assert_eq!((ds.x.dim(), ds.shape.clone()), ((2, 3072), vec![3, 32, 32]));
    assert_eq!(ds.x[[1, 0]], 7.0);
    let e = load_err(
        &write(&dir, "short.bin", &v[..5000]),
        &LoadOptions::default(),
    );
    assert!(
        matches!(
            e,
            DataFileError::Truncated {
                expected: 6146,
                actual: 5000,
                ..
            }
        ),
        "{e}"
    );
    v[3073] = 200;
    let e = load_err(&write(&dir, "bad.bin", &v), &LoadOptions::default());
    assert!(e.to_string().contains("label byte 200"), "{e}");
}

#[test]
fn builtin_digits() {
    let (bytes, opts) = builtin::get("digits").unwrap();
    let ds = load_bytes(Path::new("builtin:digits"), bytes, &opts).unwrap();
    assert_eq!(ds.x.dim(), (1797, 64));
    assert_eq!(ds.shape, vec![8, 8]);
    assert_eq!(ds.range(), (0.0, 16.0));
    assert!(ds.gzip);
    assert_eq!(ds.sha256, sha(bytes));
}

// ---- malformed files: one test per case ----

#[test]
fn missing_directory_empty() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_err(&dir.path().join("nope.idx"), &LoadOptions::default());
    assert!(matches!(e, DataFileError::Missing { .. }) && e.to_string().contains("no such file"));
    let e = load_err(dir.path(), &LoadOptions::default());
    assert!(matches!(e, DataFileError::Directory { .. }), "{e}");
    let e = load_err(&write(&dir, "e.csv", b""), &LoadOptions::default());
    assert!(matches!(e, DataFileError::Empty { .. }), "{e}");
    // An empty gzip member is an empty payload too.
    let e = load_err(&write(&dir, "e.csv.gz", &gz(b"")), &LoadOptions::default());
    assert!(matches!(e, DataFileError::Empty { .. }), "{e}");
}

#[test]
fn wrong_magic() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "x.npy", b"PK\x03\x04 this is a zip file");
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(e, DataFileError::BadMagic { format: "NPY", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("50 4B 03 04"), "{e}");
    let p = write(&dir, "x-idx3-ubyte", &[1, 2, 3, 4, 5, 6, 7, 8]);
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(e, DataFileError::BadMagic { format: "IDX", .. }),
        "{e}"
    );
    let p = write(&dir, "mystery", &[1, 2, 3, 4, 5, 6, 7, 8]);
    let e = load_err(&p, &LoadOptions::default());
    assert!(matches!(e, DataFileError::UnknownFormat { .. }), "{e}");
}

#[test]
fn header_dims_against_length() {
    let dir = tempfile::tempdir().unwrap();
    // Header says 2×2×2 = 8 bytes, file has 10.
    let p = write(&dir, "long-idx3-ubyte", &idx_u8(&[2, 2, 2], &pixels(10)));
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::LengthMismatch {
                expected: 8,
                actual: 10,
                ..
            }
        ),
        "{e}"
    );
    // The same inside gzip is found while reading.
    let p = write(
        &dir,
        "long-idx3-ubyte.gz",
        &gz(&idx_u8(&[2, 2, 2], &pixels(10))),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::LengthMismatch {
                expected: 8,
                actual: 10,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn truncated() {
    let dir = tempfile::tempdir().unwrap();
    // A header claiming 60000 MNIST images on a few bytes: refused before allocating.
    let p = write(
        &dir,
        "t-idx3-ubyte",
        &idx_u8(&[60000, 28, 28], &pixels(100)),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::Truncated {
                expected: 47_040_000,
                actual: 100,
                ..
            }
        ),
        "{e}"
    );
    let p = write(
        &dir,
        "t-idx3-ubyte.gz",
        &gz(&idx_u8(&[60000, 28, 28], &pixels(100))),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(e, DataFileError::Truncated { actual: 100, .. }),
        "{e}"
    );
    // A gzip stream cut short.
    let full = gz(&idx_u8(&[50, 10, 10], &pixels(5000)));
    let p = write(&dir, "cut-idx3-ubyte.gz", &full[..full.len() / 2]);
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::Gzip { .. } | DataFileError::Truncated { .. }
        ),
        "{e}"
    );
    // Inside the header.
    let p = write(&dir, "h-idx3-ubyte", &[0, 0, 8, 3, 0, 0]);
    let e = load_err(&p, &LoadOptions::default());
    assert!(matches!(e, DataFileError::BadHeader { .. }), "{e}");
    let p = write(
        &dir,
        "h.npy",
        &npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }",
            &[0; 20],
        ),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::Truncated {
                expected: 48,
                actual: 20,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn absurd_dimensions() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "z-idx3-ubyte", &idx_u8(&[0, 28, 28], &[]));
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(e, DataFileError::AbsurdDims { .. }) && e.to_string().contains("is 0"),
        "{e}"
    );
    let p = write(
        &dir,
        "huge-idx3-ubyte.gz",
        &gz(&idx_u8(&[u32::MAX, u32::MAX, u32::MAX], &[1, 2, 3])),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(matches!(e, DataFileError::AbsurdDims { .. }), "{e}");
    let p = write(
        &dir,
        "huge.npy",
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
            &[0; 16],
        ),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(matches!(e, DataFileError::AbsurdDims { .. }), "{e}");
    let p = write(
        &dir,
        "one.npy",
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &[0; 16],
        ),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(matches!(e, DataFileError::Unsupported { .. }), "{e}");
    let p = write(&dir, "labels-idx1-ubyte", &idx_u8(&[4], &[1, 2, 3, 4]));
    let e = load_err(&p, &LoadOptions::default());
    assert!(e.to_string().contains("label file"), "{e}");
}

#[test]
fn decompression_cap() {
    let dir = tempfile::tempdir().unwrap();
    let csv: Vec<u8> = (0..10_000)
        .flat_map(|i| format!("{i},1\n").into_bytes())
        .collect();
    let p = write(&dir, "big.csv.gz", &gz(&csv));
    let opts = LoadOptions {
        max_bytes: 10_000,
        ..LoadOptions::default()
    };
    let e = load_err(&p, &opts);
    assert!(
        matches!(e, DataFileError::TooLarge { cap: 10_000, .. }),
        "{e}"
    );
    assert_eq!(load_ok(&p).samples(), 10_000);
}

#[test]
fn ragged_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "r.csv", b"1,2,3\n4,5,6\n7,8\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::Ragged {
                line: 3,
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn non_numeric_cells() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "n.csv", b"a,b\n1,2\n3,oops\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::NonNumeric {
                line: 3,
                column: 2,
                ..
            }
        ) && e.to_string().contains("'oops'"),
        "{e}"
    );
    let p = write(&dir, "m.csv", b"1,2\n,4\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::NonNumeric {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn non_finite_values() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "n.csv", b"1,2,3\n4,NaN,6\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(e.to_string().contains("line 2, column 2"), "{e}");
    let p = write(&dir, "i.csv", b"1,2,3\n4,5,1e300\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(e.to_string().contains("line 2, column 3"), "{e}");
    let vals = [1.0f32, 2.0, 3.0, f32::INFINITY, 5.0, 6.0];
    let payload: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(
        &dir,
        "i.npy",
        &npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &payload,
        ),
    );
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(
            e,
            DataFileError::NonFinite {
                at: Location::Element {
                    sample: 1,
                    feature: 0
                },
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn shape_must_divide_features() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s-idx3-ubyte", &idx_u8(&[2, 4, 3], &pixels(24)));
    let opts = LoadOptions {
        shape: Some(vec![5, 5]),
        ..LoadOptions::default()
    };
    let e = load_err(&p, &opts);
    assert!(
        matches!(
            e,
            DataFileError::ShapeMismatch {
                product: 25,
                features: 12,
                ..
            }
        ),
        "{e}"
    );
    let opts = LoadOptions {
        shape: Some(vec![2, 6]),
        ..LoadOptions::default()
    };
    assert_eq!(load(&p, &opts).unwrap().shape, vec![2, 6]);
}

#[test]
fn constant_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "c.csv", b"1,2\n1,2\n1,2\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(
        matches!(e, DataFileError::Constant { samples: 3, .. }),
        "{e}"
    );
    let p = write(&dir, "h.csv", b"a,b\n");
    let e = load_err(&p, &LoadOptions::default());
    assert!(matches!(e, DataFileError::NoSamples { .. }), "{e}");
}

/// A seeded stand-in for the fuzz targets (which CI does not run): valid files of every
/// format with bytes overwritten, inserted and cut off must give an error or a data set,
/// never a panic.
#[test]
fn mutated_files_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
    let f32s: Vec<u8> = (0..24).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let mut cifar = vec![1u8];
    cifar.extend(pixels(3072));
    let seeds: Vec<(Format, Vec<u8>)> = vec![
        (Format::Idx, idx_u8(&[3, 2, 4], &pixels(24))),
        (
            Format::Npy,
            npy(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (4, 3, 2), }",
                &f32s,
            ),
        ),
        (Format::Csv, b"a,b,c\n1,2,3\n4,5,6\n7,8,9.5\n".to_vec()),
        (Format::Cifar, cifar),
    ];
    let opts = |f| LoadOptions {
        format: Some(f),
        max_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    for (format, valid) in seeds {
        for compress in [false, true] {
            let base = if compress { gz(&valid) } else { valid.clone() };
            for _ in 0..400 {
                let mut b = base.clone();
                for _ in 0..rng.random_range(1..4) {
                    let i = rng.random_range(0..b.len());
                    match rng.random_range(0..3) {
                        0 => b[i] = rng.random(),
                        1 => b.insert(i, rng.random()),
                        _ => b.truncate(i.max(1)),
                    }
                }
                let _ = load_bytes(Path::new("m"), &b, &opts(format));
            }
        }
    }
}
