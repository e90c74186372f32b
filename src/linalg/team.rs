//! Helper threads for the training step's parallel sections (products and elementwise passes).
//!
//! Why not the rayon pool: a rayon worker that has been idle for ~50 µs goes to sleep, and on
//! this kind of machine (a virtual CPU that halts when idle) waking it took 195 µs on average:
//! measured as the delay from spawning a product's second half to its start, at (784, 0.5, 256)
//! where one product takes 0.85 ms, so two threads ran it barely 1.7× faster than one. The
//! helpers here spin for [`SPIN`] after each job before they park, like OpenMP's and OpenBLAS's
//! threads, so inside a running step they start within a microsecond.
//!
//! A job shares its work out itself (counters it claims from): any number of helpers, possibly
//! none, may join, and the caller always works too, so a helper that starts late or is
//! interrupted only ever costs the work it has claimed. Results do not depend on who computed
//! what (see [`super::sgemm`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a helper keeps looking for the next job before it parks.
const SPIN: Duration = Duration::from_micros(500);

/// One call of [`broadcast`]: lives on the caller's stack for the round.
struct Call<'a> {
    f: &'a (dyn Fn() + Sync + 'a),
    /// Helpers allowed in.
    helpers: usize,
    joined: AtomicUsize,
    panicked: AtomicBool,
}

/// State the helpers and the callers share.
struct Shared {
    /// The open round's call, or null between rounds.
    call: AtomicPtr<Call<'static>>,
    /// Bumped when a round opens and when it closes.
    round: AtomicU64,
    /// Helpers running (or about to run) a call right now.
    inside: AtomicUsize,
    /// Helpers parked on `wake`.
    sleeping: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    /// One caller at a time; another caller meanwhile runs its job alone.
    busy: AtomicBool,
}

/// The process-wide helpers: one fewer than the cores (the caller is the last), none on a
/// single core or where threads cannot be started.
fn team() -> Option<&'static Shared> {
    static TEAM: OnceLock<Option<&'static Shared>> = OnceLock::new();
    *TEAM.get_or_init(|| {
        let cores = super::cores();
        let shared: &'static Shared = Box::leak(Box::new(Shared {
            call: AtomicPtr::new(std::ptr::null_mut()),
            round: AtomicU64::new(0),
            inside: AtomicUsize::new(0),
            sleeping: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            busy: AtomicBool::new(false),
        }));
        let started = (1..cores)
            .filter(|i| {
                std::thread::Builder::new()
                    .name(format!("aescope-helper-{i}"))
                    .spawn(move || helper(shared))
                    .is_ok()
            })
            .count();
        (started > 0).then_some(shared)
    })
}

/// Run `f` on the calling thread and, at the same time, on up to `helpers` helper threads.
/// `f` must divide its work by claiming it (every participant calls `f` once and takes what is
/// left), because helpers may join late or not at all. Returns when every participant is done.
///
/// # Panics
/// If `f` panicked on a helper (a bug: the work is incomplete).
pub(crate) fn broadcast(helpers: usize, f: &(dyn Fn() + Sync)) {
    let Some(shared) = team().filter(|_| helpers > 0) else {
        f();
        return;
    };
    if shared
        .busy
        .compare_exchange(false, true, SeqCst, SeqCst)
        .is_err()
    {
        f();
        return;
    }
    let call = Call {
        f,
        helpers,
        joined: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
    };
    // Closes the round even if `f` panics on this thread: no helper may see `call` afterwards.
    struct Round<'s>(&'s Shared);
    impl Drop for Round<'_> {
        fn drop(&mut self) {
            let s = self.0;
            s.call.store(std::ptr::null_mut(), SeqCst);
            s.round.fetch_add(1, SeqCst);
            // A helper counted in `inside` either saw the open round and runs `call` now, or
            // sees the closed round and leaves without touching it.
            let mut spins = 0u32;
            while s.inside.load(SeqCst) > 0 {
                pause(&mut spins);
            }
            s.busy.store(false, SeqCst);
        }
    }
    // The pointer is only used while this round is open and `call` alive (see `helper`).
    shared
        .call
        .store(std::ptr::from_ref(&call).cast_mut().cast(), SeqCst);
    shared.round.fetch_add(1, SeqCst);
    let round = Round(shared);
    if shared.sleeping.load(SeqCst) > 0 {
        let _guard = shared.lock.lock();
        shared.wake.notify_all();
    }
    f();
    drop(round);
    assert!(
        !call.panicked.load(SeqCst),
        "a helper thread panicked in a parallel section"
    );
}

