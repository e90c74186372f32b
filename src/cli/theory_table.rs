//! `aescope theory`: the limits at a list of rates.

use crate::config::parse_rates;
use crate::model::Activation;
use crate::theory::bounds;
use anyhow::Result;
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
    let rates = parse_rates(&args.rates).map_err(|e| anyhow::anyhow!("--rates: {e}"))?;
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
        outln!("{}", serde_json::Value::Array(v));
    } else {
        outln!("activation: {act}");
        outln!(
            "{:>8}  {:>10}  {:>10}  {:>10}  limit",
            "r",
            "limit",
            "PCA",
            "Shannon"
        );
        for (r, lim, pca, sh) in rows {
            outln!(
                "{r:>8.4}  {:>10.6}  {pca:>10.6}  {sh:>10.6}  {}",
                lim.value,
                lim.label
            );
        }
    }
    Ok(0)
}
