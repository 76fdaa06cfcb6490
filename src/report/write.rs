//! Writing a finished study into its report folder: the CSV tables, `coverage.csv` and
//! `run.json`, and the checks made on the folder before any work starts.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::experiment::{RunResult, Study};
use crate::report::brief::{Brief, brief};
use crate::report::decision::{decision_rows, decisions, increment_rows, increments};
use crate::report::outages::{outage_rows, outages};
use crate::report::rows::{
    CompareRow, CoverageRow, DecisionRow, DeskRow, DistributionRow, FindingRow, IncidentRow,
    IncrementRow, Layout, LoadRow, OutageRow, RunRow, SummaryRow, WarningRow, WeeklyRow, to_csv,
    write_rows,
};
use crate::report::runs::incident_rows;
use crate::report::summary::{
    CellResults, compare_rows, comparisons, desk_rows, distribution_rows, load_rows, summary_rows,
    weekly_rows,
};
use crate::report::warnings::warnings;
use crate::report::{write_atomic, write_atomic_with};
use crate::scenario::Scenario;
use crate::schedule::{Coverage, Horizon, member_names};

/// RFC 3339 in UTC with a `Z`, seconds precision.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The report folder of a scenario: `out` if given, else `reports/<name>/`.
pub fn report_dir(scenario: &Scenario, out: Option<&Path>) -> PathBuf {
    out.map_or_else(
        || Path::new("reports").join(&scenario.name),
        Path::to_path_buf,
    )
}

/// A scenario file as an absolute path, so that it is found again from any folder.
pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// What a report folder records about the run that made it (`run.json`). Every field
/// has a default so that folders of older versions still load.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Provenance {
    /// watchsim's version.
    pub watchsim: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// Scenario file (absolute), if not the built-in one.
    pub scenario_file: Option<String>,
    /// Hash of the scenario text.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per cell.
    pub replications: u32,
    /// The command line.
    pub command: String,
    /// Independent streams instead of common random numbers.
    pub independent_streams: bool,
    /// The practical margin of the decision rule on shares, percentage points.
    pub decision_margin_points: Option<f64>,
    /// The practical margin of the decision rule on durations, minutes.
    pub decision_margin_minutes: Option<f64>,
    /// The SLA threshold of the decision measure, minutes.
    pub decision_sla_minutes: Option<f64>,
}

impl Provenance {
    /// The record of a run of `study` from `scenario_file` (`None`: the built-in
    /// study), started by `command`.
    pub fn new(study: &Study, scenario_file: Option<&Path>, command: String) -> Provenance {
        let s = &study.scenario;
        Provenance {
            watchsim: env!("CARGO_PKG_VERSION").into(),
            scenario: s.name.clone(),
            description: s.description.clone(),
            scenario_file: scenario_file.map(|p| absolute(p).display().to_string()),
            scenario_hash: s.hash.clone(),
            seed: s.experiment.seed,
            replications: study.replications(),
            command,
            independent_streams: study.independent_streams,
            decision_margin_points: Some(100.0 * s.decision.margin),
            decision_margin_minutes: Some(s.decision.margin_time / 60.0),
            decision_sla_minutes: s.experiment.sla.get(s.decision.sla).map(|t| t / 60.0),
        }
    }
}

