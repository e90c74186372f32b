//! The feature panel as drawn: tiles in half-block cells on the diverging map (colour images
//! in colour), its title, the strip of validation images over their reconstructions under it,
//! the live run opening on it for a data set, and `f` asking the worker for the right images.

mod common;

use aescope::config::Config;
use aescope::protocol::{
    Command, Event, FeatureImages, FeatureKind, FeatureRequest, FeatureTile, ImageShape,
    Reconstruction, ValidationStrip,
};
use aescope::ui::live::layout::areas_for;
use aescope::ui::live::state::{AppState, Effect};
use aescope::ui::widgets::features::{FeatureGrid, max_tiles};
use aescope::ui::widgets::reconstructions::{StripGrid, max_pairs, split};
use aescope::ui::widgets::theme::ColorMode;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;
use std::time::UNIX_EPOCH;

fn images(kind: FeatureKind, shape: ImageShape, tiles: Vec<Vec<f32>>) -> FeatureImages {
    FeatureImages {
        step: 7,
        kind,
        shape,
        n: tiles.len(),
        pixel_space: true,
        tiles: tiles
            .into_iter()
            .enumerate()
            .map(|(neuron, pixels)| FeatureTile {
                neuron,
                decoder_norm: 1.0,
                pixels,
            })
            .collect(),
        strip: ValidationStrip::Synthetic,
    }
}

fn grey(h: usize, w: usize) -> ImageShape {
    ImageShape::grey(h, w)
}

fn render(f: &FeatureImages, kind: FeatureKind, w: u16, h: u16) -> Buffer {
    let theme = theme(ColorMode::TrueColor);
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    FeatureGrid {
        images: Some(f),
        kind,
        frozen: false,
        theme: &theme,
    }
    .render(area, &mut buf);
    buf
}

const RED: Color = Color::Rgb(178, 24, 43);
const BLUE: Color = Color::Rgb(33, 102, 172);

#[test]
fn tiles_are_drawn_enlarged_on_their_own_scale() {
    // Two 4×4 tiles in 58×7 cells: enlarged 3× (12 cells × 6 rows each), centred.
    let mut t0 = vec![0.0; 16];
    t0[0] = 2.0;
    t0[3] = -2.0;
    let mut t1 = vec![0.5; 16];
    t1[15] = -0.5;
    let f = images(FeatureKind::Encoder, grey(4, 4), vec![t0, t1]);
    let buf = render(&f, FeatureKind::Encoder, 60, 10);
    let top = rows(&buf)[0].clone();
    assert!(
        top.contains("encoder rows of B · 4×4 pixels · 2/2 by ‖a‖ · step 7"),
        "{top}"
    );
    // The two tiles (25 cells) centred: tile 0 starts at cell (17, 1); its pixel (0, 0) is
    // its max, red; pixel (0, 3) blue.
    assert_eq!(buf[(16, 1)].symbol(), " ");
    assert_eq!(buf[(17, 1)].symbol(), "▀");
    assert_eq!((buf[(17, 1)].fg, buf[(17, 1)].bg), (RED, RED));
    assert_eq!(buf[(26, 1)].fg, BLUE);
    assert_eq!(
        buf[(29, 1)].fg,
        Color::Reset,
        "the gap between tiles is empty"
    );
    // Tile 1 at x = 30, scaled by its own max 0.5: red, its last pixel blue.
    assert_eq!(buf[(30, 1)].fg, RED);
    assert_eq!(buf[(41, 6)].bg, BLUE);
    assert_eq!(buf[(42, 1)].symbol(), " ");
    let legend = rows(&buf)[8].clone();
    assert!(
        legend.contains("each tile to its own max |value|"),
        "{legend}"
    );
}

