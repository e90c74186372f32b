//! Training reaches the limits; resizing is exact; records are reproducible.

use aescope::config::Config;
use aescope::model::{Autoencoder, Workspace};
use aescope::train::Trainer;
use aescope::train::trainer::StepOutcome;

fn preset(name: &str, overrides: &[&str]) -> Config {
    let o: Vec<String> = overrides.iter().map(ToString::to_string).collect();
    match Config::load(name, &o) {
        Ok(c) => c,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn train(cfg: &Config) -> Trainer {
    let mut t = Trainer::new(cfg);
    for _ in 0..cfg.train.steps {
        assert!(matches!(t.step(), StepOutcome::Applied { .. }), "diverged");
    }
    t
}

#[test]
fn sign_r05_online_training_reaches_the_limit() {
    // d = 256, r = 0.5: limit 1 − 1/π = 0.6817.
    let cfg = preset("sign-r0.5", &["train.steps=4000"]);
    let mut t = train(&cfg);
    let risk = t.evaluate().risk;
    let limit = aescope::theory::bounds::r_sign(0.5);
    eprintln!("sign r=0.5 exact risk {risk:.6} (limit {limit:.6})");
    // Measured: +2.56e-4 above the limit for seeds 1 to 4 (`aescope run sign-r0.5 --headless
    // --steps 4000 --seed S --json`, field gap); the bound leaves four times that.
    assert!(risk <= limit + 1e-3, "exact risk {risk}");
    // The limit holds at every d for r ≤ 1 up to the finite-d terms of THEORY §4.
    assert!(risk >= limit - 1e-4, "below the limit: {risk}");
}

#[test]
fn linear_r05_online_training_reaches_pca() {
    let cfg = preset("linear-r0.5", &["train.steps=3000"]);
    let mut t = train(&cfg);
    let risk = t.evaluate().risk;
    eprintln!("linear r=0.5 exact risk {risk:.8} (PCA 0.5)");
    // Measured: +1.7e-6 above PCA for seeds 1 to 3 after 3000 steps; the bound leaves six
    // times that. PCA is exact for a linear autoencoder at every d: nothing goes below it.
    assert!(risk <= 0.5 + 1e-5, "exact risk {risk}");
    assert!(risk >= 0.5 - 1e-9, "below PCA: {risk}");
}

fn sse(m: &Autoencoder, x: &ndarray::Array2<f32>) -> f64 {
    m.sum_sq_error(x.view(), 512, &mut Workspace::default())
}

#[test]
fn growing_leaves_the_loss_unchanged_and_shrinking_keeps_weights() {
    for act in ["sign", "relu", "tanh", "linear"] {
        let cfg = preset(
            "sign-r0.5",
            &[
                "data.d=64",
                "train.steps=200",
                &format!("model.activation={act}"),
            ],
        );
        let mut t = train(&cfg);
        let x = aescope::data::DataSource::new(&cfg.data, 99).sample(2048);
        let before = sse(t.model(), &x);
        let old = t.model().clone();
        assert!(t.set_n(old.n() + 17));
        assert_eq!(t.model().n(), old.n() + 17);
        let after = sse(t.model(), &x);
        assert_eq!(before, after, "{act}: growing changed the loss");
        // Existing neurons are untouched, new encoder rows are not zero.
        assert_eq!(t.model().b.slice(ndarray::s![..old.n(), ..]), old.b);
        assert!(t.model().b.row(old.n()).iter().any(|v| *v != 0.0));

        // Shrink back below the original size: the kept neurons are those with the largest
        // decoder columns, with their weights.
        let keep = old.n() / 2;
        let model = t.model().clone();
        let mut norms: Vec<(f32, usize)> = model
            .a
            .columns()
            .into_iter()
            .enumerate()
            .map(|(j, c)| (c.dot(&c), j))
            .collect();
        norms.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut expected: Vec<usize> = norms[..keep].iter().map(|p| p.1).collect();
        expected.sort_unstable();
        assert!(t.set_n(keep));
        for (new_j, old_j) in expected.iter().enumerate() {
            assert_eq!(
                t.model().b.row(new_j),
                model.b.row(*old_j),
                "{act}: encoder row {old_j}"
            );
            assert_eq!(
                t.model().a.column(new_j),
                model.a.column(*old_j),
                "{act}: decoder column {old_j}"
            );
        }
        // Training goes on at the new size.
        assert!(matches!(t.step(), StepOutcome::Applied { .. }));
    }
}

#[test]
fn resizing_keeps_optimizer_state_of_kept_neurons() {
    // Two trainers on the same stream: one resized (grown then shrunk back to the same set)
    // must take the same next step as one never resized, if state survived.
    let cfg = preset("relu-r0.5", &["data.d=32", "train.steps=100"]);
    let mut a = train(&cfg);
    let mut b = train(&cfg);
    let n = b.model().n();
    assert!(b.set_n(n + 5));
    // Shrinking drops the 5 new neurons: their decoder columns are zero.
    assert!(b.set_n(n));
    assert_eq!(a.model(), b.model());
    a.step();
    b.step();
    assert_eq!(
        a.model(),
        b.model(),
        "optimizer state was lost in the resize"
    );
}

#[test]
fn same_seed_same_record_except_wall_times() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |name: &str| {
        let path = dir.path().join(name);
        let cfg = preset(
            "sign-r0.5",
            &[
                "data.d=64",
                "train.steps=600",
                "eval.every=100",
                "eval.val_size=512",
            ],
        );
        let opts = aescope::train::WorkerOptions {
            record: Some(path.clone()),
            exit_when_finished: true,
            start_paused: false,
        };
        let w = aescope::train::spawn(cfg, opts).unwrap_or_else(|e| panic!("{e}"));
        for ev in &w.events {
            if matches!(ev, aescope::protocol::Event::Finished(_)) {
                break;
            }
        }
        w.join();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    for k in ["wall_s", "steps_per_sec", "record"] {
                        m.remove(k);
                    }
                }
                v
            })
            .collect::<Vec<_>>()
    };
    let a = run("a.jsonl");
    let b = run("b.jsonl");
    assert_eq!(a.len(), 1 + 6 + 1, "config + 6 reports + summary");
    assert_eq!(a, b);
    assert_eq!(a[0]["type"], "config");
    assert_eq!(a[0]["seed"], 1);
    assert_eq!(a[1]["type"], "report");
    for key in [
        "step", "samples", "loss", "val_risk", "limit", "lr", "r", "n",
    ] {
        assert!(a[1].get(key).is_some(), "report lacks {key}");
    }
    assert_eq!(a[7]["type"], "summary");
    assert_eq!(a[7]["reason"], "completed");
    // A different seed gives a different run.
    let cfg = preset("sign-r0.5", &["data.d=64", "train.steps=5", "seed=2"]);
    let mut t2 = train(&cfg);
    let mut t1 = train(&preset("sign-r0.5", &["data.d=64", "train.steps=5"]));
    assert_ne!(t1.evaluate().risk, t2.evaluate().risk);
}

