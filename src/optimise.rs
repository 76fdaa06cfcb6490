//! The staffing search of `watchsim optimise`: the cheapest analysts per watch desk that
//! meet the scenario's `[optimise]` targets.
//!
//! **Method.** For each schedule that may be chosen, greedy marginal allocation: start
//! every member's desk at its least staffing; while some target is not met, try one
//! more analyst on each desk and keep the one that closes the most of the targets' gap
//! per unit of cost; then a removal pass takes analysts away again while every target
//! still holds. Every candidate runs the same replications of the same incidents
//! (common random numbers), so two candidates differ only by their staffing. A
//! candidate *meets* the targets when each holds at the cautious end of its 95 %
//! confidence interval (the lower end of a share that must be at least a bound, the
//! upper end otherwise). The cheapest answer is then confirmed on fresh replications
//! (a seed derived from the scenario's, more of them); if it fails there, analysts are
//! added the same greedy way until it holds.
//!
//! This is a heuristic: it finds a staffing that meets the targets and cannot lose an
//! analyst without failing one, not a proof that no cheaper staffing exists. The
//! cheaper candidates it tried and rejected are listed with the target they missed
//! and by how much.

use rayon::prelude::*;

use crate::engine::{EngineConfig, RunTotals};
use crate::experiment::Study;
use crate::incidents::{Incident, TraceError};
use crate::scenario::optimise::{Optimise, Target, TargetMeasure};
use crate::scenario::units::{HOUR, WEEK};
use crate::scenario::{IncidentSource, Scenario};
use crate::stats::ci::{MeanCi, mean_ci};
use crate::stats::{ClassStats, Metric, RunStats};

/// Incidents kept in memory for reuse across candidates, at most (about 90 MB; beyond,
/// each batch of candidates regenerates them).
const MAX_CACHED_INCIDENTS: usize = 1_000_000;

/// Which part of the search an evaluation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The greedy additions (the starting staffing included).
    Add,
    /// The removal pass.
    Remove,
    /// The confirmation run on fresh replications.
    Confirm,
}

impl Phase {
    /// The name in optimise.csv.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Add => "add",
            Phase::Remove => "remove",
            Phase::Confirm => "confirm",
        }
    }
}

/// One candidate staffing evaluated.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Evaluation number, from 1, in the order they were made.
    pub number: usize,
    /// The part of the search.
    pub phase: Phase,
    /// Index into the scenario's schedules.
    pub schedule: usize,
    /// Analysts per member's desk (roster order).
    pub staff: Vec<u32>,
    /// Replications run.
    pub replications: u32,
    /// Master seed of those replications.
    pub seed: u64,
    /// Cost per week: analyst-hours on watch, each member's weighted by its cost.
    pub cost: f64,
    /// Analyst-hours on watch per week (unweighted).
    pub analyst_hours: f64,
    /// Each target's estimate with its 95 % CI (shares, or seconds).
    pub estimates: Vec<MeanCi>,
    /// Whether every target holds at the cautious end of its CI.
    pub feasible: bool,
}

/// The result of a search.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Every evaluation, in order.
    pub evaluations: Vec<Evaluation>,
    /// The confirmed answer (an index into `evaluations`); `None` when no staffing
    /// within the bounds met the targets.
    pub chosen: Option<usize>,
    /// Without an answer: the evaluation that came closest.
    pub closest: Option<usize>,
}

impl Answer {
    /// The confirmed answer.
    pub fn chosen(&self) -> Option<&Evaluation> {
        self.chosen.map(|i| &self.evaluations[i])
    }
}

/// How the search reports its progress.
pub trait SearchProgress: Sync {
    /// `n` more candidates evaluated; `what` says where the search is.
    fn evaluated(&self, n: u64, what: &str);
}

/// No progress shown.
pub struct Quiet;

impl SearchProgress for Quiet {
    fn evaluated(&self, _: u64, _: &str) {}
}

