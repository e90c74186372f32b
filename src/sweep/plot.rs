//! The sweep figure: risk against rate r, with the activation's limit curve, the PCA bound,
//! Shannon's D(r) and the trained runs (mean ± standard error across seeds). Written as SVG and
//! PNG with `plotters`; text uses DejaVu Sans compiled into the binary, so no system fonts or
//! libraries are needed.

use super::SweepError;
use super::curves::{Curve, CurveKind, SweepCurves, TrainedPoint, trained_points};
use super::files::sibling;
use super::table::{RateSummary, Row, aggregate};
use crate::data::SourceKind;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Figure size in pixels (the SVG's user units).
const SIZE: (u32, u32) = (1000, 650);

const LIMIT: RGBColor = RGBColor(31, 119, 180);
const CONSTRUCTION: RGBColor = RGBColor(148, 103, 189);
const PCA: RGBColor = RGBColor(110, 110, 110);
const SHANNON: RGBColor = RGBColor(44, 160, 44);
const ISOTROPIC: RGBColor = RGBColor(255, 127, 14);
const TRAINED: RGBColor = RGBColor(214, 39, 40);

/// How a reference curve is drawn.
#[derive(Debug, Clone, Copy)]
enum Stroke {
    Solid,
    Dashed,
}

/// Colour and stroke of each kind of curve.
fn style(kind: CurveKind) -> (RGBColor, Stroke) {
    match kind {
        CurveKind::Limit => (LIMIT, Stroke::Solid),
        CurveKind::Construction => (CONSTRUCTION, Stroke::Dashed),
        CurveKind::Isotropic => (ISOTROPIC, Stroke::Dashed),
        CurveKind::Pca => (PCA, Stroke::Dashed),
        CurveKind::Shannon => (SHANNON, Stroke::Dashed),
    }
}

/// Everything drawn, independent of the backend.
#[derive(Debug, Clone)]
struct Figure {
    title: String,
    x_label: String,
    x_max: f64,
    curves: Vec<Curve>,
    /// Mean risk ± standard error per rate.
    points: Vec<TrainedPoint>,
    points_label: String,
}

/// Draw the figure of `rows` to `path` (`.svg` or `.png`) and to its sibling in the other
/// format; returns both paths (SVG first).
pub fn write_plots(path: &Path, rows: &[Row]) -> Result<Vec<PathBuf>, SweepError> {
    let fig = Figure::of(rows).ok_or_else(|| SweepError::NoRows {
        what: format!("plot {}", path.display()),
        action: "draw (no run finished with a finite risk)",
    })?;
    let (svg, png) = plot_paths(path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| SweepError::io(dir, "create the directory", e))?;
    }
    register_font().map_err(|message| SweepError::Plot {
        path: path.to_path_buf(),
        message,
    })?;
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |message: String| SweepError::Plot { path: p, message }
    };
    fig.draw(&SVGBackend::new(&svg, SIZE).into_drawing_area())
        .map_err(err(&svg))?;
    fig.draw(&BitMapBackend::new(&png, SIZE).into_drawing_area())
        .map_err(err(&png))?;
    Ok(vec![svg, png])
}

/// The SVG and PNG files a `--plot` path stands for (`s.svg` → `s.svg`, `s.png`); an error
/// for any other extension. Check it before training, not after.
pub fn plot_paths(path: &Path) -> Result<(PathBuf, PathBuf), SweepError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("svg") => Ok((path.to_path_buf(), sibling(path, "png"))),
        Some("png") => Ok((sibling(path, "svg"), path.to_path_buf())),
        _ => Err(SweepError::Plot {
            path: path.to_path_buf(),
            message: "expected a file name ending in .svg or .png".into(),
        }),
    }
}

/// plotters' `ab_glyph` text backend finds fonts only by registered name.
fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "the embedded DejaVu Sans font could not be loaded".to_string())
        })
        .clone()
}

