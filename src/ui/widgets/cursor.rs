//! The chart cursor: a step on the risk chart, moved by keys or placed with the mouse, always
//! on a step the run reported (a metrics interval's end or a report), and the readout of every
//! series at that step. It reads only [`Histories`] and [`ViewSettings`], so every front end
//! that draws the risk chart (the live run, a record being watched) has the same cursor.

use super::risk_chart::{CURSOR_GLYPH, visible_steps};
use super::theme::Theme;
use crate::human;
use crate::ui::history::{Histories, Point, smooth};
use crate::ui::view::ViewSettings;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// Snap steps a page (shift+←/→) moves over: a tenth of those on screen, at least one.
const PAGE_SHARE: usize = 10;

/// How the cursor moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// To the neighbouring reported step (←/→): -1 or +1.
    Step(i8),
    /// A tenth of the steps on screen (shift+←/→): -1 or +1.
    Page(i8),
}

/// The steps the cursor stands on within [lo, hi]: the ends of the loss points of the view
/// and the reports' steps, ascending, each once.
pub fn snap_steps(series: &Histories, view: &ViewSettings, lo: f64, hi: f64) -> Vec<f64> {
    let mut steps: Vec<f64> = series
        .loss
        .points(view.history)
        .iter()
        .chain(
            series
                .risk
                .points(crate::ui::history::HistoryView::Full)
                .iter(),
        )
        .map(|p| p.x)
        .filter(|&x| x >= lo && x <= hi)
        .collect();
    steps.sort_by(f64::total_cmp);
    steps.dedup();
    steps
}

/// The step of `steps` nearest `x`.
pub fn nearest(steps: &[f64], x: f64) -> Option<f64> {
    steps
        .iter()
        .copied()
        .min_by(|a, b| (a - x).abs().total_cmp(&(b - x).abs()))
}

/// Show the cursor at the latest step on screen, or hide it (c).
pub fn toggle(view: &mut ViewSettings, series: &Histories, step: u64) {
    view.cursor = match view.cursor {
        Some(_) => None,
        None => {
            let (lo, hi) = visible_steps(series, view, step);
            snap_steps(series, view, lo, hi).last().copied()
        }
    };
}

/// Put the cursor on the reported step nearest `x` (a click).
pub fn place(view: &mut ViewSettings, series: &Histories, step: u64, x: f64) {
    let (lo, hi) = visible_steps(series, view, step);
    if let Some(s) = nearest(&snap_steps(series, view, lo, hi), x) {
        view.cursor = Some(s);
    }
}

/// Move the cursor along the reported steps on screen, stopping at the ends; a cursor off
/// screen comes back at the nearest end.
pub fn move_cursor(view: &mut ViewSettings, series: &Histories, step: u64, how: Move) {
    let Some(at) = view.cursor else {
        return;
    };
    let (lo, hi) = visible_steps(series, view, step);
    let steps = snap_steps(series, view, lo, hi);
    if steps.is_empty() {
        return;
    }
    let (by, sign) = match how {
        Move::Step(s) => (1, s),
        Move::Page(s) => ((steps.len() / PAGE_SHARE).max(1), s),
    };
    let here = steps.partition_point(|&s| s < at);
    let on = steps.get(here) == Some(&at);
    let last = steps.len() - 1;
    let i = if sign < 0 {
        here.saturating_sub(by)
    } else if on {
        here + by
    } else {
        here + by - 1
    };
    view.cursor = steps.get(i.min(last)).copied();
}

/// Every series at one step, as the chart draws them.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    /// The cursor's step.
    pub step: f64,
    /// The samples the live run had seen at the step, when the axis counts samples (`b`).
    pub samples: Option<f64>,
    /// The loss point covering the step: the mean over its `weight` steps.
    pub loss: Option<Point>,
    /// The drawn (smoothed) loss curve at that point.
    pub smoothed: Option<f64>,
    /// The last report at or before the step (its `x` is the report's step).
    pub risk: Option<Point>,
    /// The limit in force at the step.
    pub limit: Option<f64>,
    /// The report's risk minus the limit in force at the report (as the record has it).
    pub gap: Option<f64>,
    /// R*(B) at the step (the last value at or before it).
    pub best: Option<f64>,
    /// Learning rate in force.
    pub lr: Option<f64>,
    /// Rate r = n/d in force.
    pub r: Option<f64>,
    /// Each compared run's last risk at or before the step (on the axis in use).
    pub compared: Vec<Option<f64>>,
}

