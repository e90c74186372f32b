//! Running a sweep plan: up to J runs at once, each one the ordinary training worker (so its
//! JSONL record is exactly a `run --headless --record` record), with the convergence stop and
//! single-threaded kernels when several runs share the cores.

use super::grid::{GridPoint, cost_weight};
use super::table::{Row, Stop, relative_gap};
use super::{SweepError, SweepPlan};
use crate::config::n_for_rate;
use crate::protocol::{Event, Summary, TrainMode};
use crate::theory::bounds;
use crate::theory::gaussian::Parallelism;
use crate::train::{RunControl, WorkerOptions, spawn_with};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a waiting runner thread looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(100);

/// How to run a plan.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Runs trained at once, ≥ 1 (each on its own thread; population kernels run
    /// single-threaded when more than one run trains at a time).
    pub jobs: usize,
    /// Directory for the runs' JSONL records, `r{r}-seed{seed}.jsonl` (created if missing);
    /// `None` writes no records.
    pub records: Option<PathBuf>,
}

/// How far a sweep is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Runs ended (finished or failed) out of `total`.
    pub done: usize,
    pub total: usize,
    /// Since the sweep started.
    pub elapsed: Duration,
    /// Estimated time left, weighting each run by its cost (≈ n·d·(n+d) per population step);
    /// None before the first run ends.
    pub eta: Option<Duration>,
}

/// What a running sweep reports, in order per run: `RunStarted`, `RunReport`s, then
/// `RunFinished` or `RunFailed`; `Finished` last of all.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepEvent {
    /// A run began training; its record (if any) is being written at `record`.
    RunStarted {
        point: GridPoint,
        /// Hidden units n = round(r·d).
        n: usize,
        record: Option<PathBuf>,
    },
    /// A running run evaluated its risk (every `eval.every` steps).
    RunReport {
        point: GridPoint,
        /// Steps trained.
        step: u64,
        /// The evaluated risk (normalized).
        risk: f64,
        /// risk − limit.
        gap: f64,
    },
    /// A run ended (converged, reached its budget, diverged or was interrupted: see
    /// [`Row::stop`]).
    RunFinished { row: Box<Row>, progress: Progress },
    /// A run could not start or its thread ended without a summary.
    RunFailed {
        point: GridPoint,
        message: String,
        progress: Progress,
    },
    /// A non-fatal problem inside a run (e.g. its record could not be written further).
    Warning { point: GridPoint, message: String },
    /// Every thread has ended. `rows` holds every finished run, in the order they ended.
    Finished { rows: Vec<Row>, cancelled: bool },
}

/// Cancels a running sweep from anywhere (a Ctrl-C handler): runs in progress stop and write
/// their summaries (stop = interrupted), queued runs never start.
#[derive(Debug, Clone)]
pub struct Canceller(Arc<AtomicBool>);

impl Canceller {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The consumer's side of a running sweep.
pub struct SweepHandle {
    pub events: Receiver<SweepEvent>,
    cancel: Canceller,
    join: Option<JoinHandle<()>>,
}

impl SweepHandle {
    pub fn canceller(&self) -> Canceller {
        self.cancel.clone()
    }

