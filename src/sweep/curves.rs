//! One description of a sweep's curves against the rate r: the activation's limit (isotropic
//! closed form, or reverse water-filling over the data's spectrum for power-law data and data
//! files), relu's pairing construction beyond r = 1, the isotropic limit beside a whitened data
//! file's prediction (where whitened data land), the PCA bound, Shannon's D(r), and the trained runs
//! as mean ± standard error across seeds. The figure (SVG/PNG) and the sweep view both draw
//! what this says, so they cannot drift apart.

use super::SweepPlan;
use super::table::{Row, aggregate, common_mean};
use crate::config::{Config, n_for_rate};
use crate::data::preprocess::Whiten;
use crate::data::{SourceKind, power_law_spectrum};
use crate::model::Activation;
use crate::theory::bounds;

/// Points of each analytic curve across the drawn range.
const CURVE_POINTS: usize = 400;

/// What a curve is, which decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveKind {
    /// The activation's limit (a theorem or a prediction).
    Limit,
    /// A construction that continues the limit where no theorem does (relu pairs beyond
    /// r = 1).
    Construction,
    /// The activation's limit on isotropic data, beside a whitened data file's prediction:
    /// where whitened data land (THEORY §6).
    Isotropic,
    /// The linear (PCA) bound.
    Pca,
    /// Shannon's distortion-rate function of a unit Gaussian source.
    Shannon,
}

/// One reference curve: risk against r.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// How to draw it.
    pub kind: CurveKind,
    /// The legend of the figure.
    pub label: String,
    /// The legend where room is short (the terminal).
    pub short_label: String,
    /// (r, normalized risk), r increasing.
    pub points: Vec<(f64, f64)>,
}

/// The limit and PCA bound at one rate of a sweep on non-isotropic data.
#[derive(Debug, Clone, PartialEq)]
pub struct RatePoint {
    /// The rate as requested.
    pub r: f64,
    /// The limit at the run's n = round(r·d).
    pub limit: f64,
    /// What the limit is.
    pub limit_label: String,
    /// The PCA bound of the data's spectrum at that n.
    pub pca: f64,
}

/// Everything the curves depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepCurves {
    /// The sweep's activation.
    pub activation: Activation,
    /// The sweep's data.
    pub source: SourceKind,
    /// A whitened data file: its runs land on the isotropic limit, which is drawn beside the
    /// prediction (for data that keep their spectrum it is no reference).
    pub whitened: bool,
    /// For power-law data and data files, the limit and PCA bound at each rate of the sweep
    /// (they need the spectrum, so they are drawn through the sweep's rates); None for
    /// isotropic data.
    pub spectral: Option<Vec<RatePoint>>,
}

/// The trained runs at one rate: the mean final risk across seeds and its standard error (the
/// error bar), as the figure and the sweep view draw them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainedPoint {
    /// The rate as requested.
    pub r: f64,
    /// Mean final risk over the runs with a result (normalized risk).
    pub mean: f64,
    /// Standard error of the mean (sample standard deviation / √runs); NaN for one run.
    pub se: f64,
    /// Runs averaged.
    pub runs: usize,
}

/// The trained points of `rows` (one per rate with a finite mean, r ascending).
pub fn trained_points(rows: &[Row]) -> Vec<TrainedPoint> {
    aggregate(rows)
        .into_iter()
        .filter(|a| a.risk_mean.is_finite())
        .map(|a| TrainedPoint {
            r: a.r,
            mean: a.risk_mean,
            se: a.risk_se,
            runs: a.runs,
        })
        .collect()
}

/// The eigenvalues of Σ the runs of `base` see, when the data are not isotropic: the power
/// law, or a data file's preprocessed training spectrum (None for a file not read yet).
pub fn data_spectrum(base: &Config) -> Option<Vec<f64>> {
    match base.data.kind {
        SourceKind::Powerlaw => Some(power_law_spectrum(base.data.d, base.data.alpha)),
        SourceKind::File => base
            .data
            .loaded
            .0
            .as_ref()
            .map(|d| d.prepared.spectrum.clone()),
        SourceKind::Gaussian | SourceKind::Sparse => None,
    }
}

/// Whether the rows' limits and PCA bounds come from a spectrum (drawn through their rates).
fn spectral_source(source: SourceKind) -> bool {
    matches!(source, SourceKind::Powerlaw | SourceKind::File)
}

impl SweepCurves {
    /// Curves for isotropic data (Gaussian or sparse), in closed form at any r.
    pub fn isotropic(activation: Activation, source: SourceKind) -> SweepCurves {
        SweepCurves {
            activation,
            source,
            whitened: false,
            spectral: None,
        }
    }

