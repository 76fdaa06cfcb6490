//! Run summaries as JSON, exactly: what finished runs leave on disk so that an
//! interrupted run can resume and shards can be merged.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::{ClassStats, RunStats, WeekStats, histogram};

/// A [`RunStats`] in storable form.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredRun {
    classes: Vec<StoredClass>,
    weeks: Vec<WeekStats>,
}

/// A [`ClassStats`] with its histograms as sparse (value, count) lists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredClass {
    n: u64,
    missed: u64,
    open: u64,
    responded: u64,
    sums: [f64; 9],
    within: Vec<u64>,
    histograms: Vec<Vec<(u64, u64)>>,
}

impl From<&ClassStats> for StoredClass {
    fn from(c: &ClassStats) -> StoredClass {
        StoredClass {
            n: c.n,
            missed: c.missed,
            open: c.open,
            responded: c.responded,
            sums: c.sums,
            within: c.within.clone(),
            histograms: c
                .histograms
                .iter()
                .map(|h| {
                    h.iter_recorded()
                        .map(|v| (v.value_iterated_to(), u64::from(v.count_at_value())))
                        .collect()
                })
                .collect(),
        }
    }
}

impl StoredClass {
    /// Rebuilds the summary; `None` if the stored data is not a valid summary.
    pub fn restore(&self) -> Option<ClassStats> {
        if self.histograms.len() != super::METRICS.len() {
            return None;
        }
        let histograms = self
            .histograms
            .iter()
            .enumerate()
            .map(|(m, values)| {
                let mut h: Histogram<u32> = histogram(m < 2);
                for &(v, c) in values {
                    h.record_n(v, u32::try_from(c).ok()?).ok()?;
                }
                Some(h)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ClassStats {
            n: self.n,
            missed: self.missed,
            open: self.open,
            responded: self.responded,
            sums: self.sums,
            within: self.within.clone(),
            histograms,
        })
    }
}

impl RunStats {
    /// The summaries in storable form.
    pub fn store(&self) -> StoredRun {
        StoredRun {
            classes: self.classes.iter().map(StoredClass::from).collect(),
            weeks: self.weeks.clone(),
        }
    }

    /// Rebuilds run summaries from storage.
    pub fn restore(stored: &StoredRun, sla: &[f64], warmup: f64) -> Option<RunStats> {
        let classes = stored
            .classes
            .iter()
            .map(StoredClass::restore)
            .collect::<Option<Vec<_>>>()?;
        if classes.iter().any(|c| c.within.len() != sla.len()) {
            return None;
        }
        Some(RunStats {
            classes,
            weeks: stored.weeks.clone(),
            sla: sla.to_vec(),
            warmup,
        })
    }
}
