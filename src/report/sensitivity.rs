//! `[[sensitivity]]`: which estimates matter. The base and each estimate's low and
//! high ends run over the same seed and replications (common random numbers); per
//! agency count, `sensitivity.csv` holds the decision measure of the base's
//! recommended schedule at each end, its paired change from the base, the swing
//! (high − low) and whether the recommendation holds.

use std::path::Path;

use crate::error::Result;
use crate::experiment::Study;
use crate::report::decision::{CountDecision, decisions, measure};
use crate::report::rows::{Num, SensitivityRow, sla_label, to_csv};
use crate::report::summary::{CellResults, paired};
use crate::report::write_atomic;
use crate::scenario::sensitivity::SensitivityRange;
use crate::stats::Scope;
use crate::stats::ci::mean_ci;

/// One study run, reduced to what the sensitivity rows need (so that each end's full
/// results can be dropped as soon as it has run): what it decided and its
/// per-replication decision measure by cell.
pub struct Side {
    decisions: Vec<CountDecision>,
    /// Per (schedule name, agency count): the members' decision measure per replication.
    values: Vec<((String, usize), Vec<f64>)>,
}

impl Side {
    /// Reduces a study's results.
    pub fn of(study: &Study, cells: &[CellResults]) -> Side {
        let all = study.scenario.incidents.classes.len();
        let m = measure(study);
        let values = cells
            .iter()
            .map(|c| {
                let cell = &study.cells[c.cell];
                (
                    (study.scenario.schedules[cell.schedule].name.clone(), cell.k),
                    c.values(Scope::Members, all, |x| m.value(x)),
                )
            })
            .collect();
        Side {
            decisions: decisions(study, cells),
            values,
        }
    }

