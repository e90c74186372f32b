//! The risk chart: the smoothed minibatch loss, the evaluated risk, and the reference lines
//! (the activation's limit, PCA, Shannon, R*(B)) as step functions of the training step, each
//! labelled with its current value; the last message in its bottom border.

use super::theme::Theme;
use crate::human;
use crate::protocol::RiskKind;
use crate::ui::history::{Histories, HistoryView, StepLine, smooth};
use crate::ui::view::ViewSettings;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Widget};

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
    /// Colours and marker.
    pub theme: &'a Theme,
}

/// A reference line ready to draw.
struct RefLine {
    label: String,
    value: f64,
    color: Color,
    points: Vec<(f64, f64)>,
    bold: bool,
}

impl Widget for RiskChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let (title, view) = self.titles(area.width.saturating_sub(2) as usize);
        let block = Block::bordered()
            .border_style(theme.border_style())
            .title(title)
            .title(view.right_aligned())
            .title_bottom(status_line(self.status, theme));
        let inner = block.inner(area);
        block.render(area, buf);
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
        let legend = |name: &'static str| {
            Line::from(vec![
                Span::styled(name, theme.title_style()),
                Span::styled(
                    format!("━ loss {smoothing} "),
                    Style::default().fg(theme.loss),
                ),
                Span::styled(format!("• {kind} "), Style::default().fg(theme.risk)),
            ])
        };
        let scale = if self.view.log_scale { " · log" } else { "" };
        let view = |long: bool| {
            let v = match (self.view.history, long) {
                (HistoryView::Full, true) => "full history",
                (HistoryView::Recent, true) => "recent window",
                (HistoryView::Full, false) => "full",
                (HistoryView::Recent, false) => "recent",
            };
            Line::styled(format!(" {v}{scale} "), Style::default().fg(theme.dim))
        };
        let candidates = [
            (legend(" Risk "), view(true)),
            (legend(" "), view(true)),
            (legend(" "), view(false)),
        ];
        let fits = |(l, v): &(Line, Line)| l.width() + v.width() < width;
        let chosen = candidates.iter().position(fits).unwrap_or(2);
        candidates
            .into_iter()
            .nth(chosen)
            .unwrap_or_else(|| (legend(" "), view(false)))
    }

    fn draw_chart(&self, step: u64, inner: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let log = self.view.log_scale;
        let Curves {
            x_lo,
            x_hi,
            loss,
            risk,
            refs,
        } = self.curves(step);
        let ys = loss
            .iter()
            .chain(&risk)
            .chain(refs.iter().flat_map(|r| &r.points))
            .map(|p| p.1);
        let (y_lo, y_hi) = bounds(ys, log);
        let max_ticks = ((inner.height.saturating_sub(2)) / 4).clamp(2, 11) as usize;
        // Linear axes get round ticks (0.45, 0.50, …); log axes evenly spaced decades'
        // fractions.
        let (y_lo, y_hi, n_labels) = if log {
            (y_lo, y_hi, max_ticks)
        } else {
            nice_axis(y_lo, y_hi, max_ticks)
        };
        let y_labels: Vec<Span> = (0..n_labels)
            .map(|i| {
                let v = y_lo + (y_hi - y_lo) * i as f64 / (n_labels - 1) as f64;
                Span::raw(tick(
                    if log { 10f64.powf(v) } else { v },
                    y_hi - y_lo,
                    n_labels,
                    log,
                ))
            })
            .collect();
        let x_labels: Vec<Span> = [x_lo, f64::midpoint(x_lo, x_hi), x_hi]
            .iter()
            .map(|&x| Span::raw(human::step_axis(x)))
            .collect();
        let graph = graph_area(
            inner,
            y_labels.iter().map(Span::width).max().unwrap_or(0) as u16,
            x_labels.first().map_or(0, Span::width) as u16,
        );

        let mut datasets: Vec<Dataset> = refs
            .iter()
            .map(|r| {
                Dataset::default()
                    .data(&r.points)
                    .graph_type(GraphType::Line)
                    .marker(theme.marker)
                    .style(Style::default().fg(r.color))
            })
            .collect();
        datasets.push(
            Dataset::default()
                .data(&loss)
                .graph_type(GraphType::Line)
                .marker(theme.marker)
                .style(Style::default().fg(theme.loss)),
        );
        datasets.push(
            Dataset::default()
                .data(&risk)
                .graph_type(GraphType::Scatter)
                .marker(Marker::Dot)
                .style(Style::default().fg(theme.risk)),
        );
        let axis_style = Style::default().fg(theme.border);
        Chart::new(datasets)
            .x_axis(
                Axis::default()
                    .bounds([x_lo, x_hi])
                    .labels(x_labels)
                    .style(axis_style),
            )
            .y_axis(
                Axis::default()
                    .bounds([y_lo, y_hi])
                    .labels(y_labels)
                    .style(axis_style),
            )
            .render(inner, buf);

        label_lines(&refs, graph, (y_lo, y_hi), log, theme, buf);
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

        let view = self.view.history;
        let loss_pts = series.loss.points(view);
        let x_lo = match view {
            HistoryView::Full => 0.0,
            HistoryView::Recent => loss_pts.first().map_or(0.0, |p| p.x - p.weight),
        };
        let x_hi = (step as f64).max(x_lo + 1.0);
        let in_range = |x: f64| x >= x_lo && x <= x_hi;
        let loss = transform(&smooth(&loss_pts, self.view.smoothing()));
        let risk: Vec<(f64, f64)> = transform(
            &series
                .risk
                .points(HistoryView::Full)
                .iter()
                .filter(|p| in_range(p.x))
                .map(|p| (p.x, p.y))
                .collect::<Vec<_>>(),
        );

        let mut refs: Vec<RefLine> = Vec::new();
        let mut add = |line: &StepLine, label: &str, color: Color, bold: bool| {
            if let Some(v) = line.last() {
                refs.push(RefLine {
                    label: label.to_string(),
                    value: v,
                    color,
                    points: transform(&line.polyline(x_lo, x_hi)),
                    bold,
                });
            }
        };
        add(&series.limit, &series.limit_label, theme.limit, true);
        add(&series.pca, "PCA", theme.pca, false);
        add(&series.shannon, "Shannon D(r)", theme.shannon, false);
        let best: Vec<(f64, f64)> = transform(
            &series
                .best
                .points(view)
                .iter()
                .filter(|p| in_range(p.x))
                .map(|p| (p.x, p.y))
                .collect::<Vec<_>>(),
        );
        if let Some(b) = series.best.last() {
            refs.push(RefLine {
                label: "R*(B)".to_string(),
                value: b.y,
                color: theme.best,
                points: best,
                bold: false,
            });
        }

        Curves {
            x_lo,
            x_hi,
            loss,
            risk,
            refs,
        }
    }
}

