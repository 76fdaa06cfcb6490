//! Comparisons of two versions of a scenario (`watchsim compare A B`, and a scenario's
//! inline `[[variant]]`s against its base): cells matched by schedule, agency count,
//! sweep value, severity and scope, and the paired differences B − A replication by
//! replication, with their 95 % CIs and the verdicts of the decision rule.
//!
//! Both sides come down to the rows of `runs.csv` ([`RunRow`]): a side is either a
//! study just run ([`Side::of_run`]) or a report folder read back ([`Side::read`]).
//! Replication r of one side pairs with replication r of the other: with the same
//! seed, their incidents share every draw that the two scenarios do not change (one
//! random stream per incident and quantity), so the difference is the change's alone.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::experiment::{RunResult, Study};
use crate::report::data::RunRecord;
use crate::report::rows::{Num, RunRow, UnmatchedRow, VariantRow, read_rows, sla_label, to_csv};
use crate::report::runs::run_rows;
use crate::report::summary::CellResults;
use crate::report::verdict::Verdict;
use crate::report::write_atomic;
use crate::scenario::units::format_duration;
use crate::stats::Metric;
use crate::stats::ci::{mean_ci, welch_ci};

/// One side of a comparison: its per-replication figures and what pairing needs.
#[derive(Debug, Clone)]
pub struct Side {
    /// The scenario (or variant) name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per cell.
    pub replications: u32,
    /// Whether the run gave each cell its own incidents (no common random numbers).
    pub independent_streams: bool,
    /// SLA thresholds, seconds.
    pub slas: Vec<f64>,
    /// The decision SLA, seconds.
    pub decision_sla: f64,
    /// Practical margin on shares (0.01: one point).
    pub margin: f64,
    /// Practical margin on durations, minutes.
    pub margin_minutes: f64,
    /// The rows of `runs.csv`.
    pub runs: Vec<RunRow>,
}

impl Side {
    /// The side of a study just run.
    pub fn of_run(name: &str, study: &Study, results: &[RunResult]) -> Side {
        Side::of_rows(name, study, run_rows(study, results))
    }

    /// The side of a study just run and pooled ([`crate::report::summary::Pool`]).
    pub fn of_cells(name: &str, study: &Study, cells: &[CellResults]) -> Side {
        let rows = cells.iter().flat_map(|c| c.run_rows.iter().cloned());
        Side::of_rows(name, study, rows.collect())
    }

    fn of_rows(name: &str, study: &Study, runs: Vec<RunRow>) -> Side {
        let s = &study.scenario;
        Side {
            name: name.to_string(),
            seed: s.experiment.seed,
            replications: study.replications(),
            independent_streams: study.independent_streams,
            slas: s.experiment.sla.clone(),
            decision_sla: s
                .experiment
                .sla
                .get(s.decision.sla)
                .copied()
                .unwrap_or(7200.0),
            margin: s.decision.margin,
            margin_minutes: s.decision.margin_time / 60.0,
            runs,
        }
    }

