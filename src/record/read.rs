//! Reading a record back: its first lines (the resolved config, and for a data file the data
//! set's description), checked for a format this build understands.

use super::FORMAT_VERSION;
use crate::config::Config;
use crate::safe_io::{InputError, excerpt, input::open_regular};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Longest header line read (a config line is a few KB; a data line holds two spectra of d
/// values each).
const MAX_HEADER_LINE: u64 = 64 << 20;

/// Why a file cannot be read as a run record.
#[derive(Debug, Error)]
pub enum RecordReadError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{}: not a run record: {why}", path.display())]
    NotARecord { path: PathBuf, why: String },
    #[error(
        "{}: record format {found} (written by aescope {by}); this aescope ({}) reads formats 1 to {FORMAT_VERSION}: use the aescope that wrote it",
        path.display(),
        env!("CARGO_PKG_VERSION")
    )]
    Format {
        path: PathBuf,
        found: u64,
        by: String,
    },
}

/// What a record says about its run before the first step.
#[derive(Debug, Clone)]
pub struct RecordHeader {
    /// The resolved configuration the run started with (a data file is described, not
    /// loaded: `data.loaded` is empty).
    pub cfg: Config,
    /// The record's format version.
    pub format: u64,
    /// The aescope version that wrote it.
    pub version: String,
    /// The `data` line of a run on a data file (preprocessing, spectrum), if any.
    pub data: Option<serde_json::Value>,
}

/// Read the header of the record at `path` (a regular file).
pub fn read_header(path: &Path) -> Result<RecordHeader, RecordReadError> {
    let file = open_regular(path, "run record")?;
    let mut reader = BufReader::new(file.take(2 * MAX_HEADER_LINE));
    let not_a_record = |why: String| RecordReadError::NotARecord {
        path: path.to_path_buf(),
        why,
    };
    let io = |error| {
        RecordReadError::Input(InputError::Io {
            path: path.to_path_buf(),
            error,
        })
    };
    let first = read_line(&mut reader).map_err(io)?;
    let Some(first) = first else {
        return Err(not_a_record(
            "it is empty (a run writes its config line when it starts)".into(),
        ));
    };
    let v: serde_json::Value = serde_json::from_slice(&first).map_err(|e| {
        not_a_record(format!(
            "its first line is not JSON ({}): {}",
            e,
            excerpt(&String::from_utf8_lossy(&first), 80)
        ))
    })?;
    if v.get("type").and_then(|t| t.as_str()) != Some("config") {
        return Err(not_a_record(
            "its first line is not a config line (a sweep's results table? watch one of its per-run records)".into(),
        ));
    }
    let format = v
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(1);
    let version = v
        .get("version")
        .and_then(|t| t.as_str())
        .unwrap_or("unknown")
        .to_string();
    if format == 0 || format > u64::from(FORMAT_VERSION) {
        return Err(RecordReadError::Format {
            path: path.to_path_buf(),
            found: format,
            by: excerpt(&version, 40),
        });
    }
    let cfg: Config = serde_json::from_value(v.get("config").cloned().unwrap_or_default())
        .map_err(|e| {
            not_a_record(format!(
                "its config line does not parse: {}",
                excerpt(&e.to_string(), 200)
            ))
        })?;
    // The data line, when there is one, comes second.
    let data = match read_line(&mut reader).map_err(io)? {
        Some(line) => serde_json::from_slice::<serde_json::Value>(&line)
            .ok()
            .filter(|d| d.get("type").and_then(|t| t.as_str()) == Some("data")),
        None => None,
    };
    Ok(RecordHeader {
        cfg,
        format,
        version,
        data,
    })
}

/// One complete line, without its newline; `None` at the end or before a line's end.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(MAX_HEADER_LINE)
        .read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Ok(None);
    }
    line.pop();
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of(text: &str) -> Result<RecordHeader, RecordReadError> {
        let dir = tempfile::tempdir().map_err(|e| RecordReadError::NotARecord {
            path: PathBuf::new(),
            why: e.to_string(),
        })?;
        let p = dir.path().join("r.jsonl");
        std::fs::write(&p, text).map_err(|e| RecordReadError::NotARecord {
            path: p.clone(),
            why: e.to_string(),
        })?;
        read_header(&p)
    }

    #[test]
    fn a_config_line_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        let cfg = Config::load("sign-r2", &[])?;
        let line = serde_json::json!({"type": "config", "format": FORMAT_VERSION, "version": "9.9", "config": cfg});
        let h = header_of(&format!("{line}\n{{\"type\":\"report\"}}\n"))?;
        assert_eq!(h.cfg, cfg);
        assert_eq!(h.version, "9.9");
        assert!(h.data.is_none());
        Ok(())
    }

    #[test]
    fn other_files_and_newer_formats_are_named() {
        let msg = |t: &str| {
            header_of(t)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(msg("").contains("it is empty"));
        assert!(msg("rate,seed,risk\n").contains("not JSON"));
        assert!(msg("{\"type\":\"report\"}\n").contains("not a config line"));
        let newer = msg("{\"type\":\"config\",\"format\":99,\"version\":\"7.0\",\"config\":{}}\n");
        assert!(
            newer.contains("record format 99 (written by aescope 7.0)"),
            "{newer}"
        );
        assert!(
            msg("{\"type\":\"config\",\"format\":2,\"config\":{\"model\":{\"size\":3}}}\n")
                .contains("config line does not parse")
        );
    }
}
