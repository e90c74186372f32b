//! The command line: `aescope [PRESET]` (the TUI), `run --headless`, `sweep`, `sweep-merge`,
//! `theory`, `data`, `bench`, `presets`.

#[macro_use]
mod out;

mod bench;
mod data_info;
mod headless;
mod sweep;
mod theory_table;
mod tui;
mod watch;

use crate::config::{BUILTIN_PRESETS, Config, DEFAULT_PRESET};
use crate::safe_io::OutputMode;
use crate::train::{CheckpointPolicy, Durability, Resume};
use crate::ui::images::ImageMode;
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// aescope: a terminal lab for two-layer autoencoders x̂ = A σ(Bx), trained live against the
/// fundamental limits of Shevchenko, Kögler, Hassani & Mondelli (ICML 2023).
#[derive(Debug, Parser)]
#[command(name = "aescope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Train a preset: in the TUI, or with --headless a progress line and a summary.
    Run(RunArgs),
    /// Train one run per (rate, seed) of a preset and compare the risks with the limit curve:
    /// a CSV/JSON table, an SVG/PNG figure and a JSONL record per run.
    Sweep(sweep::SweepArgs),
    /// Combine the results files of sweep shards (--shard i/N) into one table and figure.
    SweepMerge(sweep::MergeArgs),
    /// Print the limits at a list of rates: the activation's limit, the PCA bound, Shannon's D(r).
    Theory(theory_table::TheoryArgs),
    /// Describe a data file: format, shape, range, SHA-256, covariance spectrum and the
    /// water-filling prediction at a few rates.
    Data(data_info::DataArgs),
    /// Measure a preset's training step: steps/s, samples/s, GFLOP/s, and the machine's rate
    /// for the same five matrix products measured on the spot.
    Bench(bench::BenchArgs),
    /// Follow a run written by another process (a headless run, a sweep's run) in the
    /// interface, from its record and the checkpoints beside it; a finished record is replayed.
    /// Read-only.
    Watch(watch::WatchArgs),
    /// List the built-in presets, or print one (fully resolved, with overrides applied).
    Presets {
        /// A preset name or path to print; without it, list the built-in presets.
        preset: Option<String>,
        /// Override a field, e.g. --set train.lr=0.01 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
}

/// Options shared by the TUI and headless runs.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Preset: a TOML file, or a built-in name (see `aescope presets`). Default: sign-r0.5.
    pub preset: Option<String>,
    /// Train without the interface: progress on stderr, summary on stdout.
    #[arg(long)]
    pub headless: bool,
    /// Step budget (overrides train.steps).
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// Seed of init, data and validation streams (overrides seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Threads of the matrix products (overrides train.threads; 0 = every core). The sampler
    /// draws batches on a thread of its own besides these.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write the run record (JSONL) to this file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Override a preset field, e.g. --set model.rate=2 --set train.lr=0.01 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the final summary as one JSON object (headless).
    #[arg(long)]
    pub json: bool,
    /// Colour depth of the interface (default: detected from COLORTERM and TERM).
    #[arg(long, value_enum, value_name = "DEPTH")]
    pub colors: Option<tui::ColorArg>,
    /// Draw chart lines with dots instead of Braille (for fonts without Braille).
    #[arg(long)]
    pub dot_marker: bool,
    /// Do not capture the mouse (keeps the terminal's own text selection; the chart cursor
    /// is then on `c` and ←/→ only).
    #[arg(long)]
    pub no_mouse: bool,
    /// Frames a second at most while only training data changes (1–60; default 10): fewer
    /// frames send fewer bytes over a slow link. A key press is still answered at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub fps: Option<u32>,
    /// How the feature images are drawn: `auto` asks the terminal for an image protocol
    /// (kitty, sixel, iTerm2) and keeps half blocks under tmux/screen or when it does not
    /// answer; the others force one (default: auto, or AESCOPE_IMAGES when set).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ImageMode::Auto)]
    pub images: ImageMode,
    /// Replace an existing --record file (without it an existing file is refused).
    #[arg(long)]
    pub force: bool,
    /// Continue a run from a checkpoint (or from the newest checkpoint beside a run record),
    /// with the settings it was saved with; its record is continued. --steps may raise the
    /// budget.
    #[arg(long, value_name = "CKPT")]
    pub resume: Option<PathBuf>,
    /// Write a checkpoint beside the record every N steps, or every so much time (30s, 10m,
    /// 2h); one is also written when the run is stopped (q, Ctrl-C, SIGTERM, SIGHUP).
    #[arg(long, value_name = "N|TIME", value_parser = parse_every)]
    pub checkpoint_every: Option<Every>,
    /// Keep at most K checkpoints of the record (the oldest are removed).
    #[arg(long, value_name = "K", default_value_t = 3)]
    pub keep_checkpoints: usize,
    /// Memory budget: configurations that would need more are refused before they start
    /// (e.g. 8G, 512M; default: half the physical memory).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Draw an earlier run's risk curve beside this one, from its run record (repeatable; the
    /// interface only). `x` switches the step axis to samples seen.
    #[arg(long, value_name = "RECORD")]
    pub compare: Vec<PathBuf>,
    /// Leave the interface when the run finishes (for measurements and scripts).
    #[arg(long, hide = true)]
    pub exit_when_done: bool,
}

/// `--checkpoint-every`: steps or wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Steps(u64),
    Time(std::time::Duration),
}

fn parse_every(s: &str) -> Result<Every, String> {
    let t = s.trim();
    let bad = || format!("'{s}': expected steps (500) or a time (30s, 10m, 2h)");
    if let Ok(n) = t.parse::<u64>() {
        return if n == 0 {
            Err(bad())
        } else {
            Ok(Every::Steps(n))
        };
    }
    let (num, unit) = t.split_at(t.find(char::is_alphabetic).unwrap_or(t.len()));
    let secs = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * secs < 1e9 => {
            Ok(Every::Time(std::time::Duration::from_secs_f64(v * secs)))
        }
        _ => Err(bad()),
    }
}