    /// The side of a report folder: its `runs.csv` and `run.json`.
    pub fn read(dir: &Path) -> Result<Side> {
        let Some(back) = read_rows::<RunRow, _>(dir, "runs.csv", &RunRow::columns())? else {
            return Err(Error::report_folder(format!(
                "{} has no runs.csv: expected the report folder of a `watchsim run` (or a scenario file)",
                dir.display()
            )));
        };
        let path = dir.join("run.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::read(&path, e))?;
        let run: RunRecord = serde_json::from_str(&text).map_err(|e| {
            Error::report_folder(format!(
                "{} is not a watchsim run record: {}",
                path.display(),
                crate::error::sanitize(&e.to_string(), 200)
            ))
        })?;
        let slas = back.layout.slas;
        let decision_sla = run
            .decision_sla_minutes
            .map(|m| m * 60.0)
            .filter(|t| slas.contains(t))
            .or_else(|| slas.iter().copied().find(|&t| t == 7200.0))
            .or_else(|| slas.get(slas.len() / 2).copied())
            .unwrap_or(7200.0);
        let name = if run.scenario.is_empty() {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            run.scenario.clone()
        };
        Ok(Side {
            name,
            seed: run.seed,
            replications: run.replications,
            independent_streams: run.independent_streams,
            slas,
            decision_sla,
            margin: run.decision_margin_points.unwrap_or(1.0) / 100.0,
            margin_minutes: run.decision_margin_minutes.unwrap_or(5.0),
            runs: back.rows,
        })
    }
}

/// Refuses two sides whose replications cannot be paired: different seeds,
/// different replication counts, or a run without common random numbers.
pub fn check_pairable(a: &Side, b: &Side) -> Result<()> {
    let why = "a paired comparison matches replication r of one run with replication r of \
               the other, and the two share their incidents only when both come from the same \
               seed and replication";
    if a.seed != b.seed {
        return Err(Error::argument(format!(
            "{} ran with seed {} and {} with seed {}: {why}; run both with the same --seed",
            a.name, a.seed, b.name, b.seed
        )));
    }
    if a.replications != b.replications {
        return Err(Error::argument(format!(
            "{} has {} replications and {} has {}: {why}, so every replication needs its partner; \
             run both with the same --replications",
            a.name, a.replications, b.name, b.replications
        )));
    }
    for side in [a, b] {
        if side.independent_streams {
            return Err(Error::argument(format!(
                "{} ran with --independent-streams: {why}; re-run it without that option",
                side.name
            )));
        }
    }
    Ok(())
}

/// A measure of a variant comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantMeasure {
    /// Share of counted cases answered within the decision SLA of the alert.
    Within,
    /// Share of counted cases missed.
    Missed,
    /// Mean alert → response over responded cases, minutes.
    MeanAlertToResponse,
}

impl VariantMeasure {
    /// Every measure, in output order.
    pub const ALL: [VariantMeasure; 3] = [
        VariantMeasure::Within,
        VariantMeasure::Missed,
        VariantMeasure::MeanAlertToResponse,
    ];

    /// The name in `variants.csv`.
    pub fn name(self, decision_sla: f64) -> String {
        match self {
            VariantMeasure::Within => sla_label(decision_sla),
            VariantMeasure::Missed => "missed".into(),
            VariantMeasure::MeanAlertToResponse => "alert_to_response_mean".into(),
        }
    }

    fn higher_is_better(self) -> bool {
        self == VariantMeasure::Within
    }

    fn unit(self) -> &'static str {
        match self {
            VariantMeasure::MeanAlertToResponse => "minutes",
            _ => "share",
        }
    }

    fn value(self, row: &RunRow, sla: usize) -> f64 {
        match self {
            VariantMeasure::Within => row.within.get(sla).map_or(f64::NAN, |n| n.value),
            VariantMeasure::Missed if row.n > 0 => row.missed as f64 / row.n as f64,
            VariantMeasure::Missed => f64::NAN,
            VariantMeasure::MeanAlertToResponse => row.means[Metric::AlertToResponse.index()].value,
        }
    }
}

/// The verdict of B against A in `variants.csv`.
fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::ABetter => "better",
        Verdict::BBetter => "worse",
        Verdict::NoPracticalDifference => "no practical difference",
        Verdict::Undecided => "undecided",
    }
}

/// A comparison of B against A.
#[derive(Debug, Clone, Default)]
pub struct Variants {
    /// The paired differences of the matched cells.
    pub rows: Vec<VariantRow>,
    /// Cells (and severities) that only one side has.
    pub unmatched: Vec<UnmatchedRow>,
}

type Key = (String, usize, String, String, String);

fn key_of(r: &RunRow) -> Key {
    (
        r.key.schedule.clone(),
        r.key.agencies,
        r.key.variant().to_string(),
        r.severity.clone(),
        r.scope.clone(),
    )
}

/// Rows by matching key, in first-seen order, each with its rows by replication.
fn grouped(side: &Side) -> (Vec<Key>, HashMap<Key, Vec<&RunRow>>) {
    let mut order = Vec::new();
    let mut map: HashMap<Key, Vec<&RunRow>> = HashMap::new();
    for r in &side.runs {
        let k = key_of(r);
        let entry = map.entry(k.clone()).or_default();
        if entry.is_empty() {
            order.push(k);
        }
        entry.push(r);
    }
    for rows in map.values_mut() {
        rows.sort_by_key(|r| r.replication);
    }
    (order, map)
}

