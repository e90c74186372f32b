//! The key tables agree with what the interfaces do and say: every key in a table is
//! dispatched to its action wherever the table says it acts, every key is named in its help
//! line, and the hint lines show only the table's keys (and, with room, all of its hints).

mod common;

use aescope::ui::keys::{Hint, KeyTable, named_keys};
use aescope::ui::live::keys::{Action, KEYS, Mode};
use aescope::ui::sweep::keys::{SWEEP_KEYS, Screen, SweepKey};
use aescope::ui::sweep::state::SweepState;
use aescope::ui::sweep::view as sweep_view;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::fmt::Debug;
use std::time::{Instant, UNIX_EPOCH};

/// Every binding reaches its own action in every mode it is declared for: no other row
/// shadows it.
fn assert_dispatched<A: Copy + PartialEq + Debug, M: Copy + PartialEq + Debug>(
    table: KeyTable<A, M>,
) {
    for row in table.rows() {
        for b in row.bindings {
            assert!(!b.when.is_empty(), "{} acts nowhere", b.key.name());
            for &mode in b.when {
                assert_eq!(
                    table.action(&b.key.event(), mode),
                    Some(b.action),
                    "{} in {mode:?} (row '{}')",
                    b.key.name(),
                    row.keys
                );
            }
        }
    }
}

/// Every binding's key is named in its row's help line.
fn assert_named<A, M>(table: &KeyTable<A, M>) {
    for row in table.rows() {
        let named: Vec<String> = named_keys(&format!("{} {}", row.keys, row.what))
            .into_iter()
            .map(|k| k.to_lowercase())
            .collect();
        for b in row.bindings {
            let name = b.key.name().to_lowercase();
            assert!(
                named.contains(&name),
                "'{name}' is bound but not named in '{}  {}' ({named:?})",
                row.keys,
                row.what
            );
        }
    }
}

/// Every hint names only keys bound in the rows that carry it and act in `mode`.
fn assert_hints_from_table<A: Copy, M: Copy + PartialEq + Debug>(table: KeyTable<A, M>, mode: M) {
    for h in table.hints(mode) {
        let bound: Vec<String> = table
            .rows()
            .iter()
            .filter(|r| matches!(r.hint, Hint::Fits(k, w) | Hint::Always(k, w) if k == h.keys && w == h.word))
            .flat_map(|r| r.bindings)
            .filter(|b| b.when.contains(&mode))
            .map(|b| b.key.name().to_lowercase())
            .collect();
        for k in named_keys(h.keys) {
            assert!(
                bound.contains(&k.to_lowercase()),
                "hint '{} {}' names '{k}', not bound in {mode:?}",
                h.keys,
                h.word
            );
        }
    }
}

#[test]
fn live_keys_are_dispatched_named_and_hinted_from_one_table() {
    assert_dispatched(KEYS);
    assert_named(&KEYS);
    for mode in [
        Mode::Panels,
        Mode::Cursor,
        Mode::Help,
        Mode::Confirm,
        Mode::Log,
    ] {
        assert_hints_from_table(KEYS, mode);
    }
    // Keys outside the table, and modal keys outside their mode, do nothing.
    let j = KeyEvent::new(KeyCode::Char('J'), KeyModifiers::NONE);
    let y = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE);
    let up = KeyEvent::new(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(KEYS.action(&j, Mode::Panels), None);
    assert_eq!(KEYS.action(&y, Mode::Panels), None);
    assert_eq!(KEYS.action(&y, Mode::Confirm), Some(Action::Yes));
    assert_eq!(KEYS.action(&up, Mode::Panels), None);
    assert_eq!(KEYS.action(&up, Mode::Help), Some(Action::ScrollUp));
}

#[test]
fn the_drawn_hint_line_is_the_tables() {
    let app = app(true);
    let th = theme(aescope::ui::widgets::theme::ColorMode::TrueColor);
    let hints = KEYS.hints(Mode::Panels);
    // Wide enough for every hint: all of them, in table order.
    let last = rows(&draw(&app, &th, 200, 40)).pop().unwrap_or_default();
    let mut at = 0;
    for h in &hints {
        let item = format!(" {} {} ", h.keys, h.word);
        let found = last[at..].find(&item);
        assert!(
            found.is_some(),
            "'{item}' missing or out of order in '{last}'"
        );
        at += found.unwrap_or(0) + item.len();
    }
    // Narrow: a subset, the ones marked always still there.
    let last = rows(&draw(&app, &th, 60, 16)).pop().unwrap_or_default();
    for h in hints.iter().filter(|h| h.always) {
        assert!(last.contains(&format!(" {} {} ", h.keys, h.word)), "{last}");
    }
    assert!(!last.contains(" h history "), "{last}");
}

#[test]
fn help_lists_the_modal_keys_in_their_rows() {
    let mut app = app(false);
    app.on_action(Action::Help, UNIX_EPOCH);
    let s = text(&draw(
        &app,
        &theme(aescope::ui::widgets::theme::ColorMode::TrueColor),
        120,
        40,
    ));
    assert!(s.contains("PgUp/PgDn scroll"), "{s}");
    assert!(s.contains("y/n asked if no record"), "{s}");
}

fn sweep_screen(s: &SweepState) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap_or_else(|e| panic!("{e}"));
    let th = theme(aescope::ui::widgets::theme::ColorMode::TrueColor);
    t.draw(|f| sweep_view::draw(f, s, &th, Instant::now()))
        .unwrap_or_else(|e| panic!("{e}"));
    text(t.backend().buffer())
}

#[test]
fn sweep_keys_are_dispatched_named_and_hinted_from_one_table() {
    assert_dispatched(SWEEP_KEYS);
    assert_named(&SWEEP_KEYS);
    let pts: Vec<_> = [0.5, 1.0]
        .iter()
        .enumerate()
        .map(|(index, &rate)| aescope::sweep::GridPoint {
            index,
            rate,
            k: 0,
            seed: 1,
        })
        .collect();
    let mut state = SweepState::new(
        "s",
        aescope::sweep::curves::SweepCurves::isotropic(
            aescope::model::Activation::Sign,
            aescope::data::SourceKind::Gaussian,
        ),
        &pts,
    );
    for screen in [Screen::Overview, Screen::Run, Screen::Help] {
        assert_hints_from_table(SWEEP_KEYS, screen);
        match screen {
            Screen::Run => {
                state.on_action(SweepKey::Open);
            }
            Screen::Help => {
                state.on_action(SweepKey::Help);
            }
            Screen::Overview => {}
        }
        assert_eq!(state.screen(), screen);
        let drawn = sweep_screen(&state);
        for h in SWEEP_KEYS.hints(screen) {
            assert!(
                drawn.contains(&format!("{} {}", h.keys, h.word)),
                "{screen:?}: no hint '{} {}' in\n{drawn}",
                h.keys,
                h.word
            );
        }
    }
    // Selection keys do nothing in a run's view; Esc goes back.
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    let right = KeyEvent::new(KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(SWEEP_KEYS.action(&right, Screen::Run), None);
    assert_eq!(SWEEP_KEYS.action(&esc, Screen::Run), Some(SweepKey::Back));
    assert_eq!(SWEEP_KEYS.action(&esc, Screen::Overview), None);
}
