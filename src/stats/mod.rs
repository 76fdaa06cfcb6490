//! Streaming summaries of a run's outcomes, and their combination over replications.
//!
//! A run keeps counts, sums and histograms (as wide as their values) per severity class, never the
//! outcomes themselves, so memory does not grow with the number of incidents.

pub mod ci;
pub mod store;
pub mod tally;

use tally::Tally;

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

/// The largest value the year-bounded histograms watchsim first used could hold in
/// place (their counts reached the next power of two): values up to it were kept as
/// they were, longer ones read as [`MAX_SECS`]. Histograms now grow only as far as
/// their values do, which keeps the many per-run ones small, and clamp the same way.
const TOP_SECS: u64 = (MAX_SECS + 1).next_power_of_two() - 1;

/// Alert → response, the primary metric, gets three significant digits; the other
/// metrics two (1 %), which keeps the many per-run histograms small.
fn histogram(metric: Metric) -> Tally {
    Tally::new(digits(metric))
}

/// Significant digits of metric `metric`'s histograms.
fn digits(metric: Metric) -> u8 {
    if metric == Metric::AlertToResponse {
        3
    } else {
        2
    }
}

/// Records one duration of whole seconds, clamped as described at [`TOP_SECS`].
#[inline]
fn record_secs(h: &mut Tally, secs: u64) {
    h.record(if secs <= TOP_SECS { secs } else { MAX_SECS });
}

/// Whose cases a figure covers, at a given agency count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Incidents whose country is an admitted member at that agency count: the cases
    /// the taskforce hands to its own police.
    Members,
    /// The rest of the world and roster countries not (yet) admitted at that count.
    NonMembers,
    /// Every incident (the same incidents at every agency count).
    All,
}

impl Scope {
    /// Every scope, in output order.
    pub const ALL: [Scope; 3] = [Scope::Members, Scope::NonMembers, Scope::All];

    /// The name used in the outputs.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Members => "members",
            Scope::NonMembers => "non_members",
            Scope::All => "all",
        }
    }
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
    /// Responded incidents with signal → response within each SLA threshold.
    pub signal_within: Vec<u64>,
    /// Of `within`, the incidents that would not have been responded within each SLA
    /// threshold had the referral desks kept their own hours while their agency held
    /// the watch ([`Outcome::response_own_hours`]): `within` minus these is what
    /// `within` would be with `desk_open_on_watch = false`.
    pub lost_own_hours: Vec<u64>,
    /// Histogram of each metric over responded incidents, whole seconds, in
    /// [`Metric::ALL`] order (stored in HdrHistogram's encoding).
    #[serde(with = "store::histograms")]
    pub histograms: Vec<Tally>,
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
            signal_within: vec![0; sla],
            lost_own_hours: vec![0; sla],
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
        for (a, b) in self.signal_within.iter_mut().zip(&other.signal_within) {
            *a += b;
        }
        for (a, b) in self.lost_own_hours.iter_mut().zip(&other.lost_own_hours) {
            *a += b;
        }
        for (a, b) in self.histograms.iter_mut().zip(&other.histograms) {
            a.add(b);
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

    /// Quantile `q` of metric `m` over responded incidents, seconds (NaN if none).
    pub fn quantile(&self, m: Metric, q: f64) -> f64 {
        if self.responded == 0 {
            f64::NAN
        } else {
            self.histograms[m.index()].value_at_quantile(q) as f64
        }
    }

    fn share(&self, count: u64) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            count as f64 / self.n as f64
        }
    }

    /// Share of counted incidents responded within SLA `i` of the alert. Missed and
    /// still-open incidents count as failures: they are in the denominator.
    pub fn share_within(&self, i: usize) -> f64 {
        self.share(self.within[i])
    }

    /// Share of counted incidents responded within SLA `i` of the signal (what the
    /// public experiences: detection counts too).
    pub fn signal_share_within(&self, i: usize) -> f64 {
        self.share(self.signal_within[i])
    }

    /// Share of counted incidents that would have been responded within SLA `i` of the
    /// alert had the desks kept their own hours ([`ClassStats::lost_own_hours`]).
    pub fn share_within_own_hours(&self, i: usize) -> f64 {
        self.share(self.within[i] - self.lost_own_hours[i])
    }

    /// Share of counted incidents that were missed.
    pub fn missed_share(&self) -> f64 {
        self.share(self.missed)
    }

    /// Share of counted incidents still open at the horizon.
    pub fn open_share(&self) -> f64 {
        self.share(self.open)
    }

    /// Share of counted incidents that were responded (where the ECDF of alert →
    /// response levels off).
    pub fn responded_share(&self) -> f64 {
        self.share(self.responded)
    }
}