/// Pairs B against A: every cell, scope and severity both have, for each measure; and
/// the cells only one has. Refuses sides that cannot be paired ([`check_pairable`]).
/// The decision SLA and the margins are A's.
pub fn pair(a: &Side, b: &Side) -> Result<Variants> {
    check_pairable(a, b)?;
    let sla_a = a.slas.iter().position(|&t| t == a.decision_sla);
    let sla_b = b.slas.iter().position(|&t| t == a.decision_sla);
    let (Some(sla_a), Some(sla_b)) = (sla_a, sla_b) else {
        return Err(Error::argument(format!(
            "{} has no SLA threshold of {} (the decision SLA of {}); expected both to list it in [experiment] sla",
            b.name,
            format_duration(a.decision_sla),
            a.name
        )));
    };
    let (order_a, map_a) = grouped(a);
    let (order_b, map_b) = grouped(b);
    let mut out = Variants::default();
    for k in &order_a {
        let ra = &map_a[k];
        let Some(rb) = map_b.get(k) else { continue };
        for m in VariantMeasure::ALL {
            let va: Vec<f64> = ra.iter().map(|r| m.value(r, sla_a)).collect();
            let vb: Vec<f64> = rb.iter().map(|r| m.value(r, sla_b)).collect();
            let d: Vec<f64> = va.iter().zip(&vb).map(|(x, y)| y - x).collect();
            let diff = mean_ci(&d);
            let unpaired = welch_ci(&va, &vb);
            let margin = match m.unit() {
                "minutes" => a.margin_minutes,
                _ => a.margin,
            };
            let verdict = Verdict::of(&diff, m.higher_is_better(), margin);
            let n = |x: f64| Num::new(x, 6);
            out.rows.push(VariantRow {
                base: a.name.clone(),
                variant: b.name.clone(),
                schedule: k.0.clone(),
                agencies: k.1,
                sweep: k.2.clone(),
                scope: k.4.clone(),
                severity: k.3.clone(),
                measure: m.name(a.decision_sla),
                unit: m.unit().into(),
                replications: d.len() as u32,
                mean_a: n(mean_ci(&va).mean),
                mean_b: n(mean_ci(&vb).mean),
                diff: n(diff.mean),
                ci95_low: n(diff.low),
                ci95_high: n(diff.high),
                unpaired_ci95_low: n(unpaired.low),
                unpaired_ci95_high: n(unpaired.high),
                margin: n(margin),
                verdict: verdict_word(verdict).into(),
            });
        }
    }
    // Unmatched cells, once per (cell, severity) rather than per scope.
    let mut listed: Vec<(String, Key)> = Vec::new();
    for (side, order, other) in [(a, &order_a, &map_b), (b, &order_b, &map_a)] {
        for k in order.iter().filter(|k| !other.contains_key(*k)) {
            let cell = (k.0.clone(), k.1, k.2.clone(), k.3.clone(), String::new());
            if listed.contains(&(side.name.clone(), cell.clone())) {
                continue;
            }
            listed.push((side.name.clone(), cell));
            out.unmatched.push(UnmatchedRow {
                base: a.name.clone(),
                variant: b.name.clone(),
                only_in: side.name.clone(),
                schedule: k.0.clone(),
                agencies: k.1,
                sweep: k.2.clone(),
                severity: k.3.clone(),
            });
        }
    }
    Ok(out)
}

impl Variants {
    /// Appends another comparison (another variant against the same base).
    pub fn extend(&mut self, other: Variants) {
        self.rows.extend(other.rows);
        self.unmatched.extend(other.unmatched);
    }