/// A target's value in one run (NaN when it has no such cases).
fn run_value(stats: &RunStats, target: &Target) -> f64 {
    let summary: ClassStats = match target.class {
        Some(c) => stats.classes(target.scope).swap_remove(c),
        None => stats.scope(target.scope),
    };
    if summary.n == 0 {
        return f64::NAN;
    }
    match target.measure {
        TargetMeasure::Within(i) => summary.share_within(i),
        TargetMeasure::Missed => summary.missed_share(),
        TargetMeasure::P95 => summary.quantile(Metric::AlertToResponse, 0.95),
        TargetMeasure::Mean => summary.mean(Metric::AlertToResponse),
    }
}

/// The cautious end of an estimate's CI for a target.
pub fn cautious(target: &Target, ci: &MeanCi) -> f64 {
    if target.at_least { ci.low } else { ci.high }
}

/// How far an estimate is from meeting its target at the cautious end: 0 when it
/// holds; a share's gap in shares, a duration's relative to its bound.
pub fn gap(target: &Target, ci: &MeanCi) -> f64 {
    let end = cautious(target, ci);
    if end.is_nan() {
        return 1.0;
    }
    let short = if target.at_least {
        target.bound - end
    } else {
        end - target.bound
    };
    let scale = match target.measure {
        TargetMeasure::Within(_) | TargetMeasure::Missed => 1.0,
        TargetMeasure::P95 | TargetMeasure::Mean => target.bound.max(60.0),
    };
    (short / scale).max(0.0)
}

/// The seed of the confirmation run, derived from the scenario's so that its
/// replications are fresh (a step of Knuth's MMIX linear congruential generator).
pub fn confirm_seed(seed: u64) -> u64 {
    seed.wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407)
}

/// Evaluates staffings of one schedule at one agency count over fixed replications.
struct Evaluator<'a> {
    study: Study,
    search: &'a Optimise,
    seed: u64,
    /// Each replication's incidents, when they fit in memory.
    incidents: Option<Vec<Vec<Incident>>>,
    weeks: f64,
}

impl<'a> Evaluator<'a> {
    fn new(
        base: &Scenario,
        search: &'a Optimise,
        schedule: usize,
        replications: u32,
        seed: u64,
    ) -> Result<Evaluator<'a>, TraceError> {
        let mut s = base.clone();
        s.experiment.schedules = vec![schedule];
        s.experiment.agency_counts = vec![search.k];
        s.experiment.replications = replications;
        s.experiment.seed = seed;
        s.sweep = None;
        s.variants.clear();
        s.sensitivity.clear();
        let weeks = s.experiment.days * 86_400.0 / WEEK;
        let study = Study::new(s)?;
        // A trace's incidents are in memory already; synthetic ones are kept when they fit.
        let expected = match &study.scenario.incidents.source {
            IncidentSource::Synthetic { rate } => {
                rate * study.scenario.experiment.horizon() * f64::from(replications)
            }
            IncidentSource::Trace { .. } => f64::INFINITY,
        };
        let incidents = (expected <= MAX_CACHED_INCIDENTS as f64).then(|| {
            (0..replications)
                .into_par_iter()
                .map(|r| study.variants[0].factory.generate(r))
                .collect()
        });
        Ok(Evaluator {
            study,
            search,
            seed,
            incidents,
            weeks,
        })
    }

    /// Runs every staffing of `staffs` over every replication; per staffing, the
    /// targets' estimates and the weekly cost.
    fn evaluate(&self, staffs: &[Vec<u32>]) -> Vec<(Vec<MeanCi>, f64, f64)> {
        let configs: Vec<EngineConfig> = staffs
            .iter()
            .map(|staff| {
                let mut c = self.study.variants[0].config.clone();
                c.staff[..staff.len()].copy_from_slice(staff);
                c
            })
            .collect();
        let reps = self.study.replications();
        let runs: Vec<Vec<(RunStats, RunTotals)>> = (0..reps)
            .into_par_iter()
            .map(|r| {
                let cached = self
                    .incidents
                    .as_ref()
                    .map(|all| all[r as usize].as_slice());
                self.study.run_configs(0, r, &configs, cached)
            })
            .collect();
        (0..staffs.len())
            .map(|i| {
                let estimates = self
                    .search
                    .targets
                    .iter()
                    .map(|t| {
                        let values: Vec<f64> = runs.iter().map(|r| run_value(&r[i].0, t)).collect();
                        mean_ci(&values)
                    })
                    .collect();
                let hours = |weighted: bool| {
                    runs.iter()
                        .map(|r| {
                            r[i].1
                                .analyst_secs
                                .iter()
                                .enumerate()
                                .map(|(j, s)| {
                                    let w = if weighted {
                                        self.search.cost.get(j).copied().unwrap_or(1.0)
                                    } else {
                                        1.0
                                    };
                                    w * s
                                })
                                .sum::<f64>()
                        })
                        .sum::<f64>()
                        / f64::from(reps)
                        / HOUR
                        / self.weeks
                };
                (estimates, hours(true), hours(false))
            })
            .collect()
    }
}