/// One severity class's counts and histograms pooled over replications. Integers only,
/// so pooling is exact and gives the same pool whatever order the runs come in: runs
/// can be pooled as they finish, on any thread, and then dropped.
#[derive(Debug, Clone)]
pub struct Pooled {
    /// Counted incidents.
    pub n: u64,
    /// Missed.
    pub missed: u64,
    /// Still open at the horizon.
    pub open: u64,
    /// Responded.
    pub responded: u64,
    /// Responded within each SLA threshold of the alert.
    pub within: Vec<u64>,
    /// Responded within each SLA threshold of the signal.
    pub signal_within: Vec<u64>,
    /// Histogram of each metric, in [`Metric::ALL`] order.
    pub histograms: Vec<Tally>,
    /// Sum of each metric over responded incidents, seconds. Floating-point sums
    /// depend on their order, so [`Pooled::add`] leaves them out: whoever pools sets
    /// them from the runs in replication order ([`Pooled::add_sums`]).
    pub sums: [f64; Metric::COUNT],
}

impl Pooled {
    /// An empty pool for `sla` thresholds.
    pub fn new(sla: usize) -> Pooled {
        Pooled {
            n: 0,
            missed: 0,
            open: 0,
            responded: 0,
            within: vec![0; sla],
            signal_within: vec![0; sla],
            histograms: Metric::ALL.into_iter().map(histogram).collect(),
            sums: [0.0; Metric::COUNT],
        }
    }

    /// Adds one run's sums: call for every run, in replication order.
    pub fn add_sums(&mut self, c: &ClassStats) {
        for (a, b) in self.sums.iter_mut().zip(c.sums) {
            *a += b;
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

    /// Adds one run's summary of a class, but not its sums (see [`Pooled::sums`]).
    pub fn add(&mut self, c: &ClassStats) {
        self.add_parts(
            c.n,
            c.missed,
            c.open,
            c.responded,
            &c.within,
            &c.signal_within,
            &c.histograms,
        );
    }

    /// Adds another pool.
    pub fn merge(&mut self, p: &Pooled) {
        self.add_parts(
            p.n,
            p.missed,
            p.open,
            p.responded,
            &p.within,
            &p.signal_within,
            &p.histograms,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn add_parts(
        &mut self,
        n: u64,
        missed: u64,
        open: u64,
        responded: u64,
        within: &[u64],
        signal_within: &[u64],
        histograms: &[Tally],
    ) {
        self.n += n;
        self.missed += missed;
        self.open += open;
        self.responded += responded;
        for (a, b) in self.within.iter_mut().zip(within) {
            *a += b;
        }
        for (a, b) in self.signal_within.iter_mut().zip(signal_within) {
            *a += b;
        }
        for (a, b) in self.histograms.iter_mut().zip(histograms) {
            a.add(b);
        }
    }

    /// Quantile `q` of metric `m` over responded incidents, seconds (NaN if none).
    pub fn quantile(&self, m: Metric, q: f64) -> f64 {
        if self.responded == 0 {
            f64::NAN
        } else {
            self.histograms[m.index()].value_at_quantile(q) as f64
        }
    }

    /// Quantiles `qs` (ascending) of metric `m`, as [`Pooled::quantile`] reads each, in
    /// one walk over the histogram.
    pub fn quantiles(&self, m: Metric, qs: &[f64]) -> Vec<f64> {
        debug_assert!(qs.is_sorted());
        if self.responded == 0 {
            return vec![f64::NAN; qs.len()];
        }
        self.histograms[m.index()]
            .value_at_quantiles(qs.iter().copied())
            .map(|v| v as f64)
            .collect()
    }

    fn share(&self, count: u64) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            count as f64 / self.n as f64
        }
    }

    /// Share of counted incidents responded within SLA `i` of the alert.
    pub fn share_within(&self, i: usize) -> f64 {
        self.share(self.within[i])
    }

    /// Share of counted incidents still open at the horizon.
    pub fn open_share(&self) -> f64 {
        self.share(self.open)
    }
}

/// What a run's summaries are made for: the study's classes, SLA thresholds, warm-up,
/// horizon, the agency count (members are the first `members` of the roster) and the
/// dated outage windows whose incidents are summarised apart.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSetup {
    /// Severity classes.
    pub classes: usize,
    /// SLA thresholds, seconds.
    pub sla: Vec<f64>,
    /// Incidents signalled before this are not counted.
    pub warmup: f64,
    /// The horizon, seconds.
    pub horizon: f64,
    /// The agency count: jurisdictions below it are members.
    pub members: usize,
    /// Outage windows (start, end), seconds.
    pub windows: Vec<(f64, f64)>,
}

/// Counts and sums of the incidents signalled in one outage window.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowStats {
    /// Counted incidents signalled in the window.
    pub n: u64,
    /// Of which missed.
    pub missed: u64,
    /// Of which responded.
    pub responded: u64,
    /// Sum of alert → response over responded, seconds.
    pub alert_to_response: f64,
    /// Responded within each SLA threshold of the alert.
    pub within: Vec<u64>,
}

