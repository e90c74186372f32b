//! Draws minibatches on a second thread while the training thread multiplies matrices.
//!
//! Sampling is 10–20 % of a small step (`cargo bench --bench train_step`, "sampling" column);
//! overlapping it with the GEMMs hides it on a machine with a free core. The stream is the same
//! as drawing inline (one source, batches in order), so records stay bit-identical.

use super::DataSource;
use crossbeam_channel::{Receiver, Sender, bounded};
use ndarray::Array2;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::thread::JoinHandle;

/// Batches in flight: one being used (kept until the next step starts), one ready, one being filled.
const DEPTH: usize = 3;

/// A source running ahead of the trainer by up to [`DEPTH`] batches.
pub struct Prefetcher {
    shape: (usize, usize),
    /// Each batch comes with the stream's position just after it (for checkpoints).
    filled: Receiver<(Array2<f32>, Xoshiro256PlusPlus)>,
    /// The stream's position after the last batch handed out.
    position: Xoshiro256PlusPlus,
    empty: Sender<Array2<f32>>,
    /// The batch of the last step, handed back to the sampler when the next step starts: then
    /// the sampler refills it while the step's first products run, whose blocks the other
    /// threads take over when the sampler interrupts one (see `linalg::team`), rather than
    /// during the short passes at the end of a step, which wait for every thread.
    held: Option<Array2<f32>>,
    join: Option<JoinHandle<()>>,
}

impl Prefetcher {
    /// Start drawing `batch`-row batches from `source` on a new thread. If the thread cannot
    /// be started the batches are drawn inline instead (see [`Batches`]).
    pub fn spawn(source: DataSource, batch: usize) -> Result<Self, Box<DataSource>> {
        let (filled_tx, filled_rx) = bounded::<(Array2<f32>, Xoshiro256PlusPlus)>(DEPTH);
        let position = source.position();
        let (empty_tx, empty_rx) = bounded::<Array2<f32>>(DEPTH);
        let d = source.d();
        for _ in 0..DEPTH {
            let _ = empty_tx.send(Array2::zeros((batch, d)));
        }
        let (keep_tx, keep_rx) = bounded::<DataSource>(1);
        let spawned = std::thread::Builder::new()
            .name("aescope-sampler".into())
            .spawn(move || {
                let Ok(mut source) = keep_rx.recv() else {
                    return;
                };
                // Ends when the trainer drops its ends of the channels.
                while let Ok(mut buf) = empty_rx.recv() {
                    source.fill(buf.view_mut());
                    if filled_tx.send((buf, source.position())).is_err() {
                        return;
                    }
                }
            });
        match spawned {
            Ok(join) => {
                if let Err(e) = keep_tx.send(source) {
                    return Err(Box::new(e.into_inner()));
                }
                Ok(Prefetcher {
                    shape: (batch, d),
                    filled: filled_rx,
                    position,
                    empty: empty_tx,
                    held: None,
                    join: Some(join),
                })
            }
            Err(_) => Err(Box::new(source)),
        }
    }
}

impl Drop for Prefetcher {
    fn drop(&mut self) {
        // Disconnect first so the sampler's recv/send fail and it returns.
        let (dead_tx, _) = bounded(0);
        self.empty = dead_tx;
        let (_, dead_rx) = bounded(0);
        self.filled = dead_rx;
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Minibatches for the trainer: prefetched on a thread, or drawn inline.
pub enum Batches {
    Prefetched(Prefetcher),
    Inline {
        source: Box<DataSource>,
        buf: Array2<f32>,
    },
}

impl Batches {
    /// Prefetch when a thread can be started, else draw inline.
    pub fn new(source: DataSource, batch: usize) -> Self {
        let d = source.d();
        match Prefetcher::spawn(source, batch) {
            Ok(p) => Batches::Prefetched(p),
            Err(source) => Batches::Inline {
                source,
                buf: Array2::zeros((batch, d)),
            },
        }
    }

    /// Draw inline on the calling thread (tests, or when cores are all busy).
    pub fn inline(source: DataSource, batch: usize) -> Self {
        let d = source.d();
        Batches::Inline {
            source: Box::new(source),
            buf: Array2::zeros((batch, d)),
        }
    }

    /// The training stream's position after the last batch handed out (not after the batches
    /// drawn ahead): a source set to it continues the stream exactly.
    pub fn stream_position(&self) -> Xoshiro256PlusPlus {
        match self {
            Batches::Inline { source, .. } => source.position(),
            Batches::Prefetched(p) => p.position.clone(),
        }
    }

    /// Run `f` on the next batch (batch×d).
    pub fn with_next<R>(&mut self, f: impl FnOnce(&Array2<f32>) -> R) -> R {
        match self {
            Batches::Inline { source, buf } => {
                source.fill(buf.view_mut());
                f(buf)
            }
            Batches::Prefetched(p) => {
                if let Some(used) = p.held.take() {
                    let _ = p.empty.send(used);
                }
                match p.filled.recv() {
                    Ok((buf, position)) => {
                        p.position = position;
                        let out = f(&buf);
                        p.held = Some(buf);
                        out
                    }
                    // The sampler thread is gone (filling cannot panic; be safe anyway): a batch
                    // of NaN makes the step report divergence instead of hanging or crashing.
                    Err(_) => f(&Array2::from_elem(p.shape, f32::NAN)),
                }
            }
        }
    }
}