    /// The curves of a sweep about to run: `base` its resolved configuration (a data file
    /// already read), `rates` the rates of its grid. For power-law data and data files the
    /// limit at each rate is the one its run will report (reverse water-filling at
    /// n = round(r·d) over the same spectrum).
    pub fn for_config(base: &Config, rates: &[f64]) -> SweepCurves {
        match data_spectrum(base) {
            Some(spectrum) => SweepCurves::for_spectra(base, &[spectrum], rates),
            None => SweepCurves::isotropic(base.model.activation, base.data.kind),
        }
    }

    /// The curves of a planned sweep, through the rates of its points: for a data file split
    /// per seed, at each rate the mean over the seeds' predictions and PCA bounds (what its
    /// by-rate table will hold), else as [`SweepCurves::for_config`].
    pub fn for_plan(plan: &SweepPlan) -> SweepCurves {
        let rates: Vec<f64> = plan.points.iter().map(|p| p.rate).collect();
        if plan.splits.is_empty() {
            return SweepCurves::for_config(&plan.base, &rates);
        }
        let spectra: Vec<Vec<f64>> = plan
            .splits
            .iter()
            .map(|(_, d)| d.prepared.spectrum.clone())
            .collect();
        SweepCurves::for_spectra(&plan.base, &spectra, &rates)
    }

    /// Limits and PCA bounds at `rates`, each the [`common_mean`] over `spectra` (in order).
    fn for_spectra(base: &Config, spectra: &[Vec<f64>], rates: &[f64]) -> SweepCurves {
        let activation = base.model.activation;
        let source = base.data.kind;
        let mut rates = rates.to_vec();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        let points = rates
            .into_iter()
            .map(|r| {
                let at: Vec<(bounds::Limit, f64)> = spectra
                    .iter()
                    .map(|spectrum| {
                        let d = spectrum.len();
                        let n = n_for_rate(r, d);
                        let lim = bounds::limit_for_spectrum(activation, spectrum, n as f64)
                            .unwrap_or_else(|_| bounds::limit(activation, n as f64 / d as f64));
                        (lim, bounds::pca_bound_spectrum(spectrum, n))
                    })
                    .collect();
                RatePoint {
                    r,
                    limit: common_mean(&at.iter().map(|(l, _)| l.value).collect::<Vec<_>>()),
                    limit_label: at
                        .first()
                        .map_or_else(String::new, |(l, _)| l.label.to_string()),
                    pca: common_mean(&at.iter().map(|(_, p)| *p).collect::<Vec<_>>()),
                }
            })
            .collect();
        SweepCurves {
            activation,
            source,
            whitened: source == SourceKind::File && base.data.whiten != Whiten::None,
            spectral: Some(points),
        }
    }

    /// The curves of finished runs (the figure, possibly of merged shards): for power-law
    /// data and data files through the limits and PCA bounds the runs reported. None without
    /// rows.
    pub fn from_rows(rows: &[Row]) -> Option<SweepCurves> {
        let first = rows.first()?;
        if !spectral_source(first.source) {
            return Some(SweepCurves::isotropic(first.activation, first.source));
        }
        let points = aggregate(rows)
            .into_iter()
            .map(|a| RatePoint {
                r: a.r,
                limit: a.limit,
                limit_label: a.limit_label,
                pca: a.pca,
            })
            .collect();
        Some(SweepCurves {
            activation: first.activation,
            source: first.source,
            whitened: first.source == SourceKind::File && first.whiten != Whiten::None,
            spectral: Some(points),
        })
    }

    /// Every curve over r in `[lo, hi]`: the limit (split where its meaning changes), for a
    /// whitened data file the isotropic limit, the PCA bound, Shannon's D(r).
    pub fn curves(&self, lo: f64, hi: f64) -> Vec<Curve> {
        let mut out = self.limit_curves(lo, hi);
        if self.whitened {
            out.push(self.isotropic_curve(lo, hi));
        }
        out.push(self.pca_curve(lo, hi));
        out.push(self.shannon_curve(lo, hi));
        out
    }

    /// The limit, one curve per label: the first is the limit, later ones constructions.
    fn limit_curves(&self, lo: f64, hi: f64) -> Vec<Curve> {
        let suffix = if self.source == SourceKind::Sparse {
            " (Gaussian data)"
        } else {
            ""
        };
        let points: Vec<(f64, f64, &'static str)> = match &self.spectral {
            Some(pts) => {
                let of = if self.source == SourceKind::File {
                    "the data's spectrum"
                } else {
                    "Σ's spectrum"
                };
                return segments(pts.iter().map(|p| {
                    let label = p.limit_label.as_str();
                    (
                        p.r,
                        p.limit,
                        label,
                        format!("{label}, prediction from {of}"),
                    )
                }));
            }
            None => grid_with_kink(lo, hi)
                .into_iter()
                .map(|r| {
                    let lim = bounds::limit(self.activation, r);
                    (r, lim.value, lim.label)
                })
                .collect(),
        };
        segments(
            points
                .into_iter()
                .map(|(r, v, label)| (r, v, label, format!("{label}{suffix}"))),
        )
    }

