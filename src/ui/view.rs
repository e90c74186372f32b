//! How the panels are looked at: the settings the view keys change (log axis, history window,
//! smoothing, which matrix and how its blocks are summarized). They change nothing in the run,
//! so every front end that draws the shared panels keeps one of these.

use crate::protocol::{FeatureKind, MatrixView};
use crate::ui::history::HistoryView;

/// Smoothing factors (per step) of the loss curve, `[` and `]` move along them.
pub const SMOOTHING: [f64; 8] = [0.0, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999];

/// Which downsampled matrix the heatmap draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockMode {
    /// The mean of each block.
    Mean,
    /// The entry of largest magnitude of each block, sign kept.
    MaxAbs,
}

/// What the risk chart plots against the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartMode {
    /// Loss, risk and the reference lines.
    Risk,
    /// |risk − limit| and |R*(B) − limit| on a log axis (g).
    Gap,
}

/// Share of the step range the zoomed risk axis fits (the last fifth).
pub const ZOOM_WINDOW: f64 = 0.2;
/// Fewest steps the step axis zooms in to (the mouse wheel).
pub const MIN_STEP_SPAN: f64 = 8.0;

/// The step axis zoomed in by the mouse wheel: `span` steps ending at `end`, or at the run's
/// latest step when `end` is None (the window then follows the run).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepZoom {
    /// Steps on screen.
    pub span: f64,
    /// The last step on screen; None: the latest.
    pub end: Option<f64>,
}

/// The view keys' state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewSettings {
    /// The matrix the heatmap shows (tab).
    pub matrix: MatrixView,
    /// Block max-abs or mean (m).
    pub block: BlockMode,
    /// Log-scale risk axis (l).
    pub log_scale: bool,
    /// Full history or recent window (h).
    pub history: HistoryView,
    /// Risk or gap chart (g).
    pub chart: ChartMode,
    /// The value axis fits the last [`ZOOM_WINDOW`] of the steps and the limit (z; 0 resets).
    pub zoom: bool,
    /// Learned features as images instead of the matrix panels, and which (f).
    pub features: Option<FeatureKind>,
    /// The chart cursor's step, when shown (c; ←/→ and the mouse move it).
    pub cursor: Option<f64>,
    /// The step axis zoomed by the mouse wheel (0 resets).
    pub steps: Option<StepZoom>,
    /// The step axis counts samples seen (step × batch), so runs with other batch sizes line
    /// up (b).
    pub samples_axis: bool,
    /// The matrix panels keep the snapshot they show and ask for no more (x): nothing in
    /// them changes, so nothing of them is sent to the terminal.
    pub frozen: bool,
    /// Index into [`SMOOTHING`] ([ and ]).
    smoothing: usize,
}

