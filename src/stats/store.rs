//! Run summaries as JSON, exactly: what finished runs leave on disk so that an
//! interrupted run can resume and shards can be merged.

use hdrhistogram::Histogram;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use super::{ALERT_TO_RESPONSE, ClassStats, RunStats, WeekStats, histogram};

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
                let mut h: Histogram<u32> = histogram(m == ALERT_TO_RESPONSE);
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
            zeros: vec![[0; 9]; classes.len()],
            classes,
            weeks: stored.weeks.clone(),
            sla: sla.to_vec(),
            warmup,
        })
    }
}

/// A run's summaries serialised in place, in the same form as [`StoredRun`], without
/// building the sparse histogram lists in memory first.
pub struct StoredRunRef<'a>(pub &'a RunStats);

struct ClassRef<'a>(&'a ClassStats);

struct HistogramRef<'a>(&'a Histogram<u32>);

impl Serialize for StoredRunRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut st = serializer.serialize_struct("StoredRun", 2)?;
        let classes: Vec<ClassRef> = self.0.classes.iter().map(ClassRef).collect();
        st.serialize_field("classes", &classes)?;
        st.serialize_field("weeks", &self.0.weeks)?;
        st.end()
    }
}

impl Serialize for ClassRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut st = serializer.serialize_struct("StoredClass", 7)?;
        st.serialize_field("n", &c.n)?;
        st.serialize_field("missed", &c.missed)?;
        st.serialize_field("open", &c.open)?;
        st.serialize_field("responded", &c.responded)?;
        st.serialize_field("sums", &c.sums)?;
        st.serialize_field("within", &c.within)?;
        let histograms: Vec<HistogramRef> = c.histograms.iter().map(HistogramRef).collect();
        st.serialize_field("histograms", &histograms)?;
        st.end()
    }
}

impl Serialize for HistogramRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for v in self.0.iter_recorded() {
            seq.serialize_element(&(v.value_iterated_to(), u64::from(v.count_at_value())))?;
        }
        seq.end()
    }
}
