//! Small and large terminals: at 60×16, 80×24, 120×40 and 200×60 every panel on screen has
//! content, no two overlap, the step axis's labels stay apart, and the hint line shows whole
//! hints (those marked always among them).

mod common;

use aescope::protocol::Event;
use aescope::ui::live::keys::{KEYS, Mode};
use aescope::ui::live::layout;
use aescope::ui::live::state::AppState;
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use ndarray::Array2;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const SIZES: [(u16, u16); 4] = [(60, 16), (80, 24), (120, 40), (200, 60)];

/// A run 5000 steps in, with reports, R*(B) and a snapshot.
fn running() -> AppState {
    let mut app = app(true);
    for step in (0..=5000).step_by(100) {
        app.on_event(metrics_with(step, |m| {
            m.loss = 0.68 + 0.3 * (-(step as f64) / 1500.0).exp();
            m.best_risk = Some(0.6825);
        }));
        if step % 1000 == 0 && step > 0 {
            app.on_event(Event::Report(report(step, 0.69)));
        }
    }
    let g = Array2::from_shape_fn((32, 32), |(i, j)| if i == j { 1.0 } else { 0.02 });
    app.on_event(Event::Snapshot(Box::new(snapshot(5000, g))));
    app
}

/// Cells inside a panel's border that are not blank.
fn filled(buf: &Buffer, r: Rect) -> usize {
    (r.top() + 1..r.bottom().saturating_sub(1))
        .flat_map(|y| (r.left() + 1..r.right().saturating_sub(1)).map(move |x| (x, y)))
        .filter(|&p| buf[p].symbol() != " ")
        .count()
}

#[test]
fn every_panel_on_screen_has_content_and_none_overlap() {
    let app = running();
    let th = theme(ColorMode::TrueColor);
    for (w, h) in SIZES {
        let buf = draw(&app, &th, w, h);
        let s = text(&buf);
        let a = layout::areas_for(&app, &th, Rect::new(0, 0, w, h))
            .unwrap_or_else(|| panic!("{w}×{h}: no layout"));
        let panels: Vec<(&str, Rect)> = [
            ("header", a.header),
            ("risk", a.risk),
            ("heatmap", a.heatmap),
            ("spectrum", a.spectrum),
            ("footer", a.footer),
        ]
        .into_iter()
        .filter(|p| !p.1.is_empty())
        .collect();
        for (i, (n1, r1)) in panels.iter().enumerate() {
            assert!(
                r1.right() <= w && r1.bottom() <= h,
                "{w}×{h}: {n1} off screen"
            );
            for (n2, r2) in &panels[i + 1..] {
                assert!(!r1.intersects(*r2), "{w}×{h}: {n1} overlaps {n2}");
            }
        }
        // Boxed panels: content inside the border, and enough of it to read.
        for (name, r, min) in [("risk", a.risk, 40), ("heatmap", a.heatmap, 40)] {
            assert!(filled(&buf, r) >= min, "{w}×{h}: {name} nearly empty\n{s}");
        }
        if a.spectrum.is_empty() {
            assert!(
                !s.contains("eigs"),
                "{w}×{h}: spectrum title without a panel\n{s}"
            );
            assert!(h < 24, "{w}×{h}: spectrum left out\n{s}");
        } else {
            assert!(a.spectrum.height >= 7, "{w}×{h}: spectrum {:?}", a.spectrum);
            assert!(
                filled(&buf, a.spectrum) >= 20,
                "{w}×{h}: spectrum empty\n{s}"
            );
        }
        // The step labels are whole and apart: first, middle, last.
        let rows = rows(&buf);
        let label_row: String = rows[usize::from(a.risk.bottom() - 2)]
            .chars()
            .skip(usize::from(a.risk.left() + 1))
            .take(usize::from(a.risk.width - 2))
            .collect();
        let words: Vec<&str> = label_row.split_whitespace().collect();
        assert_eq!(words, ["0", "2500", "5000"], "{w}×{h}: '{label_row}'");
        // The hint line: whole hints only, the ones marked always among them.
        let last = rows.last().cloned().unwrap_or_default();
        let hints = KEYS.hints(Mode::Panels);
        let mut rest = last.trim().to_string();
        for hnt in &hints {
            let item = format!("{} {}", hnt.keys, hnt.word);
            if rest.contains(&item) {
                rest = rest.replacen(&item, "", 1);
            } else {
                assert!(!hnt.always, "{w}×{h}: '{item}' missing from '{last}'");
            }
        }
        assert!(
            rest.trim().is_empty(),
            "{w}×{h}: cut hint '{}' in '{last}'",
            rest.trim()
        );
    }
}