    /// Writes `variants.csv` and `unmatched.csv` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let header = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        write_atomic(
            &dir.join("variants.csv"),
            &to_csv(&header(VariantRow::COLUMNS), &self.rows),
        )?;
        write_atomic(
            &dir.join("unmatched.csv"),
            &to_csv(&header(UnmatchedRow::COLUMNS), &self.unmatched),
        )?;
        Ok(())
    }

    /// The findings in words ([`findings`]).
    pub fn findings(&self) -> Vec<String> {
        findings(&self.rows)
    }

    /// The cells only one side has, in words: one line per side, agency count and
    /// sweep value, naming the schedules.
    pub fn unmatched_text(&self) -> Vec<String> {
        let mut groups: Vec<((String, usize, String), Vec<String>)> = Vec::new();
        for u in self.unmatched.iter().filter(|u| u.severity == "all") {
            let g = (u.only_in.clone(), u.agencies, u.sweep.clone());
            match groups.iter_mut().find(|(k, _)| *k == g) {
                Some((_, s)) => s.push(u.schedule.clone()),
                None => groups.push((g, vec![u.schedule.clone()])),
            }
        }
        groups
            .into_iter()
            .map(|((only_in, k, sweep), schedules)| {
                let sweep = if sweep.is_empty() {
                    String::new()
                } else {
                    format!(", {sweep}")
                };
                format!(
                    "{} cell{} at {k} agencies{sweep} only in {only_in}: {}",
                    schedules.len(),
                    if schedules.len() == 1 { "" } else { "s" },
                    schedules.join(", ")
                )
            })
            .collect()
    }
}

/// A measure in words, in a scope.
fn measure_text(measure: &str, scope: &str) -> String {
    let whose = match scope {
        "members" => "members' ",
        "non_members" => "non-members' ",
        _ => "",
    };
    let all = if scope == "all" { " of all cases" } else { "" };
    match measure {
        "missed" => format!("{whose}missed share{all}"),
        "alert_to_response_mean" => format!("{whose}mean alert → response{all}"),
        m => format!(
            "{whose}share{all} answered within {}",
            spaced(m.trim_start_matches("within_"))
        ),
    }
}

/// `2h` as `2 h`, `30m` as `30 min`, `1d` as `1 d`.
fn spaced(t: &str) -> String {
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (n, u) = t.split_at(split);
    let u = if u == "m" { "min" } else { u };
    if u.is_empty() {
        n.to_string()
    } else {
        format!("{n} {u}")
    }
}

/// A value in its unit: `61.2 %` or `84.3 min`.
fn value_text(x: f64, unit: &str) -> String {
    if unit == "minutes" {
        format!("{x:.1} min")
    } else {
        format!("{:.1} %", 100.0 * x)
    }
}

/// A signed number with `d` decimals: `+1.8`, `−0.25`.
fn signed(v: f64, d: usize) -> String {
    if v.is_nan() {
        "–".into()
    } else if v >= 0.0 {
        format!("+{v:.d$}")
    } else {
        format!("−{:.d$}", -v)
    }
}

/// `(+1.8 points, 95 % CI +1.5 to +2.1)`.
fn estimate_text(r: &VariantRow) -> String {
    let (scale, u) = if r.unit == "minutes" {
        (1.0, "min")
    } else {
        (100.0, "points")
    };
    // Two decimals when one would hide the width of the interval.
    let d = if (scale * (r.ci95_high.value - r.ci95_low.value)).abs() < 0.2 {
        2
    } else {
        1
    };
    let sg = |v: f64| signed(v, d);
    if r.diff.value == 0.0 && r.ci95_low.value == 0.0 && r.ci95_high.value == 0.0 {
        return "(identical in every replication)".into();
    }
    if r.ci95_low.value.is_nan() {
        format!("({} {u})", sg(scale * r.diff.value))
    } else {
        format!(
            "({} {u}, 95 % CI {} to {})",
            sg(scale * r.diff.value),
            sg(scale * r.ci95_low.value),
            sg(scale * r.ci95_high.value)
        )
    }
}

