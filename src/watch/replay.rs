//! A record's lines turned back into the worker's events, so that a front end draws a run
//! written by another process exactly as it draws its own: reports become `Metrics` and
//! `Report`s, changes become the events the worker sent when they happened, the summary ends
//! the run.

use crate::data::SourceKind;
use crate::model::Activation;
use crate::protocol::{DecoderMode, Event, Metrics, OptKind, PauseReason, Report, Summary};
use crate::record::RecordHeader;
use crate::theory::bounds;
use serde_json::Value;
use std::path::PathBuf;

/// The run's settings as the record has told them so far.
#[derive(Debug, Clone)]
pub struct Replay {
    header: RecordHeader,
    activation: Activation,
    optimizer: OptKind,
    decoder: DecoderMode,
    /// Whether the limit is water-filling over a spectrum (power-law data, a data file).
    spectral: bool,
    /// Lines that were not records of this format (damaged, or from a newer aescope).
    pub bad_lines: usize,
}

impl Replay {
    /// Before the first line after the header.
    pub fn new(header: RecordHeader) -> Replay {
        let cfg = &header.cfg;
        Replay {
            activation: cfg.model.activation,
            optimizer: cfg.train.opt.kind,
            decoder: cfg.train.decoder,
            spectral: matches!(cfg.data.kind, SourceKind::Powerlaw | SourceKind::File),
            header,
            bad_lines: 0,
        }
    }

    /// The file was cut back (a resumed run): it is read again from its first line.
    pub fn restart(&mut self) {
        *self = Replay::new(self.header.clone());
    }

    /// The events one line stands for (none for the header lines).
    pub fn line(&mut self, line: &[u8]) -> Vec<Event> {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            self.bad_lines += 1;
            return Vec::new();
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        let events = match kind {
            "report" => serde_json::from_value::<Report>(v).ok().map(|r| {
                let m = self.metrics(&r);
                vec![Event::Metrics(m), Event::Report(r)]
            }),
            "summary" => serde_json::from_value::<Summary>(v)
                .ok()
                .map(|s| vec![Event::Finished(s)]),
            "event" => self.event(&v),
            // Header lines; `resumed` changes nothing that is drawn.
            "config" | "data" | "resumed" => Some(Vec::new()),
            _ => None,
        };
        events.unwrap_or_else(|| {
            self.bad_lines += 1;
            Vec::new()
        })
    }

    fn event(&mut self, v: &Value) -> Option<Vec<Event>> {
        let step = v.get("step").and_then(Value::as_u64)?;
        let detail = v.get("detail").cloned().unwrap_or_default();
        let what = v.get("what").and_then(Value::as_str)?;
        Some(match what {
            "rate" => vec![Event::RateChanged {
                step,
                n: usize::try_from(detail.get("n")?.as_u64()?).ok()?,
                r: detail.get("r")?.as_f64()?,
                limit: detail.get("limit")?.as_f64()?,
            }],
            "activation" => {
                self.activation = serde_json::from_value(detail).ok()?;
                Vec::new()
            }
            "optimizer" => {
                self.optimizer = serde_json::from_value(detail).ok()?;
                Vec::new()
            }
            "decoder" => {
                self.decoder = serde_json::from_value(detail).ok()?;
                Vec::new()
            }
            "diverged" => vec![Event::Paused(PauseReason::Diverged {
                step,
                loss: detail
                    .get("loss")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN),
            })],
            "checkpoint" => match detail.get("path").and_then(Value::as_str) {
                Some(p) => vec![Event::Saved(PathBuf::from(p))],
                None => Vec::new(),
            },
            "internal error" => vec![Event::Error(format!(
                "the run reported an internal error at step {step}: {}",
                crate::safe_io::excerpt(&crate::safe_io::sanitize(&detail.to_string()), 200)
            ))],
            // lr (the reports carry it), reset (the step goes back), converged: nothing drawn.
            _ => Vec::new(),
        })
    }

    /// What the header shows at a report, as the worker's metrics would have said it.
    fn metrics(&self, r: &Report) -> Metrics {
        let cfg = &self.header.cfg;
        let label = if self.spectral {
            bounds::spectrum_limit_label(self.activation)
        } else if cfg.data.kind == SourceKind::Sparse {
            bounds::gaussian_reference(self.activation, r.r).label
        } else {
            bounds::limit(self.activation, r.r).label
        };
        Metrics {
            step: r.step,
            samples: r.samples,
            loss: r.loss,
            loss_ema: r.loss,
            risk: Some(r.risk),
            risk_kind: Some(r.risk_kind.clone()),
            limit: r.limit,
            limit_label: label.to_string(),
            lr: r.lr,
            r: r.r,
            n: r.n,
            d: cfg.data.d,
            // Not recorded.
            grad_norm: f64::NAN,
            // The header measures it from the reports' wall times.
            steps_per_sec: 0.0,
            activation: self.activation,
            optimizer: self.optimizer,
            decoder: self.decoder,
            paused: false,
            elapsed_s: r.wall_s,
            best_risk: r.best_risk,
            budget: cfg.train.steps,
        }
    }
}
