//! `aescope sweep` and `aescope sweep-merge`: rate sweeps as files (CSV/JSON, SVG/PNG), with a
//! line per finished run on stderr and the per-rate table (or JSON) on stdout.

use crate::config::Config;
use crate::human;
use crate::sweep::curves::SweepCurves;
use crate::sweep::files::{self, read_rows, write_results};
use crate::sweep::merge::merge;
use crate::sweep::plot::{plot_paths, write_plots};
use crate::sweep::table::{RateSummary, aggregate, sort_rows};
use crate::sweep::{self, Progress, Row, RunOptions, Shard, Stop, SweepEvent, SweepPlan};
use crate::ui::sweep::run_sweep;
use crate::ui::sweep::state::SweepState;
use crate::ui::widgets::theme::{ColorMode, Theme};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `aescope sweep PRESET ...`
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Preset: a TOML file, or a built-in name (sweep-sign, sweep-relu, sweep-sparse, ...).
    /// Its [sweep] table gives the defaults of the flags below.
    pub preset: String,
    /// Rates r = n/d: a comma list (0.25,0.5,1) or start:stop:step, stop included (0.1:4:0.1).
    #[arg(long, value_name = "RATES")]
    pub rates: Option<String>,
    /// Seeds per rate (seed, seed + 1, ...): the error bars are standard errors across them.
    #[arg(long, value_name = "K")]
    pub seeds: Option<u32>,
    /// Step budget of every run (train.steps); with --until-converged, the cap.
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// Stop each run once its risk has converged: relative change below sweep.tol over
    /// sweep.window steps (set them with --set sweep.tol=1e-6 --set sweep.window=200).
    #[arg(long)]
    pub until_converged: bool,
    /// Results: one row per (r, seed) as CSV, plus FILE.by-rate.csv with the means and
    /// standard errors across seeds; or one JSON document if FILE ends in .json.
    #[arg(long, value_name = "FILE", default_value = "sweep.csv")]
    pub out: PathBuf,
    /// Figure of risk against r (.svg or .png; both are written, side by side).
    /// Default: next to --out (sweep.svg and sweep.png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Write no figure.
    #[arg(long, conflicts_with = "plot")]
    pub no_plot: bool,
    /// Runs trained at once (default: the number of cores). With more than one, each run's
    /// population kernels are single-threaded, so the cores are not oversubscribed.
    #[arg(long, short = 'j', value_name = "J")]
    pub jobs: Option<usize>,
    /// Run only slice i of N (1 ≤ i ≤ N) of the (rate, seed) grid, interleaved; combine the
    /// slices' files with `aescope sweep-merge`.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    /// Directory of the runs' JSONL records (default: next to --out, e.g. sweep.records/).
    #[arg(long, value_name = "DIR")]
    pub records: Option<PathBuf>,
    /// Continue an interrupted sweep: keep the finished runs already in --out and train only
    /// the others (the settings must be the same).
    #[arg(long)]
    pub resume: bool,
    /// Print the results on stdout as JSON ({"runs": [...], "by_rate": [...]}), not a table.
    #[arg(long)]
    pub json: bool,
    /// Override a preset field, e.g. --set data.d=128 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Watch the sweep in the terminal: points appear on the limit curve as runs finish;
    /// Enter opens a run's live view. The same files are written; q cancels the sweep.
    #[arg(long, conflicts_with = "json")]
    pub tui: bool,
}

/// `aescope sweep-merge FILE... --out FILE`
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Results files of the shards (CSV or JSON, as written by `aescope sweep --out`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The combined results (CSV plus FILE.by-rate.csv, or .json).
    #[arg(long, value_name = "FILE", default_value = "sweep.csv")]
    pub out: PathBuf,
    /// Figure (.svg or .png; both are written). Default: next to --out.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Write no figure.
    #[arg(long, conflicts_with = "plot")]
    pub no_plot: bool,
    /// Print the merged results on stdout as JSON, not a table.
    #[arg(long)]
    pub json: bool,
}

