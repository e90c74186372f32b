//! Checkpoints: everything a run needs to continue bit for bit, in a compact binary file.
//!
//! Layout (little-endian): the magic `AESCKPT\n`, the format version (u32), the length of a
//! JSON header (u32), the header (the settings as they are now, step, RNG and data-stream
//! states, tensor shapes), the tensors' raw values in header order, and a CRC-32 of all the
//! bytes before it. The format version, not the crate version, decides compatibility.
//!
//! Files are written to a temporary name in the same directory, fsynced, then linked to a
//! name no earlier checkpoint has (never overwriting one), so a crash leaves either the whole
//! new checkpoint or none.

use crate::config::Config;
use crate::train::CheckpointPolicy;
use crate::train::trainer::TrainerState;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// First bytes of every checkpoint.
pub const MAGIC: &[u8; 8] = b"AESCKPT\n";
/// The layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest header accepted, in bytes (a header is a few kilobytes).
const MAX_HEADER: u32 = 16 << 20;
/// Checkpoints beside a record are named `RECORD.stepNNNNNNNNNNNN.ckpt`.
const SUFFIX: &str = ".ckpt";

/// Why a checkpoint could not be written or read.
#[derive(Debug, Error)]
pub enum CheckpointError {
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Bad { path: PathBuf, message: String },
    #[error(transparent)]
    Input(#[from] crate::safe_io::InputError),
}

impl CheckpointError {
    fn bad(path: &Path, message: impl Into<String>) -> Self {
        CheckpointError::Bad {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Shape and type of one stored tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TensorInfo {
    name: String,
    rows: usize,
    cols: usize,
    /// "f32" or "f64".
    dtype: String,
}

/// The JSON header.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    /// The aescope that wrote it (informative only).
    written_by: String,
    config: Config,
    step: u64,
    samples: u64,
    lr_mult: f64,
    ema_acc: f64,
    ema_weight: f64,
    /// Sample mode: the optimizer's step counter and the stream's position.
    opt_t: Option<u64>,
    data_rng: Option<rand_xoshiro::Xoshiro256PlusPlus>,
    /// Population mode: the f64 optimizer's step counter.
    pop_opt_t: Option<u64>,
    /// Population mode with `lr = "auto"`: the last curvature estimate.
    #[serde(default)]
    pop_auto: Option<crate::train::population::AutoStep>,
    init_rng: rand_xoshiro::Xoshiro256PlusPlus,
    /// The first loss the run saw (divergence is measured against it).
    initial_risk: Option<f64>,
    /// The run record this checkpoint belongs to.
    record: Option<PathBuf>,
    /// When the run wrote checkpoints (a resumed run goes on the same way).
    #[serde(default)]
    policy: Option<CheckpointPolicy>,
    tensors: Vec<TensorInfo>,
}

/// A loaded checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    pub state: TrainerState,
    pub initial_risk: Option<f64>,
    pub record: Option<PathBuf>,
    /// The run's checkpoint policy when it was written.
    pub policy: Option<CheckpointPolicy>,
    /// Where it was read from.
    pub path: PathBuf,
}

impl Checkpoint {
    pub fn step(&self) -> u64 {
        self.state.step
    }

