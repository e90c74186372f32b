//! Weights of `x̂ = A σ(Bx)` and the minibatch forward/backward pass (the training hot path).
//!
//! Batches are row-major `batch×d` (one sample a row), so the pass is five GEMMs:
//! `U = X Bᵀ`, `X̂ = σ(U) Aᵀ`, `∂A = Eᵀ H`, `∂H = E A`, `∂B = ∂Uᵀ X`, with the elementwise work
//! fused into one pass after each GEMM and every buffer owned by a reusable [`Workspace`].

use super::activation::Activation;
use crate::linalg::{Parallelism, for_each_split, rows_per_part, run_parts, sgemm};
use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut1, Axis, Data, Ix2, Zip};
use rand::Rng;
use rand_distr::StandardNormal;

/// How the zero-almost-everywhere derivative of sign is replaced while training.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Surrogate {
    /// The activation's own derivative (every activation except sign).
    Exact,
    /// Straight-through estimator: `∂sign(u)/∂u := 1{|u| ≤ 1}` on the pre-activation of a
    /// unit-norm row (rows of B are kept at unit norm for sign, so u is already normalized).
    Ste,
    /// Train through `tanh(β u)` instead of `sign(u)`; the reported loss still uses sign.
    Tanh { beta: f32 },
}

/// The autoencoder's weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Autoencoder {
    /// Encoder, n×d. Rows unit-norm when σ = sign.
    pub b: Array2<f32>,
    /// Decoder, d×n.
    pub a: Array2<f32>,
    /// Hidden activation σ.
    pub act: Activation,
}

/// Gradients of the minibatch loss, shaped like the weights.
#[derive(Debug, Clone)]
pub struct Grads {
    /// ∂loss/∂A, d×n.
    pub a: Array2<f32>,
    /// ∂loss/∂B, n×d.
    pub b: Array2<f32>,
}

impl Grads {
    pub fn zeros(n: usize, d: usize) -> Self {
        Grads {
            a: Array2::zeros((d, n)),
            b: Array2::zeros((n, d)),
        }
    }
}

/// Buffers of one forward/backward pass, reused across steps so the loop never allocates.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Threading of the GEMMs.
    pub par: Parallelism,
    /// Pre-activation U (batch×n), then σ'(U) in place.
    u: Array2<f32>,
    /// Code H = σ(U) (batch×n).
    h: Array2<f32>,
    /// ∂loss/∂H, then ∂loss/∂U in place (batch×n).
    dh: Array2<f32>,
    /// Residual E = X̂ − X (batch×d).
    e: Array2<f32>,
    /// Residual of the true sign code when training through a relaxation (batch×d).
    e_true: Array2<f32>,
}

impl Workspace {
    fn ensure(&mut self, batch: usize, n: usize, d: usize) {
        if self.u.dim() != (batch, n) {
            self.u = Array2::zeros((batch, n));
            self.h = Array2::zeros((batch, n));
            self.dh = Array2::zeros((batch, n));
        }
        if self.e.dim() != (batch, d) {
            self.e = Array2::zeros((batch, d));
        }
    }

    fn ensure_true(&mut self, batch: usize, d: usize) {
        if self.e_true.dim() != (batch, d) {
            self.e_true = Array2::zeros((batch, d));
        }
    }
}

/// What [`Autoencoder::backprop`] leaves besides its buffers.
struct Backprop {
    /// The reported loss (of the true activation).
    loss: f64,
    /// The loss of the code trained through, `(1/(d·batch)) ‖E‖²`.
    train_loss: f64,
    /// `2/(d·batch)`: the loss's derivative factor, applied in `∂A = s Eᵀ H`.
    scale: f32,
}

/// Largest `lr ×` gradient-entry bound a fused SGD step takes: far inside the f32 range
/// (3.4e38), so finite weights stay finite.
const MAX_SAFE_STEP: f64 = 1e30;

/// How a resize maps new neurons to old ones: `map[j] = Some(i)` keeps old neuron i at
/// position j, `None` is a new neuron.
pub type NeuronMap = Vec<Option<usize>>;

impl Autoencoder {
    /// Random initialization: rows of B drawn i.i.d. N(0, I/d) (norm ≈ 1, so `Bx` is O(1) for
    /// unit-variance data; exactly 1 for sign), A = 0 so that the initial risk is the data's
    /// variance ("reconstructs nothing") and growing later adds neurons the same way.
    pub fn new(n: usize, d: usize, act: Activation, rng: &mut impl Rng) -> Self {
        let mut b = Array2::zeros((n, d));
        for mut row in b.rows_mut() {
            init_row(row.view_mut(), act, rng);
        }
        Autoencoder {
            b,
            a: Array2::zeros((d, n)),
            act,
        }
    }

    /// Number of hidden neurons n.
    pub fn n(&self) -> usize {
        self.b.nrows()
    }

