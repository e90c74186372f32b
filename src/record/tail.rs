//! Following a JSONL file while another process appends to it: only complete lines are
//! returned, so a line caught half-flushed waits for the next poll instead of being an error.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Most bytes read by one poll, so that a long record is taken in pieces between frames
/// instead of all at once.
const CHUNK: u64 = 8 << 20;

/// What a poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// Complete lines appended since the last poll (possibly none).
    Lines(Vec<Vec<u8>>),
    /// The file became shorter than what was read (a resumed run cut it back, a sweep
    /// rewrote it): everything read before is void; these are its lines from the start.
    Restarted(Vec<Vec<u8>>),
}

/// How far a file has been read.
#[derive(Debug, Clone, Default)]
pub struct LineTail {
    /// Bytes of the file consumed (complete lines and `pending`).
    offset: u64,
    /// The unterminated last line, completed by a later read.
    pending: Vec<u8>,
}

impl LineTail {
    /// The complete lines of `chunk` (appended to any pending partial line); blank lines are
    /// skipped.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.offset += chunk.len() as u64;
        self.pending.extend_from_slice(chunk);
        let Some(last_nl) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last_nl + 1);
        let complete = std::mem::replace(&mut self.pending, rest);
        complete
            .split(|&b| b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// Read what was appended to `path` since the last call (at most a few MB at a time:
    /// call again while [`LineTail::behind`] says so).
    pub fn poll(&mut self, path: &Path) -> io::Result<Polled> {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        let restarted = len < self.offset;
        if restarted {
            *self = LineTail::default();
        }
        let mut buf = Vec::new();
        if len > self.offset {
            f.seek(SeekFrom::Start(self.offset))?;
            f.take((len - self.offset).min(CHUNK))
                .read_to_end(&mut buf)?;
        }
        let lines = self.feed(&buf);
        Ok(if restarted {
            Polled::Restarted(lines)
        } else {
            Polled::Lines(lines)
        })
    }

    /// Whether `path` holds more than has been read.
    pub fn behind(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.len() > self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_half_written_line_waits_for_its_end() {
        let mut t = LineTail::default();
        assert_eq!(t.feed(b"{\"a\":1}\n{\"b\""), vec![b"{\"a\":1}".to_vec()]);
        assert!(t.feed(b":2").is_empty());
        assert_eq!(t.feed(b"}\n\n"), vec![b"{\"b\":2}".to_vec()]);
    }

    #[test]
    fn a_file_cut_back_is_read_again_from_the_start() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("r.jsonl");
        std::fs::write(&p, "one\ntwo\nthree\n")?;
        let mut t = LineTail::default();
        assert_eq!(
            t.poll(&p)?,
            Polled::Lines(vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()])
        );
        assert_eq!(t.poll(&p)?, Polled::Lines(Vec::new()));
        std::fs::write(&p, "one\n")?;
        assert_eq!(t.poll(&p)?, Polled::Restarted(vec![b"one".to_vec()]));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)?
            .write_all(b"four\n")?;
        assert_eq!(t.poll(&p)?, Polled::Lines(vec![b"four".to_vec()]));
        assert!(!t.behind(&p));
        Ok(())
    }
}