/// Runs the search of the scenario's `[optimise]`.
pub fn optimise(scenario: &Scenario, progress: &dyn SearchProgress) -> Result<Answer, TraceError> {
    let search = scenario
        .optimise
        .as_ref()
        .expect("the caller checked that the scenario has [optimise]");
    let mut log = Log {
        evaluations: Vec::new(),
        search,
        progress,
    };
    let seed = scenario.experiment.seed;
    // The search's answer per schedule (an index into the log).
    let mut answers: Vec<usize> = Vec::new();
    let mut closest: Option<usize> = None;
    for &schedule in &search.schedules {
        let eval = Evaluator::new(scenario, search, schedule, search.replications, seed)?;
        let name = &scenario.schedules[schedule].name;
        let start: Vec<u32> = search.bounds.iter().map(|b| b.0).collect();
        let at = log.run(&eval, schedule, Phase::Add, vec![start], name)[0];
        let Some(found) = log.climb(&eval, schedule, at, Phase::Add, name) else {
            closest = log.closer(closest, log.closest_of(schedule));
            continue;
        };
        answers.push(log.descend(&eval, schedule, found, name));
    }
    // Confirm the cheapest answers on fresh replications until one holds and no
    // unconfirmed answer is cheaper than it.
    answers.sort_by(|&a, &b| {
        let (a, b) = (&log.evaluations[a], &log.evaluations[b]);
        a.cost.total_cmp(&b.cost).then(a.number.cmp(&b.number))
    });
    let mut chosen: Option<usize> = None;
    for found in answers {
        let candidate = log.evaluations[found].clone();
        if chosen.is_some_and(|c| log.evaluations[c].cost <= candidate.cost) {
            break;
        }
        let eval = Evaluator::new(
            scenario,
            search,
            candidate.schedule,
            search.confirm,
            confirm_seed(seed),
        )?;
        let name = &scenario.schedules[candidate.schedule].name;
        let at = log.run(
            &eval,
            candidate.schedule,
            Phase::Confirm,
            vec![candidate.staff.clone()],
            name,
        )[0];
        let confirmed = if log.evaluations[at].feasible {
            Some(at)
        } else {
            log.climb(&eval, candidate.schedule, at, Phase::Confirm, name)
        };
        match confirmed {
            Some(c) => {
                if chosen.is_none_or(|best| log.evaluations[c].cost < log.evaluations[best].cost) {
                    chosen = Some(c);
                }
            }
            None => closest = log.closer(closest, Some(at)),
        }
    }
    Ok(Answer {
        evaluations: log.evaluations,
        chosen,
        closest: if chosen.is_some() { None } else { closest },
    })
}

/// The evaluations made so far.
struct Log<'a> {
    evaluations: Vec<Evaluation>,
    search: &'a Optimise,
    progress: &'a dyn SearchProgress,
}

