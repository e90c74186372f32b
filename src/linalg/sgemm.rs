//! The f32 matrix product of the training step: packed panels, register-blocked micro-kernels
//! chosen at run time (AVX-512F, AVX2 + FMA, or portable code), threads over disjoint blocks of
//! the output that they claim one at a time (`shared.rs`).
//!
//! It replaced faer's f32 product, which ran the step's products at about 60 % of OpenBLAS on an
//! AVX2 machine (issue 12); at the step's shapes it runs within about 10 % of OpenBLAS and MKL per
//! CPU-second (`cargo bench --bench train_step`, columns `prod` and `plain`, against
//! `scripts/side-by-side --probe`; README, Speed). Operands may have any strides: packing copies
//! every block into the micro-kernel's order, so a transposed operand costs only its packing
//! pass.
//!
//! Every output element is summed over k in the same blocks ([`depth_step`]), in the same order,
//! by one thread: results are bit-identical for any thread count, and the AVX2 and AVX-512
//! kernels (both fused multiply-adds in the same order) agree bit for bit too.

use ndarray::{ArrayView2, ArrayViewMut2};
use std::cell::RefCell;
use std::sync::OnceLock;

mod shared;

/// Largest depth of one packed block (k direction). The depth is cut into equal blocks of at
/// most this (see [`depth_step`]): part of the result's rounding, so it depends on k alone,
/// never on the machine or the thread count.
const KC: usize = 256;

/// Rows of the lhs packed at once (a multiple of [`MR`]); the packed block stays in L2.
const MC: usize = 192;
/// Columns of the rhs packed at once (a multiple of every `nr`).
const NC: usize = 1024;
/// Rows of a micro-tile.
const MR: usize = 6;

/// Micro-panels packed side by side from a source whose rows (or columns) cross them: each
/// source row's stretch over the group is read in one go. One panel at a time touches `kc`
/// lines a page apart per line copied (7 % of a 512×2048×2048 product when the rhs comes from
/// memory); all panels at once scatters the writes over too many streams (4 % slower when the
/// rhs is in cache, 256×392×784). Measured with `AESCOPE_SIMD=avx2`, one thread.
const PANEL_GROUP: usize = 8;

/// Below this many multiply-adds a product runs faster on one thread than split.
const PARALLEL_MIN_WORK: usize = 4 << 20;

/// Depth of each packed block for a product of depth `k` ≥ 1 (the last may be shorter): the
/// fewest blocks of at most [`KC`], of equal depth. Blocks of [`KC`] and a remainder would leave
/// a thin last block (16 deep at k = 784) that costs a whole pass over the output for 2 % of
/// the work: about 1 % of a 256×1568×784 product (AMD Zen 3, AVX2).
fn depth_step(k: usize) -> usize {
    k.div_ceil(k.div_ceil(KC))
}

/// Instruction set of the micro-kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// 16 f32 lanes, fused multiply-add (x86-64 with AVX-512F).
    Avx512,
    /// 8 f32 lanes, fused multiply-add (x86-64 with AVX2 and FMA).
    Avx2,
    /// Plain Rust the compiler vectorizes for the build's baseline (any target).
    Portable,
}

impl Simd {
    /// The best kernel this CPU runs, lowered by the environment variable `AESCOPE_SIMD`
    /// (`avx2` or `portable`; other values are ignored) to measure a slower machine's path.
    /// Detected once per process.
    pub fn detect() -> Simd {
        static DETECTED: OnceLock<Simd> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let best = Simd::available().first().copied().unwrap_or(Simd::Portable);
            let cap = match std::env::var("AESCOPE_SIMD").as_deref() {
                Ok("avx2") => Simd::Avx2,
                Ok("portable") => Simd::Portable,
                _ => Simd::Avx512,
            };
            if best.rank() > cap.rank() { cap } else { best }
        })
    }

    /// Every kernel this CPU can run, best first (always ends with [`Simd::Portable`]).
    pub fn available() -> Vec<Simd> {
        [Simd::Avx512, Simd::Avx2, Simd::Portable]
            .into_iter()
            .filter(|s| s.supported())
            .collect()
    }

    /// Whether this CPU runs the kernel (checked on every product: no allocation).
    pub fn supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            Simd::Portable => true,
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Name as printed by the benches.
    pub fn name(self) -> &'static str {
        match self {
            Simd::Avx512 => "AVX-512",
            Simd::Avx2 => "AVX2+FMA",
            Simd::Portable => "portable",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Simd::Avx512 => 2,
            Simd::Avx2 => 1,
            Simd::Portable => 0,
        }
    }

    /// Columns of a micro-tile.
    fn nr(self) -> usize {
        match self {
            Simd::Avx512 => 32,
            Simd::Avx2 => 16,
            Simd::Portable => 8,
        }
    }
}

