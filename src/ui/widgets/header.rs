//! The header: what is running and how far it got, then the numbers that matter (risk, limit,
//! gap) and the live settings. Items wrap onto as many lines as the width needs.

use super::theme::Theme;
use crate::data::SourceKind;
use crate::human;
use crate::protocol::FinishReason;
use crate::ui::run_info::{RunInfo, RunState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The header never takes more lines than this; what does not fit is cut.
const MAX_LINES: usize = 4;
const SEP: &str = " · ";
const SEP_WIDTH: usize = 3;

/// The header over the run it describes.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The run.
    pub run: &'a RunInfo,
    /// Colours.
    pub theme: &'a Theme,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Paragraph::new(self.lines(area.width)).render(area, buf);
    }
}

impl Header<'_> {
    /// The header's lines at this width.
    /// Progress and numbers start lines of their own when that costs no extra line; on
    /// narrow terminals they run on.
    pub fn lines(&self, width: u16) -> Vec<Line<'static>> {
        let theme = self.theme;
        let (status, numbers) = self.items();
        let mut grouped = wrap(status.clone(), width, theme);
        grouped.extend(wrap(numbers.clone(), width, theme));
        let mut all = status;
        all.extend(numbers);
        let run_on = wrap(all, width, theme);
        let mut out = if grouped.len() <= run_on.len() {
            grouped
        } else {
            run_on
        };
        out.truncate(MAX_LINES);
        out
    }

    /// Lines the header needs at this width.
    pub fn height(&self, width: u16) -> u16 {
        self.lines(width).len() as u16
    }

    /// Finite data sets: passes over the training split ("epoch 15.8").
    fn epoch_item(&self) -> Option<Item> {
        let e = self.run.report.as_ref()?.epochs?;
        Some(vec![
            Span::styled("epoch ", Style::default().fg(self.theme.dim)),
            Span::styled(
                format!("{e:.1}"),
                Style::default().add_modifier(Modifier::BOLD),
            ),
        ])
    }

    /// Finite data sets: the risk on the training subset ("train 0.2201"); measured before a
    /// change of r, activation or decoder, it is dimmed and says so until the next report.
    fn train_item(&self) -> Option<Item> {
        let t = self.run.report.as_ref()?.train_risk?;
        let dim = Style::default().fg(self.theme.dim);
        if self.run.report_stale {
            return Some(vec![
                Span::styled("train ", dim),
                Span::styled(human::fixed(t, 4), dim),
                Span::styled(" (before the change)", dim),
            ]);
        }
        Some(vec![
            Span::styled("train ", dim),
            Span::styled(
                human::fixed(t, 4),
                Style::default()
                    .add_modifier(Modifier::BOLD)
                    .fg(self.theme.train),
            ),
        ])
    }

    /// The learning rate ("lr 3.000e-3"); under `lr = "auto"` "lr auto 1.250e1", with the
    /// rate the last step took (it follows the curvature).
    fn lr_item(&self, lr: f64) -> Item {
        let dim = Style::default().fg(self.theme.dim);
        let bold = Style::default().add_modifier(Modifier::BOLD);
        if self.run.lr_auto {
            vec![
                Span::styled("lr ", dim),
                Span::styled("auto", bold),
                Span::styled(format!(" {lr:.3e}"), dim),
            ]
        } else {
            vec![
                Span::styled("lr ", dim),
                Span::styled(format!("{lr:.3e}"), bold),
            ]
        }
    }

    fn items(&self) -> (Vec<Item>, Vec<Item>) {
        let (run, theme) = (self.run, self.theme);
        let dim = Style::default().fg(theme.dim);
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let label = |s: &str| Span::styled(s.to_string(), dim);
        let value = |s: String| Span::styled(s, bold);
        let mut badges = vec![state_badge(run.state(), theme)];
        if run.watching {
            // Read-only: the run is another process's (or over), followed through its record.
            badges.push(Span::raw(" "));
            badges.push(Span::styled(
                if run.finished.is_some() {
                    " REPLAY "
                } else {
                    " WATCHING "
                },
                Style::default()
                    .fg(Color::Black)
                    .bg(theme.key)
                    .add_modifier(Modifier::BOLD),
            ));
        }
        let mut status: Vec<Item> = vec![badges];
        let mut numbers: Vec<Item> = Vec::new();
        // Isotropic Gaussian is the default and goes unsaid.
        let source = match run.source {
            SourceKind::Gaussian => "",
            SourceKind::Powerlaw => " power-law",
            SourceKind::Sparse => " sparse",
            SourceKind::File => " data file",
        };
        let Some(m) = &run.metrics else {
            status.push(vec![value(run.preset.clone())]);
            status.push(vec![label("starting the training thread…")]);
            return (status, numbers);
        };
        status.push(vec![
            label("step "),
            value(format!(
                "{}/{}",
                human::count(m.step),
                human::count(m.budget)
            )),
        ]);
        let rate = match &run.finished {
            Some(s) => format!("{} (run mean)", human::steps_per_sec(s.steps_per_sec)),
            None => human::steps_per_sec(run.steps_per_sec()),
        };
        status.push(vec![value(rate)]);
        // Population training (the exact risk) draws no samples.
        if m.samples > 0 || m.step == 0 {
            status.push(vec![label("samples "), value(human::si(m.samples))]);
        }
        status.extend(self.epoch_item());
        // A finished worker keeps counting its idle time; the run took the summary's wall
        // time.
        let elapsed = run.finished.as_ref().map_or(m.elapsed_s, |s| s.wall_s);
        status.push(vec![label("elapsed "), value(human::clock(elapsed))]);
        status.push(vec![value(m.activation.to_string())]);
        status.push(vec![value(m.optimizer.to_string())]);
        status.push(vec![label("A "), value(m.decoder.to_string())]);
        status.push(vec![
            value(run.preset.clone()),
            label(format!("{source} d={}", m.d).as_str()),
        ]);

        match m.risk {
            Some(risk) => {
                let kind = m
                    .risk_kind
                    .as_ref()
                    .map_or_else(String::new, |k| format!(" ({})", k.short()));
                numbers.push(vec![
                    label("risk "),
                    Span::styled(human::fixed(risk, 4), bold.fg(theme.risk)),
                    label(&kind),
                ]);
            }
            None => numbers.push(vec![label("risk –")]),
        }
        numbers.extend(self.train_item());
        numbers.push(vec![
            label(&format!("{} ", m.limit_label)),
            Span::styled(human::fixed(m.limit, 4), bold.fg(theme.limit)),
        ]);
        if let Some(risk) = m.risk {
            numbers.push(vec![label("gap "), value(human::signed(risk - m.limit, 4))]);
        }
        if let Some(b) = m.best_risk {
            numbers.push(vec![
                label("R*(B) "),
                Span::styled(human::fixed(b, 4), bold.fg(theme.best)),
            ]);
        }
        numbers.push(self.lr_item(m.lr));
        numbers.push(vec![
            label("r "),
            value(format!("{:.3}", m.r)),
            label(&format!(" (n={})", m.n)),
        ]);
        (status, numbers)
    }
}

