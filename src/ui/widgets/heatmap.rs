//! The matrix panel: a snapshot (B̃B̃ᵀ, AᵀA, BA or A − βBᵀ) as a heatmap of half-block cells,
//! two pixels a cell ('▀': foreground the upper pixel, background the lower), on a diverging
//! colormap symmetric around 0, with a legend of the value range.
//!
//! Colours come in [`LEVELS`] steps a side and the colour scale is a round number, so a
//! matrix that barely moved between snapshots draws byte-identical cells: the terminal is
//! sent only the cells whose colour visibly changed (24-bit colour costs ~40 bytes a cell).

use super::theme::Theme;
use crate::protocol::{MatrixView, Snapshot};
use crate::ui::view::{BlockMode, ViewSettings};
use ndarray::{Array2, ArrayView2};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

/// The upper half block: foreground paints the upper pixel, background the lower one.
const UPPER_HALF: &str = "▀";

/// Colour steps on each side of 0: 17 colours from −scale to +scale.
pub const LEVELS: f32 = 8.0;

/// Round scales of the colour range (times a power of 10): the legend reads `±0.3`, `±1.5`.
const NICE: [f32; 7] = [1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0];

/// `t` in [−1, 1] (clamped; NaN is 0) on the nearest of the 2·[`LEVELS`] + 1 colour steps.
pub fn quantize(t: f32) -> f32 {
    if t.is_nan() {
        return 0.0;
    }
    (t.clamp(-1.0, 1.0) * LEVELS).round() / LEVELS
}

/// The smallest round value ([`NICE`] times a power of 10) at least `x`; 1 for a scale that is
/// not positive and finite.
pub fn nice_scale(x: f32) -> f32 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let mag = 10f32.powf(x.log10().floor());
    NICE.iter()
        .map(|m| m * mag)
        // A value that is already round stays itself despite the rounding of powf.
        .find(|&v| v >= x * (1.0 - 1e-5))
        .unwrap_or(10.0 * mag)
}

/// The largest side, in pixels, a matrix can be drawn at in this panel (border and legend row
/// excluded): what to ask the worker for.
pub fn max_side(panel: Rect) -> usize {
    let inner = Block::bordered().inner(panel);
    let w = inner.width as usize;
    let h = inner.height.saturating_sub(1) as usize * 2;
    w.min(h)
}

/// Downsample (or upsample by repetition) `m` to `rows × cols`: each output entry summarizes
/// the block of input entries it covers, by their mean or by the entry of largest magnitude.
pub fn resample(m: ArrayView2<f32>, rows: usize, cols: usize, mode: BlockMode) -> Array2<f32> {
    let (r, c) = m.dim();
    if r == 0 || c == 0 || rows == 0 || cols == 0 {
        return Array2::zeros((rows, cols));
    }
    let span = |i: usize, n: usize, out: usize| {
        let a = i * n / out;
        let b = ((i + 1) * n / out).max(a + 1).min(n);
        a..b
    };
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        let block = m.slice(ndarray::s![span(i, r, rows), span(j, c, cols)]);
        match mode {
            BlockMode::Mean => block.mean().unwrap_or(0.0),
            BlockMode::MaxAbs => {
                block.iter().copied().fold(
                    0.0f32,
                    |best, x| if x.abs() > best.abs() { x } else { best },
                )
            }
        }
    })
}

/// Pixel size to draw an `r × c` matrix in a `w × h` pixel box with square pixels: whole
/// multiples when it is small, shrunk when it is large.
pub fn fit(r: usize, c: usize, w: usize, h: usize) -> (usize, usize) {
    if r == 0 || c == 0 || w == 0 || h == 0 {
        return (0, 0);
    }
    let s = (w as f64 / c as f64).min(h as f64 / r as f64);
    if s >= 1.0 {
        let k = s.floor() as usize;
        (r * k, c * k)
    } else {
        (
            ((r as f64 * s).floor() as usize).max(1),
            ((c as f64 * s).floor() as usize).max(1),
        )
    }
}

