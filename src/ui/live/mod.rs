//! The UI thread: one `select!` over the worker's events, the input thread's key presses and
//! the signal handler, with a deadline only while a frame or a snapshot request is due. It
//! sleeps until something arrives, drains everything pending before drawing, and draws only
//! after a change: at most 25 times a second while the user acts, `--fps` (10) while only
//! training data comes in. A slow terminal costs the UI frames, never the worker steps. Snapshots are asked
//! for the view on screen; the worker spaces them by their cost.

pub mod export;
pub mod keys;
pub mod layout;
pub mod state;

use state::{AppState, Effect};

use crate::config::Config;
use crate::protocol::{Command, Event, FinishReason, Summary};
use crate::record::RecordError;
use crate::train::{Durability, RunControl, WorkerHandle, WorkerOptions, spawn_durable};
use crate::ui::compare::ComparedRun;
use crate::ui::event_log::EventKind;
use crate::ui::images::{ImageLayer, ImageMode};
use crate::ui::terminal::{self, Session, Term};
use crate::ui::widgets::theme::{ColorMode, Theme};
use crate::ui::widgets::{features, heatmap, reconstructions};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded, select};
use crossterm::event::Event as Input;
use ratatui::layout::Rect;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};
use thiserror::Error;

/// Shortest time between two frames while the user is acting (25 per second at most).
const FRAME_FAST: Duration = Duration::from_millis(40);
/// Frames a second that only show new training data, unless `--fps` says otherwise: every
/// frame costs the worker a little when it uses both cores, and the curves need no more.
pub const DEFAULT_FPS: u32 = 10;
/// How long after a key press frames stay fast, so that the worker's answer (the new lr, r…)
/// shows within 100 ms.
const FAST_AFTER_INPUT: Duration = Duration::from_millis(500);
/// How long to wait for the worker to finish its record after Quit.
const SHUTDOWN: Duration = Duration::from_secs(10);

/// How the interface is set up.
#[derive(Debug, Clone, Default)]
pub struct UiOptions {
    /// Colour depth; detected from the environment when None.
    pub colors: Option<ColorMode>,
    /// Dots instead of Braille in the charts (fonts without Braille).
    pub dot_marker: bool,
    /// Run record to write.
    pub record: Option<PathBuf>,
    /// Leave as soon as the run finishes (for measurements and scripts).
    pub exit_when_done: bool,
    /// Leave the mouse to the terminal (its own text selection) instead of capturing clicks
    /// and the wheel for the chart cursor and step zoom.
    pub no_mouse: bool,
    /// Frames a second at most while only training data comes in ([`DEFAULT_FPS`] when None).
    pub fps: Option<u32>,
    /// Record and memory guards, checkpoints, and the checkpoint to resume from.
    pub durable: Durability,
    /// Earlier runs drawn beside this one (`--compare`), read before the terminal is set up.
    pub compare: Vec<ComparedRun>,
    /// How the feature images are drawn (`--images`): a terminal image protocol or half
    /// blocks.
    pub images: ImageMode,
}

impl UiOptions {
    /// Shortest time between two frames that only show new training data.
    pub fn calm_interval(&self) -> Duration {
        Duration::from_secs(1) / self.fps.unwrap_or(DEFAULT_FPS).max(1)
    }
}

/// Why the interface ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit (or the run finished with `exit_when_done`).
    Quit,
    /// SIGHUP, SIGTERM or SIGINT.
    Signal,
    /// The terminal stopped delivering input (closed).
    TerminalGone,
}

/// The end of a session: how, and the worker's summary when it sent one.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Why the interface ended.
    pub ending: Ending,
    /// The worker's last summary, if it sent one.
    pub summary: Option<Summary>,
    /// The run was left paused on a divergence the user did not recover from.
    pub diverged: bool,
    /// Why the run record could not be written, if it failed.
    pub record_error: Option<String>,
}

impl Outcome {
    /// The process's exit code after the user quit: 3 after an unrecovered divergence, 1 when
    /// the record is incomplete, else 0.
    pub fn exit_code(&self) -> i32 {
        let diverged = self.diverged
            || self
                .summary
                .as_ref()
                .is_some_and(|s| s.reason == FinishReason::Diverged);
        match (diverged, &self.record_error) {
            (true, _) => 3,
            (false, Some(_)) => 1,
            (false, None) => 0,
        }
    }
}

