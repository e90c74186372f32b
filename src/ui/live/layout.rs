//! Where the panels go, and drawing a whole frame.
//!
//! ```text
//! header (2–4 lines: state, progress, risk, limit, gap, settings)
//! ┌ Risk ───────────────────────┐┌ Gram heatmap ────────┐
//! │ loss, risk, reference lines ││                      │
//! │                             │└──────────────────────┘
//! │                             │┌ Spectrum ────────────┐
//! └─────────────────────────────┘└──────────────────────┘
//! key hints
//! ```

use super::state::{AppState, Overlay};
use crate::ui::widgets::theme::Theme;
use crate::ui::widgets::{header, heatmap, help, risk_chart as loss_chart, spectrum};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Below this size the panels cannot be read: say so instead of drawing them.
/// Narrowest usable screen.
pub const MIN_WIDTH: u16 = 60;
/// Lowest usable screen.
pub const MIN_HEIGHT: u16 = 16;

/// The screen's regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// State, progress and numbers.
    pub header: Rect,
    /// The risk chart.
    pub risk: Rect,
    /// The matrix heatmap.
    pub heatmap: Rect,
    /// The Gram spectrum.
    pub spectrum: Rect,
    /// Key hints.
    pub footer: Rect,
}

/// The regions for a screen of this size, or None when it is too small.
pub fn areas(area: Rect, header_height: u16) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(header_height),
        Constraint::Min(8),
        Constraint::Length(1),
    ])
    .areas(area);
    let [risk, side] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    let [heatmap, spectrum] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(side);
    Some(Areas {
        header,
        risk,
        heatmap,
        spectrum,
        footer,
    })
}

/// The regions for this app state on a screen of this size.
pub fn areas_for(app: &AppState, theme: &Theme, area: Rect) -> Option<Areas> {
    areas(area, header::height(app, theme, area.width))
}

/// Draw one frame.
pub fn draw(frame: &mut Frame, app: &AppState, theme: &Theme) {
    let area = frame.area();
    render(app, theme, area, frame.buffer_mut());
}

/// Draw everything into `buf` (the frame's buffer, or a test's).
pub fn render(app: &AppState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(a) = areas_for(app, theme, area) else {
        render_too_small(area, buf);
        return;
    };
    header::render(app, theme, a.header, buf);
    loss_chart::render(app, theme, a.risk, buf);
    heatmap::render(app, theme, a.heatmap, buf);
    spectrum::render(app, theme, a.spectrum, buf);
    help::render_hints(theme, a.footer, buf);
    match app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help::render_help(theme, scroll, area, buf),
        Overlay::ConfirmQuit => help::render_confirm(theme, area, buf),
    }
}

/// The message shown instead of the panels on a tiny terminal.
pub fn too_small_text(area: Rect) -> String {
    format!(
        "terminal too small (need ≥ {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}) · q quits",
        area.width, area.height
    )
}

fn render_too_small(area: Rect, buf: &mut Buffer) {
    let y = area.height / 2;
    let line = Rect {
        y: area.y + y.saturating_sub(1),
        height: area.height - y.saturating_sub(1),
        ..area
    };
    Paragraph::new(Line::styled(
        too_small_text(area),
        Style::default().add_modifier(Modifier::BOLD),
    ))
    .centered()
    .wrap(Wrap { trim: true })
    .render(line, buf);
}
