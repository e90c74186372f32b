//! A product split over threads. The operand every output block reads (the rhs when the
//! output is split into row blocks, the lhs when into column blocks) is packed once, by all
//! threads together; the output is cut into several blocks per thread, claimed one at a time.
//!
//! Why not one static block per thread: with as many threads as cores, the sampler thread, the
//! interface or another process takes a core now and then, and a thread that has just been
//! woken starts late; with static blocks the others then wait for it (measured: a 2-thread step
//! at (784, 0.5, 256) lost the whole sampling time, 0.65 ms of its 5.5 ms). Here a thread that
//! is held up delays at most the one block it holds, and the calling thread claims blocks too.
//!
//! Every output element is still summed by one thread over the same depth blocks in the same
//! order with the same kernel: the bits do not depend on the thread count.

use super::{KC, Line, MC, MR, PACKED, Problem, Tile, lines, macro_kernel, pack_a, pack_b};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Output blocks per thread to aim for: enough that a late or interrupted thread is made up
/// for by the others.
const BLOCKS_PER_THREAD: usize = 6;
/// Largest row block, in micro-tile rows: one packed lhs block ([`MC`] rows).
const MAX_ROW_TILES: usize = MC / MR;
/// Largest column block, in micro-panels.
const MAX_COL_PANELS: usize = 8;
/// Micro-panels of the shared operand packed per claim.
const PACK_PANELS: usize = 8;
/// Busy-wait rounds for the shared operand before yielding the core.
const SPINS: usize = 2000;

thread_local! {
    /// The shared packed operand of the products this thread calls, kept across calls.
    static SHARED: RefCell<Vec<Line>> = const { RefCell::new(Vec::new()) };
}

/// One product's division of labour, shared by its threads.
struct Split {
    p: Problem,
    m: usize,
    n: usize,
    /// Row blocks with the rhs shared, or column blocks with the lhs shared.
    along_rows: bool,
    /// The shared operand, packed: depth block `pc` at `pc · padded`.
    shared: *mut f32,
    /// Extent of the shared operand along the output side it spans (n for the rhs, m for the
    /// lhs), rounded up to whole micro-panels.
    padded: usize,
    /// Width of one micro-panel of the shared operand (nr for the rhs, [`MR`] for the lhs).
    panel: usize,
    /// Pack claims per depth block, and in all.
    pack_claims: usize,
    pack_total: usize,
    /// Extent of one output block along the split side, and the number of blocks.
    block: usize,
    blocks: usize,
    next_pack: AtomicUsize,
    packed: AtomicUsize,
    next_block: AtomicUsize,
}

// SAFETY: the raw pointers address the operands, the output and the shared panels, all alive
// for the scope in which the threads use them; threads write disjoint panels and blocks, and the
// shared panels are read only after `packed` says (Acquire) that all were written (Release).
unsafe impl Sync for Split {}

impl Problem {
    /// The whole `m × n` output on `threads` threads (≥ 2).
    ///
    /// # Safety
    /// As [`Problem::run`] for the whole output.
    pub(super) unsafe fn run_shared(&self, m: usize, n: usize, threads: usize) {
        // Split the longer side. A square output splits into row blocks: 2 % faster than
        // column blocks at 2048×2048×512 (`AESCOPE_SIMD=avx2`, 2 threads, 226 against 221
        // GFLOP/s in interleaved runs); either way for the step's oblong shapes costs 7–10 %.
        let along_rows = m >= n;
        let nr = self.simd.nr();
        let (side, panel, extent) = if along_rows { (m, nr, n) } else { (n, MR, m) };
        let panels = extent.div_ceil(panel);
        let padded = panels * panel;
        let (unit, max_units) = if along_rows {
            (MR, MAX_ROW_TILES)
        } else {
            (nr, MAX_COL_PANELS)
        };
        let units = side.div_ceil(unit);
        let block = units
            .div_ceil(threads * BLOCKS_PER_THREAD)
            .clamp(1, max_units)
            * unit;
        let pack_claims = panels.div_ceil(PACK_PANELS);
        SHARED.with(|cell| {
            let mut buf = cell.borrow_mut();
            let split = Split {
                p: *self,
                m,
                n,
                along_rows,
                shared: lines(&mut buf, padded * self.k),
                padded,
                panel,
                pack_claims,
                pack_total: pack_claims * self.depth_block_count(),
                block,
                blocks: side.div_ceil(block),
                next_pack: AtomicUsize::new(0),
                packed: AtomicUsize::new(0),
                next_block: AtomicUsize::new(0),
            };
            let split = &split;
            // SAFETY (of `work`): forwarded; `split` outlives the broadcast.
            super::super::team::broadcast(threads - 1, &|| unsafe { split.work() });
        });
    }
}

