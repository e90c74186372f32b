//! Optimizers (SGD, momentum, Adam) over a list of weight tensors, f32 or f64.

use crate::linalg::{rows_per_part, run_parts};
use crate::model::NeuronMap;
use crate::protocol::{OptKind, OptParams};
use ndarray::{Array2, ArrayView, ArrayViewMut, ArrayViewMut1, Axis, Dimension, Zip};
use num_traits::Float;

/// An optimizer's state, out and back in (checkpoints): the step counter and, per tensor, the
/// momentum buffer / first moment and the second moment.
#[derive(Debug, Clone, PartialEq)]
pub struct OptState<T> {
    pub t: u64,
    pub moments: Vec<(Array2<T>, Array2<T>)>,
}

/// Per-tensor state: momentum buffer / Adam first moment, and Adam second moment.
#[derive(Debug, Clone)]
struct Slot<T> {
    m: Array2<T>,
    v: Array2<T>,
}

/// Optimizer state for a fixed list of tensors (for the autoencoder: [A, B]).
#[derive(Debug, Clone)]
pub struct Optimizer<T> {
    params: OptParams,
    slots: Vec<Slot<T>>,
    /// Adam's step counter, for bias correction.
    t: u64,
}

/// One step's update rule with its coefficients resolved (learning rate, bias corrections).
#[derive(Clone, Copy)]
struct Rule<T> {
    kind: OptKind,
    lr: T,
    mu: T,
    b1: T,
    b2: T,
    adam_lr: T,
    adam_eps: T,
}

impl<T: Float> Rule<T> {
    /// Update the weights `w` (any block of a tensor) from their gradient and state.
    fn apply<D: Dimension>(
        self,
        w: ArrayViewMut<'_, T, D>,
        g: ArrayView<'_, T, D>,
        m: ArrayViewMut<'_, T, D>,
        v: ArrayViewMut<'_, T, D>,
    ) {
        let Rule {
            lr,
            mu,
            b1,
            b2,
            adam_lr,
            adam_eps,
            ..
        } = self;
        let one = T::one();
        match self.kind {
            OptKind::Sgd => Zip::from(w).and(g).for_each(|w, &g| *w = *w - lr * g),
            OptKind::Momentum => Zip::from(w).and(g).and(m).for_each(|w, &g, m| {
                *m = mu * *m + g;
                *w = *w - lr * *m;
            }),
            OptKind::Adam => Zip::from(w).and(g).and(m).and(v).for_each(|w, &g, m, v| {
                *m = b1 * *m + (one - b1) * g;
                *v = b2 * *v + (one - b2) * g * g;
                *w = *w - adam_lr * *m / (v.sqrt() + adam_eps);
            }),
        }
    }
}

