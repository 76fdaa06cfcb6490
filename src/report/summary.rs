//! Aggregation over replications: `summary.csv`, `compare.csv`, `distribution.csv`,
//! `weekly.csv`, `desks.csv` and `load.csv`, each figure per scope (members,
//! non-members, all).

use std::borrow::Cow;
use std::sync::Mutex;

use crate::experiment::{RunResult, Study};
use crate::report::rows::{
    CellKey, CompareRow, CountKey, DeskRow, DistributionRow, LoadRow, Num, RunRow, SummaryRow,
    WeeklyRow, sla_label,
};
use crate::report::runs::{RunDigest, digest_rows};
use crate::report::verdict::Verdict;
use crate::scenario::units::{HOUR, TimeOfDay, WEEK, Weekdays};
use crate::schedule::{Horizon, IntervalKind};
use crate::stats::ci::{MeanCi, mean_ci};
use crate::stats::{ClassStats, Metric, Pooled, Scope};

/// One run's figures for one scope and severity: what confidence intervals and paired
/// comparisons over replications are made of.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Counted incidents.
    pub n: u64,
    means: [f64; Metric::COUNT],
    p50: f64,
    p95: f64,
    missed: f64,
    open: f64,
    responded: f64,
    within: Vec<f64>,
    signal_within: Vec<f64>,
}

impl Figures {
    /// A run's figures from a summary and its alert → response [p50, p90, p95].
    fn of(c: &ClassStats, quantiles: &[f64; 3]) -> Figures {
        let slas = c.within.len();
        Figures {
            n: c.n,
            means: Metric::ALL.map(|m| c.mean(m)),
            p50: quantiles[0],
            p95: quantiles[2],
            missed: c.missed_share(),
            open: c.open_share(),
            responded: c.responded_share(),
            within: (0..slas).map(|i| c.share_within(i)).collect(),
            signal_within: (0..slas).map(|i| c.signal_share_within(i)).collect(),
        }
    }

    /// Mean of metric `m` over responded incidents, seconds.
    pub fn mean(&self, m: Metric) -> f64 {
        self.means[m.index()]
    }

    /// Median alert → response, seconds.
    pub fn p50(&self) -> f64 {
        self.p50
    }

    /// 95th percentile of alert → response, seconds.
    pub fn p95(&self) -> f64 {
        self.p95
    }

    /// Share of counted incidents answered within SLA `i` of the alert.
    pub fn share_within(&self, i: usize) -> f64 {
        self.within[i]
    }

    /// Share of counted incidents answered within SLA `i` of the signal.
    pub fn signal_share_within(&self, i: usize) -> f64 {
        self.signal_within[i]
    }

    /// Missed share.
    pub fn missed_share(&self) -> f64 {
        self.missed
    }

    /// Share still open at the horizon.
    pub fn open_share(&self) -> f64 {
        self.open
    }

    /// Responded share.
    pub fn responded_share(&self) -> f64 {
        self.responded
    }
}

/// The replications of one (sweep value, cell): each run's figures and tables, and the
/// summaries pooled over replications per scope and severity (the classes, then `all`).
pub struct CellResults {
    /// Sweep value index.
    pub variant: usize,
    /// Cell index.
    pub cell: usize,
    /// The runs, by replication, without their histograms (see [`Pool`]).
    pub runs: Vec<RunResult>,
    /// The rows of `runs.csv` of these runs, by replication.
    pub run_rows: Vec<RunRow>,
    /// Pooled over replications, per class: members', then non-members'. The other
    /// scopes and severities are sums of these, made when asked for.
    pooled: [Vec<Pooled>; 2],
    /// Per scope and severity, each run's figures.
    figures: [Vec<Vec<Figures>>; 3],
}

/// Index of a scope in [`Scope::ALL`].
pub fn scope_index(scope: Scope) -> usize {
    Scope::ALL
        .iter()
        .position(|&s| s == scope)
        .expect("a scope")
}

