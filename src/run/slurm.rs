//! `sbatch` array scripts that run a scenario as one Slurm job array of shards.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::experiment::Study;
use crate::report::write::{absolute, report_dir};
use crate::report::write_atomic;
use crate::scenario::{MAX_REPLICATIONS, Scenario};

/// Quotes a word for a POSIX shell.
pub fn sh_quote(word: &str) -> String {
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
fn sbatch_value(option: &str, value: &str, allowed: &str) -> Result<String> {
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || allowed.contains(c))
    {
        return Err(Error::argument(format!(
            "--{option} {value:?}: expected letters, digits and {allowed:?} only"
        )));
    }
    Ok(value.to_string())
}

/// Refuses control characters (newline, carriage return, escape …) in a path or name
/// that goes into an sbatch script.
fn script_safe(what: &str, text: &str) -> Result<()> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(Error::argument(format!(
            "{what} {text:?} holds the control character {c:?}, which cannot go into an sbatch script; expected a path or name without control characters (newlines, tabs, escapes)"
        )));
    }
    Ok(())
}

/// What `watchsim slurm` is asked for.
#[derive(Debug, Clone, Default)]
pub struct SlurmRequest {
    /// Number of shards (array tasks).
    pub shards: u32,
    /// `--time`, as sbatch takes it.
    pub time: Option<String>,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--cpus-per-task`.
    pub cpus: Option<u32>,
    /// `--mem`, as sbatch takes it.
    pub mem: Option<String>,
    /// Report folder (default `reports/<scenario>/`).
    pub out: Option<PathBuf>,
    /// Where to write the script (default `<out>/watchsim.sbatch`).
    pub script: Option<PathBuf>,
    /// Replications per cell (default: the scenario's).
    pub replications: Option<u32>,
    /// Master seed (default: the scenario's).
    pub seed: Option<u64>,
    /// Keep incidents.csv chunks.
    pub trace: bool,
}

/// A written sbatch script and what it will do.
pub struct SlurmPlan {
    /// The script's path.
    pub script: PathBuf,
    /// What went into it.
    pub spec: SbatchSpec,
    /// Work items of the run.
    pub items: usize,
    /// Sweep values (variants) of the run.
    pub variants: usize,
    /// Replications per cell.
    pub replications: u32,
}

/// Writes a ready `sbatch` array script for the scenario `file` and returns the plan.
pub fn write_sbatch(file: &Path, request: &SlurmRequest) -> Result<SlurmPlan> {
    let mut scenario = Scenario::load(file)?;
    if request.shards == 0 {
        return Err(Error::argument("--shards 0: expected at least 1"));
    }
    if request.cpus == Some(0) {
        return Err(Error::argument("--cpus 0: expected at least 1"));
    }
    if request.replications == Some(0) {
        return Err(Error::argument("--replications 0: expected at least 1"));
    }
    if let Some(r) = request.replications.filter(|r| *r > MAX_REPLICATIONS) {
        return Err(Error::argument(format!(
            "--replications {r}: expected at most {MAX_REPLICATIONS}, the limit a scenario file has too"
        )));
    }
    let value = |option: &str, v: &Option<String>, allowed: &str| {
        v.as_deref()
            .map(|v| sbatch_value(option, v, allowed))
            .transpose()
    };
    let time = value("time", &request.time, ":-")?;
    let partition = value("partition", &request.partition, "_-.,")?;
    let account = value("account", &request.account, "_-.")?;
    let mem = value("mem", &request.mem, "")?;
    let out = std::path::absolute(report_dir(&scenario, request.out.as_deref()))
        .map_err(|e| Error::System(format!("cannot find the current folder: {e}")))?;
    if let Some(r) = request.replications {
        scenario.experiment.replications = r;
    }
    let name = scenario.name.clone();
    // Building the study only counts its work items; refuse one that cannot even be built.
    crate::memory::check(&scenario, Some(0), 1, false)?;
    let work = Study::new(scenario)?;
    let items = work.items().len();
    let mut run_options = Vec::new();
    if let Some(r) = request.replications {
        run_options.push(format!("--replications={r}"));
    }
    if let Some(seed) = request.seed {
        run_options.push(format!("--seed={seed}"));
    }
    if request.trace {
        run_options.push("--trace".into());
    }
    let spec = SbatchSpec {
        binary: std::env::current_exe()
            .map_err(|e| Error::System(format!("cannot find the watchsim binary: {e}")))?,
        scenario: absolute(file),
        name,
        out: out.clone(),
        shards: request.shards,
        time,
        partition,
        account,
        cpus: request.cpus,
        mem,
        run_options,
    };
    let script = request
        .script
        .clone()
        .unwrap_or_else(|| out.join("watchsim.sbatch"));
    // Every path and name that goes into the script: a newline would end an #SBATCH
    // line or a command and start another (quoting cannot help inside `#SBATCH`).
    let paths = [
        ("--out", spec.out.display().to_string()),
        ("--script", script.display().to_string()),
        (
            "the scenario file's path",
            spec.scenario.display().to_string(),
        ),
        ("the scenario's name", spec.name.clone()),
        (
            "the watchsim binary's path",
            spec.binary.display().to_string(),
        ),
    ];
    for (what, text) in &paths {
        script_safe(what, text)?;
    }
    // Slurm does not create the log folder; a job writing into a missing one fails.
    let logs = out.join("slurm-logs");
    fs::create_dir_all(&logs).map_err(|source| {
        Error::Write(crate::report::WriteError {
            path: logs.clone(),
            source,
        })
    })?;
    write_atomic(&script, sbatch_script(&spec).as_bytes())?;
    Ok(SlurmPlan {
        script,
        spec,
        items,
        variants: work.variants.len(),
        replications: work.replications(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
