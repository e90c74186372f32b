//! CIFAR-10 binary batches (`data_batch_1.bin` … `test_batch.bin`): records of one label byte
//! (0–9) and 3 072 pixel bytes, 1 024 per channel (red, green, blue), each 32×32 row-major.
//! No header: the length must be a whole number of records.

use super::body::Body;
use super::{DataFileError, LoadOptions, Parsed};

const FORMAT: &str = "CIFAR-10";
const PIXELS: usize = 3 * 32 * 32;
const RECORD: usize = 1 + PIXELS;

pub(crate) fn parse(body: &mut Body<'_>, opts: &LoadOptions) -> Result<Parsed, DataFileError> {
    let path = body.path().to_path_buf();
    let record = RECORD as u64;
    if let Some(len) = body.known_len()
        && len % record != 0
    {
        return Err(DataFileError::Truncated {
            path,
            expected: len.div_ceil(record) * record,
            actual: len,
        });
    }
    let max = opts.max_samples.unwrap_or(usize::MAX);
    let mut data = Vec::new();
    let mut buf = vec![0u8; RECORD];
    let mut samples = 0usize;
    loop {
        let got = body.fill(&mut buf)?;
        if got == 0 {
            break;
        }
        if got < RECORD {
            return Err(DataFileError::Truncated {
                path,
                expected: (samples as u64 + 1) * record,
                actual: body.consumed(),
            });
        }
        if buf[0] > 9 {
            return Err(DataFileError::BadHeader {
                path,
                format: FORMAT,
                what: format!(
                    "record {samples} starts with label byte {}, expected 0–9 (CIFAR-100 records have two label bytes and are not supported)",
                    buf[0]
                ),
            });
        }
        if samples < max {
            data.extend(buf[1..].iter().map(|&b| f32::from(b)));
        }
        samples += 1;
    }
    Ok(Parsed {
        kept: samples.min(max),
        data,
        features: PIXELS,
        samples_in_file: samples,
        shape: vec![3, 32, 32],
        dtype: "u8",
        finite_checked: true,
    })
}
