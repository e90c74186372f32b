//! The header: what is running and how far it got, then the numbers that matter (risk, limit,
//! gap) and the live settings. Items wrap onto as many lines as the width needs.

use super::app::{AppState, RunState};
use super::theme::Theme;
use crate::data::SourceKind;
use crate::protocol::FinishReason;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The header never takes more lines than this; what does not fit is cut.
const MAX_LINES: usize = 4;
const SEP: &str = " · ";
const SEP_WIDTH: usize = 3;

/// The header's lines at this width.
/// Progress and numbers start lines of their own when that costs no extra line; on narrow
/// terminals they run on.
pub fn lines(app: &AppState, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let (status, numbers) = items(app, theme);
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
pub fn height(app: &AppState, theme: &Theme, width: u16) -> u16 {
    lines(app, theme, width).len() as u16
}

/// Draw the header into `area`.
pub fn render(app: &AppState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Paragraph::new(lines(app, theme, area.width)).render(area, buf);
}

type Item = Vec<Span<'static>>;

fn items(app: &AppState, theme: &Theme) -> (Vec<Item>, Vec<Item>) {
    let dim = Style::default().fg(theme.dim);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let label = |s: &str| Span::styled(s.to_string(), dim);
    let value = |s: String| Span::styled(s, bold);
    let mut status: Vec<Item> = vec![vec![state_badge(app.state(), theme)]];
    let mut numbers: Vec<Item> = Vec::new();
    // Isotropic Gaussian is the default and goes unsaid.
    let source = match app.source {
        SourceKind::Gaussian => "",
        SourceKind::Powerlaw => " power-law",
        SourceKind::Sparse => " sparse",
    };
    let Some(m) = &app.metrics else {
        status.push(vec![value(app.preset.clone())]);
        status.push(vec![label("starting the training thread…")]);
        return (status, numbers);
    };
    status.push(vec![
        label("step "),
        value(format!("{}/{}", count(m.step), count(m.budget))),
    ]);
    let rate = match &app.finished {
        Some(s) => format!("{:.0} steps/s (run mean)", s.steps_per_sec),
        None => format!("{:.0} steps/s", app.steps_per_sec()),
    };
    status.push(vec![value(rate)]);
    // Population training (the exact risk) draws no samples.
    if m.samples > 0 || m.step == 0 {
        status.push(vec![label("samples "), value(si(m.samples))]);
    }
    // A finished worker keeps counting its idle time; the run took the summary's wall time.
    let elapsed = app.finished.as_ref().map_or(m.elapsed_s, |s| s.wall_s);
    status.push(vec![label("elapsed "), value(duration(elapsed))]);
    status.push(vec![value(m.activation.to_string())]);
    status.push(vec![value(m.optimizer.to_string())]);
    status.push(vec![label("A "), value(m.decoder.to_string())]);
    status.push(vec![
        value(app.preset.clone()),
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
                Span::styled(format!("{risk:.4}"), bold.fg(theme.risk)),
                label(&kind),
            ]);
        }
        None => numbers.push(vec![label("risk –")]),
    }
    numbers.push(vec![
        label(&format!("{} ", m.limit_label)),
        Span::styled(format!("{:.4}", m.limit), bold.fg(theme.limit)),
    ]);
    if let Some(risk) = m.risk {
        let gap = risk - m.limit;
        numbers.push(vec![label("gap "), value(format!("{gap:+.4}"))]);
    }
    if let Some(b) = m.best_risk {
        numbers.push(vec![
            label("R*(B) "),
            Span::styled(format!("{b:.4}"), bold.fg(theme.best)),
        ]);
    }
    numbers.push(vec![label("lr "), value(format!("{:.3e}", m.lr))]);
    numbers.push(vec![
        label("r "),
        value(format!("{:.3}", m.r)),
        label(&format!(" (n={})", m.n)),
    ]);
    (status, numbers)
}

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

/// 12 400 style grouping for step counts.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// 3.21M style for large counts.
pub fn si(n: u64) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        n.to_string()
    }
}

/// m:ss or h:mm:ss.
pub fn duration(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 {
        secs as u64
    } else {
        0
    };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(count(12_400), "12 400");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1 000 000");
        assert_eq!(si(3_210_000), "3.21M");
        assert_eq!(si(12_345), "12.3k");
        assert_eq!(duration(83.9), "1:23");
        assert_eq!(duration(3725.0), "1:02:05");
        assert_eq!(duration(f64::NAN), "0:00");
    }
}