#[test]
fn colour_images_are_drawn_in_colour_and_other_kinds_wait() {
    let shape = ImageShape {
        channels: 3,
        height: 2,
        width: 2,
        channels_last: false,
    };
    // Channel planes: R = +1, G = 0, B = −1 everywhere.
    let px = [vec![1.0; 4], vec![0.0; 4], vec![-1.0; 4]].concat();
    let f = images(FeatureKind::Decoder, shape, vec![px]);
    let buf = render(&f, FeatureKind::Decoder, 40, 8);
    let tile = (1..39)
        .find(|&x| buf[(x, 1)].symbol() == "▀" || buf[(x, 2)].symbol() == "▀")
        .unwrap_or_else(|| panic!("no tile drawn:\n{}", text(&buf)));
    let y = if buf[(tile, 1)].symbol() == "▀" {
        1
    } else {
        2
    };
    assert_eq!(buf[(tile, y)].fg, Color::Rgb(255, 128, 0));
    assert!(text(&buf).contains("decoder columns of A"));
    // Encoder asked, decoder images at hand: nothing drawn until the right ones come.
    let waiting = render(&f, FeatureKind::Encoder, 40, 8);
    assert!(text(&waiting).contains("waiting for the feature images"));
    assert!(!text(&waiting).contains('▀'));
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn a_data_set_opens_on_its_features_and_f_cycles_them() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    assert_eq!(app.view.features, Some(FeatureKind::Encoder));
    assert_eq!(
        app.set_feature_tiles(20, 4),
        Some(Command::WantFeatures(Some(FeatureRequest {
            kind: FeatureKind::Encoder,
            max_tiles: 20,
            strip: 4,
        })))
    );
    assert_eq!(app.set_feature_tiles(20, 4), None, "sent once");
    let f = images(FeatureKind::Encoder, grey(8, 8), vec![vec![1.0; 64]; 4]);
    app.on_event(Event::Features(Box::new(f)));
    let theme = theme(ColorMode::TrueColor);
    let screen = text(&draw(&app, &theme, 120, 40));
    assert!(screen.contains("encoder rows of B"), "{screen}");
    assert!(
        !screen.contains("Gram"),
        "the features replace the matrix panels"
    );
    let sent = |effects: Vec<Effect>| -> Vec<Command> {
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Send(c) => Some(c),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        sent(app.on_key(&key('f'), UNIX_EPOCH)),
        [Command::WantFeatures(Some(FeatureRequest {
            kind: FeatureKind::Decoder,
            max_tiles: 20,
            strip: 4,
        }))]
    );
    assert_eq!(
        sent(app.on_key(&key('f'), UNIX_EPOCH)),
        [Command::WantFeatures(None)]
    );
    let screen = text(&draw(&app, &theme, 120, 40));
    assert!(screen.contains("Gram"), "{screen}");
}

#[test]
fn synthetic_runs_open_on_the_matrices_and_requests_stay_bounded() {
    let app = app(true);
    assert_eq!(app.view.features, None);
    let panel = Rect::new(0, 0, 50, 34);
    assert_eq!(max_tiles(panel, None), 16, "before the first images");
    // 8×8 tiles in 48×31 cells: 5 × 6 fit, but only n = 32 exist.
    let f = images(FeatureKind::Encoder, grey(8, 8), vec![vec![0.0; 64]; 32]);
    assert_eq!(max_tiles(panel, Some(&f)), 30);
    let few = images(FeatureKind::Encoder, grey(8, 8), vec![vec![0.0; 64]; 3]);
    assert_eq!(max_tiles(panel, Some(&few)), 3);
}

/// A data-file run: the training-subset risk is drawn beside the validation risk (a line of
/// its own colour, labelled), and the header counts epochs.
#[test]
fn train_risk_beside_validation_risk_and_epochs_in_the_header() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    for (i, step) in [100u64, 200, 300, 400].into_iter().enumerate() {
        app.on_event(metrics_with(step, |m| {
            m.d = 64;
            m.n = 32;
            m.limit = 0.2910;
            m.risk = Some(0.5);
        }));
        let mut r = report(step, 0.5 - 0.02 * i as f64);
        r.train_risk = Some(0.45 - 0.05 * i as f64);
        r.epochs = Some(step as f64 * 64.0 / 1617.0);
        app.on_event(Event::Report(r));
    }
    let theme = theme(ColorMode::TrueColor);
    let buf = draw(&app, &theme, 120, 40);
    let screen = text(&buf);
    assert!(screen.contains("epoch 15.8"), "{screen}");
    assert!(screen.contains("train 0.3000"), "{screen}");
    assert!(screen.contains("━ train"), "legend: {screen}");
    // The train line is drawn in its colour inside the chart.
    let light_blue = (0..buf.area.height)
        .flat_map(|y| (0..70).map(move |x| (x, y)))
        .filter(|&p| buf[p].fg == Color::LightBlue && buf[p].symbol() != " ")
        .count();
    assert!(light_blue > 10, "{light_blue} train cells\n{screen}");
}

