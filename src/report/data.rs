//! Reading a report folder back: the tables that the charts and the HTML page draw
//! from. Everything here comes from the CSV files and `run.json` of a finished run, so
//! `watchsim report DIR` can redraw a report without re-simulating.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

/// One CSV table: the header's column positions and the records.
pub struct Csv {
    columns: HashMap<String, usize>,
    /// Column names in file order.
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Vec<csv::StringRecord>,
}

impl Csv {
    /// Reads `dir/name`; `None` when the file does not exist.
    pub fn read(dir: &Path, name: &str) -> Result<Option<Csv>> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let mut reader = csv::Reader::from_path(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let header: Vec<String> = reader
            .headers()
            .with_context(|| format!("cannot read the header of {}", path.display()))?
            .iter()
            .map(String::from)
            .collect();
        let columns = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("cannot parse {}", path.display()))?;
        Ok(Some(Csv {
            columns,
            header,
            rows,
        }))
    }

    /// The position of column `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.get(name).copied()
    }

    /// The position of column `name`, or an error naming the file's columns.
    fn need(&self, name: &str, file: &str) -> Result<usize> {
        match self.col(name) {
            Some(i) => Ok(i),
            None => bail!(
                "{file} has no column {name:?}; it has: {}",
                self.header.join(",")
            ),
        }
    }

    /// The swept parameter's column (`sweep:<param>`), if any.
    pub fn sweep(&self) -> Option<(usize, String)> {
        self.header
            .iter()
            .position(|h| h.starts_with("sweep:"))
            .map(|i| (i, self.header[i]["sweep:".len()..].to_string()))
    }
}

/// A number from a CSV field; empty or unparsable fields are NaN.
pub fn number(s: &str) -> f64 {
    s.trim().parse().unwrap_or(f64::NAN)
}

/// The key of a cell: schedule, agency count and sweep value (empty without a sweep).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub k: usize,
    /// Sweep value label, or empty.
    pub variant: String,
}

/// A week of `weekly.csv`: (week start, missed share, mean detection minutes, mean
/// alert → response minutes).
pub type WeekRow = (String, f64, f64, f64);

/// A member's triage starts per day by UTC hour (`load.csv`).
pub type MemberHours = (String, [f64; 24]);

/// A mean with its 95 % confidence interval.
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

/// One row of `compare.csv` (a paired difference a − b).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Agency count.
    pub k: usize,
    /// Sweep value, or empty.
    pub variant: String,
    /// Severity (a class or `all`).
    pub severity: String,
    /// Metric name.
    pub metric: String,
    /// Schedule a.
    pub a: String,
    /// Schedule b.
    pub b: String,
    /// Mean of a − b and its CI.
    pub diff: Estimate,
    /// The better schedule, empty for no clear difference.
    pub better: String,
}

/// One interval of `coverage.csv`, in hours since the start of the horizon.
#[derive(Debug, Clone)]
pub struct Span {
    /// `watch`, `gap` or `overlap`.
    pub kind: String,
    /// The member (watch) or members joined by `+` (overlap); empty for a gap.
    pub agency: String,
    /// Start, hours since the horizon start.
    pub start: f64,
    /// End, hours since the horizon start.
    pub end: f64,
}

/// What `run.json` records: the provenance a run writes.
pub use crate::commands::Provenance as RunRecord;

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
    /// SLA column names of summary.csv (`within_1h`, …).
    pub slas: Vec<String>,
    /// Replications per cell.
    pub replications: u32,
    summary: HashMap<(CellKey, String, String), (Estimate, csv::StringRecord)>,
    summary_cols: HashMap<String, usize>,
    /// `compare.csv`.
    pub compare: Vec<Comparison>,
    /// `distribution.csv`, severity `all` only: quantile → minutes, per cell.
    pub distribution: HashMap<CellKey, Vec<(f64, f64)>>,
    /// `weekly.csv`: per (schedule, k) of the first sweep value, rows of (week start,
    /// missed share, mean detection minutes, mean alert → response minutes).
    pub weekly: HashMap<(String, usize), Vec<WeekRow>>,
    /// `desks.csv`: per cell, rows of (agency, watch h/week, night h/week,
    /// utilisation, case share).
    pub desks: HashMap<CellKey, Vec<(String, [f64; 4])>>,
    /// `load.csv`: per cell, (agency, 24 triage starts per day by UTC hour).
    pub load: HashMap<CellKey, Vec<MemberHours>>,
    /// `coverage.csv` of the largest agency count, per schedule.
    pub coverage: HashMap<String, Vec<Span>>,
    /// The start of the horizon (the earliest start in coverage.csv).
    pub start: Option<DateTime<Utc>>,
    /// The horizon in hours (the latest end in coverage.csv).
    pub horizon_hours: f64,
    /// The CSV files found in the folder, by name.
    pub files: Vec<String>,
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

