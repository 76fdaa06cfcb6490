//! The model reduced to textbook systems, run as real simulations with replications and
//! compared with exact formulas through Student-t 99.9 % confidence intervals.
//!
//! Every check asserts two things: the exact value lies in the 99.9 % interval, and the
//! interval is tight: its half-width is at most 3 % of the exact value (or, for small
//! probabilities, a stated absolute tolerance). The replications and horizons are chosen
//! so that each half-width is about 2 % of the exact value or less (checked over several
//! seeds), so a model error of 3 % leaves the exact value outside the interval unless
//! the sampling error happens to cancel most of it: such an error is caught with high
//! probability, where the 95 % intervals with a 10 % guard let a 5 % error through. The
//! other side: with about 60 checks here and in `validation.rs`, each failing by chance
//! with probability 0.1 %, a change of random streams fails one with probability about
//! 6 % (it was about 64 % with twenty 95 % intervals). Each check prints exact,
//! simulated, interval and half-width (`cargo test --release --test integration
//! textbook -- --nocapture`).

use statrs::distribution::{ContinuousCDF, StudentsT};
use watchsim::engine::{CellPlan, EngineConfig, Outcome, Simulation, Sink, Status};
use watchsim::experiment::{RunResult, Study};
use watchsim::incidents::{Incident, IncidentFactory};
use watchsim::scenario::Scenario;
use watchsim::schedule;
use watchsim::stats::{ClassStats, Metric, RunStats};

/// The confidence level of every check.
pub const LEVEL: f64 = 0.999;

/// The largest half-width a check allows, as a share of the exact value.
pub const MAX_RELATIVE_HALF_WIDTH: f64 = 0.03;

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("df > 0")
        .inverse_cdf(p)
}

/// A mean over replications with its Student-t interval at [`LEVEL`].
#[derive(Debug, Clone, Copy)]
pub struct Ci {
    /// Replications (NaN values left out).
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the interval.
    pub half: f64,
}

impl Ci {
    /// Mean and interval of independent replications.
    pub fn of(values: &[f64]) -> Ci {
        let xs: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        let n = xs.len();
        assert!(n >= 2, "need at least two replications, got {n}");
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t_quantile(1.0 - (1.0 - LEVEL) / 2.0, n - 1) * (var / n as f64).sqrt();
        Ci { n, mean, half }
    }

    /// Lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.half
    }

    /// Upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.half
    }
}

fn report(ci: &Ci, exact: f64, what: &str) {
    println!(
        "{what}: exact {exact:.5}, simulated {:.5}, 99.9 % CI [{:.5}, {:.5}], half-width {:.5} = {:.2} % of exact, n {}",
        ci.mean,
        ci.low(),
        ci.high(),
        ci.half,
        100.0 * ci.half / exact.abs(),
        ci.n
    );
}

/// The exact value lies in the 99.9 % interval of `values`, whose half-width is at most
/// 3 % of the exact value.
pub fn assert_exact(values: &[f64], exact: f64, what: &str) -> Ci {
    assert_exact_within(values, exact, 0.0, what)
}

/// As [`assert_exact`], for an estimator with a known resolution (a histogram
/// quantile): the interval widened by `resolution` on each side must hold the exact
/// value. The half-width guard is on the interval itself.
pub fn assert_exact_within(values: &[f64], exact: f64, resolution: f64, what: &str) -> Ci {
    let ci = Ci::of(values);
    report(&ci, exact, what);
    assert!(
        ci.low() - resolution <= exact && exact <= ci.high() + resolution,
        "{what}: exact {exact:.5} outside the 99.9 % CI [{:.5}, {:.5}] (mean {:.5}, n {}, resolution ±{resolution:.5})",
        ci.low(),
        ci.high(),
        ci.mean,
        ci.n
    );
    assert!(
        ci.half <= MAX_RELATIVE_HALF_WIDTH * exact.abs(),
        "{what}: half-width {:.5} is more than 3 % of the exact value {exact:.5} ({:.2} %)",
        ci.half,
        100.0 * ci.half / exact.abs()
    );
    ci
}

