//! The live run's keys: one table that dispatches presses, lists them in the help overlay and
//! fills the hint line.

use crate::ui::keys::{Binding, Hint, Key, KeyRow, KeyTable};
use crossterm::event::KeyCode;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// space.
    TogglePause,
    /// s: one step while paused.
    Step,
    /// ←: one neuron less.
    RateDown,
    /// →: one neuron more.
    RateUp,
    /// shift+← or <: the previous rung of the rate ladder.
    LadderDown,
    /// shift+→ or >: the next rung.
    LadderUp,
    /// + or =: learning rate × 1.25.
    LrUp,
    /// -: learning rate ÷ 1.25.
    LrDown,
    /// [: less smoothing of the loss curve.
    SmoothLess,
    /// ]: more smoothing.
    SmoothMore,
    /// a.
    CycleActivation,
    /// o.
    CycleOptimizer,
    /// d: learned / optimal decoder.
    CycleDecoder,
    /// tab: the heatmap's matrix.
    CycleView,
    /// f: learned features as images (encoder, decoder) / matrices.
    CycleFeatures,
    /// m: block max-abs / mean.
    ToggleMaxAbs,
    /// x: freeze the matrix panels (no more snapshots) / live again.
    ToggleFreeze,
    /// l: log-scale risk axis.
    ToggleLog,
    /// h: full history / recent window.
    ToggleHistory,
    /// g: risk chart / gap chart.
    ToggleGap,
    /// z: zoom the value axis on the last window around the limit.
    Zoom,
    /// 0: the whole value range again.
    ZoomReset,
    /// c: show / hide the chart cursor.
    ToggleCursor,
    /// ← / → with the cursor shown: the previous / next reported step.
    CursorLeft,
    /// →, cursor shown.
    CursorRight,
    /// shift+← with the cursor shown: a tenth of the steps on screen back.
    CursorPageLeft,
    /// shift+→, cursor shown.
    CursorPageRight,
    /// esc with the cursor shown: hide it.
    CursorHide,
    /// b: the step axis counts steps / samples seen (step × batch).
    ToggleSamples,
    /// i: the run's configuration and the command line that reproduces it.
    Config,
    /// j: the event log (every change and message, in full).
    EventLog,
    /// r: new seed, step 0.
    Reset,
    /// w: checkpoint.
    Save,
    /// e: matrices and series.
    Export,
    /// ?: the key list.
    Help,
    /// q.
    Quit,
    /// Ctrl-C: like Quit, but a second one does not ask.
    Interrupt,
    /// y: the answer to a question.
    Yes,
    /// n or esc: the other answer; esc also closes the help.
    No,
    /// ↑ / PgUp in the help.
    ScrollUp,
    /// ↓ / PgDn in the help.
    ScrollDown,
}

impl Action {
    /// Whether the key changes the run (so does nothing when watching a record).
    pub fn steers(self) -> bool {
        matches!(
            self,
            Action::TogglePause
                | Action::Step
                | Action::RateDown
                | Action::RateUp
                | Action::LadderDown
                | Action::LadderUp
                | Action::LrUp
                | Action::LrDown
                | Action::CycleActivation
                | Action::CycleOptimizer
                | Action::CycleDecoder
                | Action::Reset
                | Action::Save
        )
    }
}

/// What is on screen, as far as keys are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The panels.
    Panels,
    /// The panels with the chart cursor shown: ←/→ move it instead of the rate.
    Cursor,
    /// The help overlay: scroll keys scroll it, any other command closes it and acts.
    Help,
    /// "quit without saving a record? y/n".
    Confirm,
    /// The event log: scroll keys scroll it, any other command closes it and acts.
    Log,
}

