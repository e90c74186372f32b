//! The risk chart: the smoothed minibatch loss, the evaluated risk, and the reference lines
//! (the activation's limit, its finite-d approximation, PCA, Shannon, R*(B)) as step functions
//! of the training step, each labelled with its current value; or (g) the gap chart, log10 of
//! |risk − limit| and |R*(B) − limit|, negative gaps marked `×`. Reference lines are drawn
//! last, with their own glyph, so no data hides them. The last message is in the bottom
//! border.

use super::cursor::{Readout, ReadoutBox};
use super::theme::Theme;
use crate::human;
use crate::protocol::RiskKind;
use crate::ui::event_log::{EventKind, EventLog};
use crate::ui::history::{Histories, HistoryView, Point, Series, StepLine, smooth};
use crate::ui::view::{ChartMode, ViewSettings, ZOOM_WINDOW};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Widget};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A one-line message about the last thing that happened (saved, exported, an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The message.
    pub text: String,
    /// Shown in the error colour.
    pub error: bool,
}

impl Status {
    /// Good news.
    pub fn info(text: impl Into<String>) -> Status {
        Status {
            text: text.into(),
            error: false,
        }
    }

    /// Something failed.
    pub fn error(text: impl Into<String>) -> Status {
        Status {
            text: text.into(),
            error: true,
        }
    }
}

/// The risk panel over the series it draws.
#[derive(Debug, Clone, Copy)]
pub struct RiskChart<'a> {
    /// The series and reference lines.
    pub series: &'a Histories,
    /// Log axis, history window, smoothing.
    pub view: &'a ViewSettings,
    /// The run's current step; None before the first metrics (the panel says it waits).
    pub step: Option<u64>,
    /// What the evaluated risk is, for the legend.
    pub risk_kind: Option<&'a RiskKind>,
    /// The message in the bottom border.
    pub status: Option<&'a Status>,
    /// Changes ticked on the step axis (r, activation, optimizer, decoder, lr, reset,
    /// resume, divergence).
    pub events: Option<&'a EventLog>,
    /// Colours and marker.
    pub theme: &'a Theme,
}

/// Glyph of a reference line (a theorem, bound or construction): drawn over the data.
const REF_GLYPH: char = '─';
/// Glyph of an approximation's line (the finite-d values).
const APPROX_GLYPH: char = '╌';
/// Glyph of a compared run's own limit (`--compare`), in that run's colour.
const COMPARED_GLYPH: char = '┄';
/// Most rows the compared runs' legend takes.
const MAX_LEGEND_ROWS: usize = 3;
/// Glyph of a risk changing with the step at a reference line's change.
const RISER_GLYPH: char = '│';
/// Marker of a negative gap (the value below the limit), drawn at |gap|.
pub const BELOW_GLYPH: char = '×';
/// Glyph of the cursor's column.
pub const CURSOR_GLYPH: char = '┊';
/// The smallest |gap| the log axis shows: rounding of an exact risk (1e-16) sits here.
const GAP_FLOOR: f64 = 1e-12;

/// A reference line ready to draw: its label, and its points in axis coordinates.
struct RefLine {
    /// Name and current value, as the label shows them.
    text: String,
    /// Where the label goes (axis coordinates), None when not on this axis.
    at: Option<f64>,
    color: Color,
    points: Vec<(f64, f64)>,
    /// Drawn over the data with this glyph; None: drawn as a curve (R*(B)), labelled only.
    glyph: Option<char>,
    bold: bool,
    /// Kept on screen when the value axis is zoomed.
    anchor: bool,
}

/// Labels (no line of their own) at the last value of the curves that carry one: R*(B), the
/// training-subset risk and the Gaussian twin's exact risk.
fn curve_labels(
    series: &Histories,
    theme: &Theme,
    ty: impl Fn(f64) -> Option<f64>,
) -> Vec<RefLine> {
    [
        (&series.best, "R*(B)", theme.best),
        (&series.train, "train", theme.train),
        (&series.twin, "Gaussian twin", theme.twin),
    ]
    .into_iter()
    .filter_map(|(s, name, color)| {
        s.last().map(|b| RefLine {
            text: format!("{name} {}", human::risk(b.y)),
            at: ty(b.y),
            color,
            points: Vec::new(),
            glyph: None,
            bold: false,
            anchor: false,
        })
    })
    .collect()
}

/// A measured series: drawn by the chart, under the reference lines.
struct Curve {
    points: Vec<(f64, f64)>,
    color: Color,
    graph: GraphType,
    marker: Marker,
}

/// Points drawn as a glyph of their own after the curves (negative gaps).
struct Marks {
    points: Vec<(f64, f64)>,
    color: Color,
}

/// What the chart draws: the step range, the axis kind and everything on it.
struct Curves {
    x_lo: f64,
    x_hi: f64,
    log: bool,
    lines: Vec<Curve>,
    marks: Vec<Marks>,
    refs: Vec<RefLine>,
}

impl Widget for RiskChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let (title, view) = self.titles(area.width.saturating_sub(2) as usize);
        let block = Block::bordered()
            .border_style(theme.border_style())
            .title(title)
            .title(view.right_aligned())
            .title_bottom(status_line(
                self.status,
                theme,
                area.width.saturating_sub(2) as usize,
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let (legend, inner) = self.split_legend(inner);
        for (i, line) in legend.iter().enumerate() {
            buf.set_line(
                inner.x,
                inner.y - (legend.len() - i) as u16,
                line,
                inner.width,
            );
        }
        let Some(step) = self.step else {
            Paragraph::new("waiting for the first metrics…")
                .style(Style::default().fg(theme.dim))
                .render(inner, buf);
            return;
        };
        if inner.width < 20 || inner.height < 5 {
            return;
        }
        self.draw_chart(step, inner, buf);
    }
}

