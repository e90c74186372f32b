//! Following a run's JSONL record while its worker writes it: only complete lines are parsed,
//! so a line caught half-flushed waits for the next read instead of being an error.

use serde::Deserialize;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// The part of a `report` line the live view draws.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct TailReport {
    pub step: u64,
    pub risk: f64,
    pub limit: f64,
    pub gap: f64,
}

/// The part of the `summary` line the live view shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TailSummary {
    pub steps: u64,
    pub risk: f64,
    pub limit: f64,
    pub gap: f64,
    /// completed, diverged, interrupted, failed.
    pub reason: String,
}

/// What has been read of one record so far.
#[derive(Debug, Clone, Default)]
pub struct RecordTail {
    /// Bytes of the file consumed (complete lines and `pending`).
    offset: u64,
    /// The unterminated last line, completed by a later read.
    pending: Vec<u8>,
    pub reports: Vec<TailReport>,
    pub summary: Option<TailSummary>,
    /// Complete lines that were not JSON (a damaged record): counted, not fatal.
    pub bad_lines: usize,
}

impl RecordTail {
    /// Parse the complete lines of `chunk` (appended to any pending partial line).
    pub fn feed(&mut self, chunk: &[u8]) {
        self.offset += chunk.len() as u64;
        self.pending.extend_from_slice(chunk);
        let Some(last_nl) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let rest = self.pending.split_off(last_nl + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        for line in complete.split(|&b| b == b'\n') {
            if !line.iter().all(u8::is_ascii_whitespace) {
                self.line(line);
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            self.bad_lines += 1;
            return;
        };
        match v.get("type").and_then(|t| t.as_str()) {
            Some("report") => match serde_json::from_value(v) {
                Ok(r) => self.reports.push(r),
                Err(_) => self.bad_lines += 1,
            },
            Some("summary") => match serde_json::from_value(v) {
                Ok(s) => self.summary = Some(s),
                Err(_) => self.bad_lines += 1,
            },
            // config and event lines: nothing to draw.
            _ => {}
        }
    }

    /// Read what was appended to `path` since the last call. A file shorter than what was
    /// read (rewritten by a resumed sweep) is read again from the start.
    pub fn poll(&mut self, path: &Path) -> io::Result<()> {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        if len < self.offset {
            *self = RecordTail::default();
        }
        if len == self.offset {
            return Ok(());
        }
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        f.take(len - self.offset).read_to_end(&mut buf)?;
        self.feed(&buf);
        Ok(())
    }
}
