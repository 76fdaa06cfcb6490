//! `runs.csv` and `incidents.csv`: one row per run and severity, one per incident.

use crate::engine::Status;
use crate::experiment::{RunResult, Study};
use crate::report::rows::{IncidentRow, Num, RunRow};
use crate::report::write::rfc3339;
use crate::schedule::Horizon;
use crate::stats::tally::Tally;
use crate::stats::{ClassStats, Metric, RunStats, Scope};

use super::summary::cell_key;

/// One run's summaries per scope (in [`Scope::ALL`] order) and severity (the classes,
/// then `all`), without histograms, each with its alert → response median, 90th and
/// 95th percentiles (seconds; NaN if none responded): all that the run's figures and its
/// `runs.csv` rows read.
pub struct RunDigest {
    /// Per scope, per severity.
    pub severities: [Vec<(ClassStats, [f64; 3])>; 3],
    /// `all` of scope `all` summed scope by scope (members' classes, then
    /// non-members'), as `runs.csv` sums it; `severities` sums it class by class (each
    /// class's members and non-members together), as the figures do. Means differ in
    /// their last bits between the two orders, and the outputs keep both.
    pub all_by_scope: ClassStats,
}

impl RunDigest {
    /// Digests a run: counts and sums merged without histograms, and the alert →
    /// response histogram merged once per severity for its quantiles.
    pub fn of(stats: &RunStats) -> RunDigest {
        let bare = stats.without_histograms();
        let members_all = sum_histograms(stats.members.iter().map(a2r));
        let non_members_all = sum_histograms(stats.non_members.iter().map(a2r));
        let both_all = sum_histograms([&members_all, &non_members_all]);
        // Each class's members and non-members together, in that order.
        let both: Vec<(ClassStats, Tally)> = bare
            .members
            .iter()
            .zip(&bare.non_members)
            .zip(stats.members.iter().zip(&stats.non_members))
            .map(|((bm, bn), (m, n))| (merged([bm, bn]), sum_histograms([a2r(m), a2r(n)])))
            .collect();
        // The classes, then all of them merged in class order.
        let severities = |classes: Vec<(ClassStats, &Tally)>, all: &Tally| {
            let total = merged(classes.iter().map(|(c, _)| c));
            classes
                .into_iter()
                .map(|(c, h)| with_quantiles(c, h))
                .chain([with_quantiles(total, all)])
                .collect()
        };
        RunDigest {
            severities: [
                severities(beside(&bare.members, &stats.members), &members_all),
                severities(
                    beside(&bare.non_members, &stats.non_members),
                    &non_members_all,
                ),
                severities(
                    both.iter().map(|(c, h)| (c.clone(), h)).collect(),
                    &both_all,
                ),
            ],
            all_by_scope: merged(bare.members.iter().chain(&bare.non_members)),
        }
    }
}

/// A scope's classes, without histograms, each beside its alert → response histogram.
fn beside<'a>(bare: &[ClassStats], full: &'a [ClassStats]) -> Vec<(ClassStats, &'a Tally)> {
    bare.iter().cloned().zip(full.iter().map(a2r)).collect()
}

/// A summary's alert → response histogram.
fn a2r(c: &ClassStats) -> &Tally {
    &c.histograms[Metric::AlertToResponse.index()]
}

/// Histograms added together.
fn sum_histograms<'a>(parts: impl IntoIterator<Item = &'a Tally>) -> Tally {
    summed(parts, Tally::add)
}

/// Summaries merged in order (the first, then each of the others added to it).
fn merged<'a>(parts: impl IntoIterator<Item = &'a ClassStats>) -> ClassStats {
    summed(parts, ClassStats::merge)
}

/// The first of `parts`, with each of the others added to it in order by `add`.
fn summed<'a, T: Clone + 'a>(
    parts: impl IntoIterator<Item = &'a T>,
    add: impl Fn(&mut T, &T),
) -> T {
    let mut parts = parts.into_iter();
    let mut sum = parts.next().expect("at least one part").clone();
    parts.for_each(|p| add(&mut sum, p));
    sum
}

