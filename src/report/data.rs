//! Reading a report folder back: the tables that the charts and the HTML page draw
//! from. Everything here comes from the CSV files and `run.json` of a finished run, read
//! into the same row types the run wrote ([`crate::report::rows`]), so `watchsim report
//! DIR` can redraw a report without re-simulating.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::report::rows::{
    CellKey, CompareRow, CoverageRow, DecisionRow, DeskRow, DistributionRow, FindingRow,
    IncrementRow, Layout, LoadRow, OptimiseRow, OutageRow, RunRow, SensitivityRow, SummaryRow,
    UnmatchedRow, VariantRow, WarningRow, WeeklyRow, read_rows, read_rows_where, sla_label,
};
use crate::report::write::Provenance;
use crate::schedule::IntervalKind;

/// A member's triage starts per day by UTC hour (`load.csv`).
pub type MemberHours = (String, [f64; 24]);

/// A week of `weekly.csv`.
pub type WeekRow = WeeklyRow;

/// A mean with its 95 % confidence interval, as read from a file.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Lower bound of the 95 % CI (NaN with one replication).
    pub low: f64,
    /// Upper bound of the 95 % CI.
    pub high: f64,
}

impl Estimate {
    /// The half-width of the CI, NaN when there is none.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// One interval of `coverage.csv`, in hours since the start of the horizon.
#[derive(Debug, Clone)]
pub struct Span {
    /// Watch, gap or overlap.
    pub kind: IntervalKind,
    /// The member (watch) or members joined by `+` (overlap); empty for a gap.
    pub agency: String,
    /// Start, hours since the horizon start.
    pub start: f64,
    /// End, hours since the horizon start.
    pub end: f64,
}

/// What `run.json` records: the provenance a run writes.
pub type RunRecord = Provenance;

/// The scenario's text (and where it came from), if it can still be found and its hash
/// matches the run's.
pub fn scenario_text(run: &RunRecord) -> Option<(String, String)> {
    if run.scenario_hash.is_empty() {
        return None;
    }
    let (source, text) = match &run.scenario_file {
        Some(file) => (file.clone(), std::fs::read_to_string(file).ok()?),
        None => (
            "built-in default study".to_string(),
            crate::scenario::DEFAULT_SCENARIO.to_string(),
        ),
    };
    (crate::scenario::content_hash(&text) == run.scenario_hash).then_some((source, text))
}

/// A report folder, read back.
pub struct Report {
    /// The folder.
    pub dir: PathBuf,
    /// `run.json`, when present.
    pub run: Option<RunRecord>,
    /// The swept parameter, if the scenario has a `[sweep]`.
    pub sweep: Option<String>,
    /// Schedule names in the order of the scenario.
    pub schedules: Vec<String>,
    /// Agency counts, ascending.
    pub counts: Vec<usize>,
    /// Sweep value labels in the order of the scenario (one empty label without a sweep).
    pub variants: Vec<String>,
    /// Severity classes in priority order, then `all`.
    pub severities: Vec<String>,
    /// The SLA thresholds, seconds.
    pub slas: Vec<f64>,
    /// Replications per cell.
    pub replications: u32,
    summary: HashMap<(CellKey, String, String, String), SummaryRow>,
    /// `compare.csv`.
    pub compare: Vec<CompareRow>,
    /// `decision.csv`: every schedule at every count, judged on the members' cases.
    pub decision: Vec<DecisionRow>,
    /// `increments.csv`: what each new member adds.
    pub increments: Vec<IncrementRow>,
    /// `warnings.csv`.
    pub warnings: Vec<WarningRow>,
    /// `findings.csv`.
    pub findings: Vec<String>,
    /// `outages.csv`.
    pub outages: Vec<OutageRow>,
    /// `variants.csv`: each inline `[[variant]]` against the base (empty without
    /// variants).
    pub variants_csv: Vec<VariantRow>,
    /// `unmatched.csv`: cells only the base or a variant has.
    pub unmatched: Vec<UnmatchedRow>,
    /// `optimise.csv`: the candidates of `watchsim optimise` (empty otherwise).
    pub optimise: Vec<OptimiseRow>,
    /// `sensitivity.csv`: the `[[sensitivity]]` ranges (empty without them).
    pub sensitivity: Vec<SensitivityRow>,
    /// `distribution.csv`, members' cases of every severity: quantile → minutes, per
    /// cell.
    pub distribution: HashMap<CellKey, Vec<(f64, f64)>>,
    /// `weekly.csv`, members' cases: per (schedule, k) of the sweep value the charts
    /// show, its weeks.
    pub weekly: HashMap<(String, usize), Vec<WeekRow>>,
    /// `desks.csv`: per cell, rows of (agency, watch h/week, night h/week,
    /// utilisation, case share).
    pub desks: HashMap<CellKey, Vec<(String, [f64; 4])>>,
    /// `load.csv`: per cell, (agency, 24 triage starts per day by UTC hour).
    pub load: HashMap<CellKey, Vec<MemberHours>>,
    /// `load.csv`: per cell, incidents signalled per day by UTC hour.
    pub arrivals: HashMap<CellKey, [f64; 24]>,
    /// `coverage.csv` of the largest agency count, per schedule.
    pub coverage: HashMap<String, Vec<Span>>,
    /// The start of the horizon (the earliest start in coverage.csv).
    pub start: Option<DateTime<Utc>>,
    /// The horizon in hours (the latest end in coverage.csv).
    pub horizon_hours: f64,
    /// The CSV files found in the folder, by name.
    pub files: Vec<String>,
    /// The sweep value chosen on the command line for the single-value charts.
    chosen_variant: Option<String>,
}

/// summary.csv's rows by (cell, scope, severity, metric), with what they name: the
/// schedules, sweep values and severities in file order (`all` last), the agency counts
/// ascending, and the replications.
struct SummaryIndex {
    schedules: Vec<String>,
    counts: Vec<usize>,
    variants: Vec<String>,
    severities: Vec<String>,
    rows: HashMap<(CellKey, String, String, String), SummaryRow>,
    replications: u32,
}

impl SummaryIndex {
    fn of(rows: Vec<SummaryRow>) -> SummaryIndex {
        let mut index = SummaryIndex {
            schedules: Vec::new(),
            counts: Vec::new(),
            variants: Vec::new(),
            severities: Vec::new(),
            rows: HashMap::with_capacity(rows.len()),
            replications: 0,
        };
        for row in rows {
            push_unique(&mut index.schedules, &row.key.schedule);
            push_unique(&mut index.variants, row.key.variant());
            push_unique(&mut index.severities, &row.severity);
            if !index.counts.contains(&row.key.agencies) {
                index.counts.push(row.key.agencies);
            }
            index.replications = row.replications;
            index.rows.insert(
                (
                    row.key.clone(),
                    row.scope.clone(),
                    row.severity.clone(),
                    row.metric.clone(),
                ),
                row,
            );
        }
        index.counts.sort_unstable();
        if let Some(i) = index.severities.iter().position(|s| s == "all") {
            let all = index.severities.remove(i);
            index.severities.push(all);
        }
        index
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// The files a run may write, in the order the page lists them.
const FILES: [&str; 18] = [
    "optimise.csv",
    "sensitivity.csv",
    "decision.csv",
    "variants.csv",
    "unmatched.csv",
    "increments.csv",
    "findings.csv",
    "warnings.csv",
    "outages.csv",
    "summary.csv",
    "compare.csv",
    "distribution.csv",
    "weekly.csv",
    "desks.csv",
    "load.csv",
    "coverage.csv",
    "runs.csv",
    "incidents.csv",
];

/// The rows of one optional file of the report folder `dir` (none when it is absent).
fn read_optional<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    columns: &[impl AsRef<str>],
) -> Result<Vec<T>> {
    read_optional_where(dir, name, columns, &[])
}

/// [`read_optional`], parsing only the rows [`read_rows_where`] keeps.
fn read_optional_where<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    columns: &[impl AsRef<str>],
    only: &[(&str, &str)],
) -> Result<Vec<T>> {
    Ok(read_rows_where::<T, _>(dir, name, columns, only)?.map_or_else(Vec::new, |r| r.rows))
}

/// How much of a report folder [`Report::read`] parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every row of every file: a folder from elsewhere is checked whole.
    Every,
    /// The rows the page and charts draw, of a folder this process has just written
    /// (whose largest agency count, the one the coverage chart draws, is given):
    /// `runs.csv`, and the other scopes, severities and counts of the distribution,
    /// weekly and coverage tables, are left unread.
    Fresh {
        /// The study's largest agency count.
        largest_count: usize,
    },
}

