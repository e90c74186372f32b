//! The live run's state and how it changes: worker `Event`s update it, keys turn into
//! `Command`s. Pure: no terminal, no clock (the caller passes the wall time), so tests script
//! it.
//!
//! The state is in parts, each with its own job: [`RunInfo`] (what runs and how far it got),
//! [`Histories`] (the series drawn against the step), [`ViewSettings`] (how the panels are
//! looked at), [`Requests`] (values asked of the worker and not yet confirmed), and the
//! overlay and status line. Events and keys are routed to the part they concern.
//!
//! The worker is authoritative: rate, learning rate, activation, paused… are shown as the
//! latest `Metrics` says, never as the UI expects them to be. Relative keys pressed faster
//! than the worker answers (→ → →) build on the value last asked for, until the worker's
//! metrics confirm it.

use super::keys::{Action, KEYS, Mode};
use crate::config::{Config, n_for_rate};
use crate::data::SourceKind;
use crate::human;
use crate::model::Activation;
use crate::protocol::{
    Command, DecoderMode, Event, FeatureImages, FeatureKind, FeatureRequest, FinishReason, Metrics,
    OptKind, PauseReason, Snapshot, SnapshotRequest,
};
use crate::theory::bounds;
use crate::ui::event_log::{EventKind, EventLog};
use crate::ui::history::{Histories, Point};
use crate::ui::view::{ViewSettings, cycle};
use crate::ui::widgets::cursor::{self, Move};
use crate::ui::widgets::risk_chart::visible_steps;
use crate::ui::widgets::theme::Theme;
use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use std::path::PathBuf;
use std::time::SystemTime;

pub use crate::ui::run_info::{RunInfo, RunState, utc_stamp};
pub use crate::ui::view::{BlockMode, SMOOTHING};
pub use crate::ui::widgets::risk_chart::Status;

/// The coarse rates of shift+←/→.
pub const RATE_LADDER: [f64; 9] = [0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0];
/// Learning-rate factor of + and −.
pub const LR_FACTOR: f64 = 1.25;
/// Metrics to wait for the worker to confirm a requested value before giving up on it.
const PENDING_TTL: u8 = 20;

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

/// A window over the panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// Just the panels.
    None,
    /// The key list, scrolled by this many lines.
    Help { scroll: u16 },
    /// "quit without saving a record? y/n".
    ConfirmQuit,
    /// The event log, scrolled back this many lines from the newest.
    Log { back: u16 },
    /// The record could not be written and the worker paused: "keep training without a
    /// record? y/n".
    KeepTraining,
    /// The config panel, scrolled down this many lines.
    Config { scroll: u16 },
}

impl Overlay {
    /// Which keys act now.
    pub fn mode(self) -> Mode {
        match self {
            Overlay::None => Mode::Panels,
            Overlay::Help { .. } => Mode::Help,
            Overlay::ConfirmQuit | Overlay::KeepTraining => Mode::Confirm,
            // Scrolled and closed like the log.
            Overlay::Log { .. } | Overlay::Config { .. } => Mode::Log,
        }
    }