/// For small probabilities, where 3 % of the value is too fine to reach: the exact
/// value lies in the 99.9 % interval, whose half-width is at most `max_half` (absolute).
pub fn assert_exact_absolute(values: &[f64], exact: f64, max_half: f64, what: &str) -> Ci {
    let ci = Ci::of(values);
    report(&ci, exact, what);
    assert!(
        ci.low() <= exact && exact <= ci.high(),
        "{what}: exact {exact:.5} outside the 99.9 % CI [{:.5}, {:.5}] (n {})",
        ci.low(),
        ci.high(),
        ci.n
    );
    assert!(
        ci.half <= max_half,
        "{what}: half-width {:.5} is more than the absolute tolerance {max_half} for a small probability",
        ci.half
    );
    ci
}

/// A metric by name: the only place the tests look a metric up.
pub fn metric(name: &str) -> Metric {
    Metric::from_name(name).unwrap_or_else(|| panic!("unknown metric {name}"))
}

/// Every metric name, in output order (see [`metric`]).
pub fn metric_names() -> impl Iterator<Item = &'static str> {
    Metric::ALL.into_iter().map(Metric::name)
}

/// One agency on `always` holding the watch 24/7, every delay zero unless set.
pub fn single_desk(body: &str, staff: u32, experiment: &str) -> String {
    format!(
        r#"
name = "textbook"
[experiment]
seed = 42
{experiment}
[[agency]]
id = "a"
tz = "UTC"
weight = 1.0
watch_staff = {staff}
[[schedule]]
name = "always"
kind = "always"
{body}
"#
    )
}

/// Runs a scenario's study (every replication) with `Study::run`.
pub fn run_study(toml: &str) -> Vec<RunResult> {
    let scenario = Scenario::from_toml(toml, "textbook.toml").unwrap_or_else(|e| panic!("{e}"));
    Study::new(scenario).expect("no trace").run(false)
}

/// Class `class` (None: all classes) of one run.
pub fn class_stats(r: &RunResult, class: Option<usize>) -> ClassStats {
    match class {
        Some(i) => r.stats.classes(watchsim::stats::Scope::All)[i].clone(),
        None => r.stats.all(),
    }
}

/// Per-replication means of `name` (hours) for class `class` (None: all classes).
pub fn means(results: &[RunResult], class: Option<usize>, name: &str) -> Vec<f64> {
    let m = metric(name);
    results
        .iter()
        .map(|r| class_stats(r, class).mean(m) / 3600.0)
        .collect()
}

/// Per-replication means of `metric` (hours) for class `class` (None: all classes).
pub fn replication_means(toml: &str, class: Option<usize>, name: &str) -> Vec<f64> {
    means(&run_study(toml), class, name)
}

#[test]
fn mm1_mean_queue_wait_is_one_hour() {
    // M/M/1 with λ = 0.5/h, μ = 1/h: Wq = ρ/(μ − λ) = 0.5/0.5 = 1 h (Kleinrock, Queueing
    // Systems I, eq. 3.26).
    let toml = single_desk(
        "[incidents]\nrate = \"0.5/h\"\n[watch]\ntriage = \"exp(mean=1h)\"",
        1,
        "replications = 30\ndays = 6000\nwarmup = \"10d\"",
    );
    assert_exact(
        &replication_means(&toml, None, "queue"),
        1.0,
        "M/M/1 Wq (h)",
    );
}

#[test]
fn erlang_c_four_analysts() {
    // M/M/4 with λ = 3.6/h, μ = 1/h, a = 3.6: Erlang C gives P(wait) = 0.78766 and
    // Wq = P(wait)/(cμ − λ) = 4374/2221 h ≈ 1.969 h.
    let toml = single_desk(
        "[incidents]\nrate = \"3.6/h\"\n[watch]\ntriage = \"exp(mean=1h)\"",
        4,
        "replications = 30\ndays = 12000\nwarmup = \"20d\"",
    );
    assert_exact(
        &replication_means(&toml, None, "queue"),
        4374.0 / 2221.0,
        "Erlang C Wq (h)",
    );
}

#[test]
fn md1_pollaczek_khinchine() {
    // M/D/1, λ = 0.5/h, S = 1 h: Wq = λE[S²]/(2(1 − ρ)) = 0.5/(2·0.5) = 0.5 h.
    let toml = single_desk(
        "[incidents]\nrate = \"0.5/h\"\n[watch]\ntriage = \"const(1h)\"",
        1,
        "replications = 30\ndays = 4200\nwarmup = \"10d\"",
    );
    assert_exact(
        &replication_means(&toml, None, "queue"),
        0.5,
        "M/D/1 Wq (h)",
    );
}