impl Report {
    /// Reads the report folder `dir` (summary.csv is required, the rest optional).
    pub fn load(dir: &Path) -> Result<Report> {
        let Some(summary) = Csv::read(dir, "summary.csv")? else {
            bail!(
                "{} has no summary.csv: is it the report folder of a `watchsim run`?",
                dir.display()
            );
        };
        let run = match std::fs::read_to_string(dir.join("run.json")) {
            Ok(text) => Some(
                serde_json::from_str::<RunRecord>(&text)
                    .with_context(|| format!("cannot parse {}", dir.join("run.json").display()))?,
            ),
            Err(_) => None,
        };
        let f = "summary.csv";
        let sweep = summary.sweep();
        let (c_sched, c_k, c_sev, c_metric) = (
            summary.need("schedule", f)?,
            summary.need("agencies", f)?,
            summary.need("severity", f)?,
            summary.need("metric", f)?,
        );
        let (c_mean, c_low, c_high) = (
            summary.need("mean", f)?,
            summary.need("ci95_low", f)?,
            summary.need("ci95_high", f)?,
        );
        let slas: Vec<String> = summary
            .header
            .iter()
            .filter(|h| h.starts_with("within_"))
            .cloned()
            .collect();
        let mut schedules = Vec::new();
        let mut counts = Vec::new();
        let mut variants = Vec::new();
        let mut severities = Vec::new();
        let mut map = HashMap::new();
        let mut replications = 0;
        let c_reps = summary.col("replications");
        for row in &summary.rows {
            let key = CellKey {
                schedule: row[c_sched].to_string(),
                k: row[c_k].parse().unwrap_or(0),
                variant: sweep
                    .as_ref()
                    .map(|(i, _)| row[*i].to_string())
                    .unwrap_or_default(),
            };
            push_unique(&mut schedules, &key.schedule);
            push_unique(&mut variants, &key.variant);
            push_unique(&mut severities, &row[c_sev]);
            if !counts.contains(&key.k) {
                counts.push(key.k);
            }
            if let Some(c) = c_reps {
                replications = row[c].parse().unwrap_or(replications);
            }
            let est = Estimate {
                mean: number(&row[c_mean]),
                low: number(&row[c_low]),
                high: number(&row[c_high]),
            };
            map.insert(
                (key, row[c_sev].to_string(), row[c_metric].to_string()),
                (est, row.clone()),
            );
        }
        counts.sort_unstable();
        if let Some(i) = severities.iter().position(|s| s == "all") {
            let all = severities.remove(i);
            severities.push(all);
        }
        let mut report = Report {
            dir: dir.to_path_buf(),
            run,
            sweep: sweep.map(|(_, name)| name),
            schedules,
            counts,
            variants,
            severities,
            slas,
            replications,
            summary: map,
            summary_cols: summary
                .header
                .iter()
                .enumerate()
                .map(|(i, h)| (h.clone(), i))
                .collect(),
            compare: Vec::new(),
            distribution: HashMap::new(),
            weekly: HashMap::new(),
            desks: HashMap::new(),
            load: HashMap::new(),
            coverage: HashMap::new(),
            start: None,
            horizon_hours: 0.0,
            files: Vec::new(),
        };
        report.files = [
            "summary.csv",
            "compare.csv",
            "distribution.csv",
            "weekly.csv",
            "desks.csv",
            "load.csv",
            "coverage.csv",
            "runs.csv",
            "incidents.csv",
        ]
        .iter()
        .filter(|n| dir.join(n).exists())
        .map(|n| n.to_string())
        .collect();
        report.read_compare()?;
        report.read_distribution()?;
        report.read_weekly()?;
        report.read_desks()?;
        report.read_load()?;
        report.read_coverage()?;
        Ok(report)
    }

