//! Merging the parts of a sharded run into the outputs of an unsharded one.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::experiment::Study;
use crate::report::brief::Brief;
use crate::report::summary::Pool;
use crate::report::write::{
    Provenance, check_out_folder, check_report_dir, remove_leftover_temps, report_dir,
    write_outputs,
};
use crate::scenario::Scenario;

use super::shard::Shard;
use super::{Manifest, item_files, load_item, read_manifest, write_trace};

/// The part folders named on the command line: a part itself (it holds a
/// `manifest.json`), or a folder of parts (`shard-I-of-N` folders, e.g. `parts/`).
fn expand_parts(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut parts = Vec::new();
    for arg in args {
        if arg.join("manifest.json").exists() {
            parts.push(arg.clone());
            continue;
        }
        let mut inner: Vec<PathBuf> = fs::read_dir(arg)
            .map_err(|e| {
                Error::parts(format!(
                    "cannot read the part folder {}: {e}",
                    arg.display()
                ))
            })?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("shard-"))
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        if inner.is_empty() {
            return Err(Error::parts(format!(
                "{} is not a part folder (it has no manifest.json) and holds no shard-I-of-N part folders",
                arg.display()
            )));
        }
        inner.sort();
        parts.extend(inner);
    }
    Ok(parts)
}

/// The scenario the parts were made from: `--scenario`, else the file recorded in the
/// parts (or the built-in default study), with the parts' seed and replications, checked
/// against their scenario hash.
fn scenario_of(manifest: &Manifest, first: &Path, given: Option<&Path>) -> Result<Scenario> {
    let mut scenario = match (given, &manifest.scenario_file) {
        (Some(path), _) => Scenario::load(path)?,
        (None, Some(path)) if !path.exists() => {
            return Err(Error::parts(format!(
                "the parts were made from {}, which is no longer there; pass the scenario file with --scenario FILE",
                path.display()
            )));
        }
        (None, Some(path)) => {
            // The recorded path comes from a file in the parts: compare its text's hash
            // before parsing it, so that a manifest pointing elsewhere (/etc/passwd)
            // never has that file's lines shown in a parse error.
            let text = fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
            let hash = crate::scenario::content_hash(&text);
            if hash != manifest.scenario_hash {
                return Err(Error::parts(format!(
                    "{} (hash {hash}), named in {}, is not the scenario the parts were made from (hash {}); it has changed since, or the manifest was edited: pass the original with --scenario FILE",
                    path.display(),
                    first.join("manifest.json").display(),
                    manifest.scenario_hash
                )));
            }
            Scenario::load(path)?
        }
        (None, None) => Scenario::default_study()?,
    };
    if scenario.hash != manifest.scenario_hash {
        let shown = given
            .or(manifest.scenario_file.as_deref())
            .map_or("the built-in default scenario".into(), |p| {
                p.display().to_string()
            });
        return Err(Error::parts(format!(
            "{shown} (hash {}) is not the scenario the parts were made from ({} has hash {}); it has changed since, or it is another file: pass the original with --scenario FILE",
            scenario.hash,
            first.join("manifest.json").display(),
            manifest.scenario_hash
        )));
    }
    scenario.experiment.seed = manifest.seed;
    scenario.experiment.replications = manifest.replications;
    Ok(scenario)
}

/// A merged run.
pub struct Merged {
    /// The study the parts were made from.
    pub study: Study,
    /// The report folder written.
    pub dir: PathBuf,
    /// Shards merged.
    pub shards: u32,
    /// Work items merged.
    pub items: usize,
    /// Cell runs merged.
    pub runs: usize,
    /// The brief (decision, findings, warnings).
    pub brief: Brief,
}