/// The matrix panel over the snapshot it draws (border, title, heatmap, legend).
#[derive(Debug, Clone, Copy)]
pub struct Heatmap<'a> {
    /// The latest snapshot, of whatever view.
    pub snapshot: Option<&'a Snapshot>,
    /// Which matrix to show and how to summarize its blocks.
    pub view: &'a ViewSettings,
    /// The data has identity covariance (Gaussian, sparse): A − βBᵀ → 0 is its optimum. On
    /// other data (power-law, a data file) the optimal decoder is not βBᵀ, and the view is
    /// titled as the isotropic reference it is.
    pub isotropic: bool,
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for Heatmap<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (view, theme) = (self.view, self.theme);
        // A snapshot of another view waits for its successor.
        let snap = self.snapshot.filter(|s| s.view == view.matrix);
        let mode = match view.block {
            BlockMode::Mean => "mean",
            BlockMode::MaxAbs => "max-abs",
        };
        let name = match view.matrix {
            MatrixView::Alignment if !self.isotropic => {
                format!("{} (isotropic ref.)", view.matrix.title())
            }
            m => m.title().to_string(),
        };
        let frozen = if view.frozen { "frozen (x) at " } else { "" };
        let candidates = match snap {
            Some(s) => {
                let (r, c) = s.full_shape;
                let mut v = vec![
                    format!(" {name} {r}×{c} · {mode} · {frozen}step {} ", s.step),
                    format!(" {name} {r}×{c} · {mode} "),
                    format!(" {name} · {mode} "),
                ];
                if view.frozen {
                    // Frozen says so in every width that has room for it.
                    v[1] = format!(" {name} {r}×{c} · {mode} · frozen ");
                    v[2] = format!(" {name} · frozen ");
                }
                v
            }
            None => vec![format!(" {name} ")],
        };
        let inner = super::titled_panel(&candidates, area, buf, theme);
        let Some(s) = snap else {
            Paragraph::new("waiting for a snapshot…")
                .style(Style::default().fg(theme.dim))
                .alignment(Alignment::Center)
                .render(inner, buf);
            return;
        };
        if inner.height < 2 || inner.width < 4 {
            return;
        }
        let source = match view.block {
            BlockMode::Mean => s.mean.view(),
            BlockMode::MaxAbs => s.max_abs.view(),
        };
        let scale = color_scale(s.range, source);
        let image = Rect {
            height: inner.height - 1,
            ..inner
        };
        draw_matrix(source, s.full_shape, view.block, scale, image, theme, buf);
        let legend = Rect {
            y: inner.bottom() - 1,
            height: 1,
            ..inner
        };
        draw_legend(scale, s.range, legend, theme, buf);
    }
}

/// Half the colour range: the largest magnitude of the full matrix (so a block mean does not
/// hide how large the entries are), else of what is drawn, else 1; rounded up to a round
/// value, so that it stays put while the matrix changes a little.
pub fn color_scale(range: (f32, f32), m: ArrayView2<f32>) -> f32 {
    let full = range.0.abs().max(range.1.abs());
    if full.is_finite() && full > 0.0 {
        return nice_scale(full);
    }
    let shown = m
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f32, |a, x| a.max(x.abs()));
    nice_scale(shown)
}

/// The matrix centred in `area`, two pixels a cell, with the aspect ratio of the full
/// matrix (`shape`): the worker caps rows and columns separately, so a d×n matrix can arrive
/// square.
pub fn draw_matrix(
    m: ArrayView2<f32>,
    shape: (usize, usize),
    mode: BlockMode,
    scale: f32,
    area: Rect,
    theme: &Theme,
    buf: &mut Buffer,
) {
    let (w, h) = (area.width as usize, area.height as usize * 2);
    let (ph, pw) = fit(shape.0, shape.1, w, h);
    if ph == 0 || pw == 0 {
        return;
    }
    let px = resample(m, ph, pw, mode);
    let cells_h = ph.div_ceil(2);
    let x0 = area.x + ((w - pw) / 2) as u16;
    let y0 = area.y + ((area.height as usize - cells_h) / 2) as u16;
    let color = |v: f32| theme.diverging(quantize(v / scale));
    for cy in 0..cells_h {
        for cx in 0..pw {
            let upper = color(px[[2 * cy, cx]]);
            let lower = if 2 * cy + 1 < ph {
                color(px[[2 * cy + 1, cx]])
            } else {
                Color::Reset
            };
            if let Some(cell) = buf.cell_mut((x0 + cx as u16, y0 + cy as u16)) {
                cell.set_symbol(UPPER_HALF).set_fg(upper).set_bg(lower);
            }
        }
    }
}

