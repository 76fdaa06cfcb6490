//! Sharded sweeps for batch engines (Slurm job arrays, Kubernetes Indexed Jobs).
//!
//! A study's work items (variant, replication) are numbered in [`Study::items`] order;
//! shard `I/N` runs every item `n` with `n % N == I` and keeps them in a part folder
//! `<report dir>/parts/shard-I-of-N/` (see [`crate::runner`]). Random streams come from
//! the scenario and the replication only, so [`merge`] rebuilds exactly the outputs of
//! an unsharded run from the parts of every shard.
//!
//! Without `--shard`, a run takes its shard from the environment:
//!
//! - Slurm job arrays: `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`,
//!   `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_STEP`; shard
//!   `(ID - MIN) / STEP` of `COUNT`, so `--array=5-7` or `--array=0-20:5` work too.
//! - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (set by Kubernetes) with
//!   `SHARD_COUNT` (set by you to the Job's `completions`).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::{MergeArgs, SlurmArgs};
use crate::commands::{
    BadInput, DEFAULT_SCENARIO, Provenance, check_report_dir, load, report_dir, write_outputs,
};
use crate::experiment::{RunResult, Study};
use crate::report::summary::{by_cell, headline, headline_text};
use crate::report::write_atomic;
use crate::runner::{
    Manifest, RunnerOptions, item_files, load_item, read_manifest, run_items, write_trace,
};
use crate::scenario::Scenario;

/// One shard of a split run: `index` of `count`, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `I/N` (0 ≤ I < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let expected = "expected I/N with 0 <= I < N, e.g. 0/4";
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text}: {expected}"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: {i:?} is not a shard number; {expected}"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: {n:?} is not a shard count; {expected}"))?;
        Shard::new(index, count).map_err(|e| format!("--shard {text}: {e}"))
    }

    fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count is 0; expected at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard {index} does not exist among {count} shards; expected 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether work item number `n` (in [`Study::items`] order) belongs to this shard.
    pub fn owns(&self, n: usize) -> bool {
        n % self.count as usize == self.index as usize
    }

    /// This shard's share of `items`.
    pub fn items(&self, items: &[(usize, u32)]) -> Vec<(usize, u32)> {
        items
            .iter()
            .enumerate()
            .filter(|&(n, _)| self.owns(n))
            .map(|(_, &item)| item)
            .collect()
    }

    /// The part folder's name: `shard-I-of-N`.
    pub fn dir_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// The part folder of this shard under a report folder.
    pub fn part_dir(&self, report_dir: &Path) -> PathBuf {
        report_dir.join("parts").join(self.dir_name())
    }
}

