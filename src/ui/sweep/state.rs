//! State of the sweep view: SweepEvents and keys in, nothing out but what to draw and whether
//! to quit. No terminal and no files here (the record tail is polled by the loop), so the whole
//! behaviour is testable with scripted events.

use super::keys::{SWEEP_KEYS, Screen, SweepKey};
use crate::sweep::curves::SweepCurves;
use crate::sweep::{GridPoint, Progress, Row, Stop, SweepEvent};
use crate::ui::record_tail::RecordTail;
use crossterm::event::KeyEvent;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where a run of the sweep is.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Queued,
    Running,
    Finished(Stop),
    Failed(String),
}

impl RunState {
    pub fn label(&self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Finished(Stop::Converged) => "converged",
            RunState::Finished(Stop::Budget) => "finished",
            RunState::Finished(Stop::Diverged) => "diverged",
            RunState::Finished(Stop::Interrupted) => "interrupted",
            RunState::Finished(Stop::Failed) | RunState::Failed(_) => "failed",
        }
    }
}

/// The last report of a running run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latest {
    /// Steps trained.
    pub step: u64,
    /// Evaluated risk (normalized).
    pub risk: f64,
    /// risk − limit.
    pub gap: f64,
}

/// One (rate, seed) of the sweep.
#[derive(Debug, Clone)]
pub struct RunEntry {
    pub point: GridPoint,
    pub state: RunState,
    /// Its JSONL record, once it has started (None when the sweep writes none).
    pub record: Option<PathBuf>,
    pub row: Option<Row>,
    /// Its last report while it trains.
    pub latest: Option<Latest>,
}

impl RunEntry {
    /// Step, risk and gap to show: the final ones once finished, else the last report's.
    pub fn shown(&self) -> Option<Latest> {
        match &self.row {
            Some(r) => Some(Latest {
                step: r.steps,
                risk: r.risk,
                gap: r.gap,
            }),
            None => self.latest,
        }
    }
}

/// The live view of one run, open over the sweep.
#[derive(Debug, Clone, Default)]
pub struct LiveRun {
    /// Index into [`SweepState::runs`].
    pub run: usize,
    pub tail: RecordTail,
    /// Why the record could not be read (shown instead of the chart while it lasts).
    pub error: Option<String>,
}

/// What a key asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepAction {
    None,
    /// Cancel the sweep and leave.
    Quit,
    /// A live view was opened: poll its record now.
    Opened,
}

/// Everything the sweep view shows.
#[derive(Debug, Clone)]
pub struct SweepState {
    pub title: String,
    /// The reference curves (limit, PCA, Shannon) the chart draws.
    pub curves: SweepCurves,
    /// Every run of this sweep (this shard, not resumed), in grid order (rate, then seed).
    pub runs: Vec<RunEntry>,
    pub selected: usize,
    pub progress: Option<Progress>,
    /// When `progress` arrived, to count its ETA down between runs.
    pub progress_at: Option<Instant>,
    pub live: Option<LiveRun>,
    /// The last warning of any run, for the status line.
    pub last_warning: Option<String>,
    /// Quit was asked for; waiting for the runs to write their summaries.
    pub cancelling: bool,
    /// `Finished` arrived.
    pub done: bool,
    /// When the view started (the elapsed time counts from here).
    pub started: Instant,
    /// When `Finished` arrived (the elapsed time stops here).
    pub finished_at: Option<Instant>,
    /// The help overlay, scrolled by this many lines; None when closed.
    pub help: Option<u16>,
}

impl SweepState {
    pub fn new(title: impl Into<String>, curves: SweepCurves, points: &[GridPoint]) -> Self {
        let mut points = points.to_vec();
        points.sort_by_key(|p| p.index);
        SweepState {
            title: title.into(),
            curves,
            runs: points
                .into_iter()
                .map(|point| RunEntry {
                    point,
                    state: RunState::Queued,
                    record: None,
                    row: None,
                    latest: None,
                })
                .collect(),
            selected: 0,
            progress: None,
            progress_at: None,
            live: None,
            last_warning: None,
            cancelling: false,
            done: false,
            started: Instant::now(),
            finished_at: None,
            help: None,
        }
    }

    fn find(&self, p: &GridPoint) -> Option<usize> {
        self.runs.iter().position(|e| e.point.index == p.index)
    }

    fn find_row(&self, row: &Row) -> Option<usize> {
        self.runs
            .iter()
            .position(|e| e.point.rate.to_bits() == row.r.to_bits() && e.point.seed == row.seed)
    }

