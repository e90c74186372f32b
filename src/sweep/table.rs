//! Sweep results: one [`Row`] per run, and [`RateSummary`] aggregates across seeds.
//!
//! All risks are the normalized per-coordinate MSE of THEORY §1 (1.0 = reconstructs nothing).
//! Numbers are written in shortest round-trip form, so a CSV read back gives the same f64s.

use crate::data::SourceKind;
use crate::data::preprocess::Whiten;
use crate::model::Activation;
use crate::protocol::{FinishReason, Summary};
use serde::{Deserialize, Serialize};

/// How a run ended, as far as its sweep point is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// The convergence criterion held before the step cap.
    Converged,
    /// The step budget (or cap) was reached.
    Budget,
    /// NaN/Inf: the risk is that of the last finite weights; lower train.lr.
    Diverged,
    /// Cancelled (Ctrl-C) before the end.
    Interrupted,
    /// An internal error in the training thread.
    Failed,
}

impl Stop {
    /// From the worker's summary: a completed run with fewer steps than its budget stopped on
    /// the convergence criterion.
    pub fn of(summary: &Summary, budget: u64) -> Stop {
        match summary.reason {
            FinishReason::Completed if summary.steps < budget => Stop::Converged,
            FinishReason::Completed => Stop::Budget,
            FinishReason::Diverged => Stop::Diverged,
            FinishReason::Interrupted => Stop::Interrupted,
            FinishReason::Failed => Stop::Failed,
        }
    }

    /// Whether the run's risk is a result (enters the aggregates and the plot).
    pub fn is_result(self) -> bool {
        matches!(self, Stop::Converged | Stop::Budget)
    }
}

/// One run of a sweep: a line of the CSV. Columns in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Preset name.
    pub preset: String,
    /// Fingerprint of the resolved sweep configuration (see [`super::sweep_id`]): shards of
    /// one sweep share it.
    pub sweep_id: String,
    /// The slice this run belonged to, `i/N`.
    pub shard: String,
    pub activation: Activation,
    pub source: SourceKind,
    /// `data.whiten` of a data file (`none`, `pca`, `zca`; `none` for synthetic sources):
    /// whitened data land on the isotropic limit, so the figure draws it for them only.
    /// Absent from results written before this column (read as `none`).
    #[serde(default)]
    pub whiten: Whiten,
    /// `population` (exact risk, full-batch GD) or `sample`.
    pub mode: crate::protocol::TrainMode,
    /// Input dimension.
    pub d: usize,
    /// Rate as requested (n = round(r·d)).
    pub r: f64,
    /// Hidden units.
    pub n: usize,
    pub seed: u64,
    /// Final risk: exact where a closed form exists, else on the validation set.
    #[serde(with = "nan_as_empty")]
    pub risk: f64,
    /// `exact` or `validation`.
    pub risk_kind: String,
    /// Risk on the held-out validation set.
    #[serde(with = "nan_as_empty")]
    pub val_risk: f64,
    /// R*(B): the best risk of any decoder for the final encoder (empty when unknown).
    #[serde(with = "nan_as_empty")]
    pub best_risk: f64,
    /// The reference limit at the run's actual rate n/d.
    #[serde(with = "nan_as_empty")]
    pub limit: f64,
    /// What the limit is (a theorem, a prediction, a construction).
    pub limit_label: String,
    /// risk − limit.
    #[serde(with = "nan_as_empty")]
    pub gap: f64,
    /// (risk − limit) / limit; empty when the limit is 0.
    #[serde(with = "nan_as_empty")]
    pub rel_gap: f64,
    /// The linear (PCA) bound at n/d.
    #[serde(with = "nan_as_empty")]
    pub pca: f64,
    /// Shannon's D(r) = 2^(−2r) at n/d (unit Gaussian source).
    #[serde(with = "nan_as_empty")]
    pub shannon: f64,
    /// Steps trained.
    pub steps: u64,
    /// Step budget (the cap when stopping on convergence).
    pub budget: u64,
    pub stop: Stop,
    /// Wall time of the run, seconds.
    #[serde(with = "nan_as_empty")]
    pub wall_s: f64,
    /// The run's JSONL record (empty when none was written).
    pub record: String,
}

impl Row {
    /// The grid point this row is for: (r, seed), with r compared bit for bit.
    pub fn key(&self) -> (u64, u64) {
        (self.r.to_bits(), self.seed)
    }
}

