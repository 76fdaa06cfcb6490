//! Streaming summaries of a run's outcomes, and their combination over replications.
//!
//! A run keeps counts, sums and fixed-size histograms per severity class, never the
//! outcomes themselves, so memory does not grow with the number of incidents.

pub mod ci;
pub mod store;

use hdrhistogram::Histogram;

use crate::engine::{Outcome, Sink, Status};
use crate::incidents::Incident;

/// The per-incident measures, each a duration in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Alert to the local police response: the primary metric.
    AlertToResponse,
    /// Signal online to the local police response.
    SignalToResponse,
    /// Signal to alert (detection).
    Detect,
    /// Waiting for an analyst at the watch desk.
    Queue,
    /// Triage by an analyst.
    Triage,
    /// Delays paid at shift changes.
    Handoff,
    /// Transit of the referral to the responsible country.
    Referral,
    /// Waiting for the receiving desk to open or call out.
    Desk,
    /// The local police response.
    Police,
}

impl Metric {
    /// How many metrics there are.
    pub const COUNT: usize = 9;

    /// Every metric, in output order.
    pub const ALL: [Metric; Metric::COUNT] = [
        Metric::AlertToResponse,
        Metric::SignalToResponse,
        Metric::Detect,
        Metric::Queue,
        Metric::Triage,
        Metric::Handoff,
        Metric::Referral,
        Metric::Desk,
        Metric::Police,
    ];

    /// The name used in the CSV files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::AlertToResponse => "alert_to_response",
            Metric::SignalToResponse => "signal_to_response",
            Metric::Detect => "detect",
            Metric::Queue => "queue",
            Metric::Triage => "triage",
            Metric::Handoff => "handoff",
            Metric::Referral => "referral",
            Metric::Desk => "desk",
            Metric::Police => "police",
        }
    }

    /// The metric of a CSV name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Position in [`Metric::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The metric's value for a responded incident, seconds.
    pub fn value(self, incident: &Incident, outcome: &Outcome) -> f64 {
        match self {
            Metric::AlertToResponse => outcome.alert_to_response(),
            Metric::SignalToResponse => outcome.response - incident.signal,
            Metric::Detect => outcome.detect,
            Metric::Queue => outcome.queue,
            Metric::Triage => outcome.triage,
            Metric::Handoff => outcome.handoff,
            Metric::Referral => outcome.referral,
            Metric::Desk => outcome.desk,
            Metric::Police => outcome.police,
        }
    }
}

/// Longest duration a histogram holds: a year, in seconds (longer values count as a
/// year; quantiles beyond it read as one year).
const MAX_SECS: u64 = 366 * 86_400;

/// Alert → response, the primary metric, gets three significant digits; the other
/// metrics two (1 %), which keeps the many per-run histograms small.
fn histogram(metric: Metric) -> Histogram<u32> {
    let digits = if metric == Metric::AlertToResponse {
        3
    } else {
        2
    };
    Histogram::new_with_max(MAX_SECS, digits).expect("valid histogram bounds")
}

/// Summaries of one severity class (or of all) in one run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ClassStats {
    /// Counted incidents (signal after the warm-up).
    pub n: u64,
    /// Missed: the signal vanished before detection.
    pub missed: u64,
    /// Still open at the horizon.
    pub open: u64,
    /// Responded.
    pub responded: u64,
    /// Sum of each metric over responded incidents, seconds.
    pub sums: [f64; Metric::COUNT],
    /// Responded incidents with alert → response within each SLA threshold.
    pub within: Vec<u64>,
    /// Histogram of each metric over responded incidents, whole seconds, in
    /// [`Metric::ALL`] order (stored as sparse (value, count) lists).
    #[serde(with = "store::histograms")]
    pub histograms: Vec<Histogram<u32>>,
}

impl ClassStats {
    fn new(sla: usize) -> ClassStats {
        ClassStats {
            n: 0,
            missed: 0,
            open: 0,
            responded: 0,
            sums: [0.0; Metric::COUNT],
            within: vec![0; sla],
            histograms: Metric::ALL.into_iter().map(histogram).collect(),
        }
    }

    /// Adds another summary into this one.
    pub fn merge(&mut self, other: &ClassStats) {
        self.n += other.n;
        self.missed += other.missed;
        self.open += other.open;
        self.responded += other.responded;
        for (a, b) in self.sums.iter_mut().zip(other.sums) {
            *a += b;
        }
        for (a, b) in self.within.iter_mut().zip(&other.within) {
            *a += b;
        }
        for (a, b) in self.histograms.iter_mut().zip(&other.histograms) {
            a.add(b).expect("histograms share their bounds");
        }
    }

    /// Mean of metric `m` over responded incidents, seconds (NaN if none).
    pub fn mean(&self, m: Metric) -> f64 {
        if self.responded == 0 {
            f64::NAN
        } else {
            self.sums[m.index()] / self.responded as f64
        }
    }

