//! Pixel images over the feature view: each picture sits exactly on the half-block tile it
//! replaces, ratatui leaves those cells to it, and a picture is encoded again only when its
//! pixels or cells change (frames come far more often than feature snapshots).

mod common;

use aescope::config::Config;
use aescope::protocol::{
    Event, FeatureImages, FeatureKind, FeatureTile, ImageShape, Reconstruction, ValidationStrip,
};
use aescope::ui::images::{Detected, ImageLayer, Picture, Protocol};
use aescope::ui::live::keys::Action;
use aescope::ui::live::layout;
use aescope::ui::live::state::AppState;
use aescope::ui::widgets::theme::{ColorMode, Theme};
use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::UNIX_EPOCH;

/// 32 digit-shaped features (tile i: pixel p is `sin(p + i + phase)`) and 8 validation pairs.
fn features(step: u64, phase: f32) -> FeatureImages {
    let shape = ImageShape::grey(8, 8);
    FeatureImages {
        step,
        kind: FeatureKind::Encoder,
        shape,
        n: 32,
        pixel_space: true,
        tiles: (0..32)
            .map(|neuron| FeatureTile {
                neuron,
                decoder_norm: 1.0,
                pixels: (0..64)
                    .map(|p| (p as f32 + neuron as f32 + phase).sin())
                    .collect(),
            })
            .collect(),
        strip: ValidationStrip::Images(
            (0..8)
                .map(|row| Reconstruction {
                    row,
                    original: (0..64).map(|p| p as f32).collect(),
                    reconstruction: (0..64).map(|p| (63 - p) as f32 + phase).collect(),
                    risk: 0.3,
                })
                .collect(),
        ),
    }
}

fn digits_app(f: FeatureImages) -> AppState {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut app = AppState::new(&cfg, Some("run.jsonl".into()));
    app.on_event(Event::Features(Box::new(f)));
    app
}

