//! Runs a study's work items in parallel and keeps each finished item on disk, so an
//! interrupted run can resume and a sharded run can be merged.
//!
//! A *part* is a folder holding a `manifest.json` (which scenario, seed, replications)
//! and one `item-V-R.json` per finished (sweep value, replication), plus its
//! `item-V-R.incidents.csv` chunk with `--trace`. A normal run keeps its part in
//! `<report dir>/.partial/` until the outputs are written.

use std::collections::BTreeMap;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::commands::BadInput;
use crate::engine::RunTotals;
use crate::experiment::{RunResult, Study};
use crate::report::runs::incidents_table;
use crate::report::{write_atomic, write_atomic_with};
use crate::stats::RunStats;
use crate::stats::store::{StoredRun, StoredRunRef};

/// What a part was made from: parts of different runs are never mixed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// watchsim's version.
    pub watchsim: String,
    /// Scenario name.
    pub scenario: String,
    /// Hash of the scenario text.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per cell.
    pub replications: u32,
    /// Work items in the whole run.
    pub items: usize,
    /// Whether incidents.csv chunks are kept.
    pub trace: bool,
    /// Independent streams instead of common random numbers.
    pub independent_streams: bool,
    /// This part's shard, `I/N` (absent for an unsharded run).
    pub shard: Option<(u32, u32)>,
    /// The scenario file (absolute; absent for the built-in study), so that `watchsim
    /// merge` can rebuild the study.
    #[serde(default)]
    pub scenario_file: Option<PathBuf>,
}

impl Manifest {
    /// The manifest of a study run.
    pub fn new(study: &Study, trace: bool, shard: Option<(u32, u32)>) -> Manifest {
        Manifest {
            watchsim: env!("CARGO_PKG_VERSION").to_string(),
            scenario: study.scenario.name.clone(),
            scenario_hash: study.scenario.hash.clone(),
            seed: study.scenario.experiment.seed,
            replications: study.replications,
            items: study.items().len(),
            trace,
            independent_streams: study.independent_streams,
            shard,
            scenario_file: None,
        }
    }

