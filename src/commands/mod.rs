//! The command layer: each subcommand reads its inputs, calls the library and prints
//! for people. Nothing else in the crate prints to the terminal or knows the command
//! line.

/// `println!` to standard output, returning an error (exit 1) when it cannot be
/// written (a full disk, `> /dev/full`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::commands::stdout_error)?
    }};
}

/// `print!` to standard output, returning an error when it cannot be written.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*).map_err($crate::commands::stdout_error)?
    }};
}

mod compare;
mod optimise;
mod schedule;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, MergeArgs, RunArgs, SlurmArgs};
use crate::error::{EXIT_BAD_INPUT, Error, Result};
use crate::experiment::Study;
use crate::report::lock_report_dir;
use crate::report::summary::{CellResults, Pool, run_pooled};
use crate::report::write::{
    Provenance, check_out_folder, check_report_dir, probe_writable, remove_leftover_temps,
    remove_stale, report_dir, write_outputs,
};
use crate::run::merge::merge as merge_parts;
use crate::run::shard::{Shard, resolve, run_shard};
use crate::run::slurm::{SlurmRequest, sh_quote, write_sbatch};
use crate::run::{Manifest, Progress, RunOptions, run_items_into, write_trace};
use crate::scenario::{MAX_REPLICATIONS, Scenario};

/// Standard output could not be written.
fn stdout_error(e: std::io::Error) -> Error {
    Error::System(format!("cannot write to standard output: {e}"))
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    let code = dispatch(cli)?;
    std::io::Write::flush(&mut std::io::stdout()).map_err(stdout_error)?;
    Ok(code)
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Validate { files }) => validate(&files),
        Some(Command::Schedule(args)) => schedule::schedule(&args),
        Some(Command::Run(args)) => run(args),
        Some(Command::Merge(args)) => merge(&args),
        Some(Command::Slurm(args)) => slurm(&args),
        Some(Command::Compare(args)) => compare::compare(&args),
        Some(Command::Optimise(args)) => optimise::optimise(&args),
        Some(Command::Report { dir, sweep_value }) => report(&dir, sweep_value),
    }
}