    /// The key of a row of a table with schedule, agencies and maybe a sweep column.
    fn key_of(csv: &Csv, row: &csv::StringRecord, file: &str) -> Result<CellKey> {
        let sweep = csv.sweep().map(|(i, _)| row[i].to_string());
        Ok(CellKey {
            schedule: row[csv.need("schedule", file)?].to_string(),
            k: row[csv.need("agencies", file)?].parse().unwrap_or(0),
            variant: sweep.unwrap_or_default(),
        })
    }

    fn read_compare(&mut self) -> Result<()> {
        let f = "compare.csv";
        let Some(csv) = Csv::read(&self.dir, f)? else {
            return Ok(());
        };
        let cols = [
            "agencies",
            "severity",
            "metric",
            "schedule_a",
            "schedule_b",
            "diff",
            "ci95_low",
            "ci95_high",
            "better",
        ]
        .map(|c| csv.need(c, f));
        let [k, sev, metric, a, b, diff, low, high, better] = cols;
        let (k, sev, metric, a, b, diff, low, high, better) =
            (k?, sev?, metric?, a?, b?, diff?, low?, high?, better?);
        let sweep = csv.sweep().map(|(i, _)| i);
        self.compare = csv
            .rows
            .iter()
            .map(|r| Comparison {
                k: r[k].parse().unwrap_or(0),
                variant: sweep.map(|i| r[i].to_string()).unwrap_or_default(),
                severity: r[sev].to_string(),
                metric: r[metric].to_string(),
                a: r[a].to_string(),
                b: r[b].to_string(),
                diff: Estimate {
                    mean: number(&r[diff]),
                    low: number(&r[low]),
                    high: number(&r[high]),
                },
                better: r[better].to_string(),
            })
            .collect();
        Ok(())
    }

    fn read_distribution(&mut self) -> Result<()> {
        let f = "distribution.csv";
        let Some(csv) = Csv::read(&self.dir, f)? else {
            return Ok(());
        };
        let (sev, q, v) = (
            csv.need("severity", f)?,
            csv.need("quantile", f)?,
            csv.need("alert_to_response", f)?,
        );
        for row in csv.rows.iter().filter(|r| &r[sev] == "all") {
            let key = Self::key_of(&csv, row, f)?;
            self.distribution
                .entry(key)
                .or_default()
                .push((number(&row[q]), number(&row[v])));
        }
        Ok(())
    }

    fn read_weekly(&mut self) -> Result<()> {
        let f = "weekly.csv";
        let Some(csv) = Csv::read(&self.dir, f)? else {
            return Ok(());
        };
        let (w, missed, detect, a2r) = (
            csv.need("week_start", f)?,
            csv.need("missed_share", f)?,
            csv.need("detect_mean", f)?,
            csv.need("alert_to_response_mean", f)?,
        );
        let first = self.variants[0].clone();
        for row in &csv.rows {
            let key = Self::key_of(&csv, row, f)?;
            if key.variant != first {
                continue;
            }
            self.weekly.entry((key.schedule, key.k)).or_default().push((
                row[w].to_string(),
                number(&row[missed]),
                number(&row[detect]),
                number(&row[a2r]),
            ));
        }
        Ok(())
    }

    fn read_desks(&mut self) -> Result<()> {
        let f = "desks.csv";
        let Some(csv) = Csv::read(&self.dir, f)? else {
            return Ok(());
        };
        let cols = [
            "watch_hours_per_week",
            "night_hours_per_week",
            "utilisation",
            "cases_triaged_share",
        ]
        .map(|c| csv.need(c, f));
        let [a, b, c, d] = cols;
        let (a, b, c, d) = (a?, b?, c?, d?);
        let agency = csv.need("agency", f)?;
        for row in &csv.rows {
            let key = Self::key_of(&csv, row, f)?;
            self.desks.entry(key).or_default().push((
                row[agency].to_string(),
                [a, b, c, d].map(|i| number(&row[i])),
            ));
        }
        Ok(())
    }

