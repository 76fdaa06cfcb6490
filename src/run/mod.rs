//! Running a study so that nothing finished is lost: work items run in parallel and
//! each is kept on disk as it finishes, so an interrupted run can resume ([`run_items`])
//! and a run split into shards for a batch engine can be merged ([`shard`], [`merge`],
//! [`slurm`]).
//!
//! A *part* is a folder holding a `manifest.json` (which scenario, seed, replications)
//! and one `item-V-R.bin` per finished (sweep value, replication), plus its
//! `item-V-R.incidents.csv` chunk with `--trace`. A normal run keeps its part in
//! `<report dir>/.partial/` until the outputs are written.

pub mod ledger;
pub mod merge;
pub mod shard;
pub mod slurm;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::RunTotals;
use crate::error::{Error, Result};
use crate::experiment::{RunResult, Study};
use crate::report::write::{incidents_chunk, incidents_header};
use crate::report::{write_atomic, write_atomic_with};
use crate::stats::RunStats;

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
    /// The form its items are stored in ([`ITEM_FORMAT`]; absent: 1, the JSON items of
    /// earlier builds).
    #[serde(default = "json_items")]
    pub item_format: u32,
}

/// The form items are stored in: 2, postcard ([`StoredItem`]); 1 was JSON, with the
/// histograms in base64.
pub const ITEM_FORMAT: u32 = 2;

/// The item format of a manifest that names none.
fn json_items() -> u32 {
    1
}

impl Manifest {
    /// The manifest of a study run.
    pub fn new(study: &Study, trace: bool, shard: Option<(u32, u32)>) -> Manifest {
        Manifest {
            watchsim: env!("CARGO_PKG_VERSION").to_string(),
            scenario: study.scenario.name.clone(),
            scenario_hash: study.scenario.hash.clone(),
            seed: study.scenario.experiment.seed,
            replications: study.replications(),
            items: study.items().len(),
            trace,
            independent_streams: study.independent_streams,
            shard,
            scenario_file: None,
            item_format: ITEM_FORMAT,
        }
    }

    /// What differs between the runs of two parts (empty: the same run, whatever
    /// their shard index and wherever the scenario file lies). Parts split into
    /// different shard counts are of different runs: their items are not the same.
    pub fn differences(&self, other: &Manifest) -> Vec<String> {
        let mut d = Vec::new();
        let mut check = |what: &str, x: String, y: String| {
            if x != y {
                d.push(format!("{what} {y} instead of {x}"));
            }
        };
        check(
            "scenario",
            format!("\"{}\" (hash {})", self.scenario, self.scenario_hash),
            format!("\"{}\" (hash {})", other.scenario, other.scenario_hash),
        );
        check("seed", self.seed.to_string(), other.seed.to_string());
        check(
            "replications",
            self.replications.to_string(),
            other.replications.to_string(),
        );
        check(
            "work items",
            self.items.to_string(),
            other.items.to_string(),
        );
        check("--trace", self.trace.to_string(), other.trace.to_string());
        check(
            "--independent-streams",
            self.independent_streams.to_string(),
            other.independent_streams.to_string(),
        );
        check(
            "watchsim version",
            self.watchsim.clone(),
            other.watchsim.clone(),
        );
        check(
            "item format",
            self.item_format.to_string(),
            other.item_format.to_string(),
        );
        let count = |m: &Manifest| m.shard.map_or(String::new(), |s| format!("{} shards", s.1));
        check("split into", count(self), count(other));
        d
    }

    /// Whether two parts come from the same run (see [`Manifest::differences`]).
    pub fn same_run(&self, other: &Manifest) -> bool {
        self.differences(other).is_empty()
    }
}

/// A finished work item on disk: every cell's run summaries and totals, in postcard's
/// binary form (the histograms' counts as bytes: as base64 text in JSON, their
/// encoding took about 4 % of the default study's wall time). Read back through this
/// derived form; written a run at a time in the same form ([`run_and_store`]: the
/// fields in order, then the runs' count and each run, as postcard encodes it).
///
/// [`ITEM_FORMAT`] names this form in the manifest: parts in another are refused.
#[derive(Deserialize)]
struct StoredItem {
    variant: usize,
    replication: u32,
    runs: Vec<(usize, RunStats, RunTotals)>,
}

/// Follows a run's progress; the command line shows it as a progress bar.
pub trait Progress: Sync {
    /// The run starts: `total` cell runs, of which `done` were finished by an earlier,
    /// interrupted run (`items_done` of `items` work items).
    fn start(&self, total: u64, done: u64, items_done: usize, items: usize);
    /// `runs` more cell runs finished; `rate` incidents per second so far.
    fn advance(&self, runs: u64, rate: f64);
    /// The run is over.
    fn finish(&self);
}