    pub fn on_event(&mut self, ev: &SweepEvent, now: Instant) {
        match ev {
            SweepEvent::RunStarted { point, record, .. } => {
                if let Some(i) = self.find(point) {
                    self.runs[i].state = RunState::Running;
                    self.runs[i].record.clone_from(record);
                }
            }
            SweepEvent::RunReport {
                point,
                step,
                risk,
                gap,
            } => {
                if let Some(i) = self.find(point) {
                    self.runs[i].latest = Some(Latest {
                        step: *step,
                        risk: *risk,
                        gap: *gap,
                    });
                }
            }
            SweepEvent::RunFinished { row, progress } => {
                if let Some(i) = self.find_row(row) {
                    let e = &mut self.runs[i];
                    e.state = RunState::Finished(row.stop);
                    if !row.record.is_empty() && e.record.is_none() {
                        e.record = Some(PathBuf::from(&row.record));
                    }
                    e.row = Some((**row).clone());
                }
                self.set_progress(*progress, now);
            }
            SweepEvent::RunFailed {
                point,
                message,
                progress,
            } => {
                if let Some(i) = self.find(point) {
                    self.runs[i].state = RunState::Failed(message.clone());
                }
                self.set_progress(*progress, now);
            }
            SweepEvent::Warning { point, message } => {
                self.last_warning =
                    Some(format!("r={} seed={}: {message}", point.rate, point.seed));
            }
            SweepEvent::Finished { .. } => {
                self.done = true;
                self.finished_at.get_or_insert(now);
            }
        }
    }

    fn set_progress(&mut self, p: Progress, now: Instant) {
        self.progress = Some(p);
        self.progress_at = Some(now);
    }

    /// Runs ended and total; before the first run ends, 0 of the runs listed.
    pub fn counts(&self) -> (usize, usize) {
        self.progress
            .map_or((0, self.runs.len()), |p| (p.done, p.total))
    }

    /// Time since the view started, stopped when the sweep finished.
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.finished_at
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }

    /// The ETA counted down since it was estimated; None before the first run ends and once
    /// every run has.
    pub fn eta(&self, now: Instant) -> Option<Duration> {
        let p = self.progress?;
        if p.done >= p.total {
            return None;
        }
        let since = self
            .progress_at
            .map_or(Duration::ZERO, |t| now.duration_since(t));
        Some(p.eta?.saturating_sub(since))
    }

    /// The rows of the runs that finished, in grid order.
    pub fn rows(&self) -> Vec<Row> {
        self.runs.iter().filter_map(|e| e.row.clone()).collect()
    }

    /// The smallest and largest rate of the sweep (the chart's x range).
    pub fn rate_range(&self) -> (f64, f64) {
        let lo = self
            .runs
            .iter()
            .map(|e| e.point.rate)
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .runs
            .iter()
            .map(|e| e.point.rate)
            .fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi > lo {
            (lo, hi)
        } else if lo.is_finite() {
            // One rate: a window around it, so the axis is not empty.
            ((lo - 0.5).max(0.0), lo + 0.5)
        } else {
            (0.0, 1.0)
        }
    }

    pub fn selected_run(&self) -> Option<&RunEntry> {
        self.runs.get(self.selected)
    }

    /// Which screen is up, for the key table.
    pub fn screen(&self) -> Screen {
        if self.help.is_some() {
            Screen::Help
        } else if self.live.is_some() {
            Screen::Run
        } else {
            Screen::Overview
        }
    }

    /// Handle a key press.
    pub fn on_key(&mut self, key: &KeyEvent) -> SweepAction {
        match SWEEP_KEYS.action(key, self.screen()) {
            Some(k) => self.on_action(k),
            None => SweepAction::None,
        }
    }

    /// Handle what a key asks for.
    pub fn on_action(&mut self, k: SweepKey) -> SweepAction {
        let last = self.runs.len().saturating_sub(1);
        match k {
            SweepKey::Quit => {
                self.cancelling = !self.done;
                return SweepAction::Quit;
            }
            SweepKey::Back if self.help.is_some() => self.help = None,
            SweepKey::Back => self.live = None,
            SweepKey::Help => {
                self.help = match self.help {
                    Some(_) => None,
                    None => Some(0),
                };
            }
            SweepKey::ScrollUp => {
                self.help = self.help.map(|s| s.saturating_sub(1));
            }
            SweepKey::ScrollDown => {
                // The overlay clamps what it cannot scroll.
                let most = SWEEP_KEYS.rows().len() as u16;
                self.help = self.help.map(|s| (s + 1).min(most));
            }
            SweepKey::Previous => self.selected = self.selected.saturating_sub(1),
            SweepKey::Next => self.selected = (self.selected + 1).min(last),
            SweepKey::First => self.selected = 0,
            SweepKey::Last => self.selected = last,
            SweepKey::Open if !self.runs.is_empty() => {
                self.live = Some(LiveRun {
                    run: self.selected,
                    ..LiveRun::default()
                });
                return SweepAction::Opened;
            }
            SweepKey::Open => {}
        }
        SweepAction::None
    }

    /// The record the open live view follows, if any.
    pub fn live_record(&self) -> Option<PathBuf> {
        let live = self.live.as_ref()?;
        self.runs.get(live.run)?.record.clone()
    }
}