    pub fn config(&self) -> &Config {
        &self.state.cfg
    }
}

/// Tensors of a state in storage order, f32 ones first.
fn tensors_f32(s: &TrainerState) -> Vec<(&'static str, &Array2<f32>)> {
    let mut v = vec![("A", &s.a), ("B", &s.b)];
    let Some(sample) = &s.sample else {
        return v;
    };
    for (i, (m, v2)) in sample.opt.moments.iter().enumerate() {
        let (nm, nv) = if i == 0 {
            ("opt.A.m", "opt.A.v")
        } else {
            ("opt.B.m", "opt.B.v")
        };
        v.push((nm, m));
        v.push((nv, v2));
    }
    v
}

fn tensors_f64(s: &TrainerState) -> Vec<(&'static str, &Array2<f64>)> {
    let Some(p) = &s.pop else {
        return Vec::new();
    };
    let mut v = vec![("pop.A", &p.a), ("pop.B", &p.b)];
    for (i, (m, v2)) in p.opt.moments.iter().enumerate() {
        let (nm, nv) = if i == 0 {
            ("pop.opt.A.m", "pop.opt.A.v")
        } else {
            ("pop.opt.B.m", "pop.opt.B.v")
        };
        v.push((nm, m));
        v.push((nv, v2));
    }
    v
}

/// A writer that keeps the CRC of what passes through it.
struct Crc<W> {
    inner: W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Encode a checkpoint into `out`.
fn encode(
    out: impl Write,
    state: &TrainerState,
    initial_risk: Option<f64>,
    record: Option<&Path>,
    policy: Option<&CheckpointPolicy>,
) -> std::io::Result<()> {
    let f32s = tensors_f32(state);
    let f64s = tensors_f64(state);
    let info = |name: &str, rows, cols, dtype: &str| TensorInfo {
        name: name.into(),
        rows,
        cols,
        dtype: dtype.into(),
    };
    let mut tensors: Vec<TensorInfo> = f32s
        .iter()
        .map(|(n, t)| info(n, t.nrows(), t.ncols(), "f32"))
        .collect();
    tensors.extend(
        f64s.iter()
            .map(|(n, t)| info(n, t.nrows(), t.ncols(), "f64")),
    );
    let header = Header {
        written_by: format!("aescope {}", env!("CARGO_PKG_VERSION")),
        config: state.cfg.clone(),
        step: state.step,
        samples: state.samples,
        lr_mult: state.lr_mult,
        ema_acc: state.ema_acc,
        ema_weight: state.ema_weight,
        opt_t: state.sample.as_ref().map(|s| s.opt.t),
        data_rng: state.sample.as_ref().map(|s| s.data_rng.clone()),
        pop_opt_t: state.pop.as_ref().map(|p| p.opt.t),
        pop_auto: state.pop.as_ref().and_then(|p| p.auto),
        init_rng: state.init_rng.clone(),
        initial_risk: initial_risk.filter(|r| r.is_finite()),
        record: record.map(Path::to_path_buf),
        policy: policy.cloned(),
        tensors,
    };
    let json = serde_json::to_vec(&header)?;
    let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
    let mut w = Crc {
        inner: BufWriter::with_capacity(1 << 20, out),
        hasher: crc32fast::Hasher::new(),
    };
    w.write_all(MAGIC)?;
    w.write_all(&FORMAT_VERSION.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&json)?;
    for (_, t) in &f32s {
        for v in *t {
            w.write_all(&v.to_le_bytes())?;
        }
    }
    for (_, t) in &f64s {
        for v in *t {
            w.write_all(&v.to_le_bytes())?;
        }
    }
    let crc = w.hasher.clone().finalize();
    w.inner.write_all(&crc.to_le_bytes())?;
    w.inner.flush()
}

/// Write a checkpoint at a new name derived from `base` (see [`unique_path`]); returns it.
pub fn save(
    base: &Path,
    state: &TrainerState,
    initial_risk: Option<f64>,
    record: Option<&Path>,
    policy: Option<&CheckpointPolicy>,
) -> Result<PathBuf, CheckpointError> {
    let dir = match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |path: &Path, action, source| CheckpointError::Io {
        path: path.to_path_buf(),
        action,
        source,
    };
    let stem = base
        .file_name()
        .map_or_else(|| "aescope".into(), |s| s.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{stem}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        encode(&file, state, initial_risk, record, policy)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&tmp, "write the checkpoint", e));
    }
    // A hard link never replaces an existing file: a taken name moves on to the next.
    let mut attempt = 0u32;
    let path = loop {
        let candidate = unique_path(base, state.step, attempt);
        match std::fs::hard_link(&tmp, &candidate) {
            Ok(()) => break candidate,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1;
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(io(&candidate, "name the checkpoint", e));
            }
        }
    };
    let _ = std::fs::remove_file(&tmp);
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

/// `BASE.stepNNNNNNNNNNNN.ckpt`, with `-K` before `.ckpt` for the K-th name taken.
pub fn unique_path(base: &Path, step: u64, attempt: u32) -> PathBuf {
    let mut name = base.as_os_str().to_os_string();
    name.push(format!(".step{step:012}"));
    if attempt > 0 {
        name.push(format!("-{attempt}"));
    }
    name.push(SUFFIX);
    PathBuf::from(name)
}

/// Checkpoints written beside `base` (by [`save`]), oldest first: by step, then by time.
pub fn beside(base: &Path) -> Vec<PathBuf> {
    let dir = match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(stem) = base.file_name().map(|s| s.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let prefix = format!("{stem}.step");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?.strip_suffix(SUFFIX)?;
            let step: u64 = rest.split('-').next()?.parse().ok()?;
            let meta = e.metadata().ok()?;
            meta.is_file().then(|| {
                (
                    step,
                    meta.modified().unwrap_or(std::time::UNIX_EPOCH),
                    e.path(),
                )
            })
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// Remove the oldest checkpoints beside `base` so that at most `keep` remain.
pub fn prune(base: &Path, keep: usize) -> Vec<PathBuf> {
    let all = beside(base);
    let extra = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for p in all.into_iter().take(extra) {
        if std::fs::remove_file(&p).is_ok() {
            removed.push(p);
        }
    }
    removed
}

/// Read and check a checkpoint: magic, format version, length, CRC, then shapes against the
/// settings it holds.
/// The magic, format version and JSON header, checked; the CRC so far.
fn read_header(
    path: &Path,
    file: &mut std::fs::File,
    size: u64,
) -> Result<(Header, u32, crc32fast::Hasher), CheckpointError> {
    let io = |action, source| CheckpointError::Io {
        path: path.to_path_buf(),
        action,
        source,
    };
    let mut head = [0u8; 16];
    let got = usize::try_from(size.min(16)).unwrap_or(16);
    file.read_exact(&mut head[..got])
        .map_err(|e| io("read the checkpoint", e))?;
    if got >= 8 && &head[..8] != MAGIC {
        return Err(CheckpointError::bad(
            path,
            "not an aescope checkpoint (wrong magic bytes; checkpoints of aescope before format 1 were JSON and cannot be resumed)",
        ));
    }
    if size < 16 + 4 {
        return Err(CheckpointError::bad(
            path,
            format!("{size} bytes: truncated (not a whole checkpoint)"),
        ));
    }
    if &head[..8] != MAGIC {
        return Err(CheckpointError::bad(
            path,
            "not an aescope checkpoint (wrong magic bytes; checkpoints of aescope before format 1 were JSON and cannot be resumed)",
        ));
    }
    let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let version = word(8);
    if version != FORMAT_VERSION {
        return Err(CheckpointError::bad(
            path,
            format!(
                "checkpoint format version {version}; this aescope reads format {FORMAT_VERSION}"
            ),
        ));
    }
    let header_len = word(12);
    if header_len > MAX_HEADER || u64::from(header_len) + 20 > size {
        return Err(CheckpointError::bad(
            path,
            format!(
                "header of {header_len} bytes does not fit in {size} bytes: truncated or corrupt"
            ),
        ));
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&head);
    let mut json = vec![0u8; header_len as usize];
    file.read_exact(&mut json)
        .map_err(|e| io("read the checkpoint", e))?;
    hasher.update(&json);
    let header: Header = serde_json::from_slice(&json).map_err(|e| {
        CheckpointError::bad(
            path,
            format!(
                "corrupt header: {}",
                crate::safe_io::excerpt(&e.to_string(), 200)
            ),
        )
    })?;
    Ok((header, header_len, hasher))
}

pub fn load(path: &Path, max_bytes: u64) -> Result<Checkpoint, CheckpointError> {
    let mut file = crate::safe_io::input::open_regular(path, "checkpoint")?;
    let io = |action, source| CheckpointError::Io {
        path: path.to_path_buf(),
        action,
        source,
    };
    let size = file
        .metadata()
        .map_err(|e| io("read the checkpoint", e))?
        .len();
    if size == 0 {
        return Err(CheckpointError::bad(
            path,
            "empty file (zero bytes): not a checkpoint",
        ));
    }
    let (header, header_len, mut hasher) = read_header(path, &mut file, size)?;
    let Some(expected) =
        tensor_bytes(&header.tensors).and_then(|b| b.checked_add(20 + u64::from(header_len)))
    else {
        let t = header
            .tensors
            .iter()
            .max_by_key(|t| (t.rows as u128) * (t.cols as u128));
        let what = t.map_or_else(String::new, |t| {
            format!(" ({} {}×{} {})", t.name, t.rows, t.cols, t.dtype)
        });
        return Err(CheckpointError::bad(
            path,
            format!("its header declares tensors of more than 2^64 bytes{what}: corrupt"),
        ));
    };
    if expected != size {
        return Err(CheckpointError::bad(
            path,
            format!("{size} bytes where its header says {expected}: truncated or corrupt"),
        ));
    }
    if size > max_bytes {
        return Err(CheckpointError::bad(
            path,
            format!(
                "{} is over the memory budget of {} (--max-memory)",
                crate::memory::human(size),
                crate::memory::human(max_bytes)
            ),
        ));
    }
    check_shapes(path, &header)?;
    check_scalars(path, &header)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut file);
    let (f32s, f64s) = read_tensors(path, &mut reader, &header, &mut hasher)?;
    let mut crc = [0u8; 4];
    reader
        .read_exact(&mut crc)
        .map_err(|e| io("read the checkpoint", e))?;
    if u32::from_le_bytes(crc) != hasher.finalize() {
        return Err(CheckpointError::bad(
            path,
            "checksum mismatch: the file is corrupt",
        ));
    }
    let state = assemble(path, &header, f32s, f64s)?;
    Ok(Checkpoint {
        state,
        initial_risk: header.initial_risk,
        record: header.record,
        policy: header.policy,
        path: path.to_path_buf(),
    })
}

/// Bytes of the tensors a header declares; `None` past `u64::MAX` (a corrupt header).
fn tensor_bytes(tensors: &[TensorInfo]) -> Option<u64> {
    tensors.iter().try_fold(0u64, |total, t| {
        let width = if t.dtype == "f64" { 8 } else { 4 };
        (t.rows as u64)
            .checked_mul(t.cols as u64)?
            .checked_mul(width)?
            .checked_add(total)
    })
}

/// Stored tensors, f32 ones and f64 ones, each in header order.
type Tensors = (Vec<Array2<f32>>, Vec<Array2<f64>>);

/// The tensors' values, in header order, f32 and f64 apart; the bytes go through `hasher`.
fn read_tensors(
    path: &Path,
    reader: &mut impl Read,
    header: &Header,
    hasher: &mut crc32fast::Hasher,
) -> Result<Tensors, CheckpointError> {
    let mut f32s = Vec::new();
    let mut f64s = Vec::new();
    for t in &header.tensors {
        let width = if t.dtype == "f64" { 8 } else { 4 };
        let mut bytes = vec![0u8; t.rows * t.cols * width];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| CheckpointError::Io {
                path: path.to_path_buf(),
                action: "read the checkpoint",
                source: e,
            })?;
        hasher.update(&bytes);
        let shape_err =
            |e: ndarray::ShapeError| CheckpointError::bad(path, format!("tensor {}: {e}", t.name));
        if width == 8 {
            let v: Vec<f64> = bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect();
            f64s.push(Array2::from_shape_vec((t.rows, t.cols), v).map_err(shape_err)?);
        } else {
            let v: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            f32s.push(Array2::from_shape_vec((t.rows, t.cols), v).map_err(shape_err)?);
        }
    }
    Ok((f32s, f64s))
}

/// The tensors a header must list for its settings, with their shapes.
fn expected_tensors(cfg: &Config) -> Vec<(&'static str, usize, usize, &'static str)> {
    let (d, n) = (cfg.data.d, cfg.n());
    let mut v = vec![("A", d, n, "f32"), ("B", n, d, "f32")];
    if cfg.train.mode == crate::protocol::TrainMode::Sample {
        v.extend([
            ("opt.A.m", d, n, "f32"),
            ("opt.A.v", d, n, "f32"),
            ("opt.B.m", n, d, "f32"),
            ("opt.B.v", n, d, "f32"),
        ]);
    } else {
        v.extend([
            ("pop.A", d, n, "f64"),
            ("pop.B", n, d, "f64"),
            ("pop.opt.A.m", d, n, "f64"),
            ("pop.opt.A.v", d, n, "f64"),
            ("pop.opt.B.m", n, d, "f64"),
            ("pop.opt.B.v", n, d, "f64"),
        ]);
    }
    v
}

/// The learning-rate multiplier and the loss average resume as they are: a value no run can
/// reach (a zero or negative multiplier, a weight outside [0, 1]) means a damaged header.
fn check_scalars(path: &Path, h: &Header) -> Result<(), CheckpointError> {
    let bad = |key: &str, v: f64, expected: &str| {
        Err(CheckpointError::bad(
            path,
            format!("its {key} is {v}, expected {expected}: the header is damaged"),
        ))
    };
    if !(h.lr_mult.is_finite() && h.lr_mult > 0.0) {
        return bad("lr_mult", h.lr_mult, "a positive number");
    }
    if !h.ema_acc.is_finite() {
        return bad("ema_acc", h.ema_acc, "a finite number");
    }
    if !(0.0..=1.0).contains(&h.ema_weight) {
        return bad("ema_weight", h.ema_weight, "a number in [0, 1]");
    }
    Ok(())
}

fn check_shapes(path: &Path, h: &Header) -> Result<(), CheckpointError> {
    h.config
        .validate("checkpoint settings")
        .map_err(|e| CheckpointError::bad(path, format!("its settings are invalid: {e}")))?;
    let want = expected_tensors(&h.config);
    let got: Vec<(&str, usize, usize, &str)> = h
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.rows, t.cols, t.dtype.as_str()))
        .collect();
    if got != want {
        let show = |v: &[(&str, usize, usize, &str)]| {
            v.iter()
                .map(|(n, r, c, t)| format!("{n} {r}×{c} {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(CheckpointError::bad(
            path,
            crate::safe_io::excerpt(
                &format!(
                    "shapes do not match its settings (d = {}, n = {}): holds [{}], expected [{}]",
                    h.config.data.d,
                    h.config.n(),
                    show(&got),
                    show(&want)
                ),
                600,
            ),
        ));
    }
    Ok(())
}