impl SweepArgs {
    /// The validated config: preset, then --set, then the sweep flags (validated the same way,
    /// so a bad --rates is reported like a bad sweep.rates).
    fn config(&self) -> Result<Config> {
        let mut overrides = self.set.clone();
        if let Some(rates) = &self.rates {
            // Quoted: "1" or "0.5,1" must stay a string, not become a TOML number.
            overrides.push(format!("sweep.rates={}", toml::Value::from(rates.as_str())));
        }
        if let Some(k) = self.seeds {
            overrides.push(format!("sweep.seeds={k}"));
        }
        if let Some(n) = self.steps {
            overrides.push(format!("train.steps={n}"));
        }
        if self.until_converged {
            overrides.push("sweep.until_converged=true".into());
        }
        Ok(Config::load(&self.preset, &overrides)?)
    }
}

/// `--tui` is refused before anything trains, as the run TUI does.
fn check_tui_terminal(args: &SweepArgs) -> Result<()> {
    if args.tui && !std::io::stdout().is_terminal() {
        bail!(
            "--tui needs a terminal, and stdout is not one: drop --tui (e.g. when piping or in scripts)"
        );
    }
    Ok(())
}

pub(super) fn run(args: &SweepArgs) -> Result<i32> {
    check_tui_terminal(args)?;
    let cfg = args.config()?;
    // Two sweeps writing one results file would interleave their rows: the second is refused
    // (the lock dies with its holder). The file itself is replaced by rename, so the lock is
    // on a companion file.
    let _lock = lock_results(&args.out)?;
    let shard: Shard = match &args.shard {
        Some(s) => s.parse()?,
        None => Shard::ALL,
    };
    let jobs = match args.jobs {
        Some(j) => j,
        None => crate::linalg::cores(),
    };
    if let Some(p) = &args.plot {
        plot_paths(p)?;
    }
    let mut plan = SweepPlan::new(cfg, &args.preset, shard)?;
    let planned = plan.points.len();
    let kept = kept_rows(args, &plan)?;
    let done: Vec<(u64, u64)> = kept.iter().map(Row::key).collect();
    plan.skip(&done);
    let records = args
        .records
        .clone()
        .unwrap_or_else(|| files::records_dir(&args.out));
    announce(&plan, planned, kept.len(), jobs, &records);

    let mut rows = kept;
    let mut failed = 0usize;
    let mut cancelled = false;
    let name = plan.base.name.clone();
    let curves = SweepCurves::for_plan(&plan);
    let points = plan.points.clone();
    if !plan.points.is_empty() {
        let handle = sweep::spawn(
            plan,
            RunOptions {
                jobs,
                records: Some(records),
            },
        )?;
        let canceller = handle.canceller();
        let ctrlc_canceller = canceller.clone();
        ctrlc::set_handler(move || ctrlc_canceller.cancel())
            .context("installing the Ctrl-C handler")?;
        let mut consumer = Consumer {
            out: &args.out,
            rows,
            failed: 0,
            cancelled: false,
            write_error_shown: false,
            quiet: args.tui,
            last_write: None,
        };
        let mut finished = false;
        if args.tui {
            let theme = Theme::new(ColorMode::detect(), false);
            let mut state = SweepState::new(name, curves, &points);
            let result = run_sweep(&handle.events, &canceller, &mut state, &theme, &mut |ev| {
                consumer.on_event(ev);
            });
            // The terminal is restored here: what follows prints as in a headless sweep.
            consumer.quiet = false;
            match result {
                Ok(f) => finished = f,
                Err(e) => {
                    canceller.cancel();
                    errln!("error: {e}; cancelling the sweep");
                }
            }
            if !finished {
                errln!("cancelling: waiting for the running runs to write their summaries…");
            }
        }
        if !finished {
            for ev in &handle.events {
                if consumer.on_event(&ev) {
                    break;
                }
            }
        }
        rows = consumer.rows;
        failed = consumer.failed;
        cancelled = consumer.cancelled;
        handle.join();
    }
    finish(
        &rows,
        &args.out,
        args.plot.as_deref(),
        args.no_plot,
        args.json,
    )?;
    if cancelled {
        errln!(
            "interrupted: the finished runs are in {}; continue with the same command and --resume",
            args.out.display()
        );
        return Ok(130);
    }
    Ok(exit_code(&rows, failed))
}

