//! The interface when the run record cannot be written, and the exit codes after a session:
//! the error in red and in full, a y/n choice to go on without a record, exit 1 afterwards;
//! exit 3 when the user leaves a divergence unrecovered.

mod common;

use aescope::protocol::{Command, Event, FinishReason, PauseReason};
use aescope::ui::live::keys::Action;
use aescope::ui::live::state::{Effect, Overlay};
use aescope::ui::widgets::help::KEEP_TRAINING;
use aescope::ui::widgets::theme::ColorMode;
use aescope::ui::{Ending, Outcome};
use common::{app, draw, metrics, summary, text, theme};
use std::time::SystemTime;

const MESSAGE: &str = "/very/long/path/to/the/experiments/of/this/week/runs/sign-r0.5-seed-12.jsonl: cannot write the run record: No space left on device (os error 28)";

fn failed() -> aescope::ui::live::state::AppState {
    let mut a = app(true);
    a.on_event(Event::Metrics(metrics(100)));
    a.on_event(Event::Paused(PauseReason::RecordFailed {
        message: MESSAGE.into(),
    }));
    a
}

#[test]
fn the_error_is_shown_in_full_with_a_choice() {
    let a = failed();
    assert_eq!(a.overlay, Overlay::KeepTraining);
    let screen = text(&draw(&a, &theme(ColorMode::TrueColor), 80, 24));
    assert!(screen.contains(KEEP_TRAINING), "{screen}");
    // Every character of the message is on screen, wrapped over lines (72 to a line at 80
    // columns).
    let chars: Vec<char> = MESSAGE.chars().collect();
    for piece in chars.chunks(72) {
        let piece: String = piece.iter().collect();
        assert!(screen.contains(&piece), "lacks '{piece}':\n{screen}");
    }
    // Other keys wait for the answer.
    let mut a = failed();
    assert!(
        a.on_action(Action::TogglePause, SystemTime::now())
            .is_empty()
    );
    assert_eq!(a.overlay, Overlay::KeepTraining);
}

#[test]
fn yes_goes_on_and_no_quits() {
    let mut a = failed();
    assert_eq!(
        a.on_action(Action::Yes, SystemTime::now()),
        [Effect::Send(Command::Resume)]
    );
    assert_eq!(a.overlay, Overlay::None);
    let mut a = failed();
    assert_eq!(a.on_action(Action::No, SystemTime::now()), [Effect::Quit]);
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let mut s = summary();
    let outcome = |summary, diverged, record_error: Option<&str>| Outcome {
        ending: Ending::Quit,
        summary: Some(summary),
        diverged,
        record_error: record_error.map(String::from),
    };
    assert_eq!(outcome(s.clone(), false, None).exit_code(), 0);
    assert_eq!(outcome(s.clone(), false, Some(MESSAGE)).exit_code(), 1);
    assert_eq!(outcome(s.clone(), true, Some(MESSAGE)).exit_code(), 3);
    s.reason = FinishReason::Diverged;
    assert_eq!(outcome(s, false, None).exit_code(), 3);
    // A divergence the user recovered from (lower lr, resume) is not one.
    let mut a = app(true);
    a.on_event(Event::Metrics(metrics(100)));
    a.on_event(Event::Paused(PauseReason::Diverged {
        step: 100,
        loss: f64::NAN,
    }));
    assert!(a.run.diverged.is_some());
    a.on_event(Event::Resumed);
    assert!(a.run.diverged.is_none());
}

#[test]
fn saving_names_where_the_checkpoint_goes() {
    // With a record the worker writes beside it, not at the interface's proposed name.
    let mut a = app(true);
    a.on_event(Event::Metrics(metrics(100)));
    let effects = a.on_action(Action::Save, SystemTime::now());
    assert!(matches!(
        effects.as_slice(),
        [Effect::Send(Command::Save(_))]
    ));
    let said = a
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert_eq!(said, "saving a checkpoint beside run.jsonl…");
    let mut a = app(false);
    a.on_action(Action::Save, SystemTime::now());
    let said = a
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        said.starts_with("saving aescope-sign-r0.5-step0-"),
        "{said}"
    );
}
