//! Series kept by the UI: a full-history buffer that halves its resolution when full (a few
//! hundred points summarize a run of any length), a recent window at full resolution, step
//! functions for the reference lines, and the debiased EMA drawn over them.

use crate::data::SourceKind;
use crate::model::Activation;
use crate::theory::bounds;
use std::collections::VecDeque;
use std::path::PathBuf;

/// One point of a series: `y` is the mean over the `weight` steps that end at step `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The step at the end of the interval.
    pub x: f64,
    /// The mean value over the interval.
    pub y: f64,
    /// Steps in the interval.
    pub weight: f64,
}

impl Point {
    /// A point standing for one step.
    pub fn single(x: f64, y: f64) -> Point {
        Point { x, y, weight: 1.0 }
    }

    /// The later point's x, the weighted mean of y: the two intervals become one.
    fn merge(self, later: Point) -> Point {
        let weight = self.weight + later.weight;
        let y = if weight > 0.0 {
            (self.y * self.weight + later.y * later.weight) / weight
        } else {
            later.y
        };
        Point {
            x: later.x,
            y,
            weight,
        }
    }
}

/// A buffer of at most `capacity` points covering the whole run: every stored point merges
/// `stride` pushed points, and when the buffer fills, neighbours merge pairwise and the stride
/// doubles.
#[derive(Debug, Clone)]
pub struct Decimating {
    points: Vec<Point>,
    capacity: usize,
    stride: usize,
    /// Pushed points not yet making a full stride, merged.
    pending: Option<Point>,
    pending_count: usize,
}

impl Decimating {
    /// `capacity` is rounded up to an even number of at least 2.
    pub fn new(capacity: usize) -> Decimating {
        let capacity = capacity.max(2).next_multiple_of(2);
        Decimating {
            points: Vec::with_capacity(capacity),
            capacity,
            stride: 1,
            pending: None,
            pending_count: 0,
        }
    }

    /// Add the next point.
    pub fn push(&mut self, p: Point) {
        self.pending = Some(match self.pending {
            Some(q) => q.merge(p),
            None => p,
        });
        self.pending_count += 1;
        if self.pending_count < self.stride {
            return;
        }
        if let Some(q) = self.pending.take() {
            self.points.push(q);
        }
        self.pending_count = 0;
        if self.points.len() >= self.capacity {
            self.points = self
                .points
                .chunks(2)
                .map(|c| if c.len() == 2 { c[0].merge(c[1]) } else { c[0] })
                .collect();
            self.stride *= 2;
        }
    }

    /// Stored points, then the partial one, so the latest value is always shown.
    pub fn points(&self) -> Vec<Point> {
        let mut v = self.points.clone();
        v.extend(self.pending);
        v
    }

    /// Pushed points per stored point.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Points [`Decimating::points`] returns.
    pub fn len(&self) -> usize {
        self.points.len() + usize::from(self.pending.is_some())
    }

    /// Nothing pushed since the last clear.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forget every point (the run was reset).
    pub fn clear(&mut self) {
        *self = Decimating::new(self.capacity);
    }
}

/// The last `capacity` points at full resolution.
#[derive(Debug, Clone)]
pub struct Recent {
    points: VecDeque<Point>,
    capacity: usize,
}

impl Recent {
    /// A window of `capacity` points (at least 1).
    pub fn new(capacity: usize) -> Recent {
        let capacity = capacity.max(1);
        Recent {
            points: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Add the next point, dropping the oldest when full.
    pub fn push(&mut self, p: Point) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(p);
    }

    /// The window, oldest first.
    pub fn points(&self) -> Vec<Point> {
        self.points.iter().copied().collect()
    }

    /// Forget every point.
    pub fn clear(&mut self) {
        self.points.clear();
    }
}

/// Which part of a series the chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryView {
    /// The whole run, decimated.
    Full,
    /// The last points at full resolution.
    Recent,
}

/// A series kept both ways.
#[derive(Debug, Clone)]
pub struct Series {
    full: Decimating,
    recent: Recent,
    last: Option<Point>,
}

/// Points of the full-history buffers: a few hundred summarize any run.
pub const FULL_CAPACITY: usize = 512;
/// Points of the recent windows: a minute of metrics at 20 a second.
pub const RECENT_CAPACITY: usize = 1200;

impl Default for Series {
    fn default() -> Self {
        Series::new(FULL_CAPACITY, RECENT_CAPACITY)
    }
}

impl Series {
    /// A series with these capacities of its two buffers.
    pub fn new(full: usize, recent: usize) -> Series {
        Series {
            full: Decimating::new(full),
            recent: Recent::new(recent),
            last: None,
        }
    }