impl RunArgs {
    /// The settings and guards of this run. With --resume the checkpoint is read (once): its
    /// settings (with --steps), its record unless --record names another, its state.
    pub fn prepare(&mut self) -> Result<(Config, Durability)> {
        let Some(arg) = self.resume.clone() else {
            return Ok((self.config()?, self.durability()));
        };
        if self.preset.is_some() || !self.set.is_empty() || self.seed.is_some() {
            anyhow::bail!(
                "--resume continues with the checkpoint's own settings: drop the preset, --set and --seed (--steps may raise the budget)"
            );
        }
        let path = crate::train::checkpoint::resolve(&arg)?;
        let (budget, _) = crate::memory::budget(self.max_memory);
        let mut ck = crate::train::checkpoint::load(&path, budget)?;
        if let Some(steps) = self.steps {
            if steps < ck.step() {
                anyhow::bail!(
                    "--steps {steps}: the checkpoint {} is already at step {}",
                    path.display(),
                    ck.step()
                );
            }
            ck.state.cfg.train.steps = steps;
        }
        let cfg = ck.state.cfg.clone();
        crate::memory::check(&cfg, cfg.n(), 1, self.max_memory)?;
        if self.record.is_none() {
            self.record = ck.record.take();
        }
        let mut durable = self.durability();
        if durable.checkpoints.is_none() {
            // Checkpoints go on as the run was started (unless the flags say otherwise).
            durable.checkpoints = ck.policy.take();
        }
        durable.resume = Some(Box::new(Resume {
            initial_risk: ck.initial_risk,
            checkpoint: ck.path,
            state: ck.state,
        }));
        Ok((cfg, durable))
    }

    /// The validated config: preset, then --set, then --steps/--seed (validated the same way).
    pub fn config(&self) -> Result<Config> {
        let mut overrides = self.set.clone();
        if let Some(steps) = self.steps {
            overrides.push(format!("train.steps={steps}"));
        }
        if let Some(seed) = self.seed {
            overrides.push(format!("seed={seed}"));
        }
        if let Some(threads) = self.threads {
            overrides.push(format!("train.threads={threads}"));
        }
        let preset = self.preset.as_deref().unwrap_or(DEFAULT_PRESET);
        let cfg = Config::load(preset, &overrides)?;
        crate::memory::check(&cfg, cfg.n(), 1, self.max_memory)?;
        Ok(cfg)
    }

    /// How the worker guards the record and memory for these arguments.
    pub fn durability(&self) -> Durability {
        let inputs = self
            .preset
            .as_ref()
            .map(|p| (PathBuf::from(p), "preset"))
            .into_iter()
            .collect();
        Durability {
            record_mode: if self.force {
                OutputMode::Replace
            } else {
                OutputMode::CreateNew
            },
            inputs,
            max_memory: self.max_memory,
            checkpoints: self.checkpoint_every.map(|every| CheckpointPolicy {
                every_steps: match every {
                    Every::Steps(n) => Some(n),
                    Every::Time(_) => None,
                },
                every: match every {
                    Every::Time(t) => Some(t),
                    Every::Steps(_) => None,
                },
                keep: self.keep_checkpoints.max(1),
                at_finish: true,
            }),
            resume: None,
        }
    }
}

/// `--max-memory`.
fn parse_size(s: &str) -> Result<u64, String> {
    crate::memory::parse_size(s)
}

/// Exit code for an error that ended the command: 1 when a file could not be written (the
/// input was fine), 2 for bad input or configuration.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    use crate::record::RecordError;
    match e.downcast_ref::<RecordError>() {
        Some(RecordError::Io { .. }) => 1,
        _ => 2,
    }
}

/// Parse arguments and run; the binary's `main` maps the error to a message and exit code.
pub fn main() -> Result<i32> {
    let cli = Cli::parse();
    match cli.command {
        Some(Cmd::Run(args)) => run(&args),
        Some(Cmd::Theory(args)) => theory_table::run(&args),
        Some(Cmd::Bench(args)) => bench::run(&args),
        Some(Cmd::Sweep(args)) => sweep::run(&args),
        Some(Cmd::SweepMerge(args)) => sweep::run_merge(&args),
        Some(Cmd::Presets { preset, set }) => presets(preset, &set),
        Some(Cmd::Data(args)) => data_info::run(&args),
        Some(Cmd::Watch(args)) => watch::run(&args),
        None => run(&cli.run),
    }
}

fn run(args: &RunArgs) -> Result<i32> {
    let mut args = args.clone();
    let (cfg, durable) = args.prepare()?;
    if args.headless && !args.compare.is_empty() {
        anyhow::bail!(
            "--compare draws earlier runs in the interface: it has no use with --headless (compare records afterwards with `aescope watch RECORD --compare OTHER`)"
        );
    }
    if args.headless {
        headless::run(cfg, &args, durable)
    } else {
        tui::run(cfg, &args, durable)
    }
}

fn presets(preset: Option<String>, set: &[String]) -> Result<i32> {
    match preset {
        Some(p) => {
            let cfg = Config::load_spec(&p, set)?;
            out!("{}", cfg.to_toml());
        }
        None => {
            let width = BUILTIN_PRESETS
                .iter()
                .map(|(n, _)| n.len())
                .max()
                .unwrap_or(0);
            for (name, text) in BUILTIN_PRESETS {
                let cfg = Config::from_toml(text, name, &[])?;
                outln!("{name:<width$}  {}", cfg.description);
            }
        }
    }
    Ok(0)
}