    /// Whether two parts come from the same run (whatever their shards, and wherever
    /// the scenario file lies).
    pub fn same_run(&self, other: &Manifest) -> bool {
        Manifest {
            shard: None,
            scenario_file: None,
            ..self.clone()
        } == Manifest {
            shard: None,
            scenario_file: None,
            ..other.clone()
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredItem {
    variant: usize,
    replication: u32,
    runs: Vec<(usize, StoredRun, RunTotals)>,
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunnerOptions {
    /// Keep incidents.csv chunks.
    pub trace: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Reuse finished items of an interrupted run.
    pub resume: bool,
}

fn item_name(v: usize, r: u32) -> String {
    format!("item-{v}-{r}")
}

/// The file names of an item in a part.
pub fn item_files(part: &Path, (v, r): (usize, u32)) -> (PathBuf, PathBuf) {
    let name = item_name(v, r);
    (
        part.join(format!("{name}.json")),
        part.join(format!("{name}.incidents.csv")),
    )
}

/// Reads a part's manifest.
pub fn read_manifest(part: &Path) -> Result<Manifest> {
    let path = part.join("manifest.json");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a watchsim part manifest", path.display()))
}

/// Loads one finished item of a part; `None` if it is absent, truncated or foreign.
pub fn load_item(
    study: &Study,
    part: &Path,
    item: (usize, u32),
    trace: bool,
) -> Option<Vec<RunResult>> {
    let (json, csv) = item_files(part, item);
    let text = fs::read_to_string(json).ok()?;
    let stored: StoredItem = serde_json::from_str(&text).ok()?;
    if (stored.variant, stored.replication) != item || stored.runs.len() != study.cells.len() {
        return None;
    }
    if trace && !csv.exists() {
        return None;
    }
    let exp = &study.scenario.experiment;
    stored
        .runs
        .into_iter()
        .enumerate()
        .map(|(i, (cell, run, totals))| {
            (cell == i).then_some(())?;
            Some(RunResult {
                variant: item.0,
                cell,
                replication: item.1,
                stats: RunStats::restore(&run, &exp.sla, exp.warmup)?,
                totals,
                trace: None,
            })
        })
        .collect()
}

/// Runs `items` of `study`, storing each in `part` as it finishes. With `resume`,
/// items already in the part (of the same run) are loaded instead of run again.
/// Returns every item's results, ordered by variant, cell and replication.
pub fn run_items(
    study: &Study,
    items: &[(usize, u32)],
    part: &Path,
    manifest: &Manifest,
    options: &RunnerOptions,
) -> Result<Vec<RunResult>> {
    let mut done: BTreeMap<(usize, u32), Vec<RunResult>> = BTreeMap::new();
    if part.exists() {
        let reusable = options.resume && read_manifest(part).is_ok_and(|m| m.same_run(manifest));
        if options.resume && !reusable && part.join("manifest.json").exists() {
            bail!(BadInput(format!(
                "--resume: the unfinished run in {} is of another scenario, seed or set of options; run without --resume to start afresh",
                part.display()
            )));
        }
        if reusable {
            for &item in items {
                if let Some(results) = load_item(study, part, item, options.trace) {
                    done.insert(item, results);
                }
            }
        } else {
            fs::remove_dir_all(part).with_context(|| format!("cannot clear {}", part.display()))?;
        }
    }
    fs::create_dir_all(part).with_context(|| format!("cannot create {}", part.display()))?;
    write_atomic(
        &part.join("manifest.json"),
        serde_json::to_string_pretty(manifest)?.as_bytes(),
    )?;

    let todo: Vec<(usize, u32)> = items
        .iter()
        .copied()
        .filter(|i| !done.contains_key(i))
        .collect();
    let cells = study.cells.len() as u64;
    let progress = progress_bar(items.len() as u64 * cells, options.quiet);
    progress.inc(done.len() as u64 * cells);
    if !done.is_empty() {
        progress.println(format!(
            "resuming: {} of {} work items were already done",
            done.len(),
            items.len()
        ));
    }
    let started = Instant::now();
    let incidents = AtomicU64::new(0);
    let fresh: Vec<((usize, u32), Vec<RunResult>)> = todo
        .par_iter()
        .map(|&(v, r)| -> Result<_> {
            let mut results = study.run_item(v, r, options.trace);
            store_item(study, part, (v, r), &mut results)?;
            let n: u64 = results
                .iter()
                .map(|x| x.stats.classes.iter().map(|c| c.n).sum::<u64>())
                .sum();
            let total = incidents.fetch_add(n, Ordering::Relaxed) + n;
            progress.inc(cells);
            progress.set_message(format!(
                "{:.1} M incidents/s",
                total as f64 / started.elapsed().as_secs_f64() / 1e6
            ));
            Ok(((v, r), results))
        })
        .collect::<Result<_>>()?;
    progress.finish_and_clear();
    done.extend(fresh);
    let mut results: Vec<RunResult> = done.into_values().flatten().collect();
    results.sort_by_key(|x| (x.variant, x.cell, x.replication));
    Ok(results)
}

/// Writes an item's summaries (and trace chunk) to the part, dropping the trace from
/// memory.
fn store_item(
    study: &Study,
    part: &Path,
    item: (usize, u32),
    results: &mut [RunResult],
) -> Result<()> {
    let (json, csv) = item_files(part, item);
    if results.iter().any(|r| r.trace.is_some()) {
        let table = incidents_table(study, results);
        let mut bytes = table.to_csv();
        // Chunks are concatenated under one header when the run ends.
        let header_end = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.drain(..header_end);
        write_atomic(&csv, &bytes)?;
        for r in results.iter_mut() {
            r.trace = None;
        }
    }
    // Serialised straight to the file: the summaries are not copied first.
    #[derive(Serialize)]
    struct ItemRef<'a> {
        variant: usize,
        replication: u32,
        runs: Vec<(usize, StoredRunRef<'a>, &'a RunTotals)>,
    }
    let stored = ItemRef {
        variant: item.0,
        replication: item.1,
        runs: results
            .iter()
            .map(|r| (r.cell, StoredRunRef(&r.stats), &r.totals))
            .collect(),
    };
    write_atomic_with(&json, |w| {
        serde_json::to_writer(w, &stored).map_err(std::io::Error::from)
    })?;
    Ok(())
}

/// Concatenates the trace chunks of `items` (from their parts) under one header into
/// `out`, atomically.
pub fn write_trace(
    study: &Study,
    items: &[(usize, u32)],
    parts: &[PathBuf],
    out: &Path,
) -> Result<()> {
    let mut header = incidents_table(study, &[]).to_csv();
    for &item in items {
        let chunk = parts
            .iter()
            .map(|p| item_files(p, item).1)
            .find(|p| p.exists())
            .with_context(|| {
                format!(
                    "the incidents.csv chunk of {} is missing",
                    item_name(item.0, item.1)
                )
            })?;
        header
            .extend(fs::read(&chunk).with_context(|| format!("cannot read {}", chunk.display()))?);
    }
    write_atomic(out, &header)?;
    Ok(())
}

fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} runs · {msg} · {eta} left",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