/// The command line as typed, for run.json.
fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = 0;
    for file in files {
        // A recorded trace is part of the input: read it too.
        let loaded = Scenario::load(file).map_err(Error::from).and_then(|s| {
            match crate::incidents::IncidentFactory::new(&s) {
                Ok(_) => Ok(s),
                Err(e) => Err(Error::from(e)),
            }
        });
        match loaded {
            Ok(s) => outln!(
                "OK  {}  ({}: {} agencies, {} schedules, {} replications of {} days{})",
                file.display(),
                s.name,
                s.agencies.len(),
                s.schedules.len(),
                s.experiment.replications,
                s.experiment.days,
                if s.variants.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
                    format!("; variants: {}", names.join(", "))
                }
            ),
            Err(errors) => {
                failed += 1;
                eprintln!("{errors}\n");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} scenario files have errors", files.len());
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on the terminal (none when quiet or when stderr is not one).
struct Bar(ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Bar {
        Bar(terminal_bar(
            quiet,
            "{elapsed_precise} [{bar:30}] {pos}/{len} runs · {msg} · {eta} left",
        ))
    }
}

/// A progress display on standard error in `template`'s style; hidden when quiet or
/// when standard error is not a terminal.
fn terminal_bar(quiet: bool, template: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::no_length();
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

impl Progress for Bar {
    fn start(&self, total: u64, done: u64, items_done: usize, items: usize) {
        self.0.set_length(total);
        self.0.set_position(done);
        if items_done > 0 {
            self.0.println(format!(
                "resuming: {items_done} of {items} work items were already done"
            ));
        }
    }

    fn advance(&self, runs: u64, rate: f64) {
        self.0.inc(runs);
        self.0
            .set_message(format!("{:.1} M incidents/s", rate / 1e6));
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Applies `--replications` and `--seed` to a scenario and its variants.
fn apply_overrides(
    scenario: &mut Scenario,
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<()> {
    if let Some(r) = replications {
        if r == 0 {
            return Err(Error::argument("--replications 0: expected at least 1"));
        }
        if r > MAX_REPLICATIONS {
            return Err(Error::argument(format!(
                "--replications {r}: expected at most {MAX_REPLICATIONS}, the limit a scenario file has too"
            )));
        }
        scenario.experiment.replications = r;
    }
    if let Some(seed) = seed {
        scenario.experiment.seed = seed;
    }
    // Variants always run with the base's seed and replications (common random numbers).
    let (r, seed) = (scenario.experiment.replications, scenario.experiment.seed);
    for v in &mut scenario.variants {
        v.scenario.experiment.replications = r;
        v.scenario.experiment.seed = seed;
    }
    for range in &mut scenario.sensitivity {
        for s in &mut range.scenarios {
            s.experiment.replications = r;
            s.experiment.seed = seed;
        }
    }
    Ok(())
}

/// A pool of `threads` workers (default: one per core).
/// The most worker threads `--threads` may ask for.
const MAX_THREADS: usize = 1024;

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let threads = match threads {
        Some(0) => return Err(Error::argument("--threads 0: expected at least 1")),
        Some(n) if n > MAX_THREADS => {
            return Err(Error::argument(format!(
                "--threads {n}: expected at most {MAX_THREADS} worker threads (this machine has {})",
                std::thread::available_parallelism().map_or(1, |n| n.get())
            )));
        }
        Some(n) => n,
        None => 0,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::System(format!("cannot start {threads} worker threads: {e}")))
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let mut scenario = match &args.file {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default_study()?,
    };
    apply_overrides(&mut scenario, args.replications, args.seed)?;
    let shard = resolve(args.shard.as_deref(), |k| std::env::var(k).ok())?;
    let pool = pool(args.threads)?;
    // Refuse, before anything is built or written, a study that cannot fit in memory.
    let items = shard.as_ref().map(|(s, _)| {
        let all = scenario.sweep.as_ref().map_or(1, |w| w.values.len()) as u64
            * u64::from(scenario.experiment.replications);
        all.div_ceil(u64::from(s.count.max(1)))
    });
    crate::memory::check(&scenario, items, pool.current_num_threads(), args.trace)?;
    let dir = report_dir(&scenario, args.out.as_deref());
    check_out_folder(&dir, args.force)?;
    check_report_dir(&dir, &scenario)?;
    probe_writable(&dir)?;
    // Shards of one run write into one folder at once (each its own part); any other
    // run holds the folder alone, and clears what killed runs left.
    let _lock = match shard {
        None => {
            let lock = lock_report_dir(&dir)?;
            remove_leftover_temps(&dir);
            remove_leftover_temps(&dir.join(".partial"));
            Some(lock)
        }
        Some(_) => None,
    };
    let started = std::time::Instant::now();
    let mut study = pool.install(|| Study::new(scenario))?;
    study.independent_streams = args.independent_streams;
    let options = RunOptions {
        trace: args.trace,
        resume: args.resume,
        verify: args.resume,
    };
    let bar = Bar::new(args.quiet);
    if args.independent_streams && !study.scenario.variants.is_empty() {
        return Err(Error::argument(format!(
            "--independent-streams: {} declares [[variant]]s, which are compared with the base replication by replication over common random numbers; run without --independent-streams",
            study.scenario.name
        )));
    }
    if shard.is_some() && !study.scenario.sensitivity.is_empty() {
        return Err(Error::argument(format!(
            "{} declares [[sensitivity]] ranges, which run in one process with the base (common random numbers); run it without --shard (and without SLURM_ARRAY_TASK_* or JOB_COMPLETION_INDEX)",
            study.scenario.name
        )));
    }
    if shard.is_some() && !study.scenario.variants.is_empty() {
        return Err(Error::argument(format!(
            "{} declares [[variant]]s, which run in one process with the base (common random numbers); run it without --shard (and without SLURM_ARRAY_TASK_* or JOB_COMPLETION_INDEX), or compare the shards' merged report folders with `watchsim compare`",
            study.scenario.name
        )));
    }
    if let Some((shard, source)) = shard {
        let file = args.file.as_deref();
        let done = pool.install(|| run_shard(&study, &dir, shard, file, &options, &bar))?;
        print_shard(shard, &source, &done, started, &dir)?;
        return Ok(ExitCode::SUCCESS);
    }
    let part = dir.join(".partial");
    let manifest = Manifest::new(&study, args.trace, None);
    let items = study.items();
    // Each work item is pooled as it finishes: the runs' histograms are let go at once.
    let pooled = Pool::new(&study);
    pool.install(|| {
        run_items_into(&study, &items, &part, &manifest, &options, &bar, &|runs| {
            pooled.add_all(runs)
        })
    })?;
    let cells = pooled.finish();
    let elapsed = started.elapsed();
    let provenance = Provenance::new(&study, args.file.as_deref(), command_line());
    let brief = pool.install(|| write_outputs(&study, &cells, &dir, &provenance))?;
    if args.trace {
        write_trace(
            &study,
            &items,
            std::slice::from_ref(&part),
            &dir.join("incidents.csv"),
        )?;
    }
    std::fs::remove_dir_all(&part).ok();
    remove_stale(
        &dir,
        args.trace,
        !study.scenario.variants.is_empty(),
        !study.scenario.sensitivity.is_empty(),
    )?;
    let what_if = run_variants(&study, &cells, &pool, &dir)?;
    let ranges = run_sensitivity(&study, &cells, &pool, &dir, args.quiet)?;
    let runs = cells.iter().map(|c| c.runs.len()).sum::<usize>();
    let incidents: u64 = cells
        .iter()
        .flat_map(|c| &c.runs)
        .map(|r| r.stats.counted())
        .sum();
    // The charts are drawn from the CSV files: the pooled histograms can go first.
    drop(cells);
    crate::report::give_back_freed_memory();
    let largest_count = study.cells.iter().map(|c| c.k).max().unwrap_or(0);
    pool.install(|| crate::report::html::write_fresh_report(&dir, largest_count))?;
    out!("{}", brief.console());
    if !ranges.is_empty() {
        outln!("\nWhich estimates matter ([[sensitivity]], sensitivity.csv, tornado.png):");
        for line in crate::report::sensitivity::console(&ranges) {
            outln!("  {line}");
        }
    }
    if let Some(variants) = &what_if {
        outln!();
        for v in &study.scenario.variants {
            let mine = crate::report::variants::Variants {
                rows: variants
                    .rows
                    .iter()
                    .filter(|r| r.variant == v.name)
                    .cloned()
                    .collect(),
                unmatched: variants
                    .unmatched
                    .iter()
                    .filter(|r| r.variant == v.name)
                    .cloned()
                    .collect(),
            };
            let label = if v.description.is_empty() {
                v.name.clone()
            } else {
                format!("{} ({})", v.name, v.description)
            };
            compare::print_variants(&label, &study.scenario.name, &mine)?;
        }
    }
    outln!(
        "\n{runs} runs, {incidents} counted incidents in {:.2} s; reports in {}",
        elapsed.as_secs_f64(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs every `[[variant]]` of the study's scenario with the base's seed and
/// replications, pairs each with the base, and writes `variants.csv` and
/// `unmatched.csv` into `dir`; `None` without variants.
fn run_variants(
    study: &Study,
    cells: &[CellResults],
    pool: &rayon::ThreadPool,
    dir: &std::path::Path,
) -> Result<Option<crate::report::variants::Variants>> {
    use crate::report::variants::{Side, Variants, pair};
    if study.scenario.variants.is_empty() {
        return Ok(None);
    }
    let base = Side::of_cells(&study.scenario.name, study, cells);
    let mut all = Variants::default();
    for v in &study.scenario.variants {
        let vs = Study::new(v.scenario.clone())?;
        let cells = pool.install(|| run_pooled(&vs));
        all.extend(pair(&base, &Side::of_cells(&v.name, &vs, &cells))?);
    }
    all.write(dir)?;
    Ok(Some(all))
}

/// Runs each `[[sensitivity]]` range's low and high end with the base's seed and
/// replications and writes `sensitivity.csv` into `dir`; its rows (none without ranges).
fn run_sensitivity(
    study: &Study,
    cells: &[crate::report::summary::CellResults],
    pool: &rayon::ThreadPool,
    dir: &std::path::Path,
    quiet: bool,
) -> Result<Vec<crate::report::rows::SensitivityRow>> {
    let ranges = &study.scenario.sensitivity;
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    let bar = terminal_bar(
        quiet,
        "{elapsed_precise} [{bar:30}] {pos}/{len} sensitivity ends · {msg} · {eta} left",
    );
    bar.set_length(2 * ranges.len() as u64);
    let mut ends = Vec::new();
    for range in ranges {
        let mut pair = Vec::new();
        for (s, end_name) in range.scenarios.iter().zip(["low", "high"]) {
            bar.set_message(format!("{} {end_name}", range.name));
            let end = Study::new(s.clone())?;
            let runs = pool.install(|| crate::report::summary::run_pooled(&end));
            pair.push(crate::report::sensitivity::Side::of(&end, &runs));
            bar.inc(1);
        }
        let [low, high]: [_; 2] = pair
            .try_into()
            .map_err(|_| Error::System("two ends".into()))?;
        ends.push([low, high]);
    }
    bar.finish_and_clear();
    let rows = crate::report::sensitivity::rows((study, cells), ranges, &ends);
    crate::report::sensitivity::write(dir, &rows)?;
    Ok(rows)
}

fn print_shard(
    shard: Shard,
    source: &str,
    done: &crate::run::shard::ShardRun,
    started: std::time::Instant,
    dir: &std::path::Path,
) -> Result<()> {
    outln!(
        "shard {shard} (from {source}): {} of {} work items in {:.2} s; part in {}",
        done.items,
        done.all_items,
        started.elapsed().as_secs_f64(),
        done.part.display()
    );
    if done.items == 0 {
        outln!(
            "note: this shard has no work: {} shards for {} work items",
            shard.count,
            done.all_items
        );
    }
    outln!(
        "when all {} shards are done: watchsim merge {} --out {}",
        shard.count,
        dir.join("parts").display(),
        dir.display()
    );
    Ok(())
}

fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let merged = merge_parts(
        &args.parts,
        args.out.as_deref(),
        args.scenario.as_deref(),
        command_line(),
        args.force,
    )?;
    if !args.quiet {
        out!("{}", merged.brief.console());
    }
    outln!(
        "\nmerged {} shard{} ({} work items, {} runs); reports in {}",
        merged.shards,
        if merged.shards > 1 { "s" } else { "" },
        merged.items,
        merged.runs,
        merged.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn slurm(args: &SlurmArgs) -> Result<ExitCode> {
    if let Ok(s) = Scenario::load(&args.file)
        && !s.variants.is_empty()
    {
        return Err(Error::argument(format!(
            "{} declares [[variant]]s, which run in one process with the base (common random numbers) and not as shards; run it with `watchsim run`, or put each variant in a file of its own and compare the merged report folders with `watchsim compare`",
            args.file.display()
        )));
    }
    let request = SlurmRequest {
        shards: args.shards,
        time: args.time.clone(),
        partition: args.partition.clone(),
        account: args.account.clone(),
        cpus: args.cpus,
        mem: args.mem.clone(),
        out: args.out.clone(),
        script: args.script.clone(),
        replications: args.replications,
        seed: args.seed,
        trace: args.trace,
    };
    let plan = write_sbatch(&args.file, &request)?;
    let items = plan.items;
    if args.shards as usize > items {
        outln!(
            "note: {} shards for {items} work items ({} variants × {} replications): {} shards will have nothing to do",
            args.shards,
            plan.variants,
            plan.replications,
            args.shards as usize - items
        );
    }
    let script_q = sh_quote(&plan.script.display().to_string());
    let out = &plan.spec.out;
    let merge = format!(
        "{} merge {} --out {}",
        sh_quote(&plan.spec.binary.display().to_string()),
        sh_quote(&out.join("parts").display().to_string()),
        sh_quote(&out.display().to_string())
    );
    outln!(
        "wrote {} ({} array tasks, {items} work items)",
        plan.script.display(),
        args.shards
    );
    outln!("submit it:\n  sbatch {script_q}");
    outln!("when every task has finished, merge the parts:\n  {merge}");
    outln!(
        "or queue the merge behind the array in one go:\n  jid=$(sbatch --parsable {script_q}) && sbatch --dependency=afterok:$jid --wrap {}",
        sh_quote(&merge)
    );
    Ok(ExitCode::SUCCESS)
}

fn report(dir: &std::path::Path, sweep_value: Option<String>) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    // A `watchsim compare` folder has variants.csv but no summary.csv.
    let path = if !dir.join("summary.csv").exists() && dir.join("variants.csv").exists() {
        crate::report::html::write_variants_report(dir)?
    } else {
        crate::report::html::write_report_with(dir, sweep_value.as_deref())?
    };
    outln!(
        "wrote the charts and {} in {:.2} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
