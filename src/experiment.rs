//! Replications × schedules × agency counts (× sweep values), run in parallel with
//! results in a fixed order, so outputs do not depend on the thread count.

use rayon::prelude::*;

use crate::engine::{CellPlan, EngineConfig, Outcome, RunTotals, Simulation, Sink, in_chunks};
use crate::incidents::{Incident, IncidentFactory, TraceError};
use crate::scenario::units::{Dist, TimeOfDay};
use crate::scenario::{Desk, IncidentSource, Scenario, Stage, SweepParameter};
use crate::schedule;
use crate::stats::{RunSetup, RunStats};

/// One value of a sweep (or the scenario as written): its engine view and incidents.
pub struct Variant {
    /// The sweep value as written and as a number; `None` for the scenario as written
    /// (no sweep).
    pub sweep: Option<(String, f64)>,
    /// The engine's view of the scenario with this value applied.
    pub config: EngineConfig,
    /// Incident generation with this value applied.
    pub factory: IncidentFactory,
    /// The cells' plans with this value applied, when it changes them (a sweep of
    /// `desk.close` changes when desks accept referrals); `None`: the cells' own.
    pub plans: Option<Vec<CellPlan>>,
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
    /// Give every cell its own random streams instead of common random numbers (only
    /// to show what common random numbers gain).
    pub independent_streams: bool,
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
                sweep: None,
                config: base.clone(),
                factory: IncidentFactory::new(&scenario)?,
                plans: None,
            }),
            Some(sweep) => {
                for (label, &value) in sweep.labels.iter().zip(&sweep.values) {
                    let s = apply_sweep(&scenario, &sweep.parameter, value);
                    let factory = match (&sweep.parameter, &s.incidents.source) {
                        (SweepParameter::Rate, _) => IncidentFactory::with_rate(&s, value),
                        _ => IncidentFactory::new(&s)?,
                    };
                    variants.push(Variant {
                        sweep: Some((label.clone(), value)),
                        config: EngineConfig::new(&s),
                        factory,
                        plans: None,
                    });
                }
            }
        }
        let pairs: Vec<(usize, usize)> = scenario
            .experiment
            .schedules
            .iter()
            .flat_map(|&s| {
                scenario
                    .experiment
                    .agency_counts
                    .iter()
                    .map(move |&k| (s, k))
            })
            .collect();
        // Each cell's calendar is compiled on its own, side by side.
        let cells: Vec<Cell> = pairs
            .par_iter()
            .map(|&(s, k)| Cell {
                schedule: s,
                k,
                plan: CellPlan::new(
                    &base,
                    schedule::compile(&scenario, &scenario.schedules[s], k),
                    k,
                ),
            })
            .collect();
        if matches!(
            scenario.sweep.as_ref().map(|s| &s.parameter),
            Some(SweepParameter::DeskClose(_))
        ) {
            for v in &mut variants {
                v.plans = Some(
                    cells
                        .iter()
                        .map(|c| CellPlan::new(&v.config, c.plan.coverage.clone(), c.k))
                        .collect(),
                );
            }
        }
        Ok(Study {
            scenario,
            variants,
            cells,
            independent_streams: false,
        })
    }

    /// Replications per cell (the scenario's, after command-line overrides).
    pub fn replications(&self) -> u32 {
        self.scenario.experiment.replications
    }

    /// The sweep value of variant `v` as written; `None` without a sweep.
    pub fn variant_label(&self, v: usize) -> Option<String> {
        self.variants[v]
            .sweep
            .as_ref()
            .map(|(label, _)| label.clone())
    }

    /// The dated outage windows of the study's schedules, each once: (member, start,
    /// end), in seconds, sorted. Incidents signalled in them are summarised apart so
    /// that every schedule can be compared over the same incidents.
    pub fn outage_windows(&self) -> Vec<(usize, f64, f64)> {
        let mut windows: Vec<(usize, f64, f64)> = Vec::new();
        for &s in &self.scenario.experiment.schedules {
            for o in &self.scenario.schedules[s].outages {
                let w = (o.agency, o.from, o.to);
                if !windows.contains(&w) {
                    windows.push(w);
                }
            }
        }
        windows.sort_by(|a, b| {
            (a.1, a.2, a.0)
                .partial_cmp(&(b.1, b.2, b.0))
                .expect("finite")
        });
        windows
    }

    /// What a run of `cell` summarises.
    pub fn run_setup(&self, cell: usize) -> RunSetup {
        let exp = &self.scenario.experiment;
        RunSetup {
            classes: self.scenario.incidents.classes.len(),
            sla: exp.sla.clone(),
            warmup: exp.warmup,
            horizon: exp.horizon(),
            members: self.cells[cell].k,
            windows: self
                .outage_windows()
                .iter()
                .map(|&(_, a, b)| (a, b))
                .collect(),
        }
    }

    /// The work items: one per (variant, replication), each running every cell.
    pub fn items(&self) -> Vec<(usize, u32)> {
        let replications = self.replications();
        (0..self.variants.len())
            .flat_map(|v| (0..replications).map(move |r| (v, r)))
            .collect()
    }

    /// Runs every (variant, cell, replication), in parallel on the current rayon pool.
    /// Results come back ordered by variant, cell, then replication.
    pub fn run(&self, trace: bool) -> Vec<RunResult> {
        let mut results: Vec<RunResult> = self
            .items()
            .par_iter()
            .flat_map_iter(|&(v, r)| self.run_item(v, r, trace))
            .collect();
        results.sort_by_key(|x| (x.variant, x.cell, x.replication));
        results
    }

    /// One replication of one variant against every cell. The incidents are generated
    /// once and replayed unchanged against each cell (common random numbers), unless
    /// the study uses independent streams, where each cell draws its own.
    pub fn run_item(&self, variant: usize, replication: u32, trace: bool) -> Vec<RunResult> {
        let mut out = Vec::with_capacity(self.cells.len());
        self.run_item_with(variant, replication, trace, &mut |r| out.push(r));
        out
    }

    /// [`Study::run_item`], handing each cell's run to `each` in cell order, as early
    /// as it can: when the replication's incidents are few enough to keep, each cell
    /// runs over them start to finish and is handed over at once, so only one run's
    /// summaries are being built at a time.
    pub fn run_item_with(
        &self,
        variant: usize,
        replication: u32,
        trace: bool,
        each: &mut dyn FnMut(RunResult),
    ) {
        if self.independent_streams {
            let runs: Vec<RunResult> = (0..self.cells.len())
                .into_par_iter()
                .map(|c| {
                    let stream = self.variants[variant]
                        .factory
                        .stream(replication, c as u64 + 1);
                    let mut one = None;
                    self.run_cells(variant, replication, stream, &[c], trace, &mut |r| {
                        one = Some(r)
                    });
                    one.expect("a run per cell")
                })
                .collect();
            runs.into_iter().for_each(each);
            return;
        }
        let stream = self.variants[variant].factory.stream(replication, 0);
        let cells: Vec<usize> = (0..self.cells.len()).collect();
        self.run_cells(variant, replication, stream, &cells, trace, each)
    }

    /// Runs `cells` over one incident stream, generated once: one cell after another
    /// over the kept incidents when there are at most [`KEEP`] of them, else side by
    /// side a chunk at a time, so that a long stream is never held whole.
    fn run_cells(
        &self,
        variant: usize,
        replication: u32,
        mut stream: impl Iterator<Item = Incident>,
        cells: &[usize],
        trace: bool,
        each: &mut dyn FnMut(RunResult),
    ) {
        let v = &self.variants[variant];
        let exp = &self.scenario.experiment;
        let simulation = |c: usize| {
            let sink = CellSink {
                stats: RunStats::new(&self.run_setup(c)),
                trace: trace.then(Vec::new),
                warmup: exp.warmup,
            };
            let plan = v.plans.as_ref().map_or(&self.cells[c].plan, |p| &p[c]);
            Simulation::new(&v.config, plan, sink)
        };
        let done = |sim: Simulation<CellSink>, cell: usize| {
            let (totals, sink) = sim.finish();
            let trace = sink.trace.map(|mut t| {
                t.sort_by_key(|x| x.0);
                t
            });
            RunResult {
                variant,
                cell,
                replication,
                stats: sink.stats,
                totals,
                trace,
            }
        };
        if cells.len() > 1 {
            let kept: Vec<Incident> = stream.by_ref().take(KEEP + 1).collect();
            if kept.len() <= KEEP {
                let run = |c: usize| {
                    let mut sim = simulation(c);
                    sim.advance(&kept, 0, f64::INFINITY);
                    done(sim, c)
                };
                if self.too_few_items() {
                    // Too few items to keep every thread busy: the cells share them.
                    let runs: Vec<RunResult> = cells.par_iter().map(|&c| run(c)).collect();
                    runs.into_iter().for_each(each);
                } else {
                    cells.iter().for_each(|&c| each(run(c)));
                }
                return;
            }
            // Too many to keep: side by side, from the start again.
            return self.run_side_by_side(
                kept.into_iter().chain(stream),
                cells,
                &simulation,
                &done,
                each,
            );
        }
        self.run_side_by_side(stream, cells, &simulation, &done, each)
    }

    /// Whether the study has fewer work items than the rayon pool has threads.
    fn too_few_items(&self) -> bool {
        self.variants.len() * (self.replications() as usize) < rayon::current_num_threads()
    }

    /// Runs `cells` side by side over one stream, a chunk at a time.
    fn run_side_by_side<'a>(
        &'a self,
        stream: impl Iterator<Item = Incident>,
        cells: &[usize],
        simulation: &dyn Fn(usize) -> Simulation<'a, CellSink>,
        done: &dyn Fn(Simulation<'a, CellSink>, usize) -> RunResult,
        each: &mut dyn FnMut(RunResult),
    ) {
        let mut sims: Vec<Simulation<CellSink>> = cells.iter().map(|&c| simulation(c)).collect();
        // Cells of one item run side by side only when there are too few items to keep
        // every thread busy: otherwise the per-chunk hand-offs cost more than they gain.
        let side_by_side = sims.len() > 1 && self.too_few_items();
        feed(&mut sims, stream, side_by_side);
        for (sim, &cell) in sims.into_iter().zip(cells) {
            each(done(sim, cell));
        }
    }
}

