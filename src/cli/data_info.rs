//! `aescope data FILE`: what a data file holds (format, shape, range, SHA-256) and what the
//! theory predicts for it (covariance spectrum, water-filling prediction, PCA bound).

use crate::data::files::{Dataset, Format, LabelColumn, LoadOptions, load_named};
use crate::data::preprocess::{Prepared, PreprocessSpec, Whiten, effective_rank, prepare};
use crate::model::Activation;
use crate::theory::data::data_limits;
use anyhow::{Result, anyhow};
use clap::Args;

#[derive(Debug, Args)]
pub struct DataArgs {
    /// A data file (IDX, NPY, CSV, CIFAR-10 batch; gzip or not), or builtin:digits.
    pub file: String,
    /// Format: idx, npy, csv or cifar (default: from the magic number, then the extension).
    #[arg(long)]
    pub format: Option<String>,
    /// Shape of one sample, e.g. 28,28 or 3,32,32 (default: from the file).
    #[arg(long, value_delimiter = ',')]
    pub shape: Option<Vec<usize>>,
    /// Read only the first N samples.
    #[arg(long, value_name = "N")]
    pub max_samples: Option<usize>,
    /// CSV: a label column to drop: first, last or a 0-based index.
    #[arg(long, value_name = "COL")]
    pub label_column: Option<String>,
    /// Project on the top K principal components before the spectrum (0: none).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub project: usize,
    /// Whitening: none, pca or zca.
    #[arg(long, default_value = "none")]
    pub whiten: String,
    /// Do not center the features.
    #[arg(long)]
    pub no_center: bool,
    /// Activation of the prediction: sign, relu, tanh, erf or linear.
    #[arg(long, default_value = "sign")]
    pub act: String,
}

pub(super) fn run(args: &DataArgs) -> Result<i32> {
    let format = args
        .format
        .as_deref()
        .map(str::parse::<Format>)
        .transpose()
        .map_err(|e| anyhow!("--format: {e}"))?;
    let label_column = args
        .label_column
        .as_deref()
        .map(str::parse::<LabelColumn>)
        .transpose()
        .map_err(|e| anyhow!("--label-column: {e}"))?;
    let whiten = match args.whiten.as_str() {
        "none" => Whiten::None,
        "pca" => Whiten::Pca,
        "zca" => Whiten::Zca,
        w => return Err(anyhow!("--whiten {w}: expected none, pca or zca")),
    };
    let act: Activation = args
        .act
        .parse()
        .map_err(|e: String| anyhow!("--act: {e}"))?;
    let opts = LoadOptions {
        format,
        shape: args.shape.clone(),
        max_samples: args.max_samples,
        label_column,
        ..LoadOptions::default()
    };
    let ds = load_named(&args.file, &opts)?;
    print_file(&args.file, &ds);
    let spec = PreprocessSpec {
        center: !args.no_center,
        project: args.project,
        whiten,
        ..PreprocessSpec::default()
    };
    let empty = ds.x.slice(ndarray::s![..0, ..]);
    let p = prepare(ds.x.view(), empty, &spec).map_err(|e| anyhow!("{}: {e}", args.file))?;
    print_theory(&args.file, act, &spec, &p)?;
    Ok(0)
}

fn print_file(name: &str, ds: &Dataset) {
    let (lo, hi) = ds.range();
    let shape: Vec<String> = ds.shape.iter().map(ToString::to_string).collect();
    outln!("file        {name}");
    outln!(
        "format      {}{}, {}",
        ds.format.name(),
        if ds.gzip { " (gzip)" } else { "" },
        ds.dtype
    );
    outln!(
        "samples     {} (of {} in the file)",
        ds.samples(),
        ds.samples_in_file
    );
    outln!(
        "shape       {} ({} features)",
        shape.join("×"),
        ds.features()
    );
    outln!("range       {lo} … {hi}");
    outln!("sha256      {}", ds.sha256);
}

fn print_theory(name: &str, act: Activation, spec: &PreprocessSpec, p: &Prepared) -> Result<()> {
    let d = p.d();
    let zero = p
        .input_spectrum
        .iter()
        .filter(|&&v| v <= 1e-12 * p.input_spectrum[0])
        .count();
    outln!(
        "preprocess  {}, {}, {} → d = {d}{}",
        if spec.center {
            "centered"
        } else {
            "not centered"
        },
        if spec.project > 0 {
            format!("top {} components", spec.project)
        } else {
            "no projection".into()
        },
        match spec.whiten {
            Whiten::None => "scaled to (1/d) Tr Σ = 1",
            Whiten::Pca => "PCA-whitened",
            Whiten::Zca => "ZCA-whitened",
        },
        if p.dropped > 0 {
            format!(" ({} directions under the floor dropped)", p.dropped)
        } else {
            String::new()
        }
    );
    let top: Vec<String> = p
        .spectrum
        .iter()
        .take(8)
        .map(|v| format!("{v:.3}"))
        .collect();
    outln!("spectrum    top eigenvalues (mean 1): {}", top.join(" "));
    outln!(
        "            effective rank {:.1} of {d}; input: {zero} of {} directions with zero variance",
        effective_rank(&p.spectrum),
        p.input_spectrum.len()
    );
    outln!("prediction  {act}, water-filling on this spectrum (THEORY §4), normalized risk");
    outln!(
        "{:>10}  {:>6}  {:>13}  {:>9}  {:>9}",
        "r",
        "n",
        "water-filling",
        "PCA",
        "isotropic"
    );
    for r in [0.125, 0.25, 0.5, 1.0, 2.0] {
        let n = ((r * d as f64).round() as usize).max(1);
        let l = data_limits(act, &p.spectrum, n).map_err(|e| anyhow!("{name}: {e}"))?;
        outln!(
            "{r:>10}  {n:>6}  {:>13.6}  {:>9.6}  {:>9.6}",
            l.prediction.value,
            l.pca,
            l.isotropic.value
        );
    }
    Ok(())
}