impl CellResults {
    /// Per-replication values of severity `s` (the last index is `all`) in `scope`.
    pub fn values(&self, scope: Scope, s: usize, value: impl Fn(&Figures) -> f64) -> Vec<f64> {
        self.figures[scope_index(scope)][s]
            .iter()
            .map(value)
            .collect()
    }

    /// Mean and CI over replications of a per-run value of severity `s` in `scope`.
    pub fn ci(&self, scope: Scope, s: usize, value: impl Fn(&Figures) -> f64) -> MeanCi {
        mean_ci(&self.values(scope, s, value))
    }

    /// The pooled summary of severity `s` in `scope`.
    pub fn pooled(&self, scope: Scope, s: usize) -> Cow<'_, Pooled> {
        let parts = self.pooled_parts(scope, s);
        if let [one] = parts[..] {
            return Cow::Borrowed(one);
        }
        let mut sum = parts[0].clone();
        for p in &parts[1..] {
            sum.merge(p);
        }
        Cow::Owned(sum)
    }

    /// Quantiles `qs` (ascending) of metric `m` pooled over severity `s` in `scope`, as
    /// [`CellResults::pooled`] reads them, merging that metric's histogram alone; NaN
    /// if none responded.
    pub fn pooled_quantiles(&self, scope: Scope, s: usize, m: Metric, qs: &[f64]) -> Vec<f64> {
        let parts = self.pooled_parts(scope, s);
        if let [one] = parts[..] {
            return one.quantiles(m, qs);
        }
        if parts.iter().all(|p| p.responded == 0) {
            return vec![f64::NAN; qs.len()];
        }
        let mut sum = parts[0].histograms[m.index()].clone();
        for p in &parts[1..] {
            sum.add(&p.histograms[m.index()]);
        }
        sum.value_at_quantiles(qs.iter().copied())
            .map(|v| v as f64)
            .collect()
    }

    /// The per-class pools that make severity `s` in `scope`.
    fn pooled_parts(&self, scope: Scope, s: usize) -> Vec<&Pooled> {
        let classes = self.pooled[0].len();
        match scope {
            Scope::Members | Scope::NonMembers => {
                let i = scope_index(scope);
                if s < classes {
                    vec![&self.pooled[i][s]]
                } else {
                    self.pooled[i].iter().collect()
                }
            }
            Scope::All if s < classes => vec![&self.pooled[0][s], &self.pooled[1][s]],
            Scope::All => self.pooled.iter().flatten().collect(),
        }
    }
}

/// One finished run, summarised and pooled, without its histograms.
type Kept = (RunResult, [Vec<Figures>; 3], Vec<RunRow>);

/// Gathers runs into [`CellResults`] as they finish, from any thread and in any order:
/// each run's figures and `runs.csv` rows are read off it, its histograms are added to
/// its cell's pool, and the rest is kept. A study's per-run histograms are far larger
/// than everything else it keeps, so they never all need to be in memory at once.
pub struct Pool<'a> {
    study: &'a Study,
    /// Per (variant, cell).
    cells: Vec<Mutex<Slot>>,
}

/// A cell's pool so far: members' and non-members' per class, and the runs kept, by
/// replication.
struct Slot {
    members: Vec<Pooled>,
    non_members: Vec<Pooled>,
    runs: Vec<Option<Kept>>,
}