/// What can keep the interface from running.
#[derive(Debug, Error)]
pub enum UiError {
    #[error(
        "the interactive interface needs a terminal, and stdout is not one: use `aescope run --headless` (e.g. when piping or in scripts)"
    )]
    /// stdout is a pipe or a file.
    NotATerminal,
    /// The run record could not be created (or the worker thread not started).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Setting up or drawing on the terminal failed.
    #[error("terminal: {0}")]
    Io(#[from] io::Error),
    /// SIGHUP/SIGTERM/SIGINT handling could not be installed.
    #[error("installing the signal handler: {0}")]
    Signal(#[from] ctrlc::Error),
    /// The worker's channel closed without a summary.
    #[error("the training thread stopped unexpectedly")]
    WorkerGone,
}

/// Train `cfg` in the interface until the user quits or a signal arrives. The worker's record
/// is complete when this returns, on every path.
pub fn run(cfg: Config, opts: &UiOptions) -> Result<Outcome, UiError> {
    if !io::stdout().is_terminal() {
        return Err(UiError::NotATerminal);
    }
    let mut app = AppState::new(&cfg, opts.record.clone());
    app.series.compared.clone_from(&opts.compare);
    app.resumed_from = opts.durable.resume.as_ref().map(|r| r.checkpoint.clone());
    let worker = spawn_durable(
        cfg,
        WorkerOptions {
            record: opts.record.clone(),
            exit_when_finished: false,
            start_paused: false,
        },
        RunControl::default(),
        opts.durable.clone(),
    )?;
    drive(app, worker, opts)
}

/// Show the run of `cfg` whose record is `record`, as `feed` (a thread speaking the worker's
/// protocol, see [`crate::watch`]) replays it: the same panels, read-only. `data` is the
/// record's description of its data file, if it has one.
pub fn watch(
    cfg: &Config,
    data: Option<serde_json::Value>,
    record: PathBuf,
    feed: WorkerHandle,
    opts: &UiOptions,
) -> Result<Outcome, UiError> {
    if !io::stdout().is_terminal() {
        return Err(UiError::NotATerminal);
    }
    let mut app = AppState::new(cfg, Some(record));
    app.data = data;
    app.run.watching = true;
    app.series.compared.clone_from(&opts.compare);
    drive(app, feed, opts)
}

/// The interface over `worker` until the user quits or a signal arrives, then the worker
/// stopped and waited for.
fn drive(mut app: AppState, worker: WorkerHandle, opts: &UiOptions) -> Result<Outcome, UiError> {
    let theme = Theme::new(
        opts.colors.unwrap_or_else(ColorMode::detect),
        opts.dot_marker,
    );
    // SIGHUP (terminal closed), SIGTERM and SIGINT: the worker closes its record even if the
    // UI thread is stuck on a dead terminal, and the UI loop ends.
    let (sig_tx, sig_rx) = bounded::<()>(1);
    let stop = worker.stopper();
    let handler = ctrlc::set_handler(move || {
        stop();
        let _ = sig_tx.try_send(());
    });
    let ended = match handler {
        Ok(()) => session(&mut app, &theme, &worker, &sig_rx, opts),
        Err(e) => Err(e.into()),
    };
    let by_signal = sig_rx.try_recv().is_ok();
    shutdown(worker, &mut app);
    let ending = match ended {
        _ if by_signal => Ending::Signal,
        Ok(e) => e,
        Err(e) => return Err(e),
    };
    Ok(Outcome {
        ending,
        diverged: app.run.diverged.is_some(),
        record_error: app.run.record_error.take(),
        summary: app.run.finished,
    })
}

/// The terminal part: set up, loop, restore (the session restores on every path).
fn session(
    app: &mut AppState,
    theme: &Theme,
    worker: &WorkerHandle,
    signal: &Receiver<()>,
    opts: &UiOptions,
) -> Result<Ending, UiError> {
    let mut session = Session::start(!opts.no_mouse, opts.images)?;
    let detected = session.images().clone();
    app.log.push(
        app.run.step(),
        EventKind::Message,
        format!(
            "feature images: {} ({})",
            detected.protocol, detected.reason
        ),
        false,
    );
    let mut images = ImageLayer::new(detected);
    match session.parts() {
        Some((term, input)) => {
            let ui = Ui {
                theme,
                worker,
                input,
                signal,
                opts,
            };
            event_loop(term, app, &mut images, &ui)
        }
        None => Ok(Ending::TerminalGone),
    }
}

/// What the event loop reads: the look, the worker, the input and signal channels, the options.
struct Ui<'a> {
    theme: &'a Theme,
    worker: &'a WorkerHandle,
    input: &'a Receiver<Input>,
    signal: &'a Receiver<()>,
    opts: &'a UiOptions,
}