impl Readout {
    /// The values at `step`, from the series the chart draws in `view`.
    pub fn at(series: &Histories, view: &ViewSettings, step: f64) -> Readout {
        let loss_pts = series.loss.points(view.history);
        let i = loss_pts.partition_point(|p| p.x < step);
        let loss = loss_pts.get(i).filter(|p| p.x - p.weight < step).copied();
        let smoothed = loss.and_then(|p| {
            smooth(&loss_pts[..=i], view.smoothing())
                .last()
                .filter(|s| s.0 == p.x)
                .map(|s| s.1)
        });
        let last_at = |pts: Vec<Point>| pts.into_iter().take_while(|p| p.x <= step).last();
        let risk = last_at(series.risk.points(crate::ui::history::HistoryView::Full));
        let gap = risk.and_then(|p| series.gaps(&[p]).first().map(|g| g.1));
        Readout {
            step,
            samples: view.samples_axis.then_some(step * series.batch),
            loss,
            smoothed,
            risk,
            limit: series.limit.value_at(step).filter(|v| v.is_finite()),
            gap,
            best: last_at(series.best.points(view.history)).map(|p| p.y),
            lr: series.lr.value_at(step),
            r: series.rate.value_at(step),
            compared: series
                .compared
                .iter()
                .map(|c| {
                    c.risk_at(step, view.samples_axis, series.batch)
                        .map(|p| p.risk)
                })
                .collect(),
        }
    }

    /// The readout's lines: one value a line, or (compact) two.
    pub fn lines(&self, theme: &Theme, compact: bool) -> Vec<Line<'static>> {
        let opt = |v: Option<f64>, f: fn(f64) -> String| v.map_or_else(|| "–".into(), f);
        let loss = self.loss.map_or_else(
            || "–".into(),
            |p| {
                if p.weight > 1.0 && !compact {
                    format!(
                        "{} ({} steps)",
                        human::risk(p.y),
                        human::step_axis(p.weight)
                    )
                } else {
                    human::risk(p.y)
                }
            },
        );
        let risk = self.risk.map_or_else(
            || "–".into(),
            |p| {
                if p.x == self.step {
                    human::risk(p.y)
                } else {
                    format!("{} @{}", human::risk(p.y), human::step_axis(p.x))
                }
            },
        );
        let mut items: Vec<(String, String, Color)> = Vec::new();
        if let Some(n) = self.samples {
            items.push(("samples".into(), human::step_axis(n), theme.cursor));
        }
        items.extend([
            ("step".into(), human::step_axis(self.step), theme.cursor),
            ("r".into(), opt(self.r, |r| format!("{r:.3}")), theme.dim),
            ("loss".into(), loss, theme.loss),
            ("EMA".into(), opt(self.smoothed, human::risk), theme.loss),
            ("risk".into(), risk, theme.risk),
            ("R*(B)".into(), opt(self.best, human::risk), theme.best),
            ("limit".into(), opt(self.limit, human::risk), theme.limit),
            ("gap".into(), opt(self.gap, gap_text), theme.limit),
            ("lr".into(), opt(self.lr, |v| format!("{v:.3e}")), theme.dim),
        ]);
        for (i, v) in self.compared.iter().enumerate() {
            items.push((
                format!("#{}", i + 1),
                opt(*v, human::risk),
                theme.compared_color(i),
            ));
        }
        let span = |(name, value, color): &(String, String, Color), pad: usize| {
            vec![
                Span::styled(format!("{name:<pad$} "), Style::default().fg(*color)),
                Span::raw(value.clone()),
            ]
        };
        if compact {
            items
                .chunks(2)
                .map(|pair| {
                    let mut spans = span(&pair[0], 0);
                    if let Some(second) = pair.get(1) {
                        spans.push(Span::raw("  "));
                        spans.extend(span(second, 0));
                    }
                    Line::from(spans)
                })
                .collect()
        } else {
            let pad = items
                .iter()
                .map(|it| it.0.chars().count())
                .max()
                .unwrap_or(0);
            items.iter().map(|it| Line::from(span(it, pad))).collect()
        }
    }
}

/// A gap as the readout shows it: signed, in scientific notation when small.
fn gap_text(g: f64) -> String {
    if g != 0.0 && g.abs() < 1e-2 {
        format!("{g:+.2e}")
    } else {
        human::signed(g, 4)
    }
}