    fn values(&self, schedule: &str, k: usize) -> Vec<f64> {
        self.values
            .iter()
            .find(|((s, kk), _)| s == schedule && *kk == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn recommended(&self, k: usize) -> String {
        self.decisions
            .iter()
            .find(|d| d.k == k)
            .and_then(CountDecision::recommended)
            .map(|s| s.schedule.clone())
            .unwrap_or_default()
    }
}

/// The rows of `sensitivity.csv`: per agency count, the base, then each range's low and
/// high end, ranges in the scenario's order. `end_sides` holds each range's two runs.
pub fn rows(
    base: (&Study, &[CellResults]),
    ranges: &[SensitivityRange],
    end_sides: &[[Side; 2]],
) -> Vec<SensitivityRow> {
    let (study, results) = base;
    let measure_name = sla_label(study.scenario.experiment.sla[study.scenario.decision.sla]);
    let base_side = Side::of(study, results);
    let mut out = Vec::new();
    for &k in &study.scenario.experiment.agency_counts {
        let schedule = base_side.recommended(k);
        let base_values = base_side.values(&schedule, k);
        let base_ci = mean_ci(&base_values);
        let row = |estimate: &str, key: &str, end: &str, value: &str| SensitivityRow {
            estimate: estimate.into(),
            key: key.into(),
            end: end.into(),
            value: value.into(),
            agencies: k,
            schedule: schedule.clone(),
            measure: measure_name.clone(),
            mean: Num::share(base_ci.mean),
            ci95_low: Num::share(base_ci.low),
            ci95_high: Num::share(base_ci.high),
            change: Num::share(0.0),
            change_ci95_low: Num::share(0.0),
            change_ci95_high: Num::share(0.0),
            swing: Num::share(0.0),
            recommended: schedule.clone(),
            decision_holds: true,
        };
        out.push(row("base", "", "base", ""));
        for (range, sides) in ranges.iter().zip(end_sides) {
            let means: Vec<f64> = sides
                .iter()
                .map(|s| mean_ci(&s.values(&schedule, k)).mean)
                .collect();
            let swing = (means[1] - means[0]).abs();
            for (i, (side, end)) in sides.iter().zip(["low", "high"]).enumerate() {
                let values = side.values(&schedule, k);
                let ci = mean_ci(&values);
                let change = paired(&values, &base_values);
                let recommended = side.recommended(k);
                out.push(SensitivityRow {
                    mean: Num::share(ci.mean),
                    ci95_low: Num::share(ci.low),
                    ci95_high: Num::share(ci.high),
                    change: Num::share(change.mean),
                    change_ci95_low: Num::share(change.low),
                    change_ci95_high: Num::share(change.high),
                    swing: Num::share(swing),
                    decision_holds: recommended == schedule,
                    recommended,
                    ..row(&range.name, &range.key, end, &range.values[i])
                });
            }
        }
    }
    out
}

/// Writes `sensitivity.csv` into `dir`.
pub fn write(dir: &Path, rows: &[SensitivityRow]) -> Result<()> {
    let header: Vec<String> = SensitivityRow::COLUMNS
        .iter()
        .map(|c| c.to_string())
        .collect();
    Ok(write_atomic(
        &dir.join("sensitivity.csv"),
        &to_csv(&header, rows),
    )?)
}

/// Per agency count: the estimates by swing, largest first, with their rows (low,
/// high); the base row first.
pub fn by_swing(
    rows: &[SensitivityRow],
    k: usize,
) -> (Option<&SensitivityRow>, Vec<[&SensitivityRow; 2]>) {
    let mine: Vec<&SensitivityRow> = rows.iter().filter(|r| r.agencies == k).collect();
    let base = mine.iter().copied().find(|r| r.end == "base");
    let mut pairs: Vec<[&SensitivityRow; 2]> = Vec::new();
    for r in &mine {
        if r.end != "low" {
            continue;
        }
        if let Some(h) = mine.iter().find(|h| h.end == "high" && h.key == r.key) {
            pairs.push([r, h]);
        }
    }
    // Ties keep the scenario's order (a stable sort).
    pairs.sort_by(|a, b| b[0].swing.value.total_cmp(&a[0].swing.value));
    (base, pairs)
}

/// The robust-decision findings in words, one line per agency count.
pub fn robustness(rows: &[SensitivityRow]) -> Vec<String> {
    let mut counts: Vec<usize> = rows.iter().map(|r| r.agencies).collect();
    counts.dedup();
    counts
        .into_iter()
        .map(|k| {
            let (base, pairs) = by_swing(rows, k);
            let schedule = base.map_or("", |b| b.schedule.as_str());
            let flips: Vec<String> = pairs
                .iter()
                .flat_map(|p| p.iter())
                .filter(|r| !r.decision_holds)
                .map(|r| {
                    format!(
                        "{} at its {} ({}) → {}",
                        r.estimate,
                        r.end,
                        r.value,
                        if r.recommended.is_empty() {
                            "no recommendation"
                        } else {
                            r.recommended.as_str()
                        }
                    )
                })
                .collect();
            if flips.is_empty() {
                format!(
                    "{k} agencies: {schedule} stays recommended across every range ({} estimates).",
                    pairs.len()
                )
            } else {
                format!(
                    "{k} agencies: {schedule} is recommended, but not when {}.",
                    flips.join("; ")
                )
            }
        })
        .collect()
}

/// The console's lines: per agency count, the three largest swings and whether the
/// recommendation holds.
pub fn console(rows: &[SensitivityRow]) -> Vec<String> {
    let mut counts: Vec<usize> = rows.iter().map(|r| r.agencies).collect();
    counts.dedup();
    let mut out = Vec::new();
    for (k, robust) in counts.into_iter().zip(robustness(rows)) {
        let (base, pairs) = by_swing(rows, k);
        if let Some(b) = base {
            let swings: Vec<String> = pairs
                .iter()
                .take(3)
                .map(|[low, high]| {
                    format!(
                        "{} {:.1} points ({:.1} % at {}, {:.1} % at {})",
                        low.estimate,
                        100.0 * low.swing.value,
                        100.0 * low.mean.value,
                        low.value,
                        100.0 * high.mean.value,
                        high.value
                    )
                })
                .collect();
            out.push(format!(
                "{k} agencies, {} of {} (base {:.1} %): largest swings {}",
                b.measure.replace('_', " "),
                b.schedule,
                100.0 * b.mean.value,
                swings.join("; ")
            ));
        }
        out.push(format!("  {robust}"));
    }
    out
}