    /// Quantile `q` of metric `m`, seconds (NaN if none).
    pub fn quantile(&self, m: Metric, q: f64) -> f64 {
        if self.responded == 0 {
            f64::NAN
        } else {
            self.histograms[m.index()].value_at_quantile(q) as f64
        }
    }

    /// Share of detected incidents (counted, not missed) responded within SLA `i`; an
    /// open incident has not responded within any threshold.
    pub fn share_within(&self, i: usize) -> f64 {
        let detected = self.n - self.missed;
        if detected == 0 {
            f64::NAN
        } else {
            self.within[i] as f64 / detected as f64
        }
    }

    /// Share of counted incidents that were missed.
    pub fn missed_share(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.missed as f64 / self.n as f64
        }
    }

    /// Share of counted incidents still open at the horizon.
    pub fn open_share(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.open as f64 / self.n as f64
        }
    }
}

/// The [`Sink`] of a normal run: per-class summaries of the counted incidents.
///
/// Its serde form (the classes and weeks) is what a finished work item keeps on disk;
/// a stored run is read back through [`RunStats::restored`], which checks it against
/// the study.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunStats {
    /// One summary per severity class.
    pub classes: Vec<ClassStats>,
    /// All classes by week of the horizon (by signal time), for delay-by-week charts.
    pub weeks: Vec<WeekStats>,
    /// Per class and metric: zero values not yet in the histograms (none once sealed,
    /// so never stored).
    #[serde(skip)]
    zeros: Vec<[u64; Metric::COUNT]>,
    #[serde(skip)]
    sla: Vec<f64>,
    #[serde(skip)]
    warmup: f64,
}

/// Counts and sums of one week of the horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeekStats {
    /// Counted incidents signalled that week.
    pub n: u64,
    /// Of which missed.
    pub missed: u64,
    /// Of which responded.
    pub responded: u64,
    /// Sum of alert → response over responded, seconds.
    pub alert_to_response: f64,
    /// Sum of detection delay over responded, seconds.
    pub detect: f64,
}

impl RunStats {
    /// Empty summaries for `classes` severity classes over a horizon of `horizon` seconds.
    pub fn new(classes: usize, sla: &[f64], warmup: f64, horizon: f64) -> RunStats {
        RunStats {
            classes: (0..classes).map(|_| ClassStats::new(sla.len())).collect(),
            weeks: vec![
                WeekStats::default();
                (horizon / crate::scenario::units::WEEK).ceil() as usize
            ],
            zeros: vec![[0; Metric::COUNT]; classes],
            sla: sla.to_vec(),
            warmup,
        }
    }

    /// Moves the zero values counted apart into the histograms: call once the run is
    /// over, before reading quantiles.
    pub fn seal(&mut self) {
        for (c, zeros) in self.classes.iter_mut().zip(&mut self.zeros) {
            for (h, z) in c.histograms.iter_mut().zip(zeros.iter_mut()) {
                if *z > 0 {
                    h.saturating_record_n(0, u32::try_from(*z).unwrap_or(u32::MAX));
                    *z = 0;
                }
            }
        }
    }

    /// All classes together.
    pub fn all(&self) -> ClassStats {
        let mut all = ClassStats::new(self.sla.len());
        for c in &self.classes {
            all.merge(c);
        }
        all
    }
}

impl Sink for RunStats {
    #[inline]
    fn record(&mut self, _index: u32, incident: &Incident, outcome: &Outcome) {
        if incident.signal < self.warmup {
            return;
        }
        let c = &mut self.classes[incident.class as usize];
        c.n += 1;
        let week = &mut self.weeks[(incident.signal / crate::scenario::units::WEEK) as usize];
        week.n += 1;
        match outcome.status {
            Status::Missed => {
                c.missed += 1;
                week.missed += 1;
            }
            Status::Open => c.open += 1,
            Status::Responded => {
                week.responded += 1;
                week.alert_to_response += outcome.alert_to_response();
                week.detect += outcome.detect;
                c.responded += 1;
                let values = Metric::ALL.map(|m| m.value(incident, outcome));
                let zeros = &mut self.zeros[incident.class as usize];
                for (m, v) in values.iter().enumerate() {
                    c.sums[m] += v;
                    // Whole seconds, rounded (values are never negative). Stages that
                    // take no time are common, so zeros are counted apart and added to
                    // the histograms once, by `seal`.
                    let secs = (v + 0.5) as u64;
                    if secs == 0 {
                        zeros[m] += 1;
                    } else {
                        c.histograms[m].saturating_record(secs);
                    }
                }
                let a2r = values[Metric::AlertToResponse.index()];
                for (w, t) in c.within.iter_mut().zip(&self.sla) {
                    *w += u64::from(a2r <= *t);
                }
            }
        }
    }
}