const MAIN: &[Mode] = &[Mode::Panels, Mode::Cursor, Mode::Help, Mode::Log];
/// Where ←/→ change the rate: not while the cursor is shown.
const RATE: &[Mode] = &[Mode::Panels, Mode::Help, Mode::Log];
const CURSOR: &[Mode] = &[Mode::Cursor];
/// Where ↑/↓ scroll: the help and the log.
const HELP: &[Mode] = &[Mode::Help, Mode::Log];
/// Where esc closes or answers no.
const CLOSE: &[Mode] = &[Mode::Help, Mode::Confirm, Mode::Log];
const ASKING: &[Mode] = &[Mode::Help, Mode::Confirm];
const CONFIRM: &[Mode] = &[Mode::Confirm];
const ALL: &[Mode] = &[
    Mode::Panels,
    Mode::Cursor,
    Mode::Help,
    Mode::Confirm,
    Mode::Log,
];

const fn on(key: Key, action: Action) -> Binding<Action, Mode> {
    at(key, action, MAIN)
}

const fn at(key: Key, action: Action, when: &'static [Mode]) -> Binding<Action, Mode> {
    Binding { key, action, when }
}

const fn c(ch: char, action: Action) -> Binding<Action, Mode> {
    on(Key::ch(ch), action)
}

const fn row(
    keys: &'static str,
    what: &'static str,
    bindings: &'static [Binding<Action, Mode>],
    hint: Hint,
) -> KeyRow<Action, Mode> {
    KeyRow {
        keys,
        what,
        bindings,
        hint,
    }
}

const AOD: Hint = Hint::Fits("a/o/d", "act/opt/dec");