fn event_loop(
    term: &mut Term,
    app: &mut AppState,
    images: &mut ImageLayer,
    ui: &Ui,
) -> Result<Ending, UiError> {
    let Ui {
        theme,
        worker,
        input,
        signal,
        opts,
    } = *ui;
    let calm = opts.calm_interval();
    // A key is answered at once, and no slower than training data is drawn.
    let fast = FRAME_FAST.min(calm);
    let mut last_frame: Option<Instant> = None;
    let mut fast_until = Instant::now();
    let mut pending_draw = true;
    let mut link = Link {
        commands: &worker.commands,
    };
    // Replaced by a channel that never delivers once the worker is gone, so select! does not
    // spin on the disconnected one.
    let mut events = worker.events.clone();
    loop {
        let now = Instant::now();
        let interval = if now < fast_until { fast } else { calm };
        let next_frame = last_frame.map_or(now, |t| t + interval);
        let frame_at = if pending_draw {
            next_frame
        } else {
            now + Duration::from_hours(1)
        };
        let wait = frame_at.saturating_duration_since(now);
        let mut quit = false;
        select! {
            recv(events) -> ev => match ev {
                Ok(ev) => {
                    app.on_event(ev);
                    for ev in events.try_iter() {
                        app.on_event(ev);
                    }
                }
                // The worker ended on its own (an internal error it reported and summarized):
                // keep its last state on screen until q.
                Err(_) if app.run.finished.is_some() => {
                    events = crossbeam_channel::never();
                    app.mark_dirty();
                }
                Err(_) => return Err(UiError::WorkerGone),
            },
            recv(input) -> ev => {
                let Ok(ev) = ev else {
                    return Ok(Ending::TerminalGone);
                };
                fast_until = Instant::now() + FAST_AFTER_INPUT;
                quit |= on_input(&ev, term, app, images, theme, &mut link)?;
                for ev in input.try_iter() {
                    quit |= on_input(&ev, term, app, images, theme, &mut link)?;
                }
            }
            recv(signal) -> _ => return Ok(Ending::Signal),
            default(wait) => {}
        }
        if quit {
            return Ok(Ending::Quit);
        }
        pending_draw |= app.take_dirty();
        let now = Instant::now();
        let interval = if now < fast_until { fast } else { calm };
        if pending_draw && last_frame.is_none_or(|t| now >= t + interval) {
            draw(term, app, images, theme, &mut link)?;
            pending_draw = false;
            last_frame = Some(Instant::now());
            if opts.exit_when_done && app.run.finished.is_some() {
                return Ok(Ending::Quit);
            }
        }
    }
}

/// The UI's side of the command channel. Snapshot pacing is the worker's job (it spaces
/// snapshots by their cost), so every command goes straight through.
struct Link<'a> {
    commands: &'a Sender<Command>,
}

impl Link<'_> {
    fn send(&mut self, cmd: Command) {
        // A worker that is gone has sent its summary already; nothing to do.
        let _ = self.commands.send(cmd);
    }
}

/// Draw a frame, then ask for snapshots and feature images that fit the panels as they are now.
fn draw(
    term: &mut Term,
    app: &mut AppState,
    images: &mut ImageLayer,
    theme: &Theme,
    link: &mut Link,
) -> Result<(), UiError> {
    let mut areas = None;
    let mut pictures = Vec::new();
    let mut screen = Rect::default();
    term.draw(|f| {
        layout::draw(f, app, theme);
        screen = f.area();
        areas = layout::areas_for(app, theme, screen);
        if images.active() {
            pictures = layout::pictures(app, theme, screen);
            images.mask(&pictures, f.buffer_mut());
        }
    })?;
    // The pictures go after ratatui's frame, over the cells it left to them.
    let seq = images.update(screen, &pictures);
    if !seq.is_empty() {
        let out = term.backend_mut();
        out.write_all(&seq)?;
        Write::flush(out)?;
    }
    if let Some(a) = areas {
        let last = app.features.as_deref();
        let (grid, strip) = reconstructions::split(a.features(), last);
        let tiles = features::max_tiles(grid, last);
        let pairs = reconstructions::max_pairs(strip, last);
        let cmds = [
            app.set_heatmap_side(heatmap::max_side(a.heatmap)),
            app.set_feature_tiles(tiles, pairs),
        ];
        for cmd in cmds.into_iter().flatten() {
            link.send(cmd);
        }
    }
    Ok(())
}

/// One terminal event. Returns true when the user quits.
fn on_input(
    ev: &Input,
    term: &mut Term,
    app: &mut AppState,
    images: &mut ImageLayer,
    theme: &Theme,
    link: &mut Link,
) -> Result<bool, UiError> {
    match ev {
        Input::Key(key) => {
            for effect in app.on_key(key, SystemTime::now()) {
                match effect {
                    Effect::Send(cmd) => link.send(cmd),
                    Effect::WriteSeries(dir) => {
                        let result = export::write_series(&app.series, app.view.smoothing(), &dir)
                            .map_err(|e| {
                                format!("cannot write the series into {}: {e}", dir.display())
                            });
                        app.series_written(result);
                    }
                    Effect::Quit => return Ok(true),
                }
            }
        }
        Input::Mouse(m) => {
            let size = term.size()?;
            app.on_mouse(m, Rect::new(0, 0, size.width, size.height), theme);
        }
        Input::Resize(w, h) => {
            // The resize clears the screen: every picture is sent again with the next frame.
            let seq = images.forget();
            term.backend_mut().write_all(&seq)?;
            terminal::resize(term, *w, *h)?;
            app.mark_dirty();
        }
        _ => {}
    }
    Ok(false)
}

/// Stop the worker and wait (bounded) until it has written its summary and ended.
fn shutdown(worker: WorkerHandle, app: &mut AppState) {
    worker.stop();
    let deadline = Instant::now() + SHUTDOWN;
    loop {
        match worker.events.recv_deadline(deadline) {
            Ok(ev @ Event::Finished(_)) => app.on_event(ev),
            Ok(_) => {}
            Err(RecvTimeoutError::Disconnected) => {
                worker.join();
                return;
            }
            // Leave the thread; the process is ending anyway.
            Err(RecvTimeoutError::Timeout) => return,
        }
    }
}
