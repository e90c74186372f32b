//! Following a run's JSONL record while its worker writes it: only complete lines are parsed,
//! so a line caught half-flushed waits for the next read instead of being an error.

use crate::record::{LineTail, Polled};
use serde::Deserialize;
use std::io;
use std::path::Path;

/// The part of a `report` line the live view draws.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct TailReport {
    pub step: u64,
    /// The moving average of the minibatch loss (absent from hand-written lines).
    #[serde(default)]
    pub loss: Option<f64>,
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
    lines: LineTail,
    pub reports: Vec<TailReport>,
    pub summary: Option<TailSummary>,
    /// Complete lines that were not JSON (a damaged record): counted, not fatal.
    pub bad_lines: usize,
}

impl RecordTail {
    /// Parse the complete lines of `chunk` (appended to any pending partial line).
    pub fn feed(&mut self, chunk: &[u8]) {
        for line in self.lines.feed(chunk) {
            self.line(&line);
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
        loop {
            let lines = match self.lines.poll(path)? {
                Polled::Lines(l) => l,
                Polled::Restarted(l) => {
                    self.reports.clear();
                    self.summary = None;
                    self.bad_lines = 0;
                    l
                }
            };
            for line in &lines {
                self.line(line);
            }
            if !self.lines.behind(path) {
                return Ok(());
            }
        }
    }
}
