//! A desk's queue: severity rank first, then first come first served.

use std::collections::VecDeque;

/// The order of a case in a queue, field by field: rank (severity class, or 0 under
/// FIFO), then alert time, then incident index to break ties deterministically. (Fields
/// rather than one `u128`, whose alignment of 16 would pad every case and queue entry.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseKey {
    rank: u8,
    /// The alert time's bits: non-negative times order as their bits do.
    time: u64,
    incident: u32,
}

impl CaseKey {
    /// A key for a case of `rank` alerted at `time` (seconds, non-negative).
    pub fn new(rank: u8, time: f64, incident: u32) -> CaseKey {
        debug_assert!(time >= 0.0);
        CaseKey {
            rank,
            time: time.to_bits(),
            incident,
        }
    }

    /// The rank (lower is served first).
    pub fn rank(self) -> u8 {
        self.rank
    }

    /// The alert time.
    pub fn time(self) -> f64 {
        f64::from_bits(self.time)
    }
}

/// Cases waiting for an analyst, lowest key first: one FIFO lane per rank. Cases
/// nearly always join in alert order, so a join is a push at the back; a case passed
/// on from another desk is slotted in by its alert time.
#[derive(Debug, Default)]
pub struct DeskQueue {
    lanes: Vec<VecDeque<(CaseKey, u32)>>,
    len: usize,
}

impl DeskQueue {
    /// Adds a case slot.
    #[inline]
    pub fn push(&mut self, key: CaseKey, slot: u32) {
        let rank = usize::from(key.rank());
        if self.lanes.len() <= rank {
            self.lanes.resize_with(rank + 1, VecDeque::new);
        }
        let lane = &mut self.lanes[rank];
        match lane.back() {
            Some(&(last, _)) if last > key => {
                let at = lane.partition_point(|&(k, _)| k < key);
                lane.insert(at, (key, slot));
            }
            _ => lane.push_back((key, slot)),
        }
        self.len += 1;
    }

    /// The number of cases queued.
    #[inline]
    pub fn count(&self) -> usize {
        self.len
    }

    /// Removes the case to serve next.
    #[inline]
    pub fn pop(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let lane = self.lanes.iter_mut().find(|l| !l.is_empty())?;
        self.len -= 1;
        lane.pop_front().map(|(_, slot)| slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_by_rank_then_alert_time() {
        let mut q = DeskQueue::default();
        q.push(CaseKey::new(1, 10.0, 1), 1);
        q.push(CaseKey::new(0, 30.0, 2), 2);
        q.push(CaseKey::new(1, 5.0, 3), 3); // passed on from another desk: older
        q.push(CaseKey::new(0, 20.0, 4), 4);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![4, 2, 3, 1]);
    }
}
