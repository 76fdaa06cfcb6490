//! The output schema: one row type per CSV file, written by `watchsim run` and
//! `merge` and read back by `watchsim report`, so that a column cannot mean one thing
//! to the writer and another to the reader.
//!
//! Two things vary with the scenario: a `[sweep]` adds a `sweep:<parameter>` column
//! right after `agencies`, and the SLA thresholds add one `within_<t>` column each at
//! the end. [`Layout`] holds both; each row type lists its columns with the
//! placeholders [`SWEEP`] and [`SLAS`] where those go.

use std::io::Write;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::scenario::units::format_duration;
use crate::schedule::IntervalKind;
use crate::stats::Metric;

/// Placeholder in a column list for the sweep column (absent without a sweep).
pub const SWEEP: &str = "{sweep}";
/// Placeholder in a column list for the SLA columns (`within_<t>`: of the alert).
pub const SLAS: &str = "{slas}";
/// Placeholder for the SLA columns measured from the signal (`signal_within_<t>`).
pub const SIGNAL_SLAS: &str = "{signal_slas}";

/// What the columns of a study's files depend on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// The swept parameter, if the scenario has a `[sweep]`.
    pub sweep: Option<String>,
    /// The SLA thresholds, seconds, in the scenario's order.
    pub slas: Vec<f64>,
}

impl Layout {
    /// The header of a file whose columns are `columns` (with placeholders).
    pub fn header<S: AsRef<str>>(&self, columns: &[S]) -> Vec<String> {
        let mut h = Vec::with_capacity(columns.len() + self.slas.len());
        for c in columns {
            match c.as_ref() {
                SWEEP => h.extend(self.sweep.iter().map(|s| format!("sweep:{s}"))),
                SLAS => h.extend(self.slas.iter().map(|&t| sla_label(t))),
                SIGNAL_SLAS => h.extend(
                    self.slas
                        .iter()
                        .map(|&t| format!("signal_{}", sla_label(t))),
                ),
                c => h.push(c.to_string()),
            }
        }
        h
    }
}

/// The SLA column label of a threshold: `within_2h`.
pub fn sla_label(secs: f64) -> String {
    format!("within_{}", format_duration(secs))
}

/// A number as the CSV files hold it: at most `decimals` decimals with trailing zeros
/// dropped, and an empty field for "no value" (NaN).
#[derive(Debug, Clone, Copy)]
pub struct Num {
    /// The value; NaN when there is none.
    pub value: f64,
    decimals: u8,
}

impl Num {
    /// `value` with at most `decimals` decimals.
    pub fn new(value: f64, decimals: u8) -> Num {
        Num { value, decimals }
    }

    /// A share (0 to 1), six decimals.
    pub fn share(value: f64) -> Num {
        Num::new(value, 6)
    }

    /// Minutes from seconds, four decimals (millisecond resolution).
    pub fn minutes(secs: f64) -> Num {
        Num::new(secs / 60.0, 4)
    }
}

/// A number for CSV: at most `decimals` decimals, trailing zeros dropped; empty for NaN.
pub fn num(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        return String::new();
    }
    let mut s = fixed(x, decimals).unwrap_or_else(|| format!("{x:.decimals$}"));
    if s.contains('.') {
        // Cut in place: the tables write hundreds of thousands of numbers.
        let kept = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(kept);
    }
    if s == "-0" { "0".into() } else { s }
}

/// `format!("{x:.decimals$}")` for the numbers the tables hold (finite, up to nine
/// decimals, below about 10¹⁴), in integer arithmetic: the report writes hundreds of
/// thousands of numbers, and the standard library's exact formatting falls back to a
/// slow bignum algorithm for many of them. `None` outside that range.
///
/// `|x| = m·2^e` exactly, so `|x|·10^d = m·10^d·2^e` is rounded to an integer half to
/// even, as the standard library rounds, from an exact quotient and remainder.
fn fixed(x: f64, decimals: usize) -> Option<String> {
    const TEN: [u128; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let scale = *TEN.get(decimals)?;
    if !x.is_finite() || x.abs() >= 1e14 {
        return None;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = u128::from(bits & ((1 << 52) - 1));
    // Subnormals have no implicit bit and the least exponent.
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    // m < 2^53 and 10^d < 2^30: the product fits with room to shift left.
    let product = mantissa * scale;
    let scaled = if exponent >= 0 {
        product << exponent
    } else {
        let shift = exponent.unsigned_abs();
        if shift >= 127 {
            0 // below 2^-44 after scaling: rounds to zero
        } else {
            let whole = product >> shift;
            let rest = product & ((1 << shift) - 1);
            let half = 1 << (shift - 1);
            whole + u128::from(rest > half || (rest == half && whole & 1 == 1))
        }
    };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let (int, frac) = (scaled / scale, scaled % scale);
    Some(if decimals == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac:0decimals$}")
    })
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&num(self.value, self.decimals.into()))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Num, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(deserializer)?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(Num::new(f64::NAN, 0));
        }
        let value: f64 = text
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a number")))?;
        if !value.is_finite() {
            return Err(serde::de::Error::custom(format!(
                "{text:?} is not a finite number; expected a number watchsim writes, or an empty cell"
            )));
        }
        Ok(Num::new(value, 6))
    }
}

