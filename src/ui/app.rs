//! The UI's state and how it changes: worker `Event`s update it, keys turn into `Command`s.
//! Pure: no terminal, no clock (the caller passes the wall time), so tests script it.
//!
//! The worker is authoritative: rate, learning rate, activation, paused… are shown as the
//! latest `Metrics` says, never as the UI expects them to be. Relative keys pressed faster
//! than the worker answers (→ → →) build on the value last asked for, until the worker's
//! metrics confirm it.

use super::history::{HistoryView, Point, Series, StepLine};
use super::keys::{Action, action};
use crate::config::{Config, n_for_rate};
use crate::data::SourceKind;
use crate::model::Activation;
use crate::protocol::{
    Command, DecoderMode, Event, FinishReason, MatrixView, Metrics, OptKind, PauseReason, Report,
    Snapshot, SnapshotRequest, Summary,
};
use crate::theory::bounds;
use crossterm::event::KeyEvent;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// The coarse rates of shift+←/→.
pub const RATE_LADDER: [f64; 9] = [0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0];
/// Smoothing factors (per step) of the loss curve, `[` and `]` move along them.
pub const SMOOTHING: [f64; 8] = [0.0, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999];
/// Learning-rate factor of + and −.
pub const LR_FACTOR: f64 = 1.25;
/// Metrics to wait for the worker to confirm a requested value before giving up on it.
const PENDING_TTL: u8 = 20;
/// Seconds of metrics the displayed steps/s averages over (one interval is too jittery).
const RATE_WINDOW_S: f64 = 1.0;

/// What the caller must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this to the worker.
    Send(Command),
    /// Write the UI's series (CSV) into this directory.
    WriteSeries(PathBuf),
    /// Leave the UI (the caller then stops the worker and waits for its record).
    Quit,
}

/// Which downsampled matrix the heatmap draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockMode {
    /// The mean of each block.
    Mean,
    /// The entry of largest magnitude of each block, sign kept.
    MaxAbs,
}

/// A window over the panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// Just the panels.
    None,
    /// The key list, scrolled by this many lines.
    Help { scroll: u16 },
    /// "quit without saving a record? y/n".
    ConfirmQuit,
}

/// A one-line message about the last thing that happened (saved, exported, an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The message.
    pub text: String,
    /// Shown in the error colour.
    pub error: bool,
}

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

/// A value asked of the worker and not yet seen in its metrics.
#[derive(Debug, Clone, Copy)]
struct Pending<T> {
    value: T,
    ttl: u8,
}

impl<T: PartialEq + Copy> Pending<T> {
    fn new(value: T) -> Pending<T> {
        Pending {
            value,
            ttl: PENDING_TTL,
        }
    }

    /// Drop the pending value once the worker shows it, or after a while (it may have
    /// refused, or the event was lost).
    fn resolve(slot: &mut Option<Pending<T>>, actual: T) {
        if let Some(p) = slot {
            if p.value == actual || p.ttl == 0 {
                *slot = None;
            } else {
                p.ttl -= 1;
            }
        }
    }

