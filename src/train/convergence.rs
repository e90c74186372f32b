//! The convergence stop of `aescope sweep --until-converged`: a run has converged when its risk
//! changed by less than a relative tolerance over a window of steps.
//!
//! The risk series it watches is chosen by the worker: in population mode the exact risk at
//! every step (what the step returns), in sample mode the evaluated risk at every report (exact
//! for Gaussian data, the held-out validation risk otherwise). The minibatch loss is never used:
//! its sampling noise alone is larger than any useful tolerance.

pub use crate::protocol::Convergence;
use std::collections::VecDeque;

/// The risk history a [`Convergence`] criterion needs: only values less than one window old,
/// plus the newest value at least a window old (memory is O(window), not O(steps)).
#[derive(Debug, Clone)]
pub struct ConvergenceTracker {
    rule: Convergence,
    /// (step, risk), oldest first.
    history: VecDeque<(u64, f64)>,
}

impl ConvergenceTracker {
    pub fn new(rule: Convergence) -> Self {
        ConvergenceTracker {
            rule,
            history: VecDeque::new(),
        }
    }

    /// The criterion this tracker applies.
    pub fn rule(&self) -> Convergence {
        self.rule
    }

    /// Record the risk at `step` and say whether the run has converged. A non-finite risk
    /// never converges and clears the history (the window starts again).
    pub fn push(&mut self, step: u64, risk: f64) -> bool {
        if !risk.is_finite() {
            self.history.clear();
            return false;
        }
        let Some(cutoff) = step.checked_sub(self.rule.window) else {
            self.history.push_back((step, risk));
            return false;
        };
        // Keep exactly one value at or before the cutoff: the newest such, the reference.
        while self.history.len() >= 2 && self.history[1].0 <= cutoff {
            self.history.pop_front();
        }
        let reference = self.history.front().filter(|(s, _)| *s <= cutoff).copied();
        self.history.push_back((step, risk));
        match reference {
            Some((_, old)) => (risk - old).abs() <= self.rule.tol * risk.abs(),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(tol: f64, window: u64) -> ConvergenceTracker {
        ConvergenceTracker::new(Convergence { tol, window })
    }

    #[test]
    fn needs_a_full_window() {
        let mut t = tracker(1e-3, 10);
        for s in 0..10 {
            assert!(!t.push(s, 1.0), "converged at step {s} before a window");
        }
        assert!(t.push(10, 1.0));
    }

    #[test]
    fn relative_change_over_the_window() {
        let mut t = tracker(1e-3, 5);
        // Decays by 1e-3 per step: a relative change over 5 steps of about 5e-3.
        let r = |s: u64| 1.0 - 1e-3 * s as f64;
        assert!((0..20).all(|s| !t.push(s, r(s))));
        let mut t = tracker(1e-2, 5);
        assert!((0..5).all(|s| !t.push(s, r(s))));
        assert!(t.push(5, r(5)));
    }

    #[test]
    fn sparse_reports_compare_with_the_newest_old_enough_value() {
        // Reports every 50 steps, window 100: at step 200 the reference is step 100.
        let mut t = tracker(0.01, 100);
        assert!(!t.push(50, 2.0));
        assert!(!t.push(100, 1.0));
        assert!(!t.push(150, 0.5));
        assert!(
            !t.push(200, 0.5),
            "step 200 must compare with step 100, not 150"
        );
        assert!(t.push(250, 0.5));
    }

    #[test]
    fn nan_restarts_the_window() {
        let mut t = tracker(1e-3, 2);
        t.push(0, 1.0);
        t.push(1, 1.0);
        assert!(!t.push(2, f64::NAN));
        assert!(!t.push(3, 1.0));
        assert!(!t.push(4, 1.0));
        assert!(t.push(5, 1.0));
    }
}