type Item = Vec<Span<'static>>;

fn state_badge(s: RunState, theme: &Theme) -> Span<'static> {
    let (text, color) = match s {
        RunState::Starting => (" STARTING ".to_string(), theme.dim),
        RunState::Running => (" RUNNING ".to_string(), theme.ok),
        RunState::Paused => (" PAUSED ".to_string(), theme.warn),
        RunState::Diverged { step, .. } => (format!(" DIVERGED at {step} "), theme.error),
        RunState::Finished(FinishReason::Completed) => (" FINISHED ".to_string(), Color::Cyan),
        RunState::Finished(FinishReason::Interrupted) => (" STOPPED ".to_string(), Color::Cyan),
        RunState::Finished(FinishReason::Diverged) => (" DIVERGED ".to_string(), theme.error),
        RunState::Finished(FinishReason::Failed) => (" FAILED ".to_string(), theme.error),
    };
    Span::styled(
        text,
        Style::default()
            .fg(Color::Black)
            .bg(color)
            .add_modifier(Modifier::BOLD),
    )
}

/// Greedy wrap of items separated by " · ".
fn wrap(items: Vec<Item>, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let width = width as usize;
    let mut lines = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for item in items {
        let w: usize = item.iter().map(Span::width).sum();
        if used > 0 && used + SEP_WIDTH + w > width {
            lines.push(Line::from(std::mem::take(&mut cur)));
            used = 0;
        }
        if used > 0 {
            cur.push(Span::styled(SEP, Style::default().fg(theme.border)));
            used += SEP_WIDTH;
        }
        cur.extend(item);
        used += w;
    }
    if !cur.is_empty() {
        lines.push(Line::from(cur));
    }
    lines
}
