//! The spectrum panel: a histogram of the eigenvalues of G = B̃B̃ᵀ against the target spectrum
//! of the minimizer (THEORY §5) and the Marchenko–Pastur law of a random initialization with
//! ratio y = n/d, all as masses per bin so they compare directly.

use super::risk_chart::{graph_area, round_up};
use super::theme::Theme;
use crate::protocol::Snapshot;
use crate::theory::spectrum::{
    histogram, marchenko_pastur_bin_masses, marchenko_pastur_support, target_spectrum,
};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Widget};

/// The spectrum panel over the snapshot it draws.
#[derive(Debug, Clone, Copy)]
pub struct Spectrum<'a> {
    /// The latest snapshot (its eigenvalues, distance to the target, alignment).
    pub snapshot: Option<&'a Snapshot>,
    /// (n, d) of the run when no snapshot has come yet: the target and the MP law need
    /// only these.
    pub shape: Option<(usize, usize)>,
    /// The data has identity covariance (Gaussian, sparse), for which the target is derived;
    /// on other data (power-law, a data file) the target and the distance to it are labelled
    /// as the isotropic reference they are.
    pub isotropic: bool,
    /// Colours and marker.
    pub theme: &'a Theme,
}

impl Widget for Spectrum<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (snap, theme) = (self.snapshot, self.theme);
        // The legend is the title; narrow panels get the short one.
        let (name, mp) = if area.width >= 46 {
            (" Spectrum B̃B̃ᵀ ", "─ MP init ")
        } else {
            (" B̃B̃ᵀ ", "─ MP ")
        };
        let title = Line::from(vec![
            Span::styled(name, theme.title_style()),
            Span::styled("┃ eigs ", Style::default().fg(theme.histogram)),
            Span::styled(mp, Style::default().fg(theme.mp)),
            Span::styled(
                if self.isotropic {
                    "│ target "
                } else {
                    "│ target (iso) "
                },
                Style::default().fg(theme.target),
            ),
        ]);
        let mut bottom = Vec::new();
        if let Some(s) = snap {
            let t = if self.isotropic { "t" } else { "t_iso" };
            bottom.push(format!("max|λ−{t}| {:.3}", s.spectrum_distance));
            bottom.push(format!("‖A−βBᵀ‖/‖A‖ {:.3}", s.alignment_rel));
        }
        let (n, d) = snap.map(|s| (s.n, s.d)).or(self.shape).unwrap_or((0, 0));
        if d > 0 {
            bottom.push(format!("y=n/d {:.2}", n as f64 / d as f64));
        }
        // Drop the least useful figures (y is in the header as r) until the line fits.
        let room = area.width.saturating_sub(2) as usize;
        while bottom.len() > 1 && bottom.join(" · ").chars().count() + 2 > room {
            bottom.pop();
        }
        let block = Block::bordered()
            .border_style(theme.border_style())
            .title(title)
            .title_bottom(Span::styled(
                format!(" {} ", bottom.join(" · ")),
                Style::default().fg(theme.dim),
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        if d == 0 || n == 0 {
            Paragraph::new("waiting for the first metrics…")
                .style(Style::default().fg(theme.dim))
                .render(inner, buf);
            return;
        }
        if inner.width < 12 || inner.height < 4 {
            return;
        }
        let eigs = snap.map(|s| s.eigenvalues.as_slice());
        draw(eigs, n, d, theme, inner, buf);
    }
}

/// The chart itself: histogram bars, the MP law as a line, the target's atoms as full-height
/// bars.
fn draw(eigs: Option<&[f64]>, n: usize, d: usize, theme: &Theme, inner: Rect, buf: &mut Buffer) {
    let y = n as f64 / d as f64;
    let target = target_spectrum(n, d);
    let eig_max = eigs
        .into_iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    let t_max = target.iter().copied().fold(0.0f64, f64::max);
    // Round axis ends: the axes stay put while the eigenvalues move within them, so the
    // panel is not redrawn (and resent) whole at every snapshot.
    let hi = round_up((eig_max.max(marchenko_pastur_support(y).1).max(t_max) * 1.08).max(1.5));

    // One bin a cell; each bin is drawn on every dot column of its cell, so bars are solid.
    let x_labels = [0.0, hi / 2.0, hi].map(|x| Span::raw(format!("{x}")));
    let probe = graph_area(inner, 4, x_labels[0].width() as u16);
    let per_cell = if theme.marker == Marker::Braille {
        2
    } else {
        1
    };
    let bins = (probe.width as usize).max(1);
    let columns = bins * per_cell;
    let width = hi / bins as f64;
    let centre = |i: usize| (i as f64 + 0.5) * width;

    let mp = marchenko_pastur_bin_masses(y, 0.0, hi, bins);
    let hist = eigs.map(|e| histogram(e, 0.0, hi, bins));
    let top = hist
        .iter()
        .flatten()
        .chain(&mp)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.1;
    let top = round_up(top)
        .min(1.0)
        .max(hist.iter().flatten().copied().fold(0.0, f64::max));

    let hist_pts: Vec<(f64, f64)> = match &hist {
        Some(h) => (0..columns)
            .map(|c| c as f64 * hi / (columns.max(2) - 1) as f64)
            .map(|x| (x, h[((x / width) as usize).min(bins - 1)]))
            .filter(|p| p.1 > 0.0)
            .collect(),
        None => Vec::new(),
    };
    let mp_pts: Vec<(f64, f64)> = mp
        .iter()
        .enumerate()
        .map(|(i, m)| (centre(i), *m))
        .collect();
    let mut atoms: Vec<f64> = target.clone();
    atoms.dedup();
    let target_pts: Vec<(f64, f64)> = atoms.iter().map(|&t| (t, top)).collect();

    let datasets = vec![
        Dataset::default()
            .data(&target_pts)
            .graph_type(GraphType::Bar)
            .marker(theme.marker)
            .style(Style::default().fg(theme.target)),
        Dataset::default()
            .data(&hist_pts)
            .graph_type(GraphType::Bar)
            .marker(theme.marker)
            .style(Style::default().fg(theme.histogram)),
        Dataset::default()
            .data(&mp_pts)
            .graph_type(GraphType::Line)
            .marker(theme.marker)
            .style(Style::default().fg(theme.mp)),
    ];
    let axis_style = Style::default().fg(theme.border);
    Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, hi])
                .labels(x_labels)
                .style(axis_style),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw("0"), Span::raw(format!("{top:.2}"))])
                .style(axis_style),
        )
        .render(inner, buf);
    if eigs.is_none() {
        let msg = " waiting for a snapshot… ";
        let x = inner.right().saturating_sub(msg.chars().count() as u16 + 1);
        buf.set_string(x, inner.top(), msg, Style::default().fg(theme.dim));
    }
}