    /// Wait for every thread to end (after `Finished`).
    pub fn join(mut self) {
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Start a sweep on background threads. The records directory is created first, so a bad
/// path is an error here rather than a failure of every run.
pub fn spawn(plan: SweepPlan, opts: RunOptions) -> Result<SweepHandle, SweepError> {
    if opts.jobs == 0 {
        return Err(SweepError::BadJobs { value: 0 });
    }
    if let Some(dir) = &opts.records {
        std::fs::create_dir_all(dir)
            .map_err(|e| SweepError::io(dir, "create the records directory", e))?;
    }
    let jobs = opts.jobs.min(plan.points.len()).max(1);
    let population = plan.base.train.mode == TrainMode::Population;
    let d = plan.base.data.d;
    let weight = |p: &GridPoint| cost_weight(population, n_for_rate(p.rate, d), d);
    // Longest first: the expensive large rates start at once, the cheap ones fill the gaps,
    // so J threads finish close together.
    let mut order = plan.points.clone();
    order.sort_by(|a, b| weight(b).total_cmp(&weight(a)).then(a.index.cmp(&b.index)));
    let (queue_tx, queue) = unbounded();
    for p in &order {
        let _ = queue_tx.send(*p);
    }
    drop(queue_tx);
    let control = RunControl {
        until_converged: plan
            .base
            .sweep
            .until_converged
            .then_some(plan.base.sweep.convergence),
        // The GEMM pool and the kernels' scoped threads would each claim every core.
        parallelism: (jobs > 1).then_some(Parallelism::Sequential),
    };
    let (events, rx) = unbounded();
    let cancel = Canceller(Arc::new(AtomicBool::new(false)));
    let shared = Arc::new(Shared {
        total_weight: order.iter().map(weight).sum(),
        total: order.len(),
        plan,
        control,
        records: opts.records,
        queue,
        events,
        cancel: cancel.clone(),
        started: Instant::now(),
        tally: Mutex::new(Tally::default()),
    });
    let mut slots = Vec::with_capacity(jobs);
    for i in 0..jobs {
        let s = Arc::clone(&shared);
        let slot = std::thread::Builder::new()
            .name(format!("aescope-sweep-{i}"))
            .spawn(move || s.slot())
            .map_err(|e| {
                // Threads already started must not train on with nobody listening.
                cancel.cancel();
                SweepError::Thread(e)
            })?;
        slots.push(slot);
    }
    let join = std::thread::Builder::new()
        .name("aescope-sweep".into())
        .spawn(move || {
            for s in slots {
                let _ = s.join();
            }
            let rows = std::mem::take(&mut shared.tally().rows);
            let cancelled = shared.cancel.0.load(Ordering::SeqCst);
            let _ = shared.events.send(SweepEvent::Finished { rows, cancelled });
        })
        .map_err(SweepError::Thread)?;
    Ok(SweepHandle {
        events: rx,
        cancel,
        join: Some(join),
    })
}

/// `r0.25-seed3.jsonl`.
pub fn record_name(p: &GridPoint) -> String {
    format!("r{}-seed{}.jsonl", p.rate, p.seed)
}

#[derive(Default)]
struct Tally {
    done: usize,
    done_weight: f64,
    rows: Vec<Row>,
}

struct Shared {
    plan: SweepPlan,
    control: RunControl,
    records: Option<PathBuf>,
    queue: Receiver<GridPoint>,
    events: Sender<SweepEvent>,
    cancel: Canceller,
    started: Instant,
    total: usize,
    total_weight: f64,
    tally: Mutex<Tally>,
}

impl Shared {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        // A panic elsewhere cannot leave the tally inconsistent (plain pushes and sums).
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cancelled(&self) -> bool {
        self.cancel.0.load(Ordering::SeqCst)
    }

    /// One thread: take runs from the queue until it is empty or the sweep is cancelled.
    fn slot(&self) {
        while !self.cancelled() {
            let Ok(p) = self.queue.try_recv() else {
                return;
            };
            match self.run(&p) {
                Ok(row) => {
                    let progress = self.account(&p, Some(row.clone()));
                    let _ = self.events.send(SweepEvent::RunFinished {
                        row: Box::new(row),
                        progress,
                    });
                }
                Err(message) => {
                    let progress = self.account(&p, None);
                    let _ = self.events.send(SweepEvent::RunFailed {
                        point: p,
                        message,
                        progress,
                    });
                }
            }
        }
    }

    /// Train one point to its end; the error says why there is no summary.
    fn run(&self, p: &GridPoint) -> Result<Row, String> {
        let cfg = self.plan.run_config(p);
        let budget = cfg.train.steps;
        let n = cfg.n();
        let record = self.records.as_ref().map(|dir| dir.join(record_name(p)));
        let opts = WorkerOptions {
            record: record.clone(),
            exit_when_finished: true,
            start_paused: false,
        };
        let worker = spawn_with(cfg, opts, self.control).map_err(|e| {
            let cause = std::error::Error::source(&e).map_or(String::new(), |c| format!(": {c}"));
            format!("{e}{cause}")
        })?;
        let _ = self.events.send(SweepEvent::RunStarted {
            point: *p,
            n,
            record,
        });
        let mut quit_sent = false;
        let summary = loop {
            // Checked before every receive: a busy worker sends events faster than the timeout.
            if self.cancelled() && !quit_sent {
                worker.stop();
                quit_sent = true;
            }
            match worker.events.recv_timeout(CANCEL_POLL) {
                Ok(Event::Finished(s)) => break Some(s),
                Ok(Event::Report(r)) => {
                    let _ = self.events.send(SweepEvent::RunReport {
                        point: *p,
                        step: r.step,
                        risk: r.risk,
                        gap: r.gap,
                    });
                }
                Ok(Event::Error(message)) => {
                    let _ = self.events.send(SweepEvent::Warning { point: *p, message });
                }
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break None,
            }
        };
        worker.join();
        let s = summary.ok_or("the training thread ended without a summary")?;
        Ok(self.row(p, &s, budget))
    }

    fn row(&self, p: &GridPoint, s: &Summary, budget: u64) -> Row {
        let plan = &self.plan;
        let actual_rate = s.n as f64 / s.d as f64;
        let pca = match &plan.spectrum(p.seed) {
            Some(spec) => bounds::pca_bound_spectrum(spec, s.n),
            None => bounds::pca_bound(actual_rate),
        };
        Row {
            preset: plan.base.name.clone(),
            sweep_id: plan.sweep_id.clone(),
            shard: plan.shard.to_string(),
            activation: s.activation,
            source: plan.base.data.kind,
            whiten: plan.whiten(),
            mode: plan.base.train.mode,
            d: s.d,
            r: p.rate,
            n: s.n,
            seed: p.seed,
            risk: s.risk,
            risk_kind: s.risk_kind.name().into(),
            val_risk: s.val_risk,
            best_risk: s.best_risk.unwrap_or(f64::NAN),
            limit: s.limit,
            limit_label: s.limit_label.clone(),
            gap: s.gap,
            rel_gap: relative_gap(s.risk, s.limit),
            pca,
            shannon: bounds::shannon(actual_rate),
            steps: s.steps,
            budget,
            stop: Stop::of(s, budget),
            wall_s: s.wall_s,
            record: s
                .record
                .as_deref()
                .map_or_else(String::new, |r: &Path| r.display().to_string()),
        }
    }

    /// Count a run as done and estimate the time left.
    fn account(&self, p: &GridPoint, row: Option<Row>) -> Progress {
        let d = self.plan.base.data.d;
        let population = self.plan.base.train.mode == TrainMode::Population;
        let mut t = self.tally();
        t.done += 1;
        t.done_weight += cost_weight(population, n_for_rate(p.rate, d), d);
        if let Some(row) = row {
            t.rows.push(row);
        }
        let elapsed = self.started.elapsed();
        let eta = (t.done_weight > 0.0).then(|| {
            let left = (self.total_weight - t.done_weight).max(0.0) / t.done_weight;
            elapsed.mul_f64(left)
        });
        Progress {
            done: t.done,
            total: self.total,
            elapsed,
            eta,
        }
    }
}