    fn or(slot: Option<&Pending<T>>, actual: T) -> T {
        slot.map_or(actual, |p| p.value)
    }
}

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Preset name, for the header and file names.
    pub preset: String,
    /// The data source (decides which reference lines apply).
    pub source: SourceKind,
    /// Input dimension.
    pub d: usize,
    /// The run record being written, if any.
    pub record: Option<PathBuf>,
    /// The latest metrics: what the header shows.
    pub metrics: Option<Metrics>,
    /// The latest evaluation report.
    pub report: Option<Report>,
    /// Mean minibatch loss per metrics interval.
    pub loss: Series,
    /// Evaluated risk (validation or exact), one point per report.
    pub risk: Series,
    /// R*(B), the best decoder for the current encoder, when the worker computes it.
    pub best: Series,
    /// The activation's limit at the current r, as a step function of the step.
    pub limit: StepLine,
    /// Empty unless the data is isotropic (the bound needs Σ = I).
    pub pca: StepLine,
    /// Empty unless the data is Gaussian (Shannon's D(r) is for a Gaussian source).
    pub shannon: StepLine,
    /// What the limit is (theorem, prediction or construction), from the worker.
    pub limit_label: String,
    /// The latest matrices and spectrum.
    pub snapshot: Option<Box<Snapshot>>,
    /// The matrix the heatmap shows (tab).
    pub view: MatrixView,
    /// Block max-abs or mean (m).
    pub block: BlockMode,
    /// Log-scale risk axis (l).
    pub log_scale: bool,
    /// Full history or recent window (h).
    pub history: HistoryView,
    /// Index into [`SMOOTHING`] ([ and ]).
    smoothing: usize,
    /// Help or quit confirmation over the panels.
    pub overlay: Overlay,
    /// The last message (saved, exported, an error).
    pub status: Option<Status>,
    /// The worker's summary once the run has ended.
    pub finished: Option<Summary>,
    /// How writing the UI's series for the last export went, until the worker's matrices
    /// are written too.
    series_export: Option<Result<PathBuf, String>>,
    /// Step and loss of a divergence the worker paused on.
    pub diverged: Option<(u64, f64)>,
    /// The largest matrix side the heatmap panel can draw, in pixels (set from the layout).
    heatmap_side: usize,
    requested: Option<SnapshotRequest>,
    pending_n: Option<Pending<usize>>,
    pending_act: Option<Pending<Activation>>,
    pending_opt: Option<Pending<OptKind>>,
    pending_dec: Option<Pending<DecoderMode>>,
    /// (elapsed s, step) of the last second of metrics.
    rate_window: VecDeque<(f64, u64)>,
    dirty: bool,
}

impl AppState {
    /// The state before the first event, for a run of `cfg`.
    pub fn new(cfg: &Config, record: Option<PathBuf>) -> AppState {
        let smoothing = SMOOTHING
            .iter()
            .enumerate()
            .min_by(|a, b| {
                (a.1 - cfg.eval.ema)
                    .abs()
                    .total_cmp(&(b.1 - cfg.eval.ema).abs())
            })
            .map_or(4, |(i, _)| i);
        AppState {
            preset: cfg.name.clone(),
            source: cfg.data.source,
            d: cfg.data.d,
            record,
            metrics: None,
            report: None,
            loss: Series::default(),
            risk: Series::default(),
            best: Series::default(),
            limit: StepLine::default(),
            pca: StepLine::default(),
            shannon: StepLine::default(),
            limit_label: bounds::limit(cfg.model.activation, cfg.model.rate)
                .label
                .to_string(),
            snapshot: None,
            view: MatrixView::Gram,
            // Block means wash out the diagonal of a downsampled Gram matrix; the largest
            // entry per block keeps the identity (and stray large entries) visible.
            block: BlockMode::MaxAbs,
            log_scale: false,
            history: HistoryView::Full,
            smoothing,
            overlay: Overlay::None,
            status: None,
            finished: None,
            series_export: None,
            diverged: None,
            heatmap_side: 0,
            requested: None,
            pending_n: None,
            pending_act: None,
            pending_opt: None,
            pending_dec: None,
            rate_window: VecDeque::new(),
            dirty: true,
        }
    }

    /// Record how writing the series of an export went (shown with the worker's answer).
    pub fn series_written(&mut self, result: Result<PathBuf, String>) {
        self.status = Some(match &result {
            Ok(p) => Status {
                text: format!(
                    "series written to {}; waiting for the matrices…",
                    p.display()
                ),
                error: false,
            },
            Err(e) => Status {
                text: e.clone(),
                error: true,
            },
        });
        self.series_export = Some(result);
        self.dirty = true;
    }

    /// The EMA factor (per step) of the drawn loss curve.
    pub fn smoothing(&self) -> f64 {
        SMOOTHING[self.smoothing]
    }

    /// Something changed since the last [`AppState::take_dirty`].
    pub fn take_dirty(&mut self) -> bool {
        std::mem::replace(&mut self.dirty, false)
    }

    /// Ask for a redraw (resize, …).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
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