/// The [`Sink`] of a normal run: per-scope, per-class summaries of the counted
/// incidents.
///
/// Its serde form (the summaries) is what a finished work item keeps on disk; a stored
/// run is read back through [`RunStats::restored`], which checks it against the study.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunStats {
    /// Members' incidents, one summary per severity class.
    pub members: Vec<ClassStats>,
    /// Non-members' incidents, one summary per severity class.
    pub non_members: Vec<ClassStats>,
    /// By week of the horizon (by signal time), for delay-by-week charts: members',
    /// then non-members'.
    pub weeks: [Vec<WeekStats>; 2],
    /// Per outage window: members', then non-members'.
    pub windows: Vec<[WindowStats; 2]>,
    /// Counted incidents by UTC hour of their signal (the horizon starts at midnight
    /// UTC), for the arrival curve.
    pub signals_by_hour: Vec<u64>,
    /// Per scope, class and metric: zero durations not yet in the histograms (none once
    /// the run is over, so never stored).
    #[serde(skip)]
    zeros: [Vec<[u64; Metric::COUNT]>; 2],
    #[serde(skip)]
    setup: Option<RunSetup>,
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

impl WeekStats {
    /// Adds another week's counts into this one.
    pub fn merge(&mut self, other: &WeekStats) {
        self.n += other.n;
        self.missed += other.missed;
        self.responded += other.responded;
        self.alert_to_response += other.alert_to_response;
        self.detect += other.detect;
    }
}

impl WindowStats {
    fn new(sla: usize) -> WindowStats {
        WindowStats {
            within: vec![0; sla],
            ..WindowStats::default()
        }
    }

    /// Adds another window's counts into this one.
    pub fn merge(&mut self, other: &WindowStats) {
        self.n += other.n;
        self.missed += other.missed;
        self.responded += other.responded;
        self.alert_to_response += other.alert_to_response;
        for (a, b) in self.within.iter_mut().zip(&other.within) {
            *a += b;
        }
    }
}

impl RunStats {
    /// Empty summaries for a run.
    pub fn new(setup: &RunSetup) -> RunStats {
        let weeks = (setup.horizon / crate::scenario::units::WEEK).ceil() as usize;
        let classes = || {
            (0..setup.classes)
                .map(|_| ClassStats::new(setup.sla.len()))
                .collect::<Vec<_>>()
        };
        RunStats {
            members: classes(),
            non_members: classes(),
            weeks: [
                vec![WeekStats::default(); weeks],
                vec![WeekStats::default(); weeks],
            ],
            windows: setup
                .windows
                .iter()
                .map(|_| [0, 1].map(|_| WindowStats::new(setup.sla.len())))
                .collect(),
            signals_by_hour: vec![0; 24],
            zeros: [0, 1].map(|_| vec![[0; Metric::COUNT]; setup.classes]),
            setup: Some(setup.clone()),
        }
    }

    /// A copy without the per-class histograms (the bulk of a run's memory), for a run
    /// already pooled and summarised: its quantiles can no longer be read.
    pub fn without_histograms(&self) -> RunStats {
        let strip = |classes: &Vec<ClassStats>| {
            classes
                .iter()
                .map(|c| ClassStats {
                    histograms: Vec::new(),
                    within: c.within.clone(),
                    signal_within: c.signal_within.clone(),
                    lost_own_hours: c.lost_own_hours.clone(),
                    ..*c
                })
                .collect()
        };
        RunStats {
            members: strip(&self.members),
            non_members: strip(&self.non_members),
            weeks: self.weeks.clone(),
            windows: self.windows.clone(),
            signals_by_hour: self.signals_by_hour.clone(),
            zeros: [Vec::new(), Vec::new()],
            setup: self.setup.clone(),
        }
    }

