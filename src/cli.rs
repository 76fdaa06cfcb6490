//! The command line (clap definitions only).
// The doc comments are the --help text, where <scenario> is a placeholder, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// watchsim: replay incidents against the rotation schedules of a shared 24/7 watch and
/// measure the time from alert to the responsible local police response.
#[derive(Debug, Parser)]
#[command(name = "watchsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command, `run` the default study.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files and print OK or every error.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print who holds the watch when, hours per member, gaps and overlaps; write coverage.csv.
    Schedule(ScheduleArgs),
    /// Simulate a scenario and write its reports.
    Run(RunArgs),
    /// Combine the parts of a sharded run into the reports of an unsharded run.
    Merge(MergeArgs),
    /// Write an sbatch script that runs a scenario as a Slurm job array of shards.
    Slurm(SlurmArgs),
    /// Compare two versions of a scenario (two scenario files, or two report folders of
    /// runs with the same seed and replications): paired differences B − A per cell.
    Compare(CompareArgs),
    /// Find the cheapest watch staffing that meets the targets of the scenario's
    /// [optimise] table, confirm it on fresh replications and report it.
    Optimise(OptimiseArgs),
    /// Redraw the charts and index.html of a report folder from its CSV files.
    Report {
        /// Report folder of an earlier run (e.g. reports/growing-roster).
        dir: PathBuf,
        /// With a sweep, the value the single-value charts (desks, load, coverage,
        /// weekly) show (default: the least value at which a schedule meets 95 % of the
        /// members' cases within the decision SLA, else the first).
        #[arg(long, value_name = "V")]
        sweep_value: Option<String>,
    },
}

/// Options of `watchsim schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Only this agency count (default: every count of the experiment).
    #[arg(long, short = 'k', value_name = "K")]
    pub agencies: Option<usize>,
    /// Only this schedule (default: every schedule of the experiment).
    #[arg(long, value_name = "NAME")]
    pub schedule: Option<String>,
    /// Folder for coverage.csv and the coverage chart (default: reports/<scenario>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// First day the coverage chart shows (YYYY-MM-DD; default: the horizon's start).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Day after the last the chart shows (YYYY-MM-DD; default: a week after --from).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Time zone of the chart's time axis, e.g. Europe/London (default: UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

/// Options of `watchsim run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (TOML); without it, the built-in default study.
    pub file: Option<PathBuf>,
    /// Replications per cell (default: the scenario's).
    #[arg(long, short = 'r', value_name = "N")]
    pub replications: Option<u32>,
    /// Master seed (default: the scenario's).
    #[arg(long, short = 's', value_name = "S")]
    pub seed: Option<u64>,
    /// Report folder (default: reports/<scenario>/).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write incidents.csv: one row per incident and cell.
    #[arg(long)]
    pub trace: bool,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Continue an interrupted run in the same report folder, reusing its finished work.
    #[arg(long)]
    pub resume: bool,
    /// Give each (schedule, agency count) cell its own random incidents instead of
    /// common random numbers (only to measure what common random numbers gain).
    #[arg(long)]
    pub independent_streams: bool,
    /// Run only shard I of N (0 <= I < N) and write its part to <out>/parts/shard-I-of-N/
    /// for `watchsim merge`. Without it, the shard comes from a Slurm job array
    /// (SLURM_ARRAY_TASK_*) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with
    /// SHARD_COUNT); `none` ignores the environment.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Write into a report folder that is not empty and holds no watchsim run record
    /// (run.json); without it such a folder is refused, as its files would be
    /// overwritten.
    #[arg(long)]
    pub force: bool,
}

/// Options of `watchsim optimise`.
#[derive(Debug, Args)]
pub struct OptimiseArgs {
    /// Scenario file (TOML) with an [optimise] table.
    pub file: PathBuf,
    /// Report folder (default: reports/<scenario>-optimise/).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed (default: the scenario's); the confirmation run uses one derived from it.
    #[arg(long, short = 's', value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// No progress counter.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write into --out even if it is a non-empty folder that watchsim did not make.
    #[arg(long)]
    pub force: bool,
}

/// Options of `watchsim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Side A, the base: a scenario file (TOML) or the report folder of a run.
    pub a: PathBuf,
    /// Side B, the variant: a scenario file or a report folder.
    pub b: PathBuf,
    /// Report folder (default: reports/compare-<A>-vs-<B>/).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications per cell for scenario files (default: each scenario's; they must agree).
    #[arg(long, short = 'r', value_name = "N")]
    pub replications: Option<u32>,
    /// Master seed for scenario files (default: each scenario's; they must agree).
    #[arg(long, short = 's', value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Write into --out even if it is a non-empty folder that watchsim did not make.
    #[arg(long)]
    pub force: bool,
}

/// Options of `watchsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Part folders (shard-I-of-N), or folders holding them (e.g. reports/<scenario>/parts).
    #[arg(required = true, value_name = "PARTS")]
    pub parts: Vec<PathBuf>,
    /// Report folder (default: reports/<scenario>/).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The scenario file the parts were made from (default: the file recorded in the
    /// parts); its hash must match theirs.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Do not print the headline table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write into a report folder that is not empty and holds no watchsim run record.
    #[arg(long)]
    pub force: bool,
}

/// Options of `watchsim slurm`.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Number of shards (array tasks).
    #[arg(long, value_name = "N")]
    pub shards: u32,
    /// Time limit per task, as sbatch takes it (e.g. 01:30:00).
    #[arg(long, value_name = "HH:MM:SS")]
    pub time: Option<String>,
    /// Slurm partition.
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Slurm account to charge.
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// CPUs per task (watchsim uses as many threads).
    #[arg(long, value_name = "C")]
    pub cpus: Option<u32>,
    /// Memory per task, as sbatch takes it (e.g. 4G).
    #[arg(long, value_name = "M")]
    pub mem: Option<String>,
    /// Report folder (default: reports/<scenario>/); parts go to <out>/parts/.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where to write the script (default: <out>/watchsim.sbatch).
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Replications per cell (default: the scenario's).
    #[arg(long, short = 'r', value_name = "N")]
    pub replications: Option<u32>,
    /// Master seed (default: the scenario's).
    #[arg(long, short = 's', value_name = "S")]
    pub seed: Option<u64>,
    /// Also keep incidents.csv chunks, for incidents.csv after the merge.
    #[arg(long)]
    pub trace: bool,
}
