//! The outputs of `watchsim optimise`: `optimise.csv` (every candidate evaluated) and
//! the answer in words, for the console and the page.

use std::path::Path;

use crate::error::Result;
use crate::optimise::{Answer, Evaluation, cautious};
use crate::report::rows::{Num, OptimiseRow, to_csv};
use crate::report::write_atomic;
use crate::scenario::Scenario;
use crate::scenario::optimise::{Target, TargetMeasure};
use crate::scenario::units::format_duration;

/// Analysts per member, e.g. `us=3 uk=2 au=2`.
pub fn staffing(scenario: &Scenario, staff: &[u32]) -> String {
    scenario
        .agencies
        .iter()
        .zip(staff)
        .map(|(a, n)| format!("{}={n}", a.id))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A target's measure as compare.csv names it, and its unit.
fn measure(scenario: &Scenario, t: &Target) -> (String, &'static str) {
    match t.measure {
        TargetMeasure::Within(i) => (
            format!("within_{}", format_duration(scenario.experiment.sla[i])),
            "share",
        ),
        TargetMeasure::Missed => ("missed_share".into(), "share"),
        TargetMeasure::P95 => ("alert_to_response_p95".into(), "minutes"),
        TargetMeasure::Mean => ("alert_to_response_mean".into(), "minutes"),
    }
}

/// A value of a target's measure in the CSV's unit (shares, or minutes from seconds).
fn in_unit(t: &Target, x: f64) -> Num {
    match t.measure {
        TargetMeasure::Within(_) | TargetMeasure::Missed => Num::share(x),
        TargetMeasure::P95 | TargetMeasure::Mean => Num::minutes(x),
    }
}

/// The rows of `optimise.csv`.
pub fn rows(scenario: &Scenario, answer: &Answer) -> Vec<OptimiseRow> {
    let search = scenario.optimise.as_ref().expect("a search");
    let mut out = Vec::new();
    for (i, e) in answer.evaluations.iter().enumerate() {
        for (t, ci) in search.targets.iter().zip(&e.estimates) {
            let (name, unit) = measure(scenario, t);
            let end = cautious(t, ci);
            out.push(OptimiseRow {
                evaluation: e.number,
                phase: e.phase.name().into(),
                schedule: scenario.schedules[e.schedule].name.clone(),
                agencies: search.k,
                staffing: staffing(scenario, &e.staff),
                analyst_hours_per_week: Num::new(e.analyst_hours, 2),
                cost_per_week: Num::new(e.cost, 2),
                replications: e.replications,
                seed: e.seed,
                target: t.words.clone(),
                measure: name,
                unit: unit.into(),
                scope: t.scope.name().into(),
                severity: t
                    .class
                    .map_or("all".into(), |c| scenario.incidents.classes[c].name.clone()),
                bound_kind: if t.at_least { "at_least" } else { "at_most" }.into(),
                bound: in_unit(t, t.bound),
                estimate: in_unit(t, ci.mean),
                ci95_low: in_unit(t, ci.low),
                ci95_high: in_unit(t, ci.high),
                holds: !end.is_nan() && t.met_by(end),
                feasible: e.feasible,
                chosen: answer.chosen == Some(i),
            });
        }
    }
    out
}

/// Writes `optimise.csv` into `dir`.
pub fn write(dir: &Path, rows: &[OptimiseRow]) -> Result<()> {
    let header: Vec<String> = OptimiseRow::COLUMNS.iter().map(|c| c.to_string()).collect();
    Ok(write_atomic(
        &dir.join("optimise.csv"),
        &to_csv(&header, rows),
    )?)
}

/// A target's estimate in words: `96.1 % (95 % CI 95.2–97.0 %)` or `3.2 h (…)`.
pub fn estimate_words(t: &Target, e: &Evaluation, i: usize) -> String {
    let ci = &e.estimates[i];
    match t.measure {
        TargetMeasure::Within(_) | TargetMeasure::Missed => format!(
            "{:.1} % (95 % CI {:.1}–{:.1} %)",
            100.0 * ci.mean,
            100.0 * ci.low,
            100.0 * ci.high
        ),
        TargetMeasure::P95 | TargetMeasure::Mean => format!(
            "{} (95 % CI {}–{})",
            format_duration(ci.mean.round()),
            format_duration(ci.low.round()),
            format_duration(ci.high.round())
        ),
    }
}

/// A row's value in words: `94.6 %` for a share, `3.5 h` for minutes.
pub fn value_words(row: &OptimiseRow, x: f64) -> String {
    if row.unit == "share" {
        format!("{:.1} %", 100.0 * x)
    } else {
        crate::report::charts::duration_words(x)
    }
}

/// The first target of evaluation `evaluation` that fails at the cautious end of its
/// CI (or has no cases), if any.
pub fn first_miss(rows: &[OptimiseRow], evaluation: usize) -> Option<&OptimiseRow> {
    rows.iter().find(|r| r.evaluation == evaluation && !r.holds)
}

/// How far a target's row missed, in words: `<target> fails: CI low 94.6 % < 95.0 %,
/// short by 0.4 points`.
pub fn miss_words(row: &OptimiseRow) -> String {
    let low = row.bound_kind == "at_least";
    let end = if low {
        row.ci95_low.value
    } else {
        row.ci95_high.value
    };
    if end.is_nan() {
        return format!("{}: no such cases", row.target);
    }
    let gap = (end - row.bound.value).abs();
    let by = if row.unit == "share" {
        format!("{:.1} points", 100.0 * gap)
    } else {
        crate::report::charts::duration_words(gap)
    };
    format!(
        "{} fails: CI {} {} {} {}, short by {by}",
        row.target,
        if low { "low" } else { "high" },
        value_words(row, end),
        if low { "<" } else { ">" },
        value_words(row, row.bound.value),
    )
}

/// The staffings cheaper than the chosen one that the search tried and rejected, each
/// once (its latest evaluation, its first failing target), most expensive first.
pub fn rejected_cheaper(rows: &[OptimiseRow]) -> Vec<&OptimiseRow> {
    let Some(cost) = rows
        .iter()
        .find(|r| r.chosen)
        .map(|r| r.cost_per_week.value)
    else {
        return Vec::new();
    };
    let mut out: Vec<&OptimiseRow> = Vec::new();
    for r in rows
        .iter()
        .filter(|r| !r.feasible && !r.holds && r.cost_per_week.value < cost)
    {
        match out
            .iter_mut()
            .find(|o| o.schedule == r.schedule && o.staffing == r.staffing)
        {
            Some(o) if o.evaluation < r.evaluation => *o = r,
            Some(_) => {}
            None => out.push(r),
        }
    }
    out.sort_by(|a, b| {
        b.cost_per_week
            .value
            .total_cmp(&a.cost_per_week.value)
            .then(a.evaluation.cmp(&b.evaluation))
    });
    out
}

/// The answer in a few lines, for the console.
pub fn console(scenario: &Scenario, answer: &Answer, rows: &[OptimiseRow]) -> String {
    let search = scenario.optimise.as_ref().expect("a search");
    let mut s = String::new();
    let searched = answer
        .evaluations
        .iter()
        .filter(|e| e.phase != crate::optimise::Phase::Confirm)
        .count();
    match answer.chosen() {
        Some(c) => {
            s.push_str(&format!(
                "Cheapest staffing found that meets every target at {} agencies: {} on {} — {:.0} analyst-hours on watch per week{}.\n",
                search.k,
                staffing(scenario, &c.staff),
                scenario.schedules[c.schedule].name,
                c.analyst_hours,
                if (c.cost - c.analyst_hours).abs() > 1e-9 {
                    format!(" (weighted cost {:.0})", c.cost)
                } else {
                    String::new()
                }
            ));
            s.push_str(&format!(
                "Confirmed on {} fresh replications (seed {}):\n",
                c.replications, c.seed
            ));
            for (i, t) in search.targets.iter().enumerate() {
                s.push_str(&format!("  {:<48} {}\n", t.words, estimate_words(t, c, i)));
            }
            let rejected = rejected_cheaper(rows);
            if rejected.is_empty() {
                s.push_str("No cheaper staffing was tried and rejected.\n");
            } else {
                s.push_str("Cheaper staffings tried and rejected:\n");
                for r in rejected.into_iter().take(3) {
                    s.push_str(&format!(
                        "  {} on {} ({:.0} analyst-hours/week, {} replications): {}\n",
                        r.staffing,
                        r.schedule,
                        r.analyst_hours_per_week.value,
                        r.replications,
                        miss_words(r)
                    ));
                }
            }
        }
        None => {
            s.push_str(&format!(
                "No staffing within the bounds meets every target at {} agencies.\n",
                search.k
            ));
        }
    }
    s.push_str(&format!(
        "{searched} candidates searched with {} replications each (common random numbers), {} evaluations in all.\n\
         A heuristic search (greedy additions, then removals): the answer cannot lose an analyst without failing a \
         target, but a cheaper staffing elsewhere is not ruled out.\n",
        search.replications,
        answer.evaluations.len()
    ));
    s
}