    /// The summaries of one scope, per class (`All`: members' and non-members'
    /// together).
    pub fn classes(&self, scope: Scope) -> Vec<ClassStats> {
        match scope {
            Scope::Members => self.members.clone(),
            Scope::NonMembers => self.non_members.clone(),
            Scope::All => self
                .members
                .iter()
                .zip(&self.non_members)
                .map(|(m, n)| {
                    let mut c = m.clone();
                    c.merge(n);
                    c
                })
                .collect(),
        }
    }

    /// Every class of one scope together.
    pub fn scope(&self, scope: Scope) -> ClassStats {
        let parts: Vec<&ClassStats> = match scope {
            Scope::Members => self.members.iter().collect(),
            Scope::NonMembers => self.non_members.iter().collect(),
            Scope::All => self.members.iter().chain(&self.non_members).collect(),
        };
        let mut all = parts[0].clone();
        for c in &parts[1..] {
            all.merge(c);
        }
        all
    }

    /// Every incident together (all scopes, all classes).
    pub fn all(&self) -> ClassStats {
        self.scope(Scope::All)
    }

    /// Counted incidents, all scopes.
    pub fn counted(&self) -> u64 {
        self.members
            .iter()
            .chain(&self.non_members)
            .map(|c| c.n)
            .sum()
    }

    /// The weeks of one scope.
    pub fn weeks(&self, scope: Scope) -> Vec<WeekStats> {
        match scope {
            Scope::Members => self.weeks[0].clone(),
            Scope::NonMembers => self.weeks[1].clone(),
            Scope::All => {
                let mut w = self.weeks[0].clone();
                for (a, b) in w.iter_mut().zip(&self.weeks[1]) {
                    a.merge(b);
                }
                w
            }
        }
    }

    /// Outage window `i` for one scope.
    pub fn window(&self, i: usize, scope: Scope) -> WindowStats {
        let [m, n] = &self.windows[i];
        match scope {
            Scope::Members => m.clone(),
            Scope::NonMembers => n.clone(),
            Scope::All => {
                let mut w = m.clone();
                w.merge(n);
                w
            }
        }
    }
}

impl Sink for RunStats {
    #[inline]
    fn record(&mut self, _index: u32, incident: &Incident, outcome: &Outcome) {
        let setup = self.setup.as_ref().expect("a run's summaries have a setup");
        if incident.signal < setup.warmup {
            return;
        }
        let member = incident
            .jurisdiction
            .is_some_and(|j| usize::from(j) < setup.members);
        let scope = usize::from(!member);
        let class = incident.class as usize;
        let c = if scope == 0 {
            &mut self.members[class]
        } else {
            &mut self.non_members[class]
        };
        c.n += 1;
        // Hour and week indices without float divisions (see `whole_units`).
        use crate::scenario::units::whole_units;
        self.signals_by_hour[(whole_units(incident.signal, 3600) % 24) as usize] += 1;
        let week = &mut self.weeks[scope][whole_units(incident.signal, 7 * 24 * 3600) as usize];
        week.n += 1;
        let a2r = outcome.alert_to_response();
        for (i, &(from, to)) in setup.windows.iter().enumerate() {
            if (from..to).contains(&incident.signal) {
                let w = &mut self.windows[i][scope];
                w.n += 1;
                match outcome.status {
                    Status::Missed => w.missed += 1,
                    Status::Open => {}
                    Status::Responded => {
                        w.responded += 1;
                        w.alert_to_response += a2r;
                        for (n, t) in w.within.iter_mut().zip(&setup.sla) {
                            *n += u64::from(a2r <= *t);
                        }
                    }
                }
            }
        }
        match outcome.status {
            Status::Missed => {
                c.missed += 1;
                week.missed += 1;
            }
            Status::Open => c.open += 1,
            Status::Responded => {
                week.responded += 1;
                week.alert_to_response += a2r;
                week.detect += outcome.detect;
                c.responded += 1;
                // A plain loop: `Metric::ALL.map` was left as a call.
                let mut values = [0.0; Metric::COUNT];
                for (v, m) in values.iter_mut().zip(Metric::ALL) {
                    *v = m.value(incident, outcome);
                }
                let zeros = &mut self.zeros[scope][class];
                // Zipped, so that no metric's index is checked against three lengths.
                for (((v, sum), h), zero) in values
                    .iter()
                    .zip(&mut c.sums)
                    .zip(&mut c.histograms)
                    .zip(zeros.iter_mut())
                {
                    *sum += v;
                    // Whole seconds, rounded half up; NaN and anything below half a
                    // second read as 0. (`as i64` is one instruction where `as u64`
                    // takes several; only values of a second or more reach it, so the
                    // sign needs no floor.) Stages that take no time are common: their
                    // zeros are counted apart, and added to the histograms when the run
                    // is over.
                    let rounded = v + 0.5;
                    if rounded >= 1.0 {
                        record_secs(h, rounded as i64 as u64);
                    } else {
                        *zero += 1;
                    }
                }
                let s2r = values[Metric::SignalToResponse.index()];
                for ((w, sw), t) in c
                    .within
                    .iter_mut()
                    .zip(c.signal_within.iter_mut())
                    .zip(&setup.sla)
                {
                    *w += u64::from(a2r <= *t);
                    *sw += u64::from(s2r <= *t);
                }
                let own = outcome.response_own_hours;
                if own != outcome.response {
                    // Later had the desk kept its own hours: responded then as the engine
                    // decides (a response past the horizon, or not a number, is open).
                    let own_a2r = if own.is_nan() || own > setup.horizon {
                        f64::INFINITY
                    } else {
                        own - outcome.alert
                    };
                    for (lost, t) in c.lost_own_hours.iter_mut().zip(&setup.sla) {
                        *lost += u64::from(a2r <= *t && own_a2r > *t);
                    }
                }
            }
        }
    }

