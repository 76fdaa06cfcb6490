//! `runs.csv` and `incidents.csv`: one row per run and severity, one per incident.

use crate::commands::rfc3339;
use crate::engine::Status;
use crate::experiment::{RunResult, Study};
use crate::incidents::REST_OF_WORLD;
use crate::report::csv::{Table, minutes, num, sla_label};
use crate::schedule::Horizon;
use crate::stats::{ALERT_TO_RESPONSE, METRICS};

/// The fixed leading columns of `runs.csv` (a sweep adds `sweep` after `agencies`).
pub const RUN_COLUMNS: [&str; 8] = [
    "schedule",
    "agencies",
    "replication",
    "severity",
    "n",
    "missed",
    "open",
    "responded",
];

/// `runs.csv`: per (schedule, agencies, replication, severity incl. `all`): counts, the
/// mean of every metric in minutes, alert → response p50/p90/p95 and SLA shares.
pub fn runs_table(study: &Study, results: &[RunResult]) -> Table {
    let s = &study.scenario;
    let sweep = s.sweep.as_ref();
    let mut header: Vec<String> = RUN_COLUMNS.iter().map(|c| c.to_string()).collect();
    if let Some(sw) = sweep {
        header.insert(2, format!("sweep:{}", sw.name));
    }
    header.extend(METRICS.iter().map(|m| format!("{m}_mean")));
    header.extend(
        [
            "alert_to_response_p50",
            "alert_to_response_p90",
            "alert_to_response_p95",
        ]
        .map(String::from),
    );
    header.extend(s.experiment.sla.iter().map(|&t| sla_label(t)));
    let mut table = Table::new(header);
    for r in results {
        let cell = &study.cells[r.cell];
        let all = r.stats.all();
        let rows = r
            .stats
            .classes
            .iter()
            .zip(&s.incidents.classes)
            .map(|(c, class)| (class.name.as_str(), c))
            .chain([("all", &all)]);
        for (severity, c) in rows {
            let mut row = vec![
                s.schedules[cell.schedule].name.clone(),
                cell.k.to_string(),
                r.replication.to_string(),
                severity.to_string(),
                c.n.to_string(),
                c.missed.to_string(),
                c.open.to_string(),
                c.responded.to_string(),
            ];
            if sweep.is_some() {
                row.insert(2, study.variants[r.variant].label.clone());
            }
            row.extend((0..METRICS.len()).map(|m| minutes(c.mean(m))));
            row.extend([0.5, 0.9, 0.95].map(|q| minutes(c.quantile(ALERT_TO_RESPONSE, q))));
            row.extend((0..s.experiment.sla.len()).map(|i| num(c.share_within(i), 6)));
            table.push(row);
        }
    }
    table
}

/// Stage columns of `incidents.csv`, in minutes.
pub const INCIDENT_COLUMNS: [&str; 21] = [
    "scenario",
    "schedule",
    "agencies",
    "replication",
    "incident",
    "jurisdiction",
    "severity",
    "watch_agency",
    "outcome",
    "signal_at",
    "alert_at",
    "response_at",
    "detect",
    "queue",
    "triage",
    "handoff",
    "referral",
    "desk",
    "police",
    "alert_to_response",
    "signal_to_response",
];

/// `incidents.csv` (with `--trace`): one row per counted incident and cell.
pub fn incidents_table(study: &Study, results: &[RunResult]) -> Table {
    let s = &study.scenario;
    let horizon = Horizon::of(s);
    let mut header: Vec<String> = INCIDENT_COLUMNS.iter().map(|c| c.to_string()).collect();
    if let Some(sw) = &s.sweep {
        header.insert(3, format!("sweep:{}", sw.name));
    }
    let mut table = Table::new(header);
    let at = |t: f64| {
        if t.is_finite() {
            rfc3339(horizon.instant(t))
        } else {
            String::new()
        }
    };
    let agency = |j: u16| {
        if j == REST_OF_WORLD {
            "rest_of_world".to_string()
        } else {
            s.agencies[j as usize].id.clone()
        }
    };
    for r in results {
        let Some(trace) = &r.trace else { continue };
        let cell = &study.cells[r.cell];
        for (index, inc, o) in trace {
            let responded = o.status == Status::Responded;
            let mut row = vec![
                s.name.clone(),
                s.schedules[cell.schedule].name.clone(),
                cell.k.to_string(),
                r.replication.to_string(),
                index.to_string(),
                agency(inc.jurisdiction),
                s.incidents.classes[inc.class as usize].name.clone(),
                o.watch_agency.map(agency).unwrap_or_default(),
                o.status.as_str().to_string(),
                at(inc.signal),
                at(o.alert),
                if responded {
                    at(o.response)
                } else {
                    String::new()
                },
            ];
            if s.sweep.is_some() {
                row.insert(3, study.variants[r.variant].label.clone());
            }
            row.extend(
                [
                    o.detect, o.queue, o.triage, o.handoff, o.referral, o.desk, o.police,
                ]
                .map(minutes),
            );
            let (a2r, s2r) = if responded {
                (o.alert_to_response(), o.response - inc.signal)
            } else {
                (f64::NAN, f64::NAN)
            };
            row.extend([minutes(a2r), minutes(s2r)]);
            table.push(row);
        }
    }
    table
}
