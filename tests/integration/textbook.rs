//! The model reduced to textbook systems, run as real simulations with replications and
//! compared with exact formulas through a Student-t 95 % confidence interval.

use watchsim::experiment::Study;
use watchsim::scenario::Scenario;
use watchsim::stats::ci::{MeanCi, mean_ci};
use watchsim::stats::{ClassStats, Metric};

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

/// Per-replication means of `metric` (hours) for class `class` (None: all classes).
pub fn replication_means(toml: &str, class: Option<usize>, metric: &str) -> Vec<f64> {
    let scenario = Scenario::from_toml(toml, "textbook.toml").unwrap_or_else(|e| panic!("{e}"));
    let m = Metric::from_name(metric).expect("known metric");
    let study = Study::new(scenario).expect("no trace");
    study
        .run(false)
        .iter()
        .map(|r| {
            let c: ClassStats = match class {
                Some(i) => r.stats.classes[i].clone(),
                None => r.stats.all(),
            };
            c.mean(m) / 3600.0
        })
        .collect()
}

pub fn assert_within(ci: MeanCi, exact: f64, what: &str) {
    println!(
        "{what}: exact {exact:.4}, simulated {:.4}, 95 % CI [{:.4}, {:.4}] over {} replications",
        ci.mean, ci.low, ci.high, ci.n
    );
    assert!(
        ci.contains(exact),
        "{what}: exact {exact:.4} outside the 95 % CI [{:.4}, {:.4}] (mean {:.4}, n {})",
        ci.low,
        ci.high,
        ci.mean,
        ci.n
    );
    // The interval must also be tight enough to mean something.
    assert!(
        ci.half_width() < 0.1 * exact.max(0.1),
        "{what}: CI too wide: ±{:.4}",
        ci.half_width()
    );
}

#[test]
fn mm1_mean_queue_wait_is_one_hour() {
    // M/M/1 with λ = 0.5/h, μ = 1/h: Wq = ρ/(μ − λ) = 0.5/0.5 = 1 h (Kleinrock, Queueing
    // Systems I, eq. 3.26).
    let toml = single_desk(
        "[incidents]\nrate = \"0.5/h\"\n[watch]\ntriage = \"exp(mean=1h)\"",
        1,
        "replications = 12\ndays = 1500\nwarmup = \"10d\"",
    );
    assert_within(
        mean_ci(&replication_means(&toml, None, "queue")),
        1.0,
        "M/M/1 Wq",
    );
}

#[test]
fn erlang_c_four_analysts() {
    // M/M/4 with λ = 3.6/h, μ = 1/h, a = 3.6: Erlang C gives P(wait) = 0.78766 and
    // Wq = P(wait)/(cμ − λ) = 4374/2221 h ≈ 1.969 h.
    let toml = single_desk(
        "[incidents]\nrate = \"3.6/h\"\n[watch]\ntriage = \"exp(mean=1h)\"",
        4,
        "replications = 12\ndays = 1500\nwarmup = \"20d\"",
    );
    assert_within(
        mean_ci(&replication_means(&toml, None, "queue")),
        4374.0 / 2221.0,
        "Erlang C Wq",
    );
}

#[test]
fn md1_pollaczek_khinchine() {
    // M/D/1, λ = 0.5/h, S = 1 h: Wq = λE[S²]/(2(1 − ρ)) = 0.5/(2·0.5) = 0.5 h.
    let toml = single_desk(
        "[incidents]\nrate = \"0.5/h\"\n[watch]\ntriage = \"const(1h)\"",
        1,
        "replications = 10\ndays = 1000\nwarmup = \"10d\"",
    );
    assert_within(
        mean_ci(&replication_means(&toml, None, "queue")),
        0.5,
        "M/D/1 Wq",
    );
}

#[test]
fn mg1_lognormal_pollaczek_khinchine() {
    // M/G/1 with lognormal service, mean 1 h, sd 1.5 h: E[S²] = 1 + 2.25 = 3.25 h²;
    // λ = 0.5/h: Wq = 0.5·3.25/(2·0.5) = 1.625 h.
    let toml = single_desk(
        "[incidents]\nrate = \"0.5/h\"\n[watch]\ntriage = \"lognormal(mean=1h, sd=1.5h)\"",
        1,
        "replications = 12\ndays = 2000\nwarmup = \"10d\"",
    );
    assert_within(
        mean_ci(&replication_means(&toml, None, "queue")),
        1.625,
        "M/G/1 Wq",
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
        "replications = 12\ndays = 2000\nwarmup = \"10d\"",
    );
    assert_within(
        mean_ci(&replication_means(&toml, Some(0), "queue")),
        0.6 / 0.7,
        "Cobham W1",
    );
    assert_within(
        mean_ci(&replication_means(&toml, Some(1), "queue")),
        0.6 / (0.7 * 0.4),
        "Cobham W2",
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
        "replications = 12\ndays = 2000\nwarmup = \"10d\"",
    );
    assert_within(
        mean_ci(&replication_means(&toml, Some(0), "queue")),
        0.3 / 0.7,
        "preemptive W1",
    );
    assert_within(
        mean_ci(&replication_means(&toml, Some(1), "queue")),
        1.0 / 0.7 + 0.6 / 0.28 - 1.0,
        "preemptive W2",
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
replications = 10
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
    assert_within(
        mean_ci(&replication_means(toml, None, "detect")),
        4.0 / 3.0,
        "gap detection delay",
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
    assert_within(
        mean_ci(&replication_means(toml, None, "alert_to_response")),
        1.0,
        "pipeline mean",
    );
}

#[test]
fn every_delay_zero_gives_zero() {
    let toml = single_desk(
        "[incidents]\nrate = \"50/day\"",
        1,
        "replications = 2\ndays = 30",
    );
    for metric in Metric::ALL.map(Metric::name) {
        for m in replication_means(&toml, None, metric) {
            assert_eq!(m, 0.0, "{metric}");
        }
    }
}