/// Spin a little, then give the core away.
fn pause(spins: &mut u32) {
    if *spins < 1000 {
        *spins += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// A helper's life: wait for a round (spinning, then parked), join its call if allowed.
fn helper(s: &'static Shared) {
    let mut seen = s.round.load(SeqCst);
    loop {
        let idle = Instant::now();
        let mut round = s.round.load(SeqCst);
        while round == seen {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
            // Free on an idle core (nothing else to run), and on a busy machine it lets the
            // threads that have work run instead of this one's spinning.
            std::thread::yield_now();
            if idle.elapsed() > SPIN {
                let mut guard = s
                    .lock
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                s.sleeping.fetch_add(1, SeqCst);
                while s.round.load(SeqCst) == seen {
                    guard = s
                        .wake
                        .wait(guard)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                s.sleeping.fetch_sub(1, SeqCst);
            }
            round = s.round.load(SeqCst);
        }
        seen = round;
        s.inside.fetch_add(1, SeqCst);
        // Still the round we saw (not closed meanwhile): its call is alive until `inside`
        // drops back, because the caller waits for that before returning.
        let call = s.call.load(SeqCst);
        if s.round.load(SeqCst) == round && !call.is_null() {
            // SAFETY: see above; `Call` is Sync (its fields are).
            let call = unsafe { &*call };
            if call.joined.fetch_add(1, SeqCst) < call.helpers
                && catch_unwind(AssertUnwindSafe(|| (call.f)())).is_err()
            {
                call.panicked.store(true, SeqCst);
            }
        }
        s.inside.fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unit is done exactly once, by at most `helpers + 1` threads, from many callers at
    /// once (a second caller runs alone while the team is busy).
    #[test]
    fn every_unit_runs_once_whoever_joins() {
        let callers: Vec<_> = (0..6)
            .map(|c| {
                std::thread::spawn(move || {
                    for round in 0..300 {
                        let units = 1 + (round * 7 + c) % 40;
                        let next = AtomicUsize::new(0);
                        let done: Vec<AtomicUsize> =
                            (0..units).map(|_| AtomicUsize::new(0)).collect();
                        let threads = Mutex::new(std::collections::HashSet::new());
                        let helpers = 1 + round % 3;
                        broadcast(helpers, &|| {
                            if let Ok(mut t) = threads.lock() {
                                t.insert(std::thread::current().id());
                            }
                            loop {
                                let i = next.fetch_add(1, SeqCst);
                                if i >= units {
                                    break;
                                }
                                done[i].fetch_add(1, SeqCst);
                            }
                        });
                        assert!(done.iter().all(|d| d.load(SeqCst) == 1));
                        let joined = threads.lock().map_or(0, |t| t.len());
                        assert!((1..=helpers + 1).contains(&joined), "{joined} threads");
                    }
                })
            })
            .collect();
        for c in callers {
            assert!(c.join().is_ok());
        }
    }

    /// A helper that panics makes the caller panic instead of returning with work undone.
    #[test]
    fn a_panicking_helper_is_reported() {
        if team().is_none() {
            return; // one core: nothing runs on a helper
        }
        let caller = std::thread::current().id();
        // Other tests may hold the team (the job then runs alone): retry until a helper joined.
        for _ in 0..200 {
            let helper_joined = AtomicBool::new(false);
            let result = catch_unwind(AssertUnwindSafe(|| {
                broadcast(1, &|| {
                    if std::thread::current().id() != caller {
                        helper_joined.store(true, SeqCst);
                        panic!("helper");
                    }
                    // Long enough for the helper to join.
                    std::thread::sleep(Duration::from_millis(20));
                });
            }));
            if helper_joined.load(SeqCst) {
                assert!(result.is_err(), "the helper's panic was swallowed");
                // The team still works afterwards.
                let n = AtomicUsize::new(0);
                broadcast(1, &|| {
                    n.fetch_add(1, SeqCst);
                });
                assert!(n.load(SeqCst) >= 1);
                return;
            }
        }
        panic!("no helper ever joined");
    }
}
