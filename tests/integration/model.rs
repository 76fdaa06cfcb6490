//! The model options of issue 16, each on a scenario small enough to work the expected
//! figure out by hand: holidays, hours that wrap midnight, `desk_open_on_watch`,
//! `route`, `detect_scaling`, `min_shift`, the new sweeps and bare durations.
//!
//! Every scenario starts on Monday 2026-01-05 at 00:00 UTC, so hour `h` of day `d` is
//! `(24 d + h) × 3600` seconds.

use watchsim::engine::{CellPlan, Collect, EngineConfig, Outcome, Status, simulate};
use watchsim::experiment::{Study, apply_sweep};
use watchsim::incidents::{HandoffDraw, Incident, IncidentFactory};
use watchsim::scenario::units::Dist;
use watchsim::scenario::{Desk, Scenario};
use watchsim::schedule::{self, IntervalKind};
use watchsim::stats::Metric;

use crate::textbook::assert_exact;

const H: f64 = 3600.0;
const M: f64 = 60.0;
const DAY: f64 = 24.0 * H;

/// Hour `h` of day `d` (day 0 is Monday 2026-01-05).
fn at(d: f64, h: f64) -> f64 {
    d * DAY + h * H
}

/// A scenario of UTC agencies with the given `[[agency]]` bodies (after `id`), one
/// schedule and extra `[watch]` keys; 14 days; every stage instantaneous unless set.
fn scenario(agencies: &[(&str, &str)], schedule: &str, watch: &str) -> Scenario {
    let mut text = format!(
        "name = \"t\"\n[experiment]\ndays = 14\nstart = \"2026-01-05\"\nagencies = [{}]\n\
         [incidents]\nrate = \"10/day\"\nseverity = [ {{ class = \"urgent\", share = 0.5 }}, {{ class = \"routine\", share = 0.5 }} ]\n\
         rest_of_world = 0\n[watch]\ndetect = \"0\"\ntriage = \"0\"\n{watch}\n",
        agencies.len()
    );
    let weight = 1.0 / agencies.len() as f64;
    for (id, body) in agencies {
        text.push_str(&format!(
            "[[agency]]\nid = \"{id}\"\ntz = \"UTC\"\nweight = {weight}\n{body}\n"
        ));
    }
    text.push_str(&format!("[[schedule]]\nname = \"s\"\n{schedule}\n"));
    Scenario::from_toml(&text, "t.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// An incident of agency `j` (`None`: rest of the world) signalled at `signal`, with
/// every stage zero but the given detection effort and triage work.
fn incident(signal: f64, j: Option<u16>, class: u8, detect: f64, triage: f64) -> Incident {
    Incident {
        signal,
        jurisdiction: j,
        class,
        visibility: f64::INFINITY,
        detect,
        triage,
        domestic: 0.0,
        cross_border: 0.0,
        international: 0.0,
        callout: 45.0 * M,
        police: 0.0,
        non_member_police: 0.0,
        handoff: HandoffDraw::Recorded(0.0),
    }
}

/// Runs incidents (in signal order) through the scenario's only schedule at all its
/// agencies.
fn run(s: &Scenario, incidents: &[Incident]) -> Vec<Outcome> {
    let config = EngineConfig::new(s);
    let k = s.agencies.len();
    let plan = CellPlan::new(&config, schedule::compile(s, &s.schedules[0], k), k);
    let mut sink = Collect::default();
    simulate(&config, &plan, incidents, &mut sink);
    sink.outcomes
        .into_iter()
        .map(|o| o.expect("every incident ends"))
        .collect()
}

/// Desk waits, in hours, of referrals to agency 1 arriving at the given times.
fn desk_waits(s: &Scenario, times: &[f64], class: u8) -> Vec<f64> {
    let incidents: Vec<Incident> = times
        .iter()
        .map(|&t| incident(t, Some(1), class, 0.0, 0.0))
        .collect();
    run(s, &incidents)
        .iter()
        .map(|o| {
            assert_eq!(o.status, Status::Responded);
            o.desk / H
        })
        .collect()
}

/// The watch is held by a watch-only member `w`; agency `a`'s desk never holds it, so
/// only its own hours (and holidays) decide when it accepts referrals.
fn desk_scenario(desk: &str, holidays: &str) -> Scenario {
    scenario(
        &[
            ("w", ""),
            ("a", &format!("desk = {desk}\nholidays = [{holidays}]")),
        ],
        "kind = \"always\"",
        "desk_open_on_watch = false",
    )
}

/// A desk open 09:00–17:00 Mon–Fri, closed on Tuesday 2026-01-06 and Friday
/// 2026-01-09: a referral on Tuesday at 10:00 waits until Wednesday 09:00 (23 h, against
/// 0 on an ordinary Tuesday); one on Friday at 10:00 until Monday 09:00 (71 h); one on
/// Monday evening at 20:00 skips the closed Tuesday to Wednesday 09:00 (37 h instead of
/// 13 h). With a call-out (45 min) the urgent class waits 45 min instead.
#[test]
fn a_desk_closed_on_a_holiday_adds_the_hours_to_the_next_opening() {
    let desk = "{ open = \"09:00\", close = \"17:00\", days = \"Mon-Fri\" }";
    let times = [at(1.0, 10.0), at(4.0, 10.0), at(0.0, 20.0), at(2.0, 10.0)];
    let plain = desk_waits(&desk_scenario(desk, ""), &times, 1);
    assert_eq!(plain, [0.0, 0.0, 13.0, 0.0]);
    let s = desk_scenario(desk, "\"2026-01-06\", \"2026-01-09\"");
    assert_eq!(desk_waits(&s, &times, 1), [23.0, 71.0, 37.0, 0.0]);
    // The second week has no holiday: the same referrals a week later wait as usual.
    let later: Vec<f64> = times.iter().map(|t| t + 7.0 * DAY).collect();
    assert_eq!(desk_waits(&s, &later, 1), plain);
    // Call-out rules apply on a holiday as after hours.
    let callout = "{ open = \"09:00\", close = \"17:00\", days = \"Mon-Fri\", callout = \"const(45m)\", callout_for = [\"urgent\"] }";
    let s = desk_scenario(callout, "\"2026-01-06\", \"2026-01-09\"");
    assert_eq!(desk_waits(&s, &times, 0), [0.75, 0.75, 0.75, 0.0]);
    assert_eq!(desk_waits(&s, &times, 1), [23.0, 71.0, 37.0, 0.0]);
}

/// Under home_hours 09:00–17:00 Mon–Fri a member watches 5 × 8 = 40 h in the first
/// week; with Tuesday a holiday, 32 h, and nobody watches on Tuesday.
#[test]
fn home_hours_do_not_watch_on_holidays() {
    let home = "kind = \"home_hours\"\nopen = \"09:00\"\nclose = \"17:00\"";
    let s = scenario(&[("a", "holidays = [\"2026-01-06\"]")], home, "");
    let plain = scenario(&[("a", "")], home, "");
    let c = schedule::compile(&s, &s.schedules[0], 1);
    let p = schedule::compile(&plain, &plain.schedules[0], 1);
    assert_eq!(p.held_secs(0) / H, 80.0);
    assert_eq!(c.held_secs(0) / H, 72.0);
    assert_eq!(c.mask_at(at(1.0, 12.0)), 0);
    assert_eq!(c.mask_at(at(2.0, 12.0)), 1);
}

/// A desk open 22:00–06:00 on Mon–Fri nights (days are the nights' first days): a
/// referral on Tuesday at 07:00 waits 15 h (to 22:00); at 23:00 and at Wednesday 05:00
/// it is accepted at once; on Saturday at 03:00 Friday's night still holds; on Saturday
/// at 07:00 it waits until Monday 22:00 (63 h). Home hours that wrap midnight give the
/// same coverage as the equivalent blocks.
#[test]
fn hours_that_wrap_midnight() {
    let desk = "{ open = \"22:00\", close = \"06:00\", days = \"Mon-Fri\" }";
    let s = desk_scenario(desk, "");
    let times = [
        at(1.0, 7.0),
        at(1.0, 23.0),
        at(2.0, 5.0),
        at(5.0, 3.0),
        at(5.0, 7.0),
    ];
    assert_eq!(desk_waits(&s, &times, 1), [15.0, 0.0, 0.0, 0.0, 63.0]);

    let home = scenario(
        &[("a", "")],
        "kind = \"home_hours\"\nopen = \"22:00\"\nclose = \"06:00\"\ndays = \"Mon-Fri\"",
        "",
    );
    let blocks = scenario(
        &[("a", "")],
        "kind = \"blocks\"\nblocks = [ { agency = \"a\", from = \"22:00\", to = \"06:00\", days = \"Mon-Fri\" } ]",
        "",
    );
    let h = schedule::compile(&home, &home.schedules[0], 1);
    let b = schedule::compile(&blocks, &blocks.schedules[0], 1);
    assert_eq!(h, b);
    // Two weeks of five 8-hour nights.
    assert_eq!(h.held_secs(0) / H, 80.0);
    assert_eq!(h.mask_at(at(0.0, 23.0)), 1);
    assert_eq!(h.mask_at(at(1.0, 5.0)), 1);
    assert_eq!(h.mask_at(at(1.0, 7.0)), 0);
}

/// One agency on `always` with a desk open 09:00–17:00 Mon–Fri: a referral on Tuesday
/// at 20:00 is accepted at once while the desk counts as open because its agency holds
/// the watch (the default), and waits 13 h (to Wednesday 09:00) under
/// `desk_open_on_watch = false`.
#[test]
fn desk_open_on_watch_is_explicit() {
    let body = "desk = { open = \"09:00\", close = \"17:00\", days = \"Mon-Fri\" }";
    let waits = |watch: &str| {
        let s = scenario(&[("w", ""), ("a", body)], "kind = \"always\"", watch);
        desk_waits(&s, &[at(1.0, 20.0), at(2.0, 10.0)], 1)
    };
    assert_eq!(waits(""), [0.0, 0.0]);
    assert_eq!(waits("desk_open_on_watch = true"), [0.0, 0.0]);
    assert_eq!(waits("desk_open_on_watch = false"), [13.0, 0.0]);
}

/// Three members on `always`, one analyst each; cases of no member's own:
/// case 0 at 0 (10 h of work), case 1 at 1 min, case 2 at 2 min, case 3 at 10 min (1 min
/// each), then case 4 of member c at 11 min. `first` sends the four to a; `round_robin`
/// to a, b, c, a; `least_loaded` to a (all idle), b (a busy), b (b finished case 1 at
/// 2 min, so a has 1, b and c 0, tie in roster order), b again (a 1, b 0, c 0). Case 4
/// goes to its own agency c under every rule.
#[test]
fn routing_rules_on_overlaps() {
    let incidents = [
        incident(0.0, None, 1, 0.0, 10.0 * H),
        incident(M, None, 1, 0.0, M),
        incident(2.0 * M, None, 1, 0.0, M),
        incident(10.0 * M, None, 1, 0.0, M),
        incident(11.0 * M, Some(2), 1, 0.0, M),
    ];
    let routed = |rule: &str| -> Vec<u16> {
        let s = scenario(
            &[("a", ""), ("b", ""), ("c", "")],
            "kind = \"always\"",
            &format!("route = \"{rule}\""),
        );
        run(&s, &incidents)
            .iter()
            .map(|o| o.watch_agency.expect("triaged"))
            .collect()
    };
    assert_eq!(routed("first"), [0, 0, 0, 0, 2]);
    assert_eq!(routed("round_robin"), [0, 1, 2, 0, 2]);
    assert_eq!(routed("least_loaded"), [0, 1, 1, 1, 2]);
    // The default is `first`.
    let s = scenario(&[("a", ""), ("b", ""), ("c", "")], "kind = \"always\"", "");
    let default: Vec<u16> = run(&s, &incidents)
        .iter()
        .map(|o| o.watch_agency.unwrap())
        .collect();
    assert_eq!(default, routed("first"));
}

/// `a` holds 00:00–12:00, `b` 06:00–18:00 (UTC). A signal at 00:00 needing 8 h of effort:
/// without scaling it is detected at 08:00; under per_watcher 6 h accrue alone by 06:00
/// and the last 2 h at rate 2 take 1 h: 07:00. A signal at 17:00 needing 2 h: 1 h by
/// 18:00, then the gap to 00:00, then 1 h: 01:00 the next day either way.
#[test]
fn per_watcher_detection_on_a_partial_overlap() {
    let blocks = "kind = \"blocks\"\nblocks = [ { agency = \"a\", from = \"00:00\", to = \"12:00\" }, { agency = \"b\", from = \"06:00\", to = \"18:00\" } ]";
    let alerts = |watch: &str| -> Vec<f64> {
        let s = scenario(&[("a", ""), ("b", "")], blocks, watch);
        let incidents = [
            incident(0.0, Some(0), 1, 8.0 * H, 0.0),
            incident(at(0.0, 17.0), Some(0), 1, 2.0 * H, 0.0),
        ];
        run(&s, &incidents).iter().map(|o| o.alert / H).collect()
    };
    assert_eq!(alerts(""), [8.0, 25.0]);
    assert_eq!(alerts("detect_scaling = \"none\""), [8.0, 25.0]);
    assert_eq!(alerts("detect_scaling = \"per_watcher\""), [7.0, 25.0]);
    assert_eq!(
        alerts("detect_scaling = \"per_watcher\"\ndetect_cap = 1"),
        [8.0, 25.0]
    );
}

/// Three members on `always` with detection `exp(mean=1h)`: per_watcher divides every
/// detection time by 3 (mean 20 min, within a 99.9 % CI of the simulated mean), a cap
/// of 2 by 2 (30 min); without scaling the mean stays 1 h.
#[test]
fn per_watcher_with_three_watchers_divides_detection_time_by_three() {
    let text = |watch: &str| {
        format!(
            "name = \"t\"\n[experiment]\ndays = 1000\nagencies = [3]\n\
             [incidents]\nrate = \"40/day\"\nseverity = [ {{ class = \"any\", share = 1 }} ]\nvisibility = \"never\"\n\
             [watch]\ndetect = \"exp(mean=1h)\"\ntriage = \"0\"\n{watch}\n\
             [[agency]]\nid = \"a\"\ntz = \"UTC\"\nweight = 0.4\n\
             [[agency]]\nid = \"b\"\ntz = \"Asia/Tokyo\"\nweight = 0.3\n\
             [[agency]]\nid = \"c\"\ntz = \"America/Chicago\"\nweight = 0.3\n\
             [[schedule]]\nname = \"all\"\nkind = \"always\"\n"
        )
    };
    for (watch, divisor) in [
        ("", 1.0),
        ("detect_scaling = \"per_watcher\"", 3.0),
        ("detect_scaling = \"per_watcher\"\ndetect_cap = 2", 2.0),
    ] {
        let s = Scenario::from_toml(&text(watch), "t.toml").unwrap_or_else(|e| panic!("{e}"));
        let incidents = IncidentFactory::new(&s).unwrap().generate(0);
        let outcomes = run(&s, &incidents);
        // Exact per incident: the same drawn effort at `divisor` times the rate.
        for (inc, o) in incidents.iter().zip(&outcomes) {
            if o.status == Status::Responded {
                assert!(
                    (o.detect - inc.detect / divisor).abs() < 1e-6,
                    "{watch}: {} vs {}",
                    o.detect,
                    inc.detect / divisor
                );
            }
        }
        let detect: Vec<f64> = outcomes
            .iter()
            .filter(|o| o.status == Status::Responded)
            .map(|o| o.detect / M)
            .collect();
        assert!(detect.len() > 35_000, "{}", detect.len());
        assert_exact(
            &detect,
            60.0 / divisor,
            &format!("mean detection (min), {watch:?}"),
        );
    }
}

/// Handoffs per day of a coverage: boundaries where a member leaves and someone holds.
fn handoffs_per_day(c: &schedule::Coverage) -> f64 {
    let handoffs = c
        .masks
        .windows(2)
        .filter(|w| w[0] & !w[1] != 0 && w[1] != 0)
        .count();
    handoffs as f64 / (c.horizon / DAY)
}

/// Three members in one zone share one midday. Without min_shift they split the day
/// into three 8 h blocks; with `min_shift = "8h"` nothing changes; with "12h" the day is
/// two 12 h blocks taken in rotation by day in roster order: day 0 a then b, day 1 c
/// then a, day 2 b then c, so each member holds 24 h every 3 days and there are 2
/// handoffs a day instead of 3.
#[test]
fn min_shift_rotates_members_through_longer_blocks() {
    let fts = |extra: &str| {
        let s = scenario(
            &[("a", ""), ("b", ""), ("c", "")],
            &format!("kind = \"follow_the_sun\"\n{extra}"),
            "",
        );
        schedule::compile(&s, &s.schedules[0], 3)
    };
    let plain = fts("");
    assert_eq!(fts("min_shift = \"8h\""), plain);
    assert_eq!(handoffs_per_day(&plain), 3.0 - 1.0 / 14.0);
    let c = fts("min_shift = \"12h\"");
    let holder = |d: f64, h: f64| c.mask_at(at(d, h)).trailing_zeros();
    assert_eq!(
        [
            holder(0.0, 6.0),
            holder(0.0, 18.0),
            holder(1.0, 6.0),
            holder(1.0, 18.0),
            holder(2.0, 6.0),
            holder(2.0, 18.0),
            holder(3.0, 6.0),
        ],
        [0, 1, 2, 0, 1, 2, 0]
    );
    for m in 0..3 {
        // 14 days: 28 blocks of 12 h, shared round the three members (10, 9, 9).
        let expected = if m == 0 { 120.0 } else { 108.0 };
        assert_eq!(c.held_secs(m) / H, expected, "member {m}");
    }
    assert_eq!(handoffs_per_day(&c), 2.0 - 1.0 / 14.0);
}

/// The growing roster at 15 agencies: follow-the-sun gives five members 24-minute
/// blocks and 15 handoffs a day. With `min_shift = "4h"` (UTC anchor, so that no
/// daylight saving change shortens a block) no block is shorter than 4 h, and the day
/// is five blocks: NZ+AU+KR+PH (8 h, two blocks of 4 h), ID+AE (5 h), the five UTC+1
/// members with the UK (5 h), and the three UTC−5 members (6 h): 5 handoffs a day.
#[test]
fn min_shift_on_the_growing_roster() {
    let text = watchsim::scenario::DEFAULT_SCENARIO;
    let with = text.replace("anchor = \"utc\"", "anchor = \"utc\"\nmin_shift = \"4h\"");
    let before = Scenario::from_toml(text, "g.toml").unwrap();
    let after = Scenario::from_toml(&with, "g.toml").unwrap();
    let spec = |s: &Scenario| {
        s.schedules
            .iter()
            .position(|x| x.name == "follow-the-sun-utc")
            .unwrap()
    };
    let b = schedule::compile(&before, &before.schedules[spec(&before)], 15);
    let a = schedule::compile(&after, &after.schedules[spec(&after)], 15);
    let per_day = |c: &schedule::Coverage| {
        (handoffs_per_day(c) * c.horizon / DAY).round() / (c.horizon / DAY)
    };
    println!(
        "growing roster, 15 agencies, follow-the-sun-utc: {:.3} handoffs a day before, {:.3} with min_shift = 4h",
        per_day(&b),
        per_day(&a)
    );
    assert!((handoffs_per_day(&b) - 15.0).abs() < 0.01);
    assert!((handoffs_per_day(&a) - 5.0).abs() < 0.01);
    let shortest = |c: &schedule::Coverage| {
        c.intervals(15)
            .iter()
            .filter(|i| i.kind == IntervalKind::Watch && i.start > 0.0 && i.end < c.horizon)
            .map(|i| i.end - i.start)
            .fold(f64::INFINITY, f64::min)
    };
    assert!((shortest(&b) - 24.0 * M).abs() < 1.0, "{}", shortest(&b));
    assert!(shortest(&a) >= 4.0 * H - 1.0, "{}", shortest(&a) / H);
    assert_eq!(a.masks.iter().filter(|&&m| m == 0).count(), 0, "no gap");
}

/// `handoff = "10m"` is `const(10m)`, wherever a distribution is expected.
#[test]
fn a_bare_duration_is_a_constant() {
    let s = scenario(
        &[("a", "police = \"1.5h\"")],
        "kind = \"always\"",
        "handoff = \"10m\"",
    );
    assert_eq!(s.watch.handoff, Dist::Const(600.0));
    assert_eq!(s.agencies[0].police, Dist::Const(5400.0));
    assert_eq!("0".parse::<Dist>(), Ok(Dist::Const(0.0)));
    assert!("ten minutes".parse::<Dist>().is_err());
}

/// Sweeps of the call-out mean and the closing time: a desk open 09:00–17:00 Mon–Fri
/// with a 45 min call-out for the urgent class. Swept to a 2 h call-out, an urgent
/// referral after hours waits 2 h; with the desk closing at 20:00, a routine referral
/// on Tuesday at 18:00 is accepted at once (3 h earlier closing: it waited 15 h).
#[test]
fn callout_mean_and_desk_close_sweep() {
    let text = |sweep: &str| {
        format!(
            "name = \"t\"\n[experiment]\ndays = 14\nstart = \"2026-01-05\"\nagencies = [2]\n\
             [incidents]\nrate = \"10/day\"\nseverity = [ {{ class = \"urgent\", share = 0.5 }}, {{ class = \"routine\", share = 0.5 }} ]\n\
             [watch]\ndetect = \"0\"\ntriage = \"0\"\ndesk_open_on_watch = false\n\
             [[agency]]\nid = \"w\"\ntz = \"UTC\"\nweight = 0.5\n\
             [[agency]]\nid = \"a\"\ntz = \"UTC\"\nweight = 0.5\n\
             desk = {{ open = \"09:00\", close = \"17:00\", callout = \"exp(mean=45m)\", callout_for = [\"urgent\"] }}\n\
             [[schedule]]\nname = \"all\"\nkind = \"always\"\n[sweep]\n{sweep}\n"
        )
    };
    let s = Scenario::from_toml(
        &text("parameter = \"callout.mean.a\"\nvalues = [\"45m\", \"2h\"]"),
        "t.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sweep = s.sweep.as_ref().unwrap();
    let swept = apply_sweep(&s, &sweep.parameter, sweep.values[1]);
    match &swept.agencies[1].desk {
        Desk::Hours {
            callout: Some(c), ..
        } => assert_eq!(c.mean(), 2.0 * H),
        other => panic!("{other:?}"),
    }
    let s = Scenario::from_toml(
        &text("parameter = \"desk.close\"\nvalues = [\"17:00\", \"20:00\"]"),
        "t.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sweep = s.sweep.as_ref().unwrap();
    assert_eq!(sweep.values, [17.0 * H, 20.0 * H]);
    let late = [at(1.0, 18.0)];
    let at_17 = apply_sweep(&s, &sweep.parameter, sweep.values[0]);
    let at_20 = apply_sweep(&s, &sweep.parameter, sweep.values[1]);
    assert_eq!(desk_waits(&at_17, &late, 1), [15.0]);
    assert_eq!(desk_waits(&at_20, &late, 1), [0.0]);
    // Through the study: each value's cells use its own desk hours.
    let study = Study::new(s).unwrap();
    let results = study.run(false);
    let desk_mean = |v: usize| {
        let r: Vec<_> = results.iter().filter(|r| r.variant == v).collect();
        r.iter()
            .map(|r| r.stats.all().mean(Metric::from_name("desk").unwrap()))
            .sum::<f64>()
    };
    assert!(
        desk_mean(1) < desk_mean(0),
        "{} {}",
        desk_mean(1),
        desk_mean(0)
    );
}

/// Each run counts, beside its shares, the cases it would have answered within each
/// SLA had the desks kept their own hours while their agency held the watch: exactly
/// what a run with `desk_open_on_watch = false` counts on the same incidents (the desk
/// never feeds back into the watch). The growing roster, cut to four weeks: desks with
/// hours and call-outs, several classes, every kind of schedule.
#[test]
fn the_desks_own_hours_are_counted_as_a_run_without_desk_open_on_watch_counts() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/growing-roster.toml"),
    )
    .unwrap()
    .replacen("days = 364", "days = 28", 1)
    .replacen("replications = 10", "replications = 2", 1);
    let runs = |open_on_watch: bool| {
        let text = text.replacen(
            "[watch]",
            &format!("[watch]\ndesk_open_on_watch = {open_on_watch}"),
            1,
        );
        let s = Scenario::from_toml(&text, "roster.toml").unwrap_or_else(|e| panic!("{e}"));
        Study::new(s).unwrap().run(false)
    };
    let (on, off) = (runs(true), runs(false));
    assert_eq!(on.len(), off.len());
    let mut moved = 0;
    for (a, b) in on.iter().zip(&off) {
        assert_eq!((a.cell, a.replication), (b.cell, b.replication));
        for (ca, cb) in a
            .stats
            .members
            .iter()
            .chain(&a.stats.non_members)
            .zip(b.stats.members.iter().chain(&b.stats.non_members))
        {
            assert_eq!(ca.n, cb.n);
            let own: Vec<u64> = ca
                .within
                .iter()
                .zip(&ca.lost_own_hours)
                .map(|(w, l)| w - l)
                .collect();
            assert_eq!(own, cb.within, "cell {} rep {}", a.cell, a.replication);
            assert!(
                cb.lost_own_hours.iter().all(|&l| l == 0),
                "off: no other hours"
            );
            moved += usize::from(ca.lost_own_hours.iter().any(|&l| l > 0));
        }
    }
    assert!(
        moved > 0,
        "the rule changed no share: the test proves nothing"
    );
}