impl<T: Float + Send + Sync + 'static> Optimizer<T> {
    /// State for tensors of the given shapes, all zero.
    pub fn new(params: OptParams, shapes: &[(usize, usize)]) -> Self {
        let slots = shapes
            .iter()
            .map(|&s| Slot {
                m: Array2::zeros(s),
                v: Array2::zeros(s),
            })
            .collect();
        Optimizer {
            params,
            slots,
            t: 0,
        }
    }

    pub fn params(&self) -> &OptParams {
        &self.params
    }

    /// Switch the update rule; state is reset (a momentum buffer is not an Adam moment).
    pub fn set_kind(&mut self, kind: OptKind) {
        if kind != self.params.kind {
            self.params.kind = kind;
            self.reset();
        }
    }

    /// A copy of the state.
    pub fn state(&self) -> OptState<T> {
        OptState {
            t: self.t,
            moments: self
                .slots
                .iter()
                .map(|s| (s.m.clone(), s.v.clone()))
                .collect(),
        }
    }

    /// Take a saved state; its shapes must be this optimizer's.
    pub fn set_state(&mut self, state: OptState<T>) -> Result<(), String> {
        let fits = state.moments.len() == self.slots.len()
            && self
                .slots
                .iter()
                .zip(&state.moments)
                .all(|(s, (m, v))| m.dim() == s.m.dim() && v.dim() == s.v.dim());
        if !fits {
            return Err("optimizer state of other shapes than the weights".into());
        }
        for (s, (m, v)) in self.slots.iter_mut().zip(state.moments) {
            s.m = m;
            s.v = v;
        }
        self.t = state.t;
        Ok(())
    }

    /// Zero all state.
    pub fn reset(&mut self) {
        for s in &mut self.slots {
            s.m.fill(T::zero());
            s.v.fill(T::zero());
        }
        self.t = 0;
    }

    /// One update `w ← w − lr · direction(g)` of every tensor; tensors and grads pair up with
    /// the shapes given at construction.
    pub fn step(&mut self, weights: &mut [&mut Array2<T>], grads: &[&Array2<T>], lr: f64) {
        self.begin_step();
        for (slot, (w, g)) in weights.iter_mut().zip(grads).enumerate() {
            self.update(slot, w, g, lr);
        }
    }

    /// Start a step (Adam's bias correction counts steps, not tensor updates).
    pub fn begin_step(&mut self) {
        self.t += 1;
    }

    /// Update the tensor of slot `slot` (index into the shapes given at construction); the
    /// other slots are untouched (e.g. only B when the decoder is refitted in closed form).
    pub fn update(&mut self, slot: usize, w: &mut Array2<T>, g: &Array2<T>, lr: f64) {
        self.update_split(slot, w, g, lr, 1, None::<&fn(ArrayViewMut1<'_, T>)>);
    }

    /// [`Optimizer::update`] on `threads` blocks of rows at once (the same values: the rule
    /// is elementwise), then `finish_row` on each updated row while it is still in cache
    /// (sign's row normalization: one pass over the weights instead of three).
    pub fn update_split<F>(
        &mut self,
        slot: usize,
        w: &mut Array2<T>,
        g: &Array2<T>,
        lr: f64,
        threads: usize,
        finish_row: Option<&F>,
    ) where
        F: Fn(ArrayViewMut1<'_, T>) + Sync,
    {
        let rule = self.rule(lr);
        let Some(slot) = self.slots.get_mut(slot) else {
            return;
        };
        let rows = rows_per_part(w.nrows(), threads);
        let parts: Vec<_> = w
            .axis_chunks_iter_mut(Axis(0), rows)
            .zip(g.axis_chunks_iter(Axis(0), rows))
            .zip(slot.m.axis_chunks_iter_mut(Axis(0), rows))
            .zip(slot.v.axis_chunks_iter_mut(Axis(0), rows))
            .collect();
        run_parts(parts, |(((mut w, g), mut m), mut v)| match finish_row {
            None => rule.apply(w, g, m, v),
            Some(finish) => {
                for (((mut w, g), m), v) in w
                    .outer_iter_mut()
                    .zip(g.outer_iter())
                    .zip(m.outer_iter_mut())
                    .zip(v.outer_iter_mut())
                {
                    rule.apply(w.view_mut(), g, m, v);
                    finish(w);
                }
            }
        });
    }

    /// The update rule of the current step for learning rate `lr`.
    fn rule(&self, lr: f64) -> Rule<T> {
        let p = self.params;
        // Bias corrections folded into the step size and the epsilon.
        let t = self.t.max(1) as f64;
        let bc1 = 1.0 - p.beta1.powf(t);
        let bc2 = 1.0 - p.beta2.powf(t);
        Rule {
            kind: p.kind,
            lr: cast::<T>(lr),
            mu: cast::<T>(p.momentum),
            b1: cast::<T>(p.beta1),
            b2: cast::<T>(p.beta2),
            adam_lr: cast::<T>(lr * bc2.sqrt() / bc1),
            adam_eps: cast::<T>(p.eps * bc2.sqrt()),
        }
    }

    /// Carry state over a resize of the hidden layer: tensor `slot`'s neuron axis is `axis`;
    /// kept neurons keep their state, new ones start at zero.
    pub fn remap(&mut self, slot: usize, axis: Axis, map: &NeuronMap) {
        let Some(s) = self.slots.get_mut(slot) else {
            return;
        };
        s.m = remap_axis(&s.m, axis, map);
        s.v = remap_axis(&s.v, axis, map);
    }
}

/// Rebuild `x` along `axis` following `map` (None → zeros).
pub fn remap_axis<T: Float + 'static>(x: &Array2<T>, axis: Axis, map: &NeuronMap) -> Array2<T> {
    let mut shape = [x.nrows(), x.ncols()];
    shape[axis.index()] = map.len();
    let mut out = Array2::zeros((shape[0], shape[1]));
    for (j, old) in map.iter().enumerate() {
        if let Some(i) = old {
            out.index_axis_mut(axis, j).assign(&x.index_axis(axis, *i));
        }
    }
    out
}

fn cast<T: Float>(v: f64) -> T {
    T::from(v).unwrap_or_else(T::zero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn params(kind: OptKind) -> OptParams {
        OptParams {
            kind,
            momentum: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    #[test]
    fn sgd_step() {
        let mut w = array![[1.0f64, 2.0]];
        let g = array![[0.5f64, -1.0]];
        let mut opt = Optimizer::new(params(OptKind::Sgd), &[(1, 2)]);
        opt.step(&mut [&mut w], &[&g], 0.1);
        assert_eq!(w, array![[0.95, 2.1]]);
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // After bias correction Adam's first step is lr·sign(g).
        let mut w = array![[0.0f64, 0.0]];
        let g = array![[3.0f64, -0.01]];
        let mut opt = Optimizer::new(params(OptKind::Adam), &[(1, 2)]);
        opt.step(&mut [&mut w], &[&g], 0.01);
        assert!((w[[0, 0]] + 0.01).abs() < 1e-9);
        assert!((w[[0, 1]] - 0.01).abs() < 1e-7);
    }

    #[test]
    fn momentum_accumulates() {
        let mut w = array![[0.0f64]];
        let g = array![[1.0f64]];
        let mut opt = Optimizer::new(params(OptKind::Momentum), &[(1, 1)]);
        opt.step(&mut [&mut w], &[&g], 1.0);
        opt.step(&mut [&mut w], &[&g], 1.0);
        assert!((w[[0, 0]] + 2.9).abs() < 1e-12);
    }

    #[test]
    fn split_update_with_row_finish_matches_update_then_finish() {
        use ndarray::ArrayViewMut1;
        use rand::{Rng, SeedableRng};
        // Inexact values: any change in the arithmetic of an element shows in its bits.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let (rows, cols) = (301, 67);
        let w0 = Array2::from_shape_simple_fn((rows, cols), || rng.random::<f32>() - 0.5);
        let g = Array2::from_shape_simple_fn((rows, cols), || rng.random::<f32>() - 0.5);
        let unit = |mut r: ArrayViewMut1<'_, f32>| {
            let norm = r.dot(&r).sqrt();
            r.mapv_inplace(|v| v / norm);
        };
        for kind in [OptKind::Sgd, OptKind::Momentum, OptKind::Adam] {
            let mut whole = Optimizer::new(params(kind), &[(rows, cols)]);
            let mut w = w0.clone();
            for _ in 0..2 {
                whole.begin_step();
                whole.update(0, &mut w, &g, 0.1);
                w.rows_mut().into_iter().for_each(unit);
            }
            for threads in [1, 2, 3] {
                let mut split = Optimizer::new(params(kind), &[(rows, cols)]);
                let mut ws = w0.clone();
                for _ in 0..2 {
                    split.begin_step();
                    split.update_split(0, &mut ws, &g, 0.1, threads, Some(&unit));
                }
                assert!(ws == w, "{kind:?} threads={threads}");
                assert!(split.state() == whole.state(), "{kind:?} threads={threads}");
            }
        }
    }

    #[test]
    fn remap_keeps_state_of_kept_neurons() {
        let mut opt = Optimizer::<f64>::new(params(OptKind::Momentum), &[(2, 3)]);
        let mut w = Array2::zeros((2, 3));
        let g = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        opt.step(&mut [&mut w], &[&g], 1.0);
        opt.remap(0, Axis(1), &vec![Some(2), None, Some(0)]);
        assert_eq!(opt.slots[0].m, array![[3.0, 0.0, 1.0], [6.0, 0.0, 4.0]]);
    }
}
