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

/// How far a rejected candidate missed: the first target that fails, in words.
pub fn miss_words(scenario: &Scenario, e: &Evaluation) -> String {
    let search = scenario.optimise.as_ref().expect("a search");
    for (i, t) in search.targets.iter().enumerate() {
        let ci = &e.estimates[i];
        let end = cautious(t, ci);
        if end.is_nan() {
            return format!("{}: no such cases", t.words);
        }
        if !t.met_by(end) {
            let by = match t.measure {
                TargetMeasure::Within(_) | TargetMeasure::Missed => {
                    format!("{:.1} points", 100.0 * (end - t.bound).abs())
                }
                _ => format_duration((end - t.bound).abs().round()),
            };
            let show = |x: f64| match t.measure {
                TargetMeasure::Within(_) | TargetMeasure::Missed => format!("{:.1} %", 100.0 * x),
                _ => format_duration(x.round()),
            };
            return format!(
                "{} fails: CI {} {} {} {}, short by {by}",
                t.words,
                if t.at_least { "low" } else { "high" },
                show(end),
                if t.at_least { "<" } else { ">" },
                show(t.bound),
            );
        }
    }
    "every target holds".into()
}

/// The answer in a few lines, for the console.
pub fn console(scenario: &Scenario, answer: &Answer) -> String {
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
            let rejected = answer.rejected_cheaper(3);
            if rejected.is_empty() {
                s.push_str("No cheaper staffing was tried and rejected.\n");
            } else {
                s.push_str("Cheaper staffings tried and rejected:\n");
                for e in rejected {
                    s.push_str(&format!(
                        "  {} on {} ({:.0} analyst-hours/week, {} replications): {}\n",
                        staffing(scenario, &e.staff),
                        scenario.schedules[e.schedule].name,
                        e.analyst_hours,
                        e.replications,
                        miss_words(scenario, e)
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