    /// The overlays' share of a key: `Some(effects)` when an overlay took it, `None` when it
    /// is for the panels (any command key closes the help and then does what it says).
    /// Quitting without a record asks first.
    fn on_action(&mut self, a: Action, has_record: bool) -> Option<Vec<Effect>> {
        match *self {
            Overlay::ConfirmQuit => Some(match a {
                Action::Yes | Action::Interrupt => vec![Effect::Quit],
                Action::No => {
                    *self = Overlay::None;
                    Vec::new()
                }
                _ => Vec::new(),
            }),
            Overlay::Log { back } => {
                let back = match a {
                    Action::ScrollUp => back.saturating_add(1),
                    Action::ScrollDown => back.saturating_sub(1),
                    Action::EventLog | Action::No => {
                        *self = Overlay::None;
                        return Some(Vec::new());
                    }
                    _ => {
                        *self = Overlay::None;
                        return self.on_action(a, has_record);
                    }
                };
                *self = Overlay::Log { back };
                Some(Vec::new())
            }
            Overlay::Config { scroll } => {
                let scroll = match a {
                    Action::ScrollUp => scroll.saturating_sub(1),
                    Action::ScrollDown => scroll.saturating_add(1),
                    Action::Config | Action::No => {
                        *self = Overlay::None;
                        return Some(Vec::new());
                    }
                    _ => {
                        *self = Overlay::None;
                        return self.on_action(a, has_record);
                    }
                };
                *self = Overlay::Config { scroll };
                Some(Vec::new())
            }
            Overlay::KeepTraining => Some(match a {
                Action::Yes => {
                    *self = Overlay::None;
                    vec![Effect::Send(Command::Resume)]
                }
                Action::No | Action::Interrupt => vec![Effect::Quit],
                _ => Vec::new(),
            }),
            Overlay::Help { scroll } => {
                let scroll = match a {
                    Action::ScrollUp => scroll.saturating_sub(1),
                    Action::ScrollDown => scroll.saturating_add(1),
                    Action::Help | Action::No => {
                        *self = Overlay::None;
                        return Some(Vec::new());
                    }
                    _ => {
                        *self = Overlay::None;
                        return self.on_action(a, has_record);
                    }
                };
                *self = Overlay::Help { scroll };
                Some(Vec::new())
            }
            Overlay::None => match a {
                Action::Help => {
                    *self = Overlay::Help { scroll: 0 };
                    Some(Vec::new())
                }
                Action::Quit | Action::Interrupt if has_record => Some(vec![Effect::Quit]),
                Action::Quit | Action::Interrupt => {
                    *self = Overlay::ConfirmQuit;
                    Some(Vec::new())
                }
                _ => None,
            },
        }
    }
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

/// What was asked of the worker and not yet confirmed: relative keys build on these.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    n: Option<Pending<usize>>,
    activation: Option<Pending<Activation>>,
    optimizer: Option<Pending<OptKind>>,
    decoder: Option<Pending<DecoderMode>>,
    /// The snapshot request last sent (None: none, or stopped by a freeze).
    snapshots: Option<SnapshotRequest>,
    /// The largest matrix side the heatmap panel can draw, in pixels (set from the layout).
    heatmap_side: usize,
    /// The feature request last sent.
    features: Option<FeatureRequest>,
    /// How many feature tiles the panel draws (set from the layout).
    feature_tiles: usize,
    /// How many validation images the strip under them draws (set from the layout).
    strip: usize,
    /// How writing the UI's series for the last export went, until the worker's matrices
    /// are written too.
    series_export: Option<Result<PathBuf, String>>,
}

impl Requests {
    /// The worker's metrics confirm (or, after a while, abandon) what was asked.
    fn resolve(&mut self, m: &Metrics) {
        Pending::resolve(&mut self.n, m.n);
        Pending::resolve(&mut self.activation, m.activation);
        Pending::resolve(&mut self.optimizer, m.optimizer);
        Pending::resolve(&mut self.decoder, m.decoder);
    }

    /// The worker refused something: build on its values again.
    fn forget(&mut self) {
        self.n = None;
        self.activation = None;
        self.optimizer = None;
        self.decoder = None;
    }

    /// The snapshot request `view` needs at the current panel size, if it differs from the
    /// last one sent.
    fn sync_snapshots(&mut self, view: &ViewSettings) -> Option<Command> {
        if self.heatmap_side == 0 {
            return None;
        }
        let want = (!view.frozen).then_some(SnapshotRequest {
            view: view.matrix,
            max_side: self.heatmap_side,
        });
        if self.snapshots == want {
            return None;
        }
        self.snapshots = want;
        Some(Command::WantSnapshots(want))
    }

    /// The feature request `view` needs at the current panel size, if it differs from the
    /// last one sent (None → stop them when the view closes).
    fn sync_features(&mut self, view: &ViewSettings) -> Option<Command> {
        let want = match view.features {
            Some(_) if view.frozen => None,
            Some(kind) if self.feature_tiles > 0 => Some(FeatureRequest {
                kind,
                max_tiles: self.feature_tiles,
                strip: self.strip,
            }),
            Some(_) => return None,
            None => None,
        };
        if self.features == want {
            return None;
        }
        self.features = want;
        Some(Command::WantFeatures(want))
    }