impl Report {
    /// Reads the report folder `dir` (summary.csv is required, the rest optional). A
    /// folder whose files are not what a run writes is bad input.
    pub fn load(dir: &Path) -> Result<Report> {
        Report::read(dir, Reading::Every)
    }

    /// Reads the report folder `dir` as [`Report::load`] does, parsing as much as
    /// `reading` says; the report is the same either way.
    pub fn read(dir: &Path, reading: Reading) -> Result<Report> {
        let fresh = matches!(reading, Reading::Fresh { .. });
        let largest = match reading {
            Reading::Fresh { largest_count } => largest_count.to_string(),
            Reading::Every => String::new(),
        };
        // (column, value) pairs of the rows read from the three largest tables.
        type Only<'a> = Vec<(&'a str, &'a str)>;
        let (distribution_only, weekly_only, coverage_only): (Only, Only, Only) = if fresh {
            (
                vec![("severity", "all"), ("scope", "members")],
                vec![("scope", "members")],
                vec![("agencies", &largest)],
            )
        } else {
            Default::default()
        };
        // The files are independent: read them side by side.
        let (mut compare, mut decision, mut increments, mut warnings, mut findings) =
            (Ok(vec![]), Ok(vec![]), Ok(vec![]), Ok(vec![]), Ok(vec![]));
        let (mut outages, mut variants_csv, mut unmatched, mut optimise, mut sensitivity) =
            (Ok(vec![]), Ok(vec![]), Ok(vec![]), Ok(vec![]), Ok(vec![]));
        let (mut runs, mut distribution, mut weekly, mut desks, mut load, mut coverage) = (
            Ok(vec![]),
            Ok(vec![]),
            Ok(vec![]),
            Ok(vec![]),
            Ok(vec![]),
            Ok(vec![]),
        );
        let mut summary = Ok(None);
        rayon::scope(|s| {
            s.spawn(|_| {
                summary = read_rows::<SummaryRow, _>(dir, "summary.csv", SummaryRow::COLUMNS)
                    .map(|read| read.map(|r| (r.layout, SummaryIndex::of(r.rows))))
            });
            s.spawn(|_| {
                compare = read_optional::<CompareRow>(dir, "compare.csv", CompareRow::COLUMNS)
            });
            s.spawn(|_| {
                decision = read_optional::<DecisionRow>(dir, "decision.csv", DecisionRow::COLUMNS);
                increments =
                    read_optional::<IncrementRow>(dir, "increments.csv", IncrementRow::COLUMNS);
                warnings = read_optional::<WarningRow>(dir, "warnings.csv", WarningRow::COLUMNS);
                findings = read_optional::<FindingRow>(dir, "findings.csv", FindingRow::COLUMNS);
                outages = read_optional::<OutageRow>(dir, "outages.csv", OutageRow::COLUMNS);
                variants_csv =
                    read_optional::<VariantRow>(dir, "variants.csv", VariantRow::COLUMNS);
                unmatched =
                    read_optional::<UnmatchedRow>(dir, "unmatched.csv", UnmatchedRow::COLUMNS);
                optimise = read_optional::<OptimiseRow>(dir, "optimise.csv", OptimiseRow::COLUMNS);
                sensitivity = read_optional::<SensitivityRow>(
                    dir,
                    "sensitivity.csv",
                    SensitivityRow::COLUMNS,
                );
            });
            // runs.csv is not drawn, but a damaged one is reported here too (when it
            // was not just written).
            if !fresh {
                s.spawn(|_| runs = read_optional::<RunRow>(dir, "runs.csv", &RunRow::columns()));
            }
            s.spawn(|_| {
                distribution = read_optional_where::<DistributionRow>(
                    dir,
                    "distribution.csv",
                    DistributionRow::COLUMNS,
                    &distribution_only,
                )
            });
            s.spawn(|_| {
                weekly = read_optional_where::<WeeklyRow>(
                    dir,
                    "weekly.csv",
                    WeeklyRow::COLUMNS,
                    &weekly_only,
                )
            });
            s.spawn(|_| {
                desks = read_optional::<DeskRow>(dir, "desks.csv", DeskRow::COLUMNS);
                load = read_optional::<LoadRow>(dir, "load.csv", LoadRow::COLUMNS);
            });
            s.spawn(|_| {
                coverage = read_optional_where::<CoverageRow>(
                    dir,
                    "coverage.csv",
                    CoverageRow::COLUMNS,
                    &coverage_only,
                )
            });
        });
        let Some((layout, index)) = summary? else {
            return Err(Error::report_folder(format!(
                "{} has no summary.csv: is it the report folder of a `watchsim run`?",
                dir.display()
            )));
        };
        if index.rows.is_empty() {
            return Err(Error::report_folder(format!(
                "{} has no rows: the run that wrote it counted nothing to report; re-run it",
                dir.join("summary.csv").display()
            )));
        }
        let run = match std::fs::read_to_string(dir.join("run.json")) {
            Ok(text) => Some(serde_json::from_str::<RunRecord>(&text).map_err(|e| {
                Error::report_folder(format!(
                    "{} is not a watchsim run record: {}",
                    dir.join("run.json").display(),
                    crate::error::sanitize(&e.to_string(), 200)
                ))
            })?),
            Err(_) => None,
        };
        let SummaryIndex {
            schedules,
            counts,
            variants,
            severities,
            rows: summary,
            replications,
        } = index;
        let Layout { sweep, slas } = layout;
        let mut report = Report {
            dir: dir.to_path_buf(),
            run,
            sweep,
            schedules,
            counts,
            variants,
            severities,
            slas,
            replications,
            summary,
            compare: Vec::new(),
            decision: Vec::new(),
            increments: Vec::new(),
            warnings: Vec::new(),
            findings: Vec::new(),
            outages: Vec::new(),
            variants_csv: Vec::new(),
            unmatched: Vec::new(),
            optimise: Vec::new(),
            sensitivity: Vec::new(),
            distribution: HashMap::new(),
            weekly: HashMap::new(),
            desks: HashMap::new(),
            load: HashMap::new(),
            arrivals: HashMap::new(),
            coverage: HashMap::new(),
            start: None,
            horizon_hours: 0.0,
            chosen_variant: None,
            files: FILES
                .iter()
                .filter(|n| dir.join(n).exists())
                .map(|n| n.to_string())
                .collect(),
        };
        report.compare = compare?;
        report.decision = decision?;
        report.increments = increments?;
        report.warnings = warnings?;
        report.findings = findings?.into_iter().map(|f| f.finding).collect();
        report.outages = outages?;
        report.variants_csv = variants_csv?;
        report.unmatched = unmatched?;
        report.optimise = optimise?;
        report.sensitivity = sensitivity?;
        runs?;
        for row in distribution? {
            if row.severity == "all" && row.scope == "members" {
                report
                    .distribution
                    .entry(row.key)
                    .or_default()
                    .push((row.quantile.value, row.alert_to_response.value));
            }
        }
        let first = report.focus_variant();
        for row in weekly? {
            if row.key.variant() != first || row.scope != "members" {
                continue;
            }
            report
                .weekly
                .entry((row.key.schedule.clone(), row.key.agencies))
                .or_default()
                .push(row);
        }
        for row in desks? {
            report.desks.entry(row.key).or_default().push((
                row.agency,
                [
                    row.watch_hours_per_week,
                    row.night_hours_per_week,
                    row.utilisation,
                    row.cases_triaged_share,
                ]
                .map(|n| n.value),
            ));
        }
        for row in load? {
            if let Some(slot) = report
                .arrivals
                .entry(row.key.clone())
                .or_insert([0.0; 24])
                .get_mut(usize::from(row.hour_utc))
            {
                *slot = row.arrivals_per_day.value;
            }
            let members = report.load.entry(row.key).or_default();
            let m = match members.iter().position(|(a, _)| *a == row.agency) {
                Some(m) => m,
                None => {
                    members.push((row.agency, [0.0; 24]));
                    members.len() - 1
                }
            };
            if let Some(slot) = members[m].1.get_mut(usize::from(row.hour_utc)) {
                *slot = row.triage_starts_per_day.value;
            }
        }
        report.read_coverage(coverage?)?;
        Ok(report)
    }

