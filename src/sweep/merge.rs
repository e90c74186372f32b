//! `aescope sweep-merge`: combine the results files of the shards of one sweep.

use super::SweepError;
use super::files::read_rows;
use super::grid::Shard;
use super::table::{Row, Stop};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The combined rows and what the user should know about them.
#[derive(Debug, Clone)]
pub struct Merged {
    pub rows: Vec<Row>,
    /// Not errors, but worth printing: missing shards, interrupted runs.
    pub warnings: Vec<String>,
}

/// Read every file and check that together they are one sweep: every row has the same
/// fingerprint (same preset, overrides, rates, seeds and step flags), and no (r, seed)
/// appears twice.
pub fn merge(files: &[PathBuf]) -> Result<Merged, SweepError> {
    let mut rows: Vec<Row> = Vec::new();
    // Where each run came from, and the first file (and its first row) as the reference.
    let mut seen: HashMap<(u64, u64), PathBuf> = HashMap::new();
    let mut reference: Option<(PathBuf, Row)> = None;
    let mut shards: Vec<String> = Vec::new();
    for path in files {
        let file_rows = read_rows(path)?;
        if file_rows.is_empty() {
            return Err(SweepError::NoRows {
                what: path.display().to_string(),
                action: "merge",
            });
        }
        for row in file_rows {
            match &reference {
                None => reference = Some((path.clone(), row.clone())),
                Some((first, r0)) => check_same_sweep(path, &row, first, r0)?,
            }
            if let Some(first) = seen.insert(row.key(), path.clone()) {
                return Err(SweepError::DuplicateRun {
                    r: row.r,
                    seed: row.seed,
                    first,
                    path: path.clone(),
                });
            }
            shards.push(row.shard.clone());
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return Err(SweepError::NoRows {
            what: "sweep-merge".into(),
            action: "merge (no files given)",
        });
    }
    let mut warnings = missing_shards(&shards);
    let interrupted = rows
        .iter()
        .filter(|r| matches!(r.stop, Stop::Interrupted | Stop::Failed))
        .count();
    if interrupted > 0 {
        warnings.push(format!(
            "{interrupted} run(s) were interrupted or failed: they are kept in the table but not in the means and the plot (rerun their shard with --resume)"
        ));
    }
    Ok(Merged { rows, warnings })
}

fn check_same_sweep(path: &Path, row: &Row, first: &Path, r0: &Row) -> Result<(), SweepError> {
    if row.sweep_id == r0.sweep_id {
        return Ok(());
    }
    let detail = if row.preset == r0.preset {
        format!(
            "both are preset {}, but with different settings (sweep_id {} against {})",
            row.preset, row.sweep_id, r0.sweep_id
        )
    } else {
        format!(
            "its preset is {} (sweep_id {}), the first file's is {} (sweep_id {})",
            row.preset, row.sweep_id, r0.preset, r0.sweep_id
        )
    };
    Err(SweepError::Mismatch {
        path: path.to_path_buf(),
        first: first.to_path_buf(),
        detail,
    })
}

/// "shard 2/4 is missing" when the files carry slices of N but not all of them.
fn missing_shards(shards: &[String]) -> Vec<String> {
    let parsed: Option<Vec<Shard>> = shards.iter().map(|s| s.parse().ok()).collect();
    let Some(parsed) = parsed else {
        return vec![
            "some rows have an unreadable shard column: cannot check that every shard is present"
                .into(),
        ];
    };
    let counts: BTreeSet<usize> = parsed.iter().map(|s| s.count).collect();
    if counts.len() > 1 {
        let list: Vec<String> = counts.iter().map(ToString::to_string).collect();
        return vec![format!(
            "the files were cut into different numbers of shards ({}): cannot check that every run is present",
            list.join(", ")
        )];
    }
    let Some(&count) = counts.iter().next() else {
        return Vec::new();
    };
    let present: BTreeSet<usize> = parsed.iter().map(|s| s.index).collect();
    let missing: Vec<String> = (1..=count)
        .filter(|i| !present.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if missing.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "shard(s) {} missing: the merged sweep is incomplete",
            missing.join(", ")
        )]
    }
}