/// One frame as the interface draws it: the buffer as ratatui sent it to the terminal, and
/// the bytes of the image layer after it.
fn frame(
    term: &mut Terminal<TestBackend>,
    app: &AppState,
    theme: &Theme,
    images: &mut ImageLayer,
) -> (Buffer, Vec<u8>) {
    let mut pictures = Vec::new();
    let mut screen = Rect::default();
    term.draw(|f| {
        layout::draw(f, app, theme);
        screen = f.area();
        if images.active() {
            pictures = layout::pictures(app, theme, screen);
            images.mask(&pictures, f.buffer_mut());
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let seq = images.update(screen, &pictures);
    (term.backend().buffer().clone(), seq)
}

fn kitty() -> ImageLayer {
    ImageLayer::new(Detected {
        protocol: Protocol::Kitty,
        cell: Some((10, 20)),
        reason: "test".into(),
    })
}

#[test]
fn pictures_sit_exactly_on_the_half_block_tiles() {
    let theme = theme(ColorMode::TrueColor);
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let app = digits_app(features(1, 0.0));
        let area = Rect::new(0, 0, w, h);
        let buf = draw(&app, &theme, w, h);
        let pictures: Vec<Picture> = layout::pictures(&app, &theme, area);
        assert!(pictures.len() > 6, "{w}×{h}: {} pictures", pictures.len());
        // Every cell of every picture is a half block; every half block is under a picture.
        let covered = |x: u16, y: u16| {
            pictures
                .iter()
                .filter(|p| p.rect.contains((x, y).into()))
                .count()
        };
        for y in 0..h {
            for x in 0..w {
                let block = buf[(x, y)].symbol() == "▀";
                let n = covered(x, y);
                assert!(n <= 1, "{w}×{h}: ({x}, {y}) under {n} pictures");
                assert_eq!(block, n == 1, "{w}×{h}: ({x}, {y})\n{}", text(&buf));
            }
        }
        // A picture carries the tile's own pixels (8×8) on the tile's colours: the strip's
        // first image is the ramp 0…63 on its range, black to white.
        let ramp = pictures
            .iter()
            .find(|p| {
                p.image.data[..3] == [0, 0, 0]
                    && p.image.data[p.image.data.len() - 3..] == [255, 255, 255]
            })
            .unwrap_or_else(|| panic!("{w}×{h}: no ramp picture"));
        assert_eq!((ramp.image.width, ramp.image.height), (8, 8));
    }
    // No pictures with the matrices on screen or an overlay over the view.
    let mut app = digits_app(features(1, 0.0));
    app.on_action(Action::Help, UNIX_EPOCH);
    assert!(layout::pictures(&app, &theme, Rect::new(0, 0, 120, 40)).is_empty());
}

#[test]
fn ratatui_leaves_the_pictures_cells_to_them() {
    let theme = theme(ColorMode::TrueColor);
    let app = digits_app(features(1, 0.0));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    let mut blocks = ImageLayer::new(Detected::blocks("test"));
    let (plain, seq) = frame(&mut term, &app, &theme, &mut blocks);
    assert!(seq.is_empty(), "half blocks send no image");
    assert!(text(&plain).contains('▀'));
    // With kitty, the terminal never receives those half blocks: the picture covers them.
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    let mut images = kitty();
    let (sent, seq) = frame(&mut term, &app, &theme, &mut images);
    assert!(!text(&sent).contains('▀'), "{}", text(&sent));
    let seq = String::from_utf8(seq).unwrap_or_else(|e| panic!("{e}"));
    let pictures = layout::pictures(&app, &theme, Rect::new(0, 0, 120, 40));
    assert_eq!(seq.matches("\x1b_Ga=T,f=100,").count(), pictures.len());
    // Everything else is the same as with half blocks.
    for y in 0..40 {
        for x in 0..120 {
            if plain[(x, y)].symbol() != "▀" {
                assert_eq!(sent[(x, y)].symbol(), plain[(x, y)].symbol(), "({x}, {y})");
            }
        }
    }
}

#[test]
fn pictures_are_encoded_again_only_when_they_change() {
    let theme = theme(ColorMode::TrueColor);
    let mut app = digits_app(features(1, 0.0));
    // The first metrics set the header's height, and so where the panels are.
    app.on_event(metrics_with(0, |_| {}));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    let mut images = kitty();
    let (_, first) = frame(&mut term, &app, &theme, &mut images);
    let shown = layout::pictures(&app, &theme, Rect::new(0, 0, 120, 40)).len() as u64;
    assert_eq!(images.encodes, shown);
    assert!(!first.is_empty());
    // Ten more frames (new metrics, same features): not a byte of image.
    for step in 1..=10 {
        app.on_event(metrics_with(100 * step, |_| {}));
        let (_, seq) = frame(&mut term, &app, &theme, &mut images);
        assert!(seq.is_empty(), "frame {step} resent images");
    }
    assert_eq!(images.encodes, shown);
    // A snapshot with the same pixels at a later step: nothing again.
    app.on_event(Event::Features(Box::new(features(2, 0.0))));
    assert!(frame(&mut term, &app, &theme, &mut images).1.is_empty());
    // A snapshot that changed every tile and reconstruction (the originals are the same
    // validation images): all but those encoded once more.
    app.on_event(Event::Features(Box::new(features(3, 0.5))));
    let (_, seq) = frame(&mut term, &app, &theme, &mut images);
    // The validation images themselves (the ramps, starting black) are the same.
    let pairs = layout::pictures(&app, &theme, Rect::new(0, 0, 120, 40))
        .iter()
        .filter(|p| p.image.data[..3] == [0, 0, 0])
        .count() as u64;
    assert!(pairs >= 3, "{pairs} pairs");
    assert_eq!(images.encodes, 2 * shown - pairs);
    let seq = String::from_utf8(seq).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        seq.matches("a=d,d=I").count() as u64,
        shown - pairs,
        "the old ones deleted"
    );
    // The help over the view: every picture deleted, none encoded; closed: all sent again.
    let before = images.encodes;
    app.on_action(Action::Help, UNIX_EPOCH);
    let (_, seq) = frame(&mut term, &app, &theme, &mut images);
    assert_eq!(images.encodes, before);
    let seq = String::from_utf8(seq).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seq.matches("a=d,d=I").count(), shown as usize);
    app.on_action(Action::Help, UNIX_EPOCH);
    frame(&mut term, &app, &theme, &mut images);
    assert_eq!(images.encodes, before + shown);
}