impl RiskChart<'_> {
    /// The legend (left) and the view (right) of the top border, in the longest forms that
    /// fit side by side in `width` cells.
    fn titles(&self, width: usize) -> (Line<'static>, Line<'static>) {
        let theme = self.theme;
        let kind = self.risk_kind.map_or_else(
            || "risk".to_string(),
            |k| match k {
                RiskKind::Exact => "exact risk".to_string(),
                RiskKind::Validation { samples } => format!("val risk ({samples})"),
            },
        );
        let smoothing = match self.view.smoothing() {
            0.0 => "raw".to_string(),
            b => format!("EMA {b}"),
        };
        let gap = self.view.chart == ChartMode::Gap;
        // Three lengths: title and full names, full names, short names.
        let legend = |level: u8| {
            let mut spans = Vec::new();
            let title = if gap { " Gap to the limit " } else { " Risk " };
            if level == 0 {
                spans.push(Span::styled(title, theme.title_style()));
            } else {
                spans.push(Span::raw(" "));
            }
            let risk = if level < 2 { kind.as_str() } else { "risk" };
            if gap {
                spans.push(Span::styled(
                    format!("• {risk} "),
                    Style::default().fg(theme.risk),
                ));
                spans.push(Span::styled("• R*(B) ", Style::default().fg(theme.best)));
                spans.push(Span::styled(
                    format!("{BELOW_GLYPH} below "),
                    Style::default().fg(theme.dim),
                ));
            } else {
                spans.push(Span::styled(
                    format!("━ loss {smoothing} "),
                    Style::default().fg(theme.loss),
                ));
                spans.push(Span::styled(
                    format!("• {risk} "),
                    Style::default().fg(theme.risk),
                ));
                if self.series.train.last().is_some() {
                    spans.push(Span::styled("━ train ", Style::default().fg(theme.train)));
                }
                if self.series.twin.last().is_some() {
                    spans.push(Span::styled(
                        "━ Gaussian twin ",
                        Style::default().fg(theme.twin),
                    ));
                }
            }
            Line::from(spans)
        };
        let scale = match (gap, self.view.log_scale) {
            (true, _) => " · |gap| log",
            (false, true) => " · log",
            (false, false) => "",
        };
        let zoom = match (self.view.zoom, self.view.steps.is_some()) {
            (true, true) => " · zoom · steps zoom",
            (true, false) => " · zoom",
            (false, true) => " · steps zoom",
            (false, false) => "",
        };
        let axis = if self.view.samples_axis {
            " · samples"
        } else {
            ""
        };
        let view = |long: bool| {
            let v = match (self.view.history, long) {
                (HistoryView::Full, true) => "full history",
                (HistoryView::Recent, true) => "recent window",
                (HistoryView::Full, false) => "full",
                (HistoryView::Recent, false) => "recent",
            };
            Line::styled(
                format!(" {v}{scale}{zoom}{axis} "),
                Style::default().fg(theme.dim),
            )
        };
        let candidates = [
            (legend(0), view(true)),
            (legend(1), view(true)),
            (legend(1), view(false)),
            (legend(2), view(false)),
        ];
        let fits = |(l, v): &(Line, Line)| l.width() + v.width() < width;
        let chosen = candidates.iter().position(fits).unwrap_or(3);
        candidates
            .into_iter()
            .nth(chosen)
            .unwrap_or_else(|| (legend(2), view(false)))
    }

    /// The compared runs' legend (at most [`MAX_LEGEND_ROWS`] rows at the top of `inner`,
    /// entries that do not fit summed up as `+k more`) and the area left for the chart.
    fn split_legend(&self, inner: Rect) -> (Vec<Line<'static>>, Rect) {
        let compared = &self.series.compared;
        if compared.is_empty() || inner.height < 8 {
            return (Vec::new(), inner);
        }
        let theme = self.theme;
        let live_limit = self.series.limit.last();
        let entries: Vec<Span<'static>> = compared
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut text = format!("━ #{} {} r={:.2} {}", i + 1, c.preset, c.r, c.activation);
                if let Some(l) = c.last_limit().filter(|&l| own_limit(l, live_limit)) {
                    let _ = write!(text, " limit {}", human::risk(l));
                }
                if self.view.samples_axis && c.batch != self.series.batch {
                    let _ = write!(text, " batch {}", c.batch);
                }
                text.push(' ');
                Span::styled(text, Style::default().fg(theme.compared_color(i)))
            })
            .collect();
        let width = usize::from(inner.width);
        let mut rows: Vec<Vec<Span<'static>>> = vec![vec![Span::raw(" ")]];
        let mut used = 1;
        let mut shown = 0;
        for e in &entries {
            let w = e.width() + 1;
            if used + w > width && used > 1 {
                if rows.len() == MAX_LEGEND_ROWS {
                    break;
                }
                rows.push(vec![Span::raw(" ")]);
                used = 1;
            }
            if let Some(row) = rows.last_mut() {
                row.push(e.clone());
                row.push(Span::raw(" "));
            }
            used += w;
            shown += 1;
        }
        if shown < entries.len()
            && let Some(row) = rows.last_mut()
        {
            row.push(Span::styled(
                format!("+{} more", entries.len() - shown),
                Style::default().fg(theme.dim),
            ));
        }
        let n = rows.len() as u16;
        let rest = Rect {
            y: inner.y + n,
            height: inner.height - n,
            ..inner
        };
        (rows.into_iter().map(Line::from).collect(), rest)
    }

    /// Where everything goes: the curves, the axes' ranges and labels, and the graph's cells.
    fn frame(&self, step: u64, inner: Rect) -> Frame {
        let c = match self.view.chart {
            ChartMode::Risk => self.curves(step),
            ChartMode::Gap => self.gap_curves(step),
        };
        let log = c.log;
        // Zoomed: the last window of the data and the anchored lines (the limit) only.
        let from = if self.view.zoom {
            c.x_hi - ZOOM_WINDOW * (c.x_hi - c.x_lo)
        } else {
            c.x_lo
        };
        let ys = c
            .lines
            .iter()
            .map(|k| &k.points)
            .chain(c.marks.iter().map(|m| &m.points))
            .flat_map(|p| {
                p.iter()
                    .filter(|p| p.0 >= from && p.0 <= c.x_hi)
                    .map(|p| p.1)
            })
            .chain(
                c.refs
                    .iter()
                    .filter(|r| r.anchor || !self.view.zoom)
                    .flat_map(|r| {
                        r.points
                            .iter()
                            .filter(|p| p.0 >= from && p.0 <= c.x_hi)
                            .map(|p| p.1)
                    }),
            );
        let (y_lo, y_hi) = bounds(ys, log);
        let max_ticks = ((inner.height.saturating_sub(2)) / 4).clamp(2, 11) as usize;
        let (y_lo, y_hi, y_labels) = if log {
            log_axis(y_lo, y_hi, max_ticks)
        } else {
            let (lo, hi, n) = nice_axis(y_lo, y_hi, max_ticks);
            let labels = (0..n)
                .map(|i| tick(lo + (hi - lo) * i as f64 / (n - 1) as f64, hi - lo, n))
                .collect();
            (lo, hi, labels)
        };
        let (x_lo, x_hi) = (c.x_lo, c.x_hi);
        let x_labels: Vec<String> = [x_lo, f64::midpoint(x_lo, x_hi), x_hi]
            .iter()
            .map(|&x| {
                if self.view.samples_axis {
                    human::step_axis(x * self.series.batch)
                } else {
                    human::step_axis(x)
                }
            })
            .collect();
        let graph = graph_area(
            inner,
            y_labels
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0) as u16,
            x_labels.first().map_or(0, |l| l.chars().count()) as u16,
        );
        let plot = Plot {
            graph,
            x: (x_lo, x_hi),
            y: (y_lo, y_hi),
            marker: self.theme.marker,
        };
        Frame {
            curves: c,
            plot,
            y_labels,
            x_labels,
        }
    }

    /// The graph's cells and the steps they span in `area` (the whole panel), for the mouse;
    /// None while nothing is drawn.
    pub fn geometry(&self, area: Rect) -> Option<Geometry> {
        let (_, inner) = self.split_legend(Block::bordered().inner(area));
        let step = self.step?;
        if inner.width < 20 || inner.height < 5 {
            return None;
        }
        let f = self.frame(step, inner);
        Some(Geometry {
            graph: f.plot.graph,
            steps: f.plot.x,
            marker: f.plot.marker,
        })
    }

    fn draw_chart(&self, step: u64, inner: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Frame {
            curves: c,
            plot,
            y_labels,
            x_labels,
        } = self.frame(step, inner);
        let datasets: Vec<Dataset> = c
            .lines
            .iter()
            .map(|k| {
                Dataset::default()
                    .data(&k.points)
                    .graph_type(k.graph)
                    .marker(k.marker)
                    .style(Style::default().fg(k.color))
            })
            .collect();
        let axis_style = Style::default().fg(theme.border);
        Chart::new(datasets)
            .x_axis(
                Axis::default()
                    .bounds([plot.x.0, plot.x.1])
                    .labels(x_labels.into_iter().map(Span::raw).collect::<Vec<_>>())
                    .style(axis_style),
            )
            .y_axis(
                Axis::default()
                    .bounds([plot.y.0, plot.y.1])
                    .labels(y_labels.into_iter().map(Span::raw).collect::<Vec<_>>())
                    .style(axis_style),
            )
            .render(inner, buf);

        for m in &c.marks {
            let style = Style::default().fg(m.color).add_modifier(Modifier::BOLD);
            for &(x, y) in &m.points {
                if let Some(cell) = plot.cell(x, y) {
                    buf[cell].set_char(BELOW_GLYPH).set_style(style);
                }
            }
        }
        let cursor_col = self.view.cursor.and_then(|x| plot.col(x));
        if let Some(col) = cursor_col {
            draw_cursor(col, plot.graph, theme, buf);
        }
        draw_refs(&c.refs, &plot, buf);
        label_lines(&c.refs, &plot, buf);
        if let Some(log) = self.events {
            draw_ticks(log, &plot, theme, buf);
        }
        if let Some(x) = self.view.cursor {
            let readout = Readout::at(self.series, self.view, x);
            ReadoutBox {
                readout: &readout,
                column: cursor_col,
                theme,
            }
            .render(plot.graph, buf);
        }
    }

    /// The step range on screen and every curve in it (log10 values on a log axis).
    fn curves(&self, step: u64) -> Curves {
        let (theme, series) = (self.theme, self.series);
        let log = self.view.log_scale;
        let ty = |y: f64| -> Option<f64> {
            if !y.is_finite() {
                None
            } else if log {
                (y > 0.0).then(|| y.log10())
            } else {
                Some(y)
            }
        };
        let transform = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            pts.iter()
                .filter_map(|&(x, y)| ty(y).map(|y| (x, y)))
                .collect()
        };
        let (x_lo, x_hi) = self.x_range(step);
        let view = self.view.history;
        let loss_pts = series.loss.points(view);
        let mut loss = transform(&smooth(&loss_pts, self.view.smoothing()));
        loss.retain(|p| p.0 >= x_lo && p.0 <= x_hi);
        // One point per report: every report, whatever the history view.
        let per_report =
            |s: &Series| transform(&in_range(&s.points(HistoryView::Full), x_lo, x_hi));
        let (risk, train, twin) = (
            per_report(&series.risk),
            per_report(&series.train),
            per_report(&series.twin),
        );
        let best = transform(&in_range(&series.best.points(view), x_lo, x_hi));

        let mut refs: Vec<RefLine> = Vec::new();
        let mut add = |line: &StepLine, label: &str, color: Color, glyph: char, anchor: bool| {
            if let Some(v) = line.last().filter(|v| v.is_finite()) {
                refs.push(RefLine {
                    text: format!("{label} {}", human::risk(v)),
                    at: ty(v),
                    color,
                    points: transform(&line.polyline(x_lo, x_hi)),
                    glyph: Some(glyph),
                    bold: anchor,
                    anchor,
                });
            }
        };
        add(
            &series.limit,
            &series.limit_label,
            theme.limit,
            REF_GLYPH,
            true,
        );
        add(
            &series.finite_d,
            &series.finite_d_label,
            theme.limit,
            APPROX_GLYPH,
            true,
        );
        add(&series.pca, "PCA", theme.pca, REF_GLYPH, false);
        add(
            &series.shannon,
            "Shannon D(r)",
            theme.shannon,
            REF_GLYPH,
            false,
        );
        refs.extend(curve_labels(series, theme, ty));
        let line = |points, color| Curve {
            points,
            color,
            graph: GraphType::Line,
            marker: theme.marker,
        };
        let (mut lines, compared_limits) = self.compared_curves(x_lo, x_hi, &ty);
        refs.extend(compared_limits);
        lines.extend([
            line(best, theme.best),
            line(train, theme.train),
            line(twin, theme.twin),
            line(loss, theme.loss),
            Curve {
                points: risk,
                color: theme.risk,
                graph: GraphType::Scatter,
                marker: Marker::Dot,
            },
        ]);
        Curves {
            x_lo,
            x_hi,
            log,
            lines,
            marks: Vec::new(),
            refs,
        }
    }

    /// The compared runs' risk curves and, where a run's limit differs from the live one,
    /// that limit as a dotted reference line; `ty` maps a value onto the axis.
    fn compared_curves(
        &self,
        x_lo: f64,
        x_hi: f64,
        ty: &dyn Fn(f64) -> Option<f64>,
    ) -> (Vec<Curve>, Vec<RefLine>) {
        let (theme, series) = (self.theme, self.series);
        let samples = self.view.samples_axis;
        let transform = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            pts.iter()
                .filter_map(|&(x, y)| ty(y).map(|y| (x, y)))
                .collect()
        };
        let mut lines = Vec::new();
        let mut refs = Vec::new();
        for (i, c) in series.compared.iter().enumerate() {
            let color = theme.compared_color(i);
            let pts: Vec<(f64, f64)> = c
                .points
                .iter()
                .map(|p| (c.x(p.step, samples, series.batch), p.risk))
                .filter(|p| p.0 >= x_lo && p.0 <= x_hi)
                .collect();
            lines.push(Curve {
                points: transform(&pts),
                color,
                graph: GraphType::Line,
                marker: theme.marker,
            });
            if let Some(l) = c
                .last_limit()
                .filter(|&l| own_limit(l, series.limit.last()))
            {
                // The limit held for that run up to its last report, not beyond.
                let f = c.x(1.0, samples, series.batch);
                let end = c.points.last().map_or(x_hi / f, |p| p.step.min(x_hi / f));
                let held = if end >= x_lo / f {
                    c.limit.polyline(x_lo / f, end)
                } else {
                    Vec::new()
                };
                let polyline: Vec<(f64, f64)> = held
                    .into_iter()
                    .map(|(x, v)| ((x * f).clamp(x_lo, x_hi), v))
                    .collect();
                refs.push(RefLine {
                    text: format!("#{} limit {}", i + 1, human::risk(l)),
                    at: ty(l),
                    color,
                    points: transform(&polyline),
                    glyph: Some(COMPARED_GLYPH),
                    bold: false,
                    anchor: false,
                });
            }
        }
        (lines, refs)
    }

    /// The gap chart: log10 |value − limit| of the risk and of R*(B), negative gaps as marks,
    /// and the finite-d value's gap as an approximation's line.
    fn gap_curves(&self, step: u64) -> Curves {
        let (theme, series) = (self.theme, self.series);
        let (x_lo, x_hi) = self.x_range(step);
        let view = self.view.history;
        let lg = |g: f64| g.abs().max(GAP_FLOOR).log10();
        // Positive gaps as points of a curve, negative ones as marks at |gap|.
        let split = |points: &[Point]| -> [Vec<(f64, f64)>; 2] {
            let gaps = series.gaps(&in_range_points(points, x_lo, x_hi));
            let (above, below): (Vec<_>, Vec<_>) = gaps.into_iter().partition(|p| p.1 >= 0.0);
            let t = |v: Vec<(f64, f64)>| v.into_iter().map(|(x, g)| (x, lg(g))).collect();
            [t(above), t(below)]
        };
        let [risk, risk_below] = split(&series.risk.points(HistoryView::Full));
        let [best, best_below] = split(&series.best.points(view));
        let mut refs = Vec::new();
        if let Some(g) = series.finite_d_gap.last().filter(|g| g.is_finite()) {
            refs.push(RefLine {
                text: format!("{} {g:+.1e}", series.finite_d_label),
                at: Some(lg(g)),
                color: theme.limit,
                points: series
                    .finite_d_gap
                    .polyline(x_lo, x_hi)
                    .into_iter()
                    .filter(|p| p.1.is_finite())
                    .map(|(x, g)| (x, lg(g)))
                    .collect(),
                glyph: Some(APPROX_GLYPH),
                bold: true,
                anchor: true,
            });
        }
        let dots = |points, color, marker| Curve {
            points,
            color,
            graph: GraphType::Scatter,
            marker,
        };
        let mut lines = Vec::new();
        let mut marks = Vec::new();
        // Each compared run against its own limit, under the live run.
        let samples = self.view.samples_axis;
        for (i, c) in series.compared.iter().enumerate() {
            let color = theme.compared_color(i);
            let (above, below): (Vec<_>, Vec<_>) = c
                .points
                .iter()
                .map(|p| (c.x(p.step, samples, series.batch), p.gap()))
                .filter(|p| p.0 >= x_lo && p.0 <= x_hi && p.1.is_finite())
                .partition(|p| p.1 >= 0.0);
            let t = |v: Vec<(f64, f64)>| v.into_iter().map(|(x, g)| (x, lg(g))).collect();
            lines.push(dots(t(above), color, self.theme.marker));
            marks.push(Marks {
                points: t(below),
                color,
            });
        }
        lines.extend([
            dots(best, theme.best, self.theme.marker),
            dots(risk, theme.risk, Marker::Dot),
        ]);
        marks.extend([
            Marks {
                points: best_below,
                color: theme.best,
            },
            Marks {
                points: risk_below,
                color: theme.risk,
            },
        ]);
        Curves {
            x_lo,
            x_hi,
            log: true,
            lines,
            marks,
            refs,
        }
    }

    /// The steps on screen.
    fn x_range(&self, step: u64) -> (f64, f64) {
        visible_steps(self.series, self.view, step)
    }
}

