//! watchsim's benchmarks (one binary): `cargo bench`. Throughput is in incidents per
//! second where incidents flow.
//!
//! criterion is built without its plotters feature, so no font needs registering here.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardUniform};
use rand_xoshiro::Xoshiro256PlusPlus;
use watchsim::engine::{CellPlan, EngineConfig, Outcome, Simulation, Sink, simulate};
use watchsim::experiment::Study;

use watchsim::incidents::{ArrivalModel, HandoffDraw, Incident, IncidentFactory, derive_seed};
use watchsim::report::summary::{by_cell, comparisons, run_pooled, summary_rows};
use watchsim::scenario::units::Dist;
use watchsim::scenario::{Desk, IncidentSource, Scenario};
use watchsim::schedule;
use watchsim::stats::{RunSetup, RunStats};

/// The M/M/4 reduction: one agency on `always`, four analysts, exp(mean = 1h) triage at
/// 3.6/h, every other delay zero. 1 000 000 incidents is about 11 574 days.
const MM4: &str = include_str!("mm4.toml");

const FOUNDERS: &str = include_str!("../scenarios/founders-2006.toml");
const DEFAULT_STUDY: &str = include_str!("../scenarios/growing-roster.toml");

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "bench.toml").expect("valid benchmark scenario")
}

/// Benchmarks the engine alone (statistics included) on pre-generated incidents.
fn bench_engine(c: &mut Criterion, name: &str, scenario: &Scenario, schedule_name: &str, k: usize) {
    let config = EngineConfig::new(scenario);
    let spec = scenario
        .schedules
        .iter()
        .find(|s| s.name == schedule_name)
        .expect("schedule");
    let plan = CellPlan::new(&config, schedule::compile(scenario, spec, k), k);
    let incidents: Vec<Incident> = IncidentFactory::new(scenario)
        .expect("synthetic")
        .generate(0);
    let exp = &scenario.experiment;
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(incidents.len() as u64));
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                RunStats::new(&RunSetup {
                    classes: scenario.incidents.classes.len(),
                    sla: exp.sla.clone(),
                    warmup: exp.warmup,
                    horizon: exp.horizon(),
                    members: k,
                    windows: Vec::new(),
                })
            },
            |mut stats| {
                let totals = simulate(&config, &plan, &incidents, &mut stats);
                black_box((totals, stats))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn engine_mm4(c: &mut Criterion) {
    bench_engine(c, "mm4_1M_incidents", &scenario(MM4), "always", 1);
}

/// The same M/M/4 ten times longer: the per-incident cost must not grow with the run.
fn engine_mm4_long(c: &mut Criterion) {
    let text = MM4
        .replace("days = 11574", "days = 115740")
        .replace("[experiment]", "[experiment]\n# 10 M incidents");
    bench_engine(c, "mm4_10M_incidents", &scenario(&text), "always", 1);
}

fn engine_founders(c: &mut Criterion) {
    let text = FOUNDERS.replace("days = 364", "days = 3640");
    bench_engine(
        c,
        "founders_follow_the_sun_k4",
        &scenario(&text),
        "follow-the-sun",
        4,
    );
}

fn incident_generation(c: &mut Criterion) {
    let s = scenario(&FOUNDERS.replace("days = 364", "days = 3640"));
    let factory = IncidentFactory::new(&s).expect("synthetic");
    let n = factory.generate(0).len() as u64;
    let mut group = c.benchmark_group("incidents");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.bench_function("generate_founders_10y", |b| {
        b.iter(|| black_box(factory.stream(0, 0).count()))
    });
    group.finish();
}

/// The baseline for [`incident_draws`]: the per-incident seeding watchsim used before
/// its per-quantity streams. Every draw of incident `i` came from one
/// `Xoshiro256PlusPlus` seeded per (seed, replication, incident), in a fixed order.
/// Kept here only to measure against; the arrivals are the library's own.
struct SeededPerIncident {
    arrivals: ArrivalModel,
    seed: u64,
    cumulative_shares: Vec<f64>,
    /// Per class: visibility, detect, triage.
    classes: Vec<[Dist; 3]>,
    /// Per agency: referral_in, callout, police.
    agencies: Vec<[Dist; 3]>,
    /// domestic, international, non_member_police.
    referral: [Dist; 3],
}

impl SeededPerIncident {
    fn new(s: &Scenario) -> SeededPerIncident {
        let IncidentSource::Synthetic { rate } = s.incidents.source else {
            panic!("a synthetic scenario");
        };
        let mut acc = 0.0;
        SeededPerIncident {
            arrivals: ArrivalModel::new(s, rate),
            seed: s.experiment.seed,
            cumulative_shares: s
                .incidents
                .classes
                .iter()
                .map(|c| {
                    acc += c.share;
                    acc
                })
                .collect(),
            classes: s
                .incidents
                .classes
                .iter()
                .map(|c| [c.visibility, c.detect, c.triage])
                .collect(),
            agencies: s
                .agencies
                .iter()
                .map(|a| {
                    let callout = match &a.desk {
                        Desk::Hours {
                            callout: Some(c), ..
                        } => *c,
                        _ => Dist::Const(0.0),
                    };
                    [a.referral_in, callout, a.police]
                })
                .collect(),
            referral: [
                s.referral.domestic,
                s.referral.international,
                s.referral.non_member_police,
            ],
        }
    }

    /// The incidents of replication `rep`, as the old scheme drew them.
    fn stream(&self, rep: u64) -> impl Iterator<Item = Incident> + '_ {
        self.arrivals.arrivals(self.seed, rep).enumerate().map(
            move |(index, (signal, jurisdiction))| {
                // 2: the draws' stream number in the library.
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                    self.seed,
                    &[2, rep, index as u64],
                ));
                let u: f64 = StandardUniform.sample(&mut rng);
                let class = self
                    .cumulative_shares
                    .partition_point(|&c| c <= u)
                    .min(self.classes.len() - 1);
                let [visibility, detect, triage] = &self.classes[class];
                let zero = [Dist::Const(0.0); 3];
                let own = jurisdiction
                    .and_then(|j| self.agencies.get(usize::from(j)))
                    .unwrap_or(&zero);
                let [domestic, international, non_member_police] = &self.referral;
                Incident {
                    signal,
                    jurisdiction,
                    class: class as u8,
                    visibility: visibility.sample(&mut rng),
                    detect: detect.sample(&mut rng),
                    triage: triage.sample(&mut rng),
                    domestic: domestic.sample(&mut rng),
                    cross_border: own[0].sample(&mut rng),
                    international: international.sample(&mut rng),
                    callout: own[1].sample(&mut rng),
                    police: own[2].sample(&mut rng),
                    non_member_police: non_member_police.sample(&mut rng),
                    handoff: HandoffDraw::Keyed(rng.next_u64() & !(1 << 63)),
                }
            },
        )
    }
}

