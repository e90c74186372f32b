//! Overlays (the help listing every key, the quit confirmation) and the key hints of the
//! bottom line.

use super::theme::Theme;
use crate::ui::live::keys::{HELP, HINTS};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// The help overlay, centred, scrolled by `scroll` lines.
pub fn render_help(theme: &Theme, scroll: u16, area: Rect, buf: &mut Buffer) {
    let key_style = Style::default().fg(theme.key).add_modifier(Modifier::BOLD);
    let key_column = HELP
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:>key_column$}  "), key_style),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(
        " Lines: yellow limit · blue PCA · magenta Shannon D(r) · cyan R*(B)",
        Style::default().fg(theme.dim),
    ));
    let width = (area.width.saturating_sub(4)).min(72);
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
        .scroll((scroll.min(max_scroll), 0))
        .block(
            Block::bordered()
                .border_style(Style::default().fg(theme.key))
                .title(Span::styled(" Keys ", theme.title_style()))
                .title_bottom(format!("{more} ? or esc closes ")),
        )
        .render(popup, buf);
}

/// The question asked when quitting would lose the run (no record is being written).
pub const CONFIRM_QUIT: &str = "quit without saving a record? y/n";

/// The quit confirmation, centred over `area`.
pub fn render_confirm(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = (CONFIRM_QUIT.chars().count() as u16 + 6).min(area.width);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(5));
    Clear.render(popup, buf);
    Paragraph::new(vec![
        Line::default(),
        Line::styled(CONFIRM_QUIT, Style::default().add_modifier(Modifier::BOLD)).centered(),
    ])
    .block(
        Block::bordered()
            .border_style(Style::default().fg(theme.warn))
            .title(Span::styled(" Quit ", theme.title_style())),
    )
    .render(popup, buf);
}

/// The bottom line: as many hints as fit, `? help` and `q quit` always.
pub fn render_hints(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let key = Style::default().fg(theme.key).add_modifier(Modifier::BOLD);
    let text = Style::default().fg(theme.dim);
    let tail = [("?", "help"), ("q", "quit")];
    let width = |(k, t): &(&str, &str)| k.chars().count() + t.chars().count() + 3;
    let mut budget = (area.width as usize).saturating_sub(tail.iter().map(width).sum());
    let mut spans = Vec::new();
    for h in HINTS.iter().chain(&tail) {
        let w = width(h);
        let always = tail.contains(h);
        if !always {
            if w > budget {
                continue;
            }
            budget -= w;
        }
        spans.push(Span::styled(format!(" {}", h.0), key));
        spans.push(Span::styled(format!(" {} ", h.1), text));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}