/// Which shard to run: `--shard I/N`, `--shard none` (ignore the environment), or
/// else the environment (`env` looks a variable up). Returns the shard and where it
/// came from, for the log.
pub fn resolve(
    arg: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<(Shard, String)>, BadInput> {
    match arg {
        Some("none") => Ok(None),
        Some(text) => Shard::parse(text)
            .map(|s| Some((s, format!("--shard {text}"))))
            .map_err(BadInput),
        None => from_env(env).map_err(BadInput),
    }
}

/// The shard set by a batch engine in the environment, if any.
pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<(Shard, String)>, String> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let num = |name: &str| -> Result<Option<u64>, String> {
        get(name)
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| {
                    format!("{name}={v:?} in the environment is not a whole number ≥ 0")
                })
            })
            .transpose()
    };
    if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
        let max = num("SLURM_ARRAY_TASK_MAX")?;
        if step == 0 {
            return Err("SLURM_ARRAY_TASK_STEP=0 in the environment; expected at least 1".into());
        }
        let count = match (num("SLURM_ARRAY_TASK_COUNT")?, max) {
            (Some(c), _) => c,
            (None, Some(max)) if max >= min => (max - min) / step + 1,
            _ => {
                return Err(
                    "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; run inside an sbatch --array job, or set the shard with --shard I/N".into(),
                );
            }
        };
        let described = format!(
            "SLURM_ARRAY_TASK_ID={id} (array of SLURM_ARRAY_TASK_COUNT={count} from SLURM_ARRAY_TASK_MIN={min} by SLURM_ARRAY_TASK_STEP={step})"
        );
        let uniform = max.is_none_or(|max| count >= 1 && max == min + (count - 1) * step);
        if id < min || (id - min) % step != 0 || (id - min) / step >= count || !uniform {
            return Err(format!(
                "{described}: this task is not one of the evenly spaced ids {min}, {}, … {} that watchsim expects; submit an evenly spaced array such as --array=0-{} or --array={min}-{}:{step}, or pass --shard I/N",
                min + step,
                min + count.saturating_sub(1) * step,
                count.saturating_sub(1),
                min + count.saturating_sub(1) * step,
            ));
        }
        let shard =
            shard_of(((id - min) / step, count)).map_err(|e| format!("{described}: {e}"))?;
        return Ok(Some((shard, described)));
    }
    if let Some(index) = num("JOB_COMPLETION_INDEX")? {
        let Some(count) = num("SHARD_COUNT")? else {
            return Err(format!(
                "JOB_COMPLETION_INDEX={index} is set (a Kubernetes Indexed Job) but SHARD_COUNT is not; set SHARD_COUNT to the Job's completions, or pass --shard I/N"
            ));
        };
        let described = format!("JOB_COMPLETION_INDEX={index} of SHARD_COUNT={count}");
        let shard = shard_of((index, count)).map_err(|e| format!("{described}: {e}"))?;
        return Ok(Some((shard, described)));
    }
    Ok(None)
}

fn shard_of((index, count): (u64, u64)) -> Result<Shard, String> {
    let too_many = |_| format!("{count} shards are more than watchsim supports");
    let count = u32::try_from(count).map_err(too_many)?;
    let index = u32::try_from(index).map_err(|_| format!("shard {index} is out of range"))?;
    Shard::new(index, count)
}

