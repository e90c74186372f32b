//! The config panel (`i`): the command line that reproduces the run as it started, the keys'
//! changes since, the seed and the data, and the resolved preset as it is now.

use super::theme::Theme;
use crate::config::Config;
use crate::protocol::Metrics;
use crate::ui::event_log::{EventKind, EventLog};
use crate::ui::run_config::{command_line, current};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};
use std::path::Path;

/// The panel over the area it is drawn in (one cell of margin).
#[derive(Debug, Clone, Copy)]
pub struct ConfigOverlay<'a> {
    /// The configuration the run started with.
    pub initial: &'a Config,
    /// The latest metrics (the settings keys changed since).
    pub metrics: Option<&'a Metrics>,
    /// The changes, with their steps.
    pub log: &'a EventLog,
    /// The data file's description (the record's `data` line), if the run reads one.
    pub data: Option<&'a serde_json::Value>,
    /// The checkpoint the run continued from, when this interface resumed it.
    pub resumed_from: Option<&'a Path>,
    /// Lines scrolled down.
    pub scroll: u16,
    /// Colours.
    pub theme: &'a Theme,
}

impl ConfigOverlay<'_> {
    /// The panel's lines.
    pub fn lines(&self) -> Vec<Line<'static>> {
        let theme = self.theme;
        let head = |t: &str| {
            Line::styled(
                t.to_string(),
                Style::default().fg(theme.key).add_modifier(Modifier::BOLD),
            )
        };
        let changes: Vec<String> = self
            .log
            .entries()
            .iter()
            .filter(|e| {
                !matches!(
                    e.kind,
                    EventKind::Message | EventKind::Divergence | EventKind::Resume
                )
            })
            .map(|e| format!("  step {}: {}", e.step, e.text))
            .collect();
        let mut out = Vec::new();
        let resumed = self
            .log
            .entries()
            .iter()
            .find(|e| e.kind == EventKind::Resume)
            .map(|e| e.step);
        if let Some(step) = resumed {
            out.push(head(&format!("resumed at step {step}:")));
            out.push(Line::raw(match self.resumed_from {
                Some(p) => format!(
                    "  `aescope run --resume {}` continues it again from its newest \
                     checkpoint; the command line below starts it afresh at step 0",
                    p.display()
                ),
                None => "  the command line below starts it afresh at step 0; `aescope run \
                         --resume` on its record continues it"
                    .into(),
            }));
        }
        out.push(head(if changes.is_empty() {
            "command line that reproduces this run:"
        } else {
            "command line that reproduces the initial config (keys changed it since, below):"
        }));
        out.push(Line::raw(format!("  {}", command_line(self.initial))));
        if !changes.is_empty() {
            out.push(head("changed by keys:"));
            out.extend(changes.into_iter().map(Line::raw));
        }
        let cfg = self.initial;
        out.push(Line::from(vec![
            Span::styled("seed ", Style::default().fg(theme.dim)),
            Span::raw(cfg.seed.to_string()),
            Span::styled(" · data ", Style::default().fg(theme.dim)),
            Span::raw(format!("{:?} d={}", cfg.data.kind, cfg.data.d).to_lowercase()),
        ]));
        if let Some(d) = self.data {
            out.extend(data_lines(d).into_iter().map(Line::raw));
        }
        out.push(head("resolved preset (now):"));
        let now = current(cfg, self.metrics);
        out.extend(now.to_toml().lines().map(|l| Line::raw(format!("  {l}"))));
        out
    }
}

/// A data file's description from the record's `data` line: each file with its SHA-256 and
/// shape, the split, the preprocessing.
fn data_lines(d: &serde_json::Value) -> Vec<String> {
    let file = |f: &serde_json::Value, what: &str| {
        let shape: Vec<String> = f["shape"]
            .as_array()
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect();
        format!(
            "  {what} {} · sha256 {} · shape {} · {} samples",
            f["path"].as_str().unwrap_or("?"),
            f["sha256"].as_str().unwrap_or("?"),
            shape.join("×"),
            f["samples"]
        )
    };
    let mut out = vec![file(&d["train_file"], "file")];
    if d["val_file"].is_object() {
        out.push(file(&d["val_file"], "validation file"));
    }
    out.push(format!(
        "  {} train / {} validation samples · d={}",
        d["train_samples"], d["val_samples"], d["d"]
    ));
    out.push(format!("  preprocess {}", d["preprocess"]));
    out
}

impl Widget for ConfigOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let popup = super::full_screen_overlay(area);
        Clear.render(popup, buf);
        Paragraph::new(self.lines())
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .block(
                Block::bordered()
                    .border_style(Style::default().fg(self.theme.key))
                    .title(Span::styled(" Config ", self.theme.title_style()))
                    .title_bottom(" ↑/↓ PgUp/PgDn scroll · i or esc closes "),
            )
            .render(popup, buf);
    }
}