/// A legend value: three significant digits, scientific outside [0.01, 1000).
pub fn legend_value(v: f32) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if !(0.01..1000.0).contains(&a) {
        return format!("{v:.2e}");
    }
    let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    // 1.50 → 1.5, 2.00 → 2.
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// "−1.5 ▕gradient▏ +1.5  range [lo, hi]": the ends of the colour scale (a round value) and
/// the full matrix's smallest and largest entries.
fn draw_legend(scale: f32, range: (f32, f32), area: Rect, theme: &Theme, buf: &mut Buffer) {
    let lo = format!("−{} ", legend_value(scale));
    let hi = format!(" +{}", legend_value(scale));
    let range_text = format!(
        "  range [{}, {}]",
        legend_value(range.0),
        legend_value(range.1)
    );
    let fixed = lo.chars().count() + hi.chars().count();
    let avail = (area.width as usize).saturating_sub(fixed);
    let range_len = range_text.chars().count();
    // The range text when a bar of at least 8 cells still fits beside it.
    let bar = if avail >= range_len + 8 {
        (avail - range_len).min(21)
    } else {
        avail.min(21)
    };
    let mut spans = vec![Span::styled(lo, Style::default().fg(theme.dim))];
    for i in 0..bar {
        let t = if bar > 1 {
            -1.0 + 2.0 * i as f32 / (bar - 1) as f32
        } else {
            0.0
        };
        spans.push(Span::styled(
            " ",
            Style::default().bg(theme.diverging(quantize(t))),
        ));
    }
    spans.push(Span::styled(hi, Style::default().fg(theme.dim)));
    if avail - bar >= range_len {
        spans.push(Span::styled(range_text, Style::default().fg(theme.dim)));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn block_mean_and_max_abs() {
        let m = array![[1.0f32, 3.0], [-5.0, 1.0]];
        assert_eq!(resample(m.view(), 1, 1, BlockMode::Mean)[[0, 0]], 0.0);
        assert_eq!(resample(m.view(), 1, 1, BlockMode::MaxAbs)[[0, 0]], -5.0);
        let up = resample(m.view(), 4, 4, BlockMode::Mean);
        assert_eq!(up[[3, 0]], -5.0);
        assert_eq!(up[[1, 3]], 3.0);
    }

    #[test]
    fn scales_are_round_and_colours_come_in_steps() {
        assert_eq!(nice_scale(1.0), 1.0);
        assert_eq!(nice_scale(1.01), 1.5);
        assert_eq!(nice_scale(0.27), 0.3);
        assert!((nice_scale(0.0041) - 0.005).abs() < 1e-9);
        assert_eq!(nice_scale(8.0), 10.0);
        assert_eq!(nice_scale(0.0), 1.0);
        assert_eq!(nice_scale(f32::NAN), 1.0);
        assert_eq!(quantize(0.49), 0.5);
        assert_eq!(quantize(0.51), 0.5);
        assert_eq!(quantize(-3.0), -1.0);
        assert_eq!(quantize(f32::NAN), 0.0);
        assert_eq!(legend_value(1.5), "1.5");
        assert_eq!(legend_value(2.0), "2");
        assert_eq!(legend_value(-0.123_456), "-0.123");
        assert_eq!(legend_value(0.000_25), "2.50e-4");
    }

    #[test]
    fn fit_keeps_square_pixels() {
        assert_eq!(fit(4, 4, 18, 14), (12, 12));
        assert_eq!(fit(256, 256, 40, 30), (30, 30));
        assert_eq!(fit(256, 128, 40, 30), (30, 15));
        assert_eq!(fit(0, 4, 10, 10), (0, 0));
    }
}