/// The cell a row belongs to: schedule, agency count and, in a sweep, the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct CellKey {
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub agencies: usize,
    /// The sweep value as written; `None` without a sweep.
    pub sweep: Option<String>,
}

impl CellKey {
    /// The sweep value, empty without a sweep.
    pub fn variant(&self) -> &str {
        self.sweep.as_deref().unwrap_or("")
    }
}

// The sweep column exists only in a sweep: `None` writes no field at all.
impl Serialize for CellKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        seq.serialize_element(&self.schedule)?;
        seq.serialize_element(&self.agencies)?;
        if let Some(v) = &self.sweep {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// The key of a comparison row: agency count and, in a sweep, the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct CountKey {
    /// Agency count.
    pub agencies: usize,
    /// The sweep value as written; `None` without a sweep.
    pub sweep: Option<String>,
}

impl Serialize for CountKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        seq.serialize_element(&self.agencies)?;
        if let Some(v) = &self.sweep {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// A row of `summary.csv`: one (cell, severity, metric) over all replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The cell.
    pub key: CellKey,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// A severity class, or `all`.
    pub severity: String,
    /// The metric (an incident metric, a percentile, a share or a desk figure).
    pub metric: String,
    /// `minutes`, `share`, `hours` or `count`.
    pub unit: String,
    /// Replications.
    pub replications: u32,
    /// Incidents behind the figure.
    pub n: u64,
    /// Mean over replications.
    pub mean: Num,
    /// Lower end of its 95 % CI.
    pub ci95_low: Num,
    /// Upper end of its 95 % CI.
    pub ci95_high: Num,
    /// Pooled quantiles, minutes (incident metrics only).
    pub p50: Num,
    /// 90th percentile.
    pub p90: Num,
    /// 95th percentile.
    pub p95: Num,
    /// 99th percentile.
    pub p99: Num,
    /// Pooled share of counted cases answered within each SLA of the alert (alert →
    /// response only).
    pub within: Vec<Num>,
}

impl SummaryRow {
    /// Columns of `summary.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "scope",
        "severity",
        "metric",
        "unit",
        "replications",
        "n",
        "mean",
        "ci95_low",
        "ci95_high",
        "p50",
        "p90",
        "p95",
        "p99",
        SLAS,
    ];
}

/// A row of `runs.csv`: one (cell, replication, severity).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRow {
    /// The cell.
    pub key: CellKey,
    /// Replication, from 0.
    pub replication: u32,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// A severity class, or `all`.
    pub severity: String,
    /// Counted incidents.
    pub n: u64,
    /// Missed.
    pub missed: u64,
    /// Still open at the horizon.
    pub open: u64,
    /// Responded.
    pub responded: u64,
    /// The mean of each metric over responded incidents, minutes, in [`Metric::ALL`]
    /// order.
    pub means: [Num; Metric::COUNT],
    /// Alert → response p50, p90 and p95, minutes.
    pub alert_to_response: [Num; 3],
    /// Share of counted cases answered within each SLA of the alert, then within
    /// each SLA of the signal.
    pub within: Vec<Num>,
}

impl RunRow {
    /// Columns of `runs.csv`.
    pub fn columns() -> Vec<String> {
        let mut c: Vec<String> = [
            "schedule",
            "agencies",
            SWEEP,
            "replication",
            "scope",
            "severity",
            "n",
            "missed",
            "open",
            "responded",
        ]
        .map(String::from)
        .to_vec();
        c.extend(Metric::ALL.iter().map(|m| format!("{}_mean", m.name())));
        c.extend(
            [
                "alert_to_response_p50",
                "alert_to_response_p90",
                "alert_to_response_p95",
                SLAS,
                SIGNAL_SLAS,
            ]
            .map(String::from),
        );
        c
    }
}