    fn read_load(&mut self) -> Result<()> {
        let f = "load.csv";
        let Some(csv) = Csv::read(&self.dir, f)? else {
            return Ok(());
        };
        let (agency, hour, starts) = (
            csv.need("agency", f)?,
            csv.need("hour_utc", f)?,
            csv.need("triage_starts_per_day", f)?,
        );
        for row in &csv.rows {
            let key = Self::key_of(&csv, row, f)?;
            let members = self.load.entry(key).or_default();
            let id = &row[agency];
            let m = match members.iter().position(|(a, _)| a == id) {
                Some(m) => m,
                None => {
                    members.push((id.to_string(), [0.0; 24]));
                    members.len() - 1
                }
            };
            if let Ok(h) = row[hour].parse::<usize>()
                && h < 24
            {
                members[m].1[h] = number(&row[starts]);
            }
        }
        Ok(())
    }

    fn read_coverage(&mut self) -> Result<()> {
        let f = "coverage.csv";
        let Some(csv) = Csv::read(&self.dir, f)? else {
            return Ok(());
        };
        let Some(&k) = self.counts.last() else {
            return Ok(());
        };
        let (sched, ks, kind, agency, start, end) = (
            csv.need("schedule", f)?,
            csv.need("agencies", f)?,
            csv.need("kind", f)?,
            csv.need("agency", f)?,
            csv.need("start", f)?,
            csv.need("end", f)?,
        );
        let parse = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .with_context(|| format!("{f}: {s:?} is not an RFC 3339 time"))
        };
        let mut t0: Option<DateTime<Utc>> = None;
        let mut raw = Vec::new();
        for row in &csv.rows {
            if row[ks].parse::<usize>().ok() != Some(k) {
                continue;
            }
            let (a, b) = (parse(&row[start])?, parse(&row[end])?);
            t0 = Some(t0.map_or(a, |t| t.min(a)));
            raw.push((
                row[sched].to_string(),
                row[kind].to_string(),
                row[agency].to_string(),
                a,
                b,
            ));
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

    /// The mean and CI of `metric` for a cell and severity, from summary.csv.
    pub fn estimate(&self, key: &CellKey, severity: &str, metric: &str) -> Option<Estimate> {
        self.summary
            .get(&(key.clone(), severity.to_string(), metric.to_string()))
            .map(|(e, _)| *e)
    }

    /// Any other column of a summary.csv row (p95, within_2h, …) as a number.
    pub fn summary_field(&self, key: &CellKey, severity: &str, metric: &str, column: &str) -> f64 {
        let Some(&c) = self.summary_cols.get(column) else {
            return f64::NAN;
        };
        self.summary
            .get(&(key.clone(), severity.to_string(), metric.to_string()))
            .map_or(f64::NAN, |(_, row)| number(&row[c]))
    }

    /// The key of a cell.
    pub fn key(&self, schedule: &str, k: usize, variant: &str) -> CellKey {
        CellKey {
            schedule: schedule.to_string(),
            k,
            variant: variant.to_string(),
        }
    }

    /// The SLA column used for headlines: `within_2h` if present, else the middle one.
    pub fn headline_sla(&self) -> Option<&str> {
        self.slas
            .iter()
            .find(|s| s.as_str() == "within_2h")
            .or_else(|| self.slas.get(self.slas.len() / 2))
            .map(String::as_str)
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

    /// The best schedule at each (sweep value, agency count): highest share within the
    /// headline SLA, then lowest p95 (the rule of the console headline).
    pub fn best(&self, k: usize, variant: &str) -> Option<String> {
        let sla = self.headline_sla()?;
        self.schedules
            .iter()
            .filter_map(|s| {
                let key = self.key(s, k, variant);
                let w = self.estimate(&key, "all", sla)?.mean;
                let p95 = self
                    .estimate(&key, "all", "alert_to_response_p95")
                    .map_or(f64::INFINITY, |e| e.mean);
                Some((s, w, p95))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.2.total_cmp(&a.2)))
            .map(|(s, _, _)| s.clone())
    }
}
