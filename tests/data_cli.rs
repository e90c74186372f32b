//! `aescope data` as a user runs it: the digits summary, and every malformed file exits 2 with
//! a message naming the file, never a panic.

use std::io::Write;
use std::path::Path;
use std::process::Command;

fn aescope_data(file: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .arg("data")
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("running aescope: {e}"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap_or_else(|err| panic!("{err}"));
    e.finish().unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn digits_summary() {
    let (code, out, err) = aescope_data(Path::new("builtin:digits"));
    assert_eq!(code, 0, "{err}");
    for want in [
        "1797",
        "8×8",
        "0 … 16",
        "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
        // Water-filling at r = 0.5 (n = 32), checked against numpy in the README.
        "0.291386",
    ] {
        assert!(out.contains(want), "missing {want}:\n{out}");
    }
}

#[test]
fn malformed_files_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let idx = |dims: &[u32], data: usize| {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(std::iter::repeat_n(3u8, data));
        v
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", vec![], "empty"),
        ("magic.npy", b"GIF89a not numpy".to_vec(), "wrong magic"),
        ("long-idx3-ubyte", idx(&[2, 2, 2], 9), "the header says"),
        ("short-idx3-ubyte", idx(&[60000, 28, 28], 50), "truncated"),
        ("zero-idx3-ubyte", idx(&[0, 28, 28], 0), "absurd dimensions"),
        ("ragged.csv", b"1,2\n3\n".to_vec(), "line 2 has 1 columns"),
        ("text.csv", b"1,2\n3,x\n".to_vec(), "'x' is not a number"),
        ("nan.csv", b"1,2\n3,nan\n".to_vec(), "line 2, column 2"),
        ("same.csv", b"1,2\n1,2\n".to_vec(), "constant data"),
        ("cut.csv.gz", gz(b"1,2\n3,4\n")[..12].to_vec(), "gzip"),
    ];
    for (name, bytes, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let (code, _, err) = aescope_data(&p);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(want) && err.contains(name), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let (code, _, err) = aescope_data(&dir.path().join("absent.idx"));
    assert!(code == 2 && err.contains("no such file"), "{err}");
    let (code, _, err) = aescope_data(dir.path());
    assert!(code == 2 && err.contains("is a directory"), "{err}");
}