/// The rows a sweep keeps from its results file: those of this sweep when resuming, none
/// otherwise (the file is replaced, with a note).
fn kept_rows(args: &SweepArgs, plan: &SweepPlan) -> Result<Vec<Row>> {
    if args.resume {
        return resume_rows(&args.out, &plan.sweep_id, plan.shard);
    }
    if args.out.exists() {
        errln!(
            "note: replacing {} (use --resume to continue it instead)",
            args.out.display()
        );
    }
    Ok(Vec::new())
}

/// What a sweep's events do outside the view: lines on stderr (not while the TUI owns the
/// terminal), and the results file rewritten at most once a second, so a killed sweep keeps them.
struct Consumer<'a> {
    out: &'a Path,
    rows: Vec<Row>,
    failed: usize,
    cancelled: bool,
    write_error_shown: bool,
    quiet: bool,
    /// When the results file was last rewritten.
    last_write: Option<Instant>,
}

/// Longest time a finished run waits to reach the results file (the final write takes all).
const RESULTS_EVERY: Duration = Duration::from_secs(1);

impl Consumer<'_> {
    /// Returns true on `Finished`.
    fn on_event(&mut self, ev: &SweepEvent) -> bool {
        match ev {
            SweepEvent::RunFinished { row, progress } => {
                if !self.quiet {
                    errln!("{}", finished_line(row, progress));
                }
                self.rows.push((**row).clone());
                // Rewritten at most once a second: a rewrite costs O(rows), and a sweep of
                // thousands of short runs would otherwise spend its time rewriting.
                if self.last_write.is_some_and(|t| t.elapsed() < RESULTS_EVERY) {
                    return false;
                }
                self.last_write = Some(Instant::now());
                if let Err(e) = write_results(self.out, &self.rows)
                    && !self.write_error_shown
                {
                    // Under the TUI it waits: shown by the final write if it persists.
                    if !self.quiet {
                        errln!("warning: {e:#}; will retry after the next run");
                        self.write_error_shown = true;
                    }
                }
            }
            SweepEvent::RunFailed {
                point,
                message,
                progress,
            } => {
                self.failed += 1;
                if !self.quiet {
                    errln!(
                        "{} r={} seed={}: failed: {message}",
                        counter(progress),
                        point.rate,
                        point.seed
                    );
                }
            }
            SweepEvent::Warning { point, message } => {
                if !self.quiet {
                    errln!("warning (r={} seed={}): {message}", point.rate, point.seed);
                }
            }
            SweepEvent::Finished { cancelled, .. } => {
                self.cancelled = *cancelled;
                return true;
            }
            SweepEvent::RunStarted { .. } | SweepEvent::RunReport { .. } => {}
        }
        false
    }
}

/// Refuse an --out that is not a regular file, and take the results' lock.
fn lock_results(out: &Path) -> Result<crate::safe_io::OutputFile> {
    use crate::safe_io::{OutputFile, OutputMode};
    if let Ok(m) = std::fs::symlink_metadata(out)
        && !m.is_file()
    {
        bail!(
            "{}: refusing to write results to {}; give the path of a regular file",
            out.display(),
            crate::safe_io::input::file_kind(&m.file_type())
        );
    }
    let mut lock = out.as_os_str().to_os_string();
    lock.push(".lock");
    let lock = PathBuf::from(lock);
    OutputFile::open(&lock, OutputMode::LockOnly, &[]).map_err(|e| match e {
        crate::safe_io::OutputError::Locked { .. } => anyhow::anyhow!(
            "{}: another running aescope sweep is writing these results (it holds {}); wait for it, or use another --out",
            out.display(),
            lock.display()
        ),
        other => other.into(),
    })
}