    /// The heatmap panel's size in pixels changed (or not): the snapshot request to send.
    pub fn set_heatmap_side(&mut self, side: usize) -> Option<Command> {
        self.heatmap_side = side;
        self.sync_snapshots()
    }

    /// The snapshot request the current view needs, if it differs from the last one sent.
    fn sync_snapshots(&mut self) -> Option<Command> {
        if self.heatmap_side == 0 {
            return None;
        }
        let want = SnapshotRequest {
            view: self.view,
            max_side: self.heatmap_side,
        };
        if self.requested == Some(want) {
            return None;
        }
        self.requested = Some(want);
        Some(Command::WantSnapshots(Some(want)))
    }

    /// Apply one event from the worker.
    pub fn on_event(&mut self, ev: Event) {
        self.dirty = true;
        match ev {
            Event::Metrics(m) => self.on_metrics(m),
            Event::Report(r) => {
                if r.risk.is_finite() {
                    self.risk.push(Point::single(r.step as f64, r.risk));
                }
                self.report = Some(r);
            }
            Event::RateChanged { step, r, limit, .. } => {
                self.set_reference_lines(step, r, limit);
            }
            Event::Paused(reason @ PauseReason::Diverged { step, loss }) => {
                self.diverged = Some((step, loss));
                self.status = Some(Status {
                    text: format!("{reason}: lower the learning rate (-) and resume (space)"),
                    error: true,
                });
            }
            Event::Paused(PauseReason::User) => {}
            Event::Resumed => self.diverged = None,
            Event::Saved(p) => self.info(format!("checkpoint saved to {}", p.display())),
            Event::Exported(files) => {
                let dir = files
                    .first()
                    .and_then(|f| f.parent())
                    .map_or_else(String::new, |d| format!(" to {}", d.display()));
                let text = format!("exported {} matrix files{dir}", files.len());
                // The UI wrote its series first; say how that went too.
                self.status = Some(match self.series_export.take() {
                    Some(Err(e)) => Status {
                        text: format!("{text}; {e}"),
                        error: true,
                    },
                    Some(Ok(series)) => Status {
                        text: format!(
                            "{text} + {}",
                            series.file_name().unwrap_or_default().to_string_lossy()
                        ),
                        error: false,
                    },
                    None => Status { text, error: false },
                });
            }
            Event::Snapshot(s) => self.snapshot = Some(s),
            Event::Error(e) => {
                self.pending_n = None;
                self.pending_act = None;
                self.pending_opt = None;
                self.pending_dec = None;
                self.status = Some(Status {
                    text: e,
                    error: true,
                });
            }
            Event::Finished(s) => {
                let reason = match s.reason {
                    FinishReason::Completed => "budget reached",
                    FinishReason::Interrupted => "interrupted",
                    FinishReason::Diverged => "diverged",
                    FinishReason::Failed => "internal error",
                };
                self.info(format!(
                    "run finished ({reason}): risk {:.4}, gap {:+.4} — r resets, q quits",
                    s.risk, s.gap
                ));
                self.finished = Some(s);
            }
        }
    }

    fn on_metrics(&mut self, m: Metrics) {
        let prev_step = match &self.metrics {
            // The step went back: the run was reset; its history no longer applies.
            Some(prev) if m.step < prev.step => {
                self.clear_run();
                0
            }
            Some(prev) => prev.step,
            None => 0,
        };
        let steps = m.step.saturating_sub(prev_step);
        if steps > 0 && m.loss.is_finite() {
            self.loss.push(Point {
                x: m.step as f64,
                y: m.loss,
                weight: steps as f64,
            });
        }
        if let Some(b) = m.best_risk.filter(|b| b.is_finite())
            && (steps > 0 || self.best.last().is_none())
        {
            self.best.push(Point::single(m.step as f64, b));
        }
        self.set_reference_lines(m.step, m.r, m.limit);
        self.limit_label.clone_from(&m.limit_label);
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
        Pending::resolve(&mut self.pending_n, m.n);
        Pending::resolve(&mut self.pending_act, m.activation);
        Pending::resolve(&mut self.pending_opt, m.optimizer);
        Pending::resolve(&mut self.pending_dec, m.decoder);
        self.metrics = Some(m);
    }