    /// Adds the zero durations counted apart into the histograms.
    fn finish(&mut self) {
        for (scope, zeros) in [&mut self.members, &mut self.non_members]
            .into_iter()
            .zip(&mut self.zeros)
        {
            for (c, zeros) in scope.iter_mut().zip(zeros.iter_mut()) {
                for (h, z) in c.histograms.iter_mut().zip(zeros.iter_mut()) {
                    if *z > 0 {
                        h.record_n(0, u32::try_from(std::mem::take(z)).unwrap_or(u32::MAX));
                    }
                }
            }
        }
    }
}

/// Bytes one run's summaries ([`RunStats`]) take in memory at most, for the memory
/// estimate made before a study starts: the histograms dominate (each counted at the
/// size it reaches when it holds durations up to a year). A cell's pooled summaries
/// take as much.
pub fn run_stats_bytes(setup: &RunSetup) -> u64 {
    let histograms: u64 = Metric::ALL
        .iter()
        .map(|&m| Tally::bytes_up_to(digits(m), MAX_SECS) + 200)
        .sum();
    let class = histograms + setup.sla.len() as u64 * 16 + 200;
    2 * setup.classes as u64 * class + run_kept_bytes(setup)
}

/// Bytes a finished run takes once pooled: its summaries without histograms and the
/// figures the paired comparisons need, for the memory estimate.
pub fn run_kept_bytes(setup: &RunSetup) -> u64 {
    let sla = setup.sla.len() as u64 * 16;
    let weeks = (setup.horizon / crate::scenario::units::WEEK).ceil() as u64;
    // Per scope and severity (the classes, then all): counts, sums and the figures.
    let figures = 3 * (setup.classes as u64 + 1) * (2 * sla + 400);
    // Twice the fields' sizes: allocations round up and vectors keep spare room (the
    // founders' study at 200 replications peaked at 169 MB, about 25 kB a run beyond its
    // fixed costs).
    2 * (figures
        + 2 * weeks * 48
        + setup.windows.len() as u64 * (100 + sla)
        + setup.members as u64 * 260
        + 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

    /// The growing histograms read exactly as the year-bounded ones they replaced,
    /// beyond the year too.
    #[test]
    fn growing_histograms_read_as_the_bounded_ones() {
        for digits in [2, 3] {
            let bounded = Histogram::<u32>::new_with_max(MAX_SECS, digits).unwrap();
            assert!(bounded.clone().record(TOP_SECS).is_ok());
            assert!(bounded.clone().record(TOP_SECS + 1).is_err());
            let mut old = bounded.clone();
            let mut new = histogram(if digits == 3 {
                Metric::AlertToResponse
            } else {
                Metric::Queue
            });
            let mut x: u64 = 12345;
            for i in 0..20_000u64 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let secs = match i % 4 {
                    0 => (x >> 40) % 100_000,
                    1 => (x >> 30) % 4_000_000,
                    2 => (x >> 20) % (TOP_SECS + 10_000_000),
                    _ => (x >> 50) % 600,
                };
                old.saturating_record(secs);
                record_secs(&mut new, secs);
            }
            for q in [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
                assert_eq!(old.value_at_quantile(q), new.value_at_quantile(q));
            }
        }
    }
}