impl Figure {
    /// None when no rate has a finite mean risk.
    fn of(rows: &[Row]) -> Option<Figure> {
        let first = rows.first()?;
        let agg = aggregate(rows);
        let points = trained_points(rows);
        if points.is_empty() {
            return None;
        }
        let x_max = x_max(&agg);
        let curves = figure_curves(rows);
        Some(Figure {
            title: title(first),
            x_label: if first.activation == crate::model::Activation::Sign {
                "rate r = n/d (bits per input coordinate)".into()
            } else {
                "rate r = n/d".into()
            },
            x_max,
            curves,
            points,
            points_label: points_label(&agg),
        })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..self.x_max, 0.0..1.0)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc("risk (normalized MSE per coordinate)")
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        for c in &self.curves {
            let (color, stroke) = style(c.kind);
            let style = color.stroke_width(if matches!(stroke, Stroke::Solid) {
                3
            } else {
                2
            });
            let anno = match stroke {
                Stroke::Solid => chart
                    .draw_series(LineSeries::new(c.points.iter().copied(), style))
                    .map_err(e)?,
                Stroke::Dashed => chart
                    .draw_series(DashedLineSeries::new(c.points.iter().copied(), 8, 5, style))
                    .map_err(e)?,
            };
            anno.label(&c.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        }
        let bar = TRAINED.stroke_width(2);
        chart
            .draw_series(self.points.iter().filter(|p| p.se.is_finite()).map(|p| {
                ErrorBar::new_vertical(p.r, p.mean - p.se, p.mean, p.mean + p.se, bar, 10)
            }))
            .map_err(e)?;
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|p| Circle::new((p.r, p.mean), 5, TRAINED.filled())),
            )
            .map_err(e)?
            .label(&self.points_label)
            .legend(|(x, y)| Circle::new((x + 12, y), 5, TRAINED.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(e)?;
        root.present().map_err(e)
    }
}

/// The right end of the r axis: a round number past the largest rate.
fn x_max(agg: &[RateSummary]) -> f64 {
    let r_max = agg.iter().map(|a| a.r).fold(0.0, f64::max);
    nice_ceiling(r_max * 1.04)
}

/// The reference curves the figure of `rows` draws, over its whole r axis (empty without
/// rows).
pub fn figure_curves(rows: &[Row]) -> Vec<Curve> {
    SweepCurves::from_rows(rows).map_or_else(Vec::new, |c| c.curves(0.0, x_max(&aggregate(rows))))
}

fn title(r: &Row) -> String {
    let mode = match (r.mode, r.source) {
        (crate::protocol::TrainMode::Population, SourceKind::File) => {
            "population GD on the data's Gaussian twin"
        }
        (crate::protocol::TrainMode::Population, _) => "population GD on the exact risk",
        (crate::protocol::TrainMode::Sample, _) => "trained on samples",
    };
    let source = match (r.source, r.whiten) {
        (SourceKind::Gaussian, _) => "Gaussian data",
        (SourceKind::Powerlaw, _) => "power-law Gaussian data",
        (SourceKind::Sparse, _) => "sparse (Bernoulli–Gaussian) data",
        (SourceKind::File, crate::data::preprocess::Whiten::None) => "real data (a file)",
        (SourceKind::File, crate::data::preprocess::Whiten::Pca) => {
            "real data (a file, PCA-whitened)"
        }
        (SourceKind::File, crate::data::preprocess::Whiten::Zca) => {
            "real data (a file, ZCA-whitened)"
        }
    };
    format!(
        "{}: {} autoencoder, {source}, d = {}, {mode}",
        r.preset,
        r.activation.name(),
        r.d
    )
}

fn points_label(agg: &[RateSummary]) -> String {
    let seeds = agg.iter().map(|a| a.runs).max().unwrap_or(0);
    let kind = agg.first().map_or("", |a| a.risk_kind.as_str());
    if seeds > 1 {
        format!("trained ({kind} risk), mean ± s.e. over {seeds} seeds")
    } else {
        format!("trained ({kind} risk), 1 seed")
    }
}

/// The next multiple of 0.25 at or above x (at least 0.25): a round right end for the r axis.
fn nice_ceiling(x: f64) -> f64 {
    ((x * 4.0).ceil() / 4.0).max(0.25)
}
