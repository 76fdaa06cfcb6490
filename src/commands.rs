//! The subcommands: each reads its inputs, calls the library and prints for people.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::cli::{Cli, Command, RunArgs, ScheduleArgs};
use crate::experiment::{RunResult, Study};
use crate::report::csv::{CoverageRow, to_csv};
use crate::report::runs::runs_table;
use crate::report::summary::{
    by_cell, compare_table, comparisons, desks_table, distribution_table, headline, headline_text,
    load_table, summary_table, weekly_table,
};
use crate::report::{write_atomic, write_atomic_with};
use crate::runner::{Manifest, RunnerOptions, run_items, write_trace};
use crate::scenario::units::{DAY, WEEK};
use crate::scenario::{Rule, Scenario, ScenarioErrors};
use crate::schedule::{self, Coverage, Horizon, Interval, IntervalKind, member_names};

/// Exit status for bad input (a scenario, trace or command line that cannot be used).
pub const EXIT_BAD_INPUT: u8 = 2;

/// A problem with what the user gave us, rather than a failure of watchsim.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The exit status for an error: 2 for bad input, 1 for anything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err
        .chain()
        .any(|e| e.is::<ScenarioErrors>() || e.is::<BadInput>())
    {
        EXIT_BAD_INPUT
    } else {
        1
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Validate { files }) => validate(&files),
        Some(Command::Schedule(args)) => schedule(&args),
        Some(Command::Run(args)) => run(args),
        Some(Command::Merge(args)) => crate::shard::merge(&args),
        Some(Command::Slurm(args)) => crate::shard::slurm(&args),
        Some(Command::Report { dir }) => crate::report::html::report_command(&dir),
    }
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = 0;
    for file in files {
        // A recorded trace is part of the input: read it too.
        let loaded = Scenario::load(file)
            .map_err(|e| e.to_string())
            .and_then(|s| {
                crate::incidents::IncidentFactory::new(&s)
                    .map(|_| s)
                    .map_err(|e| e.to_string())
            });
        match loaded {
            Ok(s) => println!(
                "OK  {}  ({}: {} agencies, {} schedules, {} replications of {} days)",
                file.display(),
                s.name,
                s.agencies.len(),
                s.schedules.len(),
                s.experiment.replications,
                s.experiment.days
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

/// Loads a scenario, keeping its errors as bad input.
pub fn load(path: &Path) -> Result<Scenario> {
    Ok(Scenario::load(path)?)
}

/// The report folder of a scenario: `--out`, or `reports/<name>/`.
pub fn report_dir(scenario: &Scenario, out: Option<&Path>) -> PathBuf {
    out.map_or_else(
        || Path::new("reports").join(&scenario.name),
        Path::to_path_buf,
    )
}

fn schedule(args: &ScheduleArgs) -> Result<ExitCode> {
    let scenario = load(&args.file)?;
    let schedules: Vec<usize> = match &args.schedule {
        None => scenario.experiment.schedules.clone(),
        Some(name) => match scenario.schedules.iter().position(|s| &s.name == name) {
            Some(i) => vec![i],
            None => {
                let names: Vec<&str> = scenario.schedules.iter().map(|s| s.name.as_str()).collect();
                bail!(BadInput(format!(
                    "--schedule {name}: no such schedule in {}; expected one of: {}",
                    args.file.display(),
                    names.join(", ")
                )));
            }
        },
    };
    let counts = match args.agencies {
        None => scenario.experiment.agency_counts.clone(),
        Some(k) if (1..=scenario.agencies.len()).contains(&k) => vec![k],
        Some(k) => bail!(BadInput(format!(
            "--agencies {k}: the roster of {} has {} agencies; expected 1 to {}",
            args.file.display(),
            scenario.agencies.len(),
            scenario.agencies.len()
        ))),
    };
    let horizon = Horizon::of(&scenario);
    let mut rows = Vec::new();
    for &s in &schedules {
        for &k in &counts {
            let spec = &scenario.schedules[s];
            let coverage = schedule::compile(&scenario, spec, k);
            print_coverage(&scenario, s, k, &coverage, &horizon);
            rows.extend(coverage_rows(&scenario, &spec.name, k, &coverage, &horizon));
        }
    }
    let dir = report_dir(&scenario, args.out.as_deref());
    let path = dir.join("coverage.csv");
    write_atomic(&path, &to_csv(&rows))?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// The rows of `coverage.csv` for one schedule and agency count.
pub fn coverage_rows(
    scenario: &Scenario,
    name: &str,
    k: usize,
    coverage: &Coverage,
    horizon: &Horizon,
) -> Vec<CoverageRow> {
    coverage
        .intervals(k)
        .into_iter()
        .map(|i| CoverageRow {
            schedule: name.to_string(),
            agencies: k,
            kind: i.kind.as_str(),
            agency: member_names(scenario, i.members),
            start: rfc3339(horizon.instant(i.start)),
            end: rfc3339(horizon.instant(i.end)),
            hours: ((i.end - i.start) / 3600.0 * 1e6).round() / 1e6,
        })
        .collect()
}

/// RFC 3339 in UTC with a `Z`, seconds precision.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn describe_rule(rule: &Rule) -> String {
    match rule {
        Rule::FollowTheSun { anchor } => {
            format!("follow_the_sun, anchor {anchor:?}").to_lowercase()
        }
        Rule::RoundRobin {
            period,
            handoff_at,
            tz,
        } => format!(
            "round_robin every {}, handoff at {handoff_at} {tz}",
            crate::scenario::units::format_duration(*period)
        ),
        Rule::Blocks(b) => format!("blocks ({} blocks)", b.len()),
        Rule::HomeHours { open, close, days } => format!("home_hours {open}-{close} {days}"),
        Rule::Always => "always".into(),
    }
}

fn print_coverage(scenario: &Scenario, s: usize, k: usize, coverage: &Coverage, horizon: &Horizon) {
    let spec = &scenario.schedules[s];
    println!(
        "\n== {} ({}) · {k} agencies ==",
        spec.name,
        describe_rule(&spec.rule)
    );
    let intervals = coverage.intervals(k);
    let fmt = |t: f64| horizon.instant(t).format("%a %Y-%m-%d %H:%M").to_string();
    println!("Who holds the watch, first week (UTC | member's local time):");
    let first_week: Vec<&Interval> = intervals
        .iter()
        .filter(|i| i.kind == IntervalKind::Watch && i.start < WEEK)
        .collect();
    for i in first_week.iter().take(60) {
        let m = i.members.trailing_zeros() as usize;
        let tz = scenario.agencies[m].tz;
        let local = |t: f64| {
            horizon
                .instant(t)
                .with_timezone(&tz)
                .format("%a %H:%M %Z")
                .to_string()
        };
        println!(
            "  {} → {} UTC  {:<6} {} → {}",
            fmt(i.start),
            horizon.instant(i.end).format("%a %Y-%m-%d %H:%M"),
            scenario.agencies[m].id,
            local(i.start),
            local(i.end)
        );
    }
    if first_week.len() > 60 {
        println!("  … {} more in the first week", first_week.len() - 60);
    }
    let weeks = coverage.horizon / WEEK;
    let hours: Vec<String> = (0..k)
        .map(|m| {
            format!(
                "{} {:.1}",
                scenario.agencies[m].id,
                coverage.held_secs(m) / 3600.0 / weeks
            )
        })
        .collect();
    println!("Hours on watch per week: {}", hours.join(" · "));
    for kind in [IntervalKind::Gap, IntervalKind::Overlap] {
        let items: Vec<&Interval> = intervals.iter().filter(|i| i.kind == kind).collect();
        let total: f64 = items.iter().map(|i| i.end - i.start).sum();
        let runs = recurring_runs(&items);
        let label = if kind == IntervalKind::Gap {
            "Gaps"
        } else {
            "Overlaps"
        };
        if items.is_empty() {
            println!("{label}: none");
            continue;
        }
        println!(
            "{label}: {} in all, {:.1} h ({:.2} % of the horizon)",
            items.len(),
            total / 3600.0,
            100.0 * total / coverage.horizon
        );
        for run in runs.iter().take(40) {
            let first = run[0];
            let len_h = (first.end - first.start) / 3600.0;
            let who = if kind == IntervalKind::Overlap {
                format!(" {}", member_names(scenario, first.members))
            } else {
                String::new()
            };
            if run.len() == 1 {
                println!(
                    "  {} → {} UTC{who}, {len_h:.2} h",
                    fmt(first.start),
                    fmt(first.end)
                );
            } else {
                let last = run[run.len() - 1];
                println!(
                    "  daily {}–{} UTC{who}, {} → {} ({}×, {len_h:.2} h each)",
                    horizon.instant(first.start).format("%H:%M"),
                    horizon.instant(first.end).format("%H:%M"),
                    horizon.instant(first.start).format("%Y-%m-%d"),
                    horizon.instant(last.start).format("%Y-%m-%d"),
                    run.len()
                );
            }
        }
        if runs.len() > 40 {
            println!(
                "  … {} more (all of them are in coverage.csv)",
                runs.len() - 40
            );
        }
    }
}

/// Groups intervals that recur every day at the same time with the same length and
/// members, so that three weeks of a daily gap read as one line.
fn recurring_runs<'a>(items: &[&'a Interval]) -> Vec<Vec<&'a Interval>> {
    let mut runs: Vec<Vec<&Interval>> = Vec::new();
    'items: for &item in items {
        for run in runs.iter_mut().rev().take(8) {
            let last = run[run.len() - 1];
            if last.members == item.members
                && ((item.start - last.start) - DAY).abs() < 1.0
                && ((item.end - item.start) - (last.end - last.start)).abs() < 1.0
            {
                run.push(item);
                continue 'items;
            }
        }
        runs.push(vec![item]);
    }
    runs
}