/// The findings of a comparison in words, most important first: per variant and
/// agency count (and sweep value), the effect on the members' share within the
/// decision SLA, the share of all cases within it, the members' missed share and mean
/// alert → response. A sentence claims a difference only when its verdict is better or
/// worse; otherwise it says no practical difference or undecided.
pub fn findings(rows: &[VariantRow]) -> Vec<String> {
    let mut groups: Vec<(String, String, usize, String)> = Vec::new();
    for r in rows {
        let g = (
            r.base.clone(),
            r.variant.clone(),
            r.agencies,
            r.sweep.clone(),
        );
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let measures: Vec<String> = {
        let mut m: Vec<String> = Vec::new();
        for r in rows {
            if !m.contains(&r.measure) {
                m.push(r.measure.clone());
            }
        }
        m
    };
    let within = measures.iter().find(|m| m.starts_with("within_")).cloned();
    let plan: Vec<(&str, String)> = [
        ("members", within.clone()),
        ("all", within),
        ("members", Some("missed".to_string())),
        ("members", Some("alert_to_response_mean".to_string())),
    ]
    .into_iter()
    .filter_map(|(s, m)| m.map(|m| (s, m)))
    .collect();
    let mut out = Vec::new();
    for (base, variant, k, sweep) in &groups {
        for (i, (scope, measure)) in plan.iter().enumerate() {
            let cells: Vec<&VariantRow> = rows
                .iter()
                .filter(|r| {
                    &r.base == base
                        && &r.variant == variant
                        && r.agencies == *k
                        && &r.sweep == sweep
                        && r.scope == *scope
                        && r.severity == "all"
                        && &r.measure == measure
                })
                .collect();
            if cells.is_empty() {
                continue;
            }
            let sentence = finding(base, variant, *k, sweep, scope, measure, &cells);
            // The secondary measures only when something was decided.
            if i == 0
                || cells
                    .iter()
                    .any(|c| c.verdict == "better" || c.verdict == "worse")
            {
                out.push(sentence);
            }
        }
    }
    out
}

fn finding(
    base: &str,
    variant: &str,
    k: usize,
    sweep: &str,
    scope: &str,
    measure: &str,
    cells: &[&VariantRow],
) -> String {
    let at = if sweep.is_empty() {
        format!("At {k} agencies")
    } else {
        format!("At {k} agencies ({sweep})")
    };
    let what = measure_text(measure, scope);
    let count = |v: &str| cells.iter().filter(|c| c.verdict == v).count();
    let (better, worse, same, undecided) = (
        count("better"),
        count("worse"),
        count("no practical difference"),
        count("undecided"),
    );
    let n = cells.len();
    // The first schedule of the scenario with a decided difference, else the first.
    let lead = cells
        .iter()
        .find(|c| c.verdict == "better" || c.verdict == "worse")
        .copied();
    let unit = &cells[0].unit;
    let tally = {
        let mut parts = Vec::new();
        if better > 0 {
            parts.push(format!("better on {better}"));
        }
        if worse > 0 {
            parts.push(format!("worse on {worse}"));
        }
        if same > 0 {
            parts.push(format!("no practical difference on {same}"));
        }
        if undecided > 0 {
            parts.push(format!("undecided on {undecided}"));
        }
        format!(
            "{} of {n} schedule{}",
            parts.join(", "),
            if n == 1 { "" } else { "s" }
        )
    };
    match lead {
        Some(c) => {
            let verb = match (unit.as_str(), c.diff.value >= 0.0) {
                ("minutes", true) => "lengthens",
                ("minutes", false) => "shortens",
                (_, true) => "raises",
                (_, false) => "lowers",
            };
            format!(
                "{at}, {variant} {verb} the {what} on {} from {} to {} {} against {base}; {tally}.",
                c.schedule,
                value_text(c.mean_a.value, unit),
                value_text(c.mean_b.value, unit),
                estimate_text(c),
            )
        }
        None => {
            let c = cells[0];
            let margin = if unit == "minutes" {
                format!("{:.1} min", c.margin.value)
            } else {
                let p = 100.0 * c.margin.value;
                format!(
                    "{p:.1} point{}",
                    if (p - 1.0).abs() < 1e-9 { "" } else { "s" }
                )
            };
            let head = if same == n {
                format!(
                    "no practical difference in the {what} (within ±{margin}) on {}",
                    if n == 1 {
                        "its one schedule".to_string()
                    } else {
                        format!("any of the {n} schedules")
                    }
                )
            } else {
                format!(
                    "no difference in the {what} that the decision rule calls better or worse (margin ±{margin}): {tally}"
                )
            };
            format!(
                "{at}, {variant} against {base}: {head}; on {} {} → {} {}.",
                c.schedule,
                value_text(c.mean_a.value, unit),
                value_text(c.mean_b.value, unit),
                estimate_text(c),
            )
        }
    }
}
