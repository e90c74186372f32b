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

use super::keys::{Action, HELP_NOTE, KEYS};
use super::state::{AppState, Overlay};
use crate::data::SourceKind;
use crate::ui::images::Picture;
use crate::ui::widgets::config_panel::ConfigOverlay;
use crate::ui::widgets::event_log::LogOverlay;
use crate::ui::widgets::features::{self, FeatureGrid};
use crate::ui::widgets::header::Header;
use crate::ui::widgets::heatmap::Heatmap;
use crate::ui::widgets::help::{ConfirmQuit, HelpOverlay, HintLine, RecordFailed};
use crate::ui::widgets::reconstructions::{self, StripPanel};
use crate::ui::widgets::risk_chart::RiskChart;
use crate::ui::widgets::spectrum::Spectrum;
use crate::ui::widgets::theme::Theme;
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

/// Rows of body below which the spectrum is left out (it would have fewer than 7 rows).
pub const SPECTRUM_MIN_BODY: u16 = 16;

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

impl Areas {
    /// Where the feature images go when shown: the heatmap's and the spectrum's place.
    pub fn features(&self) -> Rect {
        self.heatmap.union(self.spectrum)
    }
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
    // A spectrum under SPECTRUM_MIN_BODY rows of body would be an empty frame: the heatmap
    // takes the whole side instead (its zero-height place stays at the side's bottom).
    let [heatmap, spectrum] = if body.height >= SPECTRUM_MIN_BODY {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(side)
    } else {
        Layout::vertical([Constraint::Min(0), Constraint::Length(0)]).areas(side)
    };
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
    areas(area, header(app, theme).height(area.width))
}

/// Draw one frame.
pub fn draw(frame: &mut Frame, app: &AppState, theme: &Theme) {
    let area = frame.area();
    render(app, theme, area, frame.buffer_mut());
}

/// The header over the app's run.
pub fn header<'a>(app: &'a AppState, theme: &'a Theme) -> Header<'a> {
    Header {
        run: &app.run,
        theme,
    }
}

/// The risk chart over the app's series.
pub fn risk_chart<'a>(app: &'a AppState, theme: &'a Theme) -> RiskChart<'a> {
    let metrics = app.run.metrics.as_ref();
    RiskChart {
        series: &app.series,
        view: &app.view,
        step: metrics.map(|m| m.step),
        risk_kind: metrics.and_then(|m| m.risk_kind.as_ref()),
        status: app.status.as_ref(),
        events: Some(&app.log),
        theme,
    }
}

/// The heatmap over the app's latest snapshot.
pub fn heatmap<'a>(app: &'a AppState, theme: &'a Theme) -> Heatmap<'a> {
    Heatmap {
        snapshot: app.snapshot.as_deref(),
        view: &app.view,
        isotropic: isotropic(app),
        theme,
    }
}

/// Whether the run's data has identity covariance, for which the spectrum target and the
/// alignment A ≈ βBᵀ are derived (THEORY §5).
fn isotropic(app: &AppState) -> bool {
    matches!(app.run.source, SourceKind::Gaussian | SourceKind::Sparse)
}

/// The spectrum over the app's latest snapshot.
pub fn spectrum<'a>(app: &'a AppState, theme: &'a Theme) -> Spectrum<'a> {
    Spectrum {
        snapshot: app.snapshot.as_deref(),
        shape: app.run.metrics.as_ref().map(|m| (m.n, m.d)),
        isotropic: isotropic(app),
        theme,
    }
}

/// Draw everything into `buf` (the frame's buffer, or a test's).
pub fn render(app: &AppState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(a) = areas_for(app, theme, area) else {
        render_too_small(area, buf);
        return;
    };
    header(app, theme).render(a.header, buf);
    risk_chart(app, theme).render(a.risk, buf);
    match app.view.features {
        Some(kind) => {
            let images = app.features.as_deref();
            let (grid, strip) = reconstructions::split(a.features(), images);
            FeatureGrid {
                images,
                kind,
                frozen: app.view.frozen,
                theme,
            }
            .render(grid, buf);
            StripPanel { images, theme }.render(strip, buf);
        }
        None => {
            heatmap(app, theme).render(a.heatmap, buf);
            if !a.spectrum.is_empty() {
                spectrum(app, theme).render(a.spectrum, buf);
            }
        }
    }
    HintLine {
        hints: if app.run.watching {
            KEYS.hints_where(app.panel_mode(), |a| !a.steers())
        } else {
            KEYS.hints(app.panel_mode())
        },
        theme,
    }
    .render(a.footer, buf);
    match app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => HelpOverlay {
            keys: KEYS,
            scroll,
            note: Some(HELP_NOTE),
            theme,
            unavailable: app
                .run
                .watching
                .then_some(Action::steers as fn(Action) -> bool),
        }
        .render(area, buf),
        Overlay::ConfirmQuit => ConfirmQuit { theme }.render(area, buf),
        Overlay::Log { back } => LogOverlay {
            log: &app.log,
            back,
            theme,
        }
        .render(area, buf),
        Overlay::Config { scroll } => ConfigOverlay {
            initial: &app.config,
            metrics: app.run.metrics.as_ref(),
            log: &app.log,
            data: app.data.as_ref(),
            resumed_from: app.resumed_from.as_deref(),
            scroll,
            theme,
        }
        .render(area, buf),
        Overlay::KeepTraining => RecordFailed {
            message: app.run.record_error.as_deref().unwrap_or_default(),
            theme,
        }
        .render(area, buf),
    }
}

/// The feature view's images as pictures for a terminal image protocol, at the cells
/// [`render`] draws them in half blocks: none while the view is off or an overlay covers it.
pub fn pictures(app: &AppState, theme: &Theme, area: Rect) -> Vec<Picture> {
    let Some(kind) = app
        .view
        .features
        .filter(|_| matches!(app.overlay, Overlay::None))
    else {
        return Vec::new();
    };
    let Some(a) = areas_for(app, theme, area) else {
        return Vec::new();
    };
    let images = app.features.as_deref();
    let (grid, strip) = reconstructions::split(a.features(), images);
    let mut out = features::pictures(images, kind, grid);
    out.extend(reconstructions::pictures(images, strip));
    out
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