/// Incident generation with the per-quantity counter-based streams against the
/// per-incident seeding they replaced (arrivals included in both): ten years of the
/// founders' scenario, incidents per second.
fn incident_draws(c: &mut Criterion) {
    let s = scenario(&FOUNDERS.replace("days = 364", "days = 3640"));
    let factory = IncidentFactory::new(&s).expect("synthetic");
    let baseline = SeededPerIncident::new(&s);
    let n = factory.stream(0, 0).count() as u64;
    assert_eq!(baseline.stream(0).count() as u64, n, "the same arrivals");
    let mut group = c.benchmark_group("incident_draws");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.bench_function("per_quantity_counter_based_founders_10y", |b| {
        b.iter(|| {
            factory.stream(0, 0).for_each(|i| {
                black_box(i);
            })
        })
    });
    group.bench_function("per_incident_seeding_founders_10y", |b| {
        b.iter(|| {
            baseline.stream(0).for_each(|i| {
                black_box(i);
            })
        })
    });
    group.finish();
}

fn schedule_compilation(c: &mut Criterion) {
    let s = scenario(DEFAULT_STUDY);
    let mut group = c.benchmark_group("schedule");
    group.bench_function("compile_year_growing_roster_all_kinds_k15", |b| {
        b.iter(|| {
            for spec in &s.schedules {
                black_box(schedule::compile(&s, spec, 15));
            }
        })
    });
    group.finish();
}

