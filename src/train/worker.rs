//! The training thread. It owns the trainer and the run record, applies `Command`s between
//! steps, and sends `Event`s throttled by wall time with `try_send`, so a slow consumer (a
//! terminal over SSH) never slows training and memory never grows. It never prints.

use crate::config::Config;
use crate::protocol::{
    Command, Event, FeatureRequest, FinishReason, Metrics, PauseReason, Report, SnapshotRequest,
    Summary, TrainMode,
};
use crate::record::{RecordError, Recorder};
use crate::safe_io::OutputMode;
use crate::theory::gaussian::Parallelism;
use crate::train::convergence::{Convergence, ConvergenceTracker};
use crate::train::trainer::{Evaluation, StepOutcome, Trainer};
use crate::train::{StopFlag, feature_png, features, snapshot};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError, bounded, unbounded};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Interval between `Metrics` events.
const METRICS_EVERY: Duration = Duration::from_millis(50);
/// Shortest interval between snapshots (matrices, spectra): the eye needs no more.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);
/// Pause after a snapshot per unit of time it took.
const SNAPSHOT_COST_FACTOR: u32 = 60;
/// Longest pause, so that even a huge n updates now and then.
const SNAPSHOT_MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long an idle (paused or finished) worker waits for a command before refreshing.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// Capacity of the event channel: at 20 metrics/s this is over ten seconds of backlog.
const EVENT_CAPACITY: usize = 256;

/// How the worker is run.
#[derive(Debug, Clone, Default)]
pub struct WorkerOptions {
    /// JSONL run record to write.
    pub record: Option<PathBuf>,
    /// Stop the thread when the budget is reached or the run diverges (headless); otherwise
    /// stay, idle, answering commands until `Quit` (the TUI keeps the final state on screen).
    pub exit_when_finished: bool,
    /// Wait for `Resume` before the first step.
    pub start_paused: bool,
}

/// A run's risk may grow to this many times its initial value before it counts as diverged.
pub const DIVERGENCE_FACTOR: f64 = 1e6;

/// When checkpoints are written beside the record (by [`crate::train::checkpoint::save`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckpointPolicy {
    /// Every this many steps (`--checkpoint-every N`).
    pub every_steps: Option<u64>,
    /// Every this much wall time (`--checkpoint-every 30s`).
    pub every: Option<Duration>,
    /// Keep at most this many checkpoints of the record (the oldest go first).
    pub keep: usize,
    /// One when the run finishes (so the newest checkpoint holds the final weights).
    pub at_finish: bool,
}

/// A run continuing from a checkpoint.
#[derive(Debug, Clone)]
pub struct Resume {
    pub state: crate::train::trainer::TrainerState,
    /// The checkpoint file (named in the record's `resumed` line).
    pub checkpoint: PathBuf,
    pub initial_risk: Option<f64>,
}

/// How the worker guards its files and its memory (kept apart from [`WorkerOptions`] so that
/// existing struct literals of it stay valid).
#[derive(Debug, Clone)]
pub struct Durability {
    /// How an existing record file is treated (the library default replaces it, as
    /// `File::create` did; the command line refuses it unless `--force`).
    pub record_mode: OutputMode,
    /// Files this run reads (the preset): the record must not be one of them.
    pub inputs: Vec<(std::path::PathBuf, &'static str)>,
    /// Memory budget for resizing the hidden layer (`None`: the default budget).
    pub max_memory: Option<u64>,
    /// Checkpoints beside the record; with a record, one is also written when the run is
    /// stopped (Quit, a signal) before its end.
    pub checkpoints: Option<CheckpointPolicy>,
    /// Continue from a checkpoint instead of starting at step 0; the record (if any) is
    /// continued, not created.
    pub resume: Option<Box<Resume>>,
}

impl Default for Durability {
    fn default() -> Self {
        Durability {
            record_mode: OutputMode::Replace,
            inputs: Vec::new(),
            max_memory: None,
            checkpoints: None,
            resume: None,
        }
    }
}

/// Controls for runs driven by a program rather than a person (`aescope sweep`). Kept apart
/// from [`WorkerOptions`] so that existing struct literals of it stay valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunControl {
    /// Finish (reason `Completed`, with a "converged" event in the record) once the risk has
    /// converged; `train.steps` stays the cap. The series watched: the exact risk at every step
    /// in population mode, the evaluated risk at every report (every `eval.every` steps) in
    /// sample mode (see [`crate::train::convergence`]).
    pub until_converged: Option<Convergence>,
    /// Threading of the matrix products, overriding the config's `train.threads`:
    /// `Some(Sequential)` when several runs share the cores.
    pub parallelism: Option<Parallelism>,
}