/// A row of `compare.csv`: a paired difference A − B between two schedules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareRow {
    /// Agency count (and sweep value).
    pub key: CountKey,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// A severity class, or `all`.
    pub severity: String,
    /// The metric compared.
    pub metric: String,
    /// Schedule A.
    pub schedule_a: String,
    /// Schedule B.
    pub schedule_b: String,
    /// Replications (pairs).
    pub replications: u32,
    /// Mean of A.
    pub mean_a: Num,
    /// Mean of B.
    pub mean_b: Num,
    /// Mean of the paired differences A − B.
    pub diff: Num,
    /// Lower end of its 95 % CI.
    pub ci95_low: Num,
    /// Upper end of its 95 % CI.
    pub ci95_high: Num,
    /// The better schedule, empty unless the verdict names one.
    pub better: String,
    /// The verdict: `<schedule> better`, `no practical difference` or `undecided
    /// (more replications would tell)`.
    pub verdict: String,
}

impl CompareRow {
    /// Columns of `compare.csv`.
    pub const COLUMNS: &[&str] = &[
        "agencies",
        SWEEP,
        "scope",
        "severity",
        "metric",
        "schedule_a",
        "schedule_b",
        "replications",
        "mean_a",
        "mean_b",
        "diff",
        "ci95_low",
        "ci95_high",
        "better",
        "verdict",
    ];
}

/// A row of `distribution.csv`: one pooled quantile of alert → response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistributionRow {
    /// The cell.
    pub key: CellKey,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// A severity class, or `all`.
    pub severity: String,
    /// The quantile (0 to 1).
    pub quantile: Num,
    /// Alert → response at that quantile, minutes.
    pub alert_to_response: Num,
}

impl DistributionRow {
    /// Columns of `distribution.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "scope",
        "severity",
        "quantile",
        "alert_to_response",
    ];
}

/// A row of `weekly.csv`: one week of the horizon, all replications together.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WeeklyRow {
    /// The cell.
    pub key: CellKey,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// The week's first day (YYYY-MM-DD).
    pub week_start: String,
    /// Counted incidents signalled that week.
    pub n: u64,
    /// Missed share (pooled over replications).
    pub missed_share: Num,
    /// Mean detection delay, minutes (pooled).
    pub detect_mean: Num,
    /// Mean alert → response, minutes (pooled).
    pub alert_to_response_mean: Num,
    /// 95 % CI of the missed share over replications.
    pub missed_low: Num,
    /// Its upper end.
    pub missed_high: Num,
    /// 95 % CI of the mean detection delay over replications, minutes.
    pub detect_low: Num,
    /// Its upper end.
    pub detect_high: Num,
    /// 95 % CI of the mean alert → response over replications, minutes.
    pub alert_to_response_low: Num,
    /// Its upper end.
    pub alert_to_response_high: Num,
}

impl WeeklyRow {
    /// Columns of `weekly.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "scope",
        "week_start",
        "n",
        "missed_share",
        "detect_mean",
        "alert_to_response_mean",
        "missed_low",
        "missed_high",
        "detect_low",
        "detect_high",
        "alert_to_response_low",
        "alert_to_response_high",
    ];
}

/// A row of `desks.csv`: the burden of one member in one cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeskRow {
    /// The cell.
    pub key: CellKey,
    /// The member's id.
    pub agency: String,
    /// Hours a week holding the watch.
    pub watch_hours_per_week: Num,
    /// Of which at local night (22:00-06:00).
    pub night_hours_per_week: Num,
    /// Analyst-hours a week.
    pub analyst_hours_per_week: Num,
    /// Busy share of the analyst-hours.
    pub utilisation: Num,
    /// Share of all cases triaged by this member.
    pub cases_triaged_share: Num,
}

impl DeskRow {
    /// Columns of `desks.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "agency",
        "watch_hours_per_week",
        "night_hours_per_week",
        "analyst_hours_per_week",
        "utilisation",
        "cases_triaged_share",
    ];
}

/// A row of `load.csv`: triage starts of one member in one UTC hour of the day.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadRow {
    /// The cell.
    pub key: CellKey,
    /// The member's id.
    pub agency: String,
    /// Hour of the day, UTC (0-23).
    pub hour_utc: u8,
    /// Triage starts per day in that hour.
    pub triage_starts_per_day: Num,
    /// Incidents signalled per day in that UTC hour (counted incidents; the same for
    /// every member of the cell).
    pub arrivals_per_day: Num,
}

impl LoadRow {
    /// Columns of `load.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "agency",
        "hour_utc",
        "triage_starts_per_day",
        "arrivals_per_day",
    ];
}

