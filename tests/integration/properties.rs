//! Property tests over generated scenarios: random rosters (real time zones), schedules,
//! outages, distributions and small horizons. Nothing panics; every incident ends once
//! with ordered timestamps; more coverage never detects later; an extra analyst never
//! makes a FIFO wait longer.

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::Config;
use watchsim::engine::{CellPlan, EngineConfig, Outcome, Sink, Status, simulate};
use watchsim::experiment::Study;
use watchsim::incidents::{Incident, IncidentFactory};
use watchsim::scenario::Scenario;
use watchsim::schedule::{self, Coverage};

const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Amsterdam",
    "America/New_York",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Pacific/Chatham",
];

const DELAYS: &[&str] = &[
    "const(0)",
    "const(15m)",
    "exp(mean=20m)",
    "lognormal(mean=25m, sd=15m)",
    "lognormal(median=8m, sigma=0.6)",
    "uniform(5m, 30m)",
    "gamma(mean=1h, sd=30m)",
    "weibull(shape=1.5, scale=1h)",
];

const VISIBILITY: &[&str] = &["never", "exp(mean=2h)", "lognormal(mean=6h, sd=4h)"];

const DAYS: &[&str] = &["Mon-Fri", "Mon-Sun", "Sat,Sun", "Tue-Thu"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(list)
}

fn hhmm(quarter_hours: u32) -> String {
    format!("{:02}:{:02}", quarter_hours / 4, quarter_hours % 4 * 15)
}

#[derive(Debug, Clone)]
struct AgencyGen {
    tz: &'static str,
    weight: u32,
    staff: u32,
    desk: Option<(u32, u32, &'static str, Option<&'static str>)>,
    referral_in: &'static str,
    police: &'static str,
}

fn agency() -> impl Strategy<Value = AgencyGen> {
    (
        pick(ZONES),
        0u32..4,
        1u32..4,
        proptest::option::of((
            0u32..48,
            1u32..48,
            pick(DAYS),
            proptest::option::of(pick(DELAYS)),
        )),
        pick(DELAYS),
        pick(DELAYS),
    )
        .prop_map(|(tz, weight, staff, desk, referral_in, police)| AgencyGen {
            tz,
            weight,
            staff,
            desk: desk.map(|(open, len, days, callout)| (open, open + len, days, callout)),
            referral_in,
            police,
        })
}

#[derive(Debug, Clone)]
enum RuleGen {
    FollowTheSun(bool),
    RoundRobin(&'static str, u32),
    Blocks(Vec<(usize, u32, u32, &'static str, &'static str)>),
    HomeHours,
    Always,
}

fn rule() -> impl Strategy<Value = RuleGen> {
    prop_oneof![
        any::<bool>().prop_map(RuleGen::FollowTheSun),
        (pick(&["12h", "1d", "7d"]), 0u32..96).prop_map(|(p, at)| RuleGen::RoundRobin(p, at)),
        proptest::collection::vec(
            (0usize..5, 0u32..97, 0u32..97, pick(ZONES), pick(DAYS)),
            1..5
        )
        .prop_map(RuleGen::Blocks),
        Just(RuleGen::HomeHours),
        Just(RuleGen::Always),
    ]
}

/// (agency, first day, length in hours, fallback next?)
type OutageGen = (usize, u32, u32, bool);

#[derive(Debug, Clone)]
struct ScheduleGen {
    rule: RuleGen,
    outages: Vec<OutageGen>,
}

fn schedule_gen() -> impl Strategy<Value = ScheduleGen> {
    (
        rule(),
        proptest::collection::vec((0usize..5, 0u32..20, 1u32..120, any::<bool>()), 0..3),
    )
        .prop_map(|(rule, outages)| ScheduleGen { rule, outages })
}

#[derive(Debug, Clone)]
struct ScenarioGen {
    start_day: u32,
    days: u32,
    rate: u32,
    classes: usize,
    rest_of_world: u32,
    agencies: Vec<AgencyGen>,
    schedules: Vec<ScheduleGen>,
    detect: &'static str,
    triage: &'static str,
    handoff: &'static str,
    visibility: &'static str,
    fifo: bool,
    preemptive: bool,
    transfer: bool,
    seed: u64,
}

fn scenario_gen() -> impl Strategy<Value = ScenarioGen> {
    (
        (0u32..364, 3u32..15, 5u32..80, 1usize..4, 0u32..3),
        proptest::collection::vec(agency(), 1..6),
        proptest::collection::vec(schedule_gen(), 1..4),
        (pick(DELAYS), pick(DELAYS), pick(DELAYS), pick(VISIBILITY)),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<u64>()),
    )
        .prop_map(
            |(
                (start_day, days, rate, classes, rest_of_world),
                agencies,
                schedules,
                (detect, triage, handoff, visibility),
                (fifo, preemptive, transfer, seed),
            )| ScenarioGen {
                start_day,
                days,
                rate,
                classes,
                rest_of_world,
                agencies,
                schedules,
                detect,
                triage,
                handoff,
                visibility,
                fifo,
                preemptive,
                transfer,
                seed,
            },
        )
}

