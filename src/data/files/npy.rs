//! NumPy `.npy` files, read by our own parser: `\x93NUMPY`, version, header length, a Python
//! dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, ...), }`, then the data.
//! The header's shape is checked against the file length before anything is allocated.

use super::body::Body;
use super::idx::hex;
use super::{DataFileError, LoadOptions, Parsed, keep};

pub(crate) const MAGIC: &[u8] = b"\x93NUMPY";
const FORMAT: &str = "NPY";
/// A header longer than this is not a NumPy header (NumPy writes under 100 bytes).
const MAX_HEADER: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dtype {
    U8,
    F32 { big: bool },
    F64 { big: bool },
}

impl Dtype {
    fn parse(descr: &str) -> Option<Dtype> {
        let (order, code) = match descr.chars().next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
            _ => ('=', descr),
        };
        let big = order == '>' || (order == '=' && cfg!(target_endian = "big"));
        match code {
            "u1" | "B" => Some(Dtype::U8),
            "f4" | "f" => Some(Dtype::F32 { big }),
            "f8" | "d" => Some(Dtype::F64 { big }),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::U8 => 1,
            Dtype::F32 { .. } => 4,
            Dtype::F64 { .. } => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dtype::U8 => "u8",
            Dtype::F32 { .. } => "f32",
            Dtype::F64 { .. } => "f64",
        }
    }

    fn convert(self, bytes: &[u8], out: &mut Vec<f32>) {
        match self {
            Dtype::U8 => out.extend(bytes.iter().map(|&b| f32::from(b))),
            Dtype::F32 { big } => out.extend(bytes.chunks_exact(4).map(|c| {
                let a = [c[0], c[1], c[2], c[3]];
                if big {
                    f32::from_be_bytes(a)
                } else {
                    f32::from_le_bytes(a)
                }
            })),
            Dtype::F64 { big } => out.extend(bytes.chunks_exact(8).map(|c| {
                let a = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                (if big {
                    f64::from_be_bytes(a)
                } else {
                    f64::from_le_bytes(a)
                }) as f32
            })),
        }
    }
}

/// The three fields of the header dict.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran: bool,
    shape: Vec<u64>,
}

/// The value after `'key':` in the dict text, up to its end.
fn value_of<'a>(dict: &'a str, key: &str) -> Option<&'a str> {
    let at = dict
        .find(&format!("'{key}'"))
        .or_else(|| dict.find(&format!("\"{key}\"")))?;
    let rest = &dict[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?;
    Some(rest.trim_start())
}