/// A row of `coverage.csv`: one compiled interval of a schedule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CoverageRow {
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub agencies: usize,
    /// `watch`, `gap` or `overlap`.
    pub kind: IntervalKind,
    /// Member id; empty for a gap; members joined by `+` for an overlap.
    pub agency: String,
    /// RFC 3339 UTC.
    pub start: String,
    /// RFC 3339 UTC.
    pub end: String,
    /// Length in hours.
    pub hours: f64,
}

impl CoverageRow {
    /// Columns of `coverage.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule", "agencies", "kind", "agency", "start", "end", "hours",
    ];
}

/// A row of `incidents.csv` (with `--trace`): one counted incident in one cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncidentRow {
    /// Scenario name.
    pub scenario: String,
    /// The cell.
    pub key: CellKey,
    /// Replication, from 0.
    pub replication: u32,
    /// The incident's number in its replication.
    pub incident: u32,
    /// Responsible member id, or `rest_of_world`.
    pub jurisdiction: String,
    /// Severity class.
    pub severity: String,
    /// The member that triaged it (empty if none did).
    pub watch_agency: String,
    /// `responded`, `missed` or `open`.
    pub outcome: String,
    /// RFC 3339 UTC.
    pub signal_at: String,
    /// RFC 3339 UTC (empty if never alerted).
    pub alert_at: String,
    /// RFC 3339 UTC (empty unless responded).
    pub response_at: String,
    /// Stage durations in minutes: detect, queue, triage, handoff, referral, desk,
    /// police, then alert → response and signal → response.
    pub minutes: [Num; 9],
}

impl IncidentRow {
    /// Columns of `incidents.csv`.
    pub const COLUMNS: &[&str] = &[
        "scenario",
        "schedule",
        "agencies",
        SWEEP,
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
}

/// A row of `decision.csv`: one schedule at one agency count, judged on the members'
/// cases against the best schedule there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionRow {
    /// The cell.
    pub key: CellKey,
    /// The decision measure, e.g. `within_2h`.
    pub measure: String,
    /// Members' share of counted cases within the decision SLA of the alert.
    pub share: Num,
    /// Lower end of its 95 % CI.
    pub share_low: Num,
    /// Upper end of its 95 % CI.
    pub share_high: Num,
    /// Members' missed share.
    pub missed_share: Num,
    /// Members' median alert → response, minutes (mean over replications).
    pub p50: Num,
    /// Members' 95th percentile, minutes (mean over replications).
    pub p95: Num,
    /// Analyst-hours on watch per week.
    pub cost_hours_per_week: Num,
    /// The verdict of the best schedule against this one (empty for the best).
    pub against_best: String,
    /// `best`, `recommended`, `best, recommended`, `not worse`, `worse` or `undecided`.
    pub standing: String,
}

impl DecisionRow {
    /// Columns of `decision.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "measure",
        "share",
        "share_low",
        "share_high",
        "missed_share",
        "p50",
        "p95",
        "cost_hours_per_week",
        "against_best",
        "standing",
    ];
}

/// A row of `increments.csv`: what admitting the next member changes, for one
/// schedule, over every incident (the same incidents at both counts).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncrementRow {
    /// The schedule, at the larger agency count.
    pub key: CellKey,
    /// The agency count before.
    pub from_agencies: usize,
    /// The member(s) admitted (ids joined by `+`).
    pub added: String,
    /// The measure compared.
    pub metric: String,
    /// Mean before.
    pub before: Num,
    /// Mean after.
    pub after: Num,
    /// Mean of the paired changes, after − before.
    pub change: Num,
    /// Lower end of its 95 % CI.
    pub ci95_low: Num,
    /// Upper end of its 95 % CI.
    pub ci95_high: Num,
    /// `better`, `worse`, `no practical difference` or `undecided (…)`.
    pub verdict: String,
}

impl IncrementRow {
    /// Columns of `increments.csv`.
    pub const COLUMNS: &[&str] = &[
        "schedule",
        "agencies",
        SWEEP,
        "from_agencies",
        "added",
        "metric",
        "before",
        "after",
        "change",
        "ci95_low",
        "ci95_high",
        "verdict",
    ];
}

/// A row of `warnings.csv`: a cell (or the scenario) whose numbers should not be
/// trusted as they stand.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarningRow {
    /// Which cell (schedule, agency count, sweep value), member or the scenario.
    pub cell: String,
    /// `overload`, `open_at_horizon`, `micro_shifts`, `stage_at_zero`,
    /// `bimodal_median` or `replications`.
    pub kind: String,
    /// The figure behind it, in words.
    pub figure: String,
    /// What to do about it.
    pub advice: String,
}

impl WarningRow {
    /// Columns of `warnings.csv`.
    pub const COLUMNS: &[&str] = &["cell", "kind", "figure", "advice"];
}