/// The steps the chart shows at the run's step `step`: the whole run (up to the round step
/// above it, see [`axis_end`]) or the recent window, narrowed by the step zoom.
pub fn visible_steps(series: &Histories, view: &ViewSettings, step: u64) -> (f64, f64) {
    // The whole history also spans the compared runs, so a new run is seen against them.
    let end = (step as f64).max(series.compared_extent(view.samples_axis));
    let (x_lo, x_hi) = match view.history {
        // A step zoom that follows the run ends at its latest step.
        HistoryView::Full if view.steps.is_some() => (0.0, end),
        HistoryView::Full => (0.0, axis_end(end)),
        HistoryView::Recent => recent_axis(
            series
                .loss
                .points(HistoryView::Recent)
                .first()
                .map_or(0.0, |p| p.x - p.weight),
            step as f64,
        ),
    };
    view.step_range((x_lo, x_hi.max(x_lo + 1.0)))
}

/// Whether a compared run's limit `own` is drawn: when it differs from the live one.
fn own_limit(own: f64, live: Option<f64>) -> bool {
    live.is_none_or(|l| (own - l).abs() > 1e-9 * l.abs().max(1.0))
}

/// Round ends of the full-history step axis (times a power of 10).
const AXIS_ENDS: [f64; 9] = [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0];