impl Log<'_> {
    /// Evaluates staffings and records them; their indices.
    fn run(
        &mut self,
        eval: &Evaluator<'_>,
        schedule: usize,
        phase: Phase,
        staffs: Vec<Vec<u32>>,
        name: &str,
    ) -> Vec<usize> {
        let results = eval.evaluate(&staffs);
        let mut out = Vec::new();
        for (staff, (estimates, cost, analyst_hours)) in staffs.into_iter().zip(results) {
            let feasible = self
                .search
                .targets
                .iter()
                .zip(&estimates)
                .all(|(t, ci)| gap(t, ci) == 0.0 && !cautious(t, ci).is_nan());
            self.evaluations.push(Evaluation {
                number: self.evaluations.len() + 1,
                phase,
                schedule,
                staff,
                replications: eval.study.replications(),
                seed: eval.seed,
                cost,
                analyst_hours,
                estimates,
                feasible,
            });
            out.push(self.evaluations.len() - 1);
        }
        self.progress
            .evaluated(out.len() as u64, &format!("{name}: {}", phase.name()));
        out
    }

    /// The total gap of an evaluation to its targets.
    fn gap(&self, i: usize) -> f64 {
        self.search
            .targets
            .iter()
            .zip(&self.evaluations[i].estimates)
            .map(|(t, ci)| gap(t, ci))
            .sum()
    }

    /// Greedy additions from evaluation `at` until the targets hold; the feasible
    /// evaluation, or `None` when every desk reached its most.
    fn climb(
        &mut self,
        eval: &Evaluator<'_>,
        schedule: usize,
        mut at: usize,
        phase: Phase,
        name: &str,
    ) -> Option<usize> {
        while !self.evaluations[at].feasible {
            let staff = self.evaluations[at].staff.clone();
            let steps: Vec<Vec<u32>> = (0..staff.len())
                .filter(|&j| staff[j] < self.search.bounds[j].1)
                .map(|j| {
                    let mut s = staff.clone();
                    s[j] += 1;
                    s
                })
                .collect();
            if steps.is_empty() {
                return None;
            }
            let tried = self.run(eval, schedule, phase, steps, name);
            let here = (self.gap(at), self.evaluations[at].cost);
            // The most gap closed per unit of cost; a free analyst (a desk that never
            // holds the watch) closes nothing and is tried last.
            let score = |log: &Self, i: usize| {
                let closed = here.0 - log.gap(i);
                let extra = log.evaluations[i].cost - here.1;
                if extra > 0.0 {
                    closed / extra
                } else {
                    f64::NEG_INFINITY
                }
            };
            let mut best = tried[0];
            for &i in &tried[1..] {
                if score(self, i) > score(self, best) {
                    best = i;
                }
            }
            // Once any step meets the targets, the cheapest such step ends the climb.
            if let Some(&done) = tried
                .iter()
                .filter(|&&i| self.evaluations[i].feasible)
                .min_by(|&&a, &&b| {
                    self.evaluations[a]
                        .cost
                        .total_cmp(&self.evaluations[b].cost)
                })
            {
                best = done;
            }
            at = best;
        }
        Some(at)
    }

    /// The removal pass from a feasible evaluation: take away the analyst that saves
    /// the most while every target still holds, until none can go.
    fn descend(
        &mut self,
        eval: &Evaluator<'_>,
        schedule: usize,
        mut at: usize,
        name: &str,
    ) -> usize {
        loop {
            let staff = self.evaluations[at].staff.clone();
            let steps: Vec<Vec<u32>> = (0..staff.len())
                .filter(|&j| staff[j] > self.search.bounds[j].0)
                .map(|j| {
                    let mut s = staff.clone();
                    s[j] -= 1;
                    s
                })
                .collect();
            if steps.is_empty() {
                return at;
            }
            let tried = self.run(eval, schedule, Phase::Remove, steps, name);
            let cheapest = tried
                .iter()
                .copied()
                .filter(|&i| self.evaluations[i].feasible)
                .min_by(|&a, &b| {
                    self.evaluations[a]
                        .cost
                        .total_cmp(&self.evaluations[b].cost)
                });
            match cheapest {
                Some(i) if self.evaluations[i].cost < self.evaluations[at].cost => at = i,
                _ => return at,
            }
        }
    }

    /// The evaluation of `schedule` with the smallest gap to the targets.
    fn closest_of(&self, schedule: usize) -> Option<usize> {
        (0..self.evaluations.len())
            .filter(|&i| self.evaluations[i].schedule == schedule)
            .min_by(|&a, &b| self.gap(a).total_cmp(&self.gap(b)))
    }

    /// Of two evaluations, the one closer to the targets.
    fn closer(&self, a: Option<usize>, b: Option<usize>) -> Option<usize> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if self.gap(b) < self.gap(a) { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}
