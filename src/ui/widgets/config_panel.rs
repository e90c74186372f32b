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

/// The panel over the area it is drawn in (one cell of margin).
#[derive(Debug, Clone, Copy)]
pub struct ConfigOverlay<'a> {
    /// The configuration the run started with.
    pub initial: &'a Config,
    /// The latest metrics (the settings keys changed since).
    pub metrics: Option<&'a Metrics>,
    /// The changes, with their steps.
    pub log: &'a EventLog,
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
            .filter(|e| !matches!(e.kind, EventKind::Message | EventKind::Divergence))
            .map(|e| format!("  step {}: {}", e.step, e.text))
            .collect();
        let mut out = vec![head(if changes.is_empty() {
            "command line that reproduces this run:"
        } else {
            "command line that reproduces the initial config (keys changed it since, below):"
        })];
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
        if let Some(d) = &cfg.data.loaded.0 {
            let f = &d.train_file;
            out.push(Line::raw(format!(
                "  file {} · sha256 {} · shape {:?} · {}",
                f.path,
                f.sha256,
                f.shape,
                d.summary()
            )));
            out.push(Line::raw(format!(
                "  preprocess {}",
                d.record()["preprocess"]
            )));
        }
        out.push(head("resolved preset (now):"));
        let now = current(cfg, self.metrics);
        out.extend(now.to_toml().lines().map(|l| Line::raw(format!("  {l}"))));
        out
    }
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
