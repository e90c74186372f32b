//! What a run is and how far it got: the facts the header shows, all as the worker reported
//! them. Shared by every front end that shows one run.

use crate::config::Config;
use crate::data::SourceKind;
use crate::protocol::{FinishReason, Metrics, Report, Summary};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds of metrics the displayed steps/s averages over (one interval is too jittery).
const RATE_WINDOW_S: f64 = 1.0;

/// What the run is doing, for the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunState {
    /// No metrics yet.
    Starting,
    /// Training.
    Running,
    /// Paused by the user.
    Paused,
    /// Paused by the worker on a NaN/Inf at this step.
    Diverged { step: u64, loss: f64 },
    /// The run ended.
    Finished(FinishReason),
}

/// What runs and how far it got: the header's facts, all from the worker.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Preset name, for the header and file names.
    pub preset: String,
    /// The data source (decides which reference lines apply).
    pub source: SourceKind,
    /// Input dimension.
    pub d: usize,
    /// Density of the sparse source (fraction of non-zero coordinates); unused elsewhere.
    pub sparsity: f64,
    /// `train.lr = "auto"`: the rate follows the curvature (the header says so beside its
    /// current value).
    pub lr_auto: bool,
    /// The run record being written, if any.
    pub record: Option<PathBuf>,
    /// The run is another process's, followed through its record: nothing here steers it.
    pub watching: bool,
    /// Why the run record could not be written (it is closed since).
    pub record_error: Option<String>,
    /// The latest metrics: what the header shows.
    pub metrics: Option<Metrics>,
    /// The latest evaluation report.
    pub report: Option<Report>,
    /// The model changed (r, activation, decoder) since the latest report: its values are
    /// the old model's.
    pub report_stale: bool,
    /// The worker's summary once the run has ended.
    pub finished: Option<Summary>,
    /// Step and loss of a divergence the worker paused on.
    pub diverged: Option<(u64, f64)>,
    /// (elapsed s, step) of the last second of metrics.
    rate_window: VecDeque<(f64, u64)>,
}

impl RunInfo {
    /// A run of `cfg` before its first metrics.
    pub fn new(cfg: &Config, record: Option<PathBuf>) -> RunInfo {
        RunInfo {
            preset: cfg.name.clone(),
            source: cfg.data.kind,
            d: cfg.data.d,
            sparsity: cfg.data.p,
            lr_auto: cfg.train.lr == crate::protocol::LearningRate::Auto,
            record,
            watching: false,
            record_error: None,
            metrics: None,
            report: None,
            report_stale: false,
            finished: None,
            diverged: None,
            rate_window: VecDeque::new(),
        }
    }

    /// The step of the latest metrics (0 before the first).
    pub fn step(&self) -> u64 {
        self.metrics.as_ref().map_or(0, |m| m.step)
    }

    /// Training speed over the last second of metrics (the worker's own figure covers one
    /// 50 ms interval and jitters).
    pub fn steps_per_sec(&self) -> f64 {
        match (self.rate_window.front(), self.rate_window.back()) {
            (Some(a), Some(b)) if b.0 > a.0 => b.1.saturating_sub(a.1) as f64 / (b.0 - a.0),
            _ => self.metrics.as_ref().map_or(0.0, |m| m.steps_per_sec),
        }
    }

    /// What the run is doing: finished, diverged, paused or running.
    pub fn state(&self) -> RunState {
        if let Some(s) = &self.finished {
            return RunState::Finished(s.reason);
        }
        if let Some((step, loss)) = self.diverged {
            return RunState::Diverged { step, loss };
        }
        match &self.metrics {
            None => RunState::Starting,
            Some(m) if m.paused => RunState::Paused,
            Some(_) => RunState::Running,
        }
    }

    /// Take the latest metrics.
    pub(crate) fn on_metrics(&mut self, m: Metrics) {
        if !m.paused {
            self.diverged = None;
        }
        self.rate_window.push_back((m.elapsed_s, m.step));
        while self.rate_window.len() > 2
            && self
                .rate_window
                .front()
                .is_some_and(|f| m.elapsed_s - f.0 > RATE_WINDOW_S)
        {
            self.rate_window.pop_front();
        }
        self.metrics = Some(m);
    }

    /// A reset: the previous run's progress no longer applies.
    pub(crate) fn clear(&mut self) {
        self.rate_window.clear();
        self.report = None;
        self.report_stale = false;
        self.finished = None;
        self.diverged = None;
    }

    /// `aescope-<preset>-step<step>-<UTC time>`, safe as a file name.
    pub(crate) fn file_stem(&self, now: SystemTime) -> String {
        let preset: String = self
            .preset
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("aescope-{preset}-step{}-{}", self.step(), utc_stamp(now))
    }
}

/// `YYYYMMDD-HHMMSS` in UTC.
pub fn utc_stamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days.cast_signed() + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101-000000");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // 2024-02-29 12:34:56
        assert_eq!(utc_stamp(t), "20240229-123456");
    }
}
