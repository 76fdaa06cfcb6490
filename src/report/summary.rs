//! Aggregation over replications: `summary.csv`, `compare.csv`, `distribution.csv`,
//! `weekly.csv`, `desks.csv`, `load.csv` and the headline table.

use crate::experiment::{RunResult, Study};
use crate::report::rows::{
    CellKey, CompareRow, CountKey, DeskRow, DistributionRow, LoadRow, Num, SummaryRow, WeeklyRow,
    sla_label,
};
use crate::scenario::units::{HOUR, TimeOfDay, WEEK, Weekdays};
use crate::schedule::{Horizon, IntervalKind};
use crate::stats::ci::{MeanCi, mean_ci};
use crate::stats::{ClassStats, Metric};

/// The replications of one (sweep value, cell), with pooled summaries per severity
/// (the classes, then `all`).
pub struct CellResults<'a> {
    /// Sweep value index.
    pub variant: usize,
    /// Cell index.
    pub cell: usize,
    /// The runs, by replication.
    pub runs: Vec<&'a RunResult>,
    /// Pooled over replications: each class, then all classes.
    pub pooled: Vec<ClassStats>,
    /// Each run's summary of all classes together.
    all_by_run: Vec<ClassStats>,
}

impl CellResults<'_> {
    /// Per-replication summary of severity `s` (the last index is `all`).
    pub fn per_run(&self, s: usize) -> Vec<&ClassStats> {
        self.runs
            .iter()
            .zip(&self.all_by_run)
            .map(|(r, all)| r.stats.classes.get(s).unwrap_or(all))
            .collect()
    }

    /// Mean and CI over replications of a per-run value of severity `s`.
    pub fn ci(&self, s: usize, value: impl Fn(&ClassStats) -> f64) -> MeanCi {
        mean_ci(&self.per_run(s).into_iter().map(value).collect::<Vec<_>>())
    }
}

/// Groups results (ordered by variant, cell, replication) by (variant, cell).
pub fn by_cell<'a>(study: &Study, results: &'a [RunResult]) -> Vec<CellResults<'a>> {
    let reps = study.replications() as usize;
    results
        .chunks(reps)
        .map(|chunk| {
            let mut classes = chunk[0].stats.classes.clone();
            for r in &chunk[1..] {
                for (a, b) in classes.iter_mut().zip(&r.stats.classes) {
                    a.merge(b);
                }
            }
            let mut all = classes[0].clone();
            for c in &classes[1..] {
                all.merge(c);
            }
            classes.push(all);
            CellResults {
                variant: chunk[0].variant,
                cell: chunk[0].cell,
                runs: chunk.iter().collect(),
                pooled: classes,
                all_by_run: chunk.iter().map(|r| r.stats.all()).collect(),
            }
        })
        .collect()
}

/// The severity names: each class, then `all`.
fn severities(study: &Study) -> Vec<String> {
    let mut names: Vec<String> = study
        .scenario
        .incidents
        .classes
        .iter()
        .map(|c| c.name.clone())
        .collect();
    names.push("all".into());
    names
}

/// The key of a cell's rows.
pub fn cell_key(study: &Study, variant: usize, cell: usize) -> CellKey {
    let c = &study.cells[cell];
    CellKey {
        schedule: study.scenario.schedules[c.schedule].name.clone(),
        agencies: c.k,
        sweep: study.variant_label(variant),
    }
}

fn key(study: &Study, c: &CellResults) -> CellKey {
    cell_key(study, c.variant, c.cell)
}

/// The three numbers of an estimate, scaled, with `decimals` decimals.
fn ci_nums(ci: MeanCi, scale: f64, decimals: u8) -> [Num; 3] {
    [ci.mean, ci.low, ci.high].map(|x| Num::new(x / scale, decimals))
}

