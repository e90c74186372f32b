//! Drawing the sweep view: risk against r with the theory curves and the finished runs as
//! points, a progress gauge with the ETA, and the list of runs; or, when one is opened, that
//! run's risk against step from its record.

use super::keys::SWEEP_KEYS;
use super::state::{RunEntry, RunState, SweepState};
use crate::human;
use crate::sweep::curves::{Curve, CurveKind};
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
    status_line(state, theme).render(status, buf);
    if let Some(live) = &state.live {
        let entry = state.runs.get(live.run);
        render_live(state, entry, theme, top, buf);
        return;
    }
    let [chart, list] =
        Layout::horizontal([Constraint::Min(40), Constraint::Length(50)]).areas(top);
    render_curve(state, theme, chart, buf);
    render_list(state, theme, list, buf);
}

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
    let mut label = format!("{done}/{total} runs");
    if let Some(p) = state.progress {
        let _ = write!(label, " · elapsed {}", human::duration(p.elapsed));
    }
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

fn status_line<'a>(state: &SweepState, theme: &Theme) -> Paragraph<'a> {
    let hints = SWEEP_KEYS.hints(state.screen());
    let last = hints.len().saturating_sub(1);
    let mut spans = Vec::new();
    for (i, h) in hints.iter().enumerate() {
        let gap = if i < last { "  " } else { "" };
        spans.push(Span::styled(h.keys, Style::default().fg(theme.key)));
        spans.push(Span::styled(
            format!(" {}{gap}", h.word),
            Style::default().fg(theme.dim),
        ));
    }
    if state.cancelling {
        spans.push(Span::styled(
            "  cancelling: runs are writing their summaries…",
            Style::default().fg(theme.warn),
        ));
    } else if state.done {
        spans.push(Span::styled(
            "  sweep finished",
            Style::default().fg(theme.ok),
        ));
    } else if let Some(w) = &state.last_warning {
        spans.push(Span::styled(
            format!("  warning {w}"),
            Style::default().fg(theme.warn),
        ));
    }
    Paragraph::new(Line::from(spans))
}

fn num_label<'a>(v: f64) -> Span<'a> {
    Span::raw(format!("{v:.2}"))
}

/// The reference curves the chart draws: the sweep's one description, over its rates.
pub fn reference_curves(state: &SweepState) -> Vec<Curve> {
    let (lo, hi) = state.rate_range();
    state.curves.curves(lo, hi)
}

fn render_curve(state: &SweepState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let (lo, hi) = state.rate_range();
    let curves = reference_curves(state);
    let points = state.points();
    let selected: Vec<(f64, f64)> = state
        .selected_run()
        .and_then(|e| e.row.as_ref())
        .filter(|r| r.risk.is_finite())
        .map(|r| vec![(r.r, r.risk)])
        .unwrap_or_default();
    // Risks are normalized (1 = reconstructs nothing), so 0..1 holds every curve; a run above
    // 1 (diverging) widens it.
    let y_hi = points.iter().map(|p| p.1).fold(1.0_f64, f64::max).min(10.0);
    let mut datasets: Vec<Dataset> = curves
        .iter()
        .map(|c| {
            let color = match c.kind {
                CurveKind::Limit => theme.limit,
                CurveKind::Construction => theme.best,
                CurveKind::Isotropic => theme.isotropic,
                CurveKind::Pca => theme.pca,
                CurveKind::Shannon => theme.shannon,
            };
            line(&c.short_label, &c.points, color, theme)
        })
        .collect();
    datasets.push(
        Dataset::default()
            .name("runs")
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(Style::default().fg(theme.risk).add_modifier(Modifier::BOLD))
            .data(&points),
    );
    datasets.push(
        Dataset::default()
            .name("selected")
            .marker(Marker::Block)
            .graph_type(GraphType::Scatter)
            .style(Style::default().fg(theme.key))
            .data(&selected),
    );
    let title = format!(" {} · risk against r ", state.title);
    let chart = Chart::new(datasets)
        .block(block(&title, theme))
        .x_axis(
            Axis::default()
                .title("rate r = n/d")
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
                .title("risk")
                .style(Style::default().fg(theme.dim))
                .bounds([0.0, y_hi])
                .labels([num_label(0.0), num_label(y_hi / 2.0), num_label(y_hi)]),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(60)));
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

