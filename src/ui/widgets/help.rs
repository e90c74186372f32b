//! Overlays (the help listing every key of a front end's table, the quit confirmation) and the
//! key hints of the bottom line, all drawn from the front end's [`KeyTable`].

use super::theme::Theme;
use crate::ui::keys::{HintItem, KeyTable};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// The help overlay: every row of a key table, centred over the area it is drawn in.
#[derive(Debug, Clone, Copy)]
pub struct HelpOverlay<'a, A: 'static, M: 'static> {
    /// The keys to list.
    pub keys: KeyTable<A, M>,
    /// Lines scrolled away at the top.
    pub scroll: u16,
    /// A line under the keys (what the colours mean).
    pub note: Option<&'a str>,
    /// Colours.
    pub theme: &'a Theme,
    /// Actions that do nothing here (a read-only front end): rows of only such actions are
    /// dimmed and marked.
    pub unavailable: Option<fn(A) -> bool>,
}

/// What a row of unavailable keys says before its text.
pub const READ_ONLY_MARK: &str = "(read-only) ";

impl<A: Copy, M: Copy + PartialEq> Widget for HelpOverlay<'_, A, M> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let rows = self.keys.rows();
        let key_style = Style::default().fg(theme.key).add_modifier(Modifier::BOLD);
        let key_column = rows
            .iter()
            .map(|r| r.keys.chars().count())
            .max()
            .unwrap_or(0);
        let mut lines: Vec<Line> = rows
            .iter()
            .map(|r| {
                let off = self
                    .unavailable
                    .is_some_and(|f| r.bindings.iter().all(|b| f(b.action)));
                if off {
                    let dim = Style::default().fg(theme.dim);
                    Line::from(vec![
                        Span::styled(format!(" {:>key_column$}  ", r.keys), dim),
                        Span::styled(READ_ONLY_MARK, dim),
                        Span::styled(r.what, dim),
                    ])
                } else {
                    Line::from(vec![
                        Span::styled(format!(" {:>key_column$}  ", r.keys), key_style),
                        Span::raw(r.what),
                    ])
                }
            })
            .collect();
        if let Some(note) = self.note {
            lines.push(Line::default());
            lines.push(Line::styled(note, Style::default().fg(theme.dim)));
        }
        // The read-only mark goes before the text: room for it, so the text is not cut.
        let mark = if self.unavailable.is_some() {
            READ_ONLY_MARK.chars().count() as u16
        } else {
            0
        };
        let width = (area.width.saturating_sub(4)).min(72 + mark);
        let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
        let max_scroll = (lines.len() as u16 + 2).saturating_sub(height);
        let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
        Clear.render(popup, buf);
        let more = if max_scroll > 0 {
            " ↑/↓ scroll ·"
        } else {
            ""
        };
        Paragraph::new(lines)
            .scroll((self.scroll.min(max_scroll), 0))
            .block(
                Block::bordered()
                    .border_style(Style::default().fg(theme.key))
                    .title(Span::styled(" Keys ", theme.title_style()))
                    .title_bottom(format!("{more} ? or esc closes ")),
            )
            .render(popup, buf);
    }
}

/// The question asked when quitting would lose the run (no record is being written).
pub const CONFIRM_QUIT: &str = "quit without saving a record? y/n";

/// The quit confirmation, centred over the area it is drawn in.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmQuit<'a> {
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for ConfirmQuit<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let width = (CONFIRM_QUIT.chars().count() as u16 + 6).min(area.width);
        let popup = area.centered(Constraint::Length(width), Constraint::Length(5));
        Clear.render(popup, buf);
        Paragraph::new(vec![
            Line::default(),
            Line::styled(CONFIRM_QUIT, Style::default().add_modifier(Modifier::BOLD)).centered(),
        ])
        .block(
            Block::bordered()
                .border_style(Style::default().fg(self.theme.warn))
                .title(Span::styled(" Quit ", self.theme.title_style())),
        )
        .render(popup, buf);
    }
}

/// The bottom line: as many hints as fit, in table order; those marked always are kept.
#[derive(Debug, Clone)]
pub struct HintLine<'a> {
    /// The hints of the current mode ([`KeyTable::hints`]).
    pub hints: Vec<HintItem>,
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for HintLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let key = Style::default()
            .fg(self.theme.key)
            .add_modifier(Modifier::BOLD);
        let text = Style::default().fg(self.theme.dim);
        let width = |h: &HintItem| h.keys.chars().count() + h.word.chars().count() + 3;
        let always: usize = self.hints.iter().filter(|h| h.always).map(width).sum();
        let mut budget = (area.width as usize).saturating_sub(always);
        let mut spans = Vec::new();
        for h in &self.hints {
            let w = width(h);
            if !h.always {
                if w > budget {
                    continue;
                }
                budget -= w;
            }
            spans.push(Span::styled(format!(" {}", h.keys), key));
            spans.push(Span::styled(format!(" {} ", h.word), text));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// The question asked when the run record cannot be written.
pub const KEEP_TRAINING: &str = "keep training without a record? y/n (n quits)";

/// A write error and what to do about it, centred over the area it is drawn in: the error in
/// full (wrapped), then [`KEEP_TRAINING`].
#[derive(Debug, Clone, Copy)]
pub struct RecordFailed<'a> {
    /// The error: the file and the OS error.
    pub message: &'a str,
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for RecordFailed<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let width = area.width.saturating_sub(4).min(80);
        let inner = usize::from(width.saturating_sub(4)).max(1);
        // Wrapped by hand so the height is known before drawing.
        let mut lines: Vec<Line> = vec![Line::default()];
        let chars: Vec<char> = self.message.chars().collect();
        for chunk in chars.chunks(inner) {
            lines.push(Line::styled(
                chunk.iter().collect::<String>(),
                Style::default().fg(self.theme.error),
            ));
        }
        lines.push(Line::default());
        lines.push(
            Line::styled(KEEP_TRAINING, Style::default().add_modifier(Modifier::BOLD)).centered(),
        );
        let height = (lines.len() as u16 + 2).min(area.height);
        let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
        Clear.render(popup, buf);
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .border_style(Style::default().fg(self.theme.error))
                    .title(Span::styled(" Run record ", self.theme.title_style())),
            )
            .render(popup, buf);
    }
}