/// `summary.csv`: per (schedule, agencies, [sweep], severity, metric): replications, n,
/// the mean over replications with its Student-t 95 % CI, pooled quantiles and, for
/// alert → response, the pooled share within each SLA.
pub fn summary_rows(study: &Study, cells: &[CellResults]) -> Vec<SummaryRow> {
    let sla = &study.scenario.experiment.sla;
    let names = severities(study);
    let replications = study.replications();
    let mut rows = Vec::new();
    for c in cells {
        for (s, severity) in names.iter().enumerate() {
            let pooled = &c.pooled[s];
            let mut row = |metric: &str,
                           unit: &str,
                           n: u64,
                           ci: MeanCi,
                           scale: f64,
                           quantiles: Option<Metric>,
                           within: bool| {
                let [mean, ci95_low, ci95_high] =
                    ci_nums(ci, scale, if unit == "share" { 6 } else { 4 });
                let [p50, p90, p95, p99] = [0.5, 0.9, 0.95, 0.99]
                    .map(|q| Num::minutes(quantiles.map_or(f64::NAN, |m| pooled.quantile(m, q))));
                rows.push(SummaryRow {
                    key: key(study, c),
                    severity: severity.clone(),
                    metric: metric.to_string(),
                    unit: unit.to_string(),
                    replications,
                    n,
                    mean,
                    ci95_low,
                    ci95_high,
                    p50,
                    p90,
                    p95,
                    p99,
                    within: (0..sla.len())
                        .map(|i| {
                            Num::share(if within {
                                pooled.share_within(i)
                            } else {
                                f64::NAN
                            })
                        })
                        .collect(),
                });
            };
            for m in Metric::ALL {
                row(
                    m.name(),
                    "minutes",
                    pooled.responded,
                    c.ci(s, |x| x.mean(m)),
                    60.0,
                    Some(m),
                    m == Metric::AlertToResponse,
                );
            }
            for (q, name) in [
                (0.5, "alert_to_response_p50"),
                (0.95, "alert_to_response_p95"),
            ] {
                row(
                    name,
                    "minutes",
                    pooled.responded,
                    c.ci(s, |x| x.quantile(Metric::AlertToResponse, q)),
                    60.0,
                    None,
                    false,
                );
            }
            row(
                "missed_share",
                "share",
                pooled.n,
                c.ci(s, ClassStats::missed_share),
                1.0,
                None,
                false,
            );
            row(
                "open_share",
                "share",
                pooled.n,
                c.ci(s, ClassStats::open_share),
                1.0,
                None,
                false,
            );
            for (i, &t) in sla.iter().enumerate() {
                row(
                    &sla_label(t),
                    "share",
                    pooled.n - pooled.missed,
                    c.ci(s, |x| x.share_within(i)),
                    1.0,
                    None,
                    false,
                );
            }
            if severity == "all" {
                let days = study.scenario.experiment.days;
                let per_run = |f: &dyn Fn(&RunResult) -> f64| {
                    mean_ci(&c.runs.iter().map(|r| f(r)).collect::<Vec<_>>())
                };
                let analyst =
                    per_run(&|r| r.totals.analyst_secs.iter().sum::<f64>() / HOUR / (days / 7.0));
                let utilisation = per_run(&|r| {
                    r.totals.busy_secs.iter().sum::<f64>()
                        / r.totals.analyst_secs.iter().sum::<f64>()
                });
                let handoffs = per_run(&|r| r.totals.handoffs as f64 / days);
                let moved = per_run(&|r| r.totals.cases_moved as f64 / days);
                for (metric, unit, ci) in [
                    ("analyst_hours_per_week", "hours", analyst),
                    ("desk_utilisation", "share", utilisation),
                    ("handoffs_per_day", "count", handoffs),
                    ("cases_moved_per_day", "count", moved),
                ] {
                    row(metric, unit, pooled.n, ci, 1.0, None, false);
                }
            }
        }
    }
    rows
}