/// The end of the full-history step axis at step `step`: the next round value (1, 1.5, 2, 3,
/// 4, 5, 6, 8 × 10^k) at or above it, at least 10. The axis jumps to the next one when the run
/// gets there instead of stretching every frame, so the curves already drawn stay on the
/// same cells and the terminal is sent only what is new; the run fills at least two thirds.
pub fn axis_end(step: f64) -> f64 {
    round_up(step.max(10.0))
}

/// The next round value (1, 1.5, 2, 3, 4, 5, 6, 8 × 10^k) at or above `x` > 0; 1 for
/// anything else.
pub fn round_up(x: f64) -> f64 {
    if !(x > 0.0 && x.is_finite()) {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor());
    AXIS_ENDS
        .iter()
        .map(|m| m * mag)
        .find(|&v| v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// The recent window's step axis when its points span steps `first..=step`: a round span of
/// at least 1.5 times theirs, ending on the first multiple of a quarter span at or after
/// `step`. Like an oscilloscope's sweep, it jumps a quarter span at a time instead of sliding
/// every frame, so the curves between two jumps stay on their cells (and cost the terminal
/// nothing); the window always fits, since the span left of `step` is at least 3/4 of it.
pub fn recent_axis(first: f64, step: f64) -> (f64, f64) {
    let span = round_up(1.5 * (step - first).max(1.0));
    let quarter = span / 4.0;
    let hi = (step / quarter).ceil() * quarter;
    ((hi - span).max(0.0), hi)
}

/// A vertical dotted line on column `col` of the graph; on cells with data the data stays and
/// the cell is highlighted, so the point under the cursor is still seen.
fn draw_cursor(col: u16, graph: Rect, theme: &Theme, buf: &mut Buffer) {
    for row in graph.top()..graph.bottom() {
        let cell = &mut buf[(col, row)];
        if cell.symbol() == " " {
            cell.set_char(CURSOR_GLYPH).set_fg(theme.cursor);
        } else {
            cell.set_bg(theme.border);
        }
    }
}

/// The graph of a drawn chart: its cells and the steps across them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// The plotting area.
    pub graph: Rect,
    /// First and last step on screen.
    pub steps: (f64, f64),
    /// The marker (Braille has two points a cell across).
    pub marker: Marker,
}

impl Geometry {
    /// The step drawn at terminal column `col` (the inverse of the chart's rounding); None
    /// outside the graph.
    pub fn step_at(&self, col: u16, row: u16) -> Option<f64> {
        let g = self.graph;
        if col < g.left() || col >= g.right() || row < g.top() || row >= g.bottom() {
            return None;
        }
        let per_cell = if self.marker == Marker::Braille {
            2.0
        } else {
            1.0
        };
        let res = f64::from(g.width) * per_cell;
        // The middle of the cell's pixels.
        let px = f64::from(col - g.left()) * per_cell + (per_cell - 1.0) / 2.0;
        let (lo, hi) = self.steps;
        Some(lo + px * (hi - lo) / (res - 1.0).max(1.0))
    }
}

/// Everything one frame of the chart draws, placed.
struct Frame {
    curves: Curves,
    plot: Plot,
    y_labels: Vec<String>,
    x_labels: Vec<String>,
}

/// The points with a step in [lo, hi], as (step, value).
fn in_range(points: &[Point], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    in_range_points(points, lo, hi)
        .iter()
        .map(|p| (p.x, p.y))
        .collect()
}

fn in_range_points(points: &[Point], lo: f64, hi: f64) -> Vec<Point> {
    points
        .iter()
        .filter(|p| p.x >= lo && p.x <= hi)
        .copied()
        .collect()
}

/// The graph's cells and its axes: where a value lands, with the canvas's rounding.
struct Plot {
    graph: Rect,
    x: (f64, f64),
    y: (f64, f64),
    marker: Marker,
}

impl Plot {
    fn row(&self, v: f64) -> Option<u16> {
        row_of(v, self.y.0, self.y.1, self.graph, self.marker)
    }

    fn col(&self, x: f64) -> Option<u16> {
        col_of(x, self.x.0, self.x.1, self.graph, self.marker)
    }

    fn cell(&self, x: f64, y: f64) -> Option<(u16, u16)> {
        Some((self.col(x)?, self.row(y)?))
    }
}

/// Draw the reference lines over everything else, each with its glyph: horizontal runs and
/// risers at their changes. Where lines share a cell (PCA and Shannon at r = 0.5) they take
/// turns along the row, so each stays visible in its colour.
fn draw_refs(refs: &[RefLine], plot: &Plot, buf: &mut Buffer) {
    let mut cells: BTreeMap<(u16, u16), Vec<(usize, char)>> = BTreeMap::new();
    for (i, r) in refs.iter().enumerate() {
        let Some(glyph) = r.glyph else {
            continue;
        };
        let mut put = |cell: (u16, u16), ch: char| {
            let v = cells.entry(cell).or_default();
            if !v.iter().any(|e| e.0 == i) {
                v.push((i, ch));
            }
        };
        for w in r.points.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            if y0 == y1 {
                let (Some(row), Some(a), Some(b)) = (plot.row(y0), plot.col(x0), plot.col(x1))
                else {
                    continue;
                };
                for col in a.min(b)..=a.max(b) {
                    put((col, row), glyph);
                }
            } else if let Some(col) = plot.col(x0) {
                let clamp = |v: f64| v.clamp(plot.y.0, plot.y.1);
                let (Some(a), Some(b)) = (plot.row(clamp(y0)), plot.row(clamp(y1))) else {
                    continue;
                };
                for row in a.min(b)..=a.max(b) {
                    put((col, row), RISER_GLYPH);
                }
            }
        }
    }
    for ((col, row), owners) in cells {
        let (i, ch) = owners[usize::from(col) % owners.len()];
        let r = &refs[i];
        let mut style = Style::default().fg(r.color);
        if r.bold {
            style = style.add_modifier(Modifier::BOLD);
        }
        buf[(col, row)].set_char(ch).set_style(style);
    }
}

