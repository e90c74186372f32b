//! What happened during a run, in order: every change of a setting (r, activation, optimizer,
//! decoder, learning rate), a reset, a resume, a divergence, and every message the bottom
//! border showed, in full. The risk chart ticks the changes on its step axis; the log overlay
//! lists everything. Filled by whichever front end reads the run.

/// Entries kept; the oldest go first (a user holding → must not grow memory forever).
pub const MAX_ENTRIES: usize = 2000;

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// r changed (a resize).
    Rate,
    /// The activation changed.
    Activation,
    /// The optimizer changed.
    Optimizer,
    /// The decoder mode changed.
    Decoder,
    /// The learning rate was scaled.
    Lr,
    /// The weights were reset (the step axis starts again).
    Reset,
    /// The run continued from a checkpoint.
    Resume,
    /// The loss became NaN/Inf.
    Divergence,
    /// A message (saved, exported, an error, paused…): no tick.
    Message,
}

impl EventKind {
    /// The tick's glyph on the step axis; None for messages.
    pub fn tick(self) -> Option<char> {
        Some(match self {
            EventKind::Rate => 'r',
            EventKind::Activation => 'a',
            EventKind::Optimizer => 'o',
            EventKind::Decoder => 'd',
            EventKind::Lr => 'η',
            EventKind::Reset => 'R',
            EventKind::Resume => 'C',
            EventKind::Divergence => '!',
            EventKind::Message => return None,
        })
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The step it happened at (of its segment).
    pub step: u64,
    /// Which run segment: resets start a new one (the step axis restarts).
    pub segment: u32,
    /// What it is.
    pub kind: EventKind,
    /// The full text.
    pub text: String,
    /// An error or a divergence.
    pub error: bool,
}

/// The run's events, oldest first.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    entries: Vec<Entry>,
    segment: u32,
}

impl EventLog {
    /// Add an entry at `step` of the current segment.
    pub fn push(&mut self, step: u64, kind: EventKind, text: impl Into<String>, error: bool) {
        self.entries.push(Entry {
            step,
            segment: self.segment,
            kind,
            text: text.into(),
            error,
        });
        if self.entries.len() > MAX_ENTRIES {
            self.entries.drain(..MAX_ENTRIES / 4);
        }
    }

    /// A reset: the entries so far stay, the ticks of the new segment start empty.
    pub fn new_segment(&mut self) {
        self.segment += 1;
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The ticks of the current segment: (step, glyph, kind), oldest first.
    pub fn ticks(&self) -> impl Iterator<Item = (f64, char, EventKind)> + '_ {
        self.entries
            .iter()
            .filter(|e| e.segment == self.segment)
            .filter_map(|e| e.kind.tick().map(|t| (e.step as f64, t, e.kind)))
    }

    /// Nothing logged yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_keep_the_entries_and_start_new_ticks() {
        let mut log = EventLog::default();
        log.push(100, EventKind::Rate, "r 0.5 → 0.6", false);
        log.push(150, EventKind::Message, "saved", false);
        assert_eq!(log.ticks().count(), 1);
        log.new_segment();
        log.push(0, EventKind::Reset, "reset", false);
        assert_eq!(log.len(), 3);
        let ticks: Vec<_> = log.ticks().collect();
        assert_eq!(ticks, vec![(0.0, 'R', EventKind::Reset)]);
        for i in 0..MAX_ENTRIES {
            log.push(i as u64, EventKind::Message, "m", false);
        }
        assert!(log.len() <= MAX_ENTRIES);
    }
}
