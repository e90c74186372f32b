//! The event log overlay: every entry of an [`EventLog`] in full, wrapped (never cut), newest
//! at the bottom, scrolled back by the keys.

use super::theme::Theme;
use crate::human;
use crate::ui::event_log::{EventKind, EventLog};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// Width of the step column.
const STEP_W: usize = 9;

/// The log over the area it is drawn in (one cell of margin).
#[derive(Debug, Clone, Copy)]
pub struct LogOverlay<'a> {
    /// The entries.
    pub log: &'a EventLog,
    /// Lines scrolled back from the newest.
    pub back: u16,
    /// Colours.
    pub theme: &'a Theme,
}

impl LogOverlay<'_> {
    /// The log's lines at `width` cells, each entry wrapped under its text column.
    pub fn lines(&self, width: usize) -> Vec<Line<'static>> {
        let theme = self.theme;
        let indent = STEP_W + 3;
        let room = width.saturating_sub(indent).max(8);
        let mut out = Vec::new();
        for e in self.log.entries() {
            let style = if e.error {
                Style::default().fg(theme.error)
            } else if e.kind == EventKind::Message {
                Style::default()
            } else {
                Style::default().fg(theme.key)
            };
            let glyph = e.kind.tick().unwrap_or(' ');
            let chars: Vec<char> = e.text.chars().collect();
            for (i, chunk) in chars.chunks(room).enumerate() {
                let head = if i == 0 {
                    Span::styled(
                        format!("{:>STEP_W$} {glyph} ", human::count(e.step)),
                        Style::default().fg(theme.dim),
                    )
                } else {
                    Span::raw(" ".repeat(indent))
                };
                out.push(Line::from(vec![
                    head,
                    Span::styled(chunk.iter().collect::<String>(), style),
                ]));
            }
        }
        if out.is_empty() {
            out.push(Line::styled(
                "nothing has happened yet",
                Style::default().fg(theme.dim),
            ));
        }
        out
    }
}

impl Widget for LogOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let popup = super::full_screen_overlay(area);
        let lines = self.lines(popup.width.saturating_sub(2) as usize);
        let rows = popup.height.saturating_sub(2);
        let total = lines.len() as u16;
        let max_back = total.saturating_sub(rows);
        let back = self.back.min(max_back);
        let top = max_back - back;
        Clear.render(popup, buf);
        let more = if max_back > 0 {
            " ↑/↓ PgUp/PgDn scroll ·"
        } else {
            ""
        };
        Paragraph::new(lines)
            .scroll((top, 0))
            .block(
                Block::bordered()
                    .border_style(Style::default().fg(self.theme.key))
                    .title(Span::styled(
                        " Events (step, tick, what) ",
                        self.theme.title_style().add_modifier(Modifier::BOLD),
                    ))
                    .title_bottom(format!("{more} j or esc closes ")),
            )
            .render(popup, buf);
    }
}