/// One paired comparison: a metric's per-replication difference between two schedules
/// at the same agency count (and sweep value).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Cell indices of the two schedules.
    pub a: usize,
    /// Second schedule's cell.
    pub b: usize,
    /// Severity index (classes, then all).
    pub severity: usize,
    /// Metric name.
    pub metric: String,
    /// Whether lower values are better.
    pub lower_is_better: bool,
    /// Mean of a, mean of b.
    pub means: (f64, f64),
    /// Mean difference a − b with its CI.
    pub diff: MeanCi,
}

impl Comparison {
    /// The better schedule's cell, when the CI excludes zero.
    pub fn winner(&self) -> Option<usize> {
        if !self.diff.excludes_zero() {
            return None;
        }
        let a_lower = self.diff.mean < 0.0;
        Some(if a_lower == self.lower_is_better {
            self.a
        } else {
            self.b
        })
    }
}

/// A value computed from one run's summary.
type PerRunValue = Box<dyn Fn(&ClassStats) -> f64>;

/// Paired differences replication by replication: common random numbers make each
/// replication's pair share its incidents, so the differences vary far less than the
/// values.
pub fn paired(a: &[f64], b: &[f64]) -> MeanCi {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    mean_ci(&d)
}

/// Every pair of schedules at each agency count and sweep value, for the mean and p95
/// of alert → response and each SLA share, by severity.
pub fn comparisons(study: &Study, cells: &[CellResults]) -> Vec<Comparison> {
    let sla = &study.scenario.experiment.sla;
    let mut metrics: Vec<(String, bool, PerRunValue)> = vec![
        (
            "alert_to_response_mean".into(),
            true,
            Box::new(|x: &ClassStats| x.mean(Metric::AlertToResponse) / 60.0),
        ),
        (
            "alert_to_response_p95".into(),
            true,
            Box::new(|x: &ClassStats| x.quantile(Metric::AlertToResponse, 0.95) / 60.0),
        ),
    ];
    for (i, &t) in sla.iter().enumerate() {
        metrics.push((
            sla_label(t),
            false,
            Box::new(move |x: &ClassStats| x.share_within(i)),
        ));
    }
    metrics.push((
        "missed_share".into(),
        true,
        Box::new(ClassStats::missed_share),
    ));
    let mut out = Vec::new();
    let severities = study.scenario.incidents.classes.len() + 1;
    for (i, ca) in cells.iter().enumerate() {
        for (j, cb) in cells.iter().enumerate().skip(i + 1) {
            let (a, b) = (&study.cells[ca.cell], &study.cells[cb.cell]);
            if ca.variant != cb.variant || a.k != b.k || a.schedule == b.schedule {
                continue;
            }
            for s in (0..severities).rev() {
                let (ra, rb) = (ca.per_run(s), cb.per_run(s));
                for (name, lower, f) in &metrics {
                    let va: Vec<f64> = ra.iter().map(|x| f(x)).collect();
                    let vb: Vec<f64> = rb.iter().map(|x| f(x)).collect();
                    out.push(Comparison {
                        a: i,
                        b: j,
                        severity: s,
                        metric: name.clone(),
                        lower_is_better: *lower,
                        means: (mean_ci(&va).mean, mean_ci(&vb).mean),
                        diff: paired(&va, &vb),
                    });
                }
            }
        }
    }
    out
}

/// `compare.csv`: one row per paired comparison.
pub fn compare_rows(
    study: &Study,
    cells: &[CellResults],
    comparisons: &[Comparison],
) -> Vec<CompareRow> {
    let names = severities(study);
    let name = |c: usize| {
        study.scenario.schedules[study.cells[cells[c].cell].schedule]
            .name
            .clone()
    };
    comparisons
        .iter()
        .map(|cmp| {
            let ca = &cells[cmp.a];
            let better = cmp.winner().map(name);
            let verdict = match &better {
                Some(w) => format!("{w} is better"),
                None => "no clear difference".into(),
            };
            let [mean_a, mean_b, diff, ci95_low, ci95_high] = [
                cmp.means.0,
                cmp.means.1,
                cmp.diff.mean,
                cmp.diff.low,
                cmp.diff.high,
            ]
            .map(|x| Num::new(x, 6));
            CompareRow {
                key: CountKey {
                    agencies: study.cells[ca.cell].k,
                    sweep: study.variant_label(ca.variant),
                },
                severity: names[cmp.severity].clone(),
                metric: cmp.metric.clone(),
                schedule_a: name(cmp.a),
                schedule_b: name(cmp.b),
                replications: study.replications(),
                mean_a,
                mean_b,
                diff,
                ci95_low,
                ci95_high,
                better: better.unwrap_or_default(),
                verdict,
            }
        })
        .collect()
}

