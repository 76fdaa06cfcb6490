//! Run summaries on disk, exactly: what finished work items leave behind so that an
//! interrupted run can resume and shards can be merged. [`RunStats`] and
//! [`ClassStats`](super::ClassStats) derive their serde form; this module holds the one
//! part that needs help (histograms, in HdrHistogram's encoding) and the check that a
//! stored run fits the study reading it.

use super::{Metric, RunSetup, RunStats};

impl RunStats {
    /// A stored run made ready for the study it belongs to; `None` if it does not fit
    /// the study's setup (another scenario's or a damaged item).
    pub fn restored(mut self, setup: &RunSetup) -> Option<RunStats> {
        let weeks = (setup.horizon / crate::scenario::units::WEEK).ceil() as usize;
        let sla = setup.sla.len();
        let fits = [&self.members, &self.non_members].iter().all(|scope| {
            scope.len() == setup.classes
                && scope.iter().all(|c| {
                    c.within.len() == sla
                        && c.signal_within.len() == sla
                        && c.lost_own_hours.len() == sla
                        && c.histograms.len() == Metric::COUNT
                        && c.missed + c.open + c.responded == c.n
                })
        }) && self.weeks.iter().all(|w| w.len() == weeks)
            && self.windows.len() == setup.windows.len()
            && self.signals_by_hour.len() == 24
            && self.windows.iter().flatten().all(|w| w.within.len() == sla);
        if !fits {
            return None;
        }
        self.zeros = [0, 1].map(|_| vec![[0; Metric::COUNT]; setup.classes]);
        self.setup = Some(setup.clone());
        Some(self)
    }
}

/// Serde form of a class's histograms, one per metric: HdrHistogram's V2 encoding (the
/// counts, run-length and varint coded) as bytes. It reads and writes the counts
/// directly, several times faster than listing (value, count) pairs, and keeps items
/// small.
pub mod histograms {
    use hdrhistogram::Histogram;
    use hdrhistogram::serialization::Deserializer as V2Reader;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_bytes::ByteBuf;

    use crate::stats::tally::Tally;
    use crate::stats::{Metric, histogram};

    /// Bytes of a V2 header before its counts: cookie, payload length, normalising
    /// offset, digits, lowest and highest value, ratio.
    const HEADER: usize = 40;

    /// A tally written as the bytes of its V2 encoding.
    struct V2<'a>(&'a Tally);

    impl Serialize for V2<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut bytes = Vec::new();
            self.0.encode_v2(&mut bytes);
            serializer.serialize_bytes(&bytes)
        }
    }

    /// Writes each histogram as the bytes of its V2 encoding.
    pub fn serialize<S: Serializer>(
        histograms: &[Tally],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(histograms.iter().map(V2))
    }

    /// Rebuilds the histograms, one per metric in [`Metric::ALL`] order, each with the
    /// precision its metric is recorded at.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Tally>, D::Error> {
        let encoded = Vec::<ByteBuf>::deserialize(deserializer)?;
        if encoded.len() != Metric::COUNT {
            return Err(D::Error::custom(format!(
                "{} histograms instead of {}",
                encoded.len(),
                Metric::COUNT
            )));
        }
        let mut reader = V2Reader::new();
        encoded
            .iter()
            .zip(Metric::ALL)
            .map(|(bytes, metric)| {
                // The reader allocates the payload length the header claims: check it
                // against what is there before trusting it (a damaged item).
                let claimed = bytes
                    .get(4..8)
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
                if claimed.is_none_or(|n| n > bytes.len().saturating_sub(HEADER)) {
                    return Err(D::Error::custom("a truncated histogram"));
                }
                let h: Histogram<u32> = reader
                    .deserialize(&mut bytes.as_slice())
                    .map_err(|e| D::Error::custom(format!("a damaged histogram: {e:?}")))?;
                let digits = histogram(metric).digits();
                if h.sigfig() != digits || h.low() != 1 {
                    return Err(D::Error::custom(format!(
                        "a {} histogram of {} digits from {} instead of {digits} from 1",
                        metric.name(),
                        h.sigfig(),
                        h.low()
                    )));
                }
                Ok(Tally::from_hdr(&h))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Outcome, Sink, Status};
    use crate::incidents::Incident;

    #[test]
    fn a_stored_run_reads_back_exactly() {
        let setup = RunSetup {
            classes: 2,
            sla: vec![3600.0],
            warmup: 0.0,
            horizon: 14.0 * 86_400.0,
            members: 1,
            windows: vec![(0.0, 10_000.0)],
        };
        let mut run = RunStats::new(&setup);
        for i in 0..50u32 {
            let signal = f64::from(i) * 1000.0;
            let incident = Incident {
                signal,
                jurisdiction: Some((i % 3) as u16),
                class: (i % 2) as u8,
                visibility: f64::INFINITY,
                detect: 60.0,
                triage: 0.0,
                domestic: 0.0,
                cross_border: 0.0,
                international: 0.0,
                callout: 0.0,
                police: f64::from(i) * 100.0,
                non_member_police: 0.0,
                handoff: crate::incidents::HandoffDraw::Keyed(0),
            };
            let status = if i % 7 == 0 {
                Status::Missed
            } else {
                Status::Responded
            };
            let outcome = Outcome {
                status,
                watch_agency: Some(0),
                alert: signal + 60.0,
                response: signal + 60.0 + incident.police,
                detect: 60.0,
                queue: 0.0,
                triage: 0.0,
                handoff: 0.0,
                referral: 0.0,
                desk: 0.0,
                police: incident.police,
                response_own_hours: signal + 60.0 + incident.police,
            };
            run.record(i, &incident, &outcome);
        }
        run.finish();
        let bytes = postcard::to_allocvec(&run).unwrap();
        let back: RunStats = postcard::from_bytes(&bytes).unwrap();
        let back = back.restored(&setup).unwrap();
        assert_eq!(postcard::to_allocvec(&back).unwrap(), bytes);
        for m in Metric::ALL {
            assert_eq!(back.all().quantile(m, 0.9), run.all().quantile(m, 0.9));
        }
        // Another scenario's SLA thresholds do not fit.
        let again: RunStats = postcard::from_bytes(&bytes).unwrap();
        let other = RunSetup {
            sla: vec![3600.0, 7200.0],
            ..setup.clone()
        };
        assert!(again.restored(&other).is_none());
        // Members and non-members add up to every incident.
        let (m, n, a) = (
            back.scope(crate::stats::Scope::Members),
            back.scope(crate::stats::Scope::NonMembers),
            back.all(),
        );
        assert_eq!(m.n + n.n, a.n);
        assert_eq!(m.within[0] + n.within[0], a.within[0]);
    }
}
