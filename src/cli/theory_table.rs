//! `aescope theory`: the limits at a list of rates.

use crate::model::Activation;
use crate::theory::bounds;
use anyhow::{Result, bail};
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct TheoryArgs {
    /// Activation: sign, relu, tanh, erf or linear.
    #[arg(long, default_value = "sign")]
    pub act: String,
    /// Rates r = n/d: a comma list (0.25,0.5,1) or a range start:stop:step (0.1:4:0.1).
    #[arg(long, default_value = "0.25,0.5,1,2,4")]
    pub rates: String,
    /// Print JSON (one array of objects) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(args: &TheoryArgs) -> Result<i32> {
    let act: Activation = args
        .act
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--act: {e}"))?;
    let rates = parse_rates(&args.rates)?;
    let rows: Vec<_> = rates
        .iter()
        .map(|&r| {
            let lim = bounds::limit(act, r);
            (r, lim, bounds::pca_bound(r), bounds::shannon(r))
        })
        .collect();
    if args.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(r, lim, pca, sh)| {
                json!({ "r": r, "limit": lim.value, "limit_label": lim.label, "pca": pca, "shannon": sh })
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        println!("activation: {act}");
        println!(
            "{:>8}  {:>10}  {:>10}  {:>10}  limit",
            "r", "limit", "PCA", "Shannon"
        );
        for (r, lim, pca, sh) in rows {
            println!(
                "{r:>8.4}  {:>10.6}  {pca:>10.6}  {sh:>10.6}  {}",
                lim.value, lim.label
            );
        }
    }
    Ok(0)
}

/// `0.25,0.5,1` or `start:stop:step` (inclusive of stop up to rounding). Every rate must be a
/// finite number > 0.
pub fn parse_rates(s: &str) -> Result<Vec<f64>> {
    let num = |t: &str| -> Result<f64> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--rates: '{t}' is not a number"))?;
        if !v.is_finite() || v <= 0.0 {
            bail!("--rates: {v} is not allowed (expected finite rates > 0)");
        }
        Ok(v)
    };
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        let [a, b, step] = parts.as_slice() else {
            bail!("--rates: '{s}': expected start:stop:step");
        };
        let (a, b, step) = (num(a)?, num(b)?, num(step)?);
        if b < a {
            bail!("--rates: '{s}': stop {b} is below start {a}");
        }
        let count = ((b - a) / step + 1e-9).floor() as usize + 1;
        if count > 100_000 {
            bail!("--rates: '{s}' gives {count} rates (at most 100000)");
        }
        Ok((0..count).map(|i| a + i as f64 * step).collect())
    } else {
        s.split(',').map(num).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_lists() {
        assert_eq!(
            parse_rates("0.5,1,2").unwrap_or_default(),
            vec![0.5, 1.0, 2.0]
        );
        assert_eq!(
            parse_rates("0.5:2:0.5").unwrap_or_default(),
            vec![0.5, 1.0, 1.5, 2.0]
        );
        assert!(parse_rates("0.5,-1").is_err());
        assert!(parse_rates("0.5,x").is_err());
        assert!(parse_rates("2:1:0.5").is_err());
        assert!(parse_rates("nan").is_err());
    }
}
