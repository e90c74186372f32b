//! The byte stream a parser reads: the raw file hashed as it goes by, decompressed when it is
//! gzip, counted against the size cap, with the first bytes peeked for format detection.

use super::error::DataFileError;
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Hashes every byte read through it (the SHA-256 of the raw file, whatever is done with it).
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Lowercase hex SHA-256 of everything read so far.
    pub(crate) fn finish_hex(self) -> String {
        hex_lower(&self.hasher.finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let got = self.inner.read(buf)?;
        self.hasher.update(&buf[..got]);
        Ok(got)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// How many bytes the format detection peeks at.
const HEAD: usize = 8;

/// The (decompressed) payload of a data file, read once, front to back.
pub(crate) struct Body<'a> {
    path: PathBuf,
    inner: Box<dyn Read + 'a>,
    /// The first bytes, already read from `inner` and served again first.
    head: Vec<u8>,
    head_pos: usize,
    /// Payload bytes handed out so far.
    consumed: u64,
    /// Length of the payload when known up front (an uncompressed file).
    known_len: Option<u64>,
    /// Most payload bytes accepted (decompressed streams).
    cap: u64,
    gzip: bool,
    over_cap: bool,
}

impl<'a> Body<'a> {
    pub(crate) fn new(
        path: &Path,
        mut inner: Box<dyn Read + 'a>,
        known_len: Option<u64>,
        cap: u64,
        gzip: bool,
    ) -> Result<Self, DataFileError> {
        let mut head = vec![0u8; HEAD];
        let mut got = 0;
        while got < HEAD {
            match inner.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(path, gzip, None, e)),
            }
        }
        head.truncate(got);
        if got == 0 {
            return Err(DataFileError::Empty { path: path.into() });
        }
        Ok(Body {
            path: path.into(),
            inner,
            head,
            head_pos: 0,
            consumed: 0,
            known_len,
            cap,
            gzip,
            over_cap: false,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The first (up to 8) bytes of the payload.
    pub(crate) fn head(&self) -> &[u8] {
        &self.head
    }

    pub(crate) fn known_len(&self) -> Option<u64> {
        self.known_len
    }

    /// Payload bytes read so far.
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Turn an I/O error from reading this body into the file error it means.
    pub(crate) fn error(&self, e: io::Error) -> DataFileError {
        io_error(&self.path, self.gzip, self.over_cap.then_some(self.cap), e)
    }

    /// Reads as many bytes as are available up to `buf.len()`; returns how many (fewer only at
    /// the end of the payload).
    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> Result<usize, DataFileError> {
        let mut got = 0;
        while got < buf.len() {
            match self.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e)),
            }
        }
        Ok(got)
    }

    /// Reads a header of `buf.len()` bytes; a payload that ends inside it is a malformed header.
    pub(crate) fn header(
        &mut self,
        buf: &mut [u8],
        format: &'static str,
    ) -> Result<(), DataFileError> {
        let got = self.fill(buf)?;
        if got < buf.len() {
            return Err(DataFileError::BadHeader {
                path: self.path.clone(),
                format,
                what: format!(
                    "the file ends inside the header (after {} bytes)",
                    self.consumed
                ),
            });
        }
        Ok(())
    }

    /// Checks a header's claim of `dims` (product × `elem` bytes after a `header_len`-byte
    /// header) before anything is allocated from it: no zero or overflowing dimension, under the
    /// size cap, and, for an uncompressed file, exactly the file's length. Returns the claimed
    /// data length in bytes.
    pub(crate) fn check_claim(
        &self,
        dims: &[u64],
        elem: u64,
        header_len: u64,
    ) -> Result<u64, DataFileError> {
        let absurd = |why: String| DataFileError::AbsurdDims {
            path: self.path.clone(),
            dims: dims.to_vec(),
            why,
        };
        if dims.contains(&0) {
            return Err(absurd("a dimension is 0".into()));
        }
        let bytes = dims
            .iter()
            .try_fold(elem, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| absurd("the size overflows 64 bits".into()))?;
        if bytes > self.cap {
            return Err(absurd(format!(
                "{bytes} bytes of data, more than the size cap of {} bytes",
                self.cap
            )));
        }
        if let Some(len) = self.known_len {
            let actual = len.saturating_sub(header_len);
            if actual < bytes {
                return Err(DataFileError::Truncated {
                    path: self.path.clone(),
                    expected: bytes,
                    actual,
                });
            }
            if actual > bytes {
                return Err(DataFileError::LengthMismatch {
                    path: self.path.clone(),
                    dims: dims.to_vec(),
                    expected: bytes,
                    actual,
                });
            }
        }
        Ok(bytes)
    }

    /// Reads `samples` records of `record` bytes each and converts the first `keep` of them with
    /// `convert` (the rest are read, so hashed and length-checked, but not stored). The output
    /// grows as data arrives, never from the claim alone.
    pub(crate) fn records(
        &mut self,
        samples: usize,
        record: usize,
        keep: usize,
        features: usize,
        mut convert: impl FnMut(&[u8], &mut Vec<f32>),
    ) -> Result<Vec<f32>, DataFileError> {
        let start = self.consumed;
        let expected = samples as u64 * record as u64;
        let mut out = Vec::with_capacity(keep.min(samples).saturating_mul(features).min(1 << 24));
        let mut buf = vec![0u8; record];
        for i in 0..samples {
            let got = self.fill(&mut buf)?;
            if got < record {
                return Err(DataFileError::Truncated {
                    path: self.path.clone(),
                    expected,
                    actual: self.consumed - start,
                });
            }
            if i < keep {
                convert(&buf, &mut out);
            }
        }
        Ok(out)
    }

    /// After the claimed data: anything more means the header does not describe the file.
    pub(crate) fn expect_end(
        &mut self,
        dims: &[u64],
        expected: u64,
        start: u64,
    ) -> Result<(), DataFileError> {
        let mut extra = [0u8; 1 << 12];
        let mut more = 0u64;
        loop {
            let got = self.fill(&mut extra)?;
            if got == 0 {
                break;
            }
            more += got as u64;
        }
        if more > 0 {
            return Err(DataFileError::LengthMismatch {
                path: self.path.clone(),
                dims: dims.to_vec(),
                expected,
                actual: self.consumed - start,
            });
        }
        Ok(())
    }
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let got = if self.head_pos < self.head.len() {
            let k = buf.len().min(self.head.len() - self.head_pos);
            buf[..k].copy_from_slice(&self.head[self.head_pos..self.head_pos + k]);
            self.head_pos += k;
            k
        } else {
            self.inner.read(buf)?
        };
        self.consumed += got as u64;
        if self.consumed > self.cap {
            self.over_cap = true;
            return Err(io::Error::other("size cap exceeded"));
        }
        Ok(got)
    }
}

/// `cap_hit`: the size cap, when reading stopped because it was exceeded.
fn io_error(path: &Path, gzip: bool, cap_hit: Option<u64>, e: io::Error) -> DataFileError {
    if let Some(cap) = cap_hit {
        return DataFileError::TooLarge {
            path: path.into(),
            cap,
        };
    }
    let corrupt = matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    );
    if gzip && corrupt {
        return DataFileError::Gzip {
            path: path.into(),
            message: e.to_string(),
        };
    }
    DataFileError::Io {
        path: path.into(),
        source: e,
    }
}