fn parse_header(dict: &str) -> Result<Header, String> {
    let descr = value_of(dict, "descr").ok_or("no 'descr' key")?;
    let quote = descr.chars().next().ok_or("empty 'descr'")?;
    if quote != '\'' && quote != '"' {
        return Err(format!(
            "'descr' is not a plain type string (structured dtypes are not supported): {}",
            descr.chars().take(30).collect::<String>()
        ));
    }
    let end = descr[1..]
        .find(quote)
        .ok_or("unterminated 'descr' string")?;
    let descr = descr[1..=end].to_string();
    let fortran = value_of(dict, "fortran_order").ok_or("no 'fortran_order' key")?;
    let fortran = if fortran.starts_with("True") {
        true
    } else if fortran.starts_with("False") {
        false
    } else {
        return Err("'fortran_order' is neither True nor False".into());
    };
    let shape = value_of(dict, "shape").ok_or("no 'shape' key")?;
    let shape = shape.strip_prefix('(').ok_or("'shape' is not a tuple")?;
    let end = shape.find(')').ok_or("unterminated 'shape' tuple")?;
    let shape = shape[..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<u64>()
                .map_err(|_| format!("shape entry '{s}' is not a non-negative integer"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Header {
        descr,
        fortran,
        shape,
    })
}

pub(crate) fn parse(body: &mut Body<'_>, opts: &LoadOptions) -> Result<Parsed, DataFileError> {
    let path = body.path().to_path_buf();
    let bad = |what: String| DataFileError::BadHeader {
        path: path.clone(),
        format: FORMAT,
        what,
    };
    let mut pre = [0u8; 8];
    body.header(&mut pre, FORMAT)?;
    if &pre[..6] != MAGIC {
        return Err(DataFileError::BadMagic {
            path: path.clone(),
            format: FORMAT,
            expected: "93 4E 55 4D 50 59 (\\x93NUMPY)",
            found: hex(&pre[..6]),
        });
    }
    let major = pre[6];
    let header_len = match major {
        1 => {
            let mut l = [0u8; 2];
            body.header(&mut l, FORMAT)?;
            usize::from(u16::from_le_bytes(l))
        }
        2 | 3 => {
            let mut l = [0u8; 4];
            body.header(&mut l, FORMAT)?;
            u32::from_le_bytes(l) as usize
        }
        v => return Err(bad(format!("version {v}.{} (expected 1, 2 or 3)", pre[7]))),
    };
    if header_len > MAX_HEADER {
        return Err(bad(format!(
            "header length {header_len} bytes (at most {MAX_HEADER})"
        )));
    }
    let prefix = body.consumed();
    if let Some(len) = body.known_len()
        && prefix + header_len as u64 > len
    {
        return Err(bad(format!(
            "header length {header_len} runs past the end of the file ({len} bytes)"
        )));
    }
    let mut text = vec![0u8; header_len];
    body.header(&mut text, FORMAT)?;
    let text = String::from_utf8(text).map_err(|_| bad("header is not text".into()))?;
    let header = parse_header(&text).map_err(bad)?;
    let dtype = Dtype::parse(&header.descr).ok_or_else(|| DataFileError::Unsupported {
        path: path.clone(),
        format: FORMAT,
        what: format!("dtype '{}' (supported: u1, f4, f8)", header.descr),
    })?;
    let ndim = header.shape.len();
    if !(2..=4).contains(&ndim) {
        return Err(DataFileError::Unsupported {
            path: path.clone(),
            format: FORMAT,
            what: format!(
                "a {ndim}-D array of shape {:?}; expected samples × features (2-D) or a stack of images (3-D or 4-D)",
                header.shape
            ),
        });
    }
    let header_total = prefix + header_len as u64;
    let expected = body.check_claim(&header.shape, dtype.size() as u64, header_total)?;
    let samples = header.shape[0] as usize;
    let shape: Vec<usize> = header.shape[1..].iter().map(|&d| d as usize).collect();
    let features: usize = shape.iter().product();
    let kept = keep(samples, opts);
    let start = body.consumed();
    let data = if header.fortran {
        // Column-major: a sample is scattered over the whole file, so read it all, then gather.
        let all = body.records(
            samples,
            features * dtype.size(),
            samples,
            features,
            |b, out| dtype.convert(b, out),
        )?;
        fortran_to_c(&all, samples, &shape, kept)
    } else {
        body.records(
            samples,
            features * dtype.size(),
            kept,
            features,
            |b, out| dtype.convert(b, out),
        )?
    };
    body.expect_end(&header.shape, expected, start)?;
    Ok(Parsed {
        data,
        kept,
        features,
        samples_in_file: samples,
        shape,
        dtype: dtype.name(),
        finite_checked: false,
    })
}

/// Reorders Fortran-order data of shape `(samples, shape...)` into C order, keeping the first
/// `kept` samples. Element `(i0, i1, …, ik)` sits at `i0 + samples·(i1 + s1·(i2 + …))`.
fn fortran_to_c(all: &[f32], samples: usize, shape: &[usize], kept: usize) -> Vec<f32> {
    let features: usize = shape.iter().product();
    let mut out = vec![0.0f32; kept * features];
    let mut idx = vec![0usize; shape.len()];
    for f_fortran in 0..features {
        // idx is the multi-index of f_fortran (first axis fastest); its C-order position:
        let f_c = idx.iter().zip(shape).fold(0, |acc, (&i, &s)| acc * s + i);
        for i0 in 0..kept {
            out[i0 * features + f_c] = all[i0 + samples * f_fortran];
        }
        for (i, &s) in idx.iter_mut().zip(shape) {
            *i += 1;
            if *i < s {
                break;
            }
            *i = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_dicts() {
        let h =
            parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").unwrap();
        assert_eq!(
            h,
            Header {
                descr: "<f4".into(),
                fortran: false,
                shape: vec![3, 4]
            }
        );
        let h = parse_header("{'descr': '|u1', 'fortran_order': True, 'shape': (5,), }").unwrap();
        assert_eq!(h.shape, vec![5]);
        assert!(h.fortran);
        assert!(
            parse_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}")
                .is_err()
        );
        assert!(parse_header("{'descr': '<f4', 'shape': (3,)}").is_err());
        assert!(parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}").is_err());
        assert_eq!(Dtype::parse(">f8"), Some(Dtype::F64 { big: true }));
        assert_eq!(Dtype::parse("<i8"), None);
    }

    #[test]
    fn fortran_gather() {
        // A (2, 2, 3) array a[i, j, k] = 100 i + 10 j + k stored column-major.
        let (n, s) = (2, [2usize, 3]);
        let mut all = vec![0.0f32; 12];
        for i in 0..n {
            for j in 0..s[0] {
                for k in 0..s[1] {
                    all[i + n * (j + s[0] * k)] = (100 * i + 10 * j + k) as f32;
                }
            }
        }
        let c = fortran_to_c(&all, n, &s, 2);
        let want: Vec<f32> = (0..2)
            .flat_map(|i| {
                (0..2).flat_map(move |j| (0..3).map(move |k| (100 * i + 10 * j + k) as f32))
            })
            .collect();
        assert_eq!(c, want);
        assert_eq!(fortran_to_c(&all, n, &s, 1), want[..6]);
    }
}
