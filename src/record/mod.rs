//! JSONL run records: the resolved config first, then one line per report and per change the
//! user made, and the summary last. Buffered, flushed at least once a second and on finish.
//!
//! Only whole lines ever reach the file: lines are complete in the buffer before they are
//! written, and a write that fails part-way (a full disk) is cut back to the last whole line.
//! The file is locked (see [`crate::safe_io::output`]) while it is open.

use crate::config::Config;
use crate::protocol::{Report, Summary};
use crate::safe_io::{OutputError, OutputFile, OutputMode};
use serde::Serialize;
use serde_json::json;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

mod read;
mod tail;

pub use read::{RecordHeader, RecordReadError, read_header};
pub use tail::{LineTail, Polled};

/// Why a record (or a checkpoint beside it) could not be opened or written.
#[derive(Debug, Error)]
pub enum RecordError {
    #[error(transparent)]
    Open(#[from] OutputError),
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
}

impl RecordError {
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> RecordError {
        RecordError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

/// Version of the record's format and of what a seed draws, in the header's `format`; bumped
/// when either changes. 2: a random basis (`data.basis = "random"`) comes from a Householder QR
/// (faer) instead of Gram–Schmidt; the same matrix up to rounding, so a run reproduces a
/// format-1 record closely but not bit for bit.
pub const FORMAT_VERSION: u32 = 2;

/// Longest time a written line may sit in the buffer.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Where record lines go: a file, or in tests a writer that fails on purpose.
pub trait RecordSink: Write + Send {
    /// Cut the destination back to `len` bytes (after a partial write).
    fn truncate_to(&mut self, len: u64) -> std::io::Result<()>;
}

impl RecordSink for std::fs::File {
    fn truncate_to(&mut self, len: u64) -> std::io::Result<()> {
        self.set_len(len)
    }
}

/// An open run record.
pub struct Recorder {
    path: PathBuf,
    sink: Box<dyn RecordSink>,
    /// Complete lines not written yet.
    buf: Vec<u8>,
    /// Bytes of the file known to hold whole lines.
    committed: u64,
    last_flush: Instant,
}

impl Recorder {
    /// Create the file (as `mode` allows; see [`OutputFile::open`]) and write the header line.
    pub fn create(
        path: &Path,
        cfg: &Config,
        mode: OutputMode,
        inputs: &[(&Path, &'static str)],
    ) -> Result<Self, RecordError> {
        let out = OutputFile::open(path, mode, inputs)?;
        let mut rec = Recorder::with_sink(path, Box::new(out.file), 0);
        rec.line(&json!({
            "type": "config",
            "version": env!("CARGO_PKG_VERSION"),
            "format": FORMAT_VERSION,
            "seed": cfg.seed,
            "config": cfg,
        }))?;
        if let Some(data) = &cfg.data.loaded.0 {
            let mut line = data.record();
            line["type"] = json!("data");
            rec.line(&line)?;
        }
        rec.flush()?;
        Ok(rec)
    }

    /// Continue an existing record at a checkpoint's `step`: lines written after it (reports
    /// and events of later steps, a summary, a torn last line) are cut, then a `resumed` line
    /// follows.
    pub fn resume(path: &Path, step: u64, checkpoint: &Path) -> Result<Self, RecordError> {
        let out = OutputFile::open(path, OutputMode::Continue, &[])?;
        let keep = kept_prefix(path, step)?;
        out.file
            .set_len(keep)
            .map_err(|e| RecordError::io(path, "cut the record back to the checkpoint", e))?;
        let mut rec = Recorder::with_sink(path, Box::new(out.file), keep);
        rec.line(&json!({
            "type": "resumed",
            "step": step,
            "checkpoint": checkpoint,
            "version": env!("CARGO_PKG_VERSION"),
        }))?;
        rec.flush()?;
        Ok(rec)
    }

    /// A recorder writing to `sink`, of which `committed` bytes exist already.
    pub fn with_sink(path: &Path, sink: Box<dyn RecordSink>, committed: u64) -> Self {
        Recorder {
            path: path.to_path_buf(),
            sink,
            buf: Vec::new(),
            committed,
            last_flush: Instant::now(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn report(&mut self, r: &Report) -> Result<(), RecordError> {
        self.tagged("report", r)
    }

    /// A change made while training (rate, learning rate, activation, reset, ...).
    pub fn event(
        &mut self,
        step: u64,
        what: &str,
        detail: &serde_json::Value,
    ) -> Result<(), RecordError> {
        self.line(&json!({ "type": "event", "step": step, "what": what, "detail": detail }))
    }

    /// The summary line; flushes.
    pub fn summary(&mut self, s: &Summary) -> Result<(), RecordError> {
        self.tagged("summary", s)?;
        self.flush()
    }

    /// Flush if the buffer is older than a second.
    pub fn tick(&mut self) -> Result<(), RecordError> {
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    /// Write the buffered lines. On failure the file is cut back to its last whole line and
    /// the buffered lines are dropped (the error says so).
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.last_flush = Instant::now();
        if self.buf.is_empty() {
            return Ok(());
        }
        let written = self
            .sink
            .write_all(&self.buf)
            .and_then(|()| self.sink.flush());
        match written {
            Ok(()) => {
                self.committed += self.buf.len() as u64;
                self.buf.clear();
                Ok(())
            }
            Err(e) => {
                self.buf.clear();
                let _ = self.sink.truncate_to(self.committed);
                Err(RecordError::io(&self.path, "write the run record", e))
            }
        }
    }

    fn tagged<T: Serialize>(&mut self, kind: &str, v: &T) -> Result<(), RecordError> {
        let mut value = serde_json::to_value(v)
            .map_err(|e| RecordError::io(&self.path, "encode a record line", e.into()))?;
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("type".into(), kind.into());
        }
        self.line(&value)
    }

    fn line(&mut self, v: &serde_json::Value) -> Result<(), RecordError> {
        let mut line = serde_json::to_vec(v)
            .map_err(|e| RecordError::io(&self.path, "encode a record line", e.into()))?;
        line.push(b'\n');
        self.buf.extend_from_slice(&line);
        Ok(())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Length in bytes of the part of the record at `path` that describes steps up to `step`: the
/// config line and the reports and events of steps ≤ `step`, up to the first line that is a
/// summary, of a later step, or not a whole JSON line.
fn kept_prefix(path: &Path, step: u64) -> Result<u64, RecordError> {
    let file = crate::safe_io::input::open_regular(path, "run record")
        .map_err(|e| RecordError::io(path, "read the record", std::io::Error::other(e)))?;
    let mut reader = std::io::BufReader::new(file);
    let mut keep = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| RecordError::io(path, "read the record", e))?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&line) else {
            break;
        };
        let kind = v.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let line_step = v.get("step").and_then(serde_json::Value::as_u64);
        let keep_it = match kind {
            "config" => keep == 0,
            // The data set's description follows the config line and has no step.
            "data" => true,
            "summary" => false,
            _ => line_step.is_some_and(|s| s <= step),
        };
        if !keep_it {
            break;
        }
        keep += n as u64;
    }
    if keep == 0 {
        return Err(RecordError::io(
            path,
            "continue the record",
            std::io::Error::other("it does not start with a config line"),
        ));
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Accepts `room` bytes, then fails like a full disk (keeping the bytes it took).
    struct FullDisk {
        data: Arc<Mutex<Vec<u8>>>,
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let mut d = self
                .data
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?;
            let take = b.len().min(self.room.saturating_sub(d.len()));
            if take == 0 {
                return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
            }
            d.extend_from_slice(&b[..take]);
            Ok(take)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl RecordSink for FullDisk {
        fn truncate_to(&mut self, len: u64) -> std::io::Result<()> {
            let mut d = self
                .data
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?;
            d.truncate(len as usize);
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_leaves_whole_lines_and_names_the_file_and_the_os_error() {
        let data = Arc::new(Mutex::new(Vec::new()));
        let sink = FullDisk {
            data: data.clone(),
            room: 100,
        };
        let mut rec = Recorder::with_sink(Path::new("out/run.jsonl"), Box::new(sink), 0);
        let mut err = None;
        for step in 0..20 {
            if let Err(e) = rec
                .event(step, "lr", &json!({ "factor": 0.5 }))
                .and_then(|()| rec.flush())
            {
                err = Some(e.to_string());
                break;
            }
        }
        let msg = err.unwrap_or_default();
        assert!(msg.contains("out/run.jsonl"), "{msg}");
        assert!(msg.contains("No space left on device"), "{msg}");
        let d = data.lock().map(|d| d.clone()).unwrap_or_default();
        let text = String::from_utf8(d).unwrap_or_default();
        assert!(!text.is_empty() && text.ends_with('\n'), "{text:?}");
        for l in text.lines() {
            assert!(serde_json::from_str::<serde_json::Value>(l).is_ok(), "{l}");
        }
    }

    #[test]
    fn resuming_cuts_lines_after_the_checkpoint() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("run.jsonl");
        let lines = [
            r#"{"type":"config","config":{}}"#,
            r#"{"type":"report","step":100}"#,
            r#"{"type":"event","step":150,"what":"lr"}"#,
            r#"{"type":"report","step":200}"#,
            r#"{"type":"summary","steps":200}"#,
        ];
        std::fs::write(&p, format!("{}\n{{\"type\":\"rep", lines.join("\n")))?;
        drop(Recorder::resume(&p, 150, Path::new("ck"))?);
        let text = std::fs::read_to_string(&p)?;
        let kinds: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
                format!("{}@{}", v["type"].as_str().unwrap_or("?"), v["step"])
            })
            .collect();
        assert_eq!(
            kinds,
            ["config@null", "report@100", "event@150", "resumed@150"]
        );
        Ok(())
    }
}
