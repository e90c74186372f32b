//! `aescope watch RECORD`: a run written by another process (a headless run under nohup or a
//! scheduler, a sweep's run), followed as its record grows, or replayed once it has finished.
//!
//! A thread plays the worker's part of the protocol: it reads the record's new lines every
//! [`POLL`] and sends the events they stand for ([`replay`]), and computes snapshots from the
//! newest checkpoint beside the record ([`weights`]), reloaded when a newer one appears. It
//! steers nothing: commands that would change the run are answered with an error (the
//! interface does not send them).

pub mod pixels;
pub mod replay;
pub mod weights;

use crate::protocol::{Command, Event, FeatureRequest, SnapshotRequest};
use crate::record::{LineTail, Polled, RecordHeader};
use crate::train::WorkerHandle;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, bounded, unbounded};
use pixels::RunData;
use replay::Replay;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use weights::Weights;

/// How often the record is read for new lines.
pub const POLL: Duration = Duration::from_millis(250);
/// How often the directory is looked at for a newer checkpoint.
const CHECKPOINT_POLL: Duration = Duration::from_secs(1);
/// Events in flight to the interface: a long record is sent as fast as it takes them.
const EVENT_CAPACITY: usize = 256;

/// Follow the record at `path` (whose header is `header`) on a new thread; checkpoints larger
/// than `max_bytes` are not loaded.
pub fn spawn(path: &Path, header: RecordHeader, max_bytes: u64) -> std::io::Result<WorkerHandle> {
    let (cmd_tx, cmd_rx) = unbounded();
    let (ev_tx, ev_rx) = bounded(EVENT_CAPACITY);
    let data = RunData::of(&header.cfg, header.data.as_ref());
    let mut watcher = Watcher {
        path: path.to_path_buf(),
        tail: LineTail::default(),
        replay: Replay::new(header),
        weights: Weights::new(path, max_bytes),
        want: None,
        want_features: None,
        data,
        commands: cmd_rx,
        events: ev_tx,
        read_error: None,
    };
    let join = std::thread::Builder::new()
        .name("aescope-watch".into())
        .spawn(move || watcher.run())?;
    Ok(WorkerHandle::from_parts(cmd_tx, ev_rx, join))
}

/// The watching thread's state.
struct Watcher {
    path: PathBuf,
    tail: LineTail,
    replay: Replay,
    weights: Weights,
    /// The snapshots the interface asked for.
    want: Option<SnapshotRequest>,
    /// The feature images the interface asked for.
    want_features: Option<FeatureRequest>,
    /// What the run trained on (a data file's features need its preprocessing).
    data: RunData,
    commands: Receiver<Command>,
    events: Sender<Event>,
    /// The last error reading the record, reported once until it changes.
    read_error: Option<String>,
}

/// Whether the thread goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

impl Watcher {
    fn run(&mut self) {
        let mut next_checkpoint = Instant::now();
        loop {
            if Instant::now() >= next_checkpoint {
                next_checkpoint = Instant::now() + CHECKPOINT_POLL;
                if self.refresh_weights() == Flow::Stop {
                    return;
                }
            }
            if self.read_record() == Flow::Stop {
                return;
            }
            // Catching up with a long record: take the next piece at once.
            let wait = if self.tail.behind(&self.path) {
                Duration::ZERO
            } else {
                POLL
            };
            match self.commands.recv_timeout(wait) {
                Ok(cmd) => {
                    if self.command(cmd) == Flow::Stop {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn command(&mut self, cmd: Command) -> Flow {
        match cmd {
            Command::Quit => Flow::Stop,
            Command::WantSnapshots(req) => {
                self.want = req;
                self.send_snapshot()
            }
            Command::WantFeatures(req) => {
                self.want_features = req;
                self.send_snapshot()
            }
            Command::Export(dir) => {
                // The pixel space of a data file needs its preprocessing (read once).
                if let Err(e) = self.data.prepare()
                    && self.emit(Event::Error(e)) == Flow::Stop
                {
                    return Flow::Stop;
                }
                let ev = match self.weights.export(&dir, &self.data) {
                    Ok(files) => Event::Exported(files),
                    Err(e) => Event::Error(e),
                };
                self.emit(ev)
            }
            other => self.emit(Event::Error(format!(
                "watching {}: read-only, cannot {other:?}",
                self.path.display()
            ))),
        }
    }

    fn read_record(&mut self) -> Flow {
        let lines = match self.tail.poll(&self.path) {
            Ok(Polled::Lines(l)) => l,
            Ok(Polled::Restarted(l)) => {
                self.replay.restart();
                l
            }
            Err(e) => {
                let msg = format!("{}: cannot read the record: {e}", self.path.display());
                if self.read_error.as_ref() != Some(&msg) {
                    self.read_error = Some(msg.clone());
                    return self.emit(Event::Error(msg));
                }
                return Flow::Continue;
            }
        };
        self.read_error = None;
        for line in lines {
            for ev in self.replay.line(&line) {
                if self.emit(ev) == Flow::Stop {
                    return Flow::Stop;
                }
            }
        }
        Flow::Continue
    }

    fn refresh_weights(&mut self) -> Flow {
        match self.weights.refresh() {
            Ok(true) => self.send_snapshot(),
            Ok(false) => Flow::Continue,
            Err(e) => self.emit(Event::Error(e)),
        }
    }

    /// The heatmap's and the feature panel's data from the loaded checkpoint, as asked.
    fn send_snapshot(&mut self) -> Flow {
        if let Some(s) = self.want.and_then(|req| self.weights.snapshot(req))
            && self.emit(Event::Snapshot(Box::new(s))) == Flow::Stop
        {
            return Flow::Stop;
        }
        let Some(req) = self.want_features else {
            return Flow::Continue;
        };
        if let Err(e) = self.data.prepare()
            && self.emit(Event::Error(e)) == Flow::Stop
        {
            return Flow::Stop;
        }
        match self.weights.features(req, &self.data) {
            Some(f) => self.emit(Event::Features(Box::new(f))),
            None => Flow::Continue,
        }
    }

    /// Send `ev`, waiting while the interface is behind; stop when it quits meanwhile (other
    /// commands wait: only `Quit` matters to a read-only run).
    fn emit(&mut self, mut ev: Event) -> Flow {
        loop {
            match self.events.send_timeout(ev, POLL) {
                Ok(()) => return Flow::Continue,
                Err(SendTimeoutError::Disconnected(_)) => return Flow::Stop,
                Err(SendTimeoutError::Timeout(back)) => {
                    ev = back;
                    if self.commands.try_iter().any(|c| c == Command::Quit) {
                        return Flow::Stop;
                    }
                }
            }
        }
    }
}
