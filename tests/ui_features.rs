//! The feature panel as drawn: tiles in half-block cells on the diverging map (colour images
//! in colour), its title, the live run opening on it for a data set, and `f` asking the worker
//! for the right images.

mod common;

use aescope::config::Config;
use aescope::protocol::{
    Command, Event, FeatureImages, FeatureKind, FeatureRequest, FeatureTile, ImageShape,
};
use aescope::ui::live::state::{AppState, Effect};
use aescope::ui::widgets::features::{FeatureGrid, max_tiles};
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
    }
}

fn grey(h: usize, w: usize) -> ImageShape {
    ImageShape {
        channels: 1,
        height: h,
        width: w,
        channels_last: false,
    }
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
        app.set_feature_tiles(20),
        Some(Command::WantFeatures(Some(FeatureRequest {
            kind: FeatureKind::Encoder,
            max_tiles: 20
        })))
    );
    assert_eq!(app.set_feature_tiles(20), None, "sent once");
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
            max_tiles: 20
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

/// x freezes the feature panel like the matrix panels: no more images asked for, one on its
/// way is not shown, and the title says so; x again asks for them again.
#[test]
fn x_freezes_the_feature_panel() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    app.set_feature_tiles(20);
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
            max_tiles: 20
        })))]
    );
}
