//! What a planner acts on: per agency count, the best schedule for the members' cases,
//! the schedules not worse than it, and the cheapest of those (the recommendation);
//! what each new member adds; findings in words; and the console's decision screen.

use crate::experiment::Study;
use crate::report::rows::{DecisionRow, IncrementRow, Num, sla_label};
use crate::report::summary::{CellResults, Comparison, Measure, compare, schedule_name};
use crate::report::verdict::Verdict;
use crate::stats::Scope;
use crate::stats::ci::{MeanCi, mean_ci};

/// How a schedule stands against the best one at its agency count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The highest share within the decision SLA.
    Best,
    /// No practical difference from the best.
    NotWorse,
    /// The best is better, by at least the margin.
    Worse,
    /// Neither: more replications would tell.
    Undecided,
}

/// One schedule at one agency count, judged on the members' cases.
#[derive(Debug, Clone)]
pub struct ScheduleDecision {
    /// Index into the study's cell results.
    pub cell: usize,
    /// Index into the study's cells (schedule × agency count).
    pub study_cell: usize,
    /// The schedule's name.
    pub schedule: String,
    /// Share of members' counted cases answered within the decision SLA of the alert.
    pub share: MeanCi,
    /// Members' missed share.
    pub missed: MeanCi,
    /// Members' median alert → response, minutes.
    pub p50: MeanCi,
    /// Members' 95th percentile, minutes.
    pub p95: MeanCi,
    /// Analyst-hours on watch per week.
    pub cost: MeanCi,
    /// Best − this schedule on the decision measure (none for the best itself).
    pub against_best: Option<Comparison>,
    /// Its standing.
    pub standing: Standing,
    /// Whether it is the recommended schedule.
    pub recommended: bool,
}

/// The decision at one (sweep value, agency count).
#[derive(Debug, Clone)]
pub struct CountDecision {
    /// Sweep value index.
    pub variant: usize,
    /// Agency count.
    pub k: usize,
    /// Every schedule, in the scenario's order.
    pub schedules: Vec<ScheduleDecision>,
    /// The best schedule (index into `schedules`); `None` when no member owns cases.
    pub best: Option<usize>,
    /// The recommended schedule (index into `schedules`).
    pub recommended: Option<usize>,
}

impl CountDecision {
    /// The recommended schedule's figures.
    pub fn recommended(&self) -> Option<&ScheduleDecision> {
        self.recommended.map(|i| &self.schedules[i])
    }

    /// The best schedule's figures.
    pub fn best(&self) -> Option<&ScheduleDecision> {
        self.best.map(|i| &self.schedules[i])
    }
}

/// The index of severity `all` among a study's severities.
fn all_severities(study: &Study) -> usize {
    study.scenario.incidents.classes.len()
}

/// The decision measure: share within the decision SLA of the alert.
pub fn measure(study: &Study) -> Measure {
    Measure::Within(study.scenario.decision.sla)
}

/// The decision measure's name, e.g. `within 2h`.
pub fn measure_words(study: &Study) -> String {
    sla_label(study.scenario.experiment.sla[study.scenario.decision.sla]).replace('_', " ")
}