/// What a message cut to fit the border ends with: the log has it in full.
const CUT: &str = "… (j: log)";

/// The last message (saved, exported, an error) in the panel's bottom border, `width` cells
/// at most: a longer one is cut and says where the whole text is.
pub fn status_line(status: Option<&Status>, theme: &Theme, width: usize) -> Line<'static> {
    match status {
        Some(s) => {
            let room = width.saturating_sub(2);
            let n = s.text.chars().count();
            let text = if n <= room {
                s.text.clone()
            } else {
                let keep = room.saturating_sub(CUT.chars().count());
                let mut t: String = s.text.chars().take(keep).collect();
                t.push_str(CUT);
                t
            };
            Line::from(Span::styled(
                format!(" {text} "),
                Style::default().fg(if s.error { theme.error } else { theme.ok }),
            ))
        }
        None => Line::default(),
    }
}

/// The log's changes as labelled ticks on the step axis's line, under the graph: a change
/// off screen is not drawn; two on one cell show the later.
fn draw_ticks(log: &EventLog, plot: &Plot, theme: &Theme, buf: &mut Buffer) {
    let row = plot.graph.bottom();
    if row >= buf.area.bottom() {
        return;
    }
    for (x, glyph, kind) in log.ticks() {
        let Some(col) = plot.col(x) else {
            continue;
        };
        let color = if kind == EventKind::Divergence {
            theme.error
        } else {
            theme.key
        };
        buf[(col, row)]
            .set_char(glyph)
            .set_style(Style::default().fg(color).add_modifier(Modifier::BOLD));
    }
}