/// The consumer's side of a running worker.
pub struct WorkerHandle {
    pub commands: Sender<Command>,
    pub events: Receiver<Event>,
    /// Raised by [`WorkerHandle::stop`]: abandons a long step or evaluation in progress.
    pub stop_flag: StopFlag,
    join: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// A handle on another thread that speaks the same protocol (a replay of a record).
    pub fn from_parts(
        commands: Sender<Command>,
        events: Receiver<Event>,
        join: JoinHandle<()>,
    ) -> WorkerHandle {
        WorkerHandle {
            commands,
            events,
            stop_flag: StopFlag::default(),
            join: Some(join),
        }
    }

    /// End the run promptly (a signal, the user quitting): the step or evaluation in progress
    /// is abandoned at its next product boundary, the last evaluation is reused for the
    /// summary, and the record is closed. Callable from a signal handler's thread through a
    /// clone of `commands` and `stop_flag` (see [`stopper`](Self::stopper)).
    pub fn stop(&self) {
        self.stopper()();
    }

    /// [`stop`](Self::stop) as a closure that owns what it needs (for `ctrlc::set_handler`).
    pub fn stopper(&self) -> impl Fn() + Send + 'static {
        let (flag, commands) = (self.stop_flag.clone(), self.commands.clone());
        move || {
            flag.raise();
            let _ = commands.send(Command::Quit);
        }
    }

    /// Wait for the thread to end (after `Quit`, or a finished headless run).
    pub fn join(mut self) {
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Start training `cfg` on a new thread. The record file is created before the thread starts,
/// so a bad path is an error here, not a lost run.
pub fn spawn(cfg: Config, opts: WorkerOptions) -> Result<WorkerHandle, RecordError> {
    spawn_with(cfg, opts, RunControl::default())
}

/// [`spawn`] with a convergence stop and a threading policy.
pub fn spawn_with(
    cfg: Config,
    opts: WorkerOptions,
    control: RunControl,
) -> Result<WorkerHandle, RecordError> {
    spawn_durable(cfg, opts, control, Durability::default())
}

/// [`spawn_with`] with file and memory guards.
pub fn spawn_durable(
    cfg: Config,
    opts: WorkerOptions,
    control: RunControl,
    durable: Durability,
) -> Result<WorkerHandle, RecordError> {
    let Durability {
        record_mode,
        inputs,
        max_memory,
        checkpoints,
        resume,
    } = durable;
    let mut resumed = None;
    let mut initial_risk = None;
    if let Some(r) = resume {
        let trainer = Trainer::from_state(r.state).map_err(|e| {
            RecordError::io(
                &r.checkpoint,
                "resume from the checkpoint",
                std::io::Error::other(e),
            )
        })?;
        initial_risk = r.initial_risk;
        resumed = Some((trainer, r.checkpoint));
    }
    let recorder = match (&opts.record, &resumed) {
        (Some(path), Some((trainer, ckpt))) => {
            Some(Recorder::resume(path, trainer.steps_done(), ckpt)?)
        }
        (Some(path), None) => {
            let inputs: Vec<(&std::path::Path, &'static str)> = inputs
                .iter()
                .map(|(p, what)| (p.as_path(), *what))
                .collect();
            Some(Recorder::create(path, &cfg, record_mode, &inputs)?)
        }
        (None, _) => None,
    };
    let (cmd_tx, cmd_rx) = unbounded();
    let (ev_tx, ev_rx) = bounded(EVENT_CAPACITY);
    let stop_flag = StopFlag::default();
    let worker_stop = stop_flag.clone();
    let join = std::thread::Builder::new()
        .name("aescope-worker".into())
        .spawn(move || {
            let (trainer, from) = match resumed {
                Some((t, from)) => (t, Some(from)),
                None => (Trainer::new(&cfg), None),
            };
            let mut w = Worker::new(trainer, opts, control, recorder, ev_tx);
            w.trainer.set_stop_flag(worker_stop.clone());
            w.stop = worker_stop;
            w.max_memory = max_memory;
            w.checkpoints = checkpoints;
            w.initial_risk = initial_risk;
            w.last_checkpoint_step = Some(w.trainer.steps_done());
            w.last_checkpoint_path = from;
            // A bug must not cost the user the run record: close it and report.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.run(&cmd_rx)));
            if let Err(panic) = outcome {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(ToString::to_string)
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                let step = w.trainer.steps_done();
                w.record(|r| r.event(step, "internal error", &json!(msg)));
                w.emit(Event::Error(format!(
                    "internal error in the training thread: {msg}"
                )));
                w.finish(FinishReason::Failed);
            }
        })
        .map_err(|source| {
            RecordError::io(
                Path::new("<worker thread>"),
                "start the training thread",
                source,
            )
        })?;
    Ok(WorkerHandle {
        commands: cmd_tx,
        events: ev_rx,
        stop_flag,
        join: Some(join),
    })
}

/// How the loop goes on after a step.
#[derive(Debug, Clone, PartialEq)]
enum Flow {
    /// Keep stepping.
    Continue,
    /// Stop stepping and wait for commands.
    Pause(PauseReason),
    /// The run ended: write the summary; a headless worker then exits, an interactive one
    /// stays idle, answering commands.
    Finish(FinishReason),
}

/// Seconds of training since the start (or a reset), pauses excluded: a run paused over
/// lunch reports the time it trained, and its steps per second stay true.
#[derive(Debug, Clone, Copy)]
struct TrainingClock {
    started: Instant,
    /// Time paused before the current pause.
    paused_total: std::time::Duration,
    /// When the current pause began.
    paused_since: Option<Instant>,
}

impl TrainingClock {
    fn new(now: Instant, paused: bool) -> TrainingClock {
        TrainingClock {
            started: now,
            paused_total: std::time::Duration::ZERO,
            paused_since: paused.then_some(now),
        }
    }

    fn set_paused(&mut self, paused: bool, now: Instant) {
        match (paused, self.paused_since) {
            (true, None) => self.paused_since = Some(now),
            (false, Some(since)) => {
                self.paused_total += now.saturating_duration_since(since);
                self.paused_since = None;
            }
            _ => {}
        }
    }

    /// Training seconds at `now`: frozen while paused.
    fn seconds(&self, now: Instant) -> f64 {
        let end = self.paused_since.unwrap_or(now);
        end.saturating_duration_since(self.started)
            .saturating_sub(self.paused_total)
            .as_secs_f64()
    }
}

struct Worker {
    trainer: Trainer,
    opts: WorkerOptions,
    recorder: Option<Recorder>,
    events: Sender<Event>,
    paused: bool,
    finished: bool,
    /// Steps left of a `Step(k)` request while paused.
    pending_steps: u32,
    /// Time spent training (pauses excluded): what `elapsed_s` and `wall_s` report.
    clock: TrainingClock,
    last_metrics: Instant,
    steps_at_last_metrics: u64,
    loss_sum: f64,
    loss_count: u64,
    grad_norm: f64,
    last_eval: Option<Evaluation>,
    /// What the consumer wants to see, and when the next snapshot may be computed.
    snapshot_req: Option<SnapshotRequest>,
    /// Feature images wanted with the snapshots.
    features_req: Option<FeatureRequest>,
    next_snapshot: Instant,
    /// Step of the last snapshot sent (None: the weights or the view changed since).
    snapshot_step: Option<u64>,
    /// The convergence stop, when asked for.
    convergence: Option<ConvergenceTracker>,
    /// The first finite loss or risk seen: divergence is measured against it.
    initial_risk: Option<f64>,
    /// Memory budget for resizes (`None`: the default budget).
    max_memory: Option<u64>,
    /// Periodic checkpoints, when asked for.
    checkpoints: Option<CheckpointPolicy>,
    /// When and at which step the last checkpoint was written (or the run resumed from).
    last_checkpoint: Instant,
    last_checkpoint_step: Option<u64>,
    /// The newest checkpoint written (named in the summary).
    last_checkpoint_path: Option<PathBuf>,
    /// Raised when the run must end promptly (shared with the trainer and the handle).
    stop: StopFlag,
}

impl Worker {
    fn new(
        mut trainer: Trainer,
        opts: WorkerOptions,
        control: RunControl,
        recorder: Option<Recorder>,
        events: Sender<Event>,
    ) -> Self {
        let now = Instant::now();
        if let Some(par) = control.parallelism {
            trainer.set_parallelism(par);
        }
        let steps_at_start = trainer.steps_done();
        Worker {
            trainer,
            paused: opts.start_paused,
            clock: TrainingClock::new(now, opts.start_paused),
            opts,
            recorder,
            events,
            finished: false,
            pending_steps: 0,
            last_metrics: now,
            steps_at_last_metrics: steps_at_start,
            loss_sum: 0.0,
            loss_count: 0,
            grad_norm: f64::NAN,
            last_eval: None,
            snapshot_req: None,
            features_req: None,
            next_snapshot: now,
            snapshot_step: None,
            convergence: control.until_converged.map(ConvergenceTracker::new),
            initial_risk: None,
            max_memory: None,
            checkpoints: None,
            last_checkpoint: now,
            last_checkpoint_step: None,
            last_checkpoint_path: None,
            stop: StopFlag::default(),
        }
    }

    fn run(&mut self, commands: &Receiver<Command>) {
        if let Some(e) = self.trainer.data_error() {
            let msg = format!("cannot read the data: {e}");
            self.record(|r| r.event(0, "internal error", &json!(msg)));
            self.emit(Event::Error(msg));
            self.finish(FinishReason::Failed);
            return;
        }
        self.send_metrics();
        loop {
            let idle = (self.paused && self.pending_steps == 0) || self.finished;
            let first = if idle {
                match commands.recv_timeout(IDLE_POLL) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    // The consumer is gone: close the record properly.
                    Err(RecvTimeoutError::Disconnected) => Some(Command::Quit),
                }
            } else {
                match commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => Some(Command::Quit),
                }
            };
            let mut next = first;
            while let Some(cmd) = next {
                if cmd == Command::Quit {
                    self.quit();
                    return;
                }
                self.apply(cmd);
                next = commands.try_recv().ok();
            }
            if !((self.paused && self.pending_steps == 0) || self.finished) {
                match self.train_one() {
                    Flow::Continue => {}
                    Flow::Pause(reason) => self.pause_for(reason),
                    Flow::Finish(reason) => {
                        self.finish(reason);
                        if self.opts.exit_when_finished {
                            return;
                        }
                    }
                }
            }
            if self.last_metrics.elapsed() >= METRICS_EVERY {
                self.send_metrics();
            }
            // Nothing new to show while paused: no snapshot until a step or a change.
            let stale = self.snapshot_step != Some(self.trainer.steps_done());
            let wanted = self.snapshot_req.is_some() || self.features_req.is_some();
            if wanted && stale && Instant::now() >= self.next_snapshot {
                self.send_snapshot();
            }
            self.record(Recorder::tick);
        }
    }

    /// One step, its report and record lines; says how the loop goes on.
    fn train_one(&mut self) -> Flow {
        let population = self.trainer.mode() == TrainMode::Population;
        let mut converged = false;
        let outcome = match self.trainer.step() {
            StepOutcome::Applied { loss, grad_norm } if self.blew_up(loss) => {
                StepOutcome::Diverged { loss, grad_norm }
            }
            other => other,
        };
        match outcome {
            StepOutcome::Applied { loss, grad_norm } => {
                self.loss_sum += loss;
                self.loss_count += 1;
                self.grad_norm = grad_norm;
                // Population mode: the step returned the exact risk of the weights before it.
                if population && let Some(c) = &mut self.convergence {
                    converged = c.push(self.trainer.steps_done() - 1, loss);
                }
            }
            StepOutcome::Diverged { loss, .. } => return self.diverge(loss),
            StepOutcome::Stopped => return Flow::Finish(FinishReason::Interrupted),
        }
        if self.pending_steps > 0 {
            self.pending_steps -= 1;
        }
        let step = self.trainer.steps_done();
        let budget = self.trainer.config().train.steps;
        let mut reported = false;
        if step.is_multiple_of(self.trainer.config().eval.every) || step == budget {
            let risk = match self.report() {
                Ok(risk) => risk,
                Err(flow) => return flow,
            };
            reported = true;
            if !population && let Some(c) = &mut self.convergence {
                converged = c.push(step, risk);
            }
        }
        if let Some(p) = &self.checkpoints {
            let due = p.every_steps.is_some_and(|k| step.is_multiple_of(k))
                || p.every.is_some_and(|t| self.last_checkpoint.elapsed() >= t);
            if due && step < budget {
                self.checkpoint(None);
            }
        }
        if converged && step < budget {
            // The summary must describe the weights the run stopped at.
            if !reported && let Err(flow) = self.report() {
                return flow;
            }
            if let Some(rule) = self.convergence.as_ref().map(ConvergenceTracker::rule) {
                self.record(|r| {
                    r.event(
                        step,
                        "converged",
                        &json!({ "tol": rule.tol, "window": rule.window }),
                    )
                });
            }
            return Flow::Finish(FinishReason::Completed);
        }
        if step >= budget {
            return Flow::Finish(FinishReason::Completed);
        }
        Flow::Continue
    }

    /// Stop stepping until the user resumes (a divergence: the update was not applied).
    fn pause_for(&mut self, reason: PauseReason) {
        self.paused = true;
        self.clock.set_paused(true, Instant::now());
        self.pending_steps = 0;
        self.emit(Event::Paused(reason));
        self.send_metrics();
    }

    /// Whether `risk` (a loss or an evaluated risk) means the run has diverged: not finite,
    /// or above [`DIVERGENCE_FACTOR`] times the first one seen.
    fn blew_up(&mut self, risk: f64) -> bool {
        if !risk.is_finite() {
            return true;
        }
        match self.initial_risk {
            None => {
                self.initial_risk = Some(risk.abs().max(f64::MIN_POSITIVE));
                false
            }
            Some(first) => risk > first * DIVERGENCE_FACTOR,
        }
    }

    /// A divergence: headless runs end (reason `diverged`), the interface pauses so the user
    /// can lower the learning rate.
    fn diverge(&mut self, loss: f64) -> Flow {
        let step = self.trainer.steps_done();
        // JSON has no NaN: the record says what kind of number it was.
        let shown = if loss.is_finite() {
            json!(loss)
        } else {
            json!(loss.to_string())
        };
        self.record(|r| r.event(step, "diverged", &json!({ "loss": shown })));
        // Headless runs cannot wait for a user to lower the rate.
        if self.opts.exit_when_finished {
            Flow::Finish(FinishReason::Diverged)
        } else {
            Flow::Pause(PauseReason::Diverged { step, loss })
        }
    }

    fn apply(&mut self, cmd: Command) {
        let step = self.trainer.steps_done();
        match cmd {
            Command::Pause => self.set_paused(true),
            Command::Resume => self.set_paused(false),
            Command::TogglePause => self.set_paused(!self.paused),
            Command::Step(k) => {
                if self.paused {
                    self.pending_steps = self.pending_steps.saturating_add(k);
                }
            }
            Command::SetRate(r) => {
                let d = self.trainer.model().d();
                self.resize(crate::config::n_for_rate(r, d));
            }
            Command::SetN(n) => self.resize(n),
            Command::ScaleLr(f) => {
                self.trainer.scale_lr(f);
                let lr = self.trainer.lr();
                self.record(|r| r.event(step, "lr", &json!({ "factor": f, "lr": lr })));
            }
            Command::SetActivation(a) => match self.trainer.set_activation(a) {
                Ok(()) => {
                    self.record(|r| r.event(step, "activation", &json!(a)));
                    self.after_change();
                }
                Err(e) => self.emit(Event::Error(e)),
            },
            Command::SetOptimizer(o) => match self.trainer.set_optimizer(o) {
                Ok(()) => self.record(|r| r.event(step, "optimizer", &json!(o))),
                Err(e) => self.emit(Event::Error(e)),
            },
            Command::SetDecoder(m) => match self.trainer.set_decoder(m) {
                Ok(()) => {
                    self.record(|r| r.event(step, "decoder", &json!(m)));
                    self.after_change();
                }
                Err(e) => self.emit(Event::Error(e)),
            },
            Command::Reset { seed } => {
                let seed = seed.unwrap_or_else(|| self.trainer.config().seed.wrapping_add(1));
                self.trainer.reset(seed);
                self.initial_risk = None;
                self.finished = false;
                self.clock = TrainingClock::new(Instant::now(), self.paused);
                self.steps_at_last_metrics = 0;
                self.record(|r| r.event(step, "reset", &json!({ "seed": seed })));
                self.after_change();
            }
            Command::WantSnapshots(req) => {
                self.snapshot_req = req;
                self.next_snapshot = Instant::now();
                self.snapshot_step = None;
            }
            Command::WantFeatures(req) => {
                self.features_req = req;
                self.next_snapshot = Instant::now();
                self.snapshot_step = None;
            }
            Command::Export(dir) => {
                let written = snapshot::export(self.trainer.model(), &dir).and_then(|mut files| {
                    files.extend(self.export_features(&dir)?);
                    Ok(files)
                });
                let ev = match written {
                    Ok(files) => Event::Exported(files),
                    Err(e) => Event::Error(format!("export to {}: {e}", dir.display())),
                };
                self.emit(ev);
            }
            Command::Save(path) => self.checkpoint(Some(&path)),
            Command::Quit => {}
        }
        self.send_metrics();
    }

    fn resize(&mut self, n: usize) {
        let step = self.trainer.steps_done();
        if let Err(e) = crate::memory::check(self.trainer.config(), n, 1, self.max_memory) {
            self.emit(Event::Error(format!(
                "cannot resize the hidden layer to n = {n}: {e}"
            )));
            return;
        }
        if !self.trainer.set_n(n) {
            self.emit(Event::Error(format!(
                "cannot resize the hidden layer to n = {n} (allowed: 1..=65536)"
            )));
            return;
        }
        let r = self.trainer.rate();
        let limit = self.trainer.limit().value;
        self.record(|rec| rec.event(step, "rate", &json!({ "n": n, "r": r, "limit": limit })));
        self.emit(Event::RateChanged { step, n, r, limit });
        self.after_change();
    }

    /// The last evaluation and snapshot no longer describe the model: refresh now.
    fn after_change(&mut self) {
        if let Some(c) = &mut self.convergence {
            *c = ConvergenceTracker::new(c.rule());
        }
        self.last_eval = Some(self.trainer.evaluate());
        self.next_snapshot = Instant::now();
        self.snapshot_step = None;
    }

    /// Compute and send a snapshot; the next one waits `SNAPSHOT_COST_FACTOR` times what this
    /// one cost (within [`SNAPSHOT_EVERY`, `SNAPSHOT_MAX_PAUSE`]), so snapshots take under 2 %
    /// of the worker's time at any n (an n = 2000 eigendecomposition is about half a second;
    /// at n = 512 a ×4 budget measured 13 % fewer steps/s with the UI attached).
    /// The feature images, when asked for, go with it (only the tiles asked for).
    fn send_snapshot(&mut self) {
        let t0 = Instant::now();
        let step = self.trainer.steps_done();
        let snap = self
            .snapshot_req
            .map(|req| snapshot::snapshot(self.trainer.model(), step, req));
        let images = self.features_req.map(|req| {
            let t = &self.trainer;
            features::images(t.model(), &t.pixel_space(), req, step)
        });
        let cost = t0.elapsed();
        self.next_snapshot = Instant::now()
            + (cost * SNAPSHOT_COST_FACTOR).clamp(SNAPSHOT_EVERY, SNAPSHOT_MAX_PAUSE);
        self.snapshot_step = Some(step);
        if let Some(snap) = snap {
            self.emit(Event::Snapshot(Box::new(snap)));
        }
        if let Some(images) = images {
            self.emit(Event::Features(Box::new(images)));
        }
    }

    /// Every neuron's encoder and decoder feature as a PNG grid in `dir`
    /// (`features-encoder.png`, `features-decoder.png`), and for a data file the first
    /// validation images over their reconstructions (`reconstructions.png`).
    fn export_features(&self, dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
        let t = &self.trainer;
        feature_png::export(t.model(), &t.pixel_space(), t.steps_done(), dir)
    }

    fn set_paused(&mut self, paused: bool) {
        if paused == self.paused {
            return;
        }
        self.paused = paused;
        self.clock.set_paused(paused, Instant::now());
        self.pending_steps = 0;
        self.emit(if paused {
            Event::Paused(PauseReason::User)
        } else {
            Event::Resumed
        });
    }

    /// Evaluate, record and send a report; returns the evaluated risk, or None (nothing
    /// recorded) when the risk says the run has diverged.
    /// Evaluate, report and record; the evaluated risk, or how the run ends instead (diverged,
    /// or stopped by a signal during the evaluation).
    fn report(&mut self) -> Result<f64, Flow> {
        let Some(eval) = self.trainer.evaluate_unless_stopped() else {
            return Err(Flow::Finish(FinishReason::Interrupted));
        };
        let risk = eval.risk;
        if self.blew_up(risk) || !eval.val_risk.is_finite() {
            return Err(self.diverge(f64::NAN));
        }
        let limit = self.trainer.limit().value;
        let t = &self.trainer;
        let features = snapshot::Diagnostics::of(t.model()).features(t.model().n(), t.model().d());
        let report = Report {
            step: t.steps_done(),
            samples: t.samples(),
            loss: t.loss_ema(),
            risk: eval.risk,
            risk_kind: eval.kind.clone(),
            val_risk: eval.val_risk,
            best_risk: eval.best_risk,
            train_risk: eval.train_risk,
            twin_risk: eval.twin_risk,
            epochs: t.epochs(),
            limit,
            gap: eval.risk - limit,
            lr: t.lr(),
            r: t.rate(),
            n: t.model().n(),
            wall_s: self.clock.seconds(Instant::now()),
            features,
        };
        self.last_eval = Some(eval);
        self.record(|r| r.report(&report));
        self.emit(Event::Report(report));
        Ok(risk)
    }

    fn summary(&mut self, reason: FinishReason) -> Summary {
        let eval = self.final_evaluation();
        let limit = self.trainer.limit();
        let t = &self.trainer;
        let wall = self.clock.seconds(Instant::now());
        Summary {
            reason,
            steps: t.steps_done(),
            samples: t.samples(),
            wall_s: wall,
            risk: eval.risk,
            risk_kind: eval.kind,
            val_risk: eval.val_risk,
            best_risk: eval.best_risk,
            limit: limit.value,
            limit_label: limit.label.to_string(),
            gap: eval.risk - limit.value,
            r: t.rate(),
            n: t.model().n(),
            d: t.model().d(),
            activation: t.model().act,
            steps_per_sec: if wall > 0.0 {
                t.steps_done() as f64 / wall
            } else {
                0.0
            },
            record: self.recorder.as_ref().map(|r| r.path().to_path_buf()),
            checkpoint: self.last_checkpoint_path.clone(),
            twin_risk: eval.twin_risk,
        }
    }

    /// Write a checkpoint: beside the record when there is one, else at `hint` (the name the
    /// interface proposes). Names are never reused; the oldest beyond `keep` are removed.
    fn checkpoint(&mut self, hint: Option<&Path>) {
        // Absolute, so that `--resume` finds the record from any directory.
        let record = self
            .recorder
            .as_ref()
            .map(|r| std::path::absolute(r.path()).unwrap_or_else(|_| r.path().to_path_buf()));
        let Some(base) = record.clone().or_else(|| hint.map(Path::to_path_buf)) else {
            return;
        };
        let step = self.trainer.steps_done();
        let state = self.trainer.state();
        self.last_checkpoint = Instant::now();
        self.last_checkpoint_step = Some(step);
        let saved = crate::train::checkpoint::save(
            &base,
            &state,
            self.initial_risk,
            record.as_deref(),
            self.checkpoints.as_ref(),
        );
        match saved {
            Ok(path) => {
                self.last_checkpoint_path = Some(path.clone());
                let shown = path.clone();
                self.record(|r| {
                    r.event(step, "checkpoint", &json!({ "path": shown }))?;
                    r.flush()
                });
                if let Some(keep) = self.checkpoints.as_ref().map(|p| p.keep)
                    && keep > 0
                {
                    crate::train::checkpoint::prune(&base, keep);
                }
                self.emit(Event::Saved(path));
            }
            Err(e) => self.emit(Event::Error(e.to_string())),
        }
    }

    fn finish(&mut self, reason: FinishReason) {
        self.finished = true;
        let step = self.trainer.steps_done();
        let wanted = match reason {
            // Stopped early: the next start resumes from here.
            FinishReason::Interrupted => self.recorder.is_some(),
            FinishReason::Completed => self.checkpoints.as_ref().is_some_and(|p| p.at_finish),
            // The weights of a diverged or failed run are not worth continuing from.
            FinishReason::Diverged | FinishReason::Failed => false,
        };
        if wanted && self.last_checkpoint_step != Some(step) {
            self.checkpoint(None);
        }
        let summary = self.summary(reason);
        self.record(|r| r.summary(&summary));
        self.send_metrics();
        // The summary must reach the consumer: wait for room rather than drop it.
        let _ = self
            .events
            .send_timeout(Event::Finished(summary), Duration::from_secs(2));
    }

    fn quit(&mut self) {
        if self.finished {
            self.record(Recorder::flush);
        } else {
            self.finish(FinishReason::Interrupted);
        }
    }

    /// What the summary reports: the last evaluation when there is one (an exact evaluation at
    /// large d takes seconds, and a signal must end the run promptly); before the first one, a
    /// full evaluation, or once stopped one sized to a fraction of a second.
    fn final_evaluation(&mut self) -> Evaluation {
        if let Some(e) = &self.last_eval {
            return e.clone();
        }
        if self.stop.is_raised() {
            self.trainer.evaluate_promptly()
        } else {
            self.trainer.evaluate()
        }
    }

    fn send_metrics(&mut self) {
        let now = Instant::now();
        let dt = now.duration_since(self.last_metrics).as_secs_f64();
        let t = &self.trainer;
        let step = t.steps_done();
        let steps = step.saturating_sub(self.steps_at_last_metrics);
        let loss = if self.loss_count > 0 {
            self.loss_sum / self.loss_count as f64
        } else {
            f64::NAN
        };
        let limit = t.limit();
        let cfg = t.config();
        let m = Metrics {
            step,
            samples: t.samples(),
            loss,
            loss_ema: t.loss_ema(),
            risk: self.last_eval.as_ref().map(|e| e.risk),
            risk_kind: self.last_eval.as_ref().map(|e| e.kind.clone()),
            limit: limit.value,
            limit_label: limit.label.to_string(),
            lr: t.lr(),
            r: t.rate(),
            n: t.model().n(),
            d: t.model().d(),
            grad_norm: self.grad_norm,
            steps_per_sec: if dt > 0.0 { steps as f64 / dt } else { 0.0 },
            activation: t.model().act,
            optimizer: cfg.train.opt.kind,
            decoder: cfg.train.decoder,
            paused: self.paused,
            elapsed_s: self.clock.seconds(Instant::now()),
            best_risk: self.last_eval.as_ref().and_then(|e| e.best_risk),
            budget: cfg.train.steps,
        };
        self.last_metrics = now;
        self.steps_at_last_metrics = step;
        self.loss_sum = 0.0;
        self.loss_count = 0;
        self.emit(Event::Metrics(m));
    }

    /// Send without blocking; a full channel drops the event (the record on disk is complete).
    fn emit(&self, ev: Event) {
        let _ = self.events.try_send(ev);
    }

    /// Write to the record if there is one. A failing disk is reported once and the record is
    /// closed, training goes on.
    fn record(&mut self, f: impl FnOnce(&mut Recorder) -> Result<(), RecordError>) {
        if let Some(rec) = self.recorder.as_mut()
            && let Err(e) = f(rec)
        {
            self.recorder = None;
            self.emit(Event::Error(e.to_string()));
            // Someone is watching: training on without a record is their choice. (Headless
            // runs go on, and their exit code says the record is incomplete.)
            if !self.opts.exit_when_finished && !self.finished {
                self.pause_for(PauseReason::RecordFailed {
                    message: e.to_string(),
                });
            }
        }
    }
}
