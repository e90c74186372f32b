//! `aescope run --headless`: the worker with a progress line on stderr and a summary on stdout.

use super::RunArgs;
use crate::config::Config;
use crate::human;
use crate::protocol::{Event, FinishReason, Metrics, Summary};
use crate::train::{Durability, RunControl, WorkerOptions, spawn_durable};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Plain progress lines (stderr not a terminal) at most this often.
const PLAIN_EVERY: Duration = Duration::from_secs(1);

pub(super) fn run(cfg: Config, args: &RunArgs, durable: Durability) -> Result<i32> {
    let name = cfg.name.clone();
    let budget = cfg.train.steps;
    let opts = WorkerOptions {
        record: args.record.clone(),
        exit_when_finished: true,
        start_paused: false,
    };
    let worker = spawn_durable(cfg, opts, RunControl::default(), durable)?;
    // Ctrl-C, SIGTERM and SIGHUP all end the run the same way: the worker writes the summary
    // line and flushes the record before the process exits.
    ctrlc::set_handler(worker.stopper()).context("installing the Ctrl-C handler")?;

    let mut progress = Progress::new(budget);
    let mut summary: Option<Summary> = None;
    // Headless, the only errors are the record's (a full disk): the run goes on, the exit
    // code says it.
    let mut write_failed = false;
    let mut last_checkpoint = None;
    for ev in &worker.events {
        match ev {
            Event::Metrics(m) => progress.update(&m),
            Event::Error(e) => {
                write_failed = true;
                progress.message(&format!("error: {}", crate::safe_io::sanitize(&e)));
            }
            Event::Saved(p) => last_checkpoint = Some(p),
            Event::Finished(s) => {
                summary = Some(s);
                break;
            }
            _ => {}
        }
    }
    progress.finish();
    worker.join();
    let s = summary.context("the training thread ended without a summary")?;
    if args.json {
        let mut v = serde_json::to_value(&s)?;
        if let serde_json::Value::Object(map) = &mut v {
            map.insert("preset".into(), name.into());
        }
        outln!("{v}");
    } else {
        print_summary(&name, &s);
    }
    Ok(match s.reason {
        FinishReason::Completed if write_failed => {
            errln!("error: the run completed, but its record is incomplete (see above)");
            1
        }
        FinishReason::Completed => 0,
        FinishReason::Interrupted => {
            if let Some(p) = &last_checkpoint {
                errln!(
                    "interrupted; checkpoint {}: continue with `aescope run --resume {} --headless`",
                    p.display(),
                    p.display()
                );
            }
            130
        }
        FinishReason::Failed => 4,
        FinishReason::Diverged => {
            errln!(
                "error: training diverged at step {} (risk not finite, or a million times its initial value): lower train.lr (e.g. --set train.lr=...)",
                s.steps
            );
            3
        }
    })
}

/// The human-readable summary (also printed when the interface closes).
pub(super) fn print_summary(name: &str, s: &Summary) {
    outln!(
        "{name} · {} · d={} r={:.3} (n={}) · {}",
        s.activation,
        s.d,
        s.r,
        s.n,
        s.reason
    );
    outln!(
        "steps {} · samples {} · wall {:.1} s · {}",
        s.steps,
        s.samples,
        s.wall_s,
        human::steps_per_sec(s.steps_per_sec)
    );
    outln!(
        "risk {} ({}) · {} {} · gap {}",
        human::fixed(s.risk, 6),
        s.risk_kind,
        s.limit_label,
        human::fixed(s.limit, 6),
        human::signed(s.gap, 6)
    );
    let best = s.best_risk.map_or(String::new(), |b| {
        format!(" · best decoder R*(B) {}", human::fixed(b, 6))
    });
    let twin = s.twin_risk.map_or(String::new(), |t| {
        format!(" · Gaussian twin {}", human::fixed(t, 6))
    });
    outln!(
        "validation risk {}{best}{twin}",
        human::fixed(s.val_risk, 6)
    );
    if let Some(p) = &s.record {
        outln!("record {}", p.display());
    }
}

/// A progress bar with ETA on a terminal, else a plain line per second.
struct Progress {
    bar: Option<ProgressBar>,
    last_plain: Option<Instant>,
    budget: u64,
}

impl Progress {
    fn new(budget: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(budget), ProgressDrawTarget::stderr_with_hz(5));
            let style = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} steps · {per_sec} · ETA {eta} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            last_plain: None,
            budget,
        }
    }

    fn update(&mut self, m: &Metrics) {
        let msg = format!(
            "loss {} · risk {} · limit {:.4} · lr {:.2e}",
            human::fixed(m.loss_ema, 4),
            human::fixed_opt(m.risk, 4),
            m.limit,
            m.lr
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(m.step);
                bar.set_message(msg);
            }
            // The metrics before the first step have nothing to say yet.
            None if m.step == 0 => {}
            None => {
                if self.last_plain.is_none_or(|t| t.elapsed() >= PLAIN_EVERY) {
                    self.last_plain = Some(Instant::now());
                    errln!(
                        "step {}/{} · {} · {msg}",
                        m.step,
                        self.budget,
                        human::steps_per_sec(m.steps_per_sec)
                    );
                }
            }
        }
    }

    fn message(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => errln!("{text}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
