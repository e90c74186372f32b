//! The sweep grid: one point per (rate, seed), split into shards for job arrays.

use super::SweepError;
use std::fmt;
use std::str::FromStr;

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridPoint {
    /// Position in the full (unsharded) grid: rate-major, `rate_index · seeds + k`.
    pub index: usize,
    /// Compression rate r = n/d.
    pub rate: f64,
    /// Seed offset k ∈ 0..seeds.
    pub k: u32,
    /// The run's seed: the preset seed + k.
    pub seed: u64,
}

/// The full grid, rate-major: every seed of the first rate, then the next rate.
pub fn grid(rates: &[f64], seeds: u32, base_seed: u64) -> Vec<GridPoint> {
    rates
        .iter()
        .flat_map(|&rate| (0..seeds).map(move |k| (rate, k)))
        .enumerate()
        .map(|(index, (rate, k))| GridPoint {
            index,
            rate,
            k,
            seed: base_seed.wrapping_add(u64::from(k)),
        })
        .collect()
}

/// Slice `index` (1-based) of `count`: grid point j belongs to slice `j mod count + 1`.
///
/// Interleaving (rather than contiguous blocks) gives every slice a similar mix of cheap small
/// rates and expensive large ones, so the shards of a job array finish at similar times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1 ≤ index ≤ count.
    pub index: usize,
    /// Number of slices ≥ 1.
    pub count: usize,
}

impl Shard {
    /// The whole grid.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Whether grid point `j` (its [`GridPoint::index`]) belongs to this slice.
    pub fn contains(&self, j: usize) -> bool {
        j % self.count + 1 == self.index
    }

    /// The points of this slice, in grid order.
    pub fn select(&self, points: &[GridPoint]) -> Vec<GridPoint> {
        points
            .iter()
            .filter(|p| self.contains(p.index))
            .copied()
            .collect()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = SweepError;

    /// `i/N` with 1 ≤ i ≤ N (as in `--shard 2/4`; Slurm: `--array=1-4`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| SweepError::BadShard {
            value: s.to_string(),
            expected: why.to_string(),
        };
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| bad("expected i/N, e.g. 2/4 (slice i of N, 1 ≤ i ≤ N)"))?;
        let parse = |t: &str, what: &str| -> Result<usize, SweepError> {
            t.trim()
                .parse::<usize>()
                .map_err(|_| bad(&format!("{what} '{t}' is not a whole number")))
        };
        let (index, count) = (
            parse(i, "the slice index i")?,
            parse(n, "the slice count N")?,
        );
        if count == 0 {
            return Err(bad("the slice count N must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(bad(&format!(
                "the slice index must be in 1..={count} (slices are numbered from 1)"
            )));
        }
        Ok(Shard { index, count })
    }
}

/// Relative cost of one run, to order runs and estimate the time left.
///
/// Population GD costs about n·d·(n + d) per step (the n×n kernel and the products through
/// it); a sample step about batch·n·d, where only n varies across a sweep.
pub fn cost_weight(population: bool, n: usize, d: usize) -> f64 {
    let (n, d) = (n as f64, d as f64);
    if population { n * d * (n + d) } else { n * d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_rate_major_with_consecutive_seeds() {
        let g = grid(&[0.5, 1.0], 3, 10);
        assert_eq!(g.len(), 6);
        assert_eq!((g[0].rate, g[0].seed), (0.5, 10));
        assert_eq!((g[2].rate, g[2].seed), (0.5, 12));
        assert_eq!((g[3].rate, g[3].seed, g[3].k), (1.0, 10, 0));
        assert!(g.iter().enumerate().all(|(i, p)| p.index == i));
    }

    #[test]
    fn shards_partition_the_grid() {
        let g = grid(&[0.25, 0.5, 1.0, 2.0, 4.0], 3, 1);
        let n = 4;
        let mut seen: Vec<usize> = (1..=n)
            .flat_map(|i| Shard { index: i, count: n }.select(&g))
            .map(|p| p.index)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..g.len()).collect::<Vec<_>>());
        assert_eq!(Shard::ALL.select(&g), g);
    }

    #[test]
    fn shard_parsing() {
        assert_eq!(
            "2/4".parse::<Shard>().ok(),
            Some(Shard { index: 2, count: 4 })
        );
        assert_eq!(" 1 / 1 ".parse::<Shard>().ok(), Some(Shard::ALL));
        for bad in ["3/2", "0/0", "0/2", "1/0", "2", "a/2", "1/b", "-1/2", ""] {
            let e = bad.parse::<Shard>().err().map(|e| e.to_string());
            assert!(
                e.as_deref().is_some_and(|m| m.contains(bad.trim())),
                "{bad:?}: {e:?}"
            );
        }
    }
}
