//! Matrix products: our own f32 GEMM for the training step ([`sgemm`]), a zero-copy bridge
//! between ndarray storage and faer's kernels for the f64 population layer, and the
//! parallelism switch.

use faer::linalg::matmul::triangular::BlockStructure;
use faer::traits::ComplexField;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{ArrayView2, ArrayViewMut2, Axis, Ix2, NdProducer, Zip};

mod sgemm;
mod team;
pub use sgemm::{Simd, sgemm, sgemm_with};

/// How the dense kernels of this module use the cores.
///
/// `Auto` runs the f32 products and the step's elementwise passes on the calling thread and the
/// step's helper threads (one per further core, `team`), faer's f64 products on the rayon pool,
/// once the work is large enough for that to pay; `Sequential` keeps everything on the calling thread (useful when
/// the caller already runs several models in parallel); `Threads(n)` uses at most n threads.
/// The f32 products ([`sgemm`]) give the same bits for every setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parallelism {
    /// Single thread.
    Sequential,
    /// All available cores.
    #[default]
    Auto,
    /// At most this many threads (≥ 2; see [`Parallelism::from_threads`]).
    Threads(usize),
}

/// Cores this process may use (at least 1), read once per process.
///
/// `std::thread::available_parallelism` reads the affinity mask and the cgroup's CPU quota
/// from /proc and /sys on every call: 21 system calls, 40 µs on the AMD Zen 3 CI-kind VM.
/// The step asks for its thread count about a dozen times, and with `train.threads = 0` (the
/// presets' default) that call took 10–25 % of a sign-r2 step (headless, 220–249 steps/s
/// against 257–296 with `train.threads = 2`, alternated).
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}

/// Below this many multiply-adds a product runs faster on one thread than on faer's pool
/// (measured with `cargo bench --bench train_step`: a 64×256×128 step product lost 45 % on two
/// threads, 256×784×392 gained 12 %).
const PARALLEL_PRODUCT_MIN_WORK: usize = 16 << 20;

/// Below this many elements a kernel pass is cheaper than spawning threads for it.
const PARALLEL_PASS_MIN_ELEMS: usize = 64 * 1024;

impl Parallelism {
    /// The setting for a thread count as configured (`train.threads`, `--threads`): 0 = all
    /// cores, 1 = sequential.
    pub fn from_threads(threads: usize) -> Self {
        match threads {
            0 => Parallelism::Auto,
            1 => Parallelism::Sequential,
            n => Parallelism::Threads(n),
        }
    }

    /// Threads a matrix product may use.
    pub fn threads(self) -> usize {
        match self {
            Parallelism::Sequential => 1,
            Parallelism::Auto => cores(),
            Parallelism::Threads(n) => n.max(1),
        }
    }

    pub(crate) fn faer(self) -> Par {
        match self {
            Parallelism::Sequential => Par::Seq,
            Parallelism::Auto => Par::rayon(0),
            Parallelism::Threads(n) => Par::rayon(n.max(1)),
        }
    }

    /// faer's setting for a product of `work` multiply-adds.
    fn faer_for(self, work: usize) -> Par {
        if work < PARALLEL_PRODUCT_MIN_WORK {
            Par::Seq
        } else {
            self.faer()
        }
    }

    /// Threads an elementwise pass over `elems` elements uses (1 while it is too small for
    /// the split to pay).
    pub(crate) fn threads_for(self, elems: usize) -> usize {
        match self {
            _ if elems < PARALLEL_PASS_MIN_ELEMS => 1,
            par => par.threads(),
        }
    }
}

/// Rows per block when `rows` rows are split into `parts` blocks (the last may be shorter):
/// the chunk size for ndarray's `axis_chunks_iter`.
pub(crate) fn rows_per_part(rows: usize, parts: usize) -> usize {
    rows.div_ceil(parts.max(1)).max(1)
}