/// A strided read-only matrix (element `(i, j)` at `ptr + i*rs + j*cs`).
#[derive(Clone, Copy)]
struct Mat {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

impl Mat {
    /// # Safety
    /// `(i, j)` must be inside the matrix this was made from.
    unsafe fn at(self, i: usize, j: usize) -> *const f32 {
        // SAFETY: forwarded to the caller.
        unsafe {
            self.ptr
                .offset(i.cast_signed() * self.rs + j.cast_signed() * self.cs)
        }
    }
}

/// A strided output matrix.
#[derive(Clone, Copy)]
struct MatOut {
    ptr: *mut f32,
    rs: isize,
    cs: isize,
}

// SAFETY: the pointers are only dereferenced inside `gemm_with`'s scope, where the borrows they
// come from are alive, and threads write disjoint blocks of the output.
unsafe impl Send for Mat {}
unsafe impl Sync for Mat {}
unsafe impl Send for MatOut {}
unsafe impl Sync for MatOut {}

/// `dst = alpha · lhs · rhs` (or `dst += alpha · lhs · rhs` when `accumulate`) on up to
/// `threads` threads (the caller and the step's helper threads, see `shared.rs`), with the best
/// kernel of the CPU.
///
/// Shapes: lhs m×k, rhs k×n, dst m×n; any strides.
///
/// # Panics
/// If the shapes do not match (a bug in the caller, never input).
pub fn sgemm(
    dst: ArrayViewMut2<'_, f32>,
    accumulate: bool,
    lhs: ArrayView2<'_, f32>,
    rhs: ArrayView2<'_, f32>,
    alpha: f32,
    threads: usize,
) {
    sgemm_with(Simd::detect(), dst, accumulate, lhs, rhs, alpha, threads);
}

/// [`sgemm`] with a given kernel.
///
/// # Panics
/// If the CPU lacks the kernel (see [`Simd::available`]) or the shapes do not match.
pub fn sgemm_with(
    simd: Simd,
    mut dst: ArrayViewMut2<'_, f32>,
    accumulate: bool,
    lhs: ArrayView2<'_, f32>,
    rhs: ArrayView2<'_, f32>,
    alpha: f32,
    threads: usize,
) {
    let (m, k) = lhs.dim();
    let n = rhs.ncols();
    assert_eq!(rhs.nrows(), k, "sgemm: inner dimensions differ");
    assert_eq!(dst.dim(), (m, n), "sgemm: output shape differs");
    assert!(simd.supported(), "sgemm: {simd:?} not supported here");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    let a = Mat {
        ptr: lhs.as_ptr(),
        rs: lhs.strides()[0],
        cs: lhs.strides()[1],
    };
    let b = Mat {
        ptr: rhs.as_ptr(),
        rs: rhs.strides()[0],
        cs: rhs.strides()[1],
    };
    let c = MatOut {
        rs: dst.strides()[0],
        cs: dst.strides()[1],
        ptr: dst.as_mut_ptr(),
    };
    let p = Problem {
        simd,
        a,
        b,
        c,
        k,
        alpha,
        accumulate,
    };
    let work = m.saturating_mul(n).saturating_mul(k);
    let threads = threads.clamp(1, work.div_ceil(PARALLEL_MIN_WORK).max(1));
    if threads <= 1 {
        // SAFETY: the views guarantee the extents; the output is exclusively borrowed.
        unsafe { p.run(0..m, 0..n) };
        return;
    }
    // SAFETY: as above.
    unsafe { p.run_shared(m, n, threads) };
}

/// One product, shared by the threads that compute blocks of it.
#[derive(Clone, Copy)]
struct Problem {
    simd: Simd,
    a: Mat,
    b: Mat,
    c: MatOut,
    k: usize,
    alpha: f32,
    accumulate: bool,
}

/// 64-byte aligned storage for packed panels (whole cache lines for the vector loads).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

thread_local! {
    /// Packed lhs and rhs blocks of this thread, kept across calls (no allocation per product).
    static PACKED: RefCell<(Vec<Line>, Vec<Line>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

fn lines(buf: &mut Vec<Line>, floats: usize) -> *mut f32 {
    let need = floats.div_ceil(16);
    if buf.len() < need {
        buf.resize(need, Line([0.0; 16]));
    }
    buf.as_mut_ptr().cast()
}

impl Problem {
    /// Number of depth blocks ([`depth_step`]).
    fn depth_block_count(&self) -> usize {
        self.k.div_ceil(depth_step(self.k))
    }

    /// Depth block `i` (< [`Problem::depth_block_count`]): its first index and its depth.
    fn depth_block(&self, i: usize) -> (usize, usize) {
        let step = depth_step(self.k);
        let pc = i * step;
        (pc, step.min(self.k - pc))
    }

    /// The depth blocks in summation order, as [`Problem::depth_block`].
    fn depth_blocks(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.depth_block_count()).map(|i| self.depth_block(i))
    }

    /// The output block `rows × cols`, sequentially (BLIS loop order).
    ///
    /// # Safety
    /// The block must lie inside the product; no other thread may write it meanwhile.
    unsafe fn run(&self, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) {
        PACKED.with(|cell| {
            let mut bufs = cell.borrow_mut();
            let (abuf, bbuf) = &mut *bufs;
            let ap = lines(abuf, MC * KC);
            let bp = lines(bbuf, NC * KC);
            for jc in cols.clone().step_by(NC) {
                let nc = NC.min(cols.end - jc);
                for (pc, kc) in self.depth_blocks() {
                    let overwrite = pc == 0 && !self.accumulate;
                    // SAFETY: (pc.., jc..) + (kc, nc) lies inside rhs; bp holds NC·KC floats.
                    unsafe { pack_b(self.simd, self.b, pc, jc, kc, nc, bp) };
                    for ic in rows.clone().step_by(MC) {
                        let mc = MC.min(rows.end - ic);
                        // SAFETY: likewise for lhs and ap (MC·KC floats).
                        unsafe { pack_a(self.simd, self.a, ic, pc, mc, kc, ap) };
                        let tile = Tile {
                            kc,
                            c: self.c,
                            alpha: self.alpha,
                            overwrite,
                        };
                        // SAFETY: the block (ic.., jc..) + (mc, nc) lies inside the output.
                        unsafe { macro_kernel(self.simd, &tile, ap, bp, ic, jc, mc, nc) };
                    }
                }
            }
        });
    }
}

/// Pack lhs rows `i0..i0+mc`, depth `p0..p0+kc` into panels of [`MR`] rows: panel `q` holds
/// element `(q·MR + i, p)` at `q·MR·kc + p·MR + i`, zero-padded past `mc`.
///
/// `simd` picks the register-transposing path for row-major blocks (x86-64 only).
///
/// # Safety
/// The block must lie inside the lhs; `out` must hold `ceil(mc/MR)·MR·kc` floats.
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
unsafe fn pack_a(simd: Simd, a: Mat, i0: usize, p0: usize, mc: usize, kc: usize, out: *mut f32) {
    let full = if a.rs == 1 { mc / MR } else { 0 };
    if full > 0 {
        // A transposed lhs (columns contiguous; the step's Eᵀ and ∂Uᵀ): a group of panels at
        // a time down the depth, each column's stretch read once (see `PANEL_GROUP`).
        for g in (0..full).step_by(PANEL_GROUP) {
            for p in 0..kc {
                // SAFETY: column `p0 + p`, rows `i0..i0 + full·MR`, lie inside the lhs.
                unsafe {
                    let src = a.at(i0, p0 + p);
                    for q in g..full.min(g + PANEL_GROUP) {
                        let dst = out.add(q * MR * kc + p * MR);
                        std::ptr::copy_nonoverlapping(src.add(q * MR), dst, MR);
                    }
                }
            }
        }
    }
    for (q, ir) in (0..mc).step_by(MR).enumerate().skip(full) {
        let h = MR.min(mc - ir);
        // SAFETY: every index below is inside the block or the panel, by the caller's contract.
        unsafe {
            let dst = out.add(q * MR * kc);
            #[cfg(target_arch = "x86_64")]
            if a.cs == 1 && a.rs != 1 && h == MR && simd != Simd::Portable {
                // A row-major lhs (the step's X, H, E): register transposes of 6×8 blocks
                // instead of one strided store per element.
                x86::pack_rows_avx(a.at(i0 + ir, p0), a.rs, kc, dst);
                continue;
            }
            for i in 0..MR {
                if i < h {
                    let src = a.at(i0 + ir + i, p0);
                    for p in 0..kc {
                        *dst.add(p * MR + i) = *src.offset(p.cast_signed() * a.cs);
                    }
                } else {
                    for p in 0..kc {
                        *dst.add(p * MR + i) = 0.0;
                    }
                }
            }
        }
    }
}

/// Pack rhs depth `p0..p0+kc`, columns `j0..j0+nc` into panels of `nr` columns: panel `q`
/// holds element `(p, q·nr + j)` at `q·nr·kc + p·nr + j`, zero-padded past `nc`.
///
/// # Safety
/// The block must lie inside the rhs; `out` must hold `ceil(nc/nr)·nr·kc` floats.
unsafe fn pack_b(simd: Simd, b: Mat, p0: usize, j0: usize, kc: usize, nc: usize, out: *mut f32) {
    let nr = simd.nr();
    let full = if b.cs == 1 { nc / nr } else { 0 };
    if full > 0 {
        // A row-major rhs (the step's H, A, X): a group of panels at a time down the depth,
        // each row's stretch read once (see `PANEL_GROUP`).
        // SAFETY: rows `p0..p0 + kc`, columns `j0..j0 + full·nr`, lie inside the rhs; the
        // panels inside `out`.
        unsafe {
            match nr {
                32 => copy_rows::<32>(b, p0, j0, kc, full, out),
                16 => copy_rows::<16>(b, p0, j0, kc, full, out),
                _ => copy_rows::<8>(b, p0, j0, kc, full, out),
            }
        }
    }
    for (q, jr) in (0..nc).step_by(nr).enumerate().skip(full) {
        let w = nr.min(nc - jr);
        // SAFETY: every index below is inside the block or the panel, by the caller's contract.
        unsafe {
            let dst = out.add(q * nr * kc);
            #[cfg(target_arch = "x86_64")]
            if b.rs == 1 && b.cs != 1 && w == nr && simd != Simd::Portable {
                // A transposed rhs (columns contiguous): 8×8 register transposes instead of
                // one strided store per element (the packing pass is ~1/m of the product).
                x86::pack_columns_avx(b.at(p0, j0 + jr), b.cs, kc, nr, dst);
                continue;
            }
            for j in 0..nr {
                if j < w {
                    let src = b.at(p0, j0 + jr + j);
                    for p in 0..kc {
                        *dst.add(p * nr + j) = *src.offset(p.cast_signed() * b.rs);
                    }
                } else {
                    for p in 0..kc {
                        *dst.add(p * nr + j) = 0.0;
                    }
                }
            }
        }
    }
}

/// Pack `panels` whole panels of `N` columns from a row-major rhs: row `p0 + p`, columns
/// `j0 + q·N ..` go to `out[q·N·kc + p·N ..]`. Fixed-size copies: a length known at compile
/// time is a few vector moves, a run-time one a call to memmove.
///
/// # Safety
/// As [`pack_b`], for `panels · N` columns.
#[inline(always)]
unsafe fn copy_rows<const N: usize>(
    b: Mat,
    p0: usize,
    j0: usize,
    kc: usize,
    panels: usize,
    out: *mut f32,
) {
    for g in (0..panels).step_by(PANEL_GROUP) {
        for p in 0..kc {
            // SAFETY: by the caller's contract; each row segment holds `panels · N` floats.
            unsafe {
                let src = b.at(p0 + p, j0);
                for q in g..panels.min(g + PANEL_GROUP) {
                    let row = src.add(q * N).cast::<[f32; N]>().read_unaligned();
                    out.add(q * N * kc + p * N)
                        .cast::<[f32; N]>()
                        .write_unaligned(row);
                }
            }
        }
    }
}

/// What a micro-kernel needs besides its panels: the output and how to update it.
struct Tile {
    kc: usize,
    c: MatOut,
    alpha: f32,
    /// `c = alpha·acc` (first depth block of a replacing product) instead of `c += alpha·acc`.
    overwrite: bool,
}

/// All micro-tiles of one packed lhs block against one packed rhs block.
///
/// # Safety
/// As [`Problem::run`]; `ap`/`bp` hold the packed blocks for `mc`/`nc`.
#[allow(clippy::too_many_arguments)]
unsafe fn macro_kernel(
    simd: Simd,
    t: &Tile,
    ap: *const f32,
    bp: *const f32,
    ic: usize,
    jc: usize,
    mc: usize,
    nc: usize,
) {
    // SAFETY: the kernel was checked against the CPU in `sgemm_with`; the rest is forwarded.
    unsafe {
        match simd {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => x86::macro_avx512(t, ap, bp, ic, jc, mc, nc),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => x86::macro_avx2(t, ap, bp, ic, jc, mc, nc),
            _ => macro_portable(t, ap, bp, ic, jc, mc, nc),
        }
    }
}

/// Loops over the micro-tiles of a block; `$kernel` computes one (same arguments everywhere).
macro_rules! tile_loops {
    ($nr:expr, $t:ident, $ap:ident, $bp:ident, $ic:ident, $jc:ident, $mc:ident, $nc:ident, $kernel:ident) => {
        for (qj, jr) in (0..$nc).step_by($nr).enumerate() {
            let w = ($nr).min($nc - jr);
            let b = $bp.add(qj * $nr * $t.kc);
            for (qi, ir) in (0..$mc).step_by(MR).enumerate() {
                let h = MR.min($mc - ir);
                let a = $ap.add(qi * MR * $t.kc);
                let c = $t.c.ptr.offset(
                    ($ic + ir).cast_signed() * $t.c.rs + ($jc + jr).cast_signed() * $t.c.cs,
                );
                $kernel($t, a, b, c, h, w);
            }
        }
    };
}

/// Add `alpha · acc` (an [`MR`]×`NR` row-major tile) into the `h×w` corner of the output at `c`.
///
/// # Safety
/// `c` with the tile's strides must address `h×w` writable elements.
#[inline(always)]
unsafe fn store_tile<const NR: usize>(t: &Tile, acc: &[f32], c: *mut f32, h: usize, w: usize) {
    for i in 0..h {
        for j in 0..w {
            // SAFETY: by the caller's contract.
            unsafe {
                let p = c.offset(i.cast_signed() * t.c.rs + j.cast_signed() * t.c.cs);
                let v = acc[i * NR + j];
                *p = if t.overwrite {
                    t.alpha * v
                } else {
                    t.alpha.mul_add(v, *p)
                };
            }
        }
    }
}

/// # Safety
/// As [`macro_kernel`].
unsafe fn macro_portable(
    t: &Tile,
    ap: *const f32,
    bp: *const f32,
    ic: usize,
    jc: usize,
    mc: usize,
    nc: usize,
) {
    const NR: usize = 8;
    let kernel = |t: &Tile, a: *const f32, b: *const f32, c: *mut f32, h: usize, w: usize| {
        let mut acc = [0.0f32; MR * NR];
        for p in 0..t.kc {
            // SAFETY: the panels hold kc·MR and kc·NR floats.
            let (ar, br) = unsafe {
                (
                    std::slice::from_raw_parts(a.add(p * MR), MR),
                    std::slice::from_raw_parts(b.add(p * NR), NR),
                )
            };
            for i in 0..MR {
                for j in 0..NR {
                    acc[i * NR + j] += ar[i] * br[j];
                }
            }
        }
        // SAFETY: forwarded from the tile loop.
        unsafe { store_tile::<NR>(t, &acc, c, h, w) };
    };
    // SAFETY: forwarded to the caller.
    unsafe { tile_loops!(NR, t, ap, bp, ic, jc, mc, nc, kernel) };
}

/// The depth loop of a micro-kernel: `$step(a, b, &mut acc)` for each of `$kc` steps, the
/// panels advancing by [`MR`] and `$nr` floats. Four steps per round, the lhs panel fetched two
/// rounds ahead: 0.5–1.5 % faster than one step per round (`AESCOPE_SIMD=avx2`, one thread).
/// The steps keep their order, so the sums are the same bits.
#[cfg(target_arch = "x86_64")]
macro_rules! depth_loop {
    ($kc:expr, $a:ident, $b:ident, $acc:ident, $step:ident, $nr:expr) => {
        let (mut $a, mut $b) = ($a, $b);
        for _ in 0..$kc / 4 {
            // A hint: past the panel's end it fetches nothing useful but never faults.
            _mm_prefetch::<_MM_HINT_T0>($a.wrapping_add(8 * MR).cast::<i8>());
            $step($a, $b, &mut $acc);
            $step($a.add(MR), $b.add($nr), &mut $acc);
            $step($a.add(2 * MR), $b.add(2 * $nr), &mut $acc);
            $step($a.add(3 * MR), $b.add(3 * $nr), &mut $acc);
            $a = $a.add(4 * MR);
            $b = $b.add(4 * $nr);
        }
        for _ in 0..$kc % 4 {
            $step($a, $b, &mut $acc);
            $a = $a.add(MR);
            $b = $b.add($nr);
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The x86-64 micro-kernels: an MR×NR tile of accumulators in registers, one broadcast of
    //! the lhs and NR/lanes loads of the rhs per step of k.
    use super::{MR, Tile, store_tile};
    use std::arch::x86_64::{
        __m256, __m512, _MM_HINT_T0, _mm_prefetch, _mm256_fmadd_ps, _mm256_load_ps,
        _mm256_loadu_ps, _mm256_mul_ps, _mm256_permute2f128_ps, _mm256_set1_ps, _mm256_setzero_ps,
        _mm256_shuffle_ps, _mm256_storeu_ps, _mm256_unpackhi_ps, _mm256_unpacklo_ps,
        _mm512_fmadd_ps, _mm512_load_ps, _mm512_loadu_ps, _mm512_mul_ps, _mm512_set1_ps,
        _mm512_setzero_ps, _mm512_storeu_ps,
    };
    use std::arch::x86_64::{
        _mm_castps_pd, _mm_store_sd, _mm_storeu_ps, _mm256_castps256_ps128, _mm256_extractf128_ps,
    };

    /// Pack `nr` (a multiple of 8) columns of depth `kc`, column `j` starting at `src + j·cs`
    /// and contiguous, into `dst[p·nr + j]`.
    ///
    /// # Safety
    /// AVX must be present; `src`/`dst` must address those elements.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn pack_columns_avx(
        src: *const f32,
        cs: isize,
        kc: usize,
        nr: usize,
        dst: *mut f32,
    ) {
        // SAFETY: every load is inside column j < nr at depth < kc, every store inside dst.
        unsafe {
            let full = kc - kc % 8;
            for g in (0..nr).step_by(8) {
                let col = |r: usize| src.offset((g + r).cast_signed() * cs);
                for p in (0..full).step_by(8) {
                    let r: [__m256; 8] = std::array::from_fn(|r| _mm256_loadu_ps(col(r).add(p)));
                    let out = transpose8(r);
                    for (q, v) in out.iter().enumerate() {
                        _mm256_storeu_ps(dst.add((p + q) * nr + g), *v);
                    }
                }
                for p in full..kc {
                    for r in 0..8 {
                        *dst.add(p * nr + g + r) = *col(r).add(p);
                    }
                }
            }
        }
    }

    /// Pack [`MR`] rows of depth `kc`, row `i` starting at `src + i·rs` and contiguous, into
    /// `dst[p·MR + i]`.
    ///
    /// # Safety
    /// AVX must be present; `src`/`dst` must address those elements.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn pack_rows_avx(src: *const f32, rs: isize, kc: usize, dst: *mut f32) {
        // SAFETY: every load is inside row i < MR at depth < kc; every store writes MR floats
        // at dst + p·MR for p < kc.
        unsafe {
            let row = |i: usize| src.offset(i.cast_signed() * rs);
            let full = kc - kc % 8;
            for p in (0..full).step_by(8) {
                let r: [__m256; 8] = std::array::from_fn(|i| {
                    if i < MR {
                        _mm256_loadu_ps(row(i).add(p))
                    } else {
                        _mm256_setzero_ps()
                    }
                });
                // Lanes 0..MR of each vector are the MR rows at one depth. Each store also
                // writes two lanes of the next depth, which the next store overwrites; the last
                // stores only its MR lanes (four and two). A masked store would do, but is
                // microcoded on AMD Zen: it made this pass 5 % of a 1568×784×256 product there.
                let out = transpose8(r);
                for (q, v) in out.iter().take(7).enumerate() {
                    _mm256_storeu_ps(dst.add((p + q) * MR), *v);
                }
                let last = dst.add((p + 7) * MR);
                _mm_storeu_ps(last, _mm256_castps256_ps128(out[7]));
                // `movsd` to memory takes any address: the f64 pointer need not be aligned.
                #[allow(clippy::cast_ptr_alignment)]
                _mm_store_sd(
                    last.add(4).cast::<f64>(),
                    _mm_castps_pd(_mm256_extractf128_ps::<1>(out[7])),
                );
            }
            for p in full..kc {
                for i in 0..MR {
                    *dst.add(p * MR + i) = *row(i).add(p);
                }
            }
        }
    }

    /// The transpose of an 8×8 block held as 8 rows.
    #[target_feature(enable = "avx")]
    #[inline]
    fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ]
    }

