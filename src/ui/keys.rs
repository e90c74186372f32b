//! Key tables: each front end declares its keys once, as rows of (keys, description, actions,
//! availability, hint), and that one table dispatches key presses, lists the keys in the help
//! overlay and fills the hint line, so the three cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A key as a table binds it: a code and the modifiers that matter (shift only for keys that
/// are not characters: a shifted character arrives as its own character, `?`, `>`, `Y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Shift held (arrows: the coarse variant).
    pub shift: bool,
    /// Control held.
    pub ctrl: bool,
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            shift: false,
            ctrl: false,
        }
    }

    /// A character key.
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// A key with shift held.
    pub const fn shift(code: KeyCode) -> Key {
        Key {
            code,
            shift: true,
            ctrl: false,
        }
    }

    /// Control and a character.
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            shift: false,
            ctrl: true,
        }
    }

    /// Whether a press is this key; `exact` also compares shift on keys that are not
    /// characters (the second, lenient pass lets shift+↑ scroll like ↑).
    fn matches(&self, ev: &KeyEvent, exact: bool) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let shift = ev.modifiers.contains(KeyModifiers::SHIFT);
        let is_char = matches!(self.code, KeyCode::Char(_));
        ev.code == self.code && ctrl == self.ctrl && (is_char || !exact || shift == self.shift)
    }

    /// The press this key stands for.
    pub fn event(&self) -> KeyEvent {
        let mut mods = KeyModifiers::NONE;
        if self.shift {
            mods |= KeyModifiers::SHIFT;
        }
        if self.ctrl {
            mods |= KeyModifiers::CONTROL;
        }
        KeyEvent::new(self.code, mods)
    }

    /// The key's name as help texts write it: `space`, `←`, `shift+←`, `ctrl-c`, `PgUp`.
    pub fn name(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Tab => "tab".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("ctrl-{base}")
        } else if self.shift {
            format!("shift+{base}")
        } else {
            base
        }
    }
}

/// One key of a row: what it does, and in which of the front end's modes it acts.
#[derive(Debug, Clone, Copy)]
pub struct Binding<A: 'static, M: 'static> {
    /// The key.
    pub key: Key,
    /// Its action.
    pub action: A,
    /// The modes (screens, overlays) in which the key acts; elsewhere it does nothing.
    pub when: &'static [M],
}

/// Where a row appears on the hint line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Only in the help.
    None,
    /// When it fits: the keys (short form) and one word. Consecutive rows with the same hint
    /// share one entry (`a/o/d act/opt/dec`).
    Fits(&'static str, &'static str),
    /// Always, at the end of the line.
    Always(&'static str, &'static str),
}

/// One line of the help: keys as the help writes them, what they do, their bindings.
#[derive(Debug, Clone, Copy)]
pub struct KeyRow<A: 'static, M: 'static> {
    /// The keys as the help shows them (`+ = / -`).
    pub keys: &'static str,
    /// What they do.
    pub what: &'static str,
    /// Every key of the row and its action.
    pub bindings: &'static [Binding<A, M>],
    /// On the hint line?
    pub hint: Hint,
}

/// One entry of the hint line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintItem {
    /// The keys.
    pub keys: &'static str,
    /// What they do, in a word or two.
    pub word: &'static str,
    /// Kept when the line is short of room.
    pub always: bool,
}

/// A front end's keys, in help order.
#[derive(Debug, Clone, Copy)]
pub struct KeyTable<A: 'static, M: 'static>(pub &'static [KeyRow<A, M>]);

impl<A, M> KeyTable<A, M> {
    /// The rows, in help order.
    pub fn rows(&self) -> &'static [KeyRow<A, M>] {
        self.0
    }
}

