//! The matrix panel: a snapshot (B̃B̃ᵀ, AᵀA, BA or A − βBᵀ) as a heatmap of half-block cells,
//! two pixels a cell ('▀': foreground the upper pixel, background the lower), on a diverging
//! colormap symmetric around 0, with a legend of the value range.

use super::theme::Theme;
use crate::protocol::Snapshot;
use crate::ui::view::{BlockMode, ViewSettings};
use ndarray::{Array2, ArrayView2};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

/// The upper half block: foreground paints the upper pixel, background the lower one.
const UPPER_HALF: &str = "▀";

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
        let name = view.matrix.title();
        let candidates = match snap {
            Some(s) => {
                let (r, c) = s.full_shape;
                vec![
                    format!(" {name} {r}×{c} · {mode} · step {} ", s.step),
                    format!(" {name} {r}×{c} · {mode} "),
                    format!(" {name} · {mode} "),
                ]
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
/// hide how large the entries are), else of what is drawn, else 1.
fn color_scale(range: (f32, f32), m: ArrayView2<f32>) -> f32 {
    let full = range.0.abs().max(range.1.abs());
    if full.is_finite() && full > 0.0 {
        return full;
    }
    let shown = m
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f32, |a, x| a.max(x.abs()));
    if shown > 0.0 { shown } else { 1.0 }
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
    let color = |v: f32| theme.diverging(v / scale);
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

/// "−1.00 ▕gradient▏ +1.00  range [lo, hi]".
fn draw_legend(scale: f32, range: (f32, f32), area: Rect, theme: &Theme, buf: &mut Buffer) {
    let lo = format!("{:+.2} ", -scale);
    let hi = format!(" {scale:+.2}");
    let range_text = format!("  range [{:.2}, {:.2}]", range.0, range.1);
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
        spans.push(Span::styled(" ", Style::default().bg(theme.diverging(t))));
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
    fn fit_keeps_square_pixels() {
        assert_eq!(fit(4, 4, 18, 14), (12, 12));
        assert_eq!(fit(256, 256, 40, 30), (30, 30));
        assert_eq!(fit(256, 128, 40, 30), (30, 15));
        assert_eq!(fit(0, 4, 10, 10), (0, 0));
    }
}
