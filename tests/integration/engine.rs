//! The engine's bookkeeping: every incident ends once, stages add up, runs repeat.

use crate::common::watchsim;
use watchsim::engine::{CellPlan, Collect, EngineConfig, Status, simulate};
use watchsim::experiment::Study;
use watchsim::incidents::IncidentFactory;
use watchsim::scenario::Scenario;
use watchsim::schedule;

const FOUNDERS: &str = include_str!("../../scenarios/founders-2006.toml");

fn founders(extra_watch: &str) -> Scenario {
    let text = FOUNDERS
        .replace("days = 364", "days = 90")
        .replace("in_progress_at_handoff = \"finish\"", extra_watch);
    Scenario::from_toml(&text, "founders.toml").expect("valid")
}

#[test]
fn every_incident_ends_once_with_the_stages_it_drew() {
    for watch in [
        "in_progress_at_handoff = \"finish\"",
        "in_progress_at_handoff = \"transfer\"",
        "in_progress_at_handoff = \"transfer\"\npreemptive = true",
        "in_progress_at_handoff = \"finish\"\npreemptive = true",
    ] {
        let scenario = founders(watch);
        let config = EngineConfig::new(&scenario);
        let incidents = IncidentFactory::new(&scenario).unwrap().generate(0);
        assert!(incidents.len() > 3000);
        for spec in &scenario.schedules {
            for k in 1..=scenario.agencies.len() {
                let plan = CellPlan::new(&config, schedule::compile(&scenario, spec, k), k);
                let mut sink = Collect::default();
                simulate(&config, &plan, &incidents, &mut sink);
                assert_eq!(
                    sink.outcomes.len(),
                    incidents.len(),
                    "{watch} {} k={k}",
                    spec.name
                );
                for (i, o) in sink.outcomes.iter().enumerate() {
                    let o = o.unwrap_or_else(|| {
                        panic!("incident {i} never ended ({} k={k})", spec.name)
                    });
                    let inc = &incidents[i];
                    match o.status {
                        Status::Responded => {
                            // The engine computes `queue` as what is left of alert →
                            // response, so "the stages add up" would hold whatever it
                            // did. Instead each other stage is checked against the
                            // incident's own pre-drawn values (which the engine could
                            // misroute), and the time left for the queue, taken from the
                            // timestamps, must not be negative (a case cannot finish
                            // sooner than its work allows).
                            let d = o.watch_agency.expect("a triaging member") as usize;
                            let j = inc.jurisdiction.map_or(usize::MAX, usize::from);
                            let member = j < k;
                            assert_eq!(o.triage, inc.triage, "triage is the drawn work");
                            let (referral, police) = match (member, j == d) {
                                (true, true) => (inc.domestic, inc.police),
                                (true, false) => (inc.cross_border, inc.police),
                                (false, _) => (inc.international, inc.non_member_police),
                            };
                            assert_eq!(o.referral, referral, "{} k={k}: referral", spec.name);
                            assert_eq!(o.police, police, "{} k={k}: police", spec.name);
                            if !member {
                                assert_eq!(o.desk, 0.0, "no desk for non-members");
                            }
                            let left = (o.response - o.alert)
                                - (o.triage + o.handoff + o.referral + o.desk + o.police);
                            assert!(
                                left >= -1e-6 * o.response.max(1.0),
                                "{} k={k}: response {} s after alert is {} s short of the stages",
                                spec.name,
                                o.response - o.alert,
                                -left
                            );
                            assert!(inc.signal <= o.alert && o.alert <= o.response, "ordered");
                            assert!((o.detect - (o.alert - inc.signal)).abs() < 1e-9);
                            assert!(
                                [o.queue, o.triage, o.handoff, o.referral, o.desk, o.police]
                                    .iter()
                                    .all(|x| *x >= 0.0)
                            );
                            assert!(o.response <= scenario.experiment.horizon());
                        }
                        Status::Missed => {
                            assert!(o.alert.is_nan());
                            assert!(
                                inc.signal + inc.visibility < scenario.experiment.horizon(),
                                "missed at {} + {} ({} k={k})",
                                inc.signal,
                                inc.visibility,
                                spec.name
                            );
                        }
                        Status::Open => assert!(o.response.is_nan()),
                    }
                }
            }
        }
    }
}