    fn read_coverage(&mut self, rows: Vec<CoverageRow>) -> Result<()> {
        let Some(&k) = self.counts.last() else {
            return Ok(());
        };
        let path = self.dir.join("coverage.csv");
        let parse = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    Error::report_folder(format!(
                        "{}: {s:?} is not an RFC 3339 time; expected a file written by `watchsim run`",
                        path.display()
                    ))
                })
        };
        let mut t0: Option<DateTime<Utc>> = None;
        let mut raw = Vec::new();
        for row in rows.into_iter().filter(|r| r.agencies == k) {
            let (a, b) = (parse(&row.start)?, parse(&row.end)?);
            t0 = Some(t0.map_or(a, |t| t.min(a)));
            raw.push((row.schedule, row.kind, row.agency, a, b));
        }
        let Some(t0) = t0 else {
            return Ok(());
        };
        self.start = Some(t0);
        let hours = |t: DateTime<Utc>| (t - t0).num_seconds() as f64 / 3600.0;
        for (schedule, kind, agency, a, b) in raw {
            self.horizon_hours = self.horizon_hours.max(hours(b));
            self.coverage.entry(schedule).or_default().push(Span {
                kind,
                agency,
                start: hours(a),
                end: hours(b),
            });
        }
        Ok(())
    }

    /// The summary.csv row of a cell, scope, severity and metric.
    pub fn summary_row(
        &self,
        key: &CellKey,
        scope: &str,
        severity: &str,
        metric: &str,
    ) -> Option<&SummaryRow> {
        self.summary.get(&(
            key.clone(),
            scope.to_string(),
            severity.to_string(),
            metric.to_string(),
        ))
    }

    /// The mean and CI of `metric` for a cell, scope and severity, from summary.csv.
    pub fn estimate(
        &self,
        key: &CellKey,
        scope: &str,
        severity: &str,
        metric: &str,
    ) -> Option<Estimate> {
        self.summary_row(key, scope, severity, metric)
            .map(|r| Estimate {
                mean: r.mean.value,
                low: r.ci95_low.value,
                high: r.ci95_high.value,
            })
    }

    /// The key of a cell.
    pub fn key(&self, schedule: &str, k: usize, variant: &str) -> CellKey {
        CellKey {
            schedule: schedule.to_string(),
            agencies: k,
            sweep: self.sweep.as_ref().map(|_| variant.to_string()),
        }
    }

    /// The SLA threshold of the decision measure (seconds): the one decision.csv
    /// judges on, else 2 h if present, else the middle one.
    pub fn headline_sla(&self) -> Option<f64> {
        if let Some(row) = self.decision.first()
            && let Some(&t) = self.slas.iter().find(|&&t| sla_label(t) == row.measure)
        {
            return Some(t);
        }
        self.slas
            .iter()
            .copied()
            .find(|&t| t == 7200.0)
            .or_else(|| self.slas.get(self.slas.len() / 2).copied())
    }

    /// Weeks of the horizon (from 0) in which a member of the largest agency count
    /// changes its clocks, with the members: found from the scenario of run.json (none
    /// when it can no longer be found).
    pub fn dst_weeks(&self) -> Vec<(usize, String)> {
        use chrono::Offset;
        use chrono::TimeZone;
        let Some(scenario) = self
            .run
            .as_ref()
            .and_then(scenario_text)
            .and_then(|(_, text)| crate::scenario::Scenario::from_toml(&text, "run.json").ok())
        else {
            return Vec::new();
        };
        let Some(start) = self.start else {
            return Vec::new();
        };
        let days = (self.horizon_hours / 24.0).ceil() as i64;
        let mut weeks: Vec<(usize, String)> = Vec::new();
        for a in scenario.agencies.iter().take(self.focus_k()) {
            let offset = |d: i64| {
                let t = (start + chrono::Duration::days(d)).naive_utc();
                a.tz.offset_from_utc_datetime(&t).fix().local_minus_utc()
            };
            // Each day's offset is looked up once: it is the next day's `before`.
            let mut before = offset(0);
            for d in 0..days {
                let after = offset(d + 1);
                let changes = before != after;
                before = after;
                if changes {
                    let w = (d / 7) as usize;
                    match weeks.iter_mut().find(|(x, _)| *x == w) {
                        Some((_, who)) if !who.split('+').any(|m| m == a.id) => {
                            who.push('+');
                            who.push_str(&a.id);
                        }
                        Some(_) => {}
                        None => weeks.push((w, a.id.clone())),
                    }
                }
            }
        }
        weeks.sort();
        weeks
    }

    /// Weeks of the horizon (from 0) that an outage of outages.csv touches, with the
    /// member that is out.
    pub fn outage_weeks(&self) -> Vec<(usize, String)> {
        let Some(start) = self.start else {
            return Vec::new();
        };
        let week = |t: &str| {
            DateTime::parse_from_rfc3339(t).ok().map(|t| {
                ((t.with_timezone(&Utc) - start).num_seconds().max(0) / (7 * 86_400)) as usize
            })
        };
        let mut out: Vec<(usize, String)> = Vec::new();
        for o in &self.outages {
            if let (Some(a), Some(b)) = (week(&o.outage_from), week(&o.outage_to)) {
                for w in a..=b {
                    if !out.iter().any(|(x, m)| *x == w && *m == o.member) {
                        out.push((w, o.member.clone()));
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// The practical margin of the decision rule on shares, percentage points (1 when
    /// the run did not record it).
    pub fn margin_points(&self) -> f64 {
        self.run
            .as_ref()
            .and_then(|r| r.decision_margin_points)
            .unwrap_or(1.0)
    }

    /// The summary.csv metric of the share within an SLA threshold.
    pub fn sla_metric(secs: f64) -> String {
        sla_label(secs)
    }

    /// The largest agency count (the one the single-cell charts show).
    pub fn focus_k(&self) -> usize {
        self.counts.last().copied().unwrap_or(0)
    }

    /// A readable label of a sweep value (`watch_staff = 2`), empty without a sweep.
    pub fn variant_label(&self, variant: &str) -> String {
        match &self.sweep {
            Some(name) => format!("{name} = {variant}"),
            None => String::new(),
        }
    }

    /// Chooses the sweep value the single-value charts show; bad input if the study
    /// has no such value.
    pub fn choose_variant(&mut self, value: &str) -> Result<()> {
        if self.sweep.is_none() || !self.variants.iter().any(|v| v == value) {
            return Err(Error::argument(format!(
                "--sweep-value {value}: {} has {}",
                self.dir.display(),
                match &self.sweep {
                    None => "no sweep".to_string(),
                    Some(p) => format!("a sweep of {p} over: {}", self.variants.join(", ")),
                }
            )));
        }
        self.chosen_variant = Some(value.to_string());
        Ok(())
    }

    /// The sweep value the single-value charts show: the chosen one, else the least
    /// value at which some schedule answers 95 % of the members' cases within the
    /// decision SLA (at the lower end of its CI) at the largest agency count, else the
    /// first. Empty without a sweep.
    pub fn focus_variant(&self) -> String {
        if let Some(v) = &self.chosen_variant {
            return v.clone();
        }
        let first = self.variants.first().cloned().unwrap_or_default();
        if self.sweep.is_none() {
            return first;
        }
        let Some(sla) = self.headline_sla() else {
            return first;
        };
        let metric = Report::sla_metric(sla);
        let k = self.focus_k();
        self.variants
            .iter()
            .find(|v| {
                self.schedules.iter().any(|s| {
                    self.estimate(&self.key(s, k, v), "members", "all", &metric)
                        .is_some_and(|e| if e.low.is_nan() { e.mean } else { e.low } >= 0.95)
                })
            })
            .cloned()
            .unwrap_or(first)
    }

    /// The recommended schedule at a (sweep value, agency count), from decision.csv.
    pub fn recommended(&self, k: usize, variant: &str) -> Option<String> {
        self.decision
            .iter()
            .find(|d| {
                d.key.agencies == k
                    && d.key.variant() == variant
                    && d.standing.contains("recommended")
            })
            .map(|d| d.key.schedule.clone())
    }
}