/// The most incidents of one replication kept in memory to run its cells one after
/// another (a few tens of MB): beyond, the cells run side by side over the stream.
const KEEP: usize = 1 << 18;

impl Study {
    /// Runs replication `replication` of cell `cell` (of the scenario as written, no
    /// sweep value) once under each engine configuration of `configs` (e.g. staffings),
    /// side by side over the same incidents: common random numbers across
    /// configurations. `incidents` are the replication's incidents when already made;
    /// else they are generated on the way.
    pub fn run_configs(
        &self,
        cell: usize,
        replication: u32,
        configs: &[EngineConfig],
        incidents: Option<&[Incident]>,
    ) -> Vec<(RunStats, RunTotals)> {
        let setup = self.run_setup(cell);
        let warmup = self.scenario.experiment.warmup;
        let plan = &self.cells[cell].plan;
        let mut sims: Vec<Simulation<CellSink>> = configs
            .iter()
            .map(|config| {
                let sink = CellSink {
                    stats: RunStats::new(&setup),
                    trace: None,
                    warmup,
                };
                Simulation::new(config, plan, sink)
            })
            .collect();
        match incidents {
            // Kept incidents: each configuration runs over them start to finish.
            Some(all) => sims
                .iter_mut()
                .for_each(|s| s.advance(all, 0, f64::INFINITY)),
            None => feed(
                &mut sims,
                self.variants[0].factory.stream(replication, 0),
                false,
            ),
        }
        sims.into_iter()
            .map(|sim| {
                let (totals, sink) = sim.finish();
                (sink.stats, totals)
            })
            .collect()
    }
}