    /// The command of a key that changes the run relative to its current settings (rate,
    /// activation, optimizer, decoder), building on values not yet confirmed. `None` for
    /// other keys; an empty list before the first metrics (nothing to build on) or at a
    /// limit.
    fn relative(&mut self, a: Action, metrics: Option<&Metrics>) -> Option<Vec<Effect>> {
        let change: fn(&mut Requests, &Metrics) -> Option<Command> = match a {
            Action::RateDown => |q, m| q.nudge_rate(m, false),
            Action::RateUp => |q, m| q.nudge_rate(m, true),
            Action::LadderDown => |q, m| q.ladder(m, false),
            Action::LadderUp => |q, m| q.ladder(m, true),
            Action::CycleActivation => |q, m| {
                let next = cycle(
                    &Activation::ALL,
                    Pending::or(q.activation.as_ref(), m.activation),
                );
                q.activation = Some(Pending::new(next));
                Some(Command::SetActivation(next))
            },
            Action::CycleOptimizer => |q, m| {
                let next = cycle(
                    &OptKind::ALL,
                    Pending::or(q.optimizer.as_ref(), m.optimizer),
                );
                q.optimizer = Some(Pending::new(next));
                Some(Command::SetOptimizer(next))
            },
            Action::CycleDecoder => |q, m| {
                let next = cycle(
                    &DecoderMode::ALL,
                    Pending::or(q.decoder.as_ref(), m.decoder),
                );
                q.decoder = Some(Pending::new(next));
                Some(Command::SetDecoder(next))
            },
            _ => return None,
        };
        let cmd = metrics.and_then(|m| change(self, m));
        Some(cmd.map(Effect::Send).into_iter().collect())
    }

    /// One neuron more or less, from the last n asked for.
    fn nudge_rate(&mut self, m: &Metrics, up: bool) -> Option<Command> {
        let n = Pending::or(self.n.as_ref(), m.n);
        let target = if up {
            n.saturating_add(1)
        } else {
            n.saturating_sub(1)
        };
        if target == 0 || target == n {
            return None;
        }
        self.n = Some(Pending::new(target));
        Some(Command::SetN(target))
    }

    /// The next rung of [`RATE_LADDER`] above or below the rate last asked for.
    fn ladder(&mut self, m: &Metrics, up: bool) -> Option<Command> {
        let d = m.d.max(1);
        let r = Pending::or(self.n.as_ref(), m.n) as f64 / d as f64;
        // A rung counts as reached when it rounds to the same n.
        let eps = 0.5 / d as f64;
        let rung = if up {
            RATE_LADDER.iter().copied().find(|&x| x > r + eps)
        } else {
            RATE_LADDER.iter().rev().copied().find(|&x| x < r - eps)
        }?;
        self.n = Some(Pending::new(n_for_rate(rung, d)));
        Some(Command::SetRate(rung))
    }
}

/// Everything the screen shows, in parts.
#[derive(Debug, Clone)]
pub struct AppState {
    /// What runs and how far it got.
    pub run: RunInfo,
    /// The series drawn against the step.
    pub series: Histories,
    /// How the panels are looked at.
    pub view: ViewSettings,
    /// What was asked of the worker and not yet confirmed.
    requests: Requests,
    /// The latest matrices and spectrum.
    pub snapshot: Option<Box<Snapshot>>,
    /// The latest feature images.
    pub features: Option<Box<FeatureImages>>,
    /// Help or quit confirmation over the panels.
    pub overlay: Overlay,
    /// The last message (saved, exported, an error).
    pub status: Option<Status>,
    /// Everything that happened, every message in full.
    pub log: EventLog,
    /// The configuration the run started with (the config panel).
    pub config: Config,
    /// The learning rate was scaled by a key: log its next change.
    lr_asked: bool,
    dirty: bool,
}

