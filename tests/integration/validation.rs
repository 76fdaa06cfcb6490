//! More textbook systems with exact answers, run as real simulations with replications
//! and compared through a Student-t 99.9 % confidence interval whose half-width is at
//! most 3 % of the exact value (see `textbook.rs`): the variance of a pipeline, an
//! office-hours desk, arrivals per local hour (chi-square), Little's law.
//!
//! These tests run the engine directly with a [`Collect`] sink (what `--trace` writes),
//! so that they can look at every incident.

use chrono::{Datelike, Timelike};
use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};
use watchsim::engine::{CellPlan, Collect, EngineConfig, Outcome, RunTotals, Status, simulate};
use watchsim::incidents::{Incident, IncidentFactory};
use watchsim::scenario::Scenario;
use watchsim::schedule::{self, Horizon};

use crate::textbook::assert_exact;

/// One replication of the first schedule at the full roster: incidents, outcomes, totals.
struct Run {
    incidents: Vec<Incident>,
    outcomes: Vec<Outcome>,
    totals: RunTotals,
}

fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml(toml, "validation.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `replications` replications of the scenario's first schedule at the full roster.
fn replicate(toml: &str) -> (Scenario, Vec<Run>) {
    let s = scenario(toml);
    let runs = replicate_map(&s, |run| run);
    (s, runs)
}

/// Runs every replication of the scenario's first schedule at the full roster and
/// reduces each with `f` as soon as it is done, so that long horizons fit in memory.
fn replicate_map<T: Send>(s: &Scenario, f: impl Fn(Run) -> T + Sync) -> Vec<T> {
    let k = s.agencies.len();
    let config = EngineConfig::new(s);
    let plan = CellPlan::new(&config, schedule::compile(s, &s.schedules[0], k), k);
    let factory = IncidentFactory::new(s).expect("synthetic");
    (0..s.experiment.replications)
        .into_par_iter()
        .map(|r| {
            let incidents = factory.generate(r);
            let mut sink = Collect::default();
            let totals = simulate(&config, &plan, &incidents, &mut sink);
            let outcomes: Vec<Outcome> = sink
                .outcomes
                .into_iter()
                .map(|o| o.expect("every incident ends"))
                .collect();
            assert_eq!(outcomes.len(), incidents.len());
            f(Run {
                incidents,
                outcomes,
                totals,
            })
        })
        .collect()
}

/// Sample variance (n − 1 denominator).
fn sample_variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

#[test]
fn pipeline_variance_is_the_sum_of_stage_variances() {
    // No queueing (1000 analysts for 80 incidents a day), instant detection: alert →
    // response = triage + domestic referral + police, three independent draws. The
    // variance of a sum of independent variables is the sum of their variances (e.g.
    // Ross, A First Course in Probability, §7.4):
    //   exp(mean=20m):            Var = 20²                 = 400 min²
    //   uniform(5m, 15m):         Var = (15 − 5)²/12        = 8.333 min²
    //   gamma(mean=30m, sd=10m):  Var = 10²                 = 100 min²
    //   total                                               = 508.333 min²
    // The per-replication sample variance is an unbiased estimator of it; its mean over
    // independent replications gets a Student-t CI. The means add up too: 20 + 10 + 30.
    let toml = r#"
name = "pipeline-variance"
[experiment]
seed = 11
replications = 30
days = 200
[incidents]
rate = "80/day"
[watch]
triage = "exp(mean=20m)"
[referral]
domestic = "uniform(5m, 15m)"
[[agency]]
id = "a"
tz = "UTC"
weight = 1.0
watch_staff = 1000
police = "gamma(mean=30m, sd=10m)"
[[schedule]]
name = "always"
kind = "always"
"#;
    let (s, runs) = replicate(toml);
    // Incidents signalled a day before the horizon or earlier have all responded, so
    // nothing is censored.
    let cutoff = s.experiment.horizon() - 86_400.0;
    let mut variances = Vec::new();
    let mut means = Vec::new();
    for run in &runs {
        let minutes: Vec<f64> = run
            .incidents
            .iter()
            .zip(&run.outcomes)
            .filter(|(i, _)| i.signal < cutoff)
            .map(|(_, o)| {
                assert_eq!(o.status, Status::Responded);
                assert!(o.queue.abs() < 1e-6, "no queueing with 1000 analysts");
                o.alert_to_response() / 60.0
            })
            .collect();
        assert!(minutes.len() > 1500);
        variances.push(sample_variance(&minutes));
        means.push(minutes.iter().sum::<f64>() / minutes.len() as f64);
    }
    assert_exact(
        &variances,
        400.0 + 100.0 / 12.0 + 100.0,
        "pipeline variance (min²)",
    );
    assert_exact(&means, 60.0, "pipeline mean (min)");
}

#[test]
fn office_hours_desk_wait() {
    // A watch-only member holds the watch around the clock; the responsible country's
    // referral desk opens 09:00–17:00 Mon–Fri local time (Asia/Tokyo: no daylight
    // saving), with no call-out; every other delay is zero and arrivals are flat. A
    // referral then reaches the desk at a uniformly random instant of the week, and waits
    // until the next opening if it is closed. For a uniform instant in a cycle of length
    // T with closed intervals g₁, g₂, …, the mean wait is Σ gᵢ²/2 / T (the residual-time
    // argument of renewal theory, e.g. Ross, Introduction to Probability Models, §7.5):
    // the closed intervals of a week are four nights of 16 h (Mon–Thu 17:00 → 09:00) and
    // one weekend of 64 h (Fri 17:00 → Mon 09:00), so
    //   E[wait] = (4·16² + 64²)/2 / 168 = (1024 + 4096)/2/168 = 2560/168 = 15.238 h.
    // The horizon is 52 whole weeks from a Monday (plus a day so that the last weekend's
    // referrals are answered); only signals in the 52 weeks count.
    let toml = r#"
name = "office-hours"
[experiment]
seed = 5
replications = 30
days = 365
start = "2026-01-05"
[incidents]
rate = "10/day"
[[agency]]
id = "watch"
tz = "UTC"
weight = 0
[[agency]]
id = "jp"
tz = "Asia/Tokyo"
weight = 1.0
desk = { open = "09:00", close = "17:00", days = "Mon-Fri" }
[[schedule]]
name = "watch-only"
kind = "blocks"
blocks = [ { agency = "watch", from = "00:00", to = "24:00", tz = "UTC" } ]
"#;
    let (_, runs) = replicate(toml);
    let weeks = 52.0 * 7.0 * 86_400.0;
    let waits: Vec<f64> = runs
        .iter()
        .map(|run| {
            let w: Vec<f64> = run
                .incidents
                .iter()
                .zip(&run.outcomes)
                .filter(|(i, _)| i.signal < weeks)
                .map(|(_, o)| {
                    assert_eq!(o.status, Status::Responded);
                    assert_eq!(o.watch_agency, Some(0), "the watch-only member triages");
                    o.desk / 3600.0
                })
                .collect();
            w.iter().sum::<f64>() / w.len() as f64
        })
        .collect();
    assert_exact(&waits, 2560.0 / 168.0, "office-hours desk wait (h)");
}

#[test]
fn arrivals_per_local_hour_and_weekday_follow_the_profile() {
    // Arrivals are a non-homogeneous Poisson process whose intensity for a jurisdiction
    // is proportional to profile[local hour] × weekday[local day]. Given the total count
    // N, the counts in the 168 (local weekday, local hour) cells are multinomial with
    // p_cell ∝ ∫_cell intensity dt, so Pearson's X² = Σ (O − E)²/E is χ² with 167 degrees
    // of freedom (Pearson 1900; e.g. Agresti, Categorical Data Analysis, §1.5). E is
    // integrated exactly over the horizon in 15-minute UTC steps (every offset of these
    // zones is a multiple of 15 minutes), so daylight saving (London's short and long
    // days) is part of the expectation. Under the null hypothesis E[X²] = 167 exactly (each
    // cell contributes E[(O − E)²/E] = 1 − p), so the mean X² over replications gets a
    // CI; the counts pooled over every replication must also pass at the 99.9 % quantile.
    // The total count per replication is Poisson: its mean gets a CI too. X² has a
    // standard deviation of √334 ≈ 18.3 (11 % of its mean) whatever the horizon, so a
    // 99.9 % interval within 3 % of 167 takes a few hundred replications (each is cheap:
    // arrivals only, generated once for both jurisdictions).
    let toml = r#"
name = "profile"
[experiment]
seed = 2024
replications = 320
days = 364
start = "2026-01-05"
[incidents]
rate = "60/day"
profile = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 0.8, 1, 1.2, 1.3, 1.4, 1.5, 1.4, 1.3, 1.2, 1.3, 1.5, 1.8, 2.2, 2.6, 2.8, 2.4, 1.6]
weekday = [1, 0.9, 0.9, 1, 1.2, 1.6, 1.4]
rest_of_world = 0
[[agency]]
id = "uk"
tz = "Europe/London"
weight = 0.6
[[agency]]
id = "in"
tz = "Asia/Kolkata"
weight = 0.4
[[schedule]]
name = "always"
kind = "always"
"#;
    let s = scenario(toml);
    let horizon = Horizon::of(&s);
    let factory = IncidentFactory::new(&s).expect("synthetic");
    let cell = |j: usize, t: f64| {
        let local = horizon.instant(t).with_timezone(&s.agencies[j].tz);
        local.weekday().num_days_from_monday() as usize * 24 + local.hour() as usize
    };
    let all_counts: Vec<[[f64; 168]; 2]> = (0..s.experiment.replications)
        .into_par_iter()
        .map(|r| {
            let mut counts = [[0.0f64; 168]; 2];
            for i in factory.generate(r) {
                let j = usize::from(i.jurisdiction.expect("both countries are on the roster"));
                counts[j][cell(j, i.signal)] += 1.0;
            }
            counts
        })
        .collect();
    for (j, share) in [(0usize, 0.6), (1, 0.4)] {
        // Expected shape: ∫ profile × weekday over each cell, in 15-minute steps.
        let mut mass = [0.0f64; 168];
        let step = 900.0;
        let mut t = 0.0;
        while t < horizon.length {
            let c = cell(j, t);
            mass[c] += s.incidents.profile[c % 24] * s.incidents.weekday[c / 24] * step;
            t += step;
        }
        let total_mass: f64 = mass.iter().sum();
        let results: Vec<[f64; 168]> = all_counts.iter().map(|c| c[j]).collect();
        let pearson = |counts: &[f64; 168]| -> f64 {
            let n: f64 = counts.iter().sum();
            counts
                .iter()
                .zip(&mass)
                .map(|(o, m)| {
                    let e = n * m / total_mass;
                    (o - e).powi(2) / e
                })
                .sum()
        };
        let id = &s.agencies[j].id;
        // Per replication, E[X²] = 167 exactly under the multinomial.
        let x2: Vec<f64> = results.iter().map(pearson).collect();
        assert_exact(&x2, 167.0, &format!("{id}: mean Pearson X²"));
        // All replications pooled: one test with 320 times the data.
        let mut pooled = [0.0f64; 168];
        for counts in &results {
            for (p, c) in pooled.iter_mut().zip(counts) {
                *p += c;
            }
        }
        let q999 = ChiSquared::new(167.0).unwrap().inverse_cdf(0.999);
        let x2 = pearson(&pooled);
        assert!(
            x2 < q999,
            "{id}: pooled X² = {x2:.1} above the 99.9 % quantile {q999:.1}"
        );
        // The total count is Poisson with mean ∫ intensity = rate × share × ∫ profile ×
        // weekday dt (both normalised to mean 1, so this is rate × share × horizon up to
        // daylight saving's short and long days).
        let counts: Vec<f64> = results.iter().map(|c| c.iter().sum()).collect();
        let expected = 60.0 / 86_400.0 * share * total_mass;
        assert_exact(
            &counts,
            expected,
            &format!("{id}: incidents per replication"),
        );
    }
}