/// No progress shown.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: u64, _: u64, _: usize, _: usize) {}
    fn advance(&self, _: u64, _: f64) {}
    fn finish(&self) {}
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Keep incidents.csv chunks.
    pub trace: bool,
    /// Reuse finished items of an interrupted run.
    pub resume: bool,
    /// When resuming, refuse (rather than run again) an item whose files no longer
    /// match the part's ledger (`--resume` as typed; a shard's retry repairs instead).
    pub verify: bool,
}

fn item_name(v: usize, r: u32) -> String {
    format!("item-{v}-{r}")
}

/// The file names of an item in a part.
pub fn item_files(part: &Path, (v, r): (usize, u32)) -> (PathBuf, PathBuf) {
    let name = item_name(v, r);
    (
        part.join(format!("{name}.bin")),
        part.join(format!("{name}.incidents.csv")),
    )
}

/// Reads a part's manifest.
pub fn read_manifest(part: &Path) -> Result<Manifest> {
    let path = part.join("manifest.json");
    let text = fs::read_to_string(&path).map_err(|e| Error::read(&path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::parts(format!(
            "{} is not a watchsim part manifest: {e}",
            path.display()
        ))
    })
}

/// Loads one finished item of a part; `None` if it is absent, truncated or foreign.
pub fn load_item(
    study: &Study,
    part: &Path,
    item: (usize, u32),
    trace: bool,
) -> Option<Vec<RunResult>> {
    let (summaries, csv) = item_files(part, item);
    let bytes = fs::read(summaries).ok()?;
    let (stored, rest): (StoredItem, _) = postcard::take_from_bytes(&bytes).ok()?;
    if !rest.is_empty() {
        return None;
    }
    if (stored.variant, stored.replication) != item || stored.runs.len() != study.cells.len() {
        return None;
    }
    if trace && !csv.exists() {
        return None;
    }
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
                stats: run.restored(&study.run_setup(cell))?,
                totals,
                trace: None,
            })
        })
        .collect()
}