/// The readout in a box over the chart's graph, in the corner where it hides the least of
/// what is drawn there (reference lines, their labels, the curves), never on the cursor's
/// column when another corner is free of it. One value a line when the box takes at most half
/// the graph's height, else two; no border when even that does not fit.
#[derive(Debug, Clone)]
pub struct ReadoutBox<'a> {
    /// The values.
    pub readout: &'a Readout,
    /// The cursor's column, to keep the box off it.
    pub column: Option<u16>,
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for ReadoutBox<'_> {
    fn render(self, graph: Rect, buf: &mut Buffer) {
        let full = self.readout.lines(self.theme, false);
        let lines = if graph.height >= 2 * (full.len() as u16 + 2) {
            full
        } else {
            self.readout.lines(self.theme, true)
        };
        let text_w = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let bordered = graph.height >= lines.len() as u16 + 2;
        let pad = if bordered { 2 } else { 0 };
        let w = (text_w + pad).min(graph.width);
        let h = (lines.len() as u16 + pad).min(graph.height);
        let xs = [graph.left(), graph.right().saturating_sub(w)];
        let ys = [graph.top(), graph.bottom().saturating_sub(h)];
        let covers_cursor = |r: &Rect| self.column.is_some_and(|c| c >= r.left() && c < r.right());
        let hidden = |r: &Rect| {
            (r.top()..r.bottom())
                .flat_map(|y| (r.left()..r.right()).map(move |x| (x, y)))
                .filter(|&p| !matches!(buf[p].symbol().chars().next(), Some(' ' | CURSOR_GLYPH)))
                .count()
        };
        let area = ys
            .iter()
            .flat_map(|&y| xs.iter().map(move |&x| Rect::new(x, y, w, h)))
            .min_by_key(|r| (covers_cursor(r), hidden(r)))
            .unwrap_or(Rect::new(graph.left(), graph.top(), w, h));
        Clear.render(area, buf);
        let mut p = Paragraph::new(lines);
        if bordered {
            p = p.block(Block::bordered().border_style(self.theme.border_style()));
        }
        p.render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::history::HistoryView;

    fn series() -> Histories {
        let mut h = Histories::new("limit");
        for s in (100..=1000).step_by(100) {
            h.loss.push(Point {
                x: f64::from(s),
                y: 1.0 + f64::from(s) / 1000.0,
                weight: 100.0,
            });
        }
        h.risk.push(Point::single(450.0, 0.7));
        h.limit.set(0.0, 0.5);
        h.limit.set(600.0, 0.4);
        h.lr.set(0.0, 0.01);
        h.rate.set(0.0, 0.5);
        h
    }

    #[test]
    fn snapping_merges_metrics_and_reports() {
        let h = series();
        let v = ViewSettings::new(0.0);
        let s = snap_steps(&h, &v, 0.0, 1000.0);
        assert_eq!(s.len(), 11);
        assert_eq!(s[4], 450.0);
        assert_eq!(nearest(&s, 440.0), Some(450.0));
        assert_eq!(nearest(&s, 1e9), Some(1000.0));
    }

    #[test]
    fn keys_move_along_reported_steps_and_stop_at_the_ends() {
        let h = series();
        let mut v = ViewSettings::new(0.0);
        toggle(&mut v, &h, 1000);
        assert_eq!(v.cursor, Some(1000.0));
        move_cursor(&mut v, &h, 1000, Move::Step(1));
        assert_eq!(v.cursor, Some(1000.0));
        move_cursor(&mut v, &h, 1000, Move::Step(-1));
        assert_eq!(v.cursor, Some(900.0));
        for _ in 0..20 {
            move_cursor(&mut v, &h, 1000, Move::Page(-1));
        }
        assert_eq!(v.cursor, Some(100.0));
        move_cursor(&mut v, &h, 1000, Move::Page(1));
        assert_eq!(v.cursor, Some(200.0));
        // A cursor between snap steps moves to the neighbours.
        v.cursor = Some(420.0);
        move_cursor(&mut v, &h, 1000, Move::Step(1));
        assert_eq!(v.cursor, Some(450.0));
        v.cursor = Some(420.0);
        move_cursor(&mut v, &h, 1000, Move::Step(-1));
        assert_eq!(v.cursor, Some(400.0));
        toggle(&mut v, &h, 1000);
        assert_eq!(v.cursor, None);
    }

    #[test]
    fn readout_takes_each_value_in_force_at_the_step() {
        let h = series();
        let v = ViewSettings::new(0.0);
        let r = Readout::at(&h, &v, 450.0);
        // The loss point covering (400, 500].
        assert_eq!(r.loss.map(|p| p.x), Some(500.0));
        assert_eq!(r.smoothed, Some(1.5));
        assert_eq!(r.risk, Some(Point::single(450.0, 0.7)));
        assert_eq!(r.limit, Some(0.5));
        assert!(r.gap.is_some_and(|g| (g - 0.2).abs() < 1e-12));
        assert_eq!((r.lr, r.r), (Some(0.01), Some(0.5)));
        // Later: the limit changed, the report stays the last one, its gap against its own
        // limit.
        let r = Readout::at(&h, &v, 700.0);
        assert_eq!(r.limit, Some(0.4));
        assert_eq!(r.risk.map(|p| p.x), Some(450.0));
        assert!(r.gap.is_some_and(|g| (g - 0.2).abs() < 1e-12));
        // Before the first report: none.
        assert_eq!(Readout::at(&h, &v, 300.0).risk, None);
        assert_eq!(h.loss.points(HistoryView::Full).len(), 10);
    }
}