/// `f(part)` for every part, in parallel on the calling thread and the step's helper threads
/// (see [`team`]: the ones the products use, so a pass between two products finds them awake);
/// the results in the order of `parts`. Parts are claimed one at a time, so a helper that starts
/// late costs nothing: give about one part per thread.
pub(crate) fn run_parts<P, R, F>(parts: Vec<P>, f: F) -> Vec<R>
where
    P: Send,
    R: Send,
    F: Fn(P) -> R + Sync,
{
    if parts.len() <= 1 {
        return parts.into_iter().map(f).collect();
    }
    let helpers = parts.len() - 1;
    let slots: Vec<std::sync::Mutex<(Option<P>, Option<R>)>> = parts
        .into_iter()
        .map(|p| std::sync::Mutex::new((Some(p), None)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    team::broadcast(helpers, &|| {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(slot) = slots.get(i) else {
                break;
            };
            // Each slot is claimed once, so its lock is never contended (nor poisoned: a
            // panic in `f` is re-raised by `broadcast`).
            let part = slot.lock().ok().and_then(|mut s| s.0.take());
            if let Some(part) = part {
                let r = f(part);
                if let Ok(mut s) = slot.lock() {
                    s.1 = Some(r);
                }
            }
        }
    });
    slots
        .into_iter()
        .filter_map(|s| s.into_inner().ok().and_then(|s| s.1))
        .collect()
}

/// `zip.for_each(f)` on up to `threads` threads (halving the zip along its outer axis, so
/// each thread takes whole rows of row-major operands). Elementwise work only: each element's
/// result must not depend on which thread computes it.
pub(crate) fn for_each_split<P1, P2, F>(zip: Zip<(P1, P2), Ix2>, threads: usize, f: F)
where
    P1: NdProducer<Dim = Ix2> + Send,
    P2: NdProducer<Dim = Ix2> + Send,
    F: Fn(P1::Item, P2::Item) + Sync,
{
    let mut parts = vec![zip];
    while parts.len() * 2 <= threads && parts.iter().all(|z| z.size() > 1) {
        parts = parts
            .into_iter()
            .flat_map(|z| {
                let (a, b) = z.split();
                [a, b]
            })
            .collect();
    }
    run_parts(parts, |z| z.for_each(&f));
}

/// Clears the upper halves of the AVX registers (`vzeroupper`) on the calling thread.
///
/// faer's AVX-512 matrix-product kernels return with that state dirty. Until it is cleared, every
/// legacy-SSE instruction on the thread, which is all ordinary scalar f64 code in a default
/// x86-64 build (ours, libm's `asin`), pays a false dependency on the upper bits: measured 30×
/// slower (1e6 `asin` calls: 4 ms before a faer product, 140 ms after). Every function of this
/// module calls it after its faer calls, so callers get their thread back clean; call it yourself
/// after using faer directly. A no-op without AVX or off x86-64.
pub fn clear_upper_simd_state() {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: AVX support was just detected at run time.
            unsafe { zeroupper() }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn zeroupper() {
    std::arch::x86_64::_mm256_zeroupper();
}

/// Read-only faer view of an ndarray view, sharing its memory.
pub(crate) fn mat_ref<T>(a: ArrayView2<'_, T>) -> MatRef<'_, T> {
    let (rows, cols) = a.dim();
    let strides = a.strides();
    // SAFETY: an ndarray view guarantees that `ptr + i*s0 + j*s1` is a valid, initialized T for
    // every i < rows, j < cols, for the whole lifetime 'a of the borrow; faer accepts arbitrary
    // (even negative) strides and never reads outside that index range.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), rows, cols, strides[0], strides[1]) }
}

/// Mutable faer view of an ndarray view, sharing its memory.
pub(crate) fn mat_mut<T>(mut a: ArrayViewMut2<'_, T>) -> MatMut<'_, T> {
    let (rows, cols) = a.dim();
    let strides = a.strides().to_owned();
    // SAFETY: as in `mat_ref`; in addition a mutable ndarray view never has overlapping elements
    // (ndarray rejects aliasing strides for mutable views) and holds the unique borrow for 'a.
    unsafe { MatMut::from_raw_parts_mut(a.as_mut_ptr(), rows, cols, strides[0], strides[1]) }
}

/// `dst = alpha · lhs · rhs` (`Accum::Replace`) or `dst += alpha · lhs · rhs` (`Accum::Add`).
pub fn gemm<T: ComplexField<Unit = T> + Copy>(
    dst: ArrayViewMut2<'_, T>,
    accum: Accum,
    lhs: ArrayView2<'_, T>,
    rhs: ArrayView2<'_, T>,
    alpha: T,
    par: Parallelism,
) {
    let work = lhs.nrows() * lhs.ncols() * rhs.ncols();
    faer::linalg::matmul::matmul(
        mat_mut(dst),
        accum,
        mat_ref(lhs),
        mat_ref(rhs),
        alpha,
        par.faer_for(work),
    );
    clear_upper_simd_state();
}

/// `dst = alpha · lhs · rhs` for a product known to be symmetric (e.g. `B Σ Bᵀ`, `AᵀA`): only the
/// lower triangle is computed (half the flops), then mirrored.
pub fn gemm_symmetric(
    mut dst: ArrayViewMut2<'_, f64>,
    lhs: ArrayView2<'_, f64>,
    rhs: ArrayView2<'_, f64>,
    alpha: f64,
    par: Parallelism,
) {
    faer::linalg::matmul::triangular::matmul(
        mat_mut(dst.view_mut()),
        BlockStructure::TriangularLower,
        Accum::Replace,
        mat_ref(lhs),
        BlockStructure::Rectangular,
        mat_ref(rhs),
        BlockStructure::Rectangular,
        alpha,
        par.faer_for(lhs.nrows() * lhs.ncols() * rhs.ncols() / 2),
    );
    clear_upper_simd_state();
    mirror_lower(dst);
}

/// Copy the strict lower triangle onto the upper one, in tiles so both sides stay in cache.
pub(crate) fn mirror_lower(mut m: ArrayViewMut2<'_, f64>) {
    const TILE: usize = 64;
    let n = m.nrows();
    for i0 in (0..n).step_by(TILE) {
        for j0 in (0..=i0).step_by(TILE) {
            for i in i0..(i0 + TILE).min(n) {
                for j in j0..(j0 + TILE).min(i) {
                    m[[j, i]] = m[[i, j]];
                }
            }
        }
    }
}

/// Run `f(first_row, block_a, block_b)` over matching disjoint row blocks of `a` and `b` (same
/// number of rows), in parallel when it pays. `f` must compute each row from its index alone so
/// the split cannot change the values; the partial sums it returns are added in block order.
pub(crate) fn par_rows2<F>(
    mut a: ArrayViewMut2<'_, f64>,
    mut b: ArrayViewMut2<'_, f64>,
    par: Parallelism,
    f: F,
) -> f64
where
    F: Fn(usize, ArrayViewMut2<'_, f64>, ArrayViewMut2<'_, f64>) -> f64 + Sync,
{
    let rows = a.nrows();
    debug_assert_eq!(rows, b.nrows());
    let threads = par.threads_for(a.len()).min(rows.max(1));
    if threads <= 1 {
        return f(0, a, b);
    }
    let chunk = rows.div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = a
            .axis_chunks_iter_mut(Axis(0), chunk)
            .zip(b.axis_chunks_iter_mut(Axis(0), chunk))
            .enumerate()
            .map(|(t, (ba, bb))| scope.spawn(move || f(t * chunk, ba, bb)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .sum()
    })
}

/// [`par_rows2`] for a single output.
pub(crate) fn par_rows<F>(out: ArrayViewMut2<'_, f64>, par: Parallelism, f: F) -> f64
where
    F: Fn(usize, ArrayViewMut2<'_, f64>) -> f64 + Sync,
{
    let mut none = ndarray::Array2::<f64>::zeros((out.nrows(), 0));
    par_rows2(out, none.view_mut(), par, |i0, a, _| f(i0, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_settings_map_to_thread_counts() {
        let all = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        // Read once and kept: asking again gives the same count.
        assert_eq!(cores(), all);
        assert_eq!(cores(), all);
        assert_eq!(Parallelism::from_threads(0), Parallelism::Auto);
        assert_eq!(Parallelism::Auto.threads(), all);
        assert_eq!(Parallelism::from_threads(1).threads(), 1);
        assert_eq!(Parallelism::from_threads(3).threads(), 3);
        assert_eq!(Parallelism::Auto.threads_for(10), 1);
        assert_eq!(Parallelism::Auto.threads_for(PARALLEL_PASS_MIN_ELEMS), all);
    }
}