/// `distribution.csv`: pooled alert → response quantiles per cell and severity, for
/// ECDF charts.
pub fn distribution_rows(study: &Study, cells: &[CellResults]) -> Vec<DistributionRow> {
    let names = severities(study);
    let mut qs: Vec<f64> = (1..100).map(|i| f64::from(i) / 100.0).collect();
    qs.extend([0.995, 0.999]);
    let mut rows = Vec::new();
    for c in cells {
        for (s, severity) in names.iter().enumerate() {
            if c.pooled[s].responded == 0 {
                continue;
            }
            for &q in &qs {
                rows.push(DistributionRow {
                    key: key(study, c),
                    severity: severity.clone(),
                    quantile: Num::new(q, 3),
                    alert_to_response: Num::minutes(
                        c.pooled[s].quantile(Metric::AlertToResponse, q),
                    ),
                });
            }
        }
    }
    rows
}

/// `weekly.csv`: per cell and week of the horizon, the mean alert → response and
/// detection delay and the missed share, over all replications.
pub fn weekly_rows(study: &Study, cells: &[CellResults]) -> Vec<WeeklyRow> {
    let horizon = Horizon::of(&study.scenario);
    let mut rows = Vec::new();
    for c in cells {
        let weeks = c.runs[0].stats.weeks.len();
        for w in 0..weeks {
            let mut total = crate::stats::WeekStats::default();
            for r in &c.runs {
                let x = r.stats.weeks[w];
                total.n += x.n;
                total.missed += x.missed;
                total.responded += x.responded;
                total.alert_to_response += x.alert_to_response;
                total.detect += x.detect;
            }
            if total.n == 0 {
                continue;
            }
            let per = |sum: f64| {
                if total.responded == 0 {
                    f64::NAN
                } else {
                    sum / total.responded as f64
                }
            };
            rows.push(WeeklyRow {
                key: key(study, c),
                week_start: horizon
                    .instant(w as f64 * WEEK)
                    .format("%Y-%m-%d")
                    .to_string(),
                n: total.n,
                missed_share: Num::share(total.missed as f64 / total.n as f64),
                detect_mean: Num::minutes(per(total.detect)),
                alert_to_response_mean: Num::minutes(per(total.alert_to_response)),
            });
        }
    }
    rows
}

/// Seconds of `intervals` (sorted, disjoint) that fall inside `windows` (sorted).
fn overlap_secs(intervals: &[(f64, f64)], windows: &[(f64, f64)]) -> f64 {
    let (mut i, mut j, mut total) = (0, 0, 0.0);
    while i < intervals.len() && j < windows.len() {
        let (a, b) = intervals[i];
        let (c, d) = windows[j];
        total += (b.min(d) - a.max(c)).max(0.0);
        if b < d { i += 1 } else { j += 1 }
    }
    total
}

