//! Numeric CSV: one sample per row, an optional header row, an optional label column to drop.

use super::body::Body;
use super::{DataFileError, LabelColumn, LoadOptions, Location, Parsed};
use csv::{ByteRecord, ReaderBuilder, Trim};

fn number(cell: &[u8]) -> Option<f64> {
    std::str::from_utf8(cell).ok()?.parse().ok()
}

pub(crate) fn parse(body: &mut Body<'_>, opts: &LoadOptions) -> Result<Parsed, DataFileError> {
    let path = body.path().to_path_buf();
    let max = opts.max_samples.unwrap_or(usize::MAX);
    let mut data = Vec::new();
    let mut samples = 0usize;
    let mut width = None::<usize>;
    let mut label = None::<usize>;
    let mut first = true;
    let result = {
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(Trim::All)
            .from_reader(&mut *body);
        let mut record = ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break Ok(()),
                Ok(true) => {}
                Err(e) => break Err(e),
            }
            let line = record.position().map_or(0, csv::Position::line);
            if first {
                first = false;
                let numeric = record.iter().all(|c| number(c).is_some());
                if opts.csv_header.unwrap_or(!numeric) {
                    continue;
                }
            }
            let w = *width.get_or_insert(record.len());
            if record.len() != w {
                return Err(DataFileError::Ragged {
                    path,
                    line,
                    expected: w,
                    got: record.len(),
                });
            }
            let drop = *label.get_or_insert(match opts.label_column {
                None => usize::MAX,
                Some(LabelColumn::First) => 0,
                Some(LabelColumn::Last) => w.saturating_sub(1),
                Some(LabelColumn::Index(i)) => i,
            });
            if opts.label_column.is_some() && drop >= w {
                return Err(DataFileError::LabelColumn {
                    path,
                    column: drop,
                    width: w,
                });
            }
            let store = samples < max;
            for (j, cell) in record.iter().enumerate() {
                let at = Location::Cell {
                    line,
                    column: j + 1,
                };
                let Some(v) = number(cell) else {
                    return Err(DataFileError::NonNumeric {
                        path,
                        line,
                        column: j + 1,
                        cell: String::from_utf8_lossy(cell).chars().take(40).collect(),
                    });
                };
                if j == drop {
                    continue;
                }
                if !v.is_finite() || !(v as f32).is_finite() {
                    return Err(DataFileError::NonFinite { path, at, value: v });
                }
                if store {
                    data.push(v as f32);
                }
            }
            samples += 1;
        }
    };
    if let Err(e) = result {
        return Err(match e.into_kind() {
            csv::ErrorKind::Io(io) => body.error(io),
            other => DataFileError::Io {
                path,
                source: std::io::Error::other(format!("{other:?}")),
            },
        });
    }
    let features = width
        .unwrap_or(0)
        .saturating_sub(usize::from(opts.label_column.is_some()));
    Ok(Parsed {
        data,
        kept: samples.min(max),
        features,
        samples_in_file: samples,
        shape: vec![features],
        dtype: "text",
        finite_checked: true,
    })
}