/// Write each reference line's name and value on its row, at the left of the graph where the
/// curves are usually above the lines. Lines on the same row share one label (`PCA 0.5000 ·
/// Shannon D(r) 0.5000`, each in its colour); rows already taken push a label to a neighbour.
fn label_lines(refs: &[RefLine], plot: &Plot, buf: &mut Buffer) {
    let graph = plot.graph;
    let mut groups: Vec<(u16, Vec<Span<'static>>)> = Vec::new();
    for r in refs {
        let Some(want) = r.at.and_then(|v| plot.row(v)) else {
            continue;
        };
        let mut style = Style::default().fg(r.color);
        if r.bold {
            style = style.add_modifier(Modifier::BOLD);
        }
        let span = Span::styled(r.text.clone(), style);
        match groups.iter_mut().find(|g| g.0 == want) {
            Some(g) => g.1.push(span),
            None => groups.push((want, vec![span])),
        }
    }
    let x = graph.left() + 1;
    let width = graph.right().saturating_sub(x);
    let mut taken: Vec<u16> = Vec::new();
    for (want, items) in groups {
        let Some(mut spans) = fitting_label(items, usize::from(width)) else {
            continue;
        };
        let candidates = [0i32, -1, 1, -2, 2];
        let row = candidates
            .iter()
            .map(|d| i32::from(want) + d)
            .filter(|&y| y >= i32::from(graph.top()) && y < i32::from(graph.bottom()))
            .map(|y| y as u16)
            .find(|y| !taken.contains(y));
        let Some(row) = row else {
            continue;
        };
        taken.push(row);
        spans.insert(0, Span::raw(" "));
        spans.push(Span::raw(" "));
        buf.set_line(x, row, &Line::from(spans), width);
    }
}

/// The labels of one row joined by ` · ` within `width` cells (with a space either side):
/// as many whole labels as fit, a lone label too long for the row reduced to its value (the
/// colour says which line it is); None when not even that fits. A label is never cut inside
/// its number.
fn fitting_label(items: Vec<Span<'static>>, width: usize) -> Option<Vec<Span<'static>>> {
    let room = width.saturating_sub(2);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for item in items {
        let extra = item.width() + if spans.is_empty() { 0 } else { 3 };
        if used + extra > room {
            if spans.is_empty() {
                let value = item
                    .content
                    .rsplit(' ')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if value.chars().count() > room {
                    return None;
                }
                spans.push(Span::styled(value, item.style));
            }
            break;
        }
        if !spans.is_empty() {
            spans.push(Span::raw(" · "));
        }
        used += extra;
        spans.push(item);
    }
    Some(spans)
}

/// The terminal column the chart draws step `x` on (the same rounding as ratatui's canvas).
fn col_of(x: f64, lo: f64, hi: f64, graph: Rect, marker: Marker) -> Option<u16> {
    if !(x >= lo && x <= hi) || graph.width == 0 || hi <= lo {
        return None;
    }
    let per_cell = if marker == Marker::Braille { 2.0 } else { 1.0 };
    let res = f64::from(graph.width) * per_cell;
    let px = ((x - lo) * (res - 1.0) / (hi - lo)).round();
    Some(graph.left() + (px / per_cell) as u16)
}

/// A log10 axis with round ticks. Data within a decade gets doublings from the decade below it
/// (`0.4`, `0.8`, `1.6`: whole decades would leave it a sliver of the chart); otherwise a tick
/// every k decades (at most `max_ticks` ticks) down from the decade above the data, labelled
/// `1`, `1e-1`, `1e-2`, … (`10`, `1e2` above). The chart spaces ticks evenly, so they are a
/// geometric progression either way.
fn log_axis(lo: f64, hi: f64, max_ticks: usize) -> (f64, f64, Vec<String>) {
    if hi - lo < 1.0 {
        let decade = lo.floor();
        let octave = std::f64::consts::LOG10_2;
        let j0 = ((lo - decade) / octave).floor() as i32;
        let j1 = ((hi - decade) / octave).ceil() as i32;
        if j1 > j0 && usize::try_from(j1 - j0 + 1).is_ok_and(|n| n <= max_ticks.max(2)) {
            let labels = (j0..=j1)
                .map(|j| round_label(10f64.powf(decade) * 2f64.powi(j)))
                .collect();
            return (
                decade + f64::from(j0) * octave,
                decade + f64::from(j1) * octave,
                labels,
            );
        }
    }
    let max_ticks = i64::try_from(max_ticks.max(2)).unwrap_or(i64::MAX);
    let b = hi.ceil() as i64;
    let span = (b - lo.floor() as i64).max(1);
    let mut k = 1;
    while (span + k - 1) / k + 1 > max_ticks {
        k += 1;
    }
    let steps = (span + k - 1) / k;
    let a = b - k * steps;
    let labels = (0..=steps).map(|i| decade(a + i * k)).collect();
    (a as f64, b as f64, labels)
}

/// A tick value of a doubling axis: `0.4`, `1.6`, `12.8`; scientific outside [1e-3, 1e4)
/// (`1.6e-4`).
fn round_label(v: f64) -> String {
    if (1e-3..1e4).contains(&v) {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.2e}");
        // 1.60e-4 → 1.6e-4.
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            None => s,
        }
    }
}