/// `desks.csv`: the burden per member and cell: watch hours a week, of which at local
/// night (22:00-06:00), analyst-hours, utilisation and share of the cases triaged.
pub fn desk_rows(study: &Study, cells: &[CellResults]) -> Vec<DeskRow> {
    let s = &study.scenario;
    let horizon = Horizon::of(s);
    let weeks = s.experiment.days / 7.0;
    let nights: Vec<Vec<(f64, f64)>> = s
        .agencies
        .iter()
        .map(|a| {
            horizon.daily(
                a.tz,
                TimeOfDay(22 * 3600),
                TimeOfDay(6 * 3600),
                Weekdays::ALL,
            )
        })
        .collect();
    let mut rows = Vec::new();
    for c in cells {
        let cell = &study.cells[c.cell];
        let intervals = cell.plan.coverage.intervals(cell.k);
        let triaged_all: u64 = c.runs.iter().flat_map(|r| &r.totals.triaged).sum();
        for (m, night) in nights.iter().enumerate().take(cell.k) {
            let watch: Vec<(f64, f64)> = intervals
                .iter()
                .filter(|i| i.kind == IntervalKind::Watch && i.members == 1 << m)
                .map(|i| (i.start, i.end))
                .collect();
            let held: f64 = watch.iter().map(|(a, b)| b - a).sum();
            let analyst: f64 = c.runs.iter().map(|r| r.totals.analyst_secs[m]).sum();
            let busy: f64 = c.runs.iter().map(|r| r.totals.busy_secs[m]).sum();
            let triaged: u64 = c.runs.iter().map(|r| r.totals.triaged[m]).sum();
            let hours = |secs: f64| Num::new(secs / HOUR / weeks, 3);
            rows.push(DeskRow {
                key: key(study, c),
                agency: s.agencies[m].id.clone(),
                watch_hours_per_week: hours(held),
                night_hours_per_week: hours(overlap_secs(&watch, night)),
                analyst_hours_per_week: hours(analyst / c.runs.len() as f64),
                utilisation: Num::share(if analyst > 0.0 {
                    busy / analyst
                } else {
                    f64::NAN
                }),
                cases_triaged_share: Num::share(if triaged_all > 0 {
                    triaged as f64 / triaged_all as f64
                } else {
                    f64::NAN
                }),
            });
        }
    }
    rows
}

/// `load.csv`: cases whose triage each member started, per day, by UTC hour of day.
pub fn load_rows(study: &Study, cells: &[CellResults]) -> Vec<LoadRow> {
    let days = study.scenario.experiment.days;
    let mut rows = Vec::new();
    for c in cells {
        let cell = &study.cells[c.cell];
        for m in 0..cell.k {
            for h in 0..24u8 {
                let starts: u64 = c
                    .runs
                    .iter()
                    .map(|r| r.totals.starts_by_hour[m][usize::from(h)])
                    .sum();
                rows.push(LoadRow {
                    key: key(study, c),
                    agency: study.scenario.agencies[m].id.clone(),
                    hour_utc: h,
                    triage_starts_per_day: Num::new(
                        starts as f64 / (days * c.runs.len() as f64),
                        4,
                    ),
                });
            }
        }
    }
    rows
}

/// One line of the headline table.
pub struct Headline {
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub k: usize,
    /// Sweep value index (0 without a sweep).
    pub variant: usize,
    /// Sweep value label (empty without a sweep).
    pub variant_label: String,
    /// Alert → response p50 over replications, minutes.
    pub p50: MeanCi,
    /// Alert → response p95 over replications, minutes.
    pub p95: MeanCi,
    /// Share within the headline SLA (2 h when configured).
    pub within: MeanCi,
    /// Missed share.
    pub missed: MeanCi,
    /// Whether it is the best schedule at its agency count and sweep value.
    pub best: bool,
}

/// The SLA threshold the headline leads with: 2 h when the scenario has it, else the
/// middle one. `None` without thresholds.
pub fn headline_sla(sla: &[f64]) -> Option<usize> {
    sla.iter()
        .position(|&t| t == 2.0 * HOUR)
        .or((!sla.is_empty()).then_some(sla.len() / 2))
}