/// Combines every shard's part into the outputs of an unsharded run: `parts` are part
/// folders or folders holding them; the outputs go to `out` (default
/// `reports/<scenario>/`); `scenario` is the scenario file (default: the one recorded
/// in the parts). The parts must be of one run and complete.
pub fn merge(
    parts: &[PathBuf],
    out: Option<&Path>,
    scenario: Option<&Path>,
    command: String,
    force: bool,
) -> Result<Merged> {
    let parts = expand_parts(parts)?;
    let mut manifests = Vec::new();
    for part in &parts {
        let m = read_manifest(part)?;
        if m.shard.is_none() {
            return Err(Error::parts(format!(
                "{} is not a shard's part (it was made without --shard); merge takes the parts of `watchsim run --shard I/N`",
                part.display()
            )));
        }
        if m.item_format != super::ITEM_FORMAT {
            return Err(Error::parts(format!(
                "{} holds items in format {} (an earlier watchsim's); this watchsim reads format {}: run its shards again with this build",
                part.display(),
                m.item_format,
                super::ITEM_FORMAT
            )));
        }
        manifests.push(m);
    }
    let (first, reference) = (&parts[0], &manifests[0]);
    for (part, m) in parts.iter().zip(&manifests).skip(1) {
        let d = reference.differences(m);
        if !d.is_empty() {
            return Err(Error::parts(format!(
                "{} is not from the same run as {}: it has {}",
                part.display(),
                first.display(),
                d.join(", ")
            )));
        }
    }
    let count = reference.shard.map_or(1, |s| s.1);
    // A map, not a slot per shard: the count comes from a file and may be anything.
    let mut by_shard: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for (part, m) in parts.iter().zip(&manifests) {
        let (i, _) = m.shard.unwrap_or_default();
        if i >= count {
            return Err(Error::parts(format!(
                "{}: shard {i} of {count} does not exist",
                part.display()
            )));
        }
        if let Some(other) = by_shard.insert(i, part) {
            return Err(Error::parts(format!(
                "shard {i}/{count} is given twice: {} and {}",
                other.display(),
                part.display()
            )));
        }
    }
    let absent = count as usize - by_shard.len();
    if absent > 0 {
        let mut missing: Vec<String> = (0..count)
            .filter(|i| !by_shard.contains_key(i))
            .take(10)
            .map(|i| i.to_string())
            .collect();
        if absent > missing.len() {
            missing.push(format!("… ({absent} in all)"));
        }
        return Err(Error::parts(format!(
            "missing shard{} {} of {count} (shards are numbered 0 to {}): merge needs the part of every shard; run the missing ones with `watchsim run FILE --shard I/{count}`",
            if absent > 1 { "s" } else { "" },
            missing.join(", "),
            count - 1
        )));
    }
    let by_shard: Vec<&PathBuf> = by_shard.into_values().collect();

    let scenario_file = scenario
        .map(Path::to_path_buf)
        .or(reference.scenario_file.clone());
    let scenario = scenario_of(reference, first, scenario)?;
    crate::memory::check(&scenario, None, rayon::current_num_threads(), false)?;
    let mut study = Study::new(scenario)?;
    study.independent_streams = reference.independent_streams;
    let items = study.items();
    if items.len() != reference.items {
        return Err(Error::parts(format!(
            "{} lists {} work items but its scenario has {}",
            first.join("manifest.json").display(),
            reference.items,
            items.len()
        )));
    }
    let trace = reference.trace;
    let ledgers: Vec<(super::ledger::Recorded, Manifest)> = by_shard
        .iter()
        .map(|p| Ok((super::ledger::Recorded::read(p), read_manifest(p)?)))
        .collect::<Result<_>>()?;
    // Pooled item by item: the parts' runs are never all in memory at once.
    let pool = Pool::new(&study);
    let mut runs = 0;
    for (n, &item) in items.iter().enumerate() {
        let shard = Shard {
            index: (n % count as usize) as u32,
            count,
        };
        let part = by_shard[shard.index as usize];
        let (summaries, csv) = item_files(part, item);
        let rerun = || {
            format!(
                "re-run that shard (watchsim run FILE --shard {shard}) to finish it, then merge again"
            )
        };
        if !summaries.exists() {
            return Err(Error::parts(format!(
                "{} is missing: shard {shard} did not finish; {}",
                summaries.display(),
                rerun()
            )));
        }
        if trace {
            match fs::read(&csv) {
                Err(_) => {
                    return Err(Error::parts(format!(
                        "{} is missing: shard {shard} did not finish; {}",
                        csv.display(),
                        rerun()
                    )));
                }
                Ok(bytes) if bytes.last().is_some_and(|&b| b != b'\n') => {
                    return Err(Error::parts(format!(
                        "{} is truncated; {}",
                        csv.display(),
                        rerun()
                    )));
                }
                Ok(_) => {}
            }
        }
        let (recorded, manifest) = &ledgers[shard.index as usize];
        if !recorded.has(item) {
            return Err(Error::parts(format!(
                "{} is not recorded as finished in {}: shard {shard} did not finish; {}",
                summaries.display(),
                part.join(super::ledger::LEDGER).display(),
                rerun()
            )));
        }
        recorded.verify(part, item, manifest)?;
        let loaded = load_item(&study, part, item, trace).ok_or_else(|| {
            Error::parts(format!(
                "{} is truncated or damaged (not a finished work item of this run); {}",
                summaries.display(),
                rerun()
            ))
        })?;
        runs += loaded.len();
        pool.add_all(loaded);
    }
    let cells = pool.finish();

    let dir = report_dir(&study.scenario, out);
    check_out_folder(&dir, force)?;
    check_report_dir(&dir, &study.scenario)?;
    remove_leftover_temps(&dir);
    let provenance = Provenance::new(&study, scenario_file.as_deref(), command);
    let brief = write_outputs(&study, &cells, &dir, &provenance)?;
    // The charts are drawn from the CSV files: the pooled histograms can go first.
    drop(cells);
    crate::report::give_back_freed_memory();
    if trace {
        let owned: Vec<PathBuf> = by_shard.iter().map(|p| p.to_path_buf()).collect();
        write_trace(&study, &items, &owned, &dir.join("incidents.csv"))?;
    }
    crate::report::write::remove_stale(&dir, trace, false, false)?;
    // The charts and index.html, drawn from the CSV files as `watchsim run` draws them.
    crate::report::html::write_report(&dir)?;
    Ok(Merged {
        dir,
        shards: count,
        items: items.len(),
        runs,
        brief,
        study,
    })
}