/// A data-file run: the exact risk on the Gaussian twin N(0, Σ̂) is a line of its own colour,
/// labelled at its last value and in the legend.
#[test]
fn gaussian_twin_is_drawn_beside_the_validation_risk() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    for (i, step) in [100u64, 200, 300, 400].into_iter().enumerate() {
        app.on_event(metrics_with(step, |m| {
            m.d = 64;
            m.n = 32;
            m.limit = 0.2910;
            m.risk = Some(0.5);
        }));
        let mut r = report(step, 0.5 - 0.02 * i as f64);
        r.twin_risk = Some(0.6 - 0.06 * i as f64);
        app.on_event(Event::Report(r));
    }
    let theme = theme(ColorMode::TrueColor);
    let buf = draw(&app, &theme, 120, 40);
    let screen = text(&buf);
    assert!(screen.contains("Gaussian twin 0.4200"), "{screen}");
    assert!(screen.contains("━ Gaussian twin"), "legend: {screen}");
    let twin_cells = (0..buf.area.height)
        .flat_map(|y| (0..70).map(move |x| (x, y)))
        .filter(|&p| buf[p].fg == theme.twin && buf[p].symbol() != " ")
        .count();
    assert!(twin_cells > 10, "{twin_cells} twin cells\n{screen}");
}

/// x freezes the feature panel like the matrix panels: no more images asked for, one on its
/// way is not shown, and the title says so; x again asks for them again.
#[test]
fn x_freezes_the_feature_panel() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    app.set_feature_tiles(20, 4);
    let f = images(FeatureKind::Encoder, grey(8, 8), vec![vec![1.0; 64]; 4]);
    app.on_event(Event::Features(Box::new(f)));
    assert_eq!(
        app.on_key(&key('x'), UNIX_EPOCH),
        [Effect::Send(Command::WantFeatures(None))]
    );
    let theme = theme(ColorMode::TrueColor);
    let before = draw(&app, &theme, 120, 40);
    assert!(text(&before).contains("frozen"), "{}", text(&before));
    let g = images(FeatureKind::Encoder, grey(8, 8), vec![vec![-1.0; 64]; 4]);
    app.on_event(Event::Features(Box::new(g)));
    assert!(before.diff(&draw(&app, &theme, 120, 40)).is_empty());
    assert_eq!(
        app.on_key(&key('x'), UNIX_EPOCH),
        [Effect::Send(Command::WantFeatures(Some(FeatureRequest {
            kind: FeatureKind::Encoder,
            max_tiles: 20,
            strip: 4,
        })))]
    );
}

/// 32 digit features and `pairs` validation images: image i is the ramp 0…63, its
/// reconstruction the reversed ramp, its risk 0.25 + 0.01 i.
fn with_strip(pairs: usize) -> FeatureImages {
    let mut f = images(FeatureKind::Encoder, grey(8, 8), vec![vec![1.0; 64]; 32]);
    f.strip = ValidationStrip::Images(
        (0..pairs)
            .map(|row| Reconstruction {
                row,
                original: (0..64).map(|p| p as f32).collect(),
                reconstruction: (0..64).map(|p| (63 - p) as f32).collect(),
                risk: 0.25 + 0.01 * row as f64,
            })
            .collect(),
    );
    f
}