impl AppState {
    /// The state before the first event, for a run of `cfg`.
    pub fn new(cfg: &Config, record: Option<PathBuf>) -> AppState {
        AppState {
            run: RunInfo::new(cfg, record),
            series: Histories {
                batch: cfg.train.batch as f64,
                ..Histories::new(
                    if cfg.data.kind == SourceKind::Sparse {
                        bounds::gaussian_reference(cfg.model.activation, cfg.model.rate)
                    } else {
                        bounds::limit(cfg.model.activation, cfg.model.rate)
                    }
                    .label,
                )
            },
            view: {
                let mut view = ViewSettings::new(cfg.eval.ema);
                // A data set opens on its learned features.
                view.features = (cfg.data.kind == SourceKind::File).then_some(FeatureKind::Encoder);
                view
            },
            requests: Requests::default(),
            snapshot: None,
            features: None,
            overlay: Overlay::None,
            status: None,
            log: EventLog::default(),
            config: cfg.clone(),
            lr_asked: false,
            dirty: true,
        }
    }

    /// Record how writing the series of an export went (shown with the worker's answer).
    pub fn series_written(&mut self, result: Result<PathBuf, String>) {
        self.say(match &result {
            Ok(p) => Status::info(format!(
                "series written to {}; waiting for the matrices…",
                p.display()
            )),
            Err(e) => Status::error(e.clone()),
        });
        self.requests.series_export = Some(result);
        self.dirty = true;
    }

    /// Something changed since the last [`AppState::take_dirty`].
    pub fn take_dirty(&mut self) -> bool {
        std::mem::replace(&mut self.dirty, false)
    }

    /// Ask for a redraw (resize, …).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// The heatmap panel's size in pixels changed (or not): the snapshot request to send.
    pub fn set_heatmap_side(&mut self, side: usize) -> Option<Command> {
        self.requests.heatmap_side = side;
        self.requests.sync_snapshots(&self.view)
    }

    /// The feature panel draws this many tiles, and its strip this many validation images,
    /// now: the request to send, if it changed.
    pub fn set_feature_tiles(&mut self, tiles: usize, strip: usize) -> Option<Command> {
        self.requests.feature_tiles = tiles;
        self.requests.strip = strip;
        self.requests.sync_features(&self.view)
    }

    /// Apply one event from the worker.
    pub fn on_event(&mut self, ev: Event) {
        self.dirty = true;
        match ev {
            Event::Metrics(m) => self.on_metrics(m),
            Event::Report(r) => {
                if r.risk.is_finite() {
                    self.series.risk.push(Point::single(r.step as f64, r.risk));
                }
                if let Some(t) = r.train_risk.filter(|t| t.is_finite()) {
                    self.series.train.push(Point::single(r.step as f64, t));
                }
                if let Some(t) = r.twin_risk.filter(|t| t.is_finite()) {
                    self.series.twin.push(Point::single(r.step as f64, t));
                }
                self.run.report = Some(r);
                self.run.report_stale = false;
            }
            Event::RateChanged { step, r, limit, .. } => {
                self.series.set_references(self.run.source, step, r, limit);
            }
            Event::Paused(reason @ PauseReason::Diverged { step, loss }) => {
                self.run.diverged = Some((step, loss));
                // What to do first: a narrow border cuts the end (the header says where).
                let text = if self.run.watching {
                    reason.to_string()
                } else {
                    format!("lower the learning rate (-) and resume (space): {reason}")
                };
                self.log
                    .push(step, EventKind::Divergence, text.clone(), true);
                self.status = Some(Status::error(text));
            }
            Event::Paused(PauseReason::User) => {
                self.log
                    .push(self.run.step(), EventKind::Message, "paused", false);
            }
            Event::Resumed => {
                self.run.diverged = None;
                self.log.push(
                    self.run.step(),
                    EventKind::Message,
                    "training resumed",
                    false,
                );
            }
            Event::Paused(PauseReason::RecordFailed { message }) => {
                self.say(Status::error(message.clone()));
                self.run.record_error = Some(message);
                self.overlay = Overlay::KeepTraining;
            }
            Event::Saved(p) => {
                self.say(Status::info(format!("checkpoint saved to {}", p.display())));
            }
            Event::Exported(files) => self.on_exported(&files),
            // One already on its way when the panels froze is not shown.
            Event::Snapshot(s) if !self.view.frozen => self.snapshot = Some(s),
            Event::Features(f) if !self.view.frozen => self.features = Some(f),
            Event::Snapshot(_) | Event::Features(_) => {}
            Event::Error(e) => {
                self.requests.forget();
                self.say(Status::error(e));
            }
            Event::Finished(s) => {
                let reason = match s.reason {
                    FinishReason::Completed => "budget reached",
                    FinishReason::Interrupted => "interrupted",
                    FinishReason::Diverged => "diverged",
                    FinishReason::Failed => "internal error",
                };
                let next = if self.run.watching {
                    "q quits"
                } else {
                    "r resets, q quits"
                };
                self.say(Status::info(format!(
                    "run finished ({reason}): risk {}, gap {} — {next}",
                    human::fixed(s.risk, 4),
                    human::signed(s.gap, 4)
                )));
                self.run.finished = Some(s);
            }
        }
    }