    /// Add the next point to both buffers.
    pub fn push(&mut self, p: Point) {
        self.full.push(p);
        self.recent.push(p);
        self.last = Some(p);
    }

    /// The points of one view.
    pub fn points(&self, view: HistoryView) -> Vec<Point> {
        match view {
            HistoryView::Full => self.full.points(),
            HistoryView::Recent => self.recent.points(),
        }
    }

    /// The latest pushed point.
    pub fn last(&self) -> Option<Point> {
        self.last
    }

    /// Forget every point.
    pub fn clear(&mut self) {
        self.full.clear();
        self.recent.clear();
        self.last = None;
    }
}

/// A piecewise-constant reference line: its value from each change point on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepLine {
    changes: Vec<(f64, f64)>,
}

/// Change points kept per line; a user holding → for minutes must not grow memory forever.
const MAX_CHANGES: usize = 4096;

impl StepLine {
    /// The value from `step` on. Repeating the current value changes nothing; a second value
    /// at the same step replaces the first.
    pub fn set(&mut self, step: f64, value: f64) {
        match self.changes.last_mut() {
            Some(&mut (_, v)) if v == value || (v.is_nan() && value.is_nan()) => {}
            Some(last) if last.0 >= step => last.1 = value,
            _ => self.changes.push((step, value)),
        }
        if self.changes.len() > MAX_CHANGES {
            self.changes.drain(..MAX_CHANGES / 2);
        }
    }

    /// The current value.
    pub fn last(&self) -> Option<f64> {
        self.changes.last().map(|c| c.1)
    }

    /// The value in force at `step` (the first value before the first change).
    pub fn value_at(&self, step: f64) -> Option<f64> {
        let i = self.changes.partition_point(|c| c.0 <= step);
        self.changes.get(i.saturating_sub(1)).map(|c| c.1)
    }

    /// The line over [lo, hi] as a polyline with vertical risers at the changes.
    pub fn polyline(&self, lo: f64, hi: f64) -> Vec<(f64, f64)> {
        let Some(mut v) = self.value_at(lo) else {
            return Vec::new();
        };
        let mut out = vec![(lo, v)];
        for &(x, nv) in self.changes.iter().filter(|c| c.0 > lo && c.0 <= hi) {
            out.push((x, v));
            out.push((x, nv));
            v = nv;
        }
        out.push((hi, v));
        out
    }

    /// Forget every change.
    pub fn clear(&mut self) {
        self.changes.clear();
    }
}

/// TensorBoard's debiased exponential moving average, in steps: a point of weight w (the mean
/// over w steps) decays the average by `beta^w`, so the smoothing means the same thing at any
/// decimation and any number of steps per metrics interval. `beta = 0` returns the raw values.
pub fn smooth(points: &[Point], beta: f64) -> Vec<(f64, f64)> {
    let (mut ema, mut norm) = (0.0, 0.0);
    points
        .iter()
        .filter(|p| p.y.is_finite())
        .map(|p| {
            let a = beta.powf(p.weight.max(0.0));
            ema = a * ema + (1.0 - a) * p.y;
            norm = a * norm + (1.0 - a);
            (p.x, if norm > 0.0 { ema / norm } else { p.y })
        })
        .collect()
}

/// Everything a risk chart draws against the step: the measured series and the reference
/// lines, filled by whichever front end reads the run (the live worker's events, a record).
#[derive(Debug, Clone, Default)]
pub struct Histories {
    /// Mean minibatch loss per metrics interval.
    pub loss: Series,
    /// Evaluated risk (validation or exact), one point per report.
    pub risk: Series,
    /// R*(B), the best decoder for the current encoder, when the worker computes it.
    pub best: Series,
    /// Risk on a fixed subset of the training split (finite data sets), one point per report:
    /// beside the validation risk, overfitting shows as the two separating.
    pub train: Series,
    /// The activation's limit at the current r, as a step function of the step.
    pub limit: StepLine,
    /// Empty unless the data is isotropic (the bound needs Σ = I).
    pub pca: StepLine,
    /// Empty unless the data is Gaussian (Shannon's D(r) is for a Gaussian source).
    pub shannon: StepLine,
    /// What the limit is (theorem, prediction or construction).
    pub limit_label: String,
    /// THEORY's finite-d value beside the limit (an approximation), NaN where it has none.
    pub finite_d: StepLine,
    /// `finite_d − limit`, changing at the same steps (the gap chart draws it).
    pub finite_d_gap: StepLine,
    /// What the finite-d value is (which correction).
    pub finite_d_label: String,
    /// The learning rate, as a step function of the step.
    pub lr: StepLine,
    /// The rate r = n/d, as a step function of the step.
    pub rate: StepLine,
    /// Samples per step of this run (the samples-seen axis is step × batch).
    pub batch: f64,
    /// Earlier runs drawn beside this one (`--compare`); a reset keeps them.
    pub compared: Vec<ComparedRun>,
}

