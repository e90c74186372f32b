//! Reading and writing sweep results: CSV (rows, plus a `.by-rate.csv` of aggregates) or one
//! JSON document `{"runs": [...], "by_rate": [...]}`, chosen by the file's extension.
//!
//! Files are replaced atomically (written beside, then renamed), so an interrupted sweep never
//! leaves a half-written table: the runner rewrites the results after every finished run.

use super::SweepError;
use super::table::{RateSummary, Row, aggregate, sort_rows};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The CSV header of a rows file: [`Row`]'s fields as serde names them, in their order (the
/// writer's header comes from the same derive, so the two cannot disagree).
pub fn columns() -> &'static [&'static str] {
    static COLUMNS: std::sync::OnceLock<&'static [&'static str]> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut fields: &'static [&'static str] = &[];
        // Only the field list is wanted: the deserializer stops with an error right after.
        let _ = Row::deserialize(FieldNames(&mut fields));
        fields
    })
}

/// A deserializer that records the field names serde asks a struct for, and nothing else.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom(
            "FieldNames reads struct field names only",
        ))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom(
            "FieldNames reads struct field names only",
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// File format, from the extension: `.json` is JSON, anything else CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn of(path: &Path) -> Format {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json { Format::Json } else { Format::Csv }
    }
}

/// The JSON document.
#[derive(Debug, Serialize, Deserialize)]
struct Document {
    runs: Vec<Row>,
    #[serde(default)]
    by_rate: Vec<RateSummary>,
}

/// `s.csv` → `s.by-rate.csv`: where the per-rate aggregates of a CSV go.
pub fn by_rate_path(out: &Path) -> PathBuf {
    sibling(out, "by-rate.csv")
}

/// `s.csv` → `s.records/`: the default directory of the runs' JSONL records.
pub fn records_dir(out: &Path) -> PathBuf {
    sibling(out, "records")
}

/// `dir/stem.ext` → `dir/stem.suffix`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.{suffix}"))
}

/// Write the rows (sorted by r, seed) and their per-rate aggregates to `out`, returning the
/// files written.
pub fn write_results(out: &Path, rows: &[Row]) -> Result<Vec<PathBuf>, SweepError> {
    let mut rows = rows.to_vec();
    sort_rows(&mut rows);
    let by_rate = aggregate(&rows);
    match Format::of(out) {
        Format::Json => {
            let doc = Document {
                runs: rows,
                by_rate,
            };
            let mut text =
                serde_json::to_vec_pretty(&doc).map_err(|e| SweepError::io(out, "write", e))?;
            text.push(b'\n');
            write_atomic(out, &text)?;
            Ok(vec![out.to_path_buf()])
        }
        Format::Csv => {
            write_atomic(out, &to_csv(out, &rows)?)?;
            let agg = by_rate_path(out);
            write_atomic(&agg, &to_csv(&agg, &by_rate)?)?;
            Ok(vec![out.to_path_buf(), agg])
        }
    }
}

fn to_csv<T: Serialize>(path: &Path, items: &[T]) -> Result<Vec<u8>, SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for item in items {
        w.serialize(item)
            .map_err(|e| SweepError::io(path, "write", e))?;
    }
    w.into_inner()
        .map_err(|e| SweepError::io(path, "write", e.into_error()))
}

/// Write to `path.tmp`, then rename over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| SweepError::io(dir, "create the directory", e))?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "sweep".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| SweepError::io(&tmp, "write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| SweepError::io(path, "replace", e))
}

/// Largest results file read (a 100 000-run sweep is about 40 MB).
const MAX_RESULTS_BYTES: u64 = 1 << 30;

/// Read the rows of a results file written by `aescope sweep` (CSV or JSON, by extension).
pub fn read_rows(path: &Path) -> Result<Vec<Row>, SweepError> {
    // Only a regular file, of a sane size: a FIFO or /dev/zero must not hang or grow.
    let bytes = crate::safe_io::input::read_bytes(path, MAX_RESULTS_BYTES, "sweep results file")
        .map_err(|e| match e {
            crate::safe_io::InputError::Io { error, .. } => SweepError::io(path, "read", error),
            other => SweepError::BadTable {
                path: path.to_path_buf(),
                message: crate::safe_io::excerpt(&other.to_string(), 300),
            },
        })?;
    let bad = |message: String| SweepError::BadTable {
        path: path.to_path_buf(),
        message,
    };
    match Format::of(path) {
        Format::Json => serde_json::from_slice::<Document>(&bytes)
            .map(|d| d.runs)
            .map_err(|e| {
                bad(format!(
                    "not a sweep results document ({e}); expected {{\"runs\": [...]}} as written by aescope sweep --out FILE.json"
                ))
            }),
        Format::Csv => {
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            let header: Vec<String> = r
                .headers()
                .map_err(|e| bad(format!("cannot read the header: {e}")))?
                .iter()
                .map(str::to_string)
                .collect();
            check_header(&header).map_err(bad)?;
            let header = csv::StringRecord::from(header);
            r.records()
                .map(|record| {
                    let record = record.map_err(|e| bad(e.to_string()))?;
                    record.deserialize::<Row>(Some(&header)).map_err(|e| {
                        let line = record.position().map_or(0, csv::Position::line);
                        bad(format!("line {line}: {}", csv_message(&e, &record)))
                    })
                })
                .collect()
        }
    }
}