    fn on_metrics(&mut self, m: Metrics) {
        self.log_changes(&m);
        // The model changed (r, activation, decoder): the worker evaluated it again at once,
        // so the metrics' risk and R*(B) are the new model's; the last report's values (the
        // training-subset risk) are the old one's until the next report.
        let model_changed =
            self.run.metrics.as_ref().is_some_and(|p| {
                p.n != m.n || p.activation != m.activation || p.decoder != m.decoder
            });
        if model_changed {
            self.run.report_stale = true;
        }
        let prev_step = match &self.run.metrics {
            // The step went back: the run was reset; its history no longer applies.
            Some(prev) if m.step < prev.step => {
                self.series.clear();
                self.run.clear();
                self.view.cursor = None;
                self.view.steps = None;
                // The border is the new run's; the log keeps the old one's messages.
                self.status = None;
                self.log.new_segment();
                self.log.push(
                    m.step,
                    EventKind::Reset,
                    format!("reset: new weights, step {}", m.step),
                    false,
                );
                0
            }
            Some(prev) => prev.step,
            None => 0,
        };
        let steps = m.step.saturating_sub(prev_step);
        if steps > 0 && m.loss.is_finite() {
            self.series.loss.push(Point {
                x: m.step as f64,
                y: m.loss,
                weight: steps as f64,
            });
        }
        // Paused, a change evaluates the new model at the same step: its R*(B) replaces the
        // old one's on the chart.
        if let Some(b) = m.best_risk.filter(|b| b.is_finite())
            && (steps > 0 || model_changed || self.series.best.last().is_none())
        {
            self.series.best.push(Point::single(m.step as f64, b));
        }
        self.series
            .set_references(self.run.source, m.step, m.r, m.limit);
        self.series.lr.set(m.step as f64, m.lr);
        self.series.rate.set(m.step as f64, m.r);
        let finite = match self.run.source {
            SourceKind::Gaussian => bounds::finite_d(m.activation, m.n, m.d, None),
            SourceKind::Sparse => bounds::finite_d(m.activation, m.n, m.d, Some(self.run.sparsity)),
            SourceKind::Powerlaw | SourceKind::File => None,
        };
        self.series.set_finite_d(m.step, finite, m.limit);
        self.series.limit_label.clone_from(&m.limit_label);
        self.requests.resolve(&m);
        self.run.on_metrics(m);
    }

    /// Show a message in the bottom border and keep it, in full, in the log.
    fn say(&mut self, status: Status) {
        self.log.push(
            self.run.step(),
            EventKind::Message,
            status.text.clone(),
            status.error,
        );
        self.status = Some(status);
    }