#[test]
fn fifo_waits_match_an_independent_kiefer_wolfowitz_recursion() {
    // A check of the queue that does not take it from the engine: for a FIFO desk of c
    // analysts that holds the watch around the clock, the start of each case's triage
    // follows from the alert times and the drawn triage work alone (Kiefer and Wolfowitz
    // 1955): in alert order, a case starts at max(alert, the earliest time an analyst is
    // free), and keeps that analyst busy for its work. From the trace (what --trace
    // writes: alert and response timestamps and the stages), the engine's queue must
    // equal that start − alert, and its response must equal start + triage + referral +
    // police with the incident's own draws. This fails if the engine serves out of
    // order, leaves an analyst idle, double-books one, or misreports a stage.
    let toml = r#"
name = "kiefer-wolfowitz"
[experiment]
seed = 1955
replications = 2
days = 120
[incidents]
rate = "40/day"
[watch]
detect = "exp(mean=20m)"
triage = "lognormal(mean=1h, sd=1.2h)"
discipline = "fifo"
[referral]
domestic = "uniform(5m, 15m)"
[[agency]]
id = "a"
tz = "UTC"
weight = 1.0
watch_staff = 2
police = "gamma(mean=30m, sd=10m)"
[[schedule]]
name = "always"
kind = "always"
"#;
    let mut scenario = Scenario::from_toml(toml, "kw.toml").unwrap();
    // Count every incident, so that the recursion sees every case from the start.
    scenario.experiment.warmup = 0.0;
    let study = Study::new(scenario).unwrap();
    let mut checked = 0;
    for result in study.run(true) {
        let mut trace = result.trace.expect("trace");
        trace.retain(|(_, _, o)| !o.alert.is_nan());
        trace.sort_by(|a, b| a.2.alert.total_cmp(&b.2.alert).then(a.0.cmp(&b.0)));
        let mut free = [0.0f64; 2];
        for (index, inc, o) in &trace {
            let (server, at) = if free[0] <= free[1] {
                (0, free[0])
            } else {
                (1, free[1])
            };
            let start = o.alert.max(at);
            free[server] = start + inc.triage;
            if o.status != Status::Responded {
                continue;
            }
            let tol = 1e-6 * o.response.max(1.0);
            assert!(
                (o.queue - (start - o.alert)).abs() < tol,
                "incident {index}: the engine says it waited {} s, the recursion {} s",
                o.queue,
                start - o.alert
            );
            let response = start + inc.triage + inc.domestic + inc.police;
            assert!(
                (o.response - response).abs() < tol,
                "incident {index}: response at {} s, expected {response} s",
                o.response
            );
            checked += 1;
        }
    }
    assert!(checked > 8000, "{checked} cases checked");
}

#[test]
fn common_random_numbers_replay_the_same_incidents() {
    let scenario = founders("in_progress_at_handoff = \"finish\"");
    let factory = IncidentFactory::new(&scenario).unwrap();
    assert_eq!(factory.generate(3), factory.generate(3));
    assert_ne!(factory.generate(3), factory.generate(4));
}

#[test]
fn an_always_watch_detects_no_later_than_follow_the_sun() {
    // Coverage that contains another's never detects later (common random numbers).
    let scenario = founders("in_progress_at_handoff = \"finish\"");
    let config = EngineConfig::new(&scenario);
    let incidents = IncidentFactory::new(&scenario).unwrap().generate(1);
    let plan = |name: &str| {
        let spec = scenario.schedules.iter().find(|s| s.name == name).unwrap();
        CellPlan::new(&config, schedule::compile(&scenario, spec, 4), 4)
    };
    let (always, fts) = (plan("always"), plan("follow-the-sun"));
    for inc in &incidents {
        let (a, f) = (
            always.alert_time(inc.signal, inc.detect),
            fts.alert_time(inc.signal, inc.detect),
        );
        assert!(a <= f + 1e-6, "{a} > {f}");
    }
}

