//! Learned features as images, end to end: the worker sends the tiles asked for on the
//! built-in digits (8×8, in pixel space), `e` writes PNG grids that decode back to the same
//! pixels, and the grid's colours are the colour map's. The strip of validation images beside
//! their reconstructions is the model's forward pass taken back through the preprocessing.

use aescope::checkpoint;
use aescope::colormap::{diverging_rgb, intensity_range, intensity_rgb};
use aescope::config::Config;
use aescope::data::preprocess::Map;
use aescope::data::real::RealData;
use aescope::protocol::{
    Command, Event, FeatureImages, FeatureKind, FeatureRequest, FeatureTile, ImageShape,
    Reconstruction, ValidationStrip,
};
use aescope::train::feature_png::{STRIP_FILE, STRIP_IMAGES, grid, write_png};
use aescope::train::trainer::TrainerState;
use aescope::train::{WorkerHandle, WorkerOptions, spawn};
use std::time::{Duration, Instant};

fn wait_for(w: &WorkerHandle, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match w.events.recv_timeout(left) {
            Ok(ev) if pred(&ev) => return ev,
            Ok(_) => {}
            Err(e) => panic!("no {what} within 20 s ({e})"),
        }
    }
}

fn read_png(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// A worker on `cfg`, paused, asked for the feature images `req`.
fn paused_asking(cfg: Config, req: FeatureRequest) -> WorkerHandle {
    let opts = WorkerOptions {
        start_paused: true,
        ..WorkerOptions::default()
    };
    let w = spawn(cfg, opts).unwrap_or_else(|e| panic!("{e}"));
    w.commands.send(Command::WantFeatures(Some(req))).ok();
    w
}

#[test]
fn worker_sends_digit_features_in_pixel_space_and_exports_png_grids() {
    let cfg = Config::load("digits-sign", &[]).unwrap_or_else(|e| panic!("{e}"));
    let w = paused_asking(
        cfg,
        FeatureRequest {
            kind: FeatureKind::Decoder,
            max_tiles: 5,
            strip: 0,
        },
    );
    w.commands.send(Command::Step(3)).ok();
    let Event::Features(f) = wait_for(&w, "features", |e| matches!(e, Event::Features(_))) else {
        unreachable!()
    };
    assert_eq!(f.kind, FeatureKind::Decoder);
    assert_eq!((f.shape.height, f.shape.width, f.shape.channels), (8, 8, 1));
    assert!(f.pixel_space);
    assert_eq!(f.n, 32, "r = 0.5 of d = 64");
    assert_eq!(f.tiles.len(), 5, "only the tiles asked for");
    assert!(f.tiles.iter().all(|t| t.pixels.len() == 64));
    // Pixels the digits never use (the corner, the middle of the left border) are neutral;
    // the centre is not.
    assert!(
        f.tiles
            .iter()
            .all(|t| t.pixels[0] == 0.0 && t.pixels[32] == 0.0)
    );
    assert!(f.tiles.iter().all(|t| t.pixels[27] != 0.0));
    assert!(
        f.tiles
            .windows(2)
            .all(|p| p[0].decoder_norm >= p[1].decoder_norm),
        "largest decoder norm first"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    w.commands.send(Command::Export(dir.path().join("x"))).ok();
    let Event::Exported(files) = wait_for(&w, "export", |e| matches!(e, Event::Exported(_))) else {
        unreachable!()
    };
    for kind in ["encoder", "decoder"] {
        let path = dir.path().join(format!("x/features-{kind}.png"));
        assert!(files.contains(&path), "{} not reported", path.display());
        // 32 tiles: 6 columns × 6 rows of 32-pixel tiles (8×8 enlarged 4×), 2-pixel gaps.
        let (width, height, _) = read_png(&path);
        assert_eq!((width, height), (2 + 6 * 34, 2 + 6 * 34));
    }
    w.commands.send(Command::Quit).ok();
    w.join();
}

#[test]
fn png_grid_round_trips_with_the_colour_map() {
    let shape = ImageShape {
        channels: 1,
        height: 2,
        width: 3,
        channels_last: false,
    };
    let tile = |pixels: Vec<f32>, neuron| FeatureTile {
        neuron,
        decoder_norm: 1.0,
        pixels,
    };
    let images = FeatureImages {
        step: 1,
        kind: FeatureKind::Encoder,
        shape,
        n: 2,
        pixel_space: true,
        tiles: vec![
            tile(vec![2.0, -2.0, 0.0, 1.0, 0.0, 0.0], 0),
            tile(vec![0.0, 0.0, 0.0, 0.0, 0.0, -0.5], 1),
        ],
        strip: ValidationStrip::Synthetic,
    };
    let img = grid(&images);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("g.png");
    write_png(&path, &img).unwrap_or_else(|e| panic!("{e}"));
    let (w, h, data) = read_png(&path);
    assert_eq!((w as usize, h as usize), (img.width, img.height));
    assert_eq!(data, img.data, "decoded pixels equal the written ones");
    // 3×2 images zoom 11× (to 33 px ≥ 32): two tiles side by side.
    assert_eq!((img.width, img.height), (2 + 2 * (33 + 2), 2 + 22 + 2));
    let at = |x: usize, y: usize| {
        let i = 3 * (y * img.width + x);
        [data[i], data[i + 1], data[i + 2]]
    };
    // Tile 0 on its own scale (max |v| = 2): +1 red, −1 blue, 0 white, 0.5 in between.
    assert_eq!(at(2, 2), diverging_rgb(1.0));
    assert_eq!(at(2 + 11, 2 + 10), diverging_rgb(-1.0));
    assert_eq!(at(2 + 22, 2), diverging_rgb(0.0));
    assert_eq!(at(2, 2 + 11), diverging_rgb(0.5));
    // Tile 1: its only non-zero pixel is its own −1.
    assert_eq!(at(2 + 35 + 22, 2 + 11), diverging_rgb(-1.0));
    // The gap is dark.
    assert_eq!(at(0, 0), [40, 40, 40]);
}

/// The worker's strip on the digits projected on 20 principal components (so the inverse is
/// a matrix, not a scale): each image is `μ + T⁺z` and each reconstruction `μ + T⁺ A σ(Bz)`,
/// recomputed here in f64 from the weights the worker saves at that step and the data read
/// afresh. `e` writes the same pairs as a PNG: images over reconstructions.
#[test]
fn validation_strip_is_the_forward_pass_through_the_inverse_preprocessing() {
    let cfg = Config::load("digits-sign", &["data.project=20".to_string()])
        .unwrap_or_else(|e| panic!("{e}"));
    let w = paused_asking(
        cfg.clone(),
        FeatureRequest {
            kind: FeatureKind::Encoder,
            max_tiles: 2,
            strip: 4,
        },
    );
    w.commands.send(Command::Step(40)).ok();
    let Event::Features(f) = wait_for(
        &w,
        "features at step 40",
        |e| matches!(e, Event::Features(f) if f.step == 40),
    ) else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let saved = dir.path().join("at40.ckpt");
    w.commands.send(Command::Save(saved.clone())).ok();
    let Event::Saved(saved) = wait_for(&w, "save", |e| matches!(e, Event::Saved(_))) else {
        unreachable!()
    };
    w.commands.send(Command::Export(dir.path().join("x"))).ok();
    let Event::Exported(files) = wait_for(&w, "export", |e| matches!(e, Event::Exported(_))) else {
        unreachable!()
    };
    w.commands.send(Command::Quit).ok();
    w.join();

    let ValidationStrip::Images(pairs) = &f.strip else {
        panic!("a data file has images: {:?}", f.strip)
    };
    assert_eq!(pairs.len(), 4, "the pairs asked for");
    let st = checkpoint::load(&saved, u64::MAX)
        .unwrap_or_else(|e| panic!("{e}"))
        .state;
    assert_eq!(st.step, 40);
    let spec = cfg
        .data
        .file_spec(cfg.seed)
        .unwrap_or_else(|e| panic!("{e}"));
    let data = RealData::load(&spec).unwrap_or_else(|e| panic!("{e}"));
    let mut worst = 0.0f64;
    for (i, pair) in pairs.iter().enumerate() {
        assert_eq!(pair.row, i, "the first validation rows, in order");
        let (image, reconstruction, risk) = by_hand(&st, &data, i);
        for (got, want) in [
            (&pair.original, image),
            (&pair.reconstruction, reconstruction),
        ] {
            assert_eq!(got.len(), 64);
            for (g, w) in got.iter().zip(&want) {
                worst = worst.max((f64::from(*g) - w).abs());
            }
        }
        assert!((pair.risk - risk).abs() < 1e-5, "{} vs {risk}", pair.risk);
        assert!(risk > 0.0, "{risk}");
    }
    // Pixels run 0–16: agreement to f32 rounding.
    assert!(worst < 1e-4, "largest difference {worst}");
    // Trained 40 steps, the reconstructions are not the mean image: they follow the images.
    assert!(
        pairs
            .iter()
            .any(|p| p.reconstruction != pairs[0].reconstruction)
    );

    let path = dir.path().join("x").join(STRIP_FILE);
    assert!(files.contains(&path), "{} not reported", path.display());
    png_holds_the_strip(&path, pairs);
}

/// Image `row` of the validation split and its reconstruction by the saved weights, in pixels
/// through `μ + T⁺·`, and its risk ‖z − ẑ‖²/d: written out in f64 loops.
fn by_hand(st: &TrainerState, data: &RealData, row: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let t = &data.prepared.transform;
    let Map::Matrix { inverse, .. } = &t.map else {
        panic!("a projection is a matrix")
    };
    let (n, d) = st.b.dim();
    assert_eq!((n, d, inverse.dim()), (10, 20, (64, 20)));
    let back = |v: &[f64]| -> Vec<f64> {
        (0..64)
            .map(|p| t.mean[p] + (0..d).map(|k| inverse[[p, k]] * v[k]).sum::<f64>())
            .collect()
    };
    let act = st.cfg.model.activation;
    let z: Vec<f64> = data
        .prepared
        .val
        .row(row)
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let h: Vec<f64> = (0..n)
        .map(|j| act.eval_f64((0..d).map(|k| f64::from(st.b[[j, k]]) * z[k]).sum()))
        .collect();
    let z_hat: Vec<f64> = (0..d)
        .map(|k| (0..n).map(|j| f64::from(st.a[[k, j]]) * h[j]).sum())
        .collect();
    let risk = z
        .iter()
        .zip(&z_hat)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / d as f64;
    (back(&z), back(&z_hat), risk)
}

/// The exported strip: 16 pairs of 8×8 images enlarged 4× with 2-pixel gaps, images over
/// reconstructions, each pair on its image's intensity range.
fn png_holds_the_strip(path: &std::path::Path, pairs: &[Reconstruction]) {
    let (width, height, png) = read_png(path);
    assert_eq!(STRIP_IMAGES, 16);
    assert_eq!((width, height), (2 + 16 * 34, 2 + 2 * 34));
    let at = |x: usize, y: usize| {
        let i = 3 * (y * width as usize + x);
        [png[i], png[i + 1], png[i + 2]]
    };
    for (i, pair) in pairs.iter().enumerate() {
        let range = intensity_range(&pair.original);
        // Pixel (row 3, column 5) of image i and of its reconstruction, on the image's scale.
        let (x, y) = (2 + i * 34 + 5 * 4, 2 + 3 * 4);
        let p = 3 * 8 + 5;
        assert_eq!(
            at(x, y),
            intensity_rgb([pair.original[p], 0.0, 0.0], 1, range)
        );
        assert_eq!(
            at(x, y + 34),
            intensity_rgb([pair.reconstruction[p], 0.0, 0.0], 1, range)
        );
    }
}