/// Refuses a report folder that holds another scenario's results.
pub fn check_report_dir(dir: &Path, scenario: &Scenario) -> Result<()> {
    let path = dir.join("run.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    // Every field has a default, so a record without a scenario name is not ours.
    match serde_json::from_str::<Provenance>(&text).map(|p| (!p.scenario.is_empty()).then_some(p)) {
        Ok(Some(p)) if p.scenario == scenario.name => Ok(()),
        Ok(Some(p)) => Err(Error::report_folder(format!(
            "{} holds the results of scenario \"{}\", not \"{}\"; choose another folder with --out, or delete that one",
            dir.display(),
            p.scenario,
            scenario.name
        ))),
        Ok(None) | Err(_) => Err(Error::report_folder(format!(
            "{} is not a watchsim run record; choose another folder with --out",
            path.display()
        ))),
    }
}

/// Files or folders whose presence marks a folder as watchsim's: a finished run's
/// record, a run in progress, a sharded run's parts or script, a comparison's
/// paired differences (a `watchsim compare` folder has no run record).
pub const MARKERS: [&str; 6] = [
    "run.json",
    crate::report::LOCK_FILE,
    ".partial",
    "parts",
    "watchsim.sbatch",
    "variants.csv",
];

/// Refuses a report folder that is the root folder, or that is not empty and holds no
/// watchsim marker ([`MARKERS`]): its files would be overwritten. `force` allows the
/// latter (never the root).
pub fn check_out_folder(dir: &Path, force: bool) -> Result<()> {
    let root = std::fs::canonicalize(dir).map_or(dir == Path::new("/"), |c| c == Path::new("/"));
    if root {
        return Err(Error::report_folder(format!(
            "{} is the root folder; a run writes two dozen files into its report folder: choose a folder of its own with --out",
            dir.display()
        )));
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Absent (it is created) or not a folder (writing it says so).
        return Ok(());
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if force || names.is_empty() || names.iter().any(|n| MARKERS.contains(&n.as_str())) {
        return Ok(());
    }
    Err(Error::report_folder(format!(
        "{} is not empty ({} entries) and holds no watchsim run record (run.json), so a run would overwrite files that are not watchsim's; choose a new or empty folder with --out, or pass --force to write into it anyway",
        dir.display(),
        names.len()
    )))
}

/// Removes the temporary files (`.<name>.XXXXXX.tmp`) a killed run left in `dir`;
/// call it only while holding the folder's lock.
pub fn remove_leftover_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        // symlink_metadata: a planted link is removed, never followed.
        let plain = e
            .path()
            .symlink_metadata()
            .is_ok_and(|m| m.is_file() || m.file_type().is_symlink());
        if name.starts_with('.') && name.ends_with(".tmp") && plain {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Removes the outputs of an earlier run that this run does not write (incidents.csv
/// without --trace, variants.csv and unmatched.csv without variants, sensitivity.csv
/// without ranges, an optimiser's optimise.csv), so that the
/// folder and its index.html hold this run's files only.
pub fn remove_stale(dir: &Path, trace: bool, variants: bool, sensitivity: bool) -> Result<()> {
    // A run never writes the optimiser's candidates: any there are another search's.
    let mut stale = vec!["optimise.csv"];
    if !sensitivity {
        stale.push("sensitivity.csv");
    }
    if !trace {
        stale.push("incidents.csv");
    }
    if !variants {
        stale.extend(["variants.csv", "unmatched.csv"]);
    }
    for name in stale {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Write(crate::report::WriteError { path, source: e }));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Fails early, before any work, if the report folder cannot be created or written.
pub fn probe_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(".watchsim-probe");
    write_atomic(&probe, b"")?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The rows of `coverage.csv` for one schedule and agency count.
pub fn coverage_rows(
    scenario: &Scenario,
    name: &str,
    k: usize,
    coverage: &Coverage,
    horizon: &Horizon,
) -> Vec<CoverageRow> {
    // Intervals follow one another: an interval's start is usually the last one's end,
    // formatted once.
    let mut last_end: Option<(f64, String)> = None;
    coverage
        .intervals(k)
        .into_iter()
        .map(|i| {
            let start = match last_end.take() {
                Some((t, text)) if t == i.start => text,
                _ => rfc3339(horizon.instant(i.start)),
            };
            let end = rfc3339(horizon.instant(i.end));
            last_end = Some((i.end, end.clone()));
            CoverageRow {
                schedule: name.to_string(),
                agencies: k,
                kind: i.kind,
                agency: member_names(scenario, i.members),
                start,
                end,
                hours: ((i.end - i.start) / 3600.0 * 1e6).round() / 1e6,
            }
        })
        .collect()
}

/// `coverage.csv` of some (schedule, agency count) cells as bytes.
pub fn coverage_csv(scenario: &Scenario, cells: &[(&str, usize, &Coverage)]) -> Vec<u8> {
    let horizon = Horizon::of(scenario);
    let rows = cells
        .iter()
        .flat_map(|&(name, k, c)| coverage_rows(scenario, name, k, c, &horizon));
    to_csv(&Layout::default().header(CoverageRow::COLUMNS), rows)
}

/// The column layout of a study's files.
pub fn layout(study: &Study) -> Layout {
    Layout {
        sweep: study.scenario.sweep.as_ref().map(|s| s.name.clone()),
        slas: study.scenario.experiment.sla.clone(),
    }
}

/// Writes every table of a finished run (and its provenance) to `dir`, and returns the
/// brief (decision, findings, warnings) for the console.
pub fn write_outputs(
    study: &Study,
    cells: &[CellResults],
    dir: &Path,
    provenance: &Provenance,
) -> Result<Brief> {
    let comparisons = comparisons(study, cells);
    let decisions = decisions(study, cells);
    let increments = increments(study, cells);
    let outages = outages(study, cells);
    let warnings = warnings(study, cells, &decisions);
    let brief = brief(study, cells, &decisions, &increments, &outages, warnings);
    let layout = layout(study);
    let plain = Layout::default();
    // The tables are independent: each is made and written on its own thread, beside
    // the coverage, the largest.
    type Table<'a> = (&'static str, Box<dyn Fn() -> Vec<u8> + Send + Sync + 'a>);
    let tables: Vec<Table> = vec![
        (
            "decision.csv",
            Box::new(|| {
                to_csv(
                    &layout.header(DecisionRow::COLUMNS),
                    decision_rows(study, &decisions),
                )
            }),
        ),
        (
            "increments.csv",
            Box::new(|| {
                to_csv(
                    &layout.header(IncrementRow::COLUMNS),
                    increment_rows(study, &increments),
                )
            }),
        ),
        (
            "outages.csv",
            Box::new(|| {
                to_csv(
                    &layout.header(OutageRow::COLUMNS),
                    outage_rows(study, cells, &outages),
                )
            }),
        ),
        (
            "warnings.csv",
            Box::new(|| to_csv(&plain.header(WarningRow::COLUMNS), brief.warnings.iter())),
        ),
        (
            "findings.csv",
            Box::new(|| {
                to_csv(
                    &plain.header(FindingRow::COLUMNS),
                    brief
                        .findings
                        .iter()
                        .map(|f| FindingRow { finding: f.clone() }),
                )
            }),
        ),
        (
            "runs.csv",
            Box::new(|| {
                by_cells(&layout.header(&RunRow::columns()), cells, |c| {
                    c.iter().flat_map(|c| &c.run_rows).collect()
                })
            }),
        ),
        (
            "summary.csv",
            Box::new(|| {
                by_cells(&layout.header(SummaryRow::COLUMNS), cells, |c| {
                    summary_rows(study, c)
                })
            }),
        ),
        (
            "compare.csv",
            Box::new(|| {
                to_csv(
                    &layout.header(CompareRow::COLUMNS),
                    compare_rows(study, cells, &comparisons),
                )
            }),
        ),
        (
            "distribution.csv",
            Box::new(|| {
                by_cells(&layout.header(DistributionRow::COLUMNS), cells, |c| {
                    distribution_rows(study, c)
                })
            }),
        ),
        (
            "weekly.csv",
            Box::new(|| {
                by_cells(&layout.header(WeeklyRow::COLUMNS), cells, |c| {
                    weekly_rows(study, c)
                })
            }),
        ),
        (
            "desks.csv",
            Box::new(|| to_csv(&layout.header(DeskRow::COLUMNS), desk_rows(study, cells))),
        ),
        (
            "load.csv",
            Box::new(|| to_csv(&layout.header(LoadRow::COLUMNS), load_rows(study, cells))),
        ),
    ];
    let horizon = Horizon::of(&study.scenario);
    let (written, coverage) = rayon::join(
        || {
            tables
                .par_iter()
                .try_for_each(|(name, make)| write_atomic(&dir.join(name), &make()))
        },
        // The coverage grows with the horizon: stream it, a few cells at a time.
        || {
            write_atomic_with(&dir.join("coverage.csv"), |w| {
                write_rows::<CoverageRow>(
                    w,
                    Some(&Layout::default().header(CoverageRow::COLUMNS)),
                    [],
                )?;
                for few in study.cells.chunks(2 * rayon::current_num_threads()) {
                    let parts: Vec<Vec<u8>> = few
                        .par_iter()
                        .map(|cell| {
                            let name = &study.scenario.schedules[cell.schedule].name;
                            let rows = coverage_rows(
                                &study.scenario,
                                name,
                                cell.k,
                                &cell.plan.coverage,
                                &horizon,
                            );
                            csv_rows(rows)
                        })
                        .collect();
                    parts.iter().try_for_each(|p| w.write_all(p))?;
                }
                Ok(())
            })
        },
    );
    drop(tables);
    written?;
    coverage?;
    let json = serde_json::to_string_pretty(provenance)
        .map_err(|e| Error::System(format!("cannot encode run.json: {e}")))?;
    write_atomic(&dir.join("run.json"), json.as_bytes())?;
    Ok(brief)
}

/// A table's rows as CSV bytes, without a header.
fn csv_rows<T: serde::Serialize>(rows: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_rows(&mut bytes, None, rows).expect("writing to memory cannot fail");
    bytes
}

/// A table of rows made per cell (`rows` of some cells are those cells' rows, in
/// order), made a cell at a time side by side and joined in cell order under `header`:
/// the same bytes as made at once.
fn by_cells<'a, T: serde::Serialize>(
    header: &[String],
    cells: &'a [CellResults],
    rows: impl Fn(&'a [CellResults]) -> Vec<T> + Sync,
) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = cells
        .par_iter()
        .map(|c| csv_rows(rows(std::slice::from_ref(c))))
        .collect();
    let mut bytes = to_csv::<T>(header, []);
    parts.iter().for_each(|p| bytes.extend_from_slice(p));
    bytes
}

/// The header line of `incidents.csv`.
pub fn incidents_header(study: &Study) -> Vec<u8> {
    to_csv::<IncidentRow>(&layout(study).header(IncidentRow::COLUMNS), [])
}

/// The rows of `incidents.csv` for some runs, without the header (trace chunks are
/// concatenated under one header when the run ends).
pub fn incidents_chunk(study: &Study, results: &[RunResult]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_rows(&mut bytes, None, incident_rows(study, results))
        .expect("writing to memory cannot fail");
    bytes
}