    /// # Safety
    /// AVX2 and FMA must be present; otherwise as [`super::macro_kernel`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn macro_avx2(
        t: &Tile,
        ap: *const f32,
        bp: *const f32,
        ic: usize,
        jc: usize,
        mc: usize,
        nc: usize,
    ) {
        // SAFETY: forwarded to the caller.
        unsafe { tile_loops!(16, t, ap, bp, ic, jc, mc, nc, kernel_avx2) };
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn kernel_avx2(t: &Tile, a: *const f32, b: *const f32, c: *mut f32, h: usize, w: usize) {
        const NR: usize = 16;
        // SAFETY: panels hold kc·MR and kc·NR floats (64-byte aligned); c as in `store_tile`.
        unsafe {
            // The tile's rows are read after the loop: start fetching them now (a row may
            // straddle one more line than its width).
            for i in 0..h {
                let row = c.offset(i.cast_signed() * t.c.rs).cast::<i8>();
                _mm_prefetch::<_MM_HINT_T0>(row);
                _mm_prefetch::<_MM_HINT_T0>(row.add(4 * NR - 1));
            }
            let mut acc = [_mm256_setzero_ps(); 2 * MR];
            let step = |a: *const f32, b: *const f32, acc: &mut [__m256; 2 * MR]| {
                let b0 = _mm256_load_ps(b);
                let b1 = _mm256_load_ps(b.add(8));
                for i in 0..MR {
                    let ai = _mm256_set1_ps(*a.add(i));
                    acc[2 * i] = _mm256_fmadd_ps(ai, b0, acc[2 * i]);
                    acc[2 * i + 1] = _mm256_fmadd_ps(ai, b1, acc[2 * i + 1]);
                }
            };
            depth_loop!(t.kc, a, b, acc, step, NR);
            if h == MR && w == NR && t.c.cs == 1 {
                let alpha = _mm256_set1_ps(t.alpha);
                for (i, pair) in acc.chunks_exact(2).enumerate() {
                    let row = c.offset(i.cast_signed() * t.c.rs);
                    for (half, v) in pair.iter().enumerate() {
                        let p = row.add(8 * half);
                        let out = if t.overwrite {
                            _mm256_mul_ps(alpha, *v)
                        } else {
                            _mm256_fmadd_ps(alpha, *v, _mm256_loadu_ps(p))
                        };
                        _mm256_storeu_ps(p, out);
                    }
                }
            } else {
                let mut tile = [0.0f32; MR * NR];
                for (i, v) in acc.iter().enumerate() {
                    _mm256_storeu_ps(tile.as_mut_ptr().add(8 * i), *v);
                }
                store_tile::<NR>(t, &tile, c, h, w);
            }
        }
    }

    /// # Safety
    /// AVX-512F must be present; otherwise as [`super::macro_kernel`].
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn macro_avx512(
        t: &Tile,
        ap: *const f32,
        bp: *const f32,
        ic: usize,
        jc: usize,
        mc: usize,
        nc: usize,
    ) {
        // SAFETY: forwarded to the caller.
        unsafe { tile_loops!(32, t, ap, bp, ic, jc, mc, nc, kernel_avx512) };
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    unsafe fn kernel_avx512(
        t: &Tile,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        h: usize,
        w: usize,
    ) {
        const NR: usize = 32;
        // SAFETY: as in `kernel_avx2`.
        unsafe {
            // The tile's rows are read after the loop: start fetching them now (a row may
            // straddle one more line than its width).
            for i in 0..h {
                let row = c.offset(i.cast_signed() * t.c.rs).cast::<i8>();
                _mm_prefetch::<_MM_HINT_T0>(row);
                _mm_prefetch::<_MM_HINT_T0>(row.add(4 * NR - 1));
            }
            let mut acc = [_mm512_setzero_ps(); 2 * MR];
            let step = |a: *const f32, b: *const f32, acc: &mut [__m512; 2 * MR]| {
                let b0 = _mm512_load_ps(b);
                let b1 = _mm512_load_ps(b.add(16));
                for i in 0..MR {
                    let ai = _mm512_set1_ps(*a.add(i));
                    acc[2 * i] = _mm512_fmadd_ps(ai, b0, acc[2 * i]);
                    acc[2 * i + 1] = _mm512_fmadd_ps(ai, b1, acc[2 * i + 1]);
                }
            };
            depth_loop!(t.kc, a, b, acc, step, NR);
            if h == MR && w == NR && t.c.cs == 1 {
                let alpha = _mm512_set1_ps(t.alpha);
                for (i, pair) in acc.chunks_exact(2).enumerate() {
                    let row = c.offset(i.cast_signed() * t.c.rs);
                    for (half, v) in pair.iter().enumerate() {
                        let p = row.add(16 * half);
                        let out = if t.overwrite {
                            _mm512_mul_ps(alpha, *v)
                        } else {
                            _mm512_fmadd_ps(alpha, *v, _mm512_loadu_ps(p))
                        };
                        _mm512_storeu_ps(p, out);
                    }
                }
            } else {
                let mut tile = [0.0f32; MR * NR];
                for (i, v) in acc.iter().enumerate() {
                    _mm512_storeu_ps(tile.as_mut_ptr().add(16 * i), *v);
                }
                store_tile::<NR>(t, &tile, c, h, w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Entries in multiples of 1/4 up to ±1: every product and partial sum below is exact in
    /// f32, so any correct summation order gives the same bits and errors show as inequality.
    fn quarters(rows: usize, cols: usize, col_major: bool, rng: &mut impl Rng) -> Array2<f32> {
        let shape = (rows, cols).set_f(col_major);
        Array2::from_shape_simple_fn(shape, || rng.random_range(-4i32..=4) as f32 / 4.0)
    }

    fn naive(
        c0: &Array2<f32>,
        acc: bool,
        a: &Array2<f32>,
        b: &Array2<f32>,
        alpha: f32,
    ) -> Array2<f32> {
        Array2::from_shape_fn(c0.dim(), |(i, j)| {
            let dot: f64 = (0..a.ncols())
                .map(|p| f64::from(a[[i, p]]) * f64::from(b[[p, j]]))
                .sum();
            let base = if acc { f64::from(c0[[i, j]]) } else { 0.0 };
            (base + f64::from(alpha) * dot) as f32
        })
    }

    #[test]
    fn matches_the_naive_product_on_odd_shapes_layouts_and_kernels() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let sizes = [1usize, 7, 33, 257];
        for &m in &sizes {
            for &n in &sizes {
                for &k in &sizes {
                    for layout in 0..8 {
                        let (lt, rt, dt) = (layout & 1 == 1, layout & 2 == 2, layout & 4 == 4);
                        let a = quarters(m, k, lt, &mut rng);
                        let b = quarters(k, n, rt, &mut rng);
                        let c0 = quarters(m, n, dt, &mut rng);
                        for acc in [false, true] {
                            let want = naive(&c0, acc, &a, &b, 0.5);
                            for simd in Simd::available() {
                                for threads in [1, 2] {
                                    let mut c = c0.clone();
                                    sgemm_with(
                                        simd,
                                        c.view_mut(),
                                        acc,
                                        a.view(),
                                        b.view(),
                                        0.5,
                                        threads,
                                    );
                                    assert!(
                                        c == want,
                                        "{simd:?} m={m} n={n} k={k} lhsᵀ={lt} rhsᵀ={rt} dstᵀ={dt} \
                                         accumulate={acc} threads={threads}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wide_products_cross_every_block_boundary() {
        // n > NC, m > MC, k > KC, none a multiple of the tile sizes; then the tall transpose
        // (split into row blocks instead of column blocks).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        for (m, n, k) in [(197, NC + 45, 2 * KC + 3), (NC + 45, 197, 2 * KC + 3)] {
            let a = quarters(m, k, false, &mut rng);
            let b = quarters(k, n, true, &mut rng);
            let c0 = quarters(m, n, false, &mut rng);
            let want = naive(&c0, true, &a, &b, 1.0);
            for simd in Simd::available() {
                for threads in [1, 2, 3] {
                    let mut c = c0.clone();
                    sgemm_with(simd, c.view_mut(), true, a.view(), b.view(), 1.0, threads);
                    assert!(c == want, "{simd:?} threads={threads} {m}×{n}");
                }
            }
        }
    }

    #[test]
    fn empty_depth_clears_or_keeps_the_output() {
        let a = Array2::<f32>::zeros((3, 0));
        let b = Array2::<f32>::zeros((0, 5));
        let mut c = Array2::<f32>::ones((3, 5));
        sgemm(c.view_mut(), true, a.view(), b.view(), 1.0, 1);
        assert!(c.iter().all(|&v| v == 1.0));
        sgemm(c.view_mut(), false, a.view(), b.view(), 1.0, 1);
        assert!(c.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn bits_do_not_depend_on_threads_or_on_the_fma_kernel() {
        // Inexact inputs: rounding differs with any change of summation order. A wide and a
        // tall output: threads split the first into column blocks, the second into row blocks.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        for (m, n, k) in [(300, 520, 700), (520, 300, 700)] {
            let a = Array2::from_shape_simple_fn((m, k), || rng.random::<f32>() - 0.5);
            let b = Array2::from_shape_simple_fn((n, k), || rng.random::<f32>() - 0.5);
            let run = |simd: Simd, threads: usize| {
                let mut c = Array2::<f32>::zeros((m, n));
                sgemm_with(simd, c.view_mut(), false, a.view(), b.t(), 0.3, threads);
                c
            };
            let fma: Vec<Simd> = Simd::available()
                .into_iter()
                .filter(|s| *s != Simd::Portable)
                .collect();
            let reference = run(fma.first().copied().unwrap_or(Simd::Portable), 1);
            let naive = naive(&reference, false, &a, &b.t().to_owned(), 0.3);
            for (x, y) in reference.iter().zip(&naive) {
                assert!((x - y).abs() <= 1e-4, "{x} vs {y}");
            }
            for simd in fma.iter().copied().chain([Simd::Portable]) {
                let kernels_agree = simd != Simd::Portable;
                for threads in [1, 2, 3, 4] {
                    let c = run(simd, threads);
                    if kernels_agree {
                        assert!(c == reference, "{simd:?} threads={threads} {m}×{n}");
                    } else {
                        assert!(c == run(simd, 1), "portable, threads={threads} {m}×{n}");
                    }
                }
            }
        }
    }
}
