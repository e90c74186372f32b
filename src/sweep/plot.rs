//! The sweep figure: risk against rate r, with the activation's limit curve, the PCA bound,
//! Shannon's D(r) and the trained runs (mean ± standard error across seeds). Written as SVG and
//! PNG with `plotters`; text uses DejaVu Sans compiled into the binary, so no system fonts or
//! libraries are needed.

use super::SweepError;
use super::files::sibling;
use super::table::{RateSummary, Row, aggregate};
use crate::data::SourceKind;
use crate::theory::bounds;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Figure size in pixels (the SVG's user units).
const SIZE: (u32, u32) = (1000, 650);
/// Points of each analytic curve.
const CURVE_POINTS: usize = 400;

const LIMIT: RGBColor = RGBColor(31, 119, 180);
const CONSTRUCTION: RGBColor = RGBColor(148, 103, 189);
const PCA: RGBColor = RGBColor(110, 110, 110);
const SHANNON: RGBColor = RGBColor(44, 160, 44);
const TRAINED: RGBColor = RGBColor(214, 39, 40);

/// How a reference curve is drawn.
#[derive(Debug, Clone, Copy)]
enum Stroke {
    Solid,
    Dashed,
}

#[derive(Debug, Clone)]
struct Curve {
    label: String,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    stroke: Stroke,
}

/// Everything drawn, independent of the backend.
#[derive(Debug, Clone)]
struct Figure {
    title: String,
    x_label: String,
    x_max: f64,
    curves: Vec<Curve>,
    /// (r, mean risk, standard error or NaN).
    points: Vec<(f64, f64, f64)>,
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
        let points: Vec<(f64, f64, f64)> = agg
            .iter()
            .filter(|a| a.risk_mean.is_finite())
            .map(|a| (a.r, a.risk_mean, a.risk_se))
            .collect();
        if points.is_empty() {
            return None;
        }
        let r_max = agg.iter().map(|a| a.r).fold(0.0, f64::max);
        let x_max = nice_ceiling(r_max * 1.04);
        let isotropic = first.source != SourceKind::Powerlaw;
        let mut curves = if isotropic {
            analytic_limit(first, x_max)
        } else {
            // The water-filling limit needs the data's spectrum: draw it through the runs.
            segments(agg.iter().map(|a| (a.r, a.limit, a.limit_label.clone())))
        };
        for (i, c) in curves.iter_mut().enumerate() {
            // A second segment is a different kind of line (relu's pairing construction).
            if i > 0 {
                c.color = CONSTRUCTION;
                c.stroke = Stroke::Dashed;
            }
        }
        curves.push(Curve {
            label: if isotropic {
                "PCA bound max(0, 1 − r)".into()
            } else {
                "PCA bound (data spectrum)".into()
            },
            points: if isotropic {
                sample(x_max, bounds::pca_bound)
            } else {
                agg.iter().map(|a| (a.r, a.pca)).collect()
            },
            color: PCA,
            stroke: Stroke::Dashed,
        });
        curves.push(Curve {
            // r bits per coordinate only for sign: a real-valued code is not bound by D(r).
            label: if first.activation == crate::model::Activation::Sign {
                "Shannon D(r) = 2^(−2r), unit Gaussian source".into()
            } else {
                "Shannon D(r) = 2^(−2r) at r bits/coordinate (binds binary codes only)".into()
            },
            points: sample(x_max, bounds::shannon),
            color: SHANNON,
            stroke: Stroke::Dashed,
        });
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
            let style = c.color.stroke_width(if matches!(c.stroke, Stroke::Solid) {
                3
            } else {
                2
            });
            let anno = match c.stroke {
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
            .draw_series(
                self.points
                    .iter()
                    .filter(|p| p.2.is_finite())
                    .map(|&(r, m, se)| ErrorBar::new_vertical(r, m - se, m, m + se, bar, 10)),
            )
            .map_err(e)?;
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|&(r, m, _)| Circle::new((r, m), 5, TRAINED.filled())),
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

/// The activation's limit on a dense grid, split where its label changes (relu: the limit up
/// to r = 1, the pairing construction beyond).
fn analytic_limit(first: &Row, x_max: f64) -> Vec<Curve> {
    let act = first.activation;
    let suffix = if first.source == SourceKind::Sparse {
        " (Gaussian data)"
    } else {
        ""
    };
    let mut rs: Vec<f64> = (0..=CURVE_POINTS)
        .map(|i| x_max * i as f64 / CURVE_POINTS as f64)
        .collect();
    // The kink at r = 1 must be a vertex of the polyline.
    if x_max > 1.0 {
        rs.push(1.0);
        rs.sort_by(f64::total_cmp);
    }
    segments(rs.into_iter().map(|r| {
        let lim = bounds::limit(act, r);
        (r, lim.value, format!("{}{suffix}", lim.label))
    }))
}

/// Polylines of consecutive points sharing a label; a new segment starts at the last point of
/// the previous one so the line stays connected.
fn segments(points: impl Iterator<Item = (f64, f64, String)>) -> Vec<Curve> {
    let mut out: Vec<Curve> = Vec::new();
    for (r, v, label) in points {
        if !v.is_finite() {
            continue;
        }
        match out.last_mut() {
            Some(c) if c.label == label => c.points.push((r, v)),
            last => {
                let mut pts = Vec::new();
                if let Some(&p) = last.and_then(|c| c.points.last()) {
                    pts.push(p);
                }
                pts.push((r, v));
                out.push(Curve {
                    label,
                    points: pts,
                    color: LIMIT,
                    stroke: Stroke::Solid,
                });
            }
        }
    }
    out
}

fn sample(x_max: f64, f: fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=CURVE_POINTS)
        .map(|i| x_max * i as f64 / CURVE_POINTS as f64)
        .map(|r| (r, f(r)))
        .collect()
}

fn title(r: &Row) -> String {
    let mode = match r.mode {
        crate::protocol::TrainMode::Population => "population GD on the exact risk",
        crate::protocol::TrainMode::Sample => "trained on samples",
    };
    let source = match r.source {
        SourceKind::Gaussian => "Gaussian",
        SourceKind::Powerlaw => "power-law Gaussian",
        SourceKind::Sparse => "sparse (Bernoulli–Gaussian)",
    };
    format!(
        "{}: {} autoencoder, {source} data, d = {}, {mode}",
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