    /// Input dimension d.
    pub fn d(&self) -> usize {
        self.b.ncols()
    }

    /// Rate r = n/d.
    pub fn rate(&self) -> f64 {
        self.n() as f64 / self.d() as f64
    }

    /// Rescale every row of B to unit norm (sign is scale invariant per row; this keeps the
    /// straight-through window `|u| ≤ 1` meaningful). Zero rows are left alone.
    pub fn normalize_rows(&mut self) {
        for row in self.b.rows_mut() {
            normalize_row(row);
        }
    }

    /// Minibatch loss `(1/(d·batch)) Σ‖x − x̂‖²` and its gradients.
    ///
    /// `x` is batch×d. Returns the loss of the *true* activation (for [`Surrogate::Tanh`] an
    /// extra GEMM computes it), and fills `grads` with the gradient of the surrogate loss.
    pub fn loss_and_grad(
        &self,
        x: ArrayView2<f32>,
        surrogate: Surrogate,
        ws: &mut Workspace,
        grads: &mut Grads,
    ) -> f64 {
        let pass = self.backprop(x, surrogate, ws);
        let par = ws.par;
        // ∂A = s Eᵀ H
        sgemm(
            grads.a.view_mut(),
            false,
            ws.e.t(),
            ws.h.view(),
            pass.scale,
            par.threads(),
        );
        // ∂B = ∂Uᵀ X
        sgemm(grads.b.view_mut(), false, ws.dh.t(), x, 1.0, par.threads());
        pass.loss
    }

    /// One plain SGD step `A ← A − lr ∂A`, `B ← B − lr ∂B` (A left alone unless
    /// `learn_decoder`; sign's rows of B back to unit norm), the gradients never stored: the
    /// last two products add `−lr ×` themselves into the weights. Saves the two n×d gradient
    /// buffers and a pass over them: about 5 % of a step at (2048, 1, 512) on 2 threads.
    ///
    /// Returns the minibatch loss as [`Autoencoder::loss_and_grad`] does and whether the step
    /// was taken. It is not when the loss is not finite, or when a bound on the gradient's
    /// entries (from norms of the pass's small batch×n and batch×d factors) says the update
    /// could leave the f32 range: the weights are then untouched, as when the gradient norm of
    /// a stored gradient is not finite.
    pub fn sgd_step(
        &mut self,
        x: ArrayView2<f32>,
        surrogate: Surrogate,
        ws: &mut Workspace,
        lr: f32,
        learn_decoder: bool,
    ) -> (f64, bool) {
        let pass = self.backprop(x, surrogate, ws);
        let par = ws.par;
        // |(Pᵀ Q)_ij| ≤ ‖P‖_F ‖Q‖_F (Cauchy–Schwarz on columns), for every partial sum too.
        let e_sq = pass.train_loss * (x.len() as f64);
        let bound_a = f64::from(pass.scale) * (e_sq * sum_sq_par(&ws.h, par)).sqrt();
        let bound_b = (sum_sq_par(&ws.dh, par) * sum_sq_par(&x, par)).sqrt();
        let step = f64::from(lr) * bound_a.max(bound_b);
        // A NaN bound (a NaN in ∂U or X) refuses the step too.
        let safe = step.is_finite() && step <= MAX_SAFE_STEP;
        if !pass.loss.is_finite() || !safe {
            return (pass.loss, false);
        }
        if learn_decoder {
            let alpha = -lr * pass.scale;
            sgemm(
                self.a.view_mut(),
                true,
                ws.e.t(),
                ws.h.view(),
                alpha,
                par.threads(),
            );
        }
        sgemm(self.b.view_mut(), true, ws.dh.t(), x, -lr, par.threads());
        if self.act.is_scale_invariant() {
            let rows = rows_per_part(self.b.nrows(), par.threads_for(self.b.len()));
            run_parts(
                self.b.axis_chunks_iter_mut(Axis(0), rows).collect(),
                |mut part| {
                    for row in part.rows_mut() {
                        normalize_row(row);
                    }
                },
            );
        }
        (pass.loss, true)
    }