/// 10^e as an axis label.
fn decade(e: i64) -> String {
    match e {
        0 => "1".into(),
        1 => "10".into(),
        _ => format!("1e{e}"),
    }
}

/// The terminal row the chart draws value `v` on (the same rounding as ratatui's canvas).
fn row_of(v: f64, lo: f64, hi: f64, graph: Rect, marker: Marker) -> Option<u16> {
    if !(v >= lo && v <= hi) || graph.height == 0 {
        return None;
    }
    let per_cell = match marker {
        Marker::Braille => 4.0,
        Marker::HalfBlock | Marker::Quadrant => 2.0,
        _ => 1.0,
    };
    let res = f64::from(graph.height) * per_cell;
    let y = ((hi - v) * (res - 1.0) / (hi - lo)).round();
    Some(graph.top() + (y / per_cell) as u16)
}

/// The plotting area of ratatui's `Chart` inside `inner`, for x labels (left-aligned), y
/// labels, no axis titles and no legend: mirrors `Chart::layout`, so labels land on the
/// lines. Tests check it against the drawn chart.
pub fn graph_area(inner: Rect, y_label_width: u16, first_x_label_width: u16) -> Rect {
    let left = y_label_width
        .max(first_x_label_width.saturating_sub(1))
        .min(inner.width / 3);
    let x = inner.left() + left + 1;
    Rect {
        x,
        y: inner.top(),
        width: inner.right().saturating_sub(x),
        height: inner.height.saturating_sub(2),
    }
}

/// Axis bounds around the finite values, padded; log10 values when `log`.
fn bounds(ys: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = ys
        .filter(|y| y.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    if !lo.is_finite() {
        return if log { (-1.0, 0.0) } else { (0.0, 1.0) };
    }
    let span = hi - lo;
    let pad = if span > 1e-12 {
        0.06 * span
    } else {
        (0.1 * hi.abs()).max(0.05)
    };
    let lo = if !log && lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    (lo, hi + pad)
}

/// Bounds widened to multiples of a 1-2-2.5-5 step, and the number of ticks (at most
/// `max_ticks`, at least 2) that then fall on round values.
fn nice_axis(lo: f64, hi: f64, max_ticks: usize) -> (f64, f64, usize) {
    let max_ticks = max_ticks.max(2);
    // Room for the two ends only: round them as finely as for five ticks, so that a small
    // chart is not mostly empty range (0.4–1.2, not 0–2).
    if max_ticks == 2 {
        let (a, b, _) = nice_axis(lo, hi, 5);
        return (a, b, 2);
    }
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return (lo, hi, max_ticks);
    }
    let raw = span / (max_ticks - 1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0, 20.0] {
        let step = m * mag;
        let a = (lo / step).floor() * step;
        let b = (hi / step).ceil() * step;
        let n = ((b - a) / step).round() as usize + 1;
        if n <= max_ticks {
            return (a, b, n.max(2));
        }
    }
    (lo, hi, max_ticks)
}