impl Histories {
    /// Empty series; `limit_label` names the limit until the run says otherwise.
    pub fn new(limit_label: impl Into<String>) -> Histories {
        Histories {
            limit_label: limit_label.into(),
            ..Histories::default()
        }
    }

    /// The reference lines in force from `step` on, for a run at rate `r` with this limit on
    /// data from `source` (PCA needs isotropic data, Shannon a Gaussian source).
    pub fn set_references(&mut self, source: SourceKind, step: u64, r: f64, limit: f64) {
        let x = step as f64;
        self.limit.set(x, limit);
        if matches!(source, SourceKind::Gaussian | SourceKind::Sparse) {
            self.pca.set(x, bounds::pca_bound(r));
        }
        if source == SourceKind::Gaussian {
            self.shannon.set(x, bounds::shannon(r));
        }
    }

    /// THEORY's finite-d value in force from `step` on (None: none applies), beside `limit`.
    pub fn set_finite_d(&mut self, step: u64, finite: Option<bounds::Limit>, limit: f64) {
        let x = step as f64;
        match finite {
            Some(f) => {
                self.finite_d.set(x, f.value);
                self.finite_d_gap.set(x, f.value - limit);
                f.label.clone_into(&mut self.finite_d_label);
            }
            None => {
                if self.finite_d.last().is_some() {
                    self.finite_d.set(x, f64::NAN);
                    self.finite_d_gap.set(x, f64::NAN);
                }
            }
        }
    }

    /// `value − limit` for each point of `points`, the limit taken as it was at that step.
    pub fn gaps(&self, points: &[Point]) -> Vec<(f64, f64)> {
        points
            .iter()
            .filter_map(|p| {
                let limit = self.limit.value_at(p.x)?;
                let g = p.y - limit;
                g.is_finite().then_some((p.x, g))
            })
            .collect()
    }

    /// The x of the latest report of the compared runs on the axis in use (0 without any).
    pub fn compared_extent(&self, samples_axis: bool) -> f64 {
        self.compared
            .iter()
            .filter_map(|c| {
                c.points
                    .last()
                    .map(|p| c.x(p.step, samples_axis, self.batch))
            })
            .fold(0.0, f64::max)
    }

    /// Forget the run (a reset): every series and line restarts; the label and the compared
    /// runs stay.
    pub fn clear(&mut self) {
        self.loss.clear();
        self.risk.clear();
        self.best.clear();
        self.train.clear();
        self.limit.clear();
        self.pca.clear();
        self.shannon.clear();
        self.finite_d.clear();
        self.finite_d_gap.clear();
        self.lr.clear();
        self.rate.clear();
    }
}

/// One report of a compared run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComparedPoint {
    /// The report's step.
    pub step: f64,
    /// The evaluated risk.
    pub risk: f64,
    /// The limit in force at the report (the run's own).
    pub limit: f64,
}

impl ComparedPoint {
    /// risk − limit, against the run's own limit at the report.
    pub fn gap(&self) -> f64 {
        self.risk - self.limit
    }
}

/// An earlier run as the chart draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparedRun {
    /// The record's path (for messages).
    pub path: PathBuf,
    /// Its preset's name.
    pub preset: String,
    /// Rate r and activation at its last report.
    pub r: f64,
    pub activation: Activation,
    /// Samples per step: step × batch is the samples-seen axis.
    pub batch: f64,
    /// Its reports (of the last segment, after any reset), thinned evenly to at most
    /// twice `MAX_POINTS` (see the compare module); the last one is always kept.
    pub points: Vec<ComparedPoint>,
    /// Its limit as a step function of its step.
    pub limit: StepLine,
}

impl ComparedRun {
    /// The last report's limit.
    pub fn last_limit(&self) -> Option<f64> {
        self.limit.last()
    }

    /// The x at which the chart draws this run's step `step`: the step itself, or on the
    /// samples axis the step of the live run (batch `live_batch`) that has seen as many
    /// samples.
    pub fn x(&self, step: f64, samples_axis: bool, live_batch: f64) -> f64 {
        if samples_axis && live_batch > 0.0 {
            step * self.batch / live_batch
        } else {
            step
        }
    }

