//! The live interface in watch mode (a record followed read-only): keys that would steer the
//! run do nothing but say so, the hint line leaves them out, the help marks them, and the
//! header says the run is watched (replayed once finished).

mod common;

use aescope::protocol::Event;
use aescope::ui::live::keys::{Action, KEYS};
use aescope::ui::live::state::Overlay;
use aescope::ui::widgets::help::READ_ONLY_MARK;
use aescope::ui::widgets::theme::ColorMode;
use common::{app, draw, metrics, rows, summary, text, theme};
use std::time::SystemTime;

#[test]
fn steering_keys_do_nothing_and_say_why() {
    let mut a = app(true);
    a.run.watching = true;
    a.on_event(Event::Metrics(metrics(100)));
    for row in KEYS.rows() {
        for b in row.bindings {
            if b.action.steers() {
                let effects = a.on_action(b.action, SystemTime::now());
                assert!(effects.is_empty(), "{:?} sent {effects:?}", b.action);
                let status = a
                    .status
                    .as_ref()
                    .map(|s| s.text.clone())
                    .unwrap_or_default();
                assert!(status.contains("read-only"), "{:?}: {status}", b.action);
            }
        }
    }
    // Looking keys still work: the view changes, q quits at once (nothing to lose).
    assert!(!a.view.log_scale);
    a.on_action(Action::ToggleLog, SystemTime::now());
    assert!(a.view.log_scale);
    assert!(!a.on_action(Action::Quit, SystemTime::now()).is_empty());
}

#[test]
fn the_screen_says_watching_and_leaves_steering_keys_out() {
    let th = theme(ColorMode::Ansi256);
    let mut a = app(true);
    a.on_event(Event::Metrics(metrics(100)));
    let live = text(&draw(&a, &th, 120, 40));
    assert!(
        live.contains("pause") && !live.contains("WATCHING"),
        "{live}"
    );
    a.run.watching = true;
    let screen = rows(&draw(&a, &th, 120, 40));
    let hint = screen.last().cloned().unwrap_or_default();
    for word in ["pause", "rate", "reset", "save", "act/opt/dec"] {
        assert!(!hint.contains(word), "hint line offers '{word}': {hint}");
    }
    for word in ["view", "help", "quit"] {
        assert!(hint.contains(word), "hint line lacks '{word}': {hint}");
    }
    assert!(screen[0].contains("WATCHING"), "{}", screen[0]);
    a.overlay = Overlay::Help { scroll: 0 };
    let help = text(&draw(&a, &th, 120, 60));
    let marked = help
        .lines()
        .filter(|l| l.contains(READ_ONLY_MARK.trim()))
        .count();
    let steering_rows = KEYS
        .rows()
        .iter()
        .filter(|r| r.bindings.iter().all(|b| b.action.steers()))
        .count();
    assert!(steering_rows >= 8);
    assert_eq!(marked, steering_rows, "{help}");
    // Finished: a replay.
    a.overlay = Overlay::None;
    a.on_event(Event::Finished(summary()));
    let screen = rows(&draw(&a, &th, 120, 40));
    assert!(screen[0].contains("REPLAY"), "{}", screen[0]);
    assert!(!text(&draw(&a, &th, 120, 40)).contains("r resets"));
}