/// The best of some schedules at one agency count, given each one's share within the
/// headline SLA and p95 (means): the highest share, then the lowest p95. Schedules
/// without a share (no incidents) are never best. The one rule behind the console's
/// star, the page's bold row and the charts' highlight.
pub fn best_schedule(candidates: &[(f64, f64)]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, (within, _))| !within.is_nan())
        .max_by(|(_, a), (_, b)| {
            a.0.total_cmp(&b.0)
                .then(b.1.is_nan().cmp(&a.1.is_nan()))
                .then(b.1.total_cmp(&a.1))
        })
        .map(|(i, _)| i)
}

/// The headline: per (sweep value, agency count), each schedule's p50 and p95 with CIs
/// and the share within 2 h; the best (see [`best_schedule`]) marked.
pub fn headline(study: &Study, cells: &[CellResults]) -> (String, Vec<Headline>) {
    let sla = &study.scenario.experiment.sla;
    let i = headline_sla(sla).unwrap_or(0);
    let all = study.scenario.incidents.classes.len();
    let mut rows: Vec<Headline> = cells
        .iter()
        .map(|c| {
            let cell = &study.cells[c.cell];
            let minutes =
                |q: f64| move |x: &ClassStats| x.quantile(Metric::AlertToResponse, q) / 60.0;
            Headline {
                schedule: study.scenario.schedules[cell.schedule].name.clone(),
                k: cell.k,
                variant: c.variant,
                variant_label: study.variant_label(c.variant).unwrap_or_default(),
                p50: c.ci(all, minutes(0.5)),
                p95: c.ci(all, minutes(0.95)),
                within: c.ci(all, |x| x.share_within(i)),
                missed: c.ci(all, ClassStats::missed_share),
                best: false,
            }
        })
        .collect();
    // Sweep values in the scenario's order (not as strings: 2 before 10).
    rows.sort_by_key(|r| (r.variant, r.k));
    let mut start = 0;
    while start < rows.len() {
        let end = (start..rows.len())
            .find(|&j| rows[j].k != rows[start].k || rows[j].variant != rows[start].variant)
            .unwrap_or(rows.len());
        let candidates: Vec<(f64, f64)> = rows[start..end]
            .iter()
            .map(|r| (r.within.mean, r.p95.mean))
            .collect();
        if let Some(best) = best_schedule(&candidates) {
            rows[start + best].best = true;
        }
        start = end;
    }
    (sla.get(i).map_or_else(String::new, |&t| sla_label(t)), rows)
}

/// The headline as text for the console.
pub fn headline_text(study: &Study, label: &str, rows: &[Headline]) -> String {
    let mut out = String::new();
    let pm = |ci: &MeanCi, scale: f64, decimals: usize| {
        if ci.low.is_nan() {
            format!("{:.*}", decimals, ci.mean * scale)
        } else {
            format!(
                "{:.*} ±{:.*}",
                decimals,
                ci.mean * scale,
                decimals,
                ci.half_width() * scale
            )
        }
    };
    let sweep = study.scenario.sweep.as_ref().map(|s| s.name.as_str());
    let mut last: Option<(usize, usize)> = None;
    for r in rows {
        if last != Some((r.variant, r.k)) {
            let title = match sweep {
                Some(name) => format!("{} agencies, {name} = {}", r.k, r.variant_label),
                None => format!("{} agencies", r.k),
            };
            out.push_str(&format!(
                "\n{title}\n  {:<24} {:>16} {:>16} {:>15} {:>9}\n",
                "schedule", "p50 (min)", "p95 (min)", label, "missed"
            ));
            last = Some((r.variant, r.k));
        }
        out.push_str(&format!(
            "{} {:<24} {:>16} {:>16} {:>14}% {:>8.2}%\n",
            if r.best { "*" } else { " " },
            r.schedule,
            pm(&r.p50, 1.0, 1),
            pm(&r.p95, 1.0, 1),
            pm(&r.within, 100.0, 1),
            100.0 * r.missed.mean
        ));
    }
    out.push_str(&format!(
        "\n* best at its agency count: highest share {} (then lowest p95). ± is the 95 % confidence half-width over {} replications.\n",
        label.replace('_', " "),
        study.replications()
    ));
    out
}