/// Aggregate of the runs at one rate, across seeds: a line of the `.by-rate.csv` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateSummary {
    pub preset: String,
    pub sweep_id: String,
    pub activation: Activation,
    pub source: SourceKind,
    #[serde(default)]
    pub whiten: Whiten,
    pub d: usize,
    pub r: f64,
    pub n: usize,
    /// Runs whose risk is a result (converged or budget reached).
    pub runs: usize,
    /// Runs that diverged, were interrupted or failed (not in the statistics).
    pub failed: usize,
    /// Mean final risk over `runs`.
    #[serde(with = "nan_as_empty")]
    pub risk_mean: f64,
    /// Standard error of the mean: sample standard deviation / √runs (empty for one run).
    #[serde(with = "nan_as_empty")]
    pub risk_se: f64,
    #[serde(with = "nan_as_empty")]
    pub risk_min: f64,
    #[serde(with = "nan_as_empty")]
    pub risk_max: f64,
    pub risk_kind: String,
    #[serde(with = "nan_as_empty")]
    pub limit: f64,
    pub limit_label: String,
    /// risk_mean − limit.
    #[serde(with = "nan_as_empty")]
    pub gap: f64,
    /// (risk_mean − limit) / limit; empty when the limit is 0.
    #[serde(with = "nan_as_empty")]
    pub rel_gap: f64,
    #[serde(with = "nan_as_empty")]
    pub pca: f64,
    #[serde(with = "nan_as_empty")]
    pub shannon: f64,
    /// Mean steps trained.
    #[serde(with = "nan_as_empty")]
    pub steps_mean: f64,
    /// Total wall time of the runs, seconds.
    #[serde(with = "nan_as_empty")]
    pub wall_s: f64,
}

/// (risk − limit)/limit, NaN when the limit is 0 (a relative gap means nothing there).
pub fn relative_gap(risk: f64, limit: f64) -> f64 {
    if limit > 0.0 {
        (risk - limit) / limit
    } else {
        f64::NAN
    }
}

/// Sort rows by (r, seed): the order of every file written.
pub fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| a.r.total_cmp(&b.r).then(a.seed.cmp(&b.seed)));
}

/// One summary per distinct rate, ascending. Rows must come from one sweep.
pub fn aggregate(rows: &[Row]) -> Vec<RateSummary> {
    let mut sorted: Vec<&Row> = rows.iter().collect();
    // Seed order within a rate: means are summed in the order the curves sum them.
    sorted.sort_by(|a, b| a.r.total_cmp(&b.r).then(a.seed.cmp(&b.seed)));
    sorted
        .chunk_by(|a, b| a.r.to_bits() == b.r.to_bits())
        .map(summarize)
        .collect()
}

fn summarize(group: &[&Row]) -> RateSummary {
    let first = group[0];
    let ok: Vec<&Row> = group
        .iter()
        .copied()
        .filter(|r| r.stop.is_result())
        .collect();
    let risks: Vec<f64> = ok.iter().map(|r| r.risk).collect();
    let (mean, se) = mean_and_se(&risks);
    let fold = |init: f64, f: fn(f64, f64) -> f64| {
        if risks.is_empty() {
            f64::NAN
        } else {
            risks.iter().copied().fold(init, f)
        }
    };
    let steps: Vec<f64> = ok.iter().map(|r| r.steps as f64).collect();
    // Each seed of a data file has its own split, so its own prediction: the rate's is their
    // mean.
    let limit = common_mean(&group.iter().map(|r| r.limit).collect::<Vec<_>>());
    let pca = common_mean(&group.iter().map(|r| r.pca).collect::<Vec<_>>());
    RateSummary {
        preset: first.preset.clone(),
        sweep_id: first.sweep_id.clone(),
        activation: first.activation,
        source: first.source,
        whiten: first.whiten,
        d: first.d,
        r: first.r,
        n: first.n,
        runs: ok.len(),
        failed: group.len() - ok.len(),
        risk_mean: mean,
        risk_se: se,
        risk_min: fold(f64::INFINITY, f64::min),
        risk_max: fold(f64::NEG_INFINITY, f64::max),
        risk_kind: first.risk_kind.clone(),
        limit,
        limit_label: first.limit_label.clone(),
        gap: mean - limit,
        rel_gap: relative_gap(mean, limit),
        pca,
        shannon: first.shannon,
        steps_mean: mean_and_se(&steps).0,
        wall_s: group
            .iter()
            .map(|r| r.wall_s)
            .filter(|w| w.is_finite())
            .sum(),
    }
}

/// The value all of `v` share (bit for bit), else their mean (summed in order); NaN when empty.
pub fn common_mean(v: &[f64]) -> f64 {
    match v.first() {
        None => f64::NAN,
        Some(&first) if v.iter().all(|x| x.to_bits() == first.to_bits()) => first,
        Some(_) => v.iter().sum::<f64>() / v.len() as f64,
    }
}

/// Mean and standard error (sample standard deviation / √k); NaN for no values, and an SE of
/// NaN for one value (no spread to estimate).
pub fn mean_and_se(v: &[f64]) -> (f64, f64) {
    let k = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / k;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
    (mean, (var / k).sqrt())
}

/// NaN and ±∞ as an empty CSV field or a JSON null (JSON has no NaN), and back as NaN.
mod nan_as_empty {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde's serialize_with signature"
    )]
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_some(v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_of_the_mean() {
        let (m, se) = mean_and_se(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        // sample sd = √(5/3), se = sd/2.
        assert!((se - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        let (m, se) = mean_and_se(&[0.7]);
        assert_eq!(m, 0.7);
        assert!(se.is_nan());
        assert!(mean_and_se(&[]).0.is_nan());
    }

    #[test]
    fn relative_gap_is_undefined_at_a_zero_limit() {
        assert!(relative_gap(0.1, 0.0).is_nan());
        assert!((relative_gap(1.01, 1.0) - 0.01).abs() < 1e-12);
    }
}