fn schedule_toml(out: &mut String, name: &str, s: &ScheduleGen, g: &ScenarioGen) {
    let n = g.agencies.len();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        + chrono::Duration::days(i64::from(g.start_day));
    writeln!(out, "[[schedule]]\nname = \"{name}\"").unwrap();
    match &s.rule {
        RuleGen::FollowTheSun(local) => writeln!(
            out,
            "kind = \"follow_the_sun\"\nanchor = \"{}\"",
            if *local { "local" } else { "utc" }
        ),
        RuleGen::RoundRobin(period, at) => writeln!(
            out,
            "kind = \"round_robin\"\nperiod = \"{period}\"\nhandoff_at = \"{}\"",
            hhmm(*at)
        ),
        RuleGen::Blocks(blocks) => {
            let items: Vec<String> = blocks
                .iter()
                .map(|(a, from, to, tz, days)| {
                    // A block starts before 24:00 and is not empty.
                    let from = from % 96;
                    let to = if *to == from { from + 1 } else { *to };
                    format!(
                        "{{ agency = \"a{}\", from = \"{}\", to = \"{}\", tz = \"{tz}\", days = \"{days}\" }}",
                        a % n,
                        hhmm(from),
                        hhmm(to)
                    )
                })
                .collect();
            writeln!(out, "kind = \"blocks\"\nblocks = [ {} ]", items.join(", "))
        }
        RuleGen::HomeHours => writeln!(out, "kind = \"home_hours\""),
        RuleGen::Always => writeln!(out, "kind = \"always\""),
    }
    .unwrap();
    if !s.outages.is_empty() {
        let items: Vec<String> = s
            .outages
            .iter()
            .map(|(a, day, hours, next)| {
                let from =
                    start.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::days(i64::from(*day));
                let to = from + chrono::Duration::hours(i64::from(*hours));
                format!(
                    "{{ agency = \"a{}\", from = \"{}\", to = \"{}\", fallback = \"{}\" }}",
                    a % n,
                    from.format("%Y-%m-%dT%H:%M:00Z"),
                    to.format("%Y-%m-%dT%H:%M:00Z"),
                    if *next { "next" } else { "gap" }
                )
            })
            .collect();
        writeln!(out, "outages = [ {} ]", items.join(", ")).unwrap();
    }
}