fn statistics(c: &mut Criterion) {
    let s = scenario(&FOUNDERS.replace("replications = 20", "replications = 5"));
    let study = Study::new(s).expect("synthetic");
    let results = study.run(false);
    let mut group = c.benchmark_group("stats");
    group.sample_size(10);
    group.bench_function("aggregate_founders_5reps", |b| {
        b.iter(|| {
            let cells = by_cell(&study, &results);
            black_box((
                summary_rows(&study, &cells),
                comparisons(&study, &cells).len(),
            ))
        })
    });
    group.finish();
}

fn default_study(c: &mut Criterion) {
    // The default study with 2 replications instead of 10, simulation and statistics.
    let s = scenario(&DEFAULT_STUDY.replace("replications = 10", "replications = 2"));
    let study = Study::new(s).expect("synthetic");
    let n: u64 = study.run(false).iter().map(|r| r.stats.counted()).sum();
    let mut group = c.benchmark_group("study");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.bench_function("default_study_2reps", |b| {
        b.iter(|| {
            let results = study.run(false);
            let cells = by_cell(&study, &results);
            black_box(summary_rows(&study, &cells))
        })
    });
    group.finish();
}

/// The default study (10 replications, simulation and pooling) on one thread and on
/// two: the speed-up of the second core.
fn default_study_threads(c: &mut Criterion) {
    let study = Study::new(scenario(DEFAULT_STUDY)).expect("synthetic");
    let mut group = c.benchmark_group("study");
    group.sample_size(10);
    one_and_two_threads(&mut group, "default_study", &study);
    group.finish();
}

/// `NAME_1_threads` and `NAME_2_threads`: the study simulated and pooled on a pool of
/// one thread and of two.
fn one_and_two_threads(
    group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    name: &str,
    study: &Study,
) {
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        group.bench_function(format!("{name}_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| black_box(run_pooled(study).len())))
        });
    }
}

fn sweep_threads(c: &mut Criterion) {
    // The staffing sweep (5 staffing levels × 2 schedules), 4 replications: one thread
    // against two, same work.
    let text =
        include_str!("../scenarios/staffing.toml").replace("replications = 20", "replications = 4");
    let study = Study::new(scenario(&text)).expect("synthetic");
    let n: u64 = study.run(false).iter().map(|r| r.stats.counted()).sum();
    let mut group = c.benchmark_group("sweep");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    one_and_two_threads(&mut group, "staffing_4reps", &study);
    group.finish();
}

/// The bare event loop issue 18 measures watchsim against: M/M/4 (λ = 3.6/h, μ = 1/h),
/// a binary heap of (time, sequence, kind), exponential draws from one generator `R`,
/// FIFO queue, mean wait. A few dozen lines: what any simulator of this queue must at
/// least do.
fn minimal_mm4<R: Rng + SeedableRng>(customers: u64, seed: u64) -> f64 {
    use rand_distr::Exp;
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};
    let mut rng = R::seed_from_u64(seed);
    let arrival: Exp<f64> = Exp::new(3.6 / 3600.0).expect("rate");
    let service: Exp<f64> = Exp::new(1.0 / 3600.0).expect("rate");
    // (time bits, sequence, kind: 0 departure, 1 arrival)
    let mut events: BinaryHeap<Reverse<(u64, u64, u8)>> = BinaryHeap::new();
    let mut queue: VecDeque<f64> = VecDeque::new();
    let (mut busy, mut seq, mut arrived, mut served) = (0u32, 0u64, 0u64, 0u64);
    let mut waited = 0.0f64;
    events.push(Reverse((arrival.sample(&mut rng).to_bits(), seq, 1)));
    while let Some(Reverse((t, _, kind))) = events.pop() {
        let now = f64::from_bits(t);
        seq += 1;
        if kind == 1 {
            arrived += 1;
            if arrived < customers {
                let next = now + arrival.sample(&mut rng);
                events.push(Reverse((next.to_bits(), seq, 1)));
            }
            if busy < 4 {
                busy += 1;
                served += 1;
                let done = now + service.sample(&mut rng);
                events.push(Reverse((done.to_bits(), seq, 0)));
            } else {
                queue.push_back(now);
            }
        } else if let Some(since) = queue.pop_front() {
            waited += now - since;
            served += 1;
            let done = now + service.sample(&mut rng);
            events.push(Reverse((done.to_bits(), seq, 0)));
        } else {
            busy -= 1;
        }
    }
    waited / served as f64
}

