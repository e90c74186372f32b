//! The memory a run needs, estimated from its shapes before anything is allocated, and the
//! budget it must fit in (default: half the physical memory; `--max-memory`). A configuration
//! over budget is refused with what it would need, instead of aborting in the allocator.

use crate::config::Config;
use crate::data::{Basis, SourceKind};
use crate::protocol::TrainMode;
use thiserror::Error;

/// The budget as a fraction of physical memory when `--max-memory` is not given.
pub const DEFAULT_FRACTION: f64 = 0.5;

/// A configuration that does not fit.
#[derive(Debug, Error)]
#[error(
    "this run needs about {} of memory ({detail}), over the budget of {} ({budget_origin}); make data.d or model.rate smaller, or raise --max-memory",
    human(*need), human(*budget)
)]
pub struct OverBudget {
    pub need: u64,
    pub budget: u64,
    pub budget_origin: String,
    pub detail: String,
}

/// Estimated peak bytes of one run at hidden width `n`, with the largest terms named.
/// Counts (f64 = 8 bytes, f32 = 4): weights, gradients and optimizer moments (n·d), the
/// population engine's f64 copies and workspace (n·d, n²), the report's Gram matrix and
/// eigendecomposition and the exact risk's n×n moments (n²), the power-law basis and
/// covariance (d²), minibatches in flight and their activations (batch·d, batch·n) and the
/// validation set (val_size·d, and val_size·n for the least-squares decoder).
pub fn estimate(cfg: &Config, n: usize) -> (u64, String) {
    let (n, d) = (n as f64, cfg.data.d as f64);
    let batch = cfg.train.batch as f64;
    let val = cfg.eval.val_size as f64;
    let population = cfg.train.mode == TrainMode::Population;
    let gaussian = cfg.data.kind != SourceKind::Sparse;
    let nd = n * d * if population { 176.0 } else { 104.0 };
    let nn = n * n * if population { 64.0 } else { 40.0 };
    let dd = if cfg.data.kind == SourceKind::Powerlaw && cfg.data.basis == Basis::Random {
        36.0 * d * d
    } else {
        0.0
    };
    let batches = batch * (24.0 * d + 16.0 * n);
    let validation = val * d * 4.0
        + if gaussian {
            0.0
        } else {
            val * (8.0 * d + 8.0 * n)
        };
    let total = nd + nn + dd + batches + validation;
    let mut parts = [
        ("n·d matrices", nd),
        ("n² matrices", nn),
        ("d² matrices", dd),
        ("minibatches", batches),
        ("validation set", validation),
    ];
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    let detail = parts
        .iter()
        .filter(|p| p.1 > 0.0)
        .take(2)
        .map(|(what, b)| format!("{what} {}", human(*b as u64)))
        .collect::<Vec<_>>()
        .join(", ");
    let detail = format!("d = {d}, n = {n}: {detail}");
    (total.min(u64::MAX as f64) as u64, detail)
}

/// Physical memory in bytes, if the system says.
pub fn physical_memory() -> Option<u64> {
    // SAFETY: sysconf only reads system constants.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages > 0 && size > 0).then(|| pages as u64 * size as u64)
}

/// The budget: `max` when given, else [`DEFAULT_FRACTION`] of physical memory (16 GiB when
/// it cannot be read). Returns the budget and where it came from, for messages.
pub fn budget(max: Option<u64>) -> (u64, String) {
    match max {
        Some(b) => (b, "--max-memory".into()),
        None => match physical_memory() {
            Some(p) => (
                (p as f64 * DEFAULT_FRACTION) as u64,
                format!("half of the {} of physical memory", human(p)),
            ),
            None => (16 << 30, "default, physical memory unknown".into()),
        },
    }
}

/// Refuse `jobs` concurrent runs of `cfg` at hidden width `n` when they exceed the budget.
pub fn check(cfg: &Config, n: usize, jobs: usize, max: Option<u64>) -> Result<(), OverBudget> {
    let (one, detail) = estimate(cfg, n);
    let need = one.saturating_mul(jobs.max(1) as u64);
    let (budget, budget_origin) = budget(max);
    if need > budget {
        let detail = if jobs > 1 {
            format!("{jobs} runs at once, each {}: {detail}", human(one))
        } else {
            detail
        };
        return Err(OverBudget {
            need,
            budget,
            budget_origin,
            detail,
        });
    }
    Ok(())
}

/// `--max-memory`: bytes, or a number with K, M, G or T (powers of 1024; `GiB`, `GB`, `G` alike).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}': expected a size such as 8G, 512M or 1073741824"))?;
    let mult = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1u64,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("'{s}': unknown unit (use K, M, G or T)")),
    };
    let bytes = v * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("'{s}': expected a size of at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// Bytes as `12.3 GiB`.
pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(sets: &[&str]) -> Config {
        let o: Vec<String> = sets.iter().map(ToString::to_string).collect();
        Config::load("sign-r0.5", &o).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_issue_sizes_are_refused_and_presets_pass() {
        let budget = Some(8 << 30);
        let big_d = cfg(&["data.d=65536", "eval.val_size=16"]);
        assert!(check(&big_d, big_d.n(), 1, budget).is_err());
        let wide = cfg(&["data.d=256", "model.rate=256"]);
        let e = check(&wide, wide.n(), 1, budget).map_err(|e| e.to_string());
        // n = 65536: the n×n Gram matrix alone is 32 GiB in f64.
        assert!(
            e.as_ref().is_err_and(|m| m.contains("n² matrices")),
            "{e:?}"
        );
        let default = cfg(&[]);
        assert!(check(&default, default.n(), 4, budget).is_ok());
        // The n² term: 65536² · 40 bytes.
        assert!(estimate(&wide, wide.n()).0 >= 65536u64 * 65536 * 40);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("8Q").is_err());
    }
}
