//! The memory a study needs, estimated from its scenario before any of it is built, and
//! the memory this machine can give it: a study that cannot fit is refused before it
//! starts (with the figure and how to make it smaller) instead of being killed by the
//! system halfway.
//!
//! The estimate counts what grows: every run's summaries (kept until the reports are
//! written), each sweep value's arrival model, each cell's compiled coverage, a recorded
//! trace (read once per sweep value), and with `--trace` the incidents of the work items
//! in flight. It errs on the high side; the budget is the memory available to new work
//! (`MemAvailable` in `/proc/meminfo`, or the cgroup's `memory.max` if lower; 4 GiB
//! where neither can be read), or the environment variable `WATCHSIM_MEMORY` (`8G`,
//! `500M`) when set.

use std::path::Path;

use crate::error::{Error, Result};
use crate::scenario::{IncidentSource, Scenario, SweepParameter};
use crate::stats::{RunSetup, run_kept_bytes, run_stats_bytes};

/// The budget where the system does not say how much memory is available.
pub const FALLBACK_BUDGET: u64 = 4 << 30;

/// Bytes per row of a recorded trace held in memory.
const TRACE_ROW_BYTES: u64 = 200;
/// The fewest bytes a trace row takes in its file (`2026-03-01T18:30:00Z,a,b` and a
/// newline), to bound its row count from its size.
const TRACE_ROW_MIN_FILE_BYTES: u64 = 25;
/// Bytes per incident and cell of a work item's `--trace` (the incident, its outcome
/// and its incidents.csv row).
const TRACED_INCIDENT_BYTES: u64 = 500;
/// Bytes per member-day of compiled coverage (intervals and the engine's plan).
const COVERAGE_BYTES_PER_MEMBER_DAY: u64 = 250;
/// An allowance for drawing the charts (pixel buffers, the fonts' glyphs) and the
/// page; heaptrack put the default study's at about 80 MB, part of it while the pools,
/// counted above, were still alive.
const CHARTS_BYTES: u64 = 60_000_000;

/// One part of the estimate.
#[derive(Debug, Clone)]
pub struct Part {
    /// What it is, for people.
    pub what: String,
    /// Bytes.
    pub bytes: u64,
    /// How to make it smaller.
    pub reduce: &'static str,
}

/// The memory a study needs.
#[derive(Debug, Clone, Default)]
pub struct Estimate {
    /// Its parts, largest first.
    pub parts: Vec<Part>,
}

impl Estimate {
    /// The whole estimate, bytes.
    pub fn bytes(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |a, p| a.saturating_add(p.bytes))
    }
}

/// Bytes as people read them: `1.2 GB`, `340 MB`.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", (b / 1e3).max(1.0))
    }
}