    /// The forward pass and the backward pass down to the code: leaves H in `ws.h`, E in
    /// `ws.e` and ∂loss/∂U in `ws.dh`, so that `∂A = s Eᵀ H` and `∂B = ∂Uᵀ X` remain.
    fn backprop(&self, x: ArrayView2<f32>, surrogate: Surrogate, ws: &mut Workspace) -> Backprop {
        let (batch, d) = x.dim();
        let n = self.n();
        ws.ensure(batch, n, d);
        let act = self.act;

        let par = ws.par;
        // The elementwise passes split over the products' threads when large enough.
        let (code_threads, data_threads) = (par.threads_for(batch * n), par.threads_for(batch * d));
        // U = X Bᵀ
        sgemm(ws.u.view_mut(), false, x, self.b.t(), 1.0, par.threads());
        // H = σ(U), U ← σ'(U), fused.
        let hu = Zip::from(&mut ws.h).and(&mut ws.u);
        match surrogate {
            Surrogate::Exact => for_each_split(hu, code_threads, |h, u| {
                let v = *u;
                *h = act.eval(v);
                *u = act.deriv(v);
            }),
            Surrogate::Ste => for_each_split(hu, code_threads, |h, u| {
                let v = *u;
                *h = if v >= 0.0 { 1.0 } else { -1.0 };
                *u = if v.abs() <= 1.0 { 1.0 } else { 0.0 };
            }),
            Surrogate::Tanh { beta } => for_each_split(hu, code_threads, |h, u| {
                let t = (beta * *u).tanh();
                *h = t;
                *u = beta * (1.0 - t * t);
            }),
        }
        // E = H Aᵀ − X
        for_each_split(Zip::from(&mut ws.e).and(&x), data_threads, |e, &x| *e = -x);
        sgemm(
            ws.e.view_mut(),
            true,
            ws.h.view(),
            self.a.t(),
            1.0,
            par.threads(),
        );
        let train_loss = sum_sq_par(&ws.e, par) / (d * batch) as f64;

        let scale = 2.0 / (d * batch) as f32;
        // ∂H = s E A, then ∂U = ∂H ∘ σ'(U), fused into ∂H's buffer (H stays for ∂A).
        sgemm(
            ws.dh.view_mut(),
            false,
            ws.e.view(),
            self.a.view(),
            scale,
            par.threads(),
        );
        for_each_split(Zip::from(&mut ws.dh).and(&ws.u), code_threads, |g, &du| {
            *g *= du;
        });
        let loss = match surrogate {
            // The relaxed code is not the code the autoencoder transmits: measure the real one
            // (σ'(U) is spent: its buffer holds the code).
            Surrogate::Tanh { .. } => {
                ws.ensure_true(batch, d);
                self.true_sum_sq(x, &mut ws.u, &mut ws.e_true, par) / (d * batch) as f64
            }
            _ => train_loss,
        };
        Backprop {
            loss,
            train_loss,
            scale,
        }
    }

    /// `Σ‖x − A σ(Bx)‖²` over the rows of `x` (batch×d) with the true activation, using `h`
    /// (batch×n) and `e` (batch×d) as scratch; f64-accumulated.
    fn true_sum_sq(
        &self,
        x: ArrayView2<f32>,
        h: &mut Array2<f32>,
        e: &mut Array2<f32>,
        par: Parallelism,
    ) -> f64 {
        sgemm(h.view_mut(), false, x, self.b.t(), 1.0, par.threads());
        let act = self.act;
        // Split like the training step's passes (validation sets are large).
        let threads = par.threads_for(h.len());
        let rows = rows_per_part(h.nrows(), threads);
        run_parts(
            h.axis_chunks_iter_mut(Axis(0), rows).collect(),
            |mut part| {
                part.mapv_inplace(|u| act.eval(u));
            },
        );
        let data_threads = par.threads_for(e.len());
        for_each_split(Zip::from(&mut *e).and(&x), data_threads, |e, &x| *e = -x);
        sgemm(e.view_mut(), true, h.view(), self.a.t(), 1.0, par.threads());
        sum_sq_par(e, par)
    }

    /// Sum over samples of `‖x − x̂‖²` with the true activation, f64-accumulated, evaluated in
    /// chunks of `chunk` rows so a large validation set needs little memory.
    pub fn sum_sq_error(&self, x: ArrayView2<f32>, chunk: usize, ws: &mut Workspace) -> f64 {
        let (d, n) = (self.d(), self.n());
        let mut total = 0.0;
        for xc in x.axis_chunks_iter(Axis(0), chunk.max(1)) {
            ws.ensure(xc.nrows(), n, d);
            total += self.true_sum_sq(xc, &mut ws.u, &mut ws.e, ws.par);
        }
        total
    }

    /// Change the number of hidden neurons to `new_n` while training.
    ///
    /// Growing appends encoder rows drawn like the initialization and zero decoder columns, so
    /// the function x ↦ x̂ is unchanged. Shrinking keeps the neurons with the largest decoder
    /// column norms (the ones contributing most to x̂), in their original order. Returns the
    /// map from new to old neurons, for carrying optimizer state over.
    pub fn resize(&mut self, new_n: usize, rng: &mut impl Rng) -> NeuronMap {
        let n = self.n();
        let d = self.d();
        let map: NeuronMap = if new_n >= n {
            (0..new_n).map(|j| (j < n).then_some(j)).collect()
        } else {
            let norms: Vec<f32> = self
                .a
                .columns()
                .into_iter()
                .map(|c| c.iter().map(|v| v * v).sum())
                .collect();
            let mut order: Vec<usize> = (0..n).collect();
            // Stable sort on descending norm: ties keep the lower index.
            order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]));
            let mut kept = order[..new_n].to_vec();
            kept.sort_unstable();
            kept.into_iter().map(Some).collect()
        };
        let mut b = Array2::zeros((new_n, d));
        let mut a = Array2::zeros((d, new_n));
        for (j, old) in map.iter().enumerate() {
            match old {
                Some(i) => {
                    b.row_mut(j).assign(&self.b.row(*i));
                    a.column_mut(j).assign(&self.a.column(*i));
                }
                None => {
                    init_row(b.row_mut(j), self.act, rng);
                }
            }
        }
        self.b = b;
        self.a = a;
        map
    }
}

