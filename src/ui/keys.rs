//! Keys and what they mean. One table drives the key handling, the help overlay and the hints
//! on the bottom line, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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
    /// m: block max-abs / mean.
    ToggleMaxAbs,
    /// l: log-scale risk axis.
    ToggleLog,
    /// h: full history / recent window.
    ToggleHistory,
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

/// The action of a key press, if any. Releases and modifier-only events are ignored.
pub fn action(key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Interrupt,
        _ if ctrl => return None,
        KeyCode::Char(' ') => Action::TogglePause,
        KeyCode::Char('s') => Action::Step,
        KeyCode::Left if shift => Action::LadderDown,
        KeyCode::Right if shift => Action::LadderUp,
        KeyCode::Left => Action::RateDown,
        KeyCode::Right => Action::RateUp,
        KeyCode::Char('<') => Action::LadderDown,
        KeyCode::Char('>') => Action::LadderUp,
        KeyCode::Char('+' | '=') => Action::LrUp,
        KeyCode::Char('-') => Action::LrDown,
        KeyCode::Char('[') => Action::SmoothLess,
        KeyCode::Char(']') => Action::SmoothMore,
        KeyCode::Char('a') => Action::CycleActivation,
        KeyCode::Char('o') => Action::CycleOptimizer,
        KeyCode::Char('d') => Action::CycleDecoder,
        KeyCode::Tab => Action::CycleView,
        KeyCode::Char('m') => Action::ToggleMaxAbs,
        KeyCode::Char('l') => Action::ToggleLog,
        KeyCode::Char('h') => Action::ToggleHistory,
        KeyCode::Char('r') => Action::Reset,
        KeyCode::Char('w') => Action::Save,
        KeyCode::Char('e') => Action::Export,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('y' | 'Y') => Action::Yes,
        KeyCode::Char('n' | 'N') | KeyCode::Esc => Action::No,
        KeyCode::Up | KeyCode::PageUp => Action::ScrollUp,
        KeyCode::Down | KeyCode::PageDown => Action::ScrollDown,
        _ => return None,
    })
}

/// Every key, for the help overlay: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("space", "pause / resume training"),
    ("s", "one step (while paused)"),
    ("← / →", "rate r down / up by one neuron (live resize)"),
    ("shift+←/→, < >", "rate along 0.1 0.25 0.5 0.75 1 1.5 2 3 4"),
    ("+ = / -", "learning rate × / ÷ 1.25"),
    ("[ / ]", "less / more smoothing of the loss curve (EMA)"),
    ("a", "cycle activation: sign relu tanh erf linear"),
    ("o", "cycle optimizer: sgd momentum adam"),
    ("d", "decoder: learned / optimal A*(B)"),
    ("tab", "matrix view: B̃B̃ᵀ, AᵀA, BA, A − βBᵀ"),
    ("m", "heatmap blocks: mean / max-abs"),
    ("l", "log-scale risk axis"),
    ("h", "full history / recent window"),
    ("r", "reset the weights with a new seed"),
    ("w", "save a checkpoint (aescope-…ckpt.json)"),
    ("e", "export matrices (npy, csv) and series (csv)"),
    ("?", "this help (↑/↓ scroll, esc closes)"),
    ("q, ctrl-c", "quit (ctrl-c twice: at once)"),
];

/// The bottom line, most useful first; `? help` and `q quit` are always kept.
pub const HINTS: &[(&str, &str)] = &[
    ("space", "pause"),
    ("s", "step"),
    ("←/→", "rate"),
    ("+/-", "lr"),
    ("a/o/d", "act/opt/dec"),
    ("tab", "view"),
    ("l", "log"),
    ("h", "history"),
    ("r", "reset"),
    ("w", "save"),
    ("e", "export"),
];