/// Side by side, in one sitting: the bare loop and watchsim's whole M/M/4 study (incident
/// generation, engine and statistics, one thread), 10 M customers each.
fn baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000_000));
    // The yardstick: the loop with the generator watchsim itself uses, the faster of
    // the two.
    group.bench_function("minimal_loop_mm4_10M", |b| {
        b.iter(|| black_box(minimal_mm4::<Xoshiro256PlusPlus>(10_000_000, 1)))
    });
    // The loop exactly as the issue describes it, with `StdRng` (ChaCha12).
    group.bench_function("minimal_loop_mm4_10M_stdrng", |b| {
        b.iter(|| black_box(minimal_mm4::<rand::rngs::StdRng>(10_000_000, 1)))
    });
    let text = MM4
        .replace("days = 11574", "days = 115740")
        .replace("[experiment]", "[experiment]\n# 10 M incidents");
    let study = Study::new(scenario(&text)).expect("synthetic");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread");
    // The same run's incidents through the engine with no statistics (a sum of the
    // alert → response times, as the bare loop keeps a sum of waits): how much of the
    // 2× budget generation and the engine leave for the summaries and outputs.
    let cell = &study.cells[0];
    let (config, factory) = (&study.variants[0].config, &study.variants[0].factory);
    group.bench_function("watchsim_engine_no_statistics_mm4_10M", |b| {
        b.iter(|| {
            let mut sim = Simulation::new(config, &cell.plan, MeanOnly::default());
            sim.advance_all(factory.stream(0, 0));
            black_box(sim.finish().1.mean())
        })
    });
    group.bench_function("watchsim_study_mm4_10M_1_thread", |b| {
        b.iter(|| pool.install(|| black_box(study.run(false).len())))
    });
    // The whole process, as a planner runs it: parse, set up, simulate, write every
    // table, chart and the page.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("mm4-10M.toml");
    std::fs::write(&file, &text).expect("scenario written");
    group.bench_function("watchsim_process_mm4_10M_1_thread", |b| {
        b.iter(|| {
            watchsim_process(
                &[file.to_str().expect("UTF-8"), "-j", "1"],
                &dir.path().join("mm4"),
            )
        })
    });
    group.finish();
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.bench_function("watchsim_process_default_study_2_threads", |b| {
        b.iter(|| watchsim_process(&["-j", "2"], &dir.path().join("default")))
    });
    group.finish();
}

/// A sink that keeps only the mean alert → response time of the responded incidents.
#[derive(Default)]
struct MeanOnly {
    sum: f64,
    n: u64,
}

impl MeanOnly {
    fn mean(&self) -> f64 {
        self.sum / self.n as f64
    }
}

impl Sink for MeanOnly {
    fn record(&mut self, _index: u32, _incident: &Incident, outcome: &Outcome) {
        if outcome.response.is_finite() {
            self.sum += outcome.alert_to_response();
            self.n += 1;
        }
    }
}

/// Runs `watchsim run ARGS --quiet --out OUT` as a process.
fn watchsim_process(args: &[&str], out: &std::path::Path) {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_watchsim"))
        .arg("run")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("watchsim runs");
    assert!(status.success());
}

fn optimiser(c: &mut Criterion) {
    // The staffing search of scenarios/staffing.toml's [optimise] table, end to end
    // (search and confirmation): a replication's incidents are generated once and
    // replayed against every candidate, schedules compiled once per schedule.
    let s = scenario(include_str!("../scenarios/staffing.toml"));
    let evaluations = watchsim::optimise::optimise(&s, &watchsim::optimise::Quiet)
        .expect("synthetic")
        .evaluations
        .len() as u64;
    let mut group = c.benchmark_group("optimise");
    group.throughput(Throughput::Elements(evaluations));
    group.sample_size(10);
    group.bench_function("staffing_toml_search", |b| {
        b.iter(|| {
            black_box(
                watchsim::optimise::optimise(&s, &watchsim::optimise::Quiet)
                    .expect("synthetic")
                    .evaluations
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    optimiser,
    baseline,
    engine_mm4,
    engine_mm4_long,
    engine_founders,
    incident_generation,
    incident_draws,
    schedule_compilation,
    statistics,
    default_study,
    default_study_threads,
    sweep_threads
);
criterion_main!(benches);