#[test]
fn results_do_not_depend_on_threads() {
    let scenario = founders("in_progress_at_handoff = \"finish\"");
    let study = Study::new(scenario).unwrap();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            format!(
                "{:?}",
                watchsim::report::runs::run_rows(&study, &study.run(false))
            )
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn same_seed_gives_byte_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, FOUNDERS.replace("days = 364", "days = 30")).unwrap();
    for out in ["a", "b"] {
        let o = watchsim(
            &["run", "s.toml", "-r", "2", "--trace", "--out", out],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for file in ["runs.csv", "incidents.csv"] {
        let a = std::fs::read(dir.path().join("a").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(file)).unwrap();
        assert!(a.len() > 1000);
        assert_eq!(a, b, "{file} differs between two runs with the same seed");
    }
    let header = std::fs::read_to_string(dir.path().join("a/incidents.csv")).unwrap();
    assert!(header.starts_with(
        "scenario,schedule,agencies,replication,incident,jurisdiction,severity,watch_agency,outcome,signal_at,alert_at,response_at,detect,queue,triage,handoff,referral,desk,police,alert_to_response,signal_to_response\n"
    ));
}

#[test]
fn recorded_traces_replay_and_bad_rows_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = r#"
name = "trace"
[experiment]
start = "2026-01-05"
days = 7
replications = 2
[incidents]
file = "trace.csv"
severity = [ { class = "urgent", share = 0.5 }, { class = "routine", share = 0.5 } ]
[watch]
triage = "exp(mean=10m)"
[[agency]]
id = "uk"
tz = "Europe/London"
weight = 1.0
[[schedule]]
name = "always"
kind = "always"
"#;
    std::fs::write(dir.path().join("s.toml"), scenario).unwrap();
    std::fs::write(
        dir.path().join("trace.csv"),
        "signal_at,jurisdiction,severity,triage\n2026-01-05T10:00:00Z,uk,urgent,15\n2026-01-06T10:00:00Z,rest_of_world,routine,\n",
    )
    .unwrap();
    let o = watchsim(&["run", "s.toml", "--trace", "--out", "out"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = std::fs::read_to_string(dir.path().join("out/incidents.csv")).unwrap();
    assert_eq!(
        rows.lines().count(),
        1 + 2 * 2,
        "two incidents, two replications"
    );
    assert!(
        rows.lines().nth(1).unwrap().contains(",15,"),
        "the recorded triage of 15 minutes is kept"
    );

    std::fs::write(
        dir.path().join("trace.csv"),
        "signal_at,jurisdiction,severity\n2026-01-05T10:00:00Z,uk,urgent\nyesterday,uk,urgent\n",
    )
    .unwrap();
    let o = watchsim(&["run", "s.toml", "--out", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("row 2") && err.contains("signal_at") && err.contains("RFC 3339"),
        "{err}"
    );
}

/// Issue 17: a draw that is not finite (an overflowing distribution, a trace value of
/// 1e308 minutes) must not hang the event loop: the case ends as open.
#[test]
fn cases_whose_next_event_is_not_finite_end_open_without_hanging() {
    let scenario = founders("in_progress_at_handoff = \"finish\"");
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let config = EngineConfig::new(&scenario);
        let mut incidents = IncidentFactory::new(&scenario).unwrap().generate(0);
        for (i, inc) in incidents.iter_mut().enumerate().take(300) {
            let bad = [f64::INFINITY, f64::NAN, f64::MAX][i % 3];
            match i % 5 {
                0 => inc.triage = bad,
                1 => inc.domestic = bad,
                2 => inc.police = bad,
                3 => inc.detect = bad,
                _ => inc.cross_border = bad,
            }
        }
        let mut statuses = Vec::new();
        for spec in &scenario.schedules {
            let k = scenario.agencies.len();
            let plan = CellPlan::new(&config, schedule::compile(&scenario, spec, k), k);
            let mut sink = Collect::default();
            simulate(&config, &plan, &incidents, &mut sink);
            assert_eq!(sink.outcomes.len(), incidents.len());
            for o in sink.outcomes.iter().map(|o| o.expect("ended")) {
                if o.status == Status::Responded {
                    assert!(o.response.is_finite() && o.response <= config.horizon);
                }
                statuses.push(o.status);
            }
        }
        done.send(statuses).unwrap();
    });
    let statuses = result
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the engine ended within a minute");
    assert!(statuses.contains(&Status::Open));
}