/// A summary with its alert → response [p50, p90, p95] (seconds; NaN if none
/// responded), read in one walk over `histogram`.
fn with_quantiles(c: ClassStats, histogram: &Tally) -> (ClassStats, [f64; 3]) {
    let quantiles = if c.responded == 0 {
        [f64::NAN; 3]
    } else {
        let mut q = histogram.value_at_quantiles([0.5, 0.9, 0.95]);
        [0, 1, 2].map(|_| q.next().expect("three quantiles") as f64)
    };
    (c, quantiles)
}

/// `runs.csv`: per (schedule, agencies, replication, severity incl. `all`): counts, the
/// mean of every metric in minutes, alert → response p50/p90/p95 and SLA shares.
pub fn run_rows(study: &Study, results: &[RunResult]) -> Vec<RunRow> {
    results
        .iter()
        .flat_map(|r| digest_rows(study, r, &RunDigest::of(&r.stats)))
        .collect()
}

/// The `runs.csv` rows of run `r`, from its digest.
pub fn digest_rows(study: &Study, r: &RunResult, digest: &RunDigest) -> Vec<RunRow> {
    let s = &study.scenario;
    let slas = s.experiment.sla.len();
    let mut rows = Vec::new();
    for (scope, severities) in Scope::ALL.into_iter().zip(&digest.severities) {
        let names = s.incidents.classes.iter().map(|c| c.name.as_str());
        for (severity, (c, q)) in names.chain(["all"]).zip(severities) {
            let c = if scope == Scope::All && severity == "all" {
                &digest.all_by_scope
            } else {
                c
            };
            rows.push(RunRow {
                key: cell_key(study, r.variant, r.cell),
                replication: r.replication,
                scope: scope.name().to_string(),
                severity: severity.to_string(),
                n: c.n,
                missed: c.missed,
                open: c.open,
                responded: c.responded,
                means: Metric::ALL.map(|m| Num::minutes(c.mean(m))),
                alert_to_response: q.map(Num::minutes),
                within: (0..slas)
                    .map(|i| Num::share(c.share_within(i)))
                    .chain((0..slas).map(|i| Num::share(c.signal_share_within(i))))
                    .collect(),
            });
        }
    }
    rows
}

/// `incidents.csv` (with `--trace`): one row per counted incident of the runs that
/// kept their trace.
pub fn incident_rows<'a>(
    study: &'a Study,
    results: &'a [RunResult],
) -> impl Iterator<Item = IncidentRow> + 'a {
    let s = &study.scenario;
    let horizon = Horizon::of(s);
    let at = move |t: f64| {
        if t.is_finite() {
            rfc3339(horizon.instant(t))
        } else {
            String::new()
        }
    };
    let agency = |j: Option<u16>| match j {
        Some(j) => s.agencies[usize::from(j)].id.clone(),
        None => "rest_of_world".to_string(),
    };
    results.iter().flat_map(move |r| {
        let key = cell_key(study, r.variant, r.cell);
        r.trace.iter().flatten().map(move |(index, inc, o)| {
            let responded = o.status == Status::Responded;
            let (a2r, s2r) = if responded {
                (o.alert_to_response(), o.response - inc.signal)
            } else {
                (f64::NAN, f64::NAN)
            };
            IncidentRow {
                scenario: s.name.clone(),
                key: key.clone(),
                replication: r.replication,
                incident: *index,
                jurisdiction: agency(inc.jurisdiction),
                severity: s.incidents.classes[inc.class as usize].name.clone(),
                watch_agency: o.watch_agency.map(|w| agency(Some(w))).unwrap_or_default(),
                outcome: o.status.as_str().to_string(),
                signal_at: at(inc.signal),
                alert_at: at(o.alert),
                response_at: if responded {
                    at(o.response)
                } else {
                    String::new()
                },
                minutes: [
                    o.detect, o.queue, o.triage, o.handoff, o.referral, o.desk, o.police, a2r, s2r,
                ]
                .map(Num::minutes),
            }
        })
    })
}