    fn set_reference_lines(&mut self, step: u64, r: f64, limit: f64) {
        let x = step as f64;
        self.limit.set(x, limit);
        if matches!(self.source, SourceKind::Gaussian | SourceKind::Sparse) {
            self.pca.set(x, bounds::pca_bound(r));
        }
        if self.source == SourceKind::Gaussian {
            self.shannon.set(x, bounds::shannon(r));
        }
    }

    fn clear_run(&mut self) {
        self.rate_window.clear();
        self.loss.clear();
        self.risk.clear();
        self.best.clear();
        self.limit.clear();
        self.pca.clear();
        self.shannon.clear();
        self.report = None;
        self.finished = None;
        self.diverged = None;
    }

    fn info(&mut self, text: String) {
        self.status = Some(Status { text, error: false });
    }

    /// Handle a key press at wall time `now` (for file names).
    pub fn on_key(&mut self, key: &KeyEvent, now: SystemTime) -> Vec<Effect> {
        match action(key) {
            Some(a) => self.on_action(a, now),
            None => Vec::new(),
        }
    }

    /// Handle an action at wall time `now` (for file names).
    #[allow(
        clippy::too_many_lines,
        reason = "being split into per-part handlers (issue 11 item 3)"
    )]
    pub fn on_action(&mut self, a: Action, now: SystemTime) -> Vec<Effect> {
        self.dirty = true;
        match self.overlay {
            Overlay::ConfirmQuit => {
                return match a {
                    Action::Yes | Action::Interrupt => vec![Effect::Quit],
                    Action::No => {
                        self.overlay = Overlay::None;
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
            }
            Overlay::Help { scroll } => match a {
                Action::ScrollUp => {
                    self.overlay = Overlay::Help {
                        scroll: scroll.saturating_sub(1),
                    };
                    return Vec::new();
                }
                Action::ScrollDown => {
                    self.overlay = Overlay::Help {
                        scroll: scroll.saturating_add(1),
                    };
                    return Vec::new();
                }
                Action::Help | Action::No => {
                    self.overlay = Overlay::None;
                    return Vec::new();
                }
                // Any other key closes the help and does what it says.
                _ => self.overlay = Overlay::None,
            },
            Overlay::None => {}
        }
        let send = |c: Command| vec![Effect::Send(c)];
        match a {
            Action::TogglePause => send(Command::TogglePause),
            Action::Step => send(Command::Step(1)),
            Action::RateDown | Action::RateUp => self.nudge_rate(a == Action::RateUp),
            Action::LadderDown | Action::LadderUp => self.ladder(a == Action::LadderUp),
            Action::LrUp => send(Command::ScaleLr(LR_FACTOR)),
            Action::LrDown => send(Command::ScaleLr(1.0 / LR_FACTOR)),
            Action::SmoothLess => {
                self.smoothing = self.smoothing.saturating_sub(1);
                Vec::new()
            }
            Action::SmoothMore => {
                self.smoothing = (self.smoothing + 1).min(SMOOTHING.len() - 1);
                Vec::new()
            }
            Action::CycleActivation => {
                let Some(m) = &self.metrics else {
                    return Vec::new();
                };
                let next = cycle(
                    &Activation::ALL,
                    Pending::or(self.pending_act.as_ref(), m.activation),
                );
                self.pending_act = Some(Pending::new(next));
                send(Command::SetActivation(next))
            }
            Action::CycleOptimizer => {
                let Some(m) = &self.metrics else {
                    return Vec::new();
                };
                let next = cycle(
                    &OptKind::ALL,
                    Pending::or(self.pending_opt.as_ref(), m.optimizer),
                );
                self.pending_opt = Some(Pending::new(next));
                send(Command::SetOptimizer(next))
            }
            Action::CycleDecoder => {
                let Some(m) = &self.metrics else {
                    return Vec::new();
                };
                let next = cycle(
                    &DecoderMode::ALL,
                    Pending::or(self.pending_dec.as_ref(), m.decoder),
                );
                self.pending_dec = Some(Pending::new(next));
                send(Command::SetDecoder(next))
            }
            Action::CycleView => {
                self.view = cycle(&MatrixView::ALL, self.view);
                self.sync_snapshots()
                    .map(Effect::Send)
                    .into_iter()
                    .collect()
            }
            Action::ToggleMaxAbs => {
                self.block = match self.block {
                    BlockMode::Mean => BlockMode::MaxAbs,
                    BlockMode::MaxAbs => BlockMode::Mean,
                };
                Vec::new()
            }
            Action::ToggleLog => {
                self.log_scale = !self.log_scale;
                Vec::new()
            }
            Action::ToggleHistory => {
                self.history = match self.history {
                    HistoryView::Full => HistoryView::Recent,
                    HistoryView::Recent => HistoryView::Full,
                };
                Vec::new()
            }
            Action::Reset => send(Command::Reset { seed: None }),
            Action::Save => {
                let path = PathBuf::from(format!("{}.ckpt.json", self.file_stem(now)));
                self.info(format!("saving {}…", path.display()));
                send(Command::Save(path))
            }
            Action::Export => {
                let dir = PathBuf::from(self.file_stem(now));
                self.info(format!("exporting to {}…", dir.display()));
                vec![
                    Effect::Send(Command::Export(dir.clone())),
                    Effect::WriteSeries(dir),
                ]
            }
            Action::Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                Vec::new()
            }
            Action::Quit | Action::Interrupt => {
                if self.record.is_some() {
                    vec![Effect::Quit]
                } else {
                    self.overlay = Overlay::ConfirmQuit;
                    Vec::new()
                }
            }
            Action::Yes | Action::No | Action::ScrollUp | Action::ScrollDown => Vec::new(),
        }
    }

    /// One neuron more or less, from the last n asked for.
    fn nudge_rate(&mut self, up: bool) -> Vec<Effect> {
        let Some(m) = &self.metrics else {
            return Vec::new();
        };
        let n = Pending::or(self.pending_n.as_ref(), m.n);
        let target = if up {
            n.saturating_add(1)
        } else {
            n.saturating_sub(1)
        };
        if target == 0 || target == n {
            return Vec::new();
        }
        self.pending_n = Some(Pending::new(target));
        vec![Effect::Send(Command::SetN(target))]
    }

    /// The next rung of [`RATE_LADDER`] above or below the rate last asked for.
    fn ladder(&mut self, up: bool) -> Vec<Effect> {
        let Some(m) = &self.metrics else {
            return Vec::new();
        };
        let d = m.d.max(1);
        let r = Pending::or(self.pending_n.as_ref(), m.n) as f64 / d as f64;
        // A rung counts as reached when it rounds to the same n.
        let eps = 0.5 / d as f64;
        let rung = if up {
            RATE_LADDER.iter().copied().find(|&x| x > r + eps)
        } else {
            RATE_LADDER.iter().rev().copied().find(|&x| x < r - eps)
        };
        let Some(rung) = rung else {
            return Vec::new();
        };
        self.pending_n = Some(Pending::new(n_for_rate(rung, d)));
        vec![Effect::Send(Command::SetRate(rung))]
    }

    /// `aescope-<preset>-step<step>-<UTC time>`, safe as a file name.
    fn file_stem(&self, now: SystemTime) -> String {
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
        let step = self.metrics.as_ref().map_or(0, |m| m.step);
        format!("aescope-{preset}-step{step}-{}", utc_stamp(now))
    }
}

/// The element after `current` in `all`, wrapping around.
fn cycle<T: PartialEq + Copy>(all: &[T], current: T) -> T {
    let i = all.iter().position(|&x| x == current).unwrap_or(0);
    all[(i + 1) % all.len()]
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

    #[test]
    fn cycling_wraps() {
        assert_eq!(cycle(&[1, 2, 3], 3), 1);
        assert_eq!(cycle(&[1, 2, 3], 1), 2);
    }
}