#[test]
fn mg1_lognormal_pollaczek_khinchine() {
    // M/G/1 with lognormal service, mean 1 h, sd 1.5 h: E[S²] = 1 + 2.25 = 3.25 h²;
    // λ = 0.5/h: Wq = 0.5·3.25/(2·0.5) = 1.625 h.
    let toml = single_desk(
        "[incidents]\nrate = \"0.5/h\"\n[watch]\ntriage = \"lognormal(mean=1h, sd=1.5h)\"",
        1,
        "replications = 30\ndays = 20000\nwarmup = \"10d\"",
    );
    assert_exact(
        &replication_means(&toml, None, "queue"),
        1.625,
        "M/G/1 Wq (h)",
    );
}

const TWO_CLASSES: &str = r#"
[incidents]
rate = "0.6/h"
severity = [ { class = "high", share = 0.5 }, { class = "low", share = 0.5 } ]
"#;

#[test]
fn non_preemptive_priority_cobham() {
    // Cobham: W0 = Σλᵢ E[Sᵢ²]/2 = 0.6·2/2 = 0.6 h; σ₁ = 0.3, σ₂ = 0.6;
    // W₁ = W0/(1 − σ₁) = 0.857 h, W₂ = W0/((1 − σ₁)(1 − σ₂)) = 2.143 h.
    let toml = single_desk(
        &format!("{TWO_CLASSES}\n[watch]\ntriage = \"exp(mean=1h)\"\ndiscipline = \"priority\""),
        1,
        "replications = 30\ndays = 9000\nwarmup = \"10d\"",
    );
    let results = run_study(&toml);
    assert_exact(
        &means(&results, Some(0), "queue"),
        0.6 / 0.7,
        "Cobham W1 (h)",
    );
    assert_exact(
        &means(&results, Some(1), "queue"),
        0.6 / (0.7 * 0.4),
        "Cobham W2 (h)",
    );
}

#[test]
fn preemptive_resume_priority() {
    // Preemptive-resume M/G/1 (Kleinrock, Queueing Systems II, §3.7):
    // Tₖ = E[Sₖ]/(1 − σₖ₋₁) + Rₖ/((1 − σₖ₋₁)(1 − σₖ)), Rₖ = Σ_{i≤k} λᵢE[Sᵢ²]/2.
    // Queue = T − E[S]. Class 1 sees an M/M/1 at ρ = 0.3: R₁ = 0.3, T₁ = 1 + 0.3/0.7,
    // queue 0.3/0.7 = 0.429 h. Class 2: R₂ = 0.6, T₂ = 1/0.7 + 0.6/(0.7·0.4),
    // queue 1/0.7 + 0.6/0.28 − 1 = 2.571 h.
    let toml = single_desk(
        &format!(
            "{TWO_CLASSES}\n[watch]\ntriage = \"exp(mean=1h)\"\ndiscipline = \"priority\"\npreemptive = true"
        ),
        1,
        "replications = 30\ndays = 8000\nwarmup = \"10d\"",
    );
    let results = run_study(&toml);
    assert_exact(
        &means(&results, Some(0), "queue"),
        0.3 / 0.7,
        "preemptive W1 (h)",
    );
    assert_exact(
        &means(&results, Some(1), "queue"),
        1.0 / 0.7 + 0.6 / 0.28 - 1.0,
        "preemptive W2 (h)",
    );
}

#[test]
fn coverage_gap_detection_delay() {
    // Watch held 16 of 24 hours, instant detection: a signal in the 8-hour gap waits for
    // its end. Mean delay = Σg²/(2T) = 64/48 = 4/3 h.
    let toml = r#"
name = "gap"
[experiment]
seed = 7
replications = 20
days = 400
[incidents]
rate = "2/h"
[[agency]]
id = "a"
tz = "UTC"
weight = 1.0
[[schedule]]
name = "sixteen-hours"
kind = "blocks"
blocks = [ { agency = "a", from = "00:00", to = "16:00", tz = "UTC" } ]
"#;
    assert_exact(
        &replication_means(toml, None, "detect"),
        4.0 / 3.0,
        "gap detection delay (h)",
    );
}

#[test]
fn pipeline_of_independent_stages_adds_up() {
    // No queueing (ample analysts): alert → response is the sum of independent triage,
    // domestic referral and police draws: mean 20 + 10 + 30 = 60 min.
    let toml = r#"
name = "pipeline"
[experiment]
seed = 3
replications = 10
days = 200
[incidents]
rate = "10/day"
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
    assert_exact(
        &replication_means(toml, None, "alert_to_response"),
        1.0,
        "pipeline mean (h)",
    );
}