/// Rescale `row` to unit norm; a zero row is left alone.
pub fn normalize_row(mut row: ArrayViewMut1<f32>) {
    // ndarray's dot is unrolled into independent lanes (vectorized), unlike a fold.
    let norm = row.dot(&row).sqrt();
    if norm > 0.0 {
        row.mapv_inplace(|v| v / norm);
    }
}

/// Draw one encoder row N(0, I/d); unit norm for sign.
fn init_row(mut row: ArrayViewMut1<f32>, act: Activation, rng: &mut impl Rng) {
    let s = 1.0 / (row.len() as f32).sqrt();
    row.mapv_inplace(|_| s * rng.sample::<f32, _>(StandardNormal));
    if act.is_scale_invariant() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
}

/// Σ e² of an f32 array, accumulated in f64 (the loss must not lose digits at d·batch ≈ 10⁵
/// terms). Sixteen independent f32 lanes per block of 1024 let the compiler vectorize; each
/// block's partial sum goes to f64.
pub fn sum_sq<S: Data<Elem = f32>>(e: &ArrayBase<S, Ix2>) -> f64 {
    let Some(s) = e.as_slice_memory_order() else {
        return e.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    };
    s.chunks(SUM_BLOCK).map(block_sum_sq).sum()
}

/// [`sum_sq`] on up to `par`'s threads, with the same bits for every thread count: the same
/// blocks, their partial sums added in the same order.
pub fn sum_sq_par<S: Data<Elem = f32>>(e: &ArrayBase<S, Ix2>, par: Parallelism) -> f64 {
    let threads = par.threads_for(e.len());
    let Some(s) = e.as_slice_memory_order().filter(|_| threads > 1) else {
        return sum_sq(e);
    };
    let per_thread = s.len().div_ceil(SUM_BLOCK).div_ceil(threads) * SUM_BLOCK;
    let partials = run_parts(s.chunks(per_thread).collect(), |part: &[f32]| {
        part.chunks(SUM_BLOCK)
            .map(block_sum_sq)
            .collect::<Vec<f64>>()
    });
    partials.into_iter().flatten().sum()
}

/// Elements per partial sum of [`sum_sq`] (part of its rounding).
const SUM_BLOCK: usize = 1024;

/// Σ v² of one block: sixteen f32 lanes, then f64.
fn block_sum_sq(block: &[f32]) -> f64 {
    let mut lanes = [0.0f32; 16];
    let mut exact = block.chunks_exact(16);
    for c in &mut exact {
        for (acc, v) in lanes.iter_mut().zip(c) {
            *acc += v * v;
        }
    }
    let tail: f32 = exact.remainder().iter().map(|v| v * v).sum();
    lanes.iter().map(|&v| f64::from(v)).sum::<f64>() + f64::from(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn split_sum_of_squares_has_the_sequential_bits() {
        // 294 blocks, each at its own scale between 2^-50 and 2^50: their f64 partial sums
        // do not add exactly, so another grouping of them rounds differently.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let cols = 1001;
        let e = Array2::from_shape_fn((300, cols), |(i, j)| {
            let block = (i * cols + j) / SUM_BLOCK;
            let scale = 2f32.powi(i32::try_from(block * 37 % 101).unwrap_or(0) - 50);
            (rng.random::<f32>() - 0.5) * scale
        });
        let want = sum_sq(&e);
        let regrouped: f64 = e.as_slice().map_or(0.0, |s| {
            let halves: Vec<f64> = s
                .chunks(s.len().div_ceil(2 * SUM_BLOCK) * SUM_BLOCK)
                .map(|h| h.chunks(SUM_BLOCK).map(block_sum_sq).sum())
                .collect();
            halves.iter().sum()
        });
        assert_ne!(
            regrouped.to_bits(),
            want.to_bits(),
            "the test cannot tell groupings apart"
        );
        for threads in [2, 3, 4] {
            let got = sum_sq_par(&e, Parallelism::Threads(threads));
            assert_eq!(got.to_bits(), want.to_bits(), "threads={threads}");
        }
    }
}