impl<A: Copy, M: Copy + PartialEq> KeyTable<A, M> {
    /// The action of a key press in `mode`, if any: exact matches first, then presses with an
    /// extra shift on keys that have no shifted binding. Releases do nothing.
    pub fn action(&self, ev: &KeyEvent, mode: M) -> Option<A> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let active = || {
            self.0
                .iter()
                .flat_map(|r| r.bindings)
                .filter(move |b| b.when.contains(&mode))
        };
        active()
            .find(|b| b.key.matches(ev, true))
            .or_else(|| active().find(|b| b.key.matches(ev, false)))
            .map(|b| b.action)
    }

    /// The hint line's entries for `mode`, in table order: hints naming a key of their row
    /// that acts in `mode`, consecutive equal hints merged; the `Always` ones last.
    pub fn hints(&self, mode: M) -> Vec<HintItem> {
        self.hints_where(mode, |_| true)
    }

    /// [`KeyTable::hints`] of the keys whose action passes `keep` (a read-only front end
    /// drops the keys that steer a run).
    pub fn hints_where(&self, mode: M, keep: impl Fn(A) -> bool) -> Vec<HintItem> {
        let mut fits: Vec<HintItem> = Vec::new();
        let mut always: Vec<HintItem> = Vec::new();
        for row in self.0 {
            let (list, keys, word, is_always) = match row.hint {
                Hint::None => continue,
                Hint::Fits(k, w) => (&mut fits, k, w, false),
                Hint::Always(k, w) => (&mut always, k, w, true),
            };
            // Shown only where a key it names acts.
            let named = named_keys(keys);
            let acts = row.bindings.iter().any(|b| {
                b.when.contains(&mode)
                    && keep(b.action)
                    && named.iter().any(|n| n.eq_ignore_ascii_case(&b.key.name()))
            });
            if !acts {
                continue;
            }
            let item = HintItem {
                keys,
                word,
                always: is_always,
            };
            if list.last() != Some(&item) {
                list.push(item);
            }
        }
        fits.extend(always);
        fits
    }
}

/// The keys a help text names: whitespace- and comma-separated words, parentheses stripped,
/// `a/b` split, a `shift+` or `ctrl-` prefix applying to every part (`shift+←/→`). For the
/// test that every bound key is listed in its row.
pub fn named_keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        let word = word.trim_matches(|c| c == '(' || c == ')' || c == ':');
        let (prefix, rest) = ["shift+", "ctrl-"]
            .iter()
            .find_map(|p| word.strip_prefix(p).map(|r| (*p, r)))
            .unwrap_or(("", word));
        let parts: Vec<&str> = if rest == "/" {
            Vec::new()
        } else {
            rest.split('/').filter(|p| !p.is_empty()).collect()
        };
        out.extend(parts.into_iter().map(|p| format!("{prefix}{p}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_named_keys_agree() {
        assert_eq!(Key::shift(KeyCode::Left).name(), "shift+←");
        assert_eq!(Key::ctrl('c').name(), "ctrl-c");
        assert_eq!(Key::ch(' ').name(), "space");
        assert_eq!(
            named_keys("shift+←/→, < >"),
            ["shift+←", "shift+→", "<", ">"]
        );
        assert_eq!(named_keys("+ = / -"), ["+", "=", "-"]);
        assert_eq!(named_keys("this (↑/↓ scroll"), ["this", "↑", "↓", "scroll"]);
    }

    #[test]
    fn exact_matches_win_and_shift_is_lenient_only_as_a_fallback() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum A {
            Fine,
            Coarse,
            Up,
        }
        static ROWS: &[KeyRow<A, ()>] = &[KeyRow {
            keys: "← / shift+←, ↑",
            what: "",
            bindings: &[
                Binding {
                    key: Key::plain(KeyCode::Left),
                    action: A::Fine,
                    when: &[()],
                },
                Binding {
                    key: Key::shift(KeyCode::Left),
                    action: A::Coarse,
                    when: &[()],
                },
                Binding {
                    key: Key::plain(KeyCode::Up),
                    action: A::Up,
                    when: &[()],
                },
            ],
            hint: Hint::None,
        }];
        let t = KeyTable(ROWS);
        let shifted = |c| KeyEvent::new(c, KeyModifiers::SHIFT);
        assert_eq!(t.action(&shifted(KeyCode::Left), ()), Some(A::Coarse));
        assert_eq!(
            t.action(&Key::plain(KeyCode::Left).event(), ()),
            Some(A::Fine)
        );
        assert_eq!(t.action(&shifted(KeyCode::Up), ()), Some(A::Up));
        let ctrl_up = KeyEvent::new(KeyCode::Up, KeyModifiers::CONTROL);
        assert_eq!(t.action(&ctrl_up, ()), None);
    }
}