/// The shards' results among `files`: a shard's per-rate aggregate (`X.by-rate.csv`, which
/// the glob `part-*.csv` also matches) is left out with a note, unless nothing else is given
/// (then the merge says what is wrong with it).
fn shard_files(files: &[PathBuf]) -> Vec<PathBuf> {
    let is_aggregate = |p: &PathBuf| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(".by-rate.csv"))
    };
    if files.iter().all(is_aggregate) {
        return files.to_vec();
    }
    files
        .iter()
        .filter(|p| {
            let aggregate = is_aggregate(p);
            if aggregate {
                errln!(
                    "note: skipping {}: a per-rate aggregate, not a shard's runs",
                    p.display()
                );
            }
            !aggregate
        })
        .cloned()
        .collect()
}

pub(super) fn run_merge(args: &MergeArgs) -> Result<i32> {
    if let Some(p) = &args.plot {
        plot_paths(p)?;
    }
    let files = shard_files(&args.files);
    let merged = merge(&files)?;
    for w in &merged.warnings {
        errln!("warning: {w}");
    }
    errln!(
        "merged {} runs from {} files",
        merged.rows.len(),
        files.len()
    );
    finish(
        &merged.rows,
        &args.out,
        args.plot.as_deref(),
        args.no_plot,
        args.json,
    )?;
    Ok(0)
}

/// The rows of an earlier, interrupted run of the same sweep that need not run again.
fn resume_rows(out: &Path, sweep_id: &str, shard: Shard) -> Result<Vec<Row>> {
    if !out.exists() {
        errln!(
            "note: {} does not exist yet: starting from scratch",
            out.display()
        );
        return Ok(Vec::new());
    }
    let rows = read_rows(out)?;
    if let Some(other) = rows.iter().find(|r| r.sweep_id != sweep_id) {
        bail!(
            "--resume: {} holds a different sweep (preset {}, sweep_id {}; these settings give sweep_id {sweep_id}): use the same preset, --set, --rates, --seeds and step flags, or another --out",
            out.display(),
            other.preset,
            other.sweep_id
        );
    }
    // Rows of another slice would end up in this slice's file, and twice in a merge.
    if let Some(other) = rows.iter().find(|r| r.shard != shard.to_string()) {
        bail!(
            "--resume: {} was written by --shard {}, not {shard}: resume each slice with its own --shard and --out",
            out.display(),
            other.shard
        );
    }
    // Interrupted and failed runs train again; a diverged run would diverge again.
    Ok(rows
        .into_iter()
        .filter(|r| !matches!(r.stop, Stop::Interrupted | Stop::Failed))
        .collect())
}

fn announce(plan: &SweepPlan, planned: usize, kept: usize, jobs: usize, records: &Path) {
    let b = &plan.base;
    let shard = if plan.shard == Shard::ALL {
        String::new()
    } else {
        format!(", shard {} ({planned} of {})", plan.shard, plan.grid_size)
    };
    let stop = if b.sweep.until_converged {
        format!(
            "until converged (relative change < {} over {} steps, cap {} steps)",
            b.sweep.convergence.tol, b.sweep.convergence.window, b.train.steps
        )
    } else {
        format!("{} steps each", b.train.steps)
    };
    let resumed = if kept > 0 {
        format!(", {kept} already done")
    } else {
        String::new()
    };
    let runs = plan.points.len();
    errln!(
        "{}: {runs} run{}{shard}{resumed}, {} at a time, {stop}; records in {}",
        b.name,
        if runs == 1 { "" } else { "s" },
        jobs.min(plan.points.len()).max(1),
        records.display()
    );
}

fn counter(p: &Progress) -> String {
    let width = p.total.to_string().len();
    format!("[{:>width$}/{}]", p.done, p.total)
}

fn finished_line(row: &Row, p: &Progress) -> String {
    let stop = match row.stop {
        Stop::Converged => "converged",
        Stop::Budget => "budget reached",
        Stop::Diverged => "DIVERGED (lower train.lr)",
        Stop::Interrupted => "interrupted",
        Stop::Failed => "FAILED",
    };
    let rel = if row.rel_gap.is_finite() {
        format!(" ({:+.2}%)", 100.0 * row.rel_gap)
    } else {
        String::new()
    };
    let eta = match p.eta {
        Some(eta) if p.done < p.total => format!(" · ETA {}", human::duration(eta)),
        _ => String::new(),
    };
    format!(
        "{} r={} seed={} n={}: risk {} ({}) · {} {} · gap {}{rel} · {} steps, {stop} · {:.1} s{eta}",
        counter(p),
        row.r,
        row.seed,
        row.n,
        fixed(row.risk, false),
        row.risk_kind,
        row.limit_label,
        fixed(row.limit, false),
        fixed(row.gap, true),
        row.steps,
        row.wall_s
    )
}