impl<'a> Pool<'a> {
    /// An empty pool for every (variant, cell) of `study`.
    pub fn new(study: &'a Study) -> Pool<'a> {
        let classes = study.scenario.incidents.classes.len();
        let sla = study.scenario.experiment.sla.len();
        let reps = study.replications() as usize;
        let empty = || (0..classes).map(|_| Pooled::new(sla)).collect::<Vec<_>>();
        Pool {
            study,
            cells: (0..study.variants.len() * study.cells.len())
                .map(|_| {
                    Mutex::new(Slot {
                        members: empty(),
                        non_members: empty(),
                        runs: (0..reps).map(|_| None).collect(),
                    })
                })
                .collect(),
        }
    }

    /// Adds finished runs.
    pub fn add_all(&self, runs: impl IntoIterator<Item = RunResult>) {
        for r in runs {
            self.add(&r);
        }
    }

    /// Adds one finished run.
    pub fn add(&self, r: &RunResult) {
        let st = &r.stats;
        let digest = RunDigest::of(st);
        let figures: [Vec<Figures>; 3] = digest
            .severities
            .each_ref()
            .map(|severities| severities.iter().map(|(c, q)| Figures::of(c, q)).collect());
        let rows = digest_rows(self.study, r, &digest);
        let kept = RunResult {
            variant: r.variant,
            cell: r.cell,
            replication: r.replication,
            stats: st.without_histograms(),
            totals: r.totals.clone(),
            trace: None,
        };
        let slot = r.variant * self.study.cells.len() + r.cell;
        let mut cell = self.cells[slot].lock().expect("no pooling thread panicked");
        for (p, c) in cell.members.iter_mut().zip(&st.members) {
            p.add(c);
        }
        for (p, c) in cell.non_members.iter_mut().zip(&st.non_members) {
            p.add(c);
        }
        cell.runs[r.replication as usize] = Some((kept, figures, rows));
    }

    /// The cells, ordered by variant then cell, each with its runs by replication.
    /// Every run of the study must have been added.
    pub fn finish(self) -> Vec<CellResults> {
        let cells = self.study.cells.len();
        self.cells
            .into_iter()
            .enumerate()
            .map(|(slot, m)| {
                let Slot {
                    mut members,
                    mut non_members,
                    runs: kept,
                } = m.into_inner().expect("no pooling thread panicked");
                let severities = members.len() + 1;
                let mut figures: [Vec<Vec<Figures>>; 3] =
                    [0, 1, 2].map(|_| vec![Vec::with_capacity(kept.len()); severities]);
                let mut runs = Vec::with_capacity(kept.len());
                let mut run_rows = Vec::new();
                for k in kept {
                    let (run, f, rows) = k.expect("every run of the study was pooled");
                    for (scope, per_severity) in figures.iter_mut().zip(f) {
                        for (s, x) in per_severity.into_iter().enumerate() {
                            scope[s].push(x);
                        }
                    }
                    for (p, c) in members.iter_mut().zip(&run.stats.members) {
                        p.add_sums(c);
                    }
                    for (p, c) in non_members.iter_mut().zip(&run.stats.non_members) {
                        p.add_sums(c);
                    }
                    runs.push(run);
                    run_rows.extend(rows);
                }
                CellResults {
                    variant: slot / cells,
                    cell: slot % cells,
                    runs,
                    run_rows,
                    pooled: [members, non_members],
                    figures,
                }
            })
            .collect()
    }
}

/// Runs every (variant, cell, replication) of `study` on the current rayon pool,
/// pooling each work item as it finishes ([`Study::run`] keeps every run whole).
pub fn run_pooled(study: &Study) -> Vec<CellResults> {
    use rayon::prelude::*;
    let pool = Pool::new(study);
    study
        .items()
        .par_iter()
        // One item per task, as `run_items_into` runs them.
        .with_max_len(1)
        .for_each(|&(v, r)| pool.add_all(study.run_item(v, r, false)));
    pool.finish()
}

/// Groups results (of every run of the study) by (variant, cell).
pub fn by_cell(study: &Study, results: &[RunResult]) -> Vec<CellResults> {
    let pool = Pool::new(study);
    for r in results {
        pool.add(r);
    }
    pool.finish()
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

/// `summary.csv`: per (schedule, agencies, sweep value, scope, severity, metric):
/// replications, n, the mean over replications with its Student-t 95 % CI, pooled
/// quantiles and, for alert → response, the pooled share within each SLA.
pub fn summary_rows(study: &Study, cells: &[CellResults]) -> Vec<SummaryRow> {
    let sla = &study.scenario.experiment.sla;
    let names = severities(study);
    let replications = study.replications();
    let mut rows = Vec::new();
    for c in cells {
        for scope in Scope::ALL {
            for (s, severity) in names.iter().enumerate() {
                let pooled = c.pooled(scope, s);
                let mut row = |metric: &str,
                               unit: &str,
                               n: u64,
                               ci: MeanCi,
                               scale: f64,
                               quantiles: Option<Metric>,
                               within: bool| {
                    let [mean, ci95_low, ci95_high] =
                        ci_nums(ci, scale, if unit == "share" { 6 } else { 4 });
                    let [p50, p90, p95, p99] = match quantiles {
                        Some(m) => {
                            let q = pooled.quantiles(m, &[0.5, 0.9, 0.95, 0.99]);
                            [q[0], q[1], q[2], q[3]]
                        }
                        None => [f64::NAN; 4],
                    }
                    .map(Num::minutes);
                    rows.push(SummaryRow {
                        key: key(study, c),
                        scope: scope.name().to_string(),
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
                        c.ci(scope, s, |x| x.mean(m)),
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
                        c.ci(scope, s, |x| if q == 0.5 { x.p50() } else { x.p95() }),
                        60.0,
                        None,
                        false,
                    );
                }
                let shares: [(&str, FigureOf); 3] = [
                    ("missed_share", Figures::missed_share),
                    ("open_share", Figures::open_share),
                    ("responded_share", Figures::responded_share),
                ];
                for (name, f) in shares {
                    row(name, "share", pooled.n, c.ci(scope, s, f), 1.0, None, false);
                }
                for (i, &t) in sla.iter().enumerate() {
                    row(
                        &sla_label(t),
                        "share",
                        pooled.n,
                        c.ci(scope, s, |x| x.share_within(i)),
                        1.0,
                        None,
                        false,
                    );
                }
                for (i, &t) in sla.iter().enumerate() {
                    row(
                        &format!("signal_{}", sla_label(t)),
                        "share",
                        pooled.n,
                        c.ci(scope, s, |x| x.signal_share_within(i)),
                        1.0,
                        None,
                        false,
                    );
                }
                if scope == Scope::All && severity == "all" {
                    let days = study.scenario.experiment.days;
                    let per_run = |f: &dyn Fn(&RunResult) -> f64| {
                        mean_ci(&c.runs.iter().map(f).collect::<Vec<_>>())
                    };
                    let analyst = per_run(&|r| analyst_hours_per_week(r, days));
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
    }
    rows
}

/// One of a run's figures.
type FigureOf = fn(&Figures) -> f64;

/// The cost of a run: analyst-hours on watch per week.
pub fn analyst_hours_per_week(r: &RunResult, days: f64) -> f64 {
    r.totals.analyst_secs.iter().sum::<f64>() / HOUR / (days / 7.0)
}

/// What two schedules are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Mean alert → response, minutes.
    MeanAlertToResponse,
    /// 95th percentile of alert → response, minutes.
    P95AlertToResponse,
    /// Share of counted cases answered within SLA threshold `i` of the alert.
    Within(usize),
    /// Share of counted cases missed.
    Missed,
}

impl Measure {
    /// The measures of a study with `slas` SLA thresholds.
    pub fn all(slas: usize) -> Vec<Measure> {
        let mut m = vec![Measure::MeanAlertToResponse, Measure::P95AlertToResponse];
        m.extend((0..slas).map(Measure::Within));
        m.push(Measure::Missed);
        m
    }

    /// The name used in compare.csv.
    pub fn name(self, sla: &[f64]) -> String {
        match self {
            Measure::MeanAlertToResponse => "alert_to_response_mean".into(),
            Measure::P95AlertToResponse => "alert_to_response_p95".into(),
            Measure::Within(i) => sla_label(sla[i]),
            Measure::Missed => "missed_share".into(),
        }
    }

    /// Whether higher values are better.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Measure::Within(_))
    }

    /// One run's value (minutes or a share).
    pub fn value(self, x: &Figures) -> f64 {
        match self {
            Measure::MeanAlertToResponse => x.mean(Metric::AlertToResponse) / 60.0,
            Measure::P95AlertToResponse => x.p95() / 60.0,
            Measure::Within(i) => x.share_within(i),
            Measure::Missed => x.missed_share(),
        }
    }

    /// The practical margin of the study's decision rule, in this measure's units.
    pub fn margin(self, study: &Study) -> f64 {
        match self {
            Measure::MeanAlertToResponse | Measure::P95AlertToResponse => {
                study.scenario.decision.margin_time / 60.0
            }
            Measure::Within(_) | Measure::Missed => study.scenario.decision.margin,
        }
    }
}

/// One paired comparison: a measure's per-replication difference between two
/// schedules at the same agency count (and sweep value), in one scope.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Index (into the cells) of schedule A.
    pub a: usize,
    /// Index of schedule B.
    pub b: usize,
    /// Whose cases.
    pub scope: Scope,
    /// Severity index (classes, then all).
    pub severity: usize,
    /// What is compared.
    pub measure: Measure,
    /// Mean of A, mean of B.
    pub means: (f64, f64),
    /// Mean difference A − B with its CI.
    pub diff: MeanCi,
    /// What the difference lets a planner conclude.
    pub verdict: Verdict,
}

/// Paired differences replication by replication: common random numbers make each
/// replication's pair share its incidents, so the differences vary far less than the
/// values.
pub fn paired(a: &[f64], b: &[f64]) -> MeanCi {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    mean_ci(&d)
}

/// The paired comparison of `measure` between cells `a` and `b`.
pub fn compare(
    study: &Study,
    cells: &[CellResults],
    (a, b): (usize, usize),
    scope: Scope,
    severity: usize,
    measure: Measure,
) -> Comparison {
    let va = cells[a].values(scope, severity, |x| measure.value(x));
    let vb = cells[b].values(scope, severity, |x| measure.value(x));
    let diff = paired(&va, &vb);
    Comparison {
        a,
        b,
        scope,
        severity,
        measure,
        means: (mean_ci(&va).mean, mean_ci(&vb).mean),
        verdict: Verdict::of(&diff, measure.higher_is_better(), measure.margin(study)),
        diff,
    }
}

/// Every pair of schedules at each agency count and sweep value, for the mean and p95
/// of alert → response, each SLA share and the missed share, by scope and severity.
pub fn comparisons(study: &Study, cells: &[CellResults]) -> Vec<Comparison> {
    let measures = Measure::all(study.scenario.experiment.sla.len());
    let mut out = Vec::new();
    let severities = study.scenario.incidents.classes.len() + 1;
    for (i, ca) in cells.iter().enumerate() {
        for (j, cb) in cells.iter().enumerate().skip(i + 1) {
            let (a, b) = (&study.cells[ca.cell], &study.cells[cb.cell]);
            if ca.variant != cb.variant || a.k != b.k || a.schedule == b.schedule {
                continue;
            }
            for scope in Scope::ALL {
                for s in (0..severities).rev() {
                    for &m in &measures {
                        out.push(compare(study, cells, (i, j), scope, s, m));
                    }
                }
            }
        }
    }
    out
}

/// The schedule name of a cell.
pub fn schedule_name<'a>(study: &'a Study, cells: &[CellResults], c: usize) -> &'a str {
    &study.scenario.schedules[study.cells[cells[c].cell].schedule].name
}

/// `compare.csv`: one row per paired comparison.
pub fn compare_rows(
    study: &Study,
    cells: &[CellResults],
    comparisons: &[Comparison],
) -> Vec<CompareRow> {
    let names = severities(study);
    let sla = &study.scenario.experiment.sla;
    comparisons
        .iter()
        .map(|cmp| {
            let ca = &cells[cmp.a];
            let (a, b) = (
                schedule_name(study, cells, cmp.a),
                schedule_name(study, cells, cmp.b),
            );
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
                scope: cmp.scope.name().to_string(),
                severity: names[cmp.severity].clone(),
                metric: cmp.measure.name(sla),
                schedule_a: a.to_string(),
                schedule_b: b.to_string(),
                replications: study.replications(),
                mean_a,
                mean_b,
                diff,
                ci95_low,
                ci95_high,
                better: cmp.verdict.winner(a, b).unwrap_or_default().to_string(),
                verdict: cmp.verdict.text(a, b),
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
        for scope in Scope::ALL {
            for (s, severity) in names.iter().enumerate() {
                let values = c.pooled_quantiles(scope, s, Metric::AlertToResponse, &qs);
                if values.iter().all(|v| v.is_nan()) {
                    continue; // none responded
                }
                for (&q, v) in qs.iter().zip(values) {
                    rows.push(DistributionRow {
                        key: key(study, c),
                        scope: scope.name().to_string(),
                        severity: severity.clone(),
                        quantile: Num::new(q, 3),
                        alert_to_response: Num::minutes(v),
                    });
                }
            }
        }
    }
    rows
}

/// `weekly.csv`: per cell, scope and week of the horizon, the mean alert → response
/// and detection delay and the missed share, over all replications.
pub fn weekly_rows(study: &Study, cells: &[CellResults]) -> Vec<WeeklyRow> {
    let horizon = Horizon::of(&study.scenario);
    let mut rows = Vec::new();
    for c in cells {
        for scope in Scope::ALL {
            let per_run: Vec<Vec<crate::stats::WeekStats>> =
                c.runs.iter().map(|r| r.stats.weeks(scope)).collect();
            for w in 0..per_run[0].len() {
                let mut total = crate::stats::WeekStats::default();
                for run in &per_run {
                    total.merge(&run[w]);
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
                // Each replication's value of the week, for the confidence intervals.
                let ci = |f: &dyn Fn(&crate::stats::WeekStats) -> f64| {
                    mean_ci(&per_run.iter().map(|run| f(&run[w])).collect::<Vec<_>>())
                };
                let ratio = |a: f64, b: u64| if b == 0 { f64::NAN } else { a / b as f64 };
                let missed = ci(&|x| ratio(x.missed as f64, x.n));
                let detect = ci(&|x| ratio(x.detect, x.responded) / 60.0);
                let a2r = ci(&|x| ratio(x.alert_to_response, x.responded) / 60.0);
                rows.push(WeeklyRow {
                    key: key(study, c),
                    scope: scope.name().to_string(),
                    week_start: horizon
                        .instant(w as f64 * WEEK)
                        .format("%Y-%m-%d")
                        .to_string(),
                    n: total.n,
                    missed_share: Num::share(total.missed as f64 / total.n as f64),
                    detect_mean: Num::minutes(per(total.detect)),
                    alert_to_response_mean: Num::minutes(per(total.alert_to_response)),
                    missed_low: Num::share(missed.low),
                    missed_high: Num::share(missed.high),
                    detect_low: Num::new(detect.low, 4),
                    detect_high: Num::new(detect.high, 4),
                    alert_to_response_low: Num::new(a2r.low, 4),
                    alert_to_response_high: Num::new(a2r.high, 4),
                });
            }
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
    let exp = &study.scenario.experiment;
    let days = exp.days;
    let counted_days = (exp.horizon() - exp.warmup) / crate::scenario::units::DAY;
    let mut rows = Vec::new();
    for c in cells {
        let cell = &study.cells[c.cell];
        let arrivals: Vec<f64> = (0..24)
            .map(|h| {
                let n: u64 = c.runs.iter().map(|r| r.stats.signals_by_hour[h]).sum();
                n as f64 / (counted_days * c.runs.len() as f64)
            })
            .collect();
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
                    arrivals_per_day: Num::new(arrivals[usize::from(h)], 4),
                });
            }
        }
    }
    rows
}