    /// Log what the new metrics changed against the previous ones: r, activation, optimizer,
    /// decoder, and the learning rate when a key scaled it (a schedule moves it every step);
    /// first metrics past step 0 are a resumed run.
    fn log_changes(&mut self, m: &Metrics) {
        let Some(prev) = &self.run.metrics else {
            if m.step > 0 {
                self.log.push(
                    m.step,
                    EventKind::Resume,
                    format!("resumed from a checkpoint at step {}", m.step),
                    false,
                );
            }
            return;
        };
        if m.step < prev.step {
            return;
        }
        let mut changes: Vec<(EventKind, String)> = Vec::new();
        if m.n != prev.n {
            changes.push((
                EventKind::Rate,
                format!(
                    "r {:.3} → {:.3} (n {} → {}), limit {}",
                    prev.r,
                    m.r,
                    prev.n,
                    m.n,
                    human::risk(m.limit)
                ),
            ));
        }
        if m.activation != prev.activation {
            changes.push((
                EventKind::Activation,
                format!(
                    "activation {} → {}, {} {}",
                    prev.activation,
                    m.activation,
                    m.limit_label,
                    human::risk(m.limit)
                ),
            ));
        }
        if m.optimizer != prev.optimizer {
            changes.push((
                EventKind::Optimizer,
                format!("optimizer {} → {}", prev.optimizer, m.optimizer),
            ));
        }
        if m.decoder != prev.decoder {
            changes.push((
                EventKind::Decoder,
                format!("decoder {} → {}", prev.decoder, m.decoder),
            ));
        }
        if self.lr_asked && m.lr != prev.lr {
            self.lr_asked = false;
            changes.push((
                EventKind::Lr,
                format!("learning rate {:.3e} → {:.3e}", prev.lr, m.lr),
            ));
        }
        for (kind, text) in changes {
            self.log.push(m.step, kind, text, false);
        }
    }

    /// The worker wrote the matrices; the UI wrote its series first: say how both went.
    fn on_exported(&mut self, files: &[PathBuf]) {
        let dir = files
            .first()
            .and_then(|f| f.parent())
            .map_or_else(String::new, |d| format!(" to {}", d.display()));
        let text = format!("exported {} matrix files{dir}", files.len());
        let status = match self.requests.series_export.take() {
            Some(Err(e)) => Status::error(format!("{text}; {e}")),
            Some(Ok(series)) => Status::info(format!(
                "{text} + {}",
                series.file_name().unwrap_or_default().to_string_lossy()
            )),
            None => Status::info(text),
        };
        self.say(status);
    }

    /// Which keys act now: the overlay's, else the panels' (with or without the cursor).
    pub fn mode(&self) -> Mode {
        match self.overlay {
            Overlay::None => self.panel_mode(),
            o => o.mode(),
        }
    }

    /// The panels' mode: whether ←/→ move the cursor or change the rate.
    pub fn panel_mode(&self) -> Mode {
        if self.view.cursor.is_some() {
            Mode::Cursor
        } else {
            Mode::Panels
        }
    }

