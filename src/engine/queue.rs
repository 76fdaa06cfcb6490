//! A desk's queue: severity rank first, then first come first served.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The order of a case in a queue, packed into one integer: rank (severity class, or 0
/// under FIFO), then alert time, then incident index to break ties deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseKey(u128);

impl CaseKey {
    /// A key for a case of `rank` alerted at `time` (seconds, non-negative).
    pub fn new(rank: u8, time: f64, incident: u32) -> CaseKey {
        debug_assert!(time >= 0.0);
        CaseKey(u128::from(rank) << 96 | u128::from(time.to_bits()) << 32 | u128::from(incident))
    }

    /// The rank (lower is served first).
    pub fn rank(self) -> u8 {
        (self.0 >> 96) as u8
    }

    /// The alert time.
    pub fn time(self) -> f64 {
        f64::from_bits((self.0 >> 32) as u64)
    }
}

/// Cases waiting for an analyst, lowest key first.
#[derive(Debug, Default)]
pub struct DeskQueue {
    heap: BinaryHeap<Reverse<(CaseKey, u32)>>,
}

impl DeskQueue {
    /// Adds a case slot.
    pub fn push(&mut self, key: CaseKey, slot: u32) {
        self.heap.push(Reverse((key, slot)));
    }

    /// Removes the case to serve next.
    pub fn pop(&mut self) -> Option<u32> {
        self.heap.pop().map(|Reverse((_, slot))| slot)
    }
}