/// The decisions at every (sweep value, agency count), in that order.
pub fn decisions(study: &Study, cells: &[CellResults]) -> Vec<CountDecision> {
    let all = all_severities(study);
    let m = measure(study);
    let days = study.scenario.experiment.days;
    let mut groups: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let k = study.cells[c.cell].k;
        match groups
            .iter_mut()
            .find(|(v, kk, _)| *v == c.variant && *kk == k)
        {
            Some(g) => g.2.push(i),
            None => groups.push((c.variant, k, vec![i])),
        }
    }
    groups.sort_by_key(|(v, k, _)| (*v, *k));
    groups
        .into_iter()
        .map(|(variant, k, members)| {
            let mut schedules: Vec<ScheduleDecision> = members
                .iter()
                .map(|&i| {
                    let c = &cells[i];
                    let minutes = |x: f64| x / 60.0;
                    ScheduleDecision {
                        cell: i,
                        study_cell: c.cell,
                        schedule: schedule_name(study, cells, i).to_string(),
                        share: c.ci(Scope::Members, all, |x| m.value(x)),
                        missed: c.ci(Scope::Members, all, |x| x.missed_share()),
                        p50: c.ci(Scope::Members, all, |x| minutes(x.p50())),
                        p95: c.ci(Scope::Members, all, |x| minutes(x.p95())),
                        cost: mean_ci(
                            &c.runs
                                .iter()
                                .map(|r| crate::report::summary::analyst_hours_per_week(r, days))
                                .collect::<Vec<_>>(),
                        ),
                        against_best: None,
                        standing: Standing::Undecided,
                        recommended: false,
                    }
                })
                .collect();
            // The best: the highest share; ties go to fewer missed cases.
            let best = (0..schedules.len())
                .filter(|&i| !schedules[i].share.mean.is_nan())
                .max_by(|&a, &b| {
                    let (x, y) = (&schedules[a], &schedules[b]);
                    x.share
                        .mean
                        .total_cmp(&y.share.mean)
                        .then(y.missed.mean.total_cmp(&x.missed.mean))
                        .then(b.cmp(&a))
                });
            let mut recommended = None;
            if let Some(b) = best {
                for i in 0..schedules.len() {
                    if i == b {
                        schedules[i].standing = Standing::Best;
                        continue;
                    }
                    let cmp = compare(
                        study,
                        cells,
                        (schedules[b].cell, schedules[i].cell),
                        Scope::Members,
                        all,
                        m,
                    );
                    schedules[i].standing = match cmp.verdict {
                        Verdict::ABetter => Standing::Worse,
                        Verdict::NoPracticalDifference => Standing::NotWorse,
                        // The best has the highest mean, so B better cannot be clear.
                        Verdict::BBetter | Verdict::Undecided => Standing::Undecided,
                    };
                    schedules[i].against_best = Some(cmp);
                }
                // The cheapest of those not worse than the best; ties: the higher share.
                recommended = (0..schedules.len())
                    .filter(|&i| {
                        matches!(schedules[i].standing, Standing::Best | Standing::NotWorse)
                    })
                    .min_by(|&a, &b| {
                        let (x, y) = (&schedules[a], &schedules[b]);
                        x.cost
                            .mean
                            .total_cmp(&y.cost.mean)
                            .then(y.share.mean.total_cmp(&x.share.mean))
                    });
                if let Some(r) = recommended {
                    schedules[r].recommended = true;
                }
            }
            CountDecision {
                variant,
                k,
                schedules,
                best,
                recommended,
            }
        })
        .collect()
}

/// `decision.csv`: every schedule at every agency count with its standing.
pub fn decision_rows(study: &Study, decisions: &[CountDecision]) -> Vec<DecisionRow> {
    let name = sla_label(study.scenario.experiment.sla[study.scenario.decision.sla]);
    let best_name = |d: &CountDecision| d.best().map(|b| b.schedule.clone()).unwrap_or_default();
    let mut rows = Vec::new();
    for d in decisions {
        for s in &d.schedules {
            let standing = match (s.standing, s.recommended) {
                (Standing::Best, true) => "best, recommended",
                (Standing::Best, false) => "best",
                (Standing::NotWorse, true) => "recommended",
                (Standing::NotWorse, false) => "not worse",
                (Standing::Worse, _) => "worse",
                (Standing::Undecided, _) => "undecided",
            };
            rows.push(DecisionRow {
                key: crate::report::summary::cell_key(study, d.variant, s.study_cell),
                measure: name.clone(),
                share: Num::share(s.share.mean),
                share_low: Num::share(s.share.low),
                share_high: Num::share(s.share.high),
                missed_share: Num::share(s.missed.mean),
                p50: Num::new(s.p50.mean, 4),
                p95: Num::new(s.p95.mean, 4),
                cost_hours_per_week: Num::new(s.cost.mean, 3),
                against_best: s
                    .against_best
                    .as_ref()
                    .map(|c| c.verdict.text(&best_name(d), &s.schedule))
                    .unwrap_or_default(),
                standing: standing.into(),
            });
        }
    }
    rows
}

/// What admitting the next member(s) changes for one schedule, over every incident.
#[derive(Debug, Clone)]
pub struct Increment {
    /// Sweep value index.
    pub variant: usize,
    /// The schedule.
    pub schedule: String,
    /// Agency count before.
    pub from: usize,
    /// Agency count after.
    pub to: usize,
    /// The member ids admitted, joined by `+`.
    pub added: String,
    /// After − before, share within the decision SLA (all scope).
    pub share: Comparison,
    /// After − before, mean alert → response in minutes (all scope).
    pub mean: Comparison,
}

