//! The sweep's interface: its state ([`state`]), keys ([`keys`]) and screen ([`view`]), and
//! the terminal loop here: one `select!` over the sweep's events, the key presses and a
//! half-second tick (the open run's record is re-read and the ETA counts down on it). Every
//! event also goes to the caller, which writes the results files as in a headless sweep.

pub mod keys;
pub mod state;
pub mod view;

use crate::sweep::SweepEvent;
use crate::sweep::runner::Canceller;
use crate::ui::UiError;
use crate::ui::images::ImageMode;
use crate::ui::terminal::{self, Session, Term};
use crate::ui::widgets::theme::Theme;
use crossbeam_channel::{Receiver, select};
use crossterm::event::Event as Input;
use state::{SweepAction, SweepState};
use std::time::{Duration, Instant};

/// How often the open run's record is re-read (its worker flushes at least once a second).
const TICK: Duration = Duration::from_millis(500);

/// Show the sweep until it has finished and the user quits, or until the user quits early
/// (the sweep is then cancelled). Returns whether `Finished` was seen; if not, the caller
/// drains the remaining events (the runs' interrupted summaries) after the terminal is back.
pub fn run_sweep(
    events: &Receiver<SweepEvent>,
    canceller: &Canceller,
    state: &mut SweepState,
    theme: &Theme,
    on_event: &mut dyn FnMut(&SweepEvent),
) -> Result<bool, UiError> {
    let mut session = Session::start(false, ImageMode::Blocks)?;
    let result = match session.parts() {
        Some((term, input)) => event_loop(term, events, canceller, state, theme, input, on_event),
        None => Ok(false),
    };
    if !matches!(result, Ok(true)) {
        // Leaving early for any reason: the runs must stop and write their summaries.
        canceller.cancel();
    }
    result
}

fn event_loop(
    term: &mut Term,
    events: &Receiver<SweepEvent>,
    canceller: &Canceller,
    state: &mut SweepState,
    theme: &Theme,
    input: &Receiver<Input>,
    on_event: &mut dyn FnMut(&SweepEvent),
) -> Result<bool, UiError> {
    // Replaced by a channel that never delivers once Finished arrived or the sweep is gone,
    // so select! does not spin on a disconnected channel.
    let mut events = events.clone();
    let mut finished = false;
    let mut next_tick = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_tick {
            poll_live(state);
            next_tick = now + TICK;
        }
        term.draw(|f| view::draw(f, state, theme, Instant::now()))?;
        let wait = next_tick.saturating_duration_since(Instant::now());
        select! {
            recv(events) -> ev => match ev {
                Ok(ev) => {
                    for ev in std::iter::once(ev).chain(events.try_iter()) {
                        on_event(&ev);
                        state.on_event(&ev, Instant::now());
                        if let SweepEvent::Finished { cancelled, .. } = ev {
                            finished = true;
                            // Cancelled from outside (a signal): nothing left to look at.
                            if cancelled {
                                return Ok(true);
                            }
                        }
                    }
                    if finished {
                        events = crossbeam_channel::never();
                    }
                }
                Err(_) => {
                    events = crossbeam_channel::never();
                    state.done = true;
                }
            },
            recv(input) -> ev => {
                let Ok(ev) = ev else {
                    return Ok(finished);
                };
                for ev in std::iter::once(ev).chain(input.try_iter()) {
                    match ev {
                        Input::Key(key) => {
                            match state.on_key(&key) {
                                SweepAction::Quit => {
                                    canceller.cancel();
                                    return Ok(finished);
                                }
                                SweepAction::Opened => next_tick = Instant::now(),
                                SweepAction::None => {}
                            }
                        }
                        Input::Resize(w, h) => terminal::resize(term, w, h)?,
                        _ => {}
                    }
                }
            }
            default(wait) => {}
        }
    }
}

/// Read what the open run's record gained since the last look.
fn poll_live(state: &mut SweepState) {
    let path = state.live_record();
    let Some(live) = state.live.as_mut() else {
        return;
    };
    let Some(path) = path else {
        return;
    };
    live.error = live
        .tail
        .poll(&path)
        .err()
        .map(|e| format!("cannot read {}: {e}", path.display()));
}
