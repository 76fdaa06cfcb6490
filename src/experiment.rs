//! Replications × schedules × agency counts (× sweep values), run in parallel with
//! results in a fixed order, so outputs do not depend on the thread count.

use rayon::prelude::*;

use crate::engine::{CellPlan, Collect, EngineConfig, Outcome, RunTotals, simulate};
use crate::incidents::{Incident, IncidentFactory, TraceError};
use crate::scenario::units::Dist;
use crate::scenario::{IncidentSource, Scenario, Stage, SweepParameter};
use crate::schedule;
use crate::stats::RunStats;

/// One value of a sweep (or the scenario as written): its engine view and incidents.
pub struct Variant {
    /// The value as written (empty without a sweep).
    pub label: String,
    /// The value as a number (NaN without a sweep).
    pub value: f64,
    /// The engine's view of the scenario with this value applied.
    pub config: EngineConfig,
    /// Incident generation with this value applied.
    pub factory: IncidentFactory,
}

/// A (schedule, agency count) pair with its compiled coverage.
pub struct Cell {
    /// Index into the scenario's schedules.
    pub schedule: usize,
    /// Agency count.
    pub k: usize,
    /// The compiled plan.
    pub plan: CellPlan,
}

/// Everything needed to run a scenario's experiment.
pub struct Study {
    /// The scenario.
    pub scenario: Scenario,
    /// Sweep values (one variant without a sweep).
    pub variants: Vec<Variant>,
    /// Schedule × agency count cells, in output order.
    pub cells: Vec<Cell>,
    /// Replications per cell.
    pub replications: u32,
}

/// The result of one (variant, cell, replication).
pub struct RunResult {
    /// Index into [`Study::variants`].
    pub variant: usize,
    /// Index into [`Study::cells`].
    pub cell: usize,
    /// Replication number, from 0.
    pub replication: u32,
    /// Outcome summaries.
    pub stats: RunStats,
    /// Desk and rotation totals.
    pub totals: RunTotals,
    /// Every incident and its outcome, with `--trace`.
    pub trace: Option<Vec<(u32, Incident, Outcome)>>,
}

impl Study {
    /// Prepares a scenario (after command-line overrides) for running.
    pub fn new(scenario: Scenario) -> Result<Study, TraceError> {
        let base = EngineConfig::new(&scenario);
        let mut variants = Vec::new();
        match &scenario.sweep {
            None => variants.push(Variant {
                label: String::new(),
                value: f64::NAN,
                config: base.clone(),
                factory: IncidentFactory::new(&scenario)?,
            }),
            Some(sweep) => {
                for (label, &value) in sweep.labels.iter().zip(&sweep.values) {
                    let s = apply_sweep(&scenario, &sweep.parameter, value);
                    let factory = match (&sweep.parameter, &s.incidents.source) {
                        (SweepParameter::Rate, _) => IncidentFactory::with_rate(&s, value),
                        _ => IncidentFactory::new(&s)?,
                    };
                    variants.push(Variant {
                        label: label.clone(),
                        value,
                        config: EngineConfig::new(&s),
                        factory,
                    });
                }
            }
        }
        let mut cells = Vec::new();
        for &s in &scenario.experiment.schedules {
            for &k in &scenario.experiment.agency_counts {
                let coverage = schedule::compile(&scenario, &scenario.schedules[s], k);
                cells.push(Cell {
                    schedule: s,
                    k,
                    plan: CellPlan::new(&base, coverage, k),
                });
            }
        }
        Ok(Study {
            replications: scenario.experiment.replications,
            scenario,
            variants,
            cells,
        })
    }

    /// Runs every (variant, cell, replication), in parallel on the current rayon pool.
    /// Results come back ordered by variant, cell, then replication.
    pub fn run(&self, trace: bool) -> Vec<RunResult> {
        let items: Vec<(usize, u32)> = (0..self.variants.len())
            .flat_map(|v| (0..self.replications).map(move |r| (v, r)))
            .collect();
        let mut results: Vec<RunResult> = items
            .par_iter()
            .flat_map_iter(|&(v, r)| self.run_replication(v, r, trace))
            .collect();
        results.sort_by_key(|x| (x.variant, x.cell, x.replication));
        results
    }

    /// One replication of one variant against every cell: the incidents are generated
    /// once and replayed unchanged (common random numbers).
    pub fn run_replication(&self, variant: usize, replication: u32, trace: bool) -> Vec<RunResult> {
        let v = &self.variants[variant];
        let incidents = v.factory.generate(replication);
        (0..self.cells.len())
            .into_par_iter()
            .map(|c| self.run_cell(variant, c, replication, &incidents, trace))
            .collect()
    }

    fn run_cell(
        &self,
        variant: usize,
        cell: usize,
        replication: u32,
        incidents: &[Incident],
        trace: bool,
    ) -> RunResult {
        let v = &self.variants[variant];
        let exp = &self.scenario.experiment;
        let mut stats = RunStats::new(self.scenario.incidents.classes.len(), &exp.sla, exp.warmup);
        let plan = &self.cells[cell].plan;
        let (totals, trace) = if trace {
            let mut collect = Collect::default();
            let totals = simulate(&v.config, plan, incidents, &mut collect);
            let mut kept = Vec::new();
            for (i, o) in collect.outcomes.iter().enumerate() {
                let o = o.as_ref().expect("the engine decides every incident");
                crate::engine::Sink::record(&mut stats, i as u32, &incidents[i], o);
                if incidents[i].signal >= exp.warmup {
                    kept.push((i as u32, incidents[i], *o));
                }
            }
            (totals, Some(kept))
        } else {
            (simulate(&v.config, plan, incidents, &mut stats), None)
        };
        RunResult {
            variant,
            cell,
            replication,
            stats,
            totals,
            trace,
        }
    }
}

/// The scenario with one sweep value applied.
pub fn apply_sweep(scenario: &Scenario, parameter: &SweepParameter, value: f64) -> Scenario {
    let mut s = scenario.clone();
    let set_mean = |d: &mut Dist| {
        let mean = d.mean();
        *d = if mean.is_finite() && mean > 0.0 {
            d.scaled(value / mean).unwrap_or(Dist::Const(value))
        } else {
            Dist::Const(value)
        };
    };
    match parameter {
        SweepParameter::WatchStaff(None) => s
            .agencies
            .iter_mut()
            .for_each(|a| a.watch_staff = value as u32),
        SweepParameter::WatchStaff(Some(j)) => s.agencies[*j].watch_staff = value as u32,
        SweepParameter::Rate => {
            if let IncidentSource::Synthetic { rate } = &mut s.incidents.source {
                *rate = value;
            }
        }
        SweepParameter::Mean(stage) => match stage {
            Stage::Detect => s
                .incidents
                .classes
                .iter_mut()
                .for_each(|c| set_mean(&mut c.detect)),
            Stage::Triage => s
                .incidents
                .classes
                .iter_mut()
                .for_each(|c| set_mean(&mut c.triage)),
            Stage::Visibility => s
                .incidents
                .classes
                .iter_mut()
                .for_each(|c| set_mean(&mut c.visibility)),
            Stage::Handoff => set_mean(&mut s.watch.handoff),
            Stage::Domestic => set_mean(&mut s.referral.domestic),
            Stage::International => set_mean(&mut s.referral.international),
            Stage::ReferralIn => s
                .agencies
                .iter_mut()
                .for_each(|a| set_mean(&mut a.referral_in)),
            Stage::Police => {
                s.agencies.iter_mut().for_each(|a| set_mean(&mut a.police));
                set_mean(&mut s.referral.non_member_police);
            }
        },
    }
    s
}