/// A row of `findings.csv`: one finding in words, in the order the brief gives them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingRow {
    /// The sentence, with its numbers and confidence intervals.
    pub finding: String,
}

impl FindingRow {
    /// Columns of `findings.csv`.
    pub const COLUMNS: &[&str] = &["finding"];
}

/// A row of `outages.csv`: one schedule over the incidents signalled during one
/// dated outage (the same incidents for every schedule).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutageRow {
    /// The member that is out.
    pub member: String,
    /// Start of the outage, RFC 3339 UTC.
    pub outage_from: String,
    /// End of the outage, RFC 3339 UTC.
    pub outage_to: String,
    /// The cell.
    pub key: CellKey,
    /// `members` or `all`.
    pub scope: String,
    /// Counted incidents in the window, per replication (mean).
    pub n: Num,
    /// Missed share, mean over replications.
    pub missed_share: Num,
    /// Its CI.
    pub missed_low: Num,
    /// Its CI.
    pub missed_high: Num,
    /// Share within the decision SLA of the alert.
    pub within: Num,
    /// Its CI.
    pub within_low: Num,
    /// Its CI.
    pub within_high: Num,
    /// Mean alert → response, minutes.
    pub alert_to_response_mean: Num,
    /// Its CI.
    pub alert_to_response_low: Num,
    /// Its CI.
    pub alert_to_response_high: Num,
}

impl OutageRow {
    /// Columns of `outages.csv`.
    pub const COLUMNS: &[&str] = &[
        "member",
        "outage_from",
        "outage_to",
        "schedule",
        "agencies",
        SWEEP,
        "scope",
        "n",
        "missed_share",
        "missed_low",
        "missed_high",
        "within",
        "within_low",
        "within_high",
        "alert_to_response_mean",
        "alert_to_response_low",
        "alert_to_response_high",
    ];
}

/// A row of `variants.csv`: one paired difference B − A between two versions of a
/// scenario (two files, two report folders, or a base and one of its `[[variant]]`s)
/// in one matched cell, scope, severity and measure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantRow {
    /// Side A (the base): scenario name.
    pub base: String,
    /// Side B (the variant): scenario or variant name.
    pub variant: String,
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub agencies: usize,
    /// The sweep value as written, empty without a sweep.
    pub sweep: String,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// A severity class, or `all`.
    pub severity: String,
    /// `within_<t>` (share of counted cases answered within the decision SLA of the
    /// alert), `missed` (share) or `alert_to_response_mean` (minutes).
    pub measure: String,
    /// `share` or `minutes`.
    pub unit: String,
    /// Replications (pairs).
    pub replications: u32,
    /// Mean over replications of A.
    pub mean_a: Num,
    /// Mean over replications of B.
    pub mean_b: Num,
    /// Mean of the paired differences B − A (replication by replication).
    pub diff: Num,
    /// Lower end of its paired 95 % CI.
    pub ci95_low: Num,
    /// Upper end of its paired 95 % CI.
    pub ci95_high: Num,
    /// Lower end of the unpaired (Welch) 95 % CI of the same difference, for
    /// comparison: what the CI would be without common random numbers' pairing.
    pub unpaired_ci95_low: Num,
    /// Upper end of the unpaired 95 % CI.
    pub unpaired_ci95_high: Num,
    /// The practical margin of the decision rule, in the measure's unit.
    pub margin: Num,
    /// B against A: `better`, `worse`, `no practical difference` or `undecided`.
    pub verdict: String,
}

impl VariantRow {
    /// Columns of `variants.csv`.
    pub const COLUMNS: &[&str] = &[
        "base",
        "variant",
        "schedule",
        "agencies",
        "sweep",
        "scope",
        "severity",
        "measure",
        "unit",
        "replications",
        "mean_a",
        "mean_b",
        "diff",
        "ci95_low",
        "ci95_high",
        "unpaired_ci95_low",
        "unpaired_ci95_high",
        "margin",
        "verdict",
    ];
}

/// A row of `unmatched.csv`: a cell and severity that only one side of a variant
/// comparison has (e.g. an agency count that only the variant runs), so it has no
/// paired difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedRow {
    /// Side A (the base).
    pub base: String,
    /// Side B (the variant).
    pub variant: String,
    /// The side that has the cell: the name of A or of B.
    pub only_in: String,
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub agencies: usize,
    /// The sweep value as written, empty without a sweep.
    pub sweep: String,
    /// A severity class, or `all`.
    pub severity: String,
}