fn render_list(state: &SweepState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let state_style = |s: &RunState| match s {
        RunState::Running => Style::default().fg(theme.ok),
        RunState::Queued => Style::default().fg(theme.dim),
        RunState::Finished(stop) if stop.is_result() => Style::default(),
        _ => Style::default().fg(theme.error),
    };
    let rows = state.runs.iter().map(|e: &RunEntry| {
        let row = e.row.as_ref();
        Row::new(vec![
            Cell::from(format!("{}", e.point.rate)),
            Cell::from(format!("{}", e.point.seed)),
            Cell::from(e.state.label()).style(state_style(&e.state)),
            Cell::from(human::fixed_opt(row.map(|r| r.risk), 5)),
            Cell::from(human::signed_opt(row.map(|r| r.gap), 5)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(11),
            Constraint::Length(9),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new(vec!["r", "seed", "state", "risk", "gap"])
            .style(Style::default().fg(theme.dim).add_modifier(Modifier::BOLD)),
    )
    .block(block(" runs ", theme))
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
    .highlight_symbol("▶");
    let mut ts = TableState::default().with_selected(Some(state.selected));
    StatefulWidget::render(table, area, buf, &mut ts);
}

#[allow(
    clippy::too_many_lines,
    reason = "being turned into a panel widget (issue 11 item 3)"
)]
fn render_live(
    state: &SweepState,
    entry: Option<&RunEntry>,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let [head, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let Some(entry) = entry else {
        return;
    };
    let title = format!(" run r = {} · seed {} ", entry.point.rate, entry.point.seed);
    let Some(live) = &state.live else {
        return;
    };
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
    let risk: Vec<(f64, f64)> = tail
        .reports
        .iter()
        .filter(|r| r.risk.is_finite())
        .map(|r| (r.step as f64, r.risk))
        .collect();
    let x_hi = risk.last().map_or(1.0, |p| p.0).max(1.0);
    let lim = tail
        .reports
        .last()
        .map(|r| r.limit)
        .filter(|l| l.is_finite());
    let limit_line: Vec<(f64, f64)> = lim.map_or_else(Vec::new, |l| vec![(0.0, l), (x_hi, l)]);
    let ys = risk.iter().map(|p| p.1).chain(lim);
    let y_lo = ys.clone().fold(f64::INFINITY, f64::min);
    let y_hi = ys.fold(f64::NEG_INFINITY, f64::max);
    let pad = ((y_hi - y_lo) * 0.05).max(1e-9);
    let (y_lo, y_hi) = if y_lo.is_finite() && y_hi.is_finite() {
        ((y_lo - pad).max(0.0), y_hi + pad)
    } else {
        (0.0, 1.0)
    };
    let datasets = vec![
        Dataset::default()
            .name("risk")
            .marker(theme.marker)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.risk))
            .data(&risk),
        Dataset::default()
            .name("limit")
            .marker(theme.marker)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.limit))
            .data(&limit_line),
    ];
    Chart::new(datasets)
        .block(block(" risk against step ", theme))
        .x_axis(
            Axis::default()
                .title("step")
                .style(Style::default().fg(theme.dim))
                .bounds([0.0, x_hi])
                .labels([Span::raw("0"), Span::raw(format!("{x_hi:.0}"))]),
        )
        .y_axis(
            Axis::default()
                .title("risk")
                .style(Style::default().fg(theme.dim))
                .bounds([y_lo, y_hi])
                .labels([
                    Span::raw(format!("{y_lo:.4}")),
                    Span::raw(format!("{y_hi:.4}")),
                ]),
        )
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(60)))
        .render(body, buf);
}