/// The scenario file as an absolute path, so that a merge can find it from anywhere.
pub fn absolute(path: &Path) -> PathBuf {
    fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Runs one shard's work items into its part folder under `dir`. A re-run (a batch
/// engine's retry) keeps the items already finished; items are written atomically.
pub fn run_shard(
    study: &Study,
    dir: &Path,
    (shard, source): (Shard, String),
    scenario_file: Option<&Path>,
    options: &RunnerOptions,
) -> Result<ExitCode> {
    let part = shard.part_dir(dir);
    let mut manifest = Manifest::new(study, options.trace, Some((shard.index, shard.count)));
    manifest.scenario_file = scenario_file.map(absolute);
    let mut options = options.clone();
    options.resume |= read_manifest(&part).is_ok_and(|m| m.same_run(&manifest));
    let all = study.items();
    let mine = shard.items(&all);
    let started = std::time::Instant::now();
    run_items(study, &mine, &part, &manifest, &options)?;
    println!(
        "shard {shard} (from {source}): {} of {} work items in {:.2} s; part in {}",
        mine.len(),
        all.len(),
        started.elapsed().as_secs_f64(),
        part.display()
    );
    if mine.is_empty() {
        println!(
            "note: this shard has no work: {} shards for {} work items",
            shard.count,
            all.len()
        );
    }
    println!(
        "when all {} shards are done: watchsim merge {} --out {}",
        shard.count,
        dir.join("parts").display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

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
                BadInput(format!(
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
            bail!(BadInput(format!(
                "{} is not a part folder (it has no manifest.json) and holds no shard-I-of-N part folders",
                arg.display()
            )));
        }
        inner.sort();
        parts.extend(inner);
    }
    Ok(parts)
}

/// What differs between two parts' manifests (empty: the same run).
fn differences(a: &Manifest, b: &Manifest) -> Vec<String> {
    let mut d = Vec::new();
    let mut check = |what: &str, x: String, y: String| {
        if x != y {
            d.push(format!("{what} {y} instead of {x}"));
        }
    };
    check(
        "scenario",
        format!("\"{}\" (hash {})", a.scenario, a.scenario_hash),
        format!("\"{}\" (hash {})", b.scenario, b.scenario_hash),
    );
    check("seed", a.seed.to_string(), b.seed.to_string());
    check(
        "replications",
        a.replications.to_string(),
        b.replications.to_string(),
    );
    check("work items", a.items.to_string(), b.items.to_string());
    check("--trace", a.trace.to_string(), b.trace.to_string());
    check(
        "--independent-streams",
        a.independent_streams.to_string(),
        b.independent_streams.to_string(),
    );
    check("watchsim version", a.watchsim.clone(), b.watchsim.clone());
    let count = |m: &Manifest| m.shard.map_or(String::new(), |s| format!("{} shards", s.1));
    check("split into", count(a), count(b));
    d
}

/// The scenario the parts were made from: `--scenario`, else the file recorded in the
/// parts (or the built-in default study), with the parts' seed and replications, checked
/// against their scenario hash.
fn scenario_of(manifest: &Manifest, first: &Path, given: Option<&Path>) -> Result<Scenario> {
    let mut scenario = match (given, &manifest.scenario_file) {
        (Some(path), _) => load(path)?,
        (None, Some(path)) if !path.exists() => bail!(BadInput(format!(
            "the parts were made from {}, which is no longer there; pass the scenario file with --scenario FILE",
            path.display()
        ))),
        (None, Some(path)) => load(path)?,
        (None, None) => Scenario::from_toml(DEFAULT_SCENARIO, "(built-in default scenario)")?,
    };
    if scenario.hash != manifest.scenario_hash {
        let shown = given
            .or(manifest.scenario_file.as_deref())
            .map_or("the built-in default scenario".into(), |p| {
                p.display().to_string()
            });
        bail!(BadInput(format!(
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

/// `watchsim merge`: combines every shard's part into the outputs of an unsharded run.
pub fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let parts = expand_parts(&args.parts)?;
    let mut manifests = Vec::new();
    for part in &parts {
        let m = read_manifest(part).map_err(|e| BadInput(format!("{e:#}")))?;
        if m.shard.is_none() {
            bail!(BadInput(format!(
                "{} is not a shard's part (it was made without --shard); merge takes the parts of `watchsim run --shard I/N`",
                part.display()
            )));
        }
        manifests.push(m);
    }
    let (first, reference) = (&parts[0], &manifests[0]);
    for (part, m) in parts.iter().zip(&manifests).skip(1) {
        let d = differences(reference, m);
        if !d.is_empty() {
            bail!(BadInput(format!(
                "{} is not from the same run as {}: it has {}",
                part.display(),
                first.display(),
                d.join(", ")
            )));
        }
    }
    let count = reference.shard.map_or(1, |s| s.1);
    let mut by_shard: Vec<Option<&PathBuf>> = vec![None; count as usize];
    for (part, m) in parts.iter().zip(&manifests) {
        let (i, _) = m.shard.unwrap_or_default();
        let slot = by_shard.get_mut(i as usize).ok_or_else(|| {
            BadInput(format!(
                "{}: shard {i} of {count} does not exist",
                part.display()
            ))
        })?;
        if let Some(other) = slot {
            bail!(BadInput(format!(
                "shard {i}/{count} is given twice: {} and {}",
                other.display(),
                part.display()
            )));
        }
        *slot = Some(part);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| by_shard[i as usize].is_none())
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        bail!(BadInput(format!(
            "missing shard{} {} of {count} (shards are numbered 0 to {}): merge needs the part of every shard; run the missing ones with `watchsim run FILE --shard I/{count}`",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            count - 1
        )));
    }
    let by_shard: Vec<&PathBuf> = by_shard.into_iter().flatten().collect();

    let scenario = scenario_of(reference, first, args.scenario.as_deref())?;
    let mut study = Study::new(scenario).map_err(|e| BadInput(e.to_string()))?;
    study.independent_streams = reference.independent_streams;
    let items = study.items();
    if items.len() != reference.items {
        bail!(BadInput(format!(
            "{} lists {} work items but its scenario has {}",
            first.join("manifest.json").display(),
            reference.items,
            items.len()
        )));
    }
    let trace = reference.trace;
    let mut results: Vec<RunResult> = Vec::new();
    for (n, &item) in items.iter().enumerate() {
        let shard = Shard {
            index: (n % count as usize) as u32,
            count,
        };
        let part = by_shard[shard.index as usize];
        let (json, csv) = item_files(part, item);
        let rerun = || {
            format!(
                "re-run that shard (watchsim run FILE --shard {shard}) to finish it, then merge again"
            )
        };
        if !json.exists() {
            bail!(BadInput(format!(
                "{} is missing: shard {shard} did not finish; {}",
                json.display(),
                rerun()
            )));
        }
        if trace {
            match fs::read(&csv) {
                Err(_) => bail!(BadInput(format!(
                    "{} is missing: shard {shard} did not finish; {}",
                    csv.display(),
                    rerun()
                ))),
                Ok(bytes) if bytes.last().is_some_and(|&b| b != b'\n') => bail!(BadInput(format!(
                    "{} is truncated; {}",
                    csv.display(),
                    rerun()
                ))),
                Ok(_) => {}
            }
        }
        let loaded = load_item(&study, part, item, trace).ok_or_else(|| {
            BadInput(format!(
                "{} is truncated or damaged (not a finished work item of this run); {}",
                json.display(),
                rerun()
            ))
        })?;
        results.extend(loaded);
    }
    results.sort_by_key(|x| (x.variant, x.cell, x.replication));

    let dir = report_dir(&study.scenario, args.out.as_deref());
    check_report_dir(&dir, &study.scenario)?;
    let s = &study.scenario;
    let provenance = Provenance {
        watchsim: env!("CARGO_PKG_VERSION").into(),
        scenario: s.name.clone(),
        description: s.description.clone(),
        scenario_file: reference
            .scenario_file
            .as_ref()
            .map(|p| p.display().to_string()),
        scenario_hash: s.hash.clone(),
        seed: s.experiment.seed,
        replications: study.replications,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        independent_streams: study.independent_streams,
    };
    write_outputs(&study, &results, &dir, &provenance)?;
    if trace {
        let owned: Vec<PathBuf> = by_shard.iter().map(|p| p.to_path_buf()).collect();
        write_trace(&study, &items, &owned, &dir.join("incidents.csv"))?;
    }
    // The charts and index.html, drawn from the CSV files as `watchsim run` draws them.
    crate::report::html::write_report(&dir)?;

    if !args.quiet {
        let cells = by_cell(&study, &results);
        let (label, rows) = headline(&study, &cells);
        print!("{}", headline_text(&study, &label, &rows));
    }
    println!(
        "\nmerged {count} shard{} ({} work items, {} runs); reports in {}",
        if count > 1 { "s" } else { "" },
        items.len(),
        results.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Quotes a word for a POSIX shell.
fn sh_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What goes into an `sbatch` array script.
#[derive(Debug, Clone)]
pub struct SbatchSpec {
    /// The watchsim binary (absolute).
    pub binary: PathBuf,
    /// The scenario file (absolute).
    pub scenario: PathBuf,
    /// The scenario's name (for the job name).
    pub name: String,
    /// The report folder (absolute).
    pub out: PathBuf,
    /// Number of shards (array tasks).
    pub shards: u32,
    /// `--time`, if set.
    pub time: Option<String>,
    /// `--partition`, if set.
    pub partition: Option<String>,
    /// `--account`, if set.
    pub account: Option<String>,
    /// `--cpus-per-task`, if set.
    pub cpus: Option<u32>,
    /// `--mem`, if set.
    pub mem: Option<String>,
    /// Further `watchsim run` options (replications, seed, trace).
    pub run_options: Vec<String>,
}

/// The text of an `sbatch` array script: one array task per shard, each running
/// `watchsim run` with its shard read from the Slurm environment.
pub fn sbatch_script(spec: &SbatchSpec) -> String {
    let q = |p: &Path| sh_quote(&p.display().to_string());
    let mut s = String::from("#!/bin/bash\n");
    s += &format!(
        "# watchsim {}: {} shards of scenario \"{}\".\n",
        env!("CARGO_PKG_VERSION"),
        spec.shards,
        spec.name
    );
    s += "# Each array task runs one shard; watchsim reads it from SLURM_ARRAY_TASK_ID,\n";
    s += "# _MIN, _STEP and _COUNT, so any evenly spaced --array of the same size works.\n";
    s += &format!(
        "#SBATCH --job-name={}\n",
        sh_quote(&format!("watchsim-{}", spec.name))
    );
    s += &format!("#SBATCH --array=0-{}\n", spec.shards - 1);
    s += &format!(
        "#SBATCH --output={}\n",
        q(&spec.out.join("slurm-logs").join("%A_%a.out"))
    );
    s += "#SBATCH --ntasks=1\n";
    if let Some(t) = &spec.time {
        s += &format!("#SBATCH --time={t}\n");
    }
    if let Some(p) = &spec.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    if let Some(a) = &spec.account {
        s += &format!("#SBATCH --account={a}\n");
    }
    if let Some(c) = spec.cpus {
        s += &format!("#SBATCH --cpus-per-task={c}\n");
    }
    if let Some(m) = &spec.mem {
        s += &format!("#SBATCH --mem={m}\n");
    }
    s += "set -euo pipefail\n";
    let mut cmd = vec![
        q(&spec.binary),
        "run".into(),
        q(&spec.scenario),
        "--out".into(),
        q(&spec.out),
        "--quiet".into(),
    ];
    if let Some(c) = spec.cpus {
        cmd.push(format!("--threads={c}"));
    }
    cmd.extend(spec.run_options.iter().map(|o| sh_quote(o)));
    s += &format!("exec {}\n", cmd.join(" "));
    s
}

/// Checks an `#SBATCH` value: one word of safe characters.
fn sbatch_value(option: &str, value: &str, allowed: &str) -> Result<String, BadInput> {
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || allowed.contains(c))
    {
        return Err(BadInput(format!(
            "--{option} {value:?}: expected letters, digits and {allowed:?} only"
        )));
    }
    Ok(value.to_string())
}

/// `watchsim slurm`: writes a ready `sbatch` array script and says how to submit and
/// merge.
pub fn slurm(args: &SlurmArgs) -> Result<ExitCode> {
    let scenario = load(&args.file)?;
    if args.shards == 0 {
        bail!(BadInput("--shards 0: expected at least 1".into()));
    }
    if args.cpus == Some(0) {
        bail!(BadInput("--cpus 0: expected at least 1".into()));
    }
    if args.replications == Some(0) {
        bail!(BadInput("--replications 0: expected at least 1".into()));
    }
    let time = args
        .time
        .as_deref()
        .map(|t| sbatch_value("time", t, ":-"))
        .transpose()?;
    let partition = args
        .partition
        .as_deref()
        .map(|p| sbatch_value("partition", p, "_-.,"))
        .transpose()?;
    let account = args
        .account
        .as_deref()
        .map(|a| sbatch_value("account", a, "_-."))
        .transpose()?;
    let mem = args
        .mem
        .as_deref()
        .map(|m| sbatch_value("mem", m, ""))
        .transpose()?;
    let out = std::path::absolute(report_dir(&scenario, args.out.as_deref()))
        .context("cannot find the current folder")?;
    let mut work = Study::new(scenario.clone()).map_err(|e| BadInput(e.to_string()))?;
    if let Some(r) = args.replications {
        work.replications = r;
    }
    let items = work.variants.len() * work.replications as usize;
    let mut run_options = Vec::new();
    if let Some(r) = args.replications {
        run_options.push(format!("--replications={r}"));
    }
    if let Some(seed) = args.seed {
        run_options.push(format!("--seed={seed}"));
    }
    if args.trace {
        run_options.push("--trace".into());
    }
    let spec = SbatchSpec {
        binary: std::env::current_exe().context("cannot find the watchsim binary")?,
        scenario: absolute(&args.file),
        name: scenario.name.clone(),
        out: out.clone(),
        shards: args.shards,
        time,
        partition,
        account,
        cpus: args.cpus,
        mem,
        run_options,
    };
    let script = args
        .script
        .clone()
        .unwrap_or_else(|| out.join("watchsim.sbatch"));
    // Slurm does not create the log folder; a job writing into a missing one fails.
    let logs = out.join("slurm-logs");
    fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    write_atomic(&script, sbatch_script(&spec).as_bytes())?;
    if args.shards as usize > items {
        println!(
            "note: {} shards for {items} work items ({} variants × {} replications): {} shards will have nothing to do",
            args.shards,
            work.variants.len(),
            work.replications,
            args.shards as usize - items
        );
    }
    let script_q = sh_quote(&script.display().to_string());
    let merge = format!(
        "{} merge {} --out {}",
        sh_quote(&spec.binary.display().to_string()),
        sh_quote(&out.join("parts").display().to_string()),
        sh_quote(&out.display().to_string())
    );
    println!(
        "wrote {} ({} array tasks, {items} work items)",
        script.display(),
        args.shards
    );
    println!("submit it:\n  sbatch {script_q}");
    println!("when every task has finished, merge the parts:\n  {merge}");
    println!(
        "or queue the merge behind the array in one go:\n  jid=$(sbatch --parsable {script_q}) && sbatch --dependency=afterok:$jid --wrap {}",
        sh_quote(&merge)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn shard(vars: &[(&str, &str)]) -> Result<Option<Shard>, String> {
        from_env(env(vars)).map(|s| s.map(|(s, _)| s))
    }

    fn slurm(id: &str, count: &str, min: &str, step: &str) -> Result<Option<Shard>, String> {
        shard(&[
            ("SLURM_ARRAY_TASK_ID", id),
            ("SLURM_ARRAY_TASK_COUNT", count),
            ("SLURM_ARRAY_TASK_MIN", min),
            ("SLURM_ARRAY_TASK_STEP", step),
        ])
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!(Shard::parse("2/5").unwrap(), Shard { index: 2, count: 5 });
        assert_eq!(Shard::parse("0/1").unwrap(), Shard { index: 0, count: 1 });
        for bad in ["5/5", "1/0", "x/2", "1", "-1/3", "1/2/3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("5/5").unwrap_err().contains("0 to 4"));
    }

    #[test]
    fn no_environment_no_shard() {
        assert_eq!(shard(&[]).unwrap(), None);
        assert_eq!(shard(&[("SLURM_JOB_ID", "7")]).unwrap(), None);
        assert_eq!(shard(&[("SLURM_ARRAY_TASK_ID", "")]).unwrap(), None);
    }

    #[test]
    fn slurm_array_from_zero() {
        for id in 0..4 {
            let s = slurm(&id.to_string(), "4", "0", "1").unwrap().unwrap();
            assert_eq!(
                s,
                Shard {
                    index: id,
                    count: 4
                }
            );
        }
    }

    #[test]
    fn slurm_array_with_offset_and_step() {
        // --array=5-7
        assert_eq!(
            slurm("7", "3", "5", "1").unwrap(),
            Some(Shard { index: 2, count: 3 })
        );
        // --array=10-20:5 → ids 10, 15, 20
        assert_eq!(
            slurm("15", "3", "10", "5").unwrap(),
            Some(Shard { index: 1, count: 3 })
        );
        assert_eq!(
            slurm("20", "3", "10", "5").unwrap(),
            Some(Shard { index: 2, count: 3 })
        );
    }

    #[test]
    fn slurm_defaults_and_derived_count() {
        // no MIN or STEP: from 0 by 1
        assert_eq!(
            shard(&[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "2")
            ])
            .unwrap(),
            Some(Shard { index: 1, count: 2 })
        );
        // no COUNT, but MAX: derived
        assert_eq!(
            shard(&[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_MIN", "2"),
                ("SLURM_ARRAY_TASK_MAX", "8"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
            ])
            .unwrap(),
            Some(Shard { index: 1, count: 4 })
        );
        assert!(shard(&[("SLURM_ARRAY_TASK_ID", "1")]).is_err());
    }

    #[test]
    fn slurm_bad_values_are_errors() {
        let below = slurm("3", "3", "5", "1").unwrap_err();
        assert!(below.contains("SLURM_ARRAY_TASK_ID=3"), "{below}");
        assert!(slurm("12", "3", "10", "5").is_err()); // off the step
        assert!(slurm("25", "3", "10", "5").is_err()); // past the end
        assert!(slurm("1", "0", "0", "1").is_err()); // no tasks
        assert!(slurm("1", "3", "0", "0").is_err()); // step 0
        let text = slurm("one", "3", "0", "1").unwrap_err();
        assert!(text.contains("SLURM_ARRAY_TASK_ID=\"one\""), "{text}");
        assert!(slurm("1", "3", "x", "1").is_err());
        // --array=1,3,7: Slurm reports MIN 1, MAX 7, COUNT 3: not evenly spaced
        let list = shard(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ])
        .unwrap_err();
        assert!(list.contains("evenly spaced"), "{list}");
    }

    #[test]
    fn kubernetes_indexed_job() {
        assert_eq!(
            shard(&[("JOB_COMPLETION_INDEX", "3"), ("SHARD_COUNT", "8")]).unwrap(),
            Some(Shard { index: 3, count: 8 })
        );
        let no_count = shard(&[("JOB_COMPLETION_INDEX", "3")]).unwrap_err();
        assert!(no_count.contains("SHARD_COUNT"), "{no_count}");
        assert!(shard(&[("JOB_COMPLETION_INDEX", "8"), ("SHARD_COUNT", "8")]).is_err());
        assert!(shard(&[("JOB_COMPLETION_INDEX", "0"), ("SHARD_COUNT", "0")]).is_err());
        // Slurm wins when both are set.
        assert_eq!(
            shard(&[
                ("JOB_COMPLETION_INDEX", "3"),
                ("SHARD_COUNT", "8"),
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
            ])
            .unwrap(),
            Some(Shard { index: 1, count: 2 })
        );
    }

    #[test]
    fn the_command_line_wins() {
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ];
        let (s, source) = resolve(Some("0/3"), env(&vars)).unwrap().unwrap();
        assert_eq!(s, Shard { index: 0, count: 3 });
        assert_eq!(source, "--shard 0/3");
        assert!(resolve(Some("none"), env(&vars)).unwrap().is_none());
        assert!(resolve(Some("3/3"), env(&[])).is_err());
    }

    #[test]
    fn shards_split_items_round_robin() {
        let items: Vec<(usize, u32)> = (0..2).flat_map(|v| (0..4).map(move |r| (v, r))).collect();
        let split: Vec<Vec<(usize, u32)>> = (0..3)
            .map(|i| Shard { index: i, count: 3 }.items(&items))
            .collect();
        assert_eq!(split[0], vec![(0, 0), (0, 3), (1, 2)]);
        let mut all: Vec<_> = split.concat();
        all.sort();
        assert_eq!(all, items);
    }

    #[test]
    fn sbatch_script_is_ready() {
        let spec = SbatchSpec {
            binary: "/opt/watch sim/watchsim".into(),
            scenario: "/data/s.toml".into(),
            name: "s".into(),
            out: "/data/reports/s".into(),
            shards: 4,
            time: Some("01:00:00".into()),
            partition: Some("short".into()),
            account: None,
            cpus: Some(2),
            mem: None,
            run_options: vec!["--replications=4".into()],
        };
        let s = sbatch_script(&spec);
        assert!(s.starts_with("#!/bin/bash\n"));
        assert!(s.contains("#SBATCH --array=0-3\n"));
        assert!(s.contains("#SBATCH --time=01:00:00\n"));
        assert!(s.contains("#SBATCH --partition=short\n"));
        assert!(s.contains("#SBATCH --cpus-per-task=2\n"));
        assert!(s.contains(
            "exec '/opt/watch sim/watchsim' run /data/s.toml --out /data/reports/s --quiet --threads=2 --replications=4\n"
        ));
        assert!(!s.contains("--shard"));
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