impl ViewSettings {
    /// The default view, with the smoothing step closest to the EMA factor `ema`.
    pub fn new(ema: f64) -> ViewSettings {
        let smoothing = SMOOTHING
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1 - ema).abs().total_cmp(&(b.1 - ema).abs()))
            .map_or(4, |(i, _)| i);
        ViewSettings {
            matrix: MatrixView::Gram,
            // Block means wash out the diagonal of a downsampled Gram matrix; the largest
            // entry per block keeps the identity (and stray large entries) visible.
            block: BlockMode::MaxAbs,
            log_scale: false,
            history: HistoryView::Full,
            chart: ChartMode::Risk,
            zoom: false,
            features: None,
            cursor: None,
            steps: None,
            samples_axis: false,
            frozen: false,
            smoothing,
        }
    }

    /// The EMA factor (per step) of the drawn loss curve.
    pub fn smoothing(&self) -> f64 {
        SMOOTHING[self.smoothing]
    }

    /// Less smoothing (`[`), down to none.
    pub fn smooth_less(&mut self) {
        self.smoothing = self.smoothing.saturating_sub(1);
    }

    /// More smoothing (`]`), up to the last factor.
    pub fn smooth_more(&mut self) {
        self.smoothing = (self.smoothing + 1).min(SMOOTHING.len() - 1);
    }

    /// The next matrix (tab); a frozen panel comes alive to show it.
    pub fn cycle_matrix(&mut self) {
        self.matrix = cycle(&MatrixView::ALL, self.matrix);
        self.frozen = false;
    }

    /// Freeze the matrix panels / live again (x).
    pub fn toggle_freeze(&mut self) {
        self.frozen = !self.frozen;
    }

    /// Matrices → encoder features → decoder features → matrices (f); a frozen panel comes
    /// alive to show them.
    pub fn cycle_features(&mut self) {
        self.frozen = false;
        self.features = match self.features {
            None => Some(FeatureKind::Encoder),
            Some(FeatureKind::Encoder) => Some(FeatureKind::Decoder),
            Some(FeatureKind::Decoder) => None,
        };
    }

    /// Block max-abs ↔ mean (m).
    pub fn toggle_block(&mut self) {
        self.block = match self.block {
            BlockMode::Mean => BlockMode::MaxAbs,
            BlockMode::MaxAbs => BlockMode::Mean,
        };
    }

    /// Log ↔ linear risk axis (l).
    pub fn toggle_log(&mut self) {
        self.log_scale = !self.log_scale;
    }

    /// Risk ↔ gap chart (g).
    pub fn toggle_chart(&mut self) {
        self.chart = match self.chart {
            ChartMode::Risk => ChartMode::Gap,
            ChartMode::Gap => ChartMode::Risk,
        };
    }

    /// Fit the value axis to the last window and the limit (z).
    pub fn zoom_in(&mut self) {
        self.zoom = true;
    }

    /// The whole range again (0), values and steps.
    pub fn zoom_reset(&mut self) {
        self.zoom = false;
        self.steps = None;
    }

    /// The steps on screen: `base` (the whole run or the recent window, ending at the latest
    /// step) narrowed by the wheel's zoom.
    pub fn step_range(&self, base: (f64, f64)) -> (f64, f64) {
        let Some(z) = self.steps else {
            return base;
        };
        let hi = z.end.map_or(base.1, |e| e.min(base.1));
        let lo = (hi - z.span).max(base.0);
        if hi - lo < 1.0 { base } else { (lo, hi) }
    }

    /// Zoom the step axis by `factor` (< 1 in, > 1 out) around step `at`, within `base` (the
    /// range without zoom): the step under the mouse stays where it is. Zoomed out to the
    /// whole range, the zoom ends; a window reaching the latest step follows the run.
    pub fn zoom_steps(&mut self, base: (f64, f64), at: f64, factor: f64) {
        let (lo, hi) = self.step_range(base);
        let full = base.1 - base.0;
        let span = ((hi - lo) * factor).clamp(MIN_STEP_SPAN.min(full), full);
        if span >= full {
            self.steps = None;
            return;
        }
        let at = at.clamp(lo, hi);
        let share = if hi > lo { (at - lo) / (hi - lo) } else { 1.0 };
        let new_lo = (at - share * span).max(base.0);
        let new_hi = (new_lo + span).min(base.1);
        self.steps = Some(StepZoom {
            span,
            end: (new_hi < base.1).then_some(new_hi),
        });
    }

    /// Steps ↔ samples seen on the step axis (b).
    pub fn toggle_samples(&mut self) {
        self.samples_axis = !self.samples_axis;
    }

    /// Full history ↔ recent window (h).
    pub fn toggle_history(&mut self) {
        self.history = match self.history {
            HistoryView::Full => HistoryView::Recent,
            HistoryView::Recent => HistoryView::Full,
        };
    }
}

/// The element after `current` in `all`, wrapping around.
pub fn cycle<T: PartialEq + Copy>(all: &[T], current: T) -> T {
    let i = all.iter().position(|&x| x == current).unwrap_or(0);
    all[(i + 1) % all.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycling_wraps() {
        assert_eq!(cycle(&[1, 2, 3], 3), 1);
        assert_eq!(cycle(&[1, 2, 3], 1), 2);
    }

    #[test]
    fn wheel_zoom_keeps_the_step_under_the_mouse_and_ends_at_the_whole_range() {
        let mut v = ViewSettings::new(0.99);
        let base = (0.0, 1000.0);
        v.zoom_steps(base, 250.0, 0.5);
        assert_eq!(v.step_range(base), (125.0, 625.0));
        // At the right edge: the window follows the run.
        v.zoom_steps(base, 625.0, 0.5);
        let (lo, hi) = v.step_range(base);
        assert_eq!((lo, hi), (375.0, 625.0));
        v.zoom_reset();
        v.zoom_steps(base, 1000.0, 0.5);
        assert_eq!(v.step_range((0.0, 2000.0)), (1500.0, 2000.0));
        // Out again, past the whole range: no zoom.
        v.zoom_steps(base, 500.0, 4.0);
        assert_eq!(v.steps, None);
        assert_eq!(v.step_range(base), base);
    }

    #[test]
    fn smoothing_starts_nearest_the_preset_and_stays_in_range() {
        let mut v = ViewSettings::new(0.991);
        assert_eq!(v.smoothing(), 0.99);
        for _ in 0..20 {
            v.smooth_more();
        }
        assert_eq!(v.smoothing(), 0.999);
        for _ in 0..20 {
            v.smooth_less();
        }
        assert_eq!(v.smoothing(), 0.0);
    }
}