#[test]
fn every_delay_zero_gives_zero() {
    let toml = single_desk(
        "[incidents]\nrate = \"50/day\"",
        1,
        "replications = 2\ndays = 30",
    );
    for name in metric_names() {
        for m in replication_means(&toml, None, name) {
            assert_eq!(m, 0.0, "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The numbers the report leads with: SLA shares and percentiles, against exact
// distributions. Observables, for one agency on `always` with every delay zero except
// triage (the service):
//   * alert → response = queue wait W + triage S = the sojourn time T of the queue, so
//     `share_within(i)` (the report's SLA share, over detected incidents; nothing is
//     missed here and the few cases open at the horizon are < 10⁻⁴ of them) estimates
//     P(T ≤ tᵢ), and `quantile(alert_to_response, q)` the q-quantile of T;
//   * the outcomes' `queue` stage (the trace's `queue` column in incidents.csv) is W,
//     so the share of counted, responded cases with queue > t estimates P(W > t), and
//     `quantile(queue, q)` the q-quantile of W.
// Histogram resolution, allowed explicitly: values are whole seconds (±0.5 s), and the
// histograms keep 3 significant digits for alert → response (a quantile reads at most
// 0.1 % high) and 2 for the other metrics (at most 1 % high). So a quantile check widens
// the interval by 0.1 % (or 1 %) of the exact value plus one second; the half-width guard
// (≤ 3 % of exact) is on the interval itself.
// Probabilities: for an exact value of at least 0.1 the usual rule (half-width ≤ 3 % of
// exact); below 0.1, 3 % of the value is finer than the replications can reach, so an
// absolute tolerance: half-width at most 0.003 (0.3 percentage points).
// ---------------------------------------------------------------------------------------

/// Below this exact probability, checks use an absolute tolerance instead of 3 %.
const SMALL_PROBABILITY: f64 = 0.1;

/// Absolute tolerance on the half-width for small probabilities.
const SMALL_PROBABILITY_HALF_WIDTH: f64 = 0.003;

/// Resolution of a quantile of alert → response (3 significant digits), seconds.
fn a2r_resolution(exact_secs: f64) -> f64 {
    0.001 * exact_secs + 1.0
}

/// Resolution of a quantile of another metric (2 significant digits), seconds.
fn metric_resolution(exact_secs: f64) -> f64 {
    0.01 * exact_secs + 1.0
}

/// A probability check, relative or absolute by [`SMALL_PROBABILITY`].
fn assert_probability(values: &[f64], exact: f64, what: &str) {
    if exact >= SMALL_PROBABILITY {
        assert_exact(values, exact, what);
    } else {
        assert_exact_absolute(values, exact, SMALL_PROBABILITY_HALF_WIDTH, what);
    }
}

/// What one replication gives: the report's per-run statistics (all classes) and, from
/// the outcomes the trace would write, the share of counted, responded cases whose
/// queue wait exceeds each threshold.
struct Observed {
    stats: ClassStats,
    wait_tail: Vec<f64>,
}

/// The sink of [`observe`]: the report's `RunStats`, plus the wait tail counts over the
/// incidents the trace would write (signal after the warm-up).
struct TailSink {
    stats: RunStats,
    warmup: f64,
    limits: Vec<f64>,
    over: Vec<u64>,
    responded: u64,
}

impl Sink for TailSink {
    fn record(&mut self, index: u32, incident: &Incident, outcome: &Outcome) {
        self.stats.record(index, incident, outcome);
        if incident.signal >= self.warmup && outcome.status == Status::Responded {
            self.responded += 1;
            for (n, limit) in self.over.iter_mut().zip(&self.limits) {
                *n += u64::from(outcome.queue > *limit);
            }
        }
    }

    fn finish(&mut self) {
        self.stats.finish();
    }
}

/// Runs every replication of the scenario's single cell the way `Study` does (the
/// replication's incident stream fed to the engine a chunk at a time, into the
/// report's `RunStats`), counting queue waits over `t_hours` on the way; nothing is
/// held per incident, so long horizons stay small in memory.
fn observe(toml: &str, t_hours: &[f64]) -> Vec<Observed> {
    use rayon::prelude::*;
    let s = Scenario::from_toml(toml, "textbook.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.schedules.len(), s.agencies.len()), (1, 1));
    let config = EngineConfig::new(&s);
    let plan = CellPlan::new(&config, schedule::compile(&s, &s.schedules[0], 1), 1);
    let factory = IncidentFactory::new(&s).expect("synthetic");
    let exp = &s.experiment;
    (0..exp.replications)
        .into_par_iter()
        .map(|r| {
            let mut sink = TailSink {
                stats: RunStats::new(&watchsim::stats::RunSetup {
                    classes: s.incidents.classes.len(),
                    sla: exp.sla.clone(),
                    warmup: exp.warmup,
                    horizon: exp.horizon(),
                    members: 1,
                    windows: Vec::new(),
                }),
                warmup: exp.warmup,
                limits: t_hours.iter().map(|h| h * 3600.0).collect(),
                over: vec![0; t_hours.len()],
                responded: 0,
            };
            let mut sim = Simulation::new(&config, &plan, &mut sink);
            sim.advance_all(factory.stream(r, 0));
            sim.finish();
            Observed {
                stats: sink.stats.all(),
                wait_tail: sink
                    .over
                    .iter()
                    .map(|n| *n as f64 / sink.responded as f64)
                    .collect(),
            }
        })
        .collect()
}

/// P(W > t_i) per replication (the `i`-th threshold given to [`observe`]).
fn wait_tail(runs: &[Observed], i: usize) -> Vec<f64> {
    runs.iter().map(|r| r.wait_tail[i]).collect()
}

/// P(T > tᵢ) per replication, from the report's share within SLA `i`.
fn response_tail(runs: &[Observed], i: usize) -> Vec<f64> {
    runs.iter().map(|r| 1.0 - r.stats.share_within(i)).collect()
}

/// The q-quantile of metric `name` per replication, seconds.
fn quantiles(runs: &[Observed], name: &str, q: f64) -> Vec<f64> {
    let m = metric(name);
    runs.iter().map(|r| r.stats.quantile(m, q)).collect()
}

/// Erlang's C formula: the probability of waiting in M/M/c with offered load a.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    top / (sum + top)
}

/// Solves `tail(t) = p` for a decreasing `tail` by bisection on [0, 1000] (hours).
fn inverse_tail(tail: impl Fn(f64) -> f64, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1000.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Checks an M/M/c system with μ = 1/h at λ (per hour): P(W > t), P(T > t) through
/// the SLA shares, p50/p95 of alert → response and p90/p95 of the queue wait.
fn check_mmc(label: &str, c: u32, lambda: f64, days: u32, warmup: &str, t: &[f64]) {
    let a = lambda; // μ = 1/h
    let pw = erlang_c(c, a);
    let theta = f64::from(c) - lambda; // cμ − λ
    // FIFO: T = W + S with S ~ exp(μ) independent of W, P(W > t) = C e^{−θt}, so
    //   P(T > t) = e^{−μt} + C μ/(θ − μ) (e^{−μt} − e^{−θt})   (θ ≠ μ),
    // which for c = 1 (C = ρ, θ − μ = −λ) is e^{−(μ−λ)t}.
    let wait_tail_exact = |t: f64| pw * (-theta * t).exp();
    let response_tail_exact =
        |t: f64| (-t).exp() + pw / (theta - 1.0) * ((-t).exp() - (-theta * t).exp());
    let sla: Vec<String> = t.iter().map(|h| format!("\"{}m\"", h * 60.0)).collect();
    let toml = single_desk(
        &format!(
            "[incidents]\nrate = \"{lambda}/h\"\n[watch]\ntriage = \"exp(mean=1h)\"\ndiscipline = \"fifo\""
        ),
        c,
        &format!(
            "replications = 30\ndays = {days}\nwarmup = \"{warmup}\"\nsla = [{}]",
            sla.join(", ")
        ),
    );
    let runs = observe(&toml, t);
    for (i, &h) in t.iter().enumerate() {
        assert_probability(
            &wait_tail(&runs, i),
            wait_tail_exact(h),
            &format!("{label} P(W > {h} h) = C·e^(−(cμ−λ)t), queue stage"),
        );
        assert_probability(
            &response_tail(&runs, i),
            response_tail_exact(h),
            &format!("{label} P(T > {h} h) = 1 − share within SLA {h} h"),
        );
    }
    for q in [0.5, 0.95] {
        let exact = 3600.0 * inverse_tail(response_tail_exact, 1.0 - q);
        assert_exact_within(
            &quantiles(&runs, "alert_to_response", q),
            exact,
            a2r_resolution(exact),
            &format!("{label} alert → response p{} (s)", q * 100.0),
        );
    }
    for q in [0.9, 0.95] {
        // q > 1 − C, so the quantile is where C e^{−θt} = 1 − q.
        let exact = 3600.0 * (pw / (1.0 - q)).ln() / theta;
        assert_exact_within(
            &quantiles(&runs, "queue", q),
            exact,
            metric_resolution(exact),
            &format!("{label} queue wait p{} (s)", q * 100.0),
        );
    }
}

#[test]
fn mm1_waiting_and_response_time_distributions() {
    // M/M/1, λ = 0.5/h, μ = 1/h: P(W > t) = ρ e^{−(μ−λ)t} and P(T > t) = e^{−(μ−λ)t}
    // (Kleinrock, Queueing Systems I, §3.2 and eq. 3.27).
    assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
    check_mmc("M/M/1", 1, 0.5, 14000, "10d", &[0.5, 1.0, 2.0, 4.0, 8.0]);
}

#[test]
fn erlang_c_waiting_and_response_time_distributions() {
    // M/M/4, λ = 3.6/h, μ = 1/h: P(W > t) = C(4, 3.6) e^{−(4μ−λ)t} with C = 0.78766
    // (Kleinrock, Queueing Systems I, eq. 3.40 and §3.5); the same C as the mean wait
    // 4374/2221 h = C/(cμ − λ).
    assert!((erlang_c(4, 3.6) / 0.4 - 4374.0 / 2221.0).abs() < 1e-9);
    check_mmc("M/M/4", 4, 3.6, 16000, "20d", &[1.0, 2.0, 4.0, 8.0]);
}

#[test]
fn sla_shares_and_percentiles_of_a_pure_delay_pipeline() {
    // Every delay zero except the police response X, lognormal(median = 1 h, σ = 0.6):
    // alert → response is that one draw, so the share within t is F(t) = Φ(ln(t/1 h)/0.6)
    // and the q-quantile is e^{0.6 Φ⁻¹(q)} h (no queue: triage takes no time).
    // The horizon: a case signalled at s > T − t is within t only if X ≤ T − s (a later
    // response leaves it open, which counts as a failure), so over a horizon T with
    // uniform signals the expected share is
    //   F(t) − (1/T) ∫₀ᵗ (F(t) − F(v)) dv = F(t) − E[X; X ≤ t] / T,
    // with E[X; X ≤ t] = e^{σ²/2} Φ((ln t − σ²)/σ) h for the lognormal (median 1 h).
    // At t = 4 h that is 0.00032 below F(t), two standard errors of these 30
    // replications: a real effect of the horizon, not noise.
    use statrs::distribution::Normal;
    let toml = r#"
name = "pure-delay"
[experiment]
seed = 8
replications = 30
days = 150
sla = ["30m", "1h", "2h", "4h"]
[incidents]
rate = "100/day"
[[agency]]
id = "a"
tz = "UTC"
weight = 1.0
police = "lognormal(median=1h, sigma=0.6)"
[[schedule]]
name = "always"
kind = "always"
"#;
    let z = Normal::new(0.0, 1.0).unwrap();
    let runs = observe(toml, &[]);
    let horizon_hours = 150.0 * 24.0;
    for (i, h) in [0.5f64, 1.0, 2.0, 4.0].into_iter().enumerate() {
        let partial_mean = (0.18f64).exp() * z.cdf((h.ln() - 0.36) / 0.6);
        let share = z.cdf(h.ln() / 0.6) - partial_mean / horizon_hours;
        // The share and its complement, each by the rule for its size.
        let shares: Vec<f64> = runs.iter().map(|r| r.stats.share_within(i)).collect();
        assert_probability(&shares, share, &format!("pure delay: share within {h} h"));
        assert_probability(
            &response_tail(&runs, i),
            1.0 - share,
            &format!("pure delay: share beyond {h} h"),
        );
    }
    for q in [0.5, 0.9, 0.95] {
        let exact = 3600.0 * (0.6 * z.inverse_cdf(q)).exp();
        assert_exact_within(
            &quantiles(&runs, "alert_to_response", q),
            exact,
            a2r_resolution(exact),
            &format!("pure delay: alert → response p{} (s)", q * 100.0),
        );
    }
}