/// Estimates the memory of running `items` work items (sweep values × replications;
/// `None`: all of them) of `scenario` on `threads` worker threads, with or without
/// `--trace`.
pub fn estimate(scenario: &Scenario, items: Option<u64>, threads: usize, trace: bool) -> Estimate {
    let exp = &scenario.experiment;
    let sweep_values = scenario.sweep.as_ref().map_or(1, |s| s.values.len().max(1)) as u64;
    let variants = 1 + scenario.variants.len() as u64;
    let items = items.unwrap_or(sweep_values.saturating_mul(u64::from(exp.replications)));
    let cells = (exp.schedules.len() as u64).saturating_mul(exp.agency_counts.len() as u64);
    let days = exp.days.max(0.0).ceil() as u64;
    let setup = RunSetup {
        classes: scenario.incidents.classes.len(),
        sla: exp.sla.clone(),
        warmup: exp.warmup,
        horizon: exp.horizon(),
        members: exp.agency_counts.iter().copied().max().unwrap_or(0),
        windows: scenario
            .schedules
            .iter()
            .flat_map(|s| s.outages.iter().map(|o| (o.from, o.to)))
            .collect(),
    };
    let per_run = run_stats_bytes(&setup);
    let kept = run_kept_bytes(&setup);
    let mut parts = Vec::new();
    // Runs are pooled per cell as they finish: a cell's pool is as large as a run's
    // summaries, and each run keeps only its figures for the paired comparisons.
    let pooled_cells = sweep_values.saturating_mul(cells).saturating_mul(variants);
    parts.push(Part {
        what: format!(
            "the pooled summaries of {pooled_cells} cells ({cells} cells{}{}, {} each)",
            if sweep_values > 1 {
                format!(" × {sweep_values} sweep values")
            } else {
                String::new()
            },
            if variants > 1 {
                format!(" × {variants} variants")
            } else {
                String::new()
            },
            human(per_run)
        ),
        bytes: pooled_cells.saturating_mul(per_run),
        reduce: "fewer schedules, agency counts, sweep values or variants",
    });
    let runs = items.saturating_mul(cells).saturating_mul(variants);
    parts.push(Part {
        what: format!(
            "the figures of {runs} runs ({items} work items × {cells} cells{}, {} each)",
            if variants > 1 {
                format!(" × {variants} variants")
            } else {
                String::new()
            },
            human(kept)
        ),
        bytes: runs.saturating_mul(kept),
        reduce: "fewer replications (-r), fewer schedules, agency counts or sweep values, or a sharded run (--shard, watchsim slurm) on machines with more memory",
    });
    let member_days: u64 = exp
        .agency_counts
        .iter()
        .map(|&k| k as u64)
        .sum::<u64>()
        .saturating_mul(exp.schedules.len() as u64)
        .saturating_mul(days);
    parts.push(Part {
        what: format!("the compiled coverage of {cells} cells over {days} days"),
        bytes: member_days
            .saturating_mul(COVERAGE_BYTES_PER_MEMBER_DAY)
            .saturating_mul(variants),
        reduce: "fewer days, agencies, agency counts or schedules",
    });
    let incidents = match &scenario.incidents.source {
        IncidentSource::Synthetic { rate } => {
            let rates: Vec<f64> = match &scenario.sweep {
                Some(s) if s.parameter == SweepParameter::Rate => s.values.clone(),
                _ => vec![*rate],
            };
            let incidents = rates.iter().fold(0.0f64, |a, &r| a.max(r * exp.horizon()));
            // The arrival model: rate steps at every local hour of each jurisdiction
            // (while it is built), then one piece per hour with a share per jurisdiction.
            let jurisdictions = scenario.agencies.iter().filter(|a| a.weight > 0.0).count() as u64
                + u64::from(scenario.incidents.rest_of_world > 0.0);
            let hours = days.saturating_add(4).saturating_mul(24);
            let model = (hours.saturating_mul(3) / 2).saturating_mul(16 + 8 * jurisdictions);
            let building = hours.saturating_mul(jurisdictions).saturating_mul(16);
            parts.push(Part {
                what: format!(
                    "the arrival model of {jurisdictions} jurisdictions over {days} days{}",
                    if sweep_values > 1 {
                        format!(", once per sweep value ({sweep_values})")
                    } else {
                        String::new()
                    }
                ),
                bytes: model
                    .saturating_mul(sweep_values)
                    .saturating_mul(variants)
                    .saturating_add(building),
                reduce: "fewer days, agencies or sweep values",
            });
            incidents
        }
        IncidentSource::Trace { path } => {
            let rows = trace_rows(path);

            parts.push(Part {
                what: format!(
                    "the recorded trace (up to {rows} rows{})",
                    if sweep_values > 1 {
                        format!(", read once per sweep value ({sweep_values})")
                    } else {
                        String::new()
                    }
                ),
                bytes: rows
                    .saturating_mul(TRACE_ROW_BYTES)
                    .saturating_mul(sweep_values)
                    .saturating_mul(variants),
                reduce: "a shorter trace or fewer sweep values",
            });
            rows as f64
        }
    };
    let threads = threads.max(1) as u64;
    let in_flight = threads.min(items.max(1));
    // A replication's incidents are kept (up to 2^18, about 100 bytes each) and its
    // cells run one after another; a longer stream runs every cell side by side.
    const KEPT_INCIDENTS: f64 = 262_144.0;
    let side_by_side = if incidents > KEPT_INCIDENTS { cells } else { 1 };
    let kept_incidents = (incidents.min(KEPT_INCIDENTS) as u64).saturating_mul(100);
    let mut working = in_flight.saturating_mul(
        side_by_side
            .saturating_mul(per_run)
            .saturating_add(kept_incidents),
    );
    if trace {
        working = working.saturating_add(
            ((incidents.min(1e15)) as u64)
                .saturating_mul(cells)
                .saturating_mul(TRACED_INCIDENT_BYTES)
                .saturating_mul(in_flight),
        );
    }
    parts.push(Part {
        what: format!(
            "the work items in flight on {in_flight} threads{}",
            if trace {
                format!(
                    " with --trace ({:.3e} incidents × {cells} cells each)",
                    incidents
                )
            } else {
                String::new()
            }
        ),
        bytes: working,
        reduce: if trace {
            "running without --trace, fewer days, a lower rate, fewer cells, or fewer threads (-j)"
        } else {
            "fewer threads (-j)"
        },
    });
    parts.push(Part {
        what: "drawing the charts and the page".into(),
        bytes: CHARTS_BYTES,
        reduce: "nothing: a fixed cost",
    });
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    Estimate { parts }
}