/// Columns added after the first results files were written: a file without them still reads
/// (each has a serde default).
const LATER_COLUMNS: &[&str] = &["whiten"];

fn check_header(header: &[String]) -> Result<(), String> {
    let columns = columns();
    let without_later = || {
        columns
            .iter()
            .filter(|c| !LATER_COLUMNS.contains(c))
            .eq(header.iter())
    };
    if header == columns || without_later() {
        return Ok(());
    }
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    let detail = if missing.is_empty() {
        format!("columns in another order: {}", header.join(","))
    } else {
        format!("missing columns {}", missing.join(", "))
    };
    Err(format!(
        "not a sweep results CSV ({detail}); expected the header {} (the .by-rate.csv aggregates cannot be merged: merge the rows files)",
        columns.join(",")
    ))
}

/// The csv error without its own position prefix (we print the line), naming the column.
fn csv_message(e: &csv::Error, record: &csv::StringRecord) -> String {
    let csv::ErrorKind::Deserialize { err, .. } = e.kind() else {
        return e.to_string();
    };
    let message = err.kind().to_string();
    // Enum errors ("unknown variant `sine`") come without a field index: find the column by
    // the value the message quotes.
    let column = err.field().map(|i| i as usize).or_else(|| {
        let quoted = message.split('`').nth(1)?;
        record.iter().position(|v| v == quoted)
    });
    match column.and_then(|i| columns().get(i)) {
        Some(name) => format!("column {name}: {message}"),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_row_layout() {
        let row = Row {
            preset: "p".into(),
            sweep_id: "0".into(),
            shard: "1/1".into(),
            activation: crate::model::Activation::Sign,
            source: crate::data::SourceKind::Gaussian,
            whiten: crate::data::preprocess::Whiten::None,
            mode: crate::protocol::TrainMode::Population,
            d: 4,
            r: 0.5,
            n: 2,
            seed: 1,
            risk: 0.7,
            risk_kind: "exact".into(),
            val_risk: 0.71,
            best_risk: f64::NAN,
            limit: 0.68,
            limit_label: "sign limit".into(),
            gap: 0.02,
            rel_gap: 0.03,
            pca: 0.5,
            shannon: 0.5,
            steps: 10,
            budget: 10,
            stop: crate::sweep::Stop::Budget,
            wall_s: 0.1,
            record: String::new(),
        };
        let text = to_csv(Path::new("t.csv"), std::slice::from_ref(&row)).unwrap_or_default();
        let text = String::from_utf8(text).unwrap_or_default();
        assert_eq!(text.lines().next(), Some(columns().join(",").as_str()));
        // The README's header line of s.csv.
        assert_eq!(
            columns().join(","),
            "preset,sweep_id,shard,activation,source,whiten,mode,d,r,n,seed,risk,risk_kind,val_risk,best_risk,limit,limit_label,gap,rel_gap,pca,shannon,steps,budget,stop,wall_s,record"
        );
        // Round trip, NaN as an empty field.
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let back: Vec<Row> = r.deserialize().filter_map(Result::ok).collect();
        assert_eq!(back.len(), 1);
        assert!(back[0].best_risk.is_nan());
        assert_eq!(back[0].risk, 0.7);
        // A file written before the whiten column reads as not whitened.
        let old: String = text
            .lines()
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                [&cells[..5], &cells[6..]].concat().join(",") + "\n"
            })
            .collect();
        let path = std::env::temp_dir().join(format!("aescope-old-{}.csv", std::process::id()));
        let written = std::fs::write(&path, &old);
        let back = read_rows(&path);
        let _ = std::fs::remove_file(&path);
        assert!(written.is_ok());
        let back = back.unwrap_or_default();
        assert_eq!(back.len(), 1, "{old}");
        assert_eq!(back[0].whiten, crate::data::preprocess::Whiten::None);
        assert_eq!(back[0].risk, 0.7);
    }

    #[test]
    fn sibling_paths() {
        assert_eq!(
            by_rate_path(Path::new("out/s.csv")),
            PathBuf::from("out/s.by-rate.csv")
        );
        assert_eq!(records_dir(Path::new("s.json")), PathBuf::from("s.records"));
        assert_eq!(Format::of(Path::new("a.JSON")), Format::Json);
        assert_eq!(Format::of(Path::new("a.csv")), Format::Csv);
    }
}
