//! `runs.csv` and `incidents.csv`: one row per run and severity, one per incident.

use crate::engine::Status;
use crate::experiment::{RunResult, Study};
use crate::report::rows::{IncidentRow, Num, RunRow};
use crate::report::write::rfc3339;
use crate::schedule::Horizon;
use crate::stats::{Metric, Scope};

use super::summary::cell_key;

/// `runs.csv`: per (schedule, agencies, replication, severity incl. `all`): counts, the
/// mean of every metric in minutes, alert → response p50/p90/p95 and SLA shares.
pub fn run_rows(study: &Study, results: &[RunResult]) -> Vec<RunRow> {
    let s = &study.scenario;
    let mut rows = Vec::new();
    let slas = s.experiment.sla.len();
    for r in results {
        for scope in Scope::ALL {
            let classes = r.stats.classes(scope);
            let all = r.stats.scope(scope);
            let severities = classes
                .iter()
                .zip(&s.incidents.classes)
                .map(|(c, class)| (class.name.as_str(), c))
                .chain([("all", &all)]);
            for (severity, c) in severities {
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
                    alert_to_response: [0.5, 0.9, 0.95]
                        .map(|q| Num::minutes(c.quantile(Metric::AlertToResponse, q))),
                    within: (0..slas)
                        .map(|i| Num::share(c.share_within(i)))
                        .chain((0..slas).map(|i| Num::share(c.signal_share_within(i))))
                        .collect(),
                });
            }
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