/// Paired comparisons between consecutive agency counts, per schedule (and sweep
/// value), over every incident: the same incidents at every count (common random
/// numbers), so the change is the new member's alone.
pub fn increments(study: &Study, cells: &[CellResults]) -> Vec<Increment> {
    let all = all_severities(study);
    let mut counts = study.scenario.experiment.agency_counts.clone();
    counts.sort_unstable();
    counts.dedup();
    let find = |v: usize, s: usize, k: usize| {
        cells.iter().position(|c| {
            let cell = &study.cells[c.cell];
            c.variant == v && cell.schedule == s && cell.k == k
        })
    };
    let mut out = Vec::new();
    for v in 0..study.variants.len() {
        for &s in &study.scenario.experiment.schedules {
            for pair in counts.windows(2) {
                let (from, to) = (pair[0], pair[1]);
                let (Some(before), Some(after)) = (find(v, s, from), find(v, s, to)) else {
                    continue;
                };
                let added: Vec<&str> = study.scenario.agencies[from..to]
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect();
                out.push(Increment {
                    variant: v,
                    schedule: study.scenario.schedules[s].name.clone(),
                    from,
                    to,
                    added: added.join("+"),
                    share: compare(
                        study,
                        cells,
                        (after, before),
                        Scope::All,
                        all,
                        measure(study),
                    ),
                    mean: compare(
                        study,
                        cells,
                        (after, before),
                        Scope::All,
                        all,
                        Measure::MeanAlertToResponse,
                    ),
                });
            }
        }
    }
    out
}

/// The verdict of an increment in words: `better`, `worse`, …
pub fn change_words(v: Verdict) -> &'static str {
    match v {
        Verdict::ABetter => "better",
        Verdict::BBetter => "worse",
        Verdict::NoPracticalDifference => "no practical difference",
        Verdict::Undecided => "undecided (more replications would tell)",
    }
}

/// `increments.csv`.
pub fn increment_rows(study: &Study, increments: &[Increment]) -> Vec<IncrementRow> {
    let sla = &study.scenario.experiment.sla;
    let mut rows = Vec::new();
    for inc in increments {
        for (cmp, decimals) in [(&inc.share, 6), (&inc.mean, 4)] {
            rows.push(IncrementRow {
                key: crate::report::rows::CellKey {
                    schedule: inc.schedule.clone(),
                    agencies: inc.to,
                    sweep: study.variant_label(inc.variant),
                },
                from_agencies: inc.from,
                added: inc.added.clone(),
                metric: cmp.measure.name(sla),
                before: Num::new(cmp.means.1, decimals),
                after: Num::new(cmp.means.0, decimals),
                change: Num::new(cmp.diff.mean, decimals),
                ci95_low: Num::new(cmp.diff.low, decimals),
                ci95_high: Num::new(cmp.diff.high, decimals),
                verdict: change_words(cmp.verdict).into(),
            });
        }
    }
    rows
}

/// `12.3 %` of a share.
pub fn pct(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * x)
    }
}

/// `12.3 % (95 % CI 11.8 to 12.9)`.
pub fn pct_ci(ci: &MeanCi) -> String {
    if ci.low.is_nan() {
        pct(ci.mean)
    } else {
        format!(
            "{} (95 % CI {:.1} to {:.1})",
            pct(ci.mean),
            100.0 * ci.low,
            100.0 * ci.high
        )
    }
}

/// `+3.2 points (95 % CI +2.9 to +3.5)`.
pub fn points_ci(ci: &MeanCi) -> String {
    if ci.low.is_nan() {
        format!("{:+.1} points", 100.0 * ci.mean)
    } else {
        format!(
            "{:+.1} points (95 % CI {:+.1} to {:+.1})",
            100.0 * ci.mean,
            100.0 * ci.low,
            100.0 * ci.high
        )
    }
}

/// `1,234` for hours.
pub fn hours(x: f64) -> String {
    if x.is_nan() {
        return "–".into();
    }
    let n = x.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The ordinal of a member: 5th, 11th, 22nd.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A count's title: `15 agencies` or `15 agencies, watch_staff = 2`.
pub fn count_title(study: &Study, variant: usize, k: usize) -> String {
    match (&study.scenario.sweep, study.variant_label(variant)) {
        (Some(sw), Some(v)) => format!("{k} agencies, {} = {v}", sw.name),
        _ => format!("{k} agencies"),
    }
}