/// Runs `items` of `study`, storing each in `part` as it finishes. With `resume`,
/// items already in the part (of the same run) are loaded instead of run again.
/// The results are only stored: see [`run_items_into`] to use them.
pub fn run_items(
    study: &Study,
    items: &[(usize, u32)],
    part: &Path,
    manifest: &Manifest,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<()> {
    run_items_into(study, items, part, manifest, options, progress, &|_| {})
}

/// [`run_items`], handing each item's results (every cell's run of one variant and
/// replication) to `each` as soon as the item is stored or loaded: on any thread and
/// in any order, so that `each` can pool them and let them go (see
/// [`crate::report::summary::Pool`]) instead of holding every run to the end.
pub fn run_items_into(
    study: &Study,
    items: &[(usize, u32)],
    part: &Path,
    manifest: &Manifest,
    options: &RunOptions,
    progress: &dyn Progress,
    each: &(dyn Fn(Vec<RunResult>) + Sync),
) -> Result<()> {
    let mut done: BTreeSet<(usize, u32)> = BTreeSet::new();
    if part.exists() {
        let found = read_manifest(part);
        let reusable = options.resume && found.as_ref().is_ok_and(|m| m.same_run(manifest));
        if options.resume && !reusable && part.join("manifest.json").exists() {
            let what = match &found {
                Ok(m) => format!("differs: {}", manifest.differences(m).join(", ")),
                Err(_) => "has no readable manifest".to_string(),
            };
            return Err(Error::parts(format!(
                "--resume: the unfinished run in {} is of another scenario, seed or set of options ({what}); run without --resume to start afresh",
                part.display()
            )));
        }
        if reusable {
            // Items recorded as finished are checked against the ledger (a file changed
            // since is an error); the others run again.
            let recorded = ledger::Recorded::read(part);
            for &item in items.iter().filter(|&&i| recorded.has(i)) {
                match recorded.verify(part, item, manifest) {
                    Ok(()) => {}
                    // A shard's retry repairs its part; `--resume` says what changed.
                    Err(e) if options.verify => return Err(e),
                    Err(_) => continue,
                }
                if let Some(results) = load_item(study, part, item, options.trace) {
                    done.insert(item);
                    each(results);
                }
            }
            let kept: Vec<(usize, u32)> = done.iter().copied().collect();
            recorded.keep(part, &kept)?;
        } else {
            fs::remove_dir_all(part).map_err(|e| write_error(part, e))?;
        }
    }
    fs::create_dir_all(part).map_err(|e| write_error(part, e))?;
    write_atomic(&part.join("manifest.json"), &json(manifest)?)?;
    let ledger = ledger::Ledger::open(part, manifest)?;

    let todo: Vec<(usize, u32)> = items
        .iter()
        .copied()
        .filter(|i| !done.contains(i))
        .collect();
    let cells = study.cells.len() as u64;
    progress.start(
        items.len() as u64 * cells,
        done.len() as u64 * cells,
        done.len(),
        items.len(),
    );
    let started = Instant::now();
    let incidents = AtomicU64::new(0);
    // One item per task: items differ in cost (a sweep's staffings), and a thread
    // that runs out of work takes single items, not a half of what is left.
    todo.par_iter()
        .with_max_len(1)
        .try_for_each(|&(v, r)| -> Result<()> {
            let n = run_and_store(study, part, (v, r), options.trace, each)?;
            ledger.record(part, (v, r), options.trace)?;
            let total = incidents.fetch_add(n, Ordering::Relaxed) + n;
            progress.advance(cells, total as f64 / started.elapsed().as_secs_f64());
            Ok(())
        })?;
    progress.finish();
    Ok(())
}

/// Runs one work item and writes it to the part as its runs finish, handing each run
/// to `each` once written: the item's file is the [`StoredItem`] form, written a run
/// at a time, so that a run need not be kept until the whole item is done. With a
/// trace, the item's `incidents.csv` chunk is written first, then the item's file
/// (whose presence marks the item finished). Returns the counted incidents.
fn run_and_store(
    study: &Study,
    part: &Path,
    (v, r): (usize, u32),
    trace: bool,
    each: &(dyn Fn(Vec<RunResult>) + Sync),
) -> Result<u64> {
    let (summaries, csv) = item_files(part, (v, r));
    let mut counted = 0;
    write_atomic_with(&summaries, |w| {
        // The [`StoredItem`] form, written as it is encoded: its fields, then the
        // runs' count and each run as it finishes.
        let cells = study.cells.len();
        encode(&(v, r, cells), w)?;
        let mut chunk = Vec::new();
        let mut failed = None;
        let mut written_runs = 0;
        study.run_item_with(v, r, trace, &mut |mut run| {
            if failed.is_some() {
                return;
            }
            if trace {
                // Chunks are concatenated under one header when the run ends.
                chunk.extend(incidents_chunk(study, std::slice::from_ref(&run)));
                run.trace = None;
            }
            match encode(&(run.cell, &run.stats, &run.totals), w) {
                Ok(()) => {
                    written_runs += 1;
                    counted += run.stats.counted();
                    each(vec![run]);
                }
                Err(e) => failed = Some(e),
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        debug_assert_eq!(written_runs, cells, "an item holds a run of every cell");
        if trace {
            write_atomic(&csv, &chunk).map_err(std::io::Error::other)?;
        }
        Ok(())
    })?;
    Ok(counted)
}

/// Appends a value in postcard's binary form (encoded in memory first: written a
/// field at a time, each field is a call through `dyn Write`).
fn encode(value: &impl Serialize, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = postcard::to_allocvec(value).map_err(std::io::Error::other)?;
    w.write_all(&bytes)
}

/// A value as pretty JSON bytes.
pub(crate) fn json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::System(format!("cannot encode JSON: {e}")))
}

/// A folder that could not be created or cleared.
fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write(crate::report::WriteError {
        path: path.to_path_buf(),
        source,
    })
}

/// Concatenates the trace chunks of `items` (from their parts) under one header into
/// `out`, atomically, streaming each chunk from its file (a trace can be larger than
/// the memory).
pub fn write_trace(
    study: &Study,
    items: &[(usize, u32)],
    parts: &[PathBuf],
    out: &Path,
) -> Result<()> {
    let chunks: Vec<PathBuf> = items
        .iter()
        .map(|&item| {
            parts
                .iter()
                .map(|p| item_files(p, item).1)
                .find(|p| p.exists())
                .ok_or_else(|| {
                    Error::parts(format!(
                        "the incidents.csv chunk of {} is missing",
                        item_name(item.0, item.1)
                    ))
                })
        })
        .collect::<Result<_>>()?;
    let header = incidents_header(study);
    write_atomic_with(out, |w| {
        w.write_all(&header)?;
        for chunk in &chunks {
            let mut f = fs::File::open(chunk).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot read {}: {e}", chunk.display()))
            })?;
            std::io::copy(&mut f, w)?;
        }
        Ok(())
    })?;
    Ok(())
}