fn scenario_toml(g: &ScenarioGen) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        + chrono::Duration::days(i64::from(g.start_day));
    let weights: Vec<u32> = g.agencies.iter().map(|a| a.weight).collect();
    let mut row = g.rest_of_world;
    if weights.iter().sum::<u32>() + row == 0 {
        row = 1;
    }
    let total = f64::from(weights.iter().sum::<u32>() + row);
    let mut out = String::new();
    let names = ["imminent", "urgent", "routine"];
    let severity: Vec<String> = (0..g.classes)
        .map(|c| {
            let share = if c + 1 == g.classes {
                1.0 - (g.classes - 1) as f64 * 0.25
            } else {
                0.25
            };
            format!("{{ class = \"{}\", share = {share} }}", names[c])
        })
        .collect();
    writeln!(
        out,
        r#"name = "generated"
[experiment]
seed = {seed}
replications = 1
days = {days}
start = "{start}"
[incidents]
rate = "{rate}/day"
profile = "evening"
severity = [ {severity} ]
visibility = "{visibility}"
rest_of_world = {row}
[watch]
detect = "{detect}"
triage = "{triage}"
handoff = "{handoff}"
discipline = "{discipline}"
preemptive = {preemptive}
in_progress_at_handoff = "{in_progress}"
[referral]
domestic = "exp(mean=10m)"
international = "lognormal(mean=1d, sd=12h)"
non_member_police = "exp(mean=30m)""#,
        seed = g.seed,
        days = g.days,
        rate = g.rate,
        severity = severity.join(", "),
        visibility = g.visibility,
        row = f64::from(row) / total,
        detect = g.detect,
        triage = g.triage,
        handoff = g.handoff,
        discipline = if g.fifo { "fifo" } else { "priority" },
        preemptive = g.preemptive,
        in_progress = if g.transfer { "transfer" } else { "finish" },
    )
    .unwrap();
    for (i, a) in g.agencies.iter().enumerate() {
        writeln!(
            out,
            "[[agency]]\nid = \"a{i}\"\ntz = \"{}\"\nweight = {}\nwatch_staff = {}\nreferral_in = \"{}\"\npolice = \"{}\"",
            a.tz,
            f64::from(weights[i]) / total,
            a.staff,
            a.referral_in,
            a.police
        )
        .unwrap();
        match a.desk {
            None => writeln!(out, "desk = \"24/7\""),
            Some((open, close, days, callout)) => {
                let callout = callout
                    .map(|c| format!(", callout = \"{c}\", callout_for = [\"{}\"]", names[0]))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "desk = {{ open = \"{}\", close = \"{}\", days = \"{days}\"{callout} }}",
                    hhmm(open),
                    hhmm(close.min(96))
                )
            }
        }
        .unwrap();
    }
    for (i, s) in g.schedules.iter().enumerate() {
        schedule_toml(&mut out, &format!("s{i}"), s, g);
    }
    out
}

/// Records every outcome and how often each incident ended.
#[derive(Default)]
struct Count {
    outcomes: Vec<Option<Outcome>>,
    ends: Vec<u32>,
}

impl Sink for Count {
    fn record(&mut self, index: u32, _incident: &Incident, outcome: &Outcome) {
        let i = index as usize;
        if self.outcomes.len() <= i {
            self.outcomes.resize(i + 1, None);
            self.ends.resize(i + 1, 0);
        }
        self.ends[i] += 1;
        self.outcomes[i] = Some(*outcome);
    }
}

