//! The stop flag: raised by a signal handler or the consumer's thread, read by the trainer
//! between the large products of a population step or an evaluation. At d = 4096 one step and
//! one exact evaluation take seconds each, and a signal must end the run within about one
//! product, not after them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared by every clone; once raised it stays raised (the run is ending).
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Ask the computation in progress to stop at its next product boundary. Safe to call
    /// from a signal handler's thread.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag itself, for the closed-form kernels (which know nothing of training).
    pub(crate) fn shared(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}
