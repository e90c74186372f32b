//! The sweep view's keys: one table that dispatches presses, lists them in the help overlay
//! and fills the hint line.

use crate::ui::keys::{Binding, Hint, Key, KeyRow, KeyTable};
use crossterm::event::KeyCode;

/// What a key asks of the sweep view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepKey {
    /// The run before the selected one.
    Previous,
    /// The run after it.
    Next,
    /// The first run.
    First,
    /// The last run.
    Last,
    /// Open the selected run's live view.
    Open,
    /// Close the help, else the live view.
    Back,
    /// Open or close the help overlay.
    Help,
    /// Scroll the help up.
    ScrollUp,
    /// Scroll the help down.
    ScrollDown,
    /// Cancel the sweep and leave.
    Quit,
}

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The curve and the list of runs.
    Overview,
    /// One run's live view.
    Run,
    /// The help overlay, over either.
    Help,
}

const OVERVIEW: &[Screen] = &[Screen::Overview];
const RUN: &[Screen] = &[Screen::Run];
const HELP: &[Screen] = &[Screen::Help];
const ALL: &[Screen] = &[Screen::Overview, Screen::Run, Screen::Help];

const fn on(key: Key, action: SweepKey, when: &'static [Screen]) -> Binding<SweepKey, Screen> {
    Binding { key, action, when }
}

const fn list(key: Key, action: SweepKey) -> Binding<SweepKey, Screen> {
    on(key, action, OVERVIEW)
}

/// Every key of the sweep view.
pub const SWEEP_KEYS: KeyTable<SweepKey, Screen> = KeyTable(&[
    KeyRow {
        keys: "←/→ ↑/↓, h/l k/j",
        what: "select the previous / next run",
        bindings: &[
            list(Key::plain(KeyCode::Left), SweepKey::Previous),
            list(Key::plain(KeyCode::Up), SweepKey::Previous),
            list(Key::ch('k'), SweepKey::Previous),
            list(Key::ch('h'), SweepKey::Previous),
            list(Key::plain(KeyCode::Right), SweepKey::Next),
            list(Key::plain(KeyCode::Down), SweepKey::Next),
            list(Key::ch('j'), SweepKey::Next),
            list(Key::ch('l'), SweepKey::Next),
        ],
        hint: Hint::Fits("←/→ ↑/↓", "select"),
    },
    KeyRow {
        keys: "Home / End",
        what: "select the first / last run",
        bindings: &[
            list(Key::plain(KeyCode::Home), SweepKey::First),
            list(Key::plain(KeyCode::End), SweepKey::Last),
        ],
        hint: Hint::None,
    },
    KeyRow {
        keys: "Enter",
        what: "open the selected run: its record's risk against step",
        bindings: &[list(Key::plain(KeyCode::Enter), SweepKey::Open)],
        hint: Hint::Fits("Enter", "open run"),
    },
    KeyRow {
        keys: "Esc, Backspace",
        what: "back to the sweep; esc also closes this help",
        bindings: &[
            on(
                Key::plain(KeyCode::Esc),
                SweepKey::Back,
                &[Screen::Run, Screen::Help],
            ),
            on(Key::plain(KeyCode::Backspace), SweepKey::Back, RUN),
        ],
        hint: Hint::Fits("Esc", "back"),
    },
    KeyRow {
        keys: "?",
        what: "this help (↑/↓ scroll it)",
        bindings: &[
            on(Key::ch('?'), SweepKey::Help, ALL),
            on(Key::plain(KeyCode::Up), SweepKey::ScrollUp, HELP),
            on(Key::plain(KeyCode::Down), SweepKey::ScrollDown, HELP),
        ],
        hint: Hint::Always("?", "help"),
    },
    KeyRow {
        keys: "q, ctrl-c",
        what: "quit (cancels a running sweep: --resume goes on)",
        bindings: &[
            on(Key::ch('q'), SweepKey::Quit, ALL),
            on(Key::ctrl('c'), SweepKey::Quit, ALL),
        ],
        hint: Hint::Always("q", "quit"),
    },
]);
