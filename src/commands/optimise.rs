//! `watchsim optimise`: the cheapest watch staffing that meets the scenario's targets.

use std::process::ExitCode;

use indicatif::ProgressBar;

use super::{command_line, pool, terminal_bar};
use crate::cli::OptimiseArgs;
use crate::error::{Error, Result};
use crate::experiment::Study;
use crate::optimise::{SearchProgress, confirm_seed, optimise as search};
use crate::report::lock_report_dir;
use crate::report::optimise::{console, first_miss, miss_words, rows, write};
use crate::report::write::{
    Provenance, check_out_folder, check_report_dir, probe_writable, remove_leftover_temps,
    write_outputs,
};
use crate::scenario::Scenario;

/// A counter of candidates on the terminal (none when quiet or not a terminal).
struct Counter(ProgressBar);

impl Counter {
    fn new(quiet: bool) -> Counter {
        Counter(terminal_bar(
            quiet,
            "{elapsed_precise} {spinner} {pos} candidates evaluated · {msg}",
        ))
    }
}

impl SearchProgress for Counter {
    fn evaluated(&self, n: u64, what: &str) {
        self.0.inc(n);
        self.0.set_message(what.to_string());
    }
}

/// Runs the search, then a full report of the answer's confirmation run.
pub fn optimise(args: &OptimiseArgs) -> Result<ExitCode> {
    let mut scenario = Scenario::load(&args.file)?;
    if let Some(seed) = args.seed {
        scenario.experiment.seed = seed;
    }
    let Some(plan) = scenario.optimise.clone() else {
        return Err(Error::argument(format!(
            "{} has no [optimise] table; expected one naming the targets, e.g.\n  \
             [optimise]\n  watch_staff = [1, 6]\n  [[optimise.target]]\n  measure = \"within_2h\"\n  class = \"urgent\"\n  at_least = 0.95\n\
             (see the README, \"Finding the cheapest staffing\")",
            args.file.display()
        )));
    };
    let pool = pool(args.threads)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        std::path::Path::new("reports").join(format!("{}-optimise", scenario.name))
    });
    check_out_folder(&dir, args.force)?;
    check_report_dir(&dir, &scenario)?;
    probe_writable(&dir)?;
    let _lock = lock_report_dir(&dir)?;
    remove_leftover_temps(&dir);
    let started = std::time::Instant::now();
    let counter = Counter::new(args.quiet);
    let answer = pool.install(|| search(&scenario, &counter))?;
    counter.0.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let table = rows(&scenario, &answer);
    let Some(chosen) = answer.chosen() else {
        write(&dir, &table)?;
        crate::report::charts::render_frontier(&dir, &table)?;
        let closest = answer
            .closest
            .and_then(|i| first_miss(&table, answer.evaluations[i].number))
            .map(|r| {
                format!(
                    "; the closest was {} on {} ({})",
                    r.staffing,
                    r.schedule,
                    miss_words(r)
                )
            })
            .unwrap_or_default();
        return Err(Error::argument(format!(
            "{}: no staffing within [optimise] watch_staff bounds meets every target{closest}; \
             expected wider bounds (a larger most), other schedules, or targets the scenario can meet. \
             Every candidate is in {}",
            args.file.display(),
            dir.join("optimise.csv").display()
        )));
    };
    // The answer's confirmation run, reported like any run: the same seed and
    // replications as its confirmation, so its figures are the ones above.
    let mut confirmed = scenario.clone();
    for (a, &n) in confirmed.agencies.iter_mut().zip(&chosen.staff) {
        a.watch_staff = n;
    }
    confirmed.experiment.schedules = vec![chosen.schedule];
    confirmed.experiment.agency_counts = vec![plan.k];
    confirmed.experiment.replications = plan.confirm;
    confirmed.experiment.seed = confirm_seed(scenario.experiment.seed);
    confirmed.sweep = None;
    confirmed.variants.clear();
    confirmed.sensitivity.clear();
    let study = Study::new(confirmed)?;
    let cells = pool.install(|| crate::report::summary::run_pooled(&study));
    let provenance = Provenance::new(&study, Some(&args.file), command_line());
    write_outputs(&study, &cells, &dir, &provenance)?;
    drop(cells);
    // After the run's own files: optimise.csv belongs to this search, not to the run.
    write(&dir, &table)?;
    let page = crate::report::html::write_report(&dir)?;
    out!("{}", console(&scenario, &answer, &table));
    outln!(
        "\n{} evaluations in {elapsed:.1} s ({:.1} candidates/s); reports in {} ({})",
        answer.evaluations.len(),
        answer.evaluations.len() as f64 / elapsed.max(1e-9),
        dir.display(),
        page.display()
    );
    Ok(ExitCode::SUCCESS)
}