impl UnmatchedRow {
    /// Columns of `unmatched.csv`.
    pub const COLUMNS: &[&str] = &[
        "base", "variant", "only_in", "schedule", "agencies", "sweep", "severity",
    ];
}

/// A row of `optimise.csv`: one target of one candidate staffing evaluated by
/// `watchsim optimise`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptimiseRow {
    /// Evaluation number, from 1, in the order the search made them.
    pub evaluation: usize,
    /// `add` (greedy additions), `remove` (the removal pass) or `confirm` (fresh
    /// replications).
    pub phase: String,
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub agencies: usize,
    /// Analysts per member's desk, e.g. `us=3 uk=2 au=2`.
    pub staffing: String,
    /// Analyst-hours on watch per week.
    pub analyst_hours_per_week: Num,
    /// The same, each member's hours weighted by its `[optimise] cost`.
    pub cost_per_week: Num,
    /// Replications run.
    pub replications: u32,
    /// Their master seed.
    pub seed: u64,
    /// The target in words.
    pub target: String,
    /// `within_<t>`, `missed_share`, `alert_to_response_p95` or `alert_to_response_mean`.
    pub measure: String,
    /// `share` or `minutes`.
    pub unit: String,
    /// `members`, `non_members` or `all`.
    pub scope: String,
    /// A severity class, or `all`.
    pub severity: String,
    /// `at_least` or `at_most`.
    pub bound_kind: String,
    /// The bound, in the unit.
    pub bound: Num,
    /// Mean over replications.
    pub estimate: Num,
    /// Lower end of its 95 % CI.
    pub ci95_low: Num,
    /// Upper end of its 95 % CI.
    pub ci95_high: Num,
    /// Whether this target holds at the cautious end of the CI.
    pub holds: bool,
    /// Whether every target of the candidate holds.
    pub feasible: bool,
    /// Whether this is the confirmed answer.
    pub chosen: bool,
}

impl OptimiseRow {
    /// Columns of `optimise.csv`.
    pub const COLUMNS: &[&str] = &[
        "evaluation",
        "phase",
        "schedule",
        "agencies",
        "staffing",
        "analyst_hours_per_week",
        "cost_per_week",
        "replications",
        "seed",
        "target",
        "measure",
        "unit",
        "scope",
        "severity",
        "bound_kind",
        "bound",
        "estimate",
        "ci95_low",
        "ci95_high",
        "holds",
        "feasible",
        "chosen",
    ];
}

/// A row of `sensitivity.csv`: the decision measure of the base's recommended schedule
/// at one agency count, with one estimate at one end of its range.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SensitivityRow {
    /// The estimate's label (`base` for the scenario as written).
    pub estimate: String,
    /// Its dotted key (empty for the base).
    pub key: String,
    /// `low`, `high` or `base`.
    pub end: String,
    /// The value at this end, as written (empty for the base).
    pub value: String,
    /// Agency count.
    pub agencies: usize,
    /// The schedule recommended in the base run (whose measure is shown).
    pub schedule: String,
    /// `within_<t>`: the members' share within the decision SLA.
    pub measure: String,
    /// Mean over replications.
    pub mean: Num,
    /// Lower end of its 95 % CI.
    pub ci95_low: Num,
    /// Upper end of its 95 % CI.
    pub ci95_high: Num,
    /// This end − the base, paired replication by replication.
    pub change: Num,
    /// Lower end of the change's paired 95 % CI.
    pub change_ci95_low: Num,
    /// Upper end of the change's paired 95 % CI.
    pub change_ci95_high: Num,
    /// |high − low| of the estimate (the same on both of its rows; 0 for the base).
    pub swing: Num,
    /// The schedule recommended at this end.
    pub recommended: String,
    /// Whether the recommendation is the base's.
    pub decision_holds: bool,
}

impl SensitivityRow {
    /// Columns of `sensitivity.csv`.
    pub const COLUMNS: &[&str] = &[
        "estimate",
        "key",
        "end",
        "value",
        "agencies",
        "schedule",
        "measure",
        "mean",
        "ci95_low",
        "ci95_high",
        "change",
        "change_ci95_low",
        "change_ci95_high",
        "swing",
        "recommended",
        "decision_holds",
    ];
}

/// Writes `header` and `rows` as CSV to `w`.
pub fn write_rows<T: Serialize>(
    w: &mut dyn Write,
    header: Option<&[String]>,
    rows: impl IntoIterator<Item = T>,
) -> std::io::Result<()> {
    // Headers come from the layout, not from field names: rows have nested keys and
    // a variable number of SLA columns.
    let mut csv = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(w);
    let io = |e: ::csv::Error| std::io::Error::other(e.to_string());
    if let Some(header) = header {
        csv.write_record(header).map_err(io)?;
    }
    for row in rows {
        csv.serialize(row).map_err(io)?;
    }
    csv.flush()
}