#[test]
fn validation_strip_is_drawn_under_the_features_at_80x24_and_120x40() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let theme = theme(ColorMode::TrueColor);
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
        app.on_event(Event::Features(Box::new(with_strip(8))));
        let buf = draw(&app, &theme, w, h);
        let screen = text(&buf);
        let lines = rows(&buf);
        let a = areas_for(&app, &theme, Rect::new(0, 0, w, h)).unwrap_or_else(|| panic!());
        let area = a.features();
        let (grid, strip) = split(area, app.features.as_deref());
        // Stacked, nothing shared: the features above, the strip to the bottom of the side.
        assert!(strip.height > 0, "{w}×{h}: no strip\n{screen}");
        assert_eq!(
            (grid.y, grid.bottom(), strip.bottom()),
            (area.y, strip.y, area.bottom())
        );
        assert!(
            grid.height >= strip.height,
            "{w}×{h}: the features keep half"
        );
        // Both panels whole: the features' bottom border right above the strip's top border.
        let at = |x: u16, y: u16| buf[(x, y)].symbol().to_string();
        assert_eq!(at(grid.x, grid.bottom() - 1), "└", "{w}×{h}\n{screen}");
        assert_eq!(at(strip.x, strip.y), "┌", "{w}×{h}\n{screen}");
        assert_eq!(at(strip.right() - 1, strip.bottom() - 1), "┘");
        let row = |y: u16| lines[y as usize].clone();
        assert!(row(grid.y).contains("encoder rows of B"), "{}", row(grid.y));
        assert!(row(grid.bottom() - 2).contains("each tile"), "legend kept");
        assert!(
            row(strip.y).contains("x over x̂"),
            "{w}×{h}: {}",
            row(strip.y)
        );
        // Labels: x beside the images, x̂ beside the reconstructions, each risk under its pair.
        let g = StripGrid::fit(strip.width, strip.height, with_strip(8).shape)
            .unwrap_or_else(|| panic!());
        let ch = g.height.div_ceil(2) as u16;
        assert_eq!(at(strip.x + 1, strip.y + 1), "x");
        assert_eq!(at(strip.x + 1, strip.y + 1 + ch), "x̂");
        let pairs = max_pairs(strip, app.features.as_deref());
        assert_eq!(pairs, g.pairs);
        assert!(pairs >= 3, "{w}×{h}: {pairs} pairs");
        let risks = row(strip.y + 1 + 2 * ch);
        for i in 0..pairs {
            let label = format!("{:.2}", 0.25 + 0.01 * i as f64);
            assert!(risks.contains(&label), "{w}×{h}: {label} in {risks}");
        }
        // Every half block of the view is inside one panel's border: the strip holds
        // exactly its pairs' images and reconstructions.
        let inside =
            |r: Rect, x: u16, y: u16| x > r.x && x + 1 < r.right() && y > r.y && y + 1 < r.bottom();
        let mut in_strip = 0;
        for y in area.y..area.bottom() {
            for x in area.x..area.right() {
                if at(x, y) == "▀" {
                    assert!(
                        inside(grid, x, y) || inside(strip, x, y),
                        "({x}, {y}) on a border"
                    );
                    in_strip += usize::from(inside(strip, x, y));
                }
            }
        }
        assert_eq!(in_strip, pairs * g.width * 2 * ch as usize, "{w}×{h}");
        if (w, h) == (120, 40) {
            // 8×8 at full size: the colours are the pixels on the image's range 0…63.
            assert_eq!(g.width, 8);
            let (x0, y0) = (strip.x + 3, strip.y + 1);
            let grey = |v: u8| Color::Rgb(v, v, v);
            assert_eq!((buf[(x0, y0)].fg, buf[(x0, y0)].bg), (grey(0), grey(32)));
            assert_eq!(
                (buf[(x0, y0 + ch)].fg, buf[(x0, y0 + ch)].bg),
                (grey(255), grey(223))
            );
        }
    }
}

#[test]
fn synthetic_sources_say_they_have_no_validation_images() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    let f = images(FeatureKind::Encoder, grey(8, 8), vec![vec![1.0; 64]; 32]);
    app.on_event(Event::Features(Box::new(f)));
    let theme = theme(ColorMode::TrueColor);
    let screen = text(&draw(&app, &theme, 120, 40));
    assert!(screen.contains("no validation images"), "{screen}");
    assert!(!screen.contains("x over x̂"), "{screen}");
    let last = app.features.as_deref();
    let (_, strip) = split(Rect::new(0, 0, 50, 30), last);
    assert_eq!(
        (strip.height, max_pairs(strip, last)),
        (1, 0),
        "a note, no request"
    );
    assert_eq!(max_pairs(strip, None), 4, "before the first images");
}