fn assemble(
    path: &Path,
    h: &Header,
    f32s: Vec<Array2<f32>>,
    f64s: Vec<Array2<f64>>,
) -> Result<TrainerState, CheckpointError> {
    use crate::train::optim::OptState;
    use crate::train::trainer::{PopulationState, SampleState};
    let mut f = f32s.into_iter();
    let mut next32 = || {
        f.next()
            .ok_or_else(|| CheckpointError::bad(path, "missing tensor"))
    };
    let a = next32()?;
    let b = next32()?;
    let sample = match (h.opt_t, &h.data_rng) {
        (Some(t), Some(rng)) => Some(SampleState {
            opt: OptState {
                t,
                moments: vec![(next32()?, next32()?), (next32()?, next32()?)],
            },
            data_rng: rng.clone(),
        }),
        _ => None,
    };
    let pop = if f64s.is_empty() {
        None
    } else {
        let mut g = f64s.into_iter();
        let mut next64 = || {
            g.next()
                .ok_or_else(|| CheckpointError::bad(path, "missing tensor"))
        };
        let (pa, pb) = (next64()?, next64()?);
        let moments = vec![(next64()?, next64()?), (next64()?, next64()?)];
        Some(PopulationState {
            a: pa,
            b: pb,
            opt: OptState {
                t: h.pop_opt_t.unwrap_or(0),
                moments,
            },
            auto: h.pop_auto,
        })
    };
    Ok(TrainerState {
        cfg: h.config.clone(),
        step: h.step,
        samples: h.samples,
        lr_mult: h.lr_mult,
        ema_acc: h.ema_acc,
        ema_weight: h.ema_weight,
        init_rng: h.init_rng.clone(),
        a,
        b,
        sample,
        pop,
    })
}

/// The checkpoint `arg` names: a checkpoint file, or a run record, whose newest checkpoint
/// beside it is taken.
pub fn resolve(arg: &Path) -> Result<PathBuf, CheckpointError> {
    let mut magic = [0u8; 8];
    let is_ckpt = crate::safe_io::input::open_regular(arg, "checkpoint or run record")?
        .read_exact(&mut magic)
        .is_ok()
        && &magic == MAGIC;
    if is_ckpt || arg.extension().is_some_and(|e| e == "ckpt") {
        return Ok(arg.to_path_buf());
    }
    beside(arg).pop().ok_or_else(|| {
        CheckpointError::bad(
            arg,
            format!(
                "not a checkpoint, and no checkpoint beside it (looked for {}.step*.ckpt)",
                arg.display()
            ),
        )
    })
}