    /// The risk at or before chart position `x` (the last report there), as (step, risk).
    pub fn risk_at(&self, x: f64, samples_axis: bool, live_batch: f64) -> Option<ComparedPoint> {
        let i = self
            .points
            .partition_point(|p| self.x(p.step, samples_axis, live_batch) <= x);
        i.checked_sub(1).and_then(|i| self.points.get(i)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64) -> Point {
        Point::single(x, x)
    }

    #[test]
    fn decimating_halves_when_full_and_keeps_the_mean() {
        let mut d = Decimating::new(8);
        for i in 1..=8 {
            d.push(pt(f64::from(i)));
        }
        // Full at 8: merged to 4 points of 2, stride 2.
        assert_eq!(d.stride(), 2);
        let p = d.points();
        assert_eq!(p.len(), 4);
        assert_eq!(
            p[0],
            Point {
                x: 2.0,
                y: 1.5,
                weight: 2.0
            }
        );
        assert_eq!(p[3].x, 8.0);
        // One more: pending, shown as a partial point.
        d.push(pt(9.0));
        assert_eq!(d.points().len(), 5);
        assert_eq!(d.points()[4].x, 9.0);
        d.push(pt(10.0));
        assert_eq!(
            d.points()[4],
            Point {
                x: 10.0,
                y: 9.5,
                weight: 2.0
            }
        );
    }

    #[test]
    fn decimating_is_bounded_for_any_length_and_covers_the_run() {
        let mut d = Decimating::new(100);
        let n = 1_000_000;
        for i in 1..=n {
            d.push(pt(f64::from(i)));
        }
        let p = d.points();
        assert!(p.len() <= 101, "{}", p.len());
        assert!(p.len() >= 50);
        assert_eq!(p.last().map(|q| q.x), Some(f64::from(n)));
        let total: f64 = p.iter().map(|q| q.weight).sum();
        assert_eq!(total, f64::from(n));
        // Weighted means preserve the overall mean.
        let mean: f64 = p.iter().map(|q| q.y * q.weight).sum::<f64>() / total;
        assert!((mean - f64::midpoint(f64::from(n), 1.0)).abs() < 1e-6);
        assert!(p.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn recent_keeps_the_last_points() {
        let mut r = Recent::new(3);
        for i in 0..10 {
            r.push(pt(f64::from(i)));
        }
        let xs: Vec<f64> = r.points().iter().map(|p| p.x).collect();
        assert_eq!(xs, vec![7.0, 8.0, 9.0]);
    }

    #[test]
    fn step_line_records_changes_and_draws_risers() {
        let mut l = StepLine::default();
        l.set(0.0, 0.68);
        l.set(100.0, 0.68);
        l.set(200.0, 0.60);
        l.set(200.0, 0.55);
        assert_eq!(l.value_at(150.0), Some(0.68));
        assert_eq!(l.value_at(250.0), Some(0.55));
        assert_eq!(l.last(), Some(0.55));
        assert_eq!(
            l.polyline(0.0, 300.0),
            vec![(0.0, 0.68), (200.0, 0.68), (200.0, 0.55), (300.0, 0.55)]
        );
        assert_eq!(l.polyline(250.0, 300.0), vec![(250.0, 0.55), (300.0, 0.55)]);
        assert!(StepLine::default().polyline(0.0, 1.0).is_empty());
    }

    #[test]
    fn ema_is_debiased_and_weighted_by_steps() {
        let pts = [Point::single(1.0, 2.0), Point::single(2.0, 2.0)];
        // Debiased: a constant series stays constant from the first point.
        assert_eq!(smooth(&pts, 0.99), vec![(1.0, 2.0), (2.0, 2.0)]);
        // One point of weight 2 smooths like two points of weight 1.
        let a = smooth(
            &[
                Point::single(1.0, 1.0),
                Point::single(2.0, 3.0),
                Point::single(3.0, 3.0),
            ],
            0.9,
        );
        let b = smooth(
            &[
                Point::single(1.0, 1.0),
                Point {
                    x: 3.0,
                    y: 3.0,
                    weight: 2.0,
                },
            ],
            0.9,
        );
        assert!((a[2].1 - b[1].1).abs() < 1e-12);
        assert_eq!(smooth(&pts, 0.0), vec![(1.0, 2.0), (2.0, 2.0)]);
        // NaN points are skipped.
        assert_eq!(smooth(&[Point::single(1.0, f64::NAN)], 0.5), vec![]);
    }
}
