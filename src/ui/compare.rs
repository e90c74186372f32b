//! Earlier runs drawn beside the live one (`--compare RECORD`): each record is read once, at
//! start, through the one record reader (its header, then its lines replayed as the worker's
//! events), and only what the risk chart needs is kept: the evaluated risk and the limit in
//! force at each report, thinned to at most twice [`MAX_POINTS`] points however long the run was.

use crate::protocol::Event;
use crate::record::{LineTail, RecordReadError, read_header};
use crate::safe_io::InputError;
use crate::ui::history::StepLine;
pub use crate::ui::history::{ComparedPoint, ComparedRun};
use crate::watch::replay::Replay;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Most reports kept of a compared run (the chart is a few hundred cells wide).
pub const MAX_POINTS: usize = 4096;
/// Bytes read from the record at a time.
const CHUNK: usize = 1 << 20;

/// Why a record cannot be compared.
#[derive(Debug, Error)]
pub enum CompareError {
    /// The message is the reader's (not its source: it would be printed twice).
    #[error("--compare {0}")]
    Read(RecordReadError),
    #[error("--compare {}: has no report line (no evaluated risk yet): nothing to draw", path.display())]
    Empty { path: PathBuf },
}

impl From<RecordReadError> for CompareError {
    fn from(e: RecordReadError) -> Self {
        CompareError::Read(e)
    }
}

impl ComparedRun {
    /// Read the record at `path` (a regular file holding a run record this aescope reads).
    pub fn load(path: &Path) -> Result<ComparedRun, CompareError> {
        let header = read_header(path)?;
        let cfg = &header.cfg;
        let mut run = ComparedRun {
            path: path.to_path_buf(),
            preset: cfg.name.clone(),
            r: cfg.model.rate,
            activation: cfg.model.activation,
            batch: cfg.train.batch.max(1) as f64,
            points: Vec::new(),
            limit: StepLine::default(),
        };
        let mut replay = Replay::new(header);
        let io = |error| {
            CompareError::Read(RecordReadError::Input(InputError::Io {
                path: path.to_path_buf(),
                error,
            }))
        };
        let mut file = crate::safe_io::input::open_regular(path, "run record")
            .map_err(RecordReadError::from)?;
        let mut tail = LineTail::default();
        let mut thin = Thinning::default();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            for line in tail.feed(&buf[..n]) {
                for ev in replay.line(&line) {
                    run.take(ev, &mut thin);
                }
            }
        }
        if run.points.is_empty() {
            return Err(CompareError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(run)
    }

    /// Take one replayed event: reports add points; a step going back (a reset) starts over.
    fn take(&mut self, ev: Event, thin: &mut Thinning) {
        let (m, r) = match ev {
            Event::Metrics(m) => {
                self.r = m.r;
                self.activation = m.activation;
                return;
            }
            Event::Report(r) => (r.step as f64, r),
            _ => return,
        };
        if self.points.last().is_some_and(|p| p.step > m) {
            self.points.clear();
            self.limit.clear();
            *thin = Thinning::default();
        }
        self.limit.set(m, r.limit);
        if !r.risk.is_finite() {
            return;
        }
        thin.push(
            &mut self.points,
            ComparedPoint {
                step: m,
                risk: r.risk,
                limit: r.limit,
            },
        );
    }
}

/// Keeps every `stride`-th point, and halves what it kept when it reaches twice
/// [`MAX_POINTS`] (the stride doubles), so a record of any length ends with between
/// [`MAX_POINTS`] and twice as many points spread evenly. The newest point is always shown:
/// between two kept points it stands at the end, provisionally.
#[derive(Debug, Clone)]
struct Thinning {
    stride: u64,
    seen: u64,
    /// The last point of the list is the newest, not a kept one.
    provisional: bool,
}

impl Default for Thinning {
    fn default() -> Self {
        Thinning {
            stride: 1,
            seen: 0,
            provisional: false,
        }
    }
}

impl Thinning {
    fn push(&mut self, points: &mut Vec<ComparedPoint>, p: ComparedPoint) {
        if self.provisional {
            points.pop();
        }
        let keep = self.seen.is_multiple_of(self.stride);
        self.seen += 1;
        points.push(p);
        self.provisional = !keep;
        if keep && points.len() >= 2 * MAX_POINTS {
            // Entry i is point i·stride: the even entries are the multiples of the new stride.
            let odd_last = points.len().is_multiple_of(2);
            let kept: Vec<ComparedPoint> = points.iter().step_by(2).copied().collect();
            *points = kept;
            self.stride *= 2;
            if odd_last {
                points.push(p);
                self.provisional = true;
            }
        }
    }
}

/// Read every record of `paths`, in order; the first that cannot be compared ends it.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<ComparedRun>, CompareError> {
    paths.iter().map(|p| ComparedRun::load(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Activation;

    fn pt(step: f64) -> ComparedPoint {
        ComparedPoint {
            step,
            risk: 1.0,
            limit: 0.5,
        }
    }

    #[test]
    fn thinning_is_bounded_even_and_keeps_the_newest() {
        let mut points = Vec::new();
        let mut t = Thinning::default();
        let n = 100_000;
        for i in 0..n {
            t.push(&mut points, pt(f64::from(i)));
        }
        assert!(points.len() <= 2 * MAX_POINTS, "{}", points.len());
        assert!(points.len() >= MAX_POINTS / 2, "{}", points.len());
        assert_eq!(points.last().map(|p| p.step), Some(f64::from(n - 1)));
        assert_eq!(points.first().map(|p| p.step), Some(0.0));
        // Evenly spread: every gap but the last is the stride.
        let gaps: Vec<f64> = points.windows(2).map(|w| w[1].step - w[0].step).collect();
        let stride = gaps[0];
        assert!(
            gaps[..gaps.len() - 1].iter().all(|&g| g == stride),
            "{gaps:?}"
        );
        assert!(gaps[gaps.len() - 1] <= stride);
    }

    #[test]
    fn samples_axis_lines_up_batches() {
        let run = ComparedRun {
            path: PathBuf::new(),
            preset: "p".into(),
            r: 0.5,
            activation: Activation::Sign,
            batch: 256.0,
            points: vec![pt(100.0), pt(200.0)],
            limit: StepLine::default(),
        };
        // 200 steps of 256 samples = 400 steps of 128.
        assert_eq!(run.x(200.0, true, 128.0), 400.0);
        assert_eq!(run.x(200.0, false, 128.0), 200.0);
        assert_eq!(run.risk_at(399.0, true, 128.0).map(|p| p.step), Some(100.0));
        assert_eq!(run.risk_at(400.0, true, 128.0).map(|p| p.step), Some(200.0));
        assert_eq!(run.risk_at(50.0, false, 128.0), None);
    }
}
