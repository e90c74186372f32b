//! The README's "From code" example, compiled by `cargo test` and checked against the README by
//! `tests/readme.rs`: a sweep driven through the library, a line per run as it finishes.
//!
//! `cargo run --release --example sweep_events` (the `sweep-sign` preset: a few minutes).

fn main() -> anyhow::Result<()> {
    use aescope::config::Config;
    use aescope::sweep::{self, RunOptions, Shard, SweepEvent, SweepPlan};

    let plan = SweepPlan::new(Config::load("sweep-sign", &[])?, "sweep-sign", Shard::ALL)?;
    let handle = sweep::spawn(
        plan,
        RunOptions {
            jobs: 2,
            records: None,
        },
    )?;
    for ev in &handle.events {
        match ev {
            SweepEvent::RunStarted { point, n, .. } => {
                println!("r = {} (n = {n}): started", point.rate);
            }
            SweepEvent::RunFinished { row, progress } => println!(
                "r = {}: risk {:.6}, limit {:.6} ({}/{} done)",
                row.r, row.risk, row.limit, progress.done, progress.total
            ),
            SweepEvent::RunFailed { point, message, .. } => {
                eprintln!("r = {}: {message}", point.rate);
            }
            SweepEvent::Warning { message, .. } => eprintln!("warning: {message}"),
            SweepEvent::RunReport {
                point, step, risk, ..
            } => {
                println!("r = {}: step {step}, risk {risk:.6}", point.rate);
            }
            SweepEvent::Finished { cancelled, .. } => {
                println!("done{}", if cancelled { " (cancelled)" } else { "" });
                break;
            }
        }
    }
    handle.join();
    Ok(())
}