#[test]
fn littles_law_on_the_triage_desk() {
    // One desk, two analysts, Poisson arrivals at λ = 1.5/h, exponential triage of mean
    // 1 h: M/M/2 with offered load a = 1.5, ρ = 0.75. Erlang C (Kleinrock, Queueing
    // Systems I, eq. 3.40):
    //   P(wait) = (a²/2!)·(2/(2 − a)) / (1 + a + (a²/2!)·(2/(2 − a))) = 4.5/7 = 9/14,
    //   Wq = P(wait)/(2μ − λ) = (9/14)/0.5 = 9/7 h,
    // and Little's law (Little 1961) L = λW gives the mean number waiting
    //   Lq = λ·Wq = 1.5 · 9/7 = 27/14 ≈ 1.929,
    // and the mean number in triage Ls = λ·E[S] = a = 1.5.
    //
    // What is measured, and why each check can fail:
    //   Lq: the time-average number of cases waiting over a window, from timestamps: a
    //       case waits from its alert until its triage starts, and with every later
    //       delay zero the triage starts at response − (its pre-drawn triage work). The
    //       engine's `queue` column is not used here.
    //   λ·Wq: the nominal λ times the mean of the engine's `queue` column over the cases
    //       alerted in the window. L − λW gets its own 99.9 % interval against 0 (no
    //       slack beyond it): it fails if the reported waits disagree with the
    //       timestamps, or with the nominal arrival rate.
    //   Ls: the engine's own analyst-busy seconds (RunTotals::busy_secs), accrued by the
    //       desks as they serve, not from any per-case value, over the horizon. Little's
    //       law on each sample path brackets it exactly: the busy time is the triage work
    //       of every case finished by the horizon plus part of the work of the (at most
    //       two) cases in triage at the horizon. This fails if the desks count busy time
    //       wrongly (e.g. count an idle analyst, or a case twice).
    // Lq, λ·Wq and Ls also get 99.9 % intervals against their exact values.
    let toml = r#"
name = "little"
[experiment]
seed = 1961
replications = 30
days = 9000
[incidents]
rate = "1.5/h"
[watch]
triage = "exp(mean=1h)"
discipline = "fifo"
[[agency]]
id = "a"
tz = "UTC"
weight = 1.0
watch_staff = 2
[[schedule]]
name = "always"
kind = "always"
"#;
    let s = scenario(toml);
    let horizon = s.experiment.horizon();
    let warmup = 20.0 * 86_400.0;
    let lambda = 1.5 / 3600.0;
    // The window ends a day before the horizon: every case alerted in it has left the
    // queue by then (with ρ = 0.75 a day-long wait is out of reach).
    let end = horizon - 86_400.0;
    let per_run: Vec<[f64; 4]> = replicate_map(&s, |run| {
        let mut area = 0.0;
        let mut waits = 0.0;
        let mut alerted = 0usize;
        let (mut finished_work, mut open_work) = (0.0, 0.0);
        for (inc, o) in run.incidents.iter().zip(&run.outcomes) {
            match o.status {
                Status::Responded => finished_work += inc.triage,
                Status::Open => open_work += inc.triage,
                Status::Missed => panic!("nothing is missed without a visibility window"),
            }
            if o.alert >= end {
                continue;
            }
            assert_eq!(
                o.status,
                Status::Responded,
                "a case alerted early has responded"
            );
            let start = o.response - inc.triage;
            area += (start.min(end) - o.alert.max(warmup)).max(0.0);
            if o.alert >= warmup {
                waits += o.queue;
                alerted += 1;
            }
        }
        let busy = run.totals.busy_secs[0];
        // Sums of ~10⁵ terms of ~10³ s in another order: allow rounding (10⁻⁹ of it).
        let eps = 1e-9 * busy;
        assert!(
            finished_work - eps <= busy && busy <= finished_work + open_work + eps,
            "busy analyst-seconds {busy:.1} outside [{finished_work:.1}, {:.1}]: \
             Little's law for the analysts fails on this sample path",
            finished_work + open_work
        );
        let l = area / (end - warmup);
        let w = waits / alerted as f64;
        [l, lambda * w, l - lambda * w, busy / horizon]
    });
    let col = |i: usize| per_run.iter().map(|r| r[i]).collect::<Vec<f64>>();
    assert_exact(&col(0), 27.0 / 14.0, "Lq (time-average from timestamps)");
    assert_exact(&col(1), 27.0 / 14.0, "λ·Wq (engine's queue column)");
    // L − λW against 0: the interval must hold 0, and (no exact value to take 3 % of)
    // be within 3 % of Lq.
    let d = crate::textbook::Ci::of(&col(2));
    println!(
        "L − λW: mean {:.5}, 99.9 % CI [{:.5}, {:.5}], half-width {:.2} % of Lq",
        d.mean,
        d.low(),
        d.high(),
        100.0 * d.half / (27.0 / 14.0)
    );
    assert!(
        d.low() <= 0.0 && 0.0 <= d.high(),
        "L − λW = {:.5}, 99.9 % CI [{:.5}, {:.5}] excludes 0",
        d.mean,
        d.low(),
        d.high()
    );
    assert!(
        d.half <= 0.03 * 27.0 / 14.0,
        "L − λW: half-width {:.5} is more than 3 % of the exact value of Lq",
        d.half
    );
    assert_exact(&col(3), 1.5, "Ls (engine's busy analyst-seconds)");
}
