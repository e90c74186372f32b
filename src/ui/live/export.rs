//! The `e` key's share of the UI: the series it keeps (loss, smoothed loss, risk, reference
//! lines) as one CSV beside the matrices the worker exports.

use crate::ui::history::{Histories, HistoryView, smooth};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Name of the file written into the export directory.
pub const SERIES_FILE: &str = "series.csv";

/// Write `series.csv` into `dir` (created if missing): one row per loss point of the full
/// history (decimated for long runs) and per risk evaluation, with the reference lines in
/// force at that step. Empty fields where a series has no value at that step.
/// `smoothing` is the EMA factor of the smoothed loss column.
pub fn write_series(series: &Histories, smoothing: f64, dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(SERIES_FILE);
    std::fs::write(&path, series_csv(series, smoothing)?)?;
    Ok(path)
}

#[derive(Default)]
struct Row {
    loss: Option<f64>,
    smoothed: Option<f64>,
    risk: Option<f64>,
    best: Option<f64>,
}

/// The CSV text of [`write_series`].
pub fn series_csv(series: &Histories, smoothing: f64) -> io::Result<String> {
    let mut rows: BTreeMap<u64, Row> = BTreeMap::new();
    let loss = series.loss.points(HistoryView::Full);
    let smoothed = smooth(&loss, smoothing);
    for (p, (_, s)) in loss.iter().filter(|p| p.y.is_finite()).zip(&smoothed) {
        let row = rows.entry(p.x as u64).or_default();
        row.loss = Some(p.y);
        row.smoothed = Some(*s);
    }
    for p in series.risk.points(HistoryView::Full) {
        rows.entry(p.x as u64).or_default().risk = Some(p.y);
    }
    for p in series.best.points(HistoryView::Full) {
        rows.entry(p.x as u64).or_default().best = Some(p.y);
    }
    let field = |v: Option<f64>| v.map_or_else(String::new, |x| x.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    let smoothed = format!("loss_smoothed_{smoothing}");
    w.write_record([
        "step",
        "loss",
        &smoothed,
        "risk",
        "limit",
        "pca",
        "shannon",
        "best_risk",
    ])?;
    for (step, r) in rows {
        let x = step as f64;
        w.write_record([
            step.to_string(),
            field(r.loss),
            field(r.smoothed),
            field(r.risk),
            field(series.limit.value_at(x)),
            field(series.pca.value_at(x)),
            field(series.shannon.value_at(x)),
            field(r.best),
        ])?;
    }
    let bytes = w.into_inner().map_err(csv::IntoInnerError::into_error)?;
    String::from_utf8(bytes).map_err(io::Error::other)
}