#[test]
fn divergence_leaves_the_weights_finite() {
    let cfg = preset(
        "linear-r0.5",
        &[
            "data.d=32",
            "train.optimizer=sgd",
            "train.lr=1e30",
            "train.lr_final=1e30",
        ],
    );
    let mut t = Trainer::new(&cfg);
    let mut diverged = false;
    for _ in 0..50 {
        if let StepOutcome::Diverged { .. } = t.step() {
            diverged = true;
            break;
        }
    }
    assert!(diverged);
    assert!(
        t.model()
            .a
            .iter()
            .chain(t.model().b.iter())
            .all(|v| v.is_finite())
    );
}

#[test]
fn one_and_two_threads_train_to_the_same_bits() {
    // Large enough (n·d = batch·n = 65536 elements) that the elementwise passes, the gradient
    // norm and the optimizer update split across two threads: each element is still computed
    // the same way and the partial sums are added in the same order.
    for (act, opt) in [("sign", "sgd"), ("sign", "adam"), ("relu", "momentum")] {
        let run = |threads: &str| {
            let cfg = preset(
                "sign-r0.5",
                &[
                    &format!("model.activation={act}"),
                    &format!("train.optimizer={opt}"),
                    "data.d=256",
                    "model.rate=1",
                    "train.batch=256",
                    "train.steps=4",
                    &format!("train.threads={threads}"),
                ],
            );
            let mut t = Trainer::new(&cfg);
            let losses: Vec<u64> = (0..cfg.train.steps)
                .map(|_| match t.step() {
                    StepOutcome::Applied { loss, grad_norm } => {
                        loss.to_bits() ^ grad_norm.to_bits()
                    }
                    other => panic!("{act}/{opt}: {other:?}"),
                })
                .collect();
            (losses, t.model().clone())
        };
        let (one, two) = (run("1"), run("2"));
        assert_eq!(one.0, two.0, "{act}/{opt}: losses or gradient norms differ");
        assert!(one.1 == two.1, "{act}/{opt}: weights differ");
    }
}