/// An upper bound on the rows of a recorded trace from its size (0 if it cannot be
/// read: reading it reports that).
fn trace_rows(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len() / TRACE_ROW_MIN_FILE_BYTES)
}

/// The memory available to a new study, bytes, and where the figure comes from.
pub fn budget() -> (u64, String) {
    if let Some(b) = std::env::var("WATCHSIM_MEMORY")
        .ok()
        .and_then(|v| parse_bytes(&v))
    {
        return (b, "WATCHSIM_MEMORY".into());
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb.saturating_mul(1024))
    });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    match (meminfo, cgroup) {
        (Some(m), Some(c)) if c < m => (c, "the cgroup's memory.max".into()),
        (Some(m), _) => (m, "MemAvailable in /proc/meminfo".into()),
        (None, Some(c)) => (c, "the cgroup's memory.max".into()),
        (None, None) => (FALLBACK_BUDGET, "a fixed 4 GiB (no /proc/meminfo)".into()),
    }
}

/// `500M`, `4G`, `1T` or a number of bytes.
fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last()? {
        (i, 'K' | 'k') => (&t[..i], 1u64 << 10),
        (i, 'M' | 'm') => (&t[..i], 1 << 20),
        (i, 'G' | 'g') => (&t[..i], 1 << 30),
        (i, 'T' | 't') => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(unit)
}

/// Refuses (exit 2) a study whose estimate exceeds the memory available, saying what
/// takes the memory and how to reduce it.
pub fn check(scenario: &Scenario, items: Option<u64>, threads: usize, trace: bool) -> Result<()> {
    let estimate = estimate(scenario, items, threads, trace);
    let (budget, source) = budget();
    if estimate.bytes() <= budget {
        return Ok(());
    }
    let largest = &estimate.parts[0];
    let parts: Vec<String> = estimate
        .parts
        .iter()
        .filter(|p| p.bytes >= estimate.bytes() / 100)
        .map(|p| format!("  {:>9}  {}", human(p.bytes), p.what))
        .collect();
    Err(Error::argument(format!(
        "{} needs about {} of memory, more than the {} available ({source}):\n{}\nto reduce it: {}",
        scenario.name,
        human(estimate.bytes()),
        human(budget),
        parts.join("\n"),
        largest.reduce
    )))
}