/// What the chart draws: the step range and the curves in it.
struct Curves {
    x_lo: f64,
    x_hi: f64,
    loss: Vec<(f64, f64)>,
    risk: Vec<(f64, f64)>,
    refs: Vec<RefLine>,
}

/// The last message (saved, exported, an error) in the panel's bottom border.
pub fn status_line(status: Option<&Status>, theme: &Theme) -> Line<'static> {
    match status {
        Some(s) => Line::from(Span::styled(
            format!(" {} ", s.text),
            Style::default().fg(if s.error { theme.error } else { theme.ok }),
        )),
        None => Line::default(),
    }
}

/// Write each reference line's name and value on its row, at the left of the graph where the
/// curves are usually above the lines; rows already taken push a label to a neighbour row.
fn label_lines(
    refs: &[RefLine],
    graph: Rect,
    (lo, hi): (f64, f64),
    log: bool,
    theme: &Theme,
    buf: &mut Buffer,
) {
    let mut taken: Vec<u16> = Vec::new();
    for r in refs {
        let text = format!(" {} {} ", r.label, human::risk(r.value));
        let shown = if log {
            (r.value > 0.0).then(|| r.value.log10())
        } else {
            Some(r.value)
        };
        let Some(v) = shown else {
            continue;
        };
        let Some(want) = row_of(v, lo, hi, graph, theme.marker) else {
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
        let mut style = Style::default().fg(r.color);
        if r.bold {
            style = style.add_modifier(Modifier::BOLD);
        }
        let x = graph.left() + 1;
        let width = graph.right().saturating_sub(x);
        buf.set_stringn(x, row, &text, width as usize, style);
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

/// A tick label: as many decimals as the spacing of the ticks needs.
fn tick(v: f64, span: f64, n: usize, log: bool) -> String {
    if log {
        return if (1e-3..100.0).contains(&v) {
            let decimals = (2 - v.log10().floor() as i32).clamp(0, 5) as usize;
            format!("{v:.decimals$}")
        } else {
            format!("{v:.1e}")
        };
    }
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
        assert_eq!(tick(0.6, hi - lo, n, false), "0.6");
        let (lo, hi, n) = nice_axis(0.6801, 0.6839, 5);
        assert!(n <= 5 && lo <= 0.6801 && hi >= 0.6839);
        assert_eq!(nice_axis(1.0, 1.0, 4), (1.0, 1.0, 4));
    }

    #[test]
    fn ticks_have_enough_decimals() {
        assert_eq!(tick(0.5, 0.5, 5, false), "0.500");
        assert_eq!(tick(0.5, 1.0, 5, false), "0.50");
        assert_eq!(tick(0.68, 0.01, 5, false), "0.6800");
        assert_eq!(tick(0.0625, 0.0, 5, true), "0.0625");
        assert_eq!(tick(8e13, 1e14, 5, false), "8.0e13");
        assert_eq!(tick(2.0, 0.0, 5, true), "2.00");
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
    fn rows_follow_canvas_rounding() {
        let g = Rect::new(0, 0, 10, 10);
        assert_eq!(row_of(1.0, 0.0, 1.0, g, Marker::Braille), Some(0));
        assert_eq!(row_of(0.0, 0.0, 1.0, g, Marker::Braille), Some(9));
        assert_eq!(row_of(2.0, 0.0, 1.0, g, Marker::Braille), None);
    }
}