fn load(text: &str) -> Scenario {
    Scenario::from_toml(text, "generated.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn check_outcomes(scenario: &Scenario, incidents: &[Incident], sink: &Count, what: &str) {
    let horizon = scenario.experiment.horizon();
    assert_eq!(sink.outcomes.len(), incidents.len(), "{what}");
    for (i, inc) in incidents.iter().enumerate() {
        assert_eq!(
            sink.ends[i], 1,
            "{what}: incident {i} ended {} times",
            sink.ends[i]
        );
        let o = sink.outcomes[i].expect("ended");
        match o.status {
            Status::Responded => {
                assert!(
                    inc.signal <= o.alert && o.alert <= o.response && o.response <= horizon,
                    "{what}: incident {i}: signal {} alert {} response {}",
                    inc.signal,
                    o.alert,
                    o.response
                );
                let stages = [o.queue, o.triage, o.handoff, o.referral, o.desk, o.police];
                assert!(
                    stages.iter().all(|x| x.is_finite() && *x >= 0.0),
                    "{what}: {o:?}"
                );
                // `queue` is what is left of alert → response, so the stages always add
                // up; what can fail is that the other stages are the incident's own
                // draws, and that the time left for the queue is not negative.
                assert_eq!(o.triage, inc.triage, "{what}: triage is the drawn work");
                assert!(
                    [inc.domestic, inc.cross_border, inc.international].contains(&o.referral),
                    "{what}: referral {} is none of the incident's draws",
                    o.referral
                );
                assert!(
                    [inc.police, inc.non_member_police].contains(&o.police),
                    "{what}: police {} is none of the incident's draws",
                    o.police
                );
                let left =
                    o.alert_to_response() - (o.triage + o.handoff + o.referral + o.desk + o.police);
                assert!(
                    left >= -1e-9 * o.response.max(1.0),
                    "{what}: alert → response {} is {} s short of the stages",
                    o.alert_to_response(),
                    -left
                );
                assert!((o.detect - (o.alert - inc.signal)).abs() < 1e-6);
            }
            Status::Missed => {
                assert!(o.alert.is_nan(), "{what}");
                assert!(inc.signal + inc.visibility <= horizon, "{what}");
            }
            Status::Open => {
                assert!(o.response.is_nan(), "{what}");
                if !o.alert.is_nan() {
                    assert!(inc.signal <= o.alert && o.alert <= horizon, "{what}");
                }
            }
        }
    }
}

/// Whether every instant covered by `inner` is covered by `outer`.
fn covered_within(inner: &Coverage, outer: &Coverage) -> bool {
    (0..inner.starts.len())
        .filter(|&i| inner.masks[i] != 0)
        .all(|i| {
            let (from, to) = (inner.starts[i], inner.end(i));
            let j = outer.segment_at(from);
            (j..outer.starts.len())
                .take_while(|&j| outer.starts[j] < to)
                .all(|j| outer.masks[j] != 0)
        })
}

proptest! {
    #![proptest_config(Config { cases: 48, max_shrink_iters: 200, ..Config::default() })]

    #[test]
    fn generated_scenarios_run_and_every_incident_ends_once(g in scenario_gen()) {
        let text = scenario_toml(&g);
        let scenario = load(&text);
        let config = EngineConfig::new(&scenario);
        let incidents = IncidentFactory::new(&scenario).expect("synthetic").generate(0);
        for spec in &scenario.schedules {
            for k in 1..=scenario.agencies.len() {
                let coverage = schedule::compile(&scenario, spec, k);
                assert!(coverage.starts.windows(2).all(|w| w[0] < w[1]), "segments in order");
                assert!(coverage.masks.iter().all(|m| m >> k == 0), "only members hold the watch");
                let _ = coverage.intervals(k);
                let plan = CellPlan::new(&config, coverage, k);
                let mut sink = Count::default();
                simulate(&config, &plan, &incidents, &mut sink);
                check_outcomes(&scenario, &incidents, &sink, &format!("{} k={k}\n{text}", spec.name));
            }
        }
        // The whole study (sweep, cells, summaries) runs too.
        let study = Study::new(scenario).expect("synthetic");
        let results = study.run_item(0, 0, true);
        prop_assert_eq!(results.len(), study.cells.len());
    }

    #[test]
    fn more_coverage_never_detects_later(
        g in scenario_gen(),
        extra in proptest::collection::vec((0usize..5, 0u32..97, 0u32..97, pick(ZONES), pick(DAYS)), 1..3),
    ) {
        // For each generated schedule B, schedules whose coverage may contain B's: every
        // member 24/7, B without its outages, and, for blocks, B with extra blocks.
        let mut g = g;
        let base = g.schedules.clone();
        for b in &base {
            g.schedules.push(ScheduleGen { rule: RuleGen::Always, outages: Vec::new() });
            g.schedules.push(ScheduleGen { rule: b.rule.clone(), outages: Vec::new() });
            if let RuleGen::Blocks(blocks) = &b.rule {
                let mut more = blocks.clone();
                more.extend(extra.iter().cloned());
                g.schedules.push(ScheduleGen { rule: RuleGen::Blocks(more), outages: b.outages.clone() });
            }
        }
        let text = scenario_toml(&g);
        let scenario = load(&text);
        let config = EngineConfig::new(&scenario);
        let incidents = IncidentFactory::new(&scenario).expect("synthetic").generate(0);
        let k = scenario.agencies.len();
        let mut extra_index = base.len();
        for (bi, b) in base.iter().enumerate() {
            let inner = schedule::compile(&scenario, &scenario.schedules[bi], k);
            let mut outers = vec![extra_index, extra_index + 1];
            extra_index += 2;
            if matches!(b.rule, RuleGen::Blocks(_)) {
                outers.push(extra_index);
                extra_index += 1;
            }
            let inner_plan = CellPlan::new(&config, inner.clone(), k);
            for o in outers {
                let outer = schedule::compile(&scenario, &scenario.schedules[o], k);
                // Outages with fallback "next" may hand cover to a member that the
                // schedule without outages leaves off, so containment is checked, not
                // assumed; "always" and added blocks always contain.
                let contains = covered_within(&inner, &outer);
                if matches!(scenario.schedules[o].rule, watchsim::scenario::Rule::Always) || o == extra_index - 1 && matches!(b.rule, RuleGen::Blocks(_)) {
                    prop_assert!(contains, "schedule s{o} should contain s{bi}\n{text}");
                }
                if !contains {
                    continue;
                }
                let outer_plan = CellPlan::new(&config, outer, k);
                for inc in &incidents {
                    let a_in = inner_plan.alert_time(inc.signal, inc.detect);
                    let a_out = outer_plan.alert_time(inc.signal, inc.detect);
                    prop_assert!(
                        a_out <= a_in + 1e-6,
                        "s{o} detects at {a_out} after s{bi} at {a_in} (signal {}, effort {})\n{text}",
                        inc.signal, inc.detect
                    );
                }
            }
        }
    }

    #[test]
    fn an_extra_analyst_never_lengthens_a_fifo_wait(
        staff in 1u32..4,
        rate in 5u32..120,
        days in 3u32..20,
        detect in pick(DELAYS),
        triage in pick(&["exp(mean=1h)", "const(30m)", "lognormal(mean=40m, sd=60m)", "uniform(0, 2h)", "weibull(shape=0.7, scale=30m)"]),
        seed in any::<u64>(),
    ) {
        // FIFO with service times attached to the cases: by the Kiefer–Wolfowitz
        // recursion, each case's start of service is non-increasing in the number of
        // servers, so no case waits longer with c + 1 analysts than with c.
        let text = |c: u32| format!(
            r#"name = "fifo"
[experiment]
seed = {seed}
days = {days}
[incidents]
rate = "{rate}/day"
[watch]
detect = "{detect}"
triage = "{triage}"
discipline = "fifo"
[[agency]]
id = "a"
tz = "Europe/London"
weight = 1.0
watch_staff = {c}
[[schedule]]
name = "always"
kind = "always"
"#);
        let small = load(&text(staff));
        let large = load(&text(staff + 1));
        let incidents = IncidentFactory::new(&small).expect("synthetic").generate(0);
        prop_assert_eq!(&incidents, &IncidentFactory::new(&large).expect("synthetic").generate(0));
        let run = |s: &Scenario| {
            let config = EngineConfig::new(s);
            let plan = CellPlan::new(&config, schedule::compile(s, &s.schedules[0], 1), 1);
            let mut sink = Count::default();
            simulate(&config, &plan, &incidents, &mut sink);
            check_outcomes(s, &incidents, &sink, "fifo");
            sink.outcomes
        };
        let (a, b) = (run(&small), run(&large));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            let (x, y) = (x.expect("ended"), y.expect("ended"));
            if x.status == Status::Responded && y.status == Status::Responded {
                prop_assert!(
                    y.queue <= x.queue + 1e-6,
                    "incident {i}: waits {} with {} analysts, {} with {}",
                    x.queue, staff, y.queue, staff + 1
                );
            }
            // A case that was answered with c analysts is answered with c + 1.
            if x.status == Status::Responded {
                prop_assert_eq!(y.status, Status::Responded, "incident {}", i);
            }
        }
    }
}
