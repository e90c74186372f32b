//! Drawing the sweep view: risk against r with the theory curves and the trained runs (mean ±
//! standard error across seeds, from the same description as the figure), a progress gauge
//! with the elapsed time and the ETA, and the list of runs; or, when one is opened, that run's
//! risk against step from its record in the shared risk chart. `?` lays the help over either.

use super::keys::SWEEP_KEYS;
use super::state::{Latest, RunEntry, RunState, SweepState};
use crate::human;
use crate::sweep::curves::{Curve, CurveKind, trained_points};
use crate::ui::history::{Histories, Point};
use crate::ui::view::ViewSettings;
use crate::ui::widgets::help::{HelpOverlay, HintLine};
use crate::ui::widgets::risk_chart::RiskChart;
use crate::ui::widgets::theme::Theme;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, Gauge, GraphType, Paragraph, Row, StatefulWidget,
    Table, TableState, Widget,
};
use std::fmt::Write as _;
use std::time::Instant;

/// The x axis's name, in the chart's bottom border (an axis title would be drawn over the
/// curves).
pub const X_TITLE: &str = "rate r = n/d";

pub fn draw(f: &mut Frame, state: &SweepState, theme: &Theme, now: Instant) {
    render(state, theme, now, f.area(), f.buffer_mut());
}

pub fn render(state: &SweepState, theme: &Theme, now: Instant, area: Rect, buf: &mut Buffer) {
    let [top, gauge, status] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    gauge_widget(state, theme, now).render(gauge, buf);
    render_status(state, theme, status, buf);
    if let Some(live) = &state.live {
        if let Some(entry) = state.runs.get(live.run) {
            render_live(live, entry, theme, top, buf);
        }
    } else {
        let [chart, list] = Layout::horizontal([
            Constraint::Min(30),
            Constraint::Length(list_width(top.width)),
        ])
        .areas(top);
        render_curve(state, theme, chart, buf);
        render_list(state, theme, list, buf);
    }
    if let Some(scroll) = state.help {
        HelpOverlay {
            keys: SWEEP_KEYS,
            scroll,
            note: Some(HELP_NOTE),
            theme,
            unavailable: None,
        }
        .render(area, buf);
    }
}

/// The line under the keys in the help overlay.
pub const HELP_NOTE: &str = "• mean risk across seeds, │ ± one standard error, █ the selected run";

fn block<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_style())
        .title(Span::styled(title, theme.title_style()))
}

fn gauge_widget<'a>(state: &SweepState, theme: &Theme, now: Instant) -> Gauge<'a> {
    let (done, total) = state.counts();
    let ratio = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let mut label = format!(
        "{done}/{total} runs · elapsed {}",
        human::duration(state.elapsed(now))
    );
    match state.eta(now) {
        Some(eta) => {
            let _ = write!(label, " · ETA {}", human::duration(eta));
        }
        None if state.done => label.push_str(" · done"),
        None => label.push_str(" · ETA –"),
    }
    Gauge::default()
        .block(block(" progress ", theme))
        .gauge_style(Style::default().fg(theme.ok))
        .ratio(ratio)
        .label(label)
}

/// The key hints (from the key table) and, on the right, where the sweep stands.
fn render_status(state: &SweepState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let (text, color) = if state.cancelling {
        (
            "cancelling: runs are writing their summaries…".to_string(),
            theme.warn,
        )
    } else if state.done {
        ("sweep finished".to_string(), theme.ok)
    } else if let Some(w) = &state.last_warning {
        (format!("warning {w}"), theme.warn)
    } else {
        ("running: quitting cancels the sweep".to_string(), theme.dim)
    };
    let width = (text.chars().count() as u16 + 1).min(area.width / 2);
    let [hints, message] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(width)]).areas(area);
    HintLine {
        hints: SWEEP_KEYS.hints(state.screen()),
        theme,
    }
    .render(hints, buf);
    Paragraph::new(Line::from(Span::styled(text, Style::default().fg(color))).right_aligned())
        .render(message, buf);
}

fn num_label<'a>(v: f64) -> Span<'a> {
    Span::raw(format!("{v:.2}"))
}