/// Six decimals, as the files' readers expect to compare them (the files keep every digit).
fn fixed(v: f64, signed: bool) -> String {
    if signed {
        human::signed(v, 6)
    } else {
        human::fixed(v, 6)
    }
}

/// Write the results and the figure, print the table (or JSON).
fn finish(rows: &[Row], out: &Path, plot: Option<&Path>, no_plot: bool, json: bool) -> Result<()> {
    if rows.is_empty() {
        bail!("no run finished: nothing written to {}", out.display());
    }
    let mut rows = rows.to_vec();
    sort_rows(&mut rows);
    let mut written = write_results(out, &rows)?;
    let by_rate = aggregate(&rows);
    if !no_plot {
        let path = plot.map_or_else(|| files::sibling(out, "svg"), Path::to_path_buf);
        if by_rate.iter().any(|a| a.risk_mean.is_finite()) {
            written.extend(write_plots(&path, &rows)?);
        } else {
            errln!("warning: no run has a finite risk: no figure drawn");
        }
    }
    if json {
        let doc = serde_json::json!({ "runs": rows, "by_rate": by_rate });
        outln!("{doc}");
    } else {
        print_table(&by_rate);
        let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        outln!("wrote {}", list.join(", "));
    }
    Ok(())
}

fn print_table(by_rate: &[RateSummary]) {
    outln!(
        "{:>8} {:>6} {:>4}  {:>10} {:>9}  {:>10} {:>10} {:>8}  {:>8}  limit",
        "r",
        "n",
        "runs",
        "risk",
        "± s.e.",
        "limit",
        "gap",
        "rel.gap",
        "steps"
    );
    let num = |v: f64, w: usize, signed: bool| format!("{:>w$}", fixed(v, signed));
    for a in by_rate {
        let rel = if a.rel_gap.is_finite() {
            format!("{:>+7.2}%", 100.0 * a.rel_gap)
        } else {
            format!("{:>8}", "–")
        };
        let failed = if a.failed > 0 {
            format!("  ({} not finished)", a.failed)
        } else {
            String::new()
        };
        outln!(
            "{:>8} {:>6} {:>4}  {} {}  {} {} {rel}  {}  {}{failed}",
            a.r,
            a.n,
            a.runs,
            num(a.risk_mean, 10, false),
            num(a.risk_se, 9, false),
            num(a.limit, 10, false),
            num(a.gap, 10, true),
            if a.steps_mean.is_finite() {
                format!("{:>8.0}", a.steps_mean)
            } else {
                format!("{:>8}", "–")
            },
            a.limit_label
        );
    }
    let worst = by_rate
        .iter()
        .filter(|a| a.rel_gap.is_finite())
        .max_by(|x, y| x.rel_gap.abs().total_cmp(&y.rel_gap.abs()));
    if let Some(w) = worst {
        outln!(
            "largest relative gap: {:+.3}% at r = {}",
            100.0 * w.rel_gap,
            w.r
        );
    }
}

/// 0 when every run produced a result; 3 when one diverged; 4 when one failed.
fn exit_code(rows: &[Row], failed: usize) -> i32 {
    let failed = failed + rows.iter().filter(|r| r.stop == Stop::Failed).count();
    if failed > 0 {
        errln!("error: {failed} run(s) failed; see the messages above");
        4
    } else if rows.iter().any(|r| r.stop == Stop::Diverged) {
        let n = rows.iter().filter(|r| r.stop == Stop::Diverged).count();
        errln!("error: {n} run(s) diverged (NaN/Inf): lower train.lr, e.g. --set train.lr=...");
        3
    } else {
        0
    }
}