    /// Handle a mouse event on a screen of size `screen` drawn with `theme`: a click on the
    /// risk chart puts the cursor on the reported step nearest it, the wheel zooms the step
    /// axis around the step under the pointer. Elsewhere, and under an overlay, nothing.
    pub fn on_mouse(&mut self, ev: &MouseEvent, screen: Rect, theme: &Theme) {
        if self.overlay != Overlay::None {
            return;
        }
        let Some(areas) = super::layout::areas_for(self, theme, screen) else {
            return;
        };
        let Some(geo) = super::layout::risk_chart(self, theme).geometry(areas.risk) else {
            return;
        };
        let Some(x) = geo.step_at(ev.column, ev.row) else {
            return;
        };
        let step = self.run.step();
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                cursor::place(&mut self.view, &self.series, step, x);
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let mut unzoomed = self.view;
                unzoomed.steps = None;
                let base = visible_steps(&self.series, &unzoomed, step);
                let factor = if ev.kind == MouseEventKind::ScrollUp {
                    0.5
                } else {
                    2.0
                };
                self.view.zoom_steps(base, x, factor);
            }
            _ => return,
        }
        self.dirty = true;
    }

    /// Handle a key press at wall time `now` (for file names).
    pub fn on_key(&mut self, key: &KeyEvent, now: SystemTime) -> Vec<Effect> {
        match KEYS.action(key, self.mode()) {
            Some(a) => self.on_action(a, now),
            None => Vec::new(),
        }
    }

    /// Handle an action at wall time `now` (for file names): the overlay, the view, the
    /// pending requests and the run each take their own keys.
    pub fn on_action(&mut self, a: Action, now: SystemTime) -> Vec<Effect> {
        self.dirty = true;
        if let Some(effects) = self.overlay.on_action(a, self.run.record.is_some()) {
            return effects;
        }
        if self.run.watching && a.steers() {
            self.say(Status::error(
                "read-only: a watched run is steered where it runs".to_string(),
            ));
            return Vec::new();
        }
        if let Some(effects) = self.requests.relative(a, self.run.metrics.as_ref()) {
            return effects;
        }
        let send = |c: Command| vec![Effect::Send(c)];
        match a {
            Action::TogglePause => send(Command::TogglePause),
            Action::Step => send(Command::Step(1)),
            Action::LrUp => {
                self.lr_asked = true;
                send(Command::ScaleLr(LR_FACTOR))
            }
            Action::LrDown => {
                self.lr_asked = true;
                send(Command::ScaleLr(1.0 / LR_FACTOR))
            }
            Action::EventLog => self.open(Overlay::Log { back: 0 }),
            Action::Config => self.open(Overlay::Config { scroll: 0 }),
            Action::Reset => send(Command::Reset { seed: None }),
            Action::Save => {
                // A hint: with a record the worker names it after the record instead.
                let path = PathBuf::from(self.run.file_stem(now));
                let text = match &self.run.record {
                    Some(r) => format!("saving a checkpoint beside {}…", r.display()),
                    None => format!("saving {}…", path.display()),
                };
                self.say(Status::info(text));
                send(Command::Save(path))
            }
            Action::Export => {
                let dir = PathBuf::from(self.run.file_stem(now));
                self.say(Status::info(format!("exporting to {}…", dir.display())));
                vec![
                    Effect::Send(Command::Export(dir.clone())),
                    Effect::WriteSeries(dir),
                ]
            }
            Action::CycleView => {
                self.view.cycle_matrix();
                self.requests
                    .sync_snapshots(&self.view)
                    .map(Effect::Send)
                    .into_iter()
                    .collect()
            }
            Action::CycleFeatures => {
                self.view.cycle_features();
                self.requests
                    .sync_features(&self.view)
                    .map(Effect::Send)
                    .into_iter()
                    .collect()
            }
            Action::SmoothLess => self.view_only(ViewSettings::smooth_less),
            Action::SmoothMore => self.view_only(ViewSettings::smooth_more),
            Action::ToggleMaxAbs => self.view_only(ViewSettings::toggle_block),
            Action::ToggleFreeze => {
                self.view.toggle_freeze();
                [
                    self.requests.sync_snapshots(&self.view),
                    self.requests.sync_features(&self.view),
                ]
                .into_iter()
                .flatten()
                .map(Effect::Send)
                .collect()
            }
            Action::ToggleLog => self.view_only(ViewSettings::toggle_log),
            Action::ToggleHistory => self.view_only(ViewSettings::toggle_history),
            Action::ToggleGap => self.view_only(ViewSettings::toggle_chart),
            Action::ToggleSamples => self.view_only(ViewSettings::toggle_samples),
            Action::Zoom => self.view_only(ViewSettings::zoom_in),
            Action::ZoomReset => self.view_only(ViewSettings::zoom_reset),
            Action::ToggleCursor => {
                cursor::toggle(&mut self.view, &self.series, self.run.step());
                Vec::new()
            }
            Action::CursorLeft => self.move_cursor(Move::Step(-1)),
            Action::CursorRight => self.move_cursor(Move::Step(1)),
            Action::CursorPageLeft => self.move_cursor(Move::Page(-1)),
            Action::CursorPageRight => self.move_cursor(Move::Page(1)),
            Action::CursorHide => {
                self.view.cursor = None;
                Vec::new()
            }
            // Taken by the overlay or the requests above.
            _ => Vec::new(),
        }
    }

    fn open(&mut self, overlay: Overlay) -> Vec<Effect> {
        self.overlay = overlay;
        Vec::new()
    }

    fn move_cursor(&mut self, how: Move) -> Vec<Effect> {
        cursor::move_cursor(&mut self.view, &self.series, self.run.step(), how);
        Vec::new()
    }

    fn view_only(&mut self, change: fn(&mut ViewSettings)) -> Vec<Effect> {
        change(&mut self.view);
        Vec::new()
    }
}
