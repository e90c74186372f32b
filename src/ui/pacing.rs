//! When to ask the worker for matrix snapshots. A snapshot costs the training thread a Gram
//! matrix and an n×n eigendecomposition (milliseconds at n = 128, about a second at n = 2000),
//! so the interface asks for one, waits for it, and asks again only after a pause long enough
//! that snapshots take at most a sixtieth of the worker's time (and at most four a second:
//! the eye needs no more).

use crate::train::protocol::{Command, SnapshotRequest};
use std::time::{Duration, Instant};

/// Pause after a snapshot per unit of time it took to arrive.
const COST_FACTOR: u32 = 60;
/// Shortest pause between snapshots.
const MIN_PAUSE: Duration = Duration::from_millis(250);
/// Longest pause, so that even a huge n updates now and then.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// Ask again when an answer has not come in this long (an event dropped on a full channel).
const LOST_AFTER: Duration = Duration::from_secs(10);

/// One outstanding snapshot request at a time, spaced by what the last one cost.
#[derive(Debug, Clone, Default)]
pub struct SnapshotPacer {
    /// What the panel wants.
    want: Option<SnapshotRequest>,
    /// When the outstanding request was sent.
    asked_at: Option<Instant>,
    /// When to ask again.
    next: Option<Instant>,
}

impl SnapshotPacer {
    /// The panel wants these snapshots from now on: ask at once (a new view should appear
    /// promptly).
    pub fn want(&mut self, req: SnapshotRequest, now: Instant) -> Command {
        self.want = Some(req);
        self.asked_at = Some(now);
        self.next = None;
        Command::WantSnapshots(Some(req))
    }

    /// A snapshot arrived: stop the stream and schedule the next request.
    pub fn arrived(&mut self, now: Instant) -> Option<Command> {
        let asked = self.asked_at.take()?;
        let cost = now.saturating_duration_since(asked);
        let pause = (cost * COST_FACTOR).clamp(MIN_PAUSE, MAX_PAUSE);
        self.next = Some(now + pause);
        Some(Command::WantSnapshots(None))
    }

    /// The request to send now, if one is due.
    pub fn due(&mut self, now: Instant) -> Option<Command> {
        let req = self.want?;
        let lost = self
            .asked_at
            .is_some_and(|t| now.saturating_duration_since(t) >= LOST_AFTER);
        let scheduled = self.next.is_some_and(|t| now >= t);
        if lost || scheduled {
            return Some(self.want(req, now));
        }
        None
    }

    /// When [`SnapshotPacer::due`] will next have something to send.
    pub fn wake_at(&self) -> Option<Instant> {
        self.want?;
        match (self.next, self.asked_at) {
            (Some(t), _) => Some(t),
            (None, Some(t)) => Some(t + LOST_AFTER),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::protocol::MatrixView;

    const REQ: SnapshotRequest = SnapshotRequest {
        view: MatrixView::Gram,
        max_side: 40,
    };

    #[test]
    fn one_request_at_a_time_spaced_by_cost() {
        let t0 = Instant::now();
        let mut p = SnapshotPacer::default();
        assert_eq!(p.due(t0), None);
        assert_eq!(p.want(REQ, t0), Command::WantSnapshots(Some(REQ)));
        // Outstanding: nothing more to send.
        assert_eq!(p.due(t0 + Duration::from_millis(5)), None);
        // A 40 ms snapshot: pause 2.4 s.
        let t1 = t0 + Duration::from_millis(40);
        assert_eq!(p.arrived(t1), Some(Command::WantSnapshots(None)));
        assert_eq!(p.wake_at(), Some(t1 + Duration::from_millis(2400)));
        assert_eq!(p.due(t1 + Duration::from_millis(2300)), None);
        assert_eq!(
            p.due(t1 + Duration::from_millis(2400)),
            Some(Command::WantSnapshots(Some(REQ)))
        );
    }

    #[test]
    fn cheap_snapshots_come_four_times_a_second_at_most() {
        let t0 = Instant::now();
        let mut p = SnapshotPacer::default();
        p.want(REQ, t0);
        let t1 = t0 + Duration::from_millis(1);
        p.arrived(t1);
        assert_eq!(p.wake_at(), Some(t1 + MIN_PAUSE));
    }

    #[test]
    fn a_lost_answer_is_asked_again() {
        let t0 = Instant::now();
        let mut p = SnapshotPacer::default();
        p.want(REQ, t0);
        assert_eq!(p.wake_at(), Some(t0 + LOST_AFTER));
        assert_eq!(
            p.due(t0 + LOST_AFTER),
            Some(Command::WantSnapshots(Some(REQ)))
        );
        // A stray snapshot without a request changes nothing.
        let mut idle = SnapshotPacer::default();
        assert_eq!(idle.arrived(t0), None);
        assert_eq!(idle.wake_at(), None);
    }
}