/// Feeds an incident stream to simulations a chunk at a time, so that it is generated
/// once and never held whole; on the thread pool side by side when `parallel`.
fn feed(sims: &mut [Simulation<CellSink>], stream: impl Iterator<Item = Incident>, parallel: bool) {
    in_chunks(stream, |chunk, first, until| {
        if parallel {
            sims.par_iter_mut()
                .for_each(|s| s.advance(chunk, first, until));
        } else {
            sims.iter_mut().for_each(|s| s.advance(chunk, first, until));
        }
    });
}

/// A cell's sink: summaries, and with `--trace` every counted incident.
struct CellSink {
    stats: RunStats,
    trace: Option<Vec<(u32, Incident, Outcome)>>,
    warmup: f64,
}

impl Sink for CellSink {
    #[inline]
    fn record(&mut self, index: u32, incident: &Incident, outcome: &Outcome) {
        self.stats.record(index, incident, outcome);
        if let Some(t) = &mut self.trace
            && incident.signal >= self.warmup
        {
            t.push((index, *incident, *outcome));
        }
    }

    fn finish(&mut self) {
        self.stats.finish();
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
        SweepParameter::CalloutMean(which) => {
            for (j, a) in s.agencies.iter_mut().enumerate() {
                if which.is_none_or(|w| w == j)
                    && let Desk::Hours {
                        callout: Some(c), ..
                    } = &mut a.desk
                {
                    set_mean(c);
                }
            }
        }
        SweepParameter::DeskClose(which) => {
            for (j, a) in s.agencies.iter_mut().enumerate() {
                if which.is_none_or(|w| w == j)
                    && let Desk::Hours { close, .. } = &mut a.desk
                {
                    *close = TimeOfDay(value as u32);
                }
            }
        }
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
