//! The panels shared by every front end. Each is a widget over the part of a state it draws
//! (borrowed, never the whole front end's state), so the live run, the sweep and a future
//! watch/replay view compose the same panels.

pub mod config_panel;
pub mod cursor;
pub mod event_log;
pub mod features;
pub mod header;
pub mod heatmap;
pub mod help;
pub mod reconstructions;
pub mod risk_chart;
pub mod spectrum;
pub mod theme;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Widget};

/// Draw a bordered panel over `area` under the first of `titles` (longest first) that fits its
/// width (else the last), and return the area inside the border.
/// The area of an overlay that covers the screen but its outermost cell ring (the log and the
/// config panel), so the run's borders stay visible around it.
pub fn full_screen_overlay(area: Rect) -> Rect {
    area.inner(ratatui::layout::Margin::new(1, 1))
}

pub fn titled_panel(titles: &[String], area: Rect, buf: &mut Buffer, theme: &theme::Theme) -> Rect {
    let room = area.width.saturating_sub(2) as usize;
    let title = titles
        .iter()
        .find(|t| t.chars().count() <= room)
        .or(titles.last())
        .cloned()
        .unwrap_or_default();
    let block = Block::bordered()
        .border_style(theme.border_style())
        .title(Span::styled(title, theme.title_style()));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}