/// The default study, built into the binary so that `watchsim run` works anywhere.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/growing-roster.toml");

fn run(args: RunArgs) -> Result<ExitCode> {
    let mut scenario = match &args.file {
        Some(path) => load(path)?,
        None => Scenario::from_toml(DEFAULT_SCENARIO, "(built-in default scenario)")?,
    };
    if let Some(r) = args.replications {
        if r == 0 {
            bail!(BadInput("--replications 0: expected at least 1".into()));
        }
        scenario.experiment.replications = r;
    }
    if let Some(seed) = args.seed {
        scenario.experiment.seed = seed;
    }
    let threads = match args.threads {
        Some(0) => bail!(BadInput("--threads 0: expected at least 1".into())),
        Some(n) => n,
        None => 0,
    };
    let shard = crate::shard::resolve(args.shard.as_deref(), |k| std::env::var(k).ok())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let dir = report_dir(&scenario, args.out.as_deref());
    check_report_dir(&dir, &scenario)?;
    probe_writable(&dir)?;
    let started = std::time::Instant::now();
    let mut study = Study::new(scenario).map_err(|e| BadInput(e.to_string()))?;
    study.independent_streams = args.independent_streams;
    let options = RunnerOptions {
        trace: args.trace,
        quiet: args.quiet,
        resume: args.resume,
    };
    if let Some(shard) = shard {
        let file = args.file.as_deref();
        return pool.install(|| crate::shard::run_shard(&study, &dir, shard, file, &options));
    }
    let part = dir.join(".partial");
    let manifest = Manifest::new(&study, args.trace, None);
    let items = study.items();
    let results = pool.install(|| run_items(&study, &items, &part, &manifest, &options))?;
    let elapsed = started.elapsed();
    let provenance = Provenance::new(&study, &args);
    let headline = write_outputs(&study, &results, &dir, &provenance)?;
    if args.trace {
        write_trace(
            &study,
            &items,
            std::slice::from_ref(&part),
            &dir.join("incidents.csv"),
        )?;
    }
    std::fs::remove_dir_all(&part).ok();
    crate::report::html::write_report(&dir)?;
    print!("{headline}");
    let incidents: u64 = results
        .iter()
        .map(|r| r.stats.classes.iter().map(|c| c.n).sum::<u64>())
        .sum();
    println!(
        "\n{} runs, {incidents} counted incidents in {:.2} s; reports in {}",
        results.len(),
        elapsed.as_secs_f64(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
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
    /// Scenario file, if not the built-in one.
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
}

impl Provenance {
    fn new(study: &Study, args: &RunArgs) -> Provenance {
        let s = &study.scenario;
        Provenance {
            watchsim: env!("CARGO_PKG_VERSION").into(),
            scenario: s.name.clone(),
            description: s.description.clone(),
            scenario_file: args.file.as_ref().map(|p| p.display().to_string()),
            scenario_hash: s.hash.clone(),
            seed: s.experiment.seed,
            replications: study.replications,
            command: std::env::args().collect::<Vec<_>>().join(" "),
            independent_streams: study.independent_streams,
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
        Ok(Some(p)) => bail!(BadInput(format!(
            "{} holds the results of scenario \"{}\", not \"{}\"; choose another folder with --out, or delete that one",
            dir.display(),
            p.scenario,
            scenario.name
        ))),
        Ok(None) | Err(_) => bail!(BadInput(format!(
            "{} is not a watchsim run record; choose another folder with --out",
            path.display()
        ))),
    }
}

/// Fails early, before any work, if the report folder cannot be created or written.
fn probe_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(".watchsim-probe");
    write_atomic(&probe, b"")?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes every table of a finished run (and its provenance) to `dir`, and returns the
/// headline table for the console.
pub fn write_outputs(
    study: &Study,
    results: &[RunResult],
    dir: &Path,
    provenance: &Provenance,
) -> Result<String> {
    let cells = by_cell(study, results);
    let comparisons = comparisons(study, &cells);
    let tables = [
        ("runs.csv", runs_table(study, results).to_csv()),
        ("summary.csv", summary_table(study, &cells).to_csv()),
        (
            "compare.csv",
            compare_table(study, &cells, &comparisons).to_csv(),
        ),
        (
            "distribution.csv",
            distribution_table(study, &cells).to_csv(),
        ),
        ("weekly.csv", weekly_table(study, &cells).to_csv()),
        ("desks.csv", desks_table(study, &cells).to_csv()),
        ("load.csv", load_table(study, &cells).to_csv()),
    ];
    for (name, bytes) in tables {
        write_atomic(&dir.join(name), &bytes)?;
    }
    // The coverage grows with the horizon: stream it, one cell at a time.
    let horizon = Horizon::of(&study.scenario);
    write_atomic_with(&dir.join("coverage.csv"), |w| {
        let mut csv = ::csv::Writer::from_writer(w);
        for cell in &study.cells {
            let name = &study.scenario.schedules[cell.schedule].name;
            for row in coverage_rows(&study.scenario, name, cell.k, &cell.plan.coverage, &horizon) {
                csv.serialize(row)?;
            }
        }
        csv.flush()
    })?;
    write_atomic(
        &dir.join("run.json"),
        serde_json::to_string_pretty(provenance)?.as_bytes(),
    )?;
    let (label, rows) = headline(study, &cells);
    Ok(headline_text(study, &label, &rows))
}