impl Split {
    /// One thread's share: pack claims until none is left, wait for the shared operand, then
    /// output blocks until none is left.
    ///
    /// # Safety
    /// As [`Problem::run_shared`].
    unsafe fn work(&self) {
        loop {
            let claim = self.next_pack.fetch_add(1, Ordering::Relaxed);
            if claim >= self.pack_total {
                break;
            }
            // SAFETY: forwarded.
            unsafe { self.pack(claim) };
            self.packed.fetch_add(1, Ordering::Release);
        }
        let mut spins = 0;
        while self.packed.load(Ordering::Acquire) < self.pack_total {
            if spins < SPINS {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
        PACKED.with(|cell| {
            let mut bufs = cell.borrow_mut();
            let (abuf, bbuf) = &mut *bufs;
            let private = if self.along_rows {
                lines(abuf, MC * KC)
            } else {
                lines(bbuf, MAX_COL_PANELS * self.p.simd.nr() * KC)
            };
            loop {
                let b = self.next_block.fetch_add(1, Ordering::Relaxed);
                if b >= self.blocks {
                    break;
                }
                // SAFETY: forwarded; `private` holds a packed block of the other operand.
                unsafe { self.block(b, private) };
            }
        });
    }

    /// Pack claim `claim`: up to [`PACK_PANELS`] micro-panels of one depth block.
    ///
    /// # Safety
    /// As [`Problem::run_shared`]; each claim is packed by one thread only.
    unsafe fn pack(&self, claim: usize) {
        let (pc, kc) = self.p.depth_block(claim / self.pack_claims);
        let first = claim % self.pack_claims * PACK_PANELS * self.panel;
        let extent = if self.along_rows { self.n } else { self.m };
        let count = (PACK_PANELS * self.panel).min(extent - first);
        // SAFETY: depth block `pc` starts at `pc · padded` and holds `padded · kc` floats;
        // panel `first / panel` of it at `first · kc`.
        unsafe {
            let out = self.shared.add(pc * self.padded + first * kc);
            if self.along_rows {
                pack_b(self.p.simd, self.p.b, pc, first, kc, count, out);
            } else {
                pack_a(self.p.simd, self.p.a, first, pc, count, kc, out);
            }
        }
    }

    /// Output block `b`: rows (or columns) `b·block ..` over the whole other side.
    ///
    /// # Safety
    /// As [`Problem::run_shared`]; the shared operand is packed; `private` holds [`MC`]·[`KC`]
    /// floats (row blocks) or a column block's packed rhs (column blocks).
    unsafe fn block(&self, b: usize, private: *mut f32) {
        let p = &self.p;
        let start = b * self.block;
        let side = if self.along_rows { self.m } else { self.n };
        let end = side.min(start + self.block);
        for (pc, kc) in p.depth_blocks() {
            let tile = Tile {
                kc,
                c: p.c,
                alpha: p.alpha,
                overwrite: pc == 0 && !p.accumulate,
            };
            // SAFETY: every block below lies inside the operands, the output and the buffers.
            unsafe {
                let shared = self.shared.add(pc * self.padded);
                if self.along_rows {
                    for ic in (start..end).step_by(MC) {
                        let mc = MC.min(end - ic);
                        pack_a(p.simd, p.a, ic, pc, mc, kc, private);
                        macro_kernel(p.simd, &tile, private, shared, ic, 0, mc, self.n);
                    }
                } else {
                    pack_b(p.simd, p.b, pc, start, kc, end - start, private);
                    for ic in (0..self.m).step_by(MC) {
                        let mc = MC.min(self.m - ic);
                        // Rows `ic..` of the shared lhs: panel ic/MR, at ic·kc.
                        let a = shared.add(ic * kc);
                        macro_kernel(p.simd, &tile, a, private, ic, start, mc, end - start);
                    }
                }
            }
        }
    }
}