/// `header` and `rows` as CSV bytes.
pub fn to_csv<T: Serialize>(header: &[String], rows: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_rows(&mut bytes, Some(header), rows).expect("writing to memory cannot fail");
    bytes
}

/// A CSV file of a report folder, read back into rows.
pub struct ReadBack<T> {
    /// The file's layout (its sweep column and SLA columns).
    pub layout: Layout,
    /// The rows, in file order.
    pub rows: Vec<T>,
}

/// Reads `dir/name` into rows of `T`, checking the header against `columns`;
/// `Ok(None)` when the file does not exist. A file that exists but does not hold what
/// a watchsim run writes is bad input (exit 2), with the file and row.
pub fn read_rows<T: DeserializeOwned, S: AsRef<str>>(
    dir: &Path,
    name: &str,
    columns: &[S],
) -> Result<Option<ReadBack<T>>> {
    read_rows_where(dir, name, columns, &[])
}

/// Like [`read_rows`], parsing only the rows whose fields in `columns` read the given
/// values, as (column, value) pairs: a folder this process has just written need not
/// have its every row checked, only the ones it draws.
pub fn read_rows_where<T: DeserializeOwned, S: AsRef<str>>(
    dir: &Path,
    name: &str,
    columns: &[S],
    only: &[(&str, &str)],
) -> Result<Option<ReadBack<T>>> {
    let path = dir.join(name);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::read(&path, e)),
    };
    // What is quoted from the file is escaped and cut short.
    let bad = |what: String| {
        Error::report_folder(format!(
            "{}: {}; expected a file written by `watchsim run` (re-run it to rewrite the folder)",
            path.display(),
            crate::error::sanitize(&what, 300)
        ))
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(crate::incidents::LineCapped::new(file));
    let mut header = ::csv::StringRecord::new();
    match reader.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(bad("the file is empty".into())),
        Err(e) => return Err(bad(format!("cannot read the header: {e}"))),
    }
    let header: Vec<String> = header.iter().map(String::from).collect();
    let sweep_at = header.iter().position(|h| h.starts_with("sweep:"));
    let layout = Layout {
        sweep: sweep_at.map(|i| header[i]["sweep:".len()..].to_string()),
        slas: header
            .iter()
            .filter_map(|h| h.strip_prefix("within_"))
            .map(|t| {
                t.parse::<crate::scenario::units::Duration>()
                    .map_or(f64::NAN, |d| d.secs())
            })
            .collect(),
    };
    let expected = Layout {
        slas: layout.slas.clone(),
        ..layout.clone()
    }
    .header(columns);
    if header != expected {
        let at = header
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(header.len().min(expected.len()));
        let found = header
            .get(at)
            .map_or("no column".into(), |h| crate::error::excerpt(h, 40));
        let wanted = expected.get(at).map_or("no column", String::as_str);
        return Err(bad(format!(
            "its header has {} columns where watchsim writes {}; column {} is {found} where watchsim writes {wanted}",
            header.len(),
            expected.len(),
            at + 1
        )));
    }
    // Without a sweep, the rows' keys still have a (empty) sweep field: put one in.
    let keyed = columns.iter().any(|c| c.as_ref() == SWEEP);
    let insert_at = match sweep_at {
        Some(_) => None,
        None if keyed => header.iter().position(|h| h == "agencies").map(|i| i + 1),
        None => None,
    };
    let only: Vec<(usize, &str)> = only
        .iter()
        .filter_map(|&(column, value)| Some((header.iter().position(|h| h == column)?, value)))
        .collect();
    let mut rows = Vec::new();
    // One record and one keyed copy, reused row after row.
    let (mut record, mut keyed_record) = (::csv::StringRecord::new(), ::csv::StringRecord::new());
    for row in 1.. {
        let more = reader
            .read_record(&mut record)
            .map_err(|e| bad(format!("row {row}: {e}")))?;
        if !more {
            break;
        }
        if record.len() != header.len() {
            return Err(bad(format!(
                "row {row} has {} fields but the header has {}",
                record.len(),
                header.len()
            )));
        }
        if !only.iter().all(|&(at, value)| &record[at] == value) {
            continue;
        }
        let record = match insert_at {
            None => &record,
            Some(at) => {
                keyed_record.clear();
                for (j, field) in record.iter().enumerate() {
                    if j == at {
                        keyed_record.push_field("");
                    }
                    keyed_record.push_field(field);
                }
                if at == record.len() {
                    keyed_record.push_field("");
                }
                &keyed_record
            }
        };
        let value: T = record
            .deserialize(None)
            .map_err(|e| bad(format!("row {row}: {e}")))?;
        rows.push(value);
    }
    Ok(Some(ReadBack { layout, rows }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The integer formatting gives the standard library's digits, ties and signs
    /// included, wherever it answers.
    #[test]
    fn fixed_formats_as_the_standard_library() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.125,
            0.375,
            0.0625,
            1.0000005,
            1e-300,
            5e-324,
            -0.00001,
            99999.99995,
            123.456_789_012_345,
            1e14 - 1.0,
            0.1,
            0.2,
            0.3,
            2.675,
            1.005,
            8.5e-7,
            4.99999999,
        ];
        for x in edges {
            for d in 0..=9 {
                assert_eq!(fixed(x, d).unwrap(), format!("{x:.d$}"), "{x:e} at {d}");
            }
        }
        proptest!(ProptestConfig::with_cases(20_000), |(bits in any::<u64>(), d in 0usize..=9)| {
            let x = f64::from_bits(bits);
            if let Some(s) = fixed(x, d) {
                prop_assert_eq!(s, format!("{x:.d$}"));
            }
        });
        // Values like the tables' (minutes, shares), which the bit patterns above
        // rarely hit.
        proptest!(ProptestConfig::with_cases(20_000), |(x in -1e6f64..1e6, d in 0usize..=9)| {
            prop_assert_eq!(fixed(x, d).unwrap(), format!("{x:.d$}"));
        });
    }

    fn key(sweep: Option<&str>) -> CellKey {
        CellKey {
            schedule: "fts".into(),
            agencies: 3,
            sweep: sweep.map(String::from),
        }
    }

    fn summary(sweep: Option<&str>, slas: usize) -> SummaryRow {
        SummaryRow {
            key: key(sweep),
            severity: "all".into(),
            scope: "members".into(),
            metric: Metric::AlertToResponse.name().into(),
            unit: "minutes".into(),
            replications: 2,
            n: 10,
            mean: Num::new(12.5, 4),
            ci95_low: Num::new(f64::NAN, 4),
            ci95_high: Num::new(13.0, 4),
            p50: Num::minutes(600.0),
            p90: Num::minutes(60.0),
            p95: Num::minutes(90.0),
            p99: Num::minutes(120.0),
            within: vec![Num::share(0.25); slas],
        }
    }

    #[test]
    fn numbers_drop_trailing_zeros_and_nan_is_empty() {
        assert_eq!(num(1.5, 4), "1.5");
        assert_eq!(num(2.0, 4), "2");
        assert_eq!(num(-0.00001, 4), "0");
        assert_eq!(num(f64::NAN, 4), "");
        assert_eq!(num(1.0 / 3.0, 6), "0.333333");
    }

    #[test]
    fn rows_round_trip_with_and_without_a_sweep() {
        let dir = std::env::temp_dir().join(format!("watchsim-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for sweep in [None, Some("2")] {
            let layout = Layout {
                sweep: sweep.map(|_| "watch_staff".to_string()),
                slas: vec![3600.0, 7200.0],
            };
            let header = layout.header(SummaryRow::COLUMNS);
            let bytes = to_csv(&header, [summary(sweep, 2)]);
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert_eq!(
                text.lines().next().unwrap().split(',').count(),
                text.lines().nth(1).unwrap().split(',').count(),
                "{text}"
            );
            crate::report::write_atomic(&dir.join("summary.csv"), &bytes).unwrap();
            let back: ReadBack<SummaryRow> = read_rows(&dir, "summary.csv", SummaryRow::COLUMNS)
                .unwrap()
                .unwrap();
            assert_eq!(back.layout, layout);
            assert_eq!(back.rows[0].key, key(sweep));
            assert_eq!(back.rows[0].within[1].value, 0.25);
            assert!(back.rows[0].ci95_low.value.is_nan());
            assert_eq!(back.rows[0].p50.value, 10.0);
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_foreign_file_is_bad_input() {
        let dir = std::env::temp_dir().join(format!("watchsim-rows-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        crate::report::write_atomic(&dir.join("load.csv"), b"a,b\n1,2\n").unwrap();
        let err = read_rows::<LoadRow, _>(&dir, "load.csv", LoadRow::COLUMNS)
            .err()
            .unwrap();
        assert_eq!(err.exit_status(), 2, "{err}");
        crate::report::write_atomic(&dir.join("load.csv"), b"").unwrap();
        assert!(read_rows::<LoadRow, _>(&dir, "load.csv", LoadRow::COLUMNS).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
