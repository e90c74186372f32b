//! Rate sweeps: train one run per (rate, seed) of a preset, in parallel, and compare the final
//! risks with the limit curve (the paper's risk-versus-rate figure).
//!
//! - [`grid`]: the (rate, seed) grid and its `--shard i/N` slices;
//! - [`runner`]: runs a plan on up to J threads, each run a worker with its own JSONL record,
//!   reporting [`SweepEvent`]s (the CLI prints them, a TUI can draw them);
//! - [`table`]: result rows and their aggregates across seeds; [`files`]: CSV/JSON on disk;
//! - [`merge`]: combine the results of shards; [`plot`]: the figure (SVG/PNG);
//! - [`curves`]: the reference curves (limit, PCA, Shannon) that the figure and the sweep
//!   view both draw.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use aescope::config::Config;
//! use aescope::sweep::{self, Shard, SweepEvent, SweepPlan, RunOptions};
//! let cfg = Config::load("sweep-sign", &[])?;
//! let plan = SweepPlan::new(cfg, "sweep-sign", Shard::ALL)?;
//! let handle = sweep::spawn(plan, RunOptions { jobs: 2, records: None })?;
//! for ev in handle.events.iter() {
//!     if let SweepEvent::Finished { rows, .. } = ev {
//!         println!("{} runs", rows.len());
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod curves;
pub mod files;
pub mod grid;
pub mod merge;
pub mod plot;
pub mod runner;
pub mod table;

pub use grid::{GridPoint, Shard};
pub use runner::{Progress, RunOptions, SweepEvent, SweepHandle, spawn};
pub use table::{RateSummary, Row, Stop};

use crate::config::{Config, ConfigError, parse_rates};
use crate::data::SourceKind;
use crate::data::real::{LoadedData, RealData};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Everything that can go wrong in a sweep, naming the file, flag or key involved.
#[derive(Debug, Error)]
pub enum SweepError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("--shard {value}: {expected}")]
    BadShard { value: String, expected: String },
    #[error("--jobs {value}: expected an integer ≥ 1")]
    BadJobs { value: usize },
    #[error("{origin}: sweep.rates lists r = {rate} twice (every (rate, seed) is one run)")]
    DuplicateRate { origin: String, rate: f64 },
    #[error(
        "shard {shard} of a grid of {grid} runs is empty: use at most {grid} shards (--shard i/N with N ≤ {grid})"
    )]
    EmptyShard { shard: Shard, grid: usize },
    #[error("{}: cannot {action}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    BadTable { path: PathBuf, message: String },
    #[error(
        "{} does not belong to the same sweep as {}: {detail}. Shards of one sweep must use the same preset, --set overrides, rates, seeds and step flags",
        path.display(), first.display()
    )]
    Mismatch {
        path: PathBuf,
        first: PathBuf,
        detail: String,
    },
    #[error(
        "r = {r}, seed {seed} appears twice: in {} and in {} (was a shard merged twice, or run twice?)",
        first.display(), path.display()
    )]
    DuplicateRun {
        r: f64,
        seed: u64,
        first: PathBuf,
        path: PathBuf,
    },
    #[error("{what}: no runs to {action}")]
    NoRows { what: String, action: &'static str },
    #[error("plot {}: {message}", path.display())]
    Plot { path: PathBuf, message: String },
    #[error("starting the sweep threads: {0}")]
    Thread(std::io::Error),
}

impl SweepError {
    pub(crate) fn io(path: &Path, action: &'static str, source: impl Into<std::io::Error>) -> Self {
        SweepError::Io {
            path: path.to_path_buf(),
            action,
            source: source.into(),
        }
    }
}

/// A sweep ready to run: the resolved configuration and the grid points of one shard.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// Preset + overrides, validated. Each run changes only `model.rate` and `seed`.
    pub base: Config,
    /// Where the preset came from (file or built-in name), for messages.
    pub origin: String,
    /// This shard's points, in grid order.
    pub points: Vec<GridPoint>,
    /// Size of the whole grid (all shards).
    pub grid_size: usize,
    pub shard: Shard,
    /// Fingerprint of `base` (see [`sweep_id`]).
    pub sweep_id: String,
    /// A data file split by seed (no separate validation file): the data of every seed of the
    /// grid, in seed order, each with its own train/validation split. A run of seed s trains on
    /// what `aescope run --set seed=s` would, and the spread across seeds includes the split's.
    /// Empty otherwise.
    pub splits: Vec<(u64, Arc<RealData>)>,
}