    /// The activation's isotropic limit as one curve (relu's pairing part included).
    fn isotropic_curve(&self, lo: f64, hi: f64) -> Curve {
        Curve {
            kind: CurveKind::Isotropic,
            label: format!(
                "{} limit of isotropic data (where whitened data land)",
                self.activation.name()
            ),
            short_label: "isotropic limit".into(),
            points: grid_with_kink(lo, hi)
                .into_iter()
                .map(|r| (r, bounds::limit(self.activation, r).value))
                .filter(|(_, y)| y.is_finite())
                .collect(),
        }
    }

    fn pca_curve(&self, lo: f64, hi: f64) -> Curve {
        match &self.spectral {
            Some(pts) => Curve {
                kind: CurveKind::Pca,
                label: "PCA bound (data spectrum)".into(),
                short_label: "PCA bound".into(),
                points: pts.iter().map(|p| (p.r, p.pca)).collect(),
            },
            None => Curve {
                kind: CurveKind::Pca,
                label: "PCA bound max(0, 1 − r)".into(),
                short_label: "PCA bound".into(),
                points: sample(lo, hi, bounds::pca_bound),
            },
        }
    }

    fn shannon_curve(&self, lo: f64, hi: f64) -> Curve {
        Curve {
            kind: CurveKind::Shannon,
            // r bits per coordinate only for sign: a real-valued code is not bound by D(r).
            label: if self.activation == Activation::Sign {
                "Shannon D(r) = 2^(−2r), unit Gaussian source".into()
            } else {
                "Shannon D(r) = 2^(−2r) at r bits/coordinate (binds binary codes only)".into()
            },
            short_label: "Shannon D(r)".into(),
            points: sample(lo, hi, bounds::shannon),
        }
    }
}

/// `CURVE_POINTS + 1` rates evenly from `lo` to `hi`.
fn grid(lo: f64, hi: f64) -> Vec<f64> {
    (0..=CURVE_POINTS)
        .map(|i| lo + (hi - lo) * i as f64 / CURVE_POINTS as f64)
        .collect()
}

/// [`grid`] with r = 1 added where it falls inside: the limits' kink must be a vertex.
fn grid_with_kink(lo: f64, hi: f64) -> Vec<f64> {
    let mut rs = grid(lo, hi);
    if lo < 1.0 && hi > 1.0 {
        rs.push(1.0);
        rs.sort_by(f64::total_cmp);
    }
    rs
}

fn sample(lo: f64, hi: f64, f: fn(f64) -> f64) -> Vec<(f64, f64)> {
    grid(lo, hi)
        .into_iter()
        .map(|r| (r, f(r)))
        .filter(|(_, y)| y.is_finite())
        .collect()
}

/// Polylines of consecutive points sharing a label (short label, figure label); a new
/// segment starts at the last point of the previous one so the line stays connected. The
/// first segment is the limit, the others constructions.
fn segments<'a>(points: impl Iterator<Item = (f64, f64, &'a str, String)>) -> Vec<Curve> {
    let mut out: Vec<Curve> = Vec::new();
    for (r, v, short, label) in points {
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
                    kind: if out.is_empty() {
                        CurveKind::Limit
                    } else {
                        CurveKind::Construction
                    },
                    label,
                    short_label: short.to_string(),
                    points: pts,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_splits_at_one_with_the_kink_as_a_vertex() {
        let c = SweepCurves::isotropic(Activation::Relu, SourceKind::Gaussian).curves(0.0, 2.0);
        let kinds: Vec<CurveKind> = c.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CurveKind::Limit,
                CurveKind::Construction,
                CurveKind::Pca,
                CurveKind::Shannon
            ]
        );
        assert_eq!(c[0].points.last().map(|p| p.0), Some(1.0));
        assert_eq!(c[1].points.first(), c[0].points.last());
        assert_eq!(c[1].short_label, "relu pairing construction");
    }

    #[test]
    fn sparse_data_names_the_gaussian_line_as_such() {
        let c = SweepCurves::isotropic(Activation::Sign, SourceKind::Sparse).curves(0.1, 4.0);
        assert_eq!(c[0].label, "sign limit (Gaussian data)");
        assert_eq!(c[0].short_label, "sign limit");
        assert!((c[0].points[0].1 - bounds::r_sign(0.1)).abs() < 1e-15);
    }
}