/// Every key of the live run, in help order.
pub const KEYS: KeyTable<Action, Mode> = KeyTable(&[
    row(
        "space",
        "pause / resume training",
        &[c(' ', Action::TogglePause)],
        Hint::Fits("space", "pause"),
    ),
    row(
        "s",
        "one step (while paused)",
        &[c('s', Action::Step)],
        Hint::Fits("s", "step"),
    ),
    row(
        "← / →",
        "rate r down / up by one neuron (cursor hidden)",
        &[
            at(Key::plain(KeyCode::Left), Action::RateDown, RATE),
            at(Key::plain(KeyCode::Right), Action::RateUp, RATE),
        ],
        Hint::Fits("←/→", "rate"),
    ),
    row(
        "shift+←/→, < >",
        "rate along 0.1 … 4 (shift+←/→: cursor hidden)",
        &[
            at(Key::shift(KeyCode::Left), Action::LadderDown, RATE),
            at(Key::shift(KeyCode::Right), Action::LadderUp, RATE),
            c('<', Action::LadderDown),
            c('>', Action::LadderUp),
        ],
        Hint::None,
    ),
    row(
        "+ = / -",
        "learning rate × / ÷ 1.25",
        &[
            c('+', Action::LrUp),
            c('=', Action::LrUp),
            c('-', Action::LrDown),
        ],
        Hint::Fits("+/-", "lr"),
    ),
    row(
        "[ / ]",
        "less / more smoothing of the loss curve (EMA)",
        &[c('[', Action::SmoothLess), c(']', Action::SmoothMore)],
        Hint::None,
    ),
    row(
        "a",
        "cycle activation: sign relu tanh erf linear",
        &[c('a', Action::CycleActivation)],
        AOD,
    ),
    row(
        "o",
        "cycle optimizer: sgd momentum adam",
        &[c('o', Action::CycleOptimizer)],
        AOD,
    ),
    row(
        "d",
        "decoder: learned / optimal A*(B)",
        &[c('d', Action::CycleDecoder)],
        AOD,
    ),
    row(
        "tab",
        "matrix view: B̃B̃ᵀ, AᵀA, BA, A − βBᵀ",
        &[on(Key::plain(KeyCode::Tab), Action::CycleView)],
        Hint::Fits("tab", "view"),
    ),
    row(
        "f",
        "features as images: encoder B, decoder A, off",
        &[c('f', Action::CycleFeatures)],
        Hint::Fits("f", "features"),
    ),
    row(
        "m",
        "heatmap blocks: mean / max-abs",
        &[c('m', Action::ToggleMaxAbs)],
        Hint::None,
    ),
    row(
        "x",
        "freeze / unfreeze heatmap, spectrum, features",
        &[c('x', Action::ToggleFreeze)],
        Hint::None,
    ),
    row(
        "l",
        "log-scale risk axis",
        &[c('l', Action::ToggleLog)],
        Hint::Fits("l", "log"),
    ),
    row(
        "g",
        "risk chart / gap chart: log |risk − limit|, × below",
        &[c('g', Action::ToggleGap)],
        Hint::Fits("g", "gap"),
    ),
    row(
        "z / 0",
        "zoom values onto the last fifth + limit / all",
        &[c('z', Action::Zoom), c('0', Action::ZoomReset)],
        Hint::Fits("z", "zoom"),
    ),
    row(
        "c",
        "chart cursor: readout of every series at a step",
        &[c('c', Action::ToggleCursor)],
        Hint::Fits("c", "cursor"),
    ),
    row(
        "←/→ shift+←/→",
        "cursor shown: move it, a page; esc hides it",
        &[
            at(Key::plain(KeyCode::Left), Action::CursorLeft, CURSOR),
            at(Key::plain(KeyCode::Right), Action::CursorRight, CURSOR),
            at(Key::shift(KeyCode::Left), Action::CursorPageLeft, CURSOR),
            at(Key::shift(KeyCode::Right), Action::CursorPageRight, CURSOR),
            at(Key::plain(KeyCode::Esc), Action::CursorHide, CURSOR),
        ],
        Hint::Always("←/→", "move"),
    ),
    row(
        "h",
        "full history / recent window",
        &[c('h', Action::ToggleHistory)],
        Hint::Fits("h", "history"),
    ),
    row(
        "b",
        "step axis: steps / samples seen (step × batch)",
        &[c('b', Action::ToggleSamples)],
        Hint::None,
    ),
    row(
        "i",
        "run config, data, seed and its command line",
        &[c('i', Action::Config)],
        Hint::Fits("i", "config"),
    ),
    row(
        "j",
        "event log (step axis ticks: r a o d η R C !)",
        &[c('j', Action::EventLog)],
        Hint::Fits("j", "events"),
    ),
    row(
        "r",
        "reset the weights with a new seed",
        &[c('r', Action::Reset)],
        Hint::Fits("r", "reset"),
    ),
    row(
        "w",
        "save a checkpoint (beside the record)",
        &[c('w', Action::Save)],
        Hint::Fits("w", "save"),
    ),
    row(
        "e",
        "export matrices (npy, csv), feature PNGs, series",
        &[c('e', Action::Export)],
        Hint::Fits("e", "export"),
    ),
    row(
        "?",
        "this help (↑/↓ PgUp/PgDn scroll help / log, esc)",
        &[
            c('?', Action::Help),
            at(Key::plain(KeyCode::Up), Action::ScrollUp, HELP),
            at(Key::plain(KeyCode::PageUp), Action::ScrollUp, HELP),
            at(Key::plain(KeyCode::Down), Action::ScrollDown, HELP),
            at(Key::plain(KeyCode::PageDown), Action::ScrollDown, HELP),
            at(Key::plain(KeyCode::Esc), Action::No, CLOSE),
        ],
        Hint::Always("?", "help"),
    ),
    row(
        "q, ctrl-c",
        "quit (y/n asked if no record; ctrl-c twice: at once)",
        &[
            c('q', Action::Quit),
            at(Key::ctrl('c'), Action::Interrupt, ALL),
            at(Key::ch('y'), Action::Yes, CONFIRM),
            at(Key::ch('Y'), Action::Yes, CONFIRM),
            at(Key::ch('n'), Action::No, ASKING),
            at(Key::ch('N'), Action::No, ASKING),
        ],
        Hint::Always("q", "quit"),
    ),
]);

/// The note under the key list in the help overlay.
pub const HELP_NOTE: &str =
    " yellow limit (╌ ≈ finite-d) · blue PCA · magenta Shannon · cyan R*(B)";