impl SweepPlan {
    /// The grid of `base.sweep` (rates × seeds from `base.seed`), sliced to `shard`. Every
    /// run's configuration is validated here, so a bad rate fails before anything trains.
    pub fn new(base: Config, origin: &str, shard: Shard) -> Result<SweepPlan, SweepError> {
        let rates = parse_rates(&base.sweep.rates).map_err(|expected| ConfigError::Invalid {
            origin: origin.to_string(),
            key: "sweep.rates".into(),
            value: format!("{:?}", base.sweep.rates),
            expected,
        })?;
        for (i, r) in rates.iter().enumerate() {
            if rates[..i].contains(r) {
                return Err(SweepError::DuplicateRate {
                    origin: origin.to_string(),
                    rate: *r,
                });
            }
            let mut cfg = base.clone();
            cfg.model.rate = *r;
            cfg.validate(&format!("{origin} (sweep run at r = {r})"))?;
        }
        let splits = seed_splits(&base, origin)?;
        let all = grid::grid(&rates, base.sweep.seeds, base.seed);
        let points = shard.select(&all);
        if points.is_empty() {
            return Err(SweepError::EmptyShard {
                shard,
                grid: all.len(),
            });
        }
        Ok(SweepPlan {
            sweep_id: sweep_id(&base),
            base,
            origin: origin.to_string(),
            points,
            grid_size: all.len(),
            shard,
            splits,
        })
    }

    /// The configuration of one run: the base with this point's rate and seed.
    pub fn run_config(&self, p: &GridPoint) -> Config {
        let mut cfg = self.base.clone();
        cfg.model.rate = p.rate;
        cfg.seed = p.seed;
        if let Some((_, data)) = self.splits.iter().find(|(s, _)| *s == p.seed) {
            cfg.data.d = data.d();
            cfg.data.loaded = LoadedData(Some(Arc::clone(data)));
        }
        cfg
    }

    /// The eigenvalues of Σ that the run of `seed` sees: the power law, or its data file's
    /// preprocessed training split; None for isotropic data.
    pub fn spectrum(&self, seed: u64) -> Option<Vec<f64>> {
        match self.splits.iter().find(|(s, _)| *s == seed) {
            Some((_, data)) => Some(data.prepared.spectrum.clone()),
            None => curves::data_spectrum(&self.base),
        }
    }

    /// How a data file's runs are whitened (`none` for synthetic sources: the key is unused).
    pub fn whiten(&self) -> crate::data::preprocess::Whiten {
        match self.base.data.kind {
            crate::data::SourceKind::File => self.base.data.whiten,
            _ => crate::data::preprocess::Whiten::None,
        }
    }

    /// Drop the points already in `done` (keys of [`Row::key`]), to resume a sweep.
    pub fn skip(&mut self, done: &[(u64, u64)]) {
        let done: std::collections::HashSet<&(u64, u64)> = done.iter().collect();
        self.points
            .retain(|p| !done.contains(&(p.rate.to_bits(), p.seed)));
    }
}

/// The data of every seed of a data file's sweep, each with its own split (see
/// [`SweepPlan::splits`]), the file read once more for all the seeds but the base's; empty when
/// the split does not depend on the seed (a separate validation file) or no file was read.
fn seed_splits(base: &Config, origin: &str) -> Result<Vec<(u64, Arc<RealData>)>, SweepError> {
    let data = &base.data;
    let Some(first) = data.loaded.0.as_ref() else {
        return Ok(Vec::new());
    };
    if data.kind != SourceKind::File || !data.val_path.is_empty() {
        return Ok(Vec::new());
    }
    let seeds: Vec<u64> = (0..base.sweep.seeds)
        .map(|k| base.seed.wrapping_add(u64::from(k)))
        .collect();
    let base_seed = first.spec.split_seed;
    let others: Vec<u64> = seeds.iter().copied().filter(|&s| s != base_seed).collect();
    let err = |message: String| {
        SweepError::Config(ConfigError::Data {
            origin: origin.to_string(),
            // Only a file without a separate validation file gets here.
            key: "data.path",
            message,
        })
    };
    let mut rest = if others.is_empty() {
        Vec::new()
    } else {
        let spec = data.file_spec(base_seed).map_err(err)?;
        RealData::load_splits(&spec, &others).map_err(|e| err(e.to_string()))?
    }
    .into_iter();
    Ok(seeds
        .iter()
        .filter_map(|&s| {
            if s == base_seed {
                Some((s, Arc::clone(first)))
            } else {
                rest.next().map(|d| (s, Arc::new(d)))
            }
        })
        .collect())
}

/// A 16-hex-digit fingerprint of a resolved configuration (FNV-1a of its TOML form): two
/// shards come from the same sweep exactly when their fingerprints agree. Stable across
/// platforms and builds (unlike `std`'s hasher).
pub fn sweep_id(base: &Config) -> String {
    let hash = base
        .to_toml()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}")
}