/// The reference curves the chart draws: the sweep's one description, over its rates.
pub fn reference_curves(state: &SweepState) -> Vec<Curve> {
    let (lo, hi) = state.rate_range();
    state.curves.curves(lo, hi)
}

/// The colour of each kind of reference curve.
fn curve_color(kind: CurveKind, theme: &Theme) -> ratatui::style::Color {
    match kind {
        CurveKind::Limit => theme.limit,
        CurveKind::Construction => theme.best,
        CurveKind::Isotropic => theme.isotropic,
        CurveKind::Pca => theme.pca,
        CurveKind::Shannon => theme.shannon,
    }
}

fn render_curve(state: &SweepState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let (lo, hi) = state.rate_range();
    let curves = reference_curves(state);
    let trained = trained_points(&state.rows());
    let means: Vec<(f64, f64)> = trained.iter().map(|p| (p.r, p.mean)).collect();
    // One vertical segment per rate: mean ± one standard error across its seeds.
    let bars: Vec<[(f64, f64); 2]> = trained
        .iter()
        .filter(|p| p.se.is_finite() && p.se > 0.0)
        .map(|p| [(p.r, p.mean - p.se), (p.r, p.mean + p.se)])
        .collect();
    let selected: Vec<(f64, f64)> = state
        .selected_run()
        .and_then(|e| e.shown().map(|l| (e.point.rate, l.risk)))
        .filter(|p| p.1.is_finite())
        .into_iter()
        .collect();
    // Risks are normalized (1 = reconstructs nothing), so 0..1 holds every curve; a run above
    // 1 (diverging) widens it.
    let y_hi = bars
        .iter()
        .map(|b| b[1].1)
        .chain(means.iter().map(|p| p.1))
        .chain(selected.iter().map(|p| p.1))
        .fold(1.0_f64, f64::max)
        .min(10.0);
    let mut datasets: Vec<Dataset> = curves
        .iter()
        .map(|c| line(&c.short_label, &c.points, curve_color(c.kind, theme), theme))
        .collect();
    let seeds = trained.iter().map(|p| p.runs).max().unwrap_or(0);
    for b in &bars {
        datasets.push(
            Dataset::default()
                .marker(theme.marker)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(theme.risk))
                .data(b),
        );
    }
    datasets.push(
        Dataset::default()
            .name(if seeds > 1 {
                "runs: mean ± s.e."
            } else {
                "runs"
            })
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(Style::default().fg(theme.risk).add_modifier(Modifier::BOLD))
            .data(&means),
    );
    datasets.push(
        Dataset::default()
            .name("selected run")
            .marker(Marker::Block)
            .graph_type(GraphType::Scatter)
            .style(Style::default().fg(theme.cursor))
            .data(&selected),
    );
    let title = format!(" {} · risk against r ", state.title);
    let chart = Chart::new(datasets)
        .block(
            block(&title, theme).title_bottom(
                Line::from(Span::styled(
                    format!(" {X_TITLE} "),
                    Style::default().fg(theme.dim),
                ))
                .right_aligned(),
            ),
        )
        .x_axis(
            Axis::default()
                .style(Style::default().fg(theme.dim))
                .bounds([lo, hi])
                .labels([
                    num_label(lo),
                    num_label(f64::midpoint(lo, hi)),
                    num_label(hi),
                ]),
        )
        .y_axis(
            Axis::default()
                .style(Style::default().fg(theme.dim))
                .bounds([0.0, y_hi])
                .labels([num_label(0.0), num_label(y_hi / 2.0), num_label(y_hi)]),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopRight))
        // Generous: a long label (water-filling) must not hide the legend of an 80-column screen.
        .hidden_legend_constraints((Constraint::Percentage(70), Constraint::Percentage(70)));
    chart.render(area, buf);
}

fn line<'a>(
    name: &'a str,
    data: &'a [(f64, f64)],
    color: ratatui::style::Color,
    theme: &Theme,
) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(theme.marker)
        .graph_type(GraphType::Line)
        .style(Style::default().fg(color))
        .data(data)
}

/// Below this width the list drops its gap column, so the chart keeps room for its legend.
const FULL_LIST_FROM: u16 = 100;

/// The list's width: every column, or without the gap on narrow terminals.
fn list_width(width: u16) -> u16 {
    if width < FULL_LIST_FROM { 41 } else { 50 }
}