/// A linear axis's tick label: as many decimals as the spacing of the ticks needs.
fn tick(v: f64, span: f64, n: usize) -> String {
    // A diverging run reaches 1e13: keep labels short.
    if v.abs() >= 1e4 || span >= 1e4 {
        return format!("{v:.1e}");
    }
    let step = span / (n.max(2) - 1) as f64;
    let decimals = if step > 0.0 {
        // Enough for the step itself (0.25 needs two, 0.2 one).
        (0..=6)
            .find(|&d| {
                let scaled = step * 10f64.powi(d);
                (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
            })
            .unwrap_or(6) as usize
    } else {
        3
    };
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axes_land_on_round_values() {
        let (lo, hi, n) = nice_axis(0.474, 0.963, 6);
        assert!(
            (lo - 0.4).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert_eq!(n, 4);
        assert_eq!(tick(0.6, hi - lo, n), "0.6");
        let (lo, hi, n) = nice_axis(0.6801, 0.6839, 5);
        assert!(n <= 5 && lo <= 0.6801 && hi >= 0.6839);
        assert_eq!(nice_axis(1.0, 1.0, 4), (1.0, 1.0, 4));
        // Two labels only: the ends still hug the data.
        let (lo, hi, n) = nice_axis(0.45, 1.05, 2);
        assert!(
            (lo - 0.4).abs() < 1e-12 && (hi - 1.2).abs() < 1e-12 && n == 2,
            "{lo} {hi} {n}"
        );
    }

    #[test]
    fn line_labels_drop_whole_labels_that_do_not_fit() {
        let items = || vec![Span::raw("sign limit 0.6817"), Span::raw("R*(B) 0.6822")];
        let text = |w: usize| {
            fitting_label(items(), w)
                .map(|s| s.iter().map(|s| s.content.to_string()).collect::<String>())
        };
        assert_eq!(
            text(40).as_deref(),
            Some("sign limit 0.6817 · R*(B) 0.6822")
        );
        assert_eq!(text(30).as_deref(), Some("sign limit 0.6817"));
        assert_eq!(text(12).as_deref(), Some("0.6817"));
        assert_eq!(text(6), None);
    }

    #[test]
    fn ticks_have_enough_decimals() {
        assert_eq!(tick(0.5, 0.5, 5), "0.500");
        assert_eq!(tick(0.5, 1.0, 5), "0.50");
        assert_eq!(tick(0.68, 0.01, 5), "0.6800");
        assert_eq!(tick(8e13, 1e14, 5), "8.0e13");
    }

    #[test]
    fn log_axes_tick_whole_decades() {
        // 3e-4 … 0.3: four decades, a tick on each.
        let (lo, hi, labels) = log_axis(3e-4f64.log10(), 0.3f64.log10(), 6);
        assert_eq!((lo, hi), (-4.0, 0.0));
        assert_eq!(labels, ["1e-4", "1e-3", "1e-2", "1e-1", "1"]);
        // Twelve decades on 4 ticks: every fourth.
        let (lo, hi, labels) = log_axis(-11.5, -0.2, 4);
        assert_eq!((lo, hi), (-12.0, 0.0));
        assert_eq!(labels, ["1e-12", "1e-8", "1e-4", "1"]);
        // Thirteen: every fifth, down from the decade above the data.
        let (_, _, labels) = log_axis(-11.5, 0.2, 4);
        assert_eq!(labels, ["1e-14", "1e-9", "1e-4", "10"]);
        // Within one decade: doublings from the decade below (0.5 … 0.89 → 0.4 … 1.6).
        let (lo, hi, labels) = log_axis(-0.3, -0.05, 5);
        assert_eq!(labels, ["0.4", "0.8", "1.6"]);
        assert!((lo - 0.4f64.log10()).abs() < 1e-12 && (hi - 1.6f64.log10()).abs() < 1e-12);
        let (_, _, labels) = log_axis(-3.7, -3.2, 5);
        assert_eq!(labels, ["1e-4", "2e-4", "4e-4", "8e-4"]);
        // Too many doublings for the ticks allowed: decades.
        let (_, _, labels) = log_axis(-0.95, -0.05, 3);
        assert_eq!(labels, ["1e-1", "1"]);
    }

    #[test]
    fn bounds_pad_and_handle_flat_or_empty() {
        let (lo, hi) = bounds([0.5, 1.0].into_iter(), false);
        assert!(lo < 0.5 && hi > 1.0);
        let (lo, hi) = bounds([0.7].into_iter(), false);
        assert!(lo < 0.7 && hi > 0.7);
        assert_eq!(bounds(std::iter::empty(), false), (0.0, 1.0));
        let (lo, _) = bounds([0.0, 1.0].into_iter(), false);
        assert_eq!(lo, 0.0);
    }

    #[test]
    fn the_step_axis_ends_on_round_values_and_jumps() {
        assert_eq!(axis_end(0.0), 10.0);
        assert_eq!(axis_end(10.0), 10.0);
        assert_eq!(axis_end(11.0), 15.0);
        assert_eq!(axis_end(12_400.0), 15_000.0);
        assert_eq!(axis_end(15_000.0), 15_000.0);
        assert_eq!(axis_end(15_001.0), 20_000.0);
        assert_eq!(axis_end(810_000.0), 1_000_000.0);
        // Constant between the round values: the axis does not move with every step.
        assert_eq!(axis_end(3001.0), axis_end(3999.0));
    }

    #[test]
    fn the_recent_axis_jumps_a_quarter_at_a_time_and_holds_the_window() {
        // A full window of 1200 points at 3 steps each slides along with the run.
        let mut axes = Vec::new();
        for step in (20_000..40_000).step_by(7) {
            let first = f64::from(step) - 3600.0;
            let (lo, hi) = recent_axis(first, f64::from(step));
            assert!(lo <= first && hi >= f64::from(step), "{lo} {hi} at {step}");
            assert_eq!(hi - lo, 6000.0);
            axes.push((lo, hi));
        }
        axes.dedup();
        // 20 000 steps in jumps of 1500: the axis moved 14 times, not 2858.
        assert_eq!(axes.len(), 14, "{axes:?}");
        // While the window fills, it starts at 0.
        assert_eq!(recent_axis(0.0, 12.0), (0.0, 15.0));
        assert_eq!(round_up(0.0), 1.0);
        assert_eq!(round_up(0.031), 0.04);
    }

    #[test]
    fn rows_follow_canvas_rounding() {
        let g = Rect::new(0, 0, 10, 10);
        assert_eq!(row_of(1.0, 0.0, 1.0, g, Marker::Braille), Some(0));
        assert_eq!(row_of(0.0, 0.0, 1.0, g, Marker::Braille), Some(9));
        assert_eq!(row_of(2.0, 0.0, 1.0, g, Marker::Braille), None);
        assert_eq!(col_of(0.0, 0.0, 1.0, g, Marker::Braille), Some(0));
        assert_eq!(col_of(1.0, 0.0, 1.0, g, Marker::Braille), Some(9));
        assert_eq!(col_of(1.5, 0.0, 1.0, g, Marker::Braille), None);
    }
}