fn render_list(state: &SweepState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let full = area.width >= list_width(FULL_LIST_FROM);
    let state_style = |s: &RunState| match s {
        RunState::Running => Style::default().fg(theme.ok),
        RunState::Queued => Style::default().fg(theme.dim),
        RunState::Finished(stop) if stop.is_result() => Style::default(),
        _ => Style::default().fg(theme.error),
    };
    let rows = state.runs.iter().map(|e: &RunEntry| {
        let shown: Option<Latest> = e.shown();
        let mut cells = vec![
            Cell::from(format!("{}", e.point.rate)),
            Cell::from(format!("{}", e.point.seed)),
            Cell::from(e.state.label()).style(state_style(&e.state)),
            Cell::from(shown.map_or_else(|| "–".to_string(), |l| l.step.to_string())),
            Cell::from(human::fixed_opt(shown.map(|l| l.risk), 5)),
        ];
        if full {
            cells.push(Cell::from(human::signed_opt(shown.map(|l| l.gap), 5)));
        }
        Row::new(cells)
    });
    let header = ["r", "seed", "state", "step", "risk", "gap"];
    let columns = if full { 6 } else { 5 };
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(4),
            Constraint::Length(11),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(8),
        ]
        .into_iter()
        .take(columns),
    )
    .header(
        Row::new(header.into_iter().take(columns))
            .style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD)),
    )
    .block(block(" runs ", theme))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
    .highlight_symbol("▶");
    let mut ts = TableState::default().with_selected(Some(state.selected));
    StatefulWidget::render(table, area, buf, &mut ts);
}

/// One run's header (step, risk, limit, gap, state) over its risk against step, read from its
/// record and drawn by the shared risk chart.
fn render_live(
    live: &super::state::LiveRun,
    entry: &RunEntry,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let [head, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let title = format!(" run r = {} · seed {} ", entry.point.rate, entry.point.seed);
    let tail = &live.tail;
    let last = tail.reports.last();
    let stop = match (&tail.summary, &entry.state) {
        (_, RunState::Finished(_) | RunState::Failed(_)) => entry.state.label().to_string(),
        (Some(s), _) => s.reason.clone(),
        (None, s) => s.label().to_string(),
    };
    let (step, risk, limit, gap) = match (&tail.summary, last) {
        (Some(s), _) => (Some(s.steps), Some(s.risk), Some(s.limit), Some(s.gap)),
        (None, Some(r)) => (Some(r.step), Some(r.risk), Some(r.limit), Some(r.gap)),
        (None, None) => (None, None, None, None),
    };
    let header = format!(
        "step {} · risk {} · limit {} · gap {} · {stop}",
        step.map_or_else(|| "–".into(), |s| s.to_string()),
        human::fixed_opt(risk, 5),
        human::fixed_opt(limit, 5),
        human::signed_opt(gap, 5),
    );
    Paragraph::new(header)
        .block(block(&title, theme))
        .render(head, buf);
    let message = if entry.record.is_none() {
        Some("no record for this run".to_string())
    } else if let Some(e) = &live.error {
        Some(e.clone())
    } else if tail.reports.is_empty() {
        Some("waiting for the first report line of the record…".to_string())
    } else {
        None
    };
    if let Some(m) = message {
        Paragraph::new(m)
            .style(Style::default().fg(theme.dim))
            .block(block(" risk against step ", theme))
            .render(body, buf);
        return;
    }
    let label = entry
        .row
        .as_ref()
        .map_or("limit", |r| r.limit_label.as_str());
    let mut series = Histories::new(label);
    for r in &tail.reports {
        let x = r.step as f64;
        if let Some(loss) = r.loss.filter(|l| l.is_finite()) {
            series.loss.push(Point::single(x, loss));
        }
        series.risk.push(Point::single(x, r.risk));
        series.limit.set(x, r.limit);
    }
    // The record's loss is already the run's moving average: drawn as it is.
    let view = ViewSettings::new(0.0);
    RiskChart {
        series: &series,
        view: &view,
        step: last.map(|r| r.step),
        risk_kind: None,
        status: None,
        events: None,
        theme,
    }
    .render(body, buf);
}
