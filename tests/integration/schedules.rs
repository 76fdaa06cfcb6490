//! Rotation schedules compiled into UTC coverage: each kind, outages, and the
//! daylight-saving transitions.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use watchsim::scenario::Scenario;
use watchsim::scenario::units::{DAY, HOUR, TimeOfDay};
use watchsim::schedule::{Coverage, Horizon, Interval, IntervalKind, compile, local_instant};

/// A scenario with the given members (`id`, time zone) and schedule tables.
fn scenario(members: &[(&str, &str)], start: &str, days: u32, schedules: &str) -> Scenario {
    let mut text = format!(
        "name = \"t\"\n[experiment]\nstart = \"{start}\"\ndays = {days}\n\
         [incidents]\nrate = \"40/day\"\nrest_of_world = 1\n"
    );
    for (id, tz) in members {
        text.push_str(&format!(
            "[[agency]]\nid = \"{id}\"\ntz = \"{tz}\"\nweight = 0\n"
        ));
    }
    text.push_str(schedules);
    Scenario::from_toml(&text, "test.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The one schedule of `s`, compiled for all its members.
fn coverage(s: &Scenario) -> Coverage {
    compile(s, &s.schedules[0], s.agencies.len())
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn of_kind(c: &Coverage, k: usize, kind: IntervalKind) -> Vec<Interval> {
    c.intervals(k)
        .into_iter()
        .filter(|i| i.kind == kind)
        .collect()
}

fn total(items: &[Interval]) -> f64 {
    items.iter().map(|i| i.end - i.start).sum()
}

/// Checks the invariants every coverage has: segments from 0 to the horizon, in order,
/// adjacent segments different.
fn well_formed(c: &Coverage) {
    assert_eq!(c.starts[0], 0.0);
    assert_eq!(c.starts.len(), c.masks.len());
    for w in c.starts.windows(2) {
        assert!(w[0] < w[1], "segments out of order: {w:?}");
    }
    for w in c.masks.windows(2) {
        assert_ne!(w[0], w[1], "adjacent segments should be merged");
    }
    assert!(*c.starts.last().unwrap() < c.horizon);
}

const NY_LONDON: [(&str, &str); 2] = [("us", "America/New_York"), ("uk", "Europe/London")];

#[test]
fn follow_the_sun_local_misaligns_only_when_us_and_uk_dst_rules_differ() {
    let s = scenario(
        &NY_LONDON,
        "2026-01-05",
        364,
        "[[schedule]]\nname = \"fts\"\nkind = \"follow_the_sun\"\nanchor = \"local\"\n",
    );
    let h = Horizon::of(&s);
    let c = coverage(&s);
    well_formed(&c);
    // The US springs forward on 8 March and the UK on 29 March; the UK falls back on
    // 25 October and the US on 1 November.
    let windows = [
        (
            h.secs(utc("2026-03-08T00:00:00Z")),
            h.secs(utc("2026-03-30T00:00:00Z")),
        ),
        (
            h.secs(utc("2026-10-25T00:00:00Z")),
            h.secs(utc("2026-11-02T00:00:00Z")),
        ),
    ];
    let gaps = of_kind(&c, 2, IntervalKind::Gap);
    let overlaps = of_kind(&c, 2, IntervalKind::Overlap);
    for i in gaps.iter().chain(&overlaps) {
        assert!(
            windows.iter().any(|&(a, b)| i.start >= a && i.end <= b),
            "{:?} {} → {} is outside the weeks of differing DST rules",
            i.kind,
            h.instant(i.start),
            h.instant(i.end)
        );
        assert_eq!(i.end - i.start, HOUR, "each misalignment is one hour");
    }
    for &(a, b) in &windows {
        assert!(gaps.iter().any(|i| i.start >= a && i.end <= b));
        assert!(overlaps.iter().any(|i| i.start >= a && i.end <= b));
    }
    // 8-28 March: 21 overlaps and 20 gaps; 25 October-1 November: 7 overlaps and 8 gaps.
    assert_eq!(gaps.len(), 28);
    assert_eq!(overlaps.len(), 28);
    assert!(overlaps.iter().all(|i| i.members == 0b11));
    // Outside those weeks exactly one member holds the watch at every instant.
    for hour in 0..(364 * 24) {
        let t = hour as f64 * HOUR + 1800.0;
        if windows.iter().all(|&(a, b)| t < a || t >= b) {
            assert_eq!(c.mask_at(t).count_ones(), 1, "at {}", h.instant(t));
        }
    }
}

#[test]
fn follow_the_sun_utc_has_no_gaps_or_overlaps() {
    let s = scenario(
        &NY_LONDON,
        "2026-01-05",
        364,
        "[[schedule]]\nname = \"fts\"\nkind = \"follow_the_sun\"\nanchor = \"utc\"\n",
    );
    let c = coverage(&s);
    well_formed(&c);
    assert!(of_kind(&c, 2, IntervalKind::Gap).is_empty());
    assert!(of_kind(&c, 2, IntervalKind::Overlap).is_empty());
    // Two members tile the day: twelve hours each, every day.
    assert!((c.held_secs(0) - 364.0 * 12.0 * HOUR).abs() < 1.0);
    assert!((c.held_secs(1) - 364.0 * 12.0 * HOUR).abs() < 1.0);
}

#[test]
fn follow_the_sun_tiles_four_zones_and_keeps_tokyo_fixed_in_utc() {
    let members = [
        ("us", "America/New_York"),
        ("uk", "Europe/London"),
        ("au", "Australia/Sydney"),
        ("jp", "Asia/Tokyo"),
    ];
    for anchor in ["local", "utc"] {
        let s = scenario(
            &members,
            "2026-01-05",
            364,
            &format!(
                "[[schedule]]\nname = \"fts\"\nkind = \"follow_the_sun\"\nanchor = \"{anchor}\"\n"
            ),
        );
        let h = Horizon::of(&s);
        let c = coverage(&s);
        well_formed(&c);
        // Tokyo has no DST: its watch starts and ends at the same UTC times all year.
        let tokyo: Vec<Interval> = c
            .intervals(4)
            .into_iter()
            .filter(|i| i.kind == IntervalKind::Watch && i.members == 0b1000)
            .collect();
        assert!(
            tokyo.len() >= 360,
            "{anchor}: {} Tokyo watches",
            tokyo.len()
        );
        let first = h.instant(tokyo[0].start).time();
        for i in &tokyo {
            assert_eq!(h.instant(i.start).time(), first, "{anchor}");
            assert_eq!(i.end - i.start, tokyo[0].end - tokyo[0].start, "{anchor}");
        }
        // Each of two to four members gets a share of the watch.
        for k in 2..=4 {
            let ck = compile(&s, &s.schedules[0], k);
            for m in 0..k {
                assert!(ck.held_secs(m) > 0.0, "{anchor}, k = {k}: member {m}");
            }
            if anchor == "utc" {
                assert!(of_kind(&ck, k, IntervalKind::Gap).is_empty());
                assert!(of_kind(&ck, k, IntervalKind::Overlap).is_empty());
            }
        }
    }
}

#[test]
fn always_never_has_a_gap() {
    let s = scenario(
        &[
            ("us", "America/New_York"),
            ("uk", "Europe/London"),
            ("jp", "Asia/Tokyo"),
        ],
        "2026-01-05",
        364,
        "[[schedule]]\nname = \"all\"\nkind = \"always\"\n",
    );
    for k in 1..=3 {
        let c = compile(&s, &s.schedules[0], k);
        well_formed(&c);
        assert_eq!(c.masks, [(1u64 << k) - 1]);
        assert!(of_kind(&c, k, IntervalKind::Gap).is_empty());
        for m in 0..k {
            assert_eq!(c.held_secs(m), 364.0 * DAY);
        }
    }
}

#[test]
fn home_hours_gaps_are_each_members_nights_and_weekends() {
    let members = [
        ("us", "America/New_York"),
        ("uk", "Europe/London"),
        ("jp", "Asia/Tokyo"),
    ];
    // Four weeks around both spring transitions of 2026.
    let s = scenario(
        &members,
        "2026-03-02",
        35,
        "[[schedule]]\nname = \"home\"\nkind = \"home_hours\"\nopen = \"09:00\"\nclose = \"17:00\"\ndays = \"Mon-Fri\"\n",
    );
    let h = Horizon::of(&s);
    let c = coverage(&s);
    well_formed(&c);
    let zones: Vec<Tz> = members.iter().map(|(_, tz)| tz.parse().unwrap()).collect();
    // An independent oracle: member m holds the watch exactly during its local office hours.
    let mut t = 450.0;
    while t < c.horizon {
        let at = h.instant(t);
        for (m, tz) in zones.iter().enumerate() {
            let local = at.with_timezone(tz);
            let office =
                local.weekday().num_days_from_monday() < 5 && (9..17).contains(&local.hour());
            assert_eq!(
                c.mask_at(t) & (1 << m) != 0,
                office,
                "member {m} at {at} ({local})"
            );
        }
        t += 900.0;
    }
    // There are gaps, at weekends and at night in all three zones.
    let gaps = of_kind(&c, 3, IntervalKind::Gap);
    assert!(!gaps.is_empty());
    let saturday_noon_utc = h.secs(utc("2026-03-07T12:00:00Z"));
    assert_eq!(c.mask_at(saturday_noon_utc), 0);
    // 03:00 UTC on a Wednesday: night in New York and London, Tokyo at work (12:00 JST).
    assert_eq!(c.mask_at(h.secs(utc("2026-03-04T03:00:00Z"))), 0b100);
    // 22:00 UTC: New York's evening, London's night, Tokyo's early morning: a gap.
    assert_eq!(c.mask_at(h.secs(utc("2026-03-04T22:00:00Z"))), 0);
}

#[test]
fn round_robin_daily_hands_over_in_roster_order_at_local_time() {
    let members = [("a", "UTC"), ("b", "Europe/London"), ("c", "Asia/Tokyo")];
    // Three weeks around the UK's spring-forward (29 March 2026).
    let s = scenario(
        &members,
        "2026-03-16",
        21,
        "[[schedule]]\nname = \"rr\"\nkind = \"round_robin\"\nperiod = \"1d\"\nhandoff_at = \"09:00\"\ntz = \"Europe/London\"\n",
    );
    let h = Horizon::of(&s);
    let c = coverage(&s);
    well_formed(&c);
    assert!(of_kind(&c, 3, IntervalKind::Gap).is_empty());
    assert!(of_kind(&c, 3, IntervalKind::Overlap).is_empty());
    let london: Tz = "Europe/London".parse().unwrap();
    let watches = of_kind(&c, 3, IntervalKind::Watch);
    assert_eq!(watches[0].start, 0.0);
    assert_eq!(
        watches[0].members, 1,
        "the first member holds the watch at the start"
    );
    for (n, w) in watches.iter().enumerate() {
        assert_eq!(w.members, 1 << (n % 3), "watch {n} out of roster order");
        if n > 0 {
            let local = h.instant(w.start).with_timezone(&london);
            assert_eq!(
                (local.hour(), local.minute()),
                (9, 0),
                "handoff {n} at {local}"
            );
        }
    }
    // The day of the spring-forward is an hour short: 09:00 GMT on 28 March to 09:00 BST.
    let short = watches
        .iter()
        .find(|w| h.instant(w.start) == utc("2026-03-28T09:00:00Z"))
        .expect("a handoff on 28 March");
    assert_eq!(short.end - short.start, 23.0 * HOUR);
}

#[test]
fn round_robin_weekly_hands_over_on_the_start_weekday() {
    let members = [("a", "UTC"), ("b", "UTC"), ("c", "UTC")];
    let s = scenario(
        &members,
        "2026-01-05",
        28,
        "[[schedule]]\nname = \"rr\"\nkind = \"round_robin\"\nperiod = \"7d\"\n",
    );
    let h = Horizon::of(&s);
    let c = coverage(&s);
    well_formed(&c);
    assert!(of_kind(&c, 3, IntervalKind::Gap).is_empty());
    let watches = of_kind(&c, 3, IntervalKind::Watch);
    let order: Vec<u64> = watches.iter().map(|w| w.members).collect();
    assert_eq!(order, [0b001, 0b010, 0b100, 0b001]);
    for w in &watches {
        assert_eq!(w.end - w.start, 7.0 * DAY);
        assert_eq!(h.instant(w.start).weekday(), Weekday::Mon);
    }
    assert_eq!(c.held_secs(0), 14.0 * DAY);
}

#[test]
fn round_robin_periods_longer_than_the_horizon_or_not_whole_days() {
    let members = [("a", "UTC"), ("b", "Asia/Tokyo")];
    let s = scenario(
        &members,
        "2026-01-05",
        28,
        r#"
[[schedule]]
name = "long"
kind = "round_robin"
period = "1e300d"
handoff_at = "12:00"

[[schedule]]
name = "36h"
kind = "round_robin"
period = "36h"
handoff_at = "09:00"
tz = "Asia/Tokyo"
"#,
    );
    let h = Horizon::of(&s);
    // The first member holds the watch from the start to the first handoff (noon on
    // the start date), then the second holds it to the end.
    let long = compile(&s, &s.schedules[0], 2);
    well_formed(&long);
    assert_eq!(long.held_secs(0), 12.0 * HOUR);
    assert_eq!(long.held_secs(1), 28.0 * DAY - 12.0 * HOUR);
    let hours = compile(&s, &s.schedules[1], 2);
    well_formed(&hours);
    assert!(of_kind(&hours, 2, IntervalKind::Gap).is_empty());
    let watches = of_kind(&hours, 2, IntervalKind::Watch);
    // Handoffs every 36 hours from 09:00 JST on the start date, which is the horizon
    // start (00:00 UTC).
    assert_eq!(watches.len(), 19);
    for (n, w) in watches.iter().enumerate() {
        assert_eq!(w.members, 1 << (n % 2));
        assert_eq!(w.start, n as f64 * 36.0 * HOUR, "{}", h.instant(w.start));
    }
}

#[test]
fn blocks_wrap_midnight_end_at_24_00_and_keep_to_their_days() {
    let members = [("a", "UTC"), ("b", "UTC"), ("ny", "America/New_York")];
    let s = scenario(
        &members,
        "2026-01-05",
        14,
        r#"
[[schedule]]
name = "wrap"
kind = "blocks"
blocks = [ { agency = "a", from = "18:00", to = "06:00" }, { agency = "b", from = "06:00", to = "18:00", tz = "UTC" } ]

[[schedule]]
name = "midnight"
kind = "blocks"
blocks = [ { agency = "a", from = "00:00", to = "12:00" }, { agency = "b", from = "12:00", to = "24:00" } ]

[[schedule]]
name = "weekdays"
kind = "blocks"
blocks = [ { agency = "ny", from = "09:00", to = "17:00", tz = "America/New_York", days = "Mon-Fri" },
           { agency = "a", from = "22:00", to = "02:00", days = "Fri" } ]
"#,
    );
    let h = Horizon::of(&s);
    let at = |c: &Coverage, text: &str| c.mask_at(h.secs(utc(text)));

    let wrap = compile(&s, &s.schedules[0], 3);
    well_formed(&wrap);
    assert!(of_kind(&wrap, 3, IntervalKind::Gap).is_empty());
    assert!(of_kind(&wrap, 3, IntervalKind::Overlap).is_empty());
    assert_eq!(at(&wrap, "2026-01-06T23:00:00Z"), 0b01);
    assert_eq!(at(&wrap, "2026-01-07T03:00:00Z"), 0b01);
    assert_eq!(at(&wrap, "2026-01-07T12:00:00Z"), 0b10);
    // a's night block runs 18:00 to 06:00 the next morning, in one piece.
    let a_watch: Vec<Interval> = of_kind(&wrap, 3, IntervalKind::Watch)
        .into_iter()
        .filter(|i| i.members == 0b01 && i.start > 0.0 && i.end < wrap.horizon)
        .collect();
    assert!(a_watch.iter().all(|i| i.end - i.start == 12.0 * HOUR));

    let midnight = compile(&s, &s.schedules[1], 3);
    well_formed(&midnight);
    assert!(of_kind(&midnight, 3, IntervalKind::Gap).is_empty());
    assert!(of_kind(&midnight, 3, IntervalKind::Overlap).is_empty());
    for i in of_kind(&midnight, 3, IntervalKind::Watch) {
        if i.members == 0b10 {
            assert_eq!(
                h.instant(i.end).time(),
                chrono::NaiveTime::MIN,
                "b ends at midnight"
            );
        }
    }
    assert_eq!(midnight.held_secs(0), midnight.held_secs(1));

    let weekdays = compile(&s, &s.schedules[2], 3);
    well_formed(&weekdays);
    // New York's block: 14:00-22:00 UTC (EST) on weekdays only.
    assert_eq!(at(&weekdays, "2026-01-07T15:00:00Z"), 0b100);
    assert_eq!(at(&weekdays, "2026-01-10T15:00:00Z"), 0, "Saturday");
    assert_eq!(at(&weekdays, "2026-01-11T15:00:00Z"), 0, "Sunday");
    assert_eq!(weekdays.held_secs(2), 10.0 * 8.0 * HOUR);
    // a's block starts on Fridays only and runs into Saturday.
    assert_eq!(at(&weekdays, "2026-01-09T23:00:00Z"), 0b001);
    assert_eq!(at(&weekdays, "2026-01-10T01:00:00Z"), 0b001);
    assert_eq!(at(&weekdays, "2026-01-10T23:00:00Z"), 0);
    assert_eq!(at(&weekdays, "2026-01-08T23:00:00Z"), 0, "Thursday");
    assert_eq!(weekdays.held_secs(0), 2.0 * 4.0 * HOUR);
}

#[test]
fn outages_leave_a_gap_or_pass_to_the_next_member() {
    let members = [("a", "UTC"), ("b", "UTC"), ("c", "UTC")];
    let blocks = r#"blocks = [ { agency = "a", from = "00:00", to = "08:00" }, { agency = "b", from = "08:00", to = "16:00" }, { agency = "c", from = "16:00", to = "24:00" } ]"#;
    let s = scenario(
        &members,
        "2026-01-05",
        14,
        &format!(
            r#"
[[schedule]]
name = "gap"
kind = "blocks"
{blocks}
outages = [ {{ agency = "a", from = "2026-01-07", to = "2026-01-08", fallback = "gap" }} ]

[[schedule]]
name = "next"
kind = "blocks"
{blocks}
outages = [ {{ agency = "a", from = "2026-01-07", to = "2026-01-08", fallback = "next" }},
            {{ agency = "c", from = "2026-01-12T18:00:00Z", to = "2026-01-12T20:00:00Z", fallback = "next" }} ]

[[schedule]]
name = "always"
kind = "always"
outages = [ {{ agency = "b", from = "2026-01-06", to = "2026-01-06" }} ]
"#
        ),
    );
    let h = Horizon::of(&s);
    let at = |c: &Coverage, text: &str| c.mask_at(h.secs(utc(text)));

    let gap = compile(&s, &s.schedules[0], 3);
    well_formed(&gap);
    let gaps = of_kind(&gap, 3, IntervalKind::Gap);
    // a's two mornings (7 and 8 January, `to` a whole day) are gaps; nothing else is.
    assert_eq!(gaps.len(), 2);
    assert_eq!(h.instant(gaps[0].start), utc("2026-01-07T00:00:00Z"));
    assert_eq!(h.instant(gaps[1].end), utc("2026-01-08T08:00:00Z"));
    assert_eq!(total(&gaps), 16.0 * HOUR);
    assert_eq!(at(&gap, "2026-01-09T04:00:00Z"), 0b001);

    let next = compile(&s, &s.schedules[1], 3);
    well_formed(&next);
    assert!(of_kind(&next, 3, IntervalKind::Gap).is_empty());
    assert_eq!(at(&next, "2026-01-07T04:00:00Z"), 0b010, "b covers for a");
    assert_eq!(at(&next, "2026-01-08T04:00:00Z"), 0b010);
    // The last member's next is the first.
    assert_eq!(at(&next, "2026-01-12T19:00:00Z"), 0b001, "a covers for c");
    assert_eq!(at(&next, "2026-01-12T21:00:00Z"), 0b100);
    assert_eq!(
        next.held_secs(0),
        14.0 * 8.0 * HOUR - 16.0 * HOUR + 2.0 * HOUR
    );

    // With two members left, the outage does not open a gap in `always`.
    let always = compile(&s, &s.schedules[2], 3);
    assert!(of_kind(&always, 3, IntervalKind::Gap).is_empty());
    assert_eq!(at(&always, "2026-01-06T12:00:00Z"), 0b101);
    assert_eq!(always.held_secs(1), 13.0 * DAY);
    // An outage of a member beyond the agency count changes nothing.
    let two = compile(&s, &s.schedules[1], 2);
    assert_eq!(two.held_secs(0) + two.held_secs(1), 14.0 * 16.0 * HOUR);
}

#[test]
fn local_times_in_dst_transitions_follow_the_documented_rule() {
    let ny: Tz = "America/New_York".parse().unwrap();
    let t = |h: u32, m: u32| TimeOfDay(h * 3600 + m * 60);
    let date = |y, mo, d| NaiveDate::from_ymd_opt(y, mo, d).unwrap();
    // Spring forward: 02:30 does not exist on 8 March 2026; it is read as 03:30 EDT.
    assert_eq!(
        local_instant(ny, date(2026, 3, 8), t(2, 30)),
        utc("2026-03-08T07:30:00Z")
    );
    assert_eq!(
        local_instant(ny, date(2026, 3, 8), t(3, 30)),
        utc("2026-03-08T07:30:00Z")
    );
    assert_eq!(
        local_instant(ny, date(2026, 3, 8), t(2, 0)),
        utc("2026-03-08T07:00:00Z")
    );
    // Fall back: 01:30 happens twice on 1 November 2026; the first (EDT) is meant.
    assert_eq!(
        local_instant(ny, date(2026, 11, 1), t(1, 30)),
        utc("2026-11-01T05:30:00Z")
    );
    assert_eq!(
        local_instant(ny, date(2026, 11, 1), t(2, 0)),
        utc("2026-11-01T07:00:00Z")
    );
    // Europe/London jumps at 01:00 GMT.
    let london: Tz = "Europe/London".parse().unwrap();
    assert_eq!(
        local_instant(london, date(2026, 3, 29), t(1, 30)),
        utc("2026-03-29T01:30:00Z")
    );
    assert_eq!(
        local_instant(london, date(2026, 10, 25), t(1, 30)),
        utc("2026-10-25T00:30:00Z")
    );
    // Times outside transitions agree with chrono-tz.
    let plain = ny.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    assert_eq!(
        local_instant(ny, date(2026, 7, 1), t(9, 0)),
        plain.with_timezone(&Utc)
    );
}

#[test]
fn shifts_that_start_in_a_skipped_or_repeated_hour() {
    let s = scenario(
        &[("ny", "America/New_York")],
        "2026-02-23",
        252,
        r#"
[[schedule]]
name = "night"
kind = "blocks"
blocks = [ { agency = "ny", from = "02:30", to = "06:00", tz = "America/New_York", days = "Sun" } ]

[[schedule]]
name = "fallback"
kind = "blocks"
blocks = [ { agency = "ny", from = "01:30", to = "03:00", tz = "America/New_York", days = "Sun" } ]

[[schedule]]
name = "home"
kind = "home_hours"
open = "02:30"
close = "10:00"
days = "Sun"
"#,
    );
    let h = Horizon::of(&s);
    let watch_starting = |c: &Coverage, day: &str| -> Interval {
        let from = h.secs(utc(&format!("{day}T00:00:00Z")));
        of_kind(c, 1, IntervalKind::Watch)
            .into_iter()
            .find(|i| i.start >= from && i.start < from + DAY)
            .unwrap_or_else(|| panic!("no watch on {day}"))
    };

    let night = compile(&s, &s.schedules[0], 1);
    // Sunday 1 March: 02:30-06:00 EST = 07:30-11:00 UTC.
    let before = watch_starting(&night, "2026-03-01");
    assert_eq!(h.instant(before.start), utc("2026-03-01T07:30:00Z"));
    assert_eq!(h.instant(before.end), utc("2026-03-01T11:00:00Z"));
    // Sunday 8 March: 02:30 is skipped and read as 03:30 EDT = 07:30 UTC; 06:00 EDT = 10:00 UTC.
    let spring = watch_starting(&night, "2026-03-08");
    assert_eq!(h.instant(spring.start), utc("2026-03-08T07:30:00Z"));
    assert_eq!(h.instant(spring.end), utc("2026-03-08T10:00:00Z"));
    // Sunday 15 March: 02:30 EDT = 06:30 UTC.
    let after = watch_starting(&night, "2026-03-15");
    assert_eq!(h.instant(after.start), utc("2026-03-15T06:30:00Z"));

    let home = compile(&s, &s.schedules[2], 1);
    let spring = watch_starting(&home, "2026-03-08");
    assert_eq!(h.instant(spring.start), utc("2026-03-08T07:30:00Z"));
    assert_eq!(h.instant(spring.end), utc("2026-03-08T14:00:00Z"));

    // Sunday 1 November: 01:30 is its first occurrence, EDT (05:30 UTC); 03:00 is EST
    // (08:00 UTC), so the shift lasts two and a half hours.
    let fall = compile(&s, &s.schedules[1], 1);
    let repeat = watch_starting(&fall, "2026-11-01");
    assert_eq!(h.instant(repeat.start), utc("2026-11-01T05:30:00Z"));
    assert_eq!(h.instant(repeat.end), utc("2026-11-01T08:00:00Z"));
    assert_eq!(repeat.end - repeat.start, 2.5 * HOUR);
    // A week earlier it is the usual hour and a half.
    let usual = watch_starting(&fall, "2026-10-25");
    assert_eq!(usual.end - usual.start, 1.5 * HOUR);
}

#[test]
fn schedule_command_writes_coverage_csv_with_the_documented_columns() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schedule-csv");
    let _ = std::fs::remove_dir_all(&out_dir);
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dst-misalignment.toml");
    let out = crate::common::output(
        Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .arg("schedule")
            .arg(&scenario)
            .args(["--agencies", "2", "--out"])
            .arg(&out_dir),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(out_dir.join("coverage.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("schedule,agencies,kind,agency,start,end,hours")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(!rows.is_empty());
    let (mut gaps, mut overlaps) = (0, 0);
    for r in &rows {
        assert_eq!(r.len(), 7, "{r:?}");
        assert_eq!(r[1], "2");
        let start = DateTime::parse_from_rfc3339(r[4]).expect("RFC 3339 start");
        let end = DateTime::parse_from_rfc3339(r[5]).expect("RFC 3339 end");
        assert!(r[4].ends_with('Z') && r[5].ends_with('Z'), "{r:?}");
        let hours: f64 = r[6].parse().unwrap();
        assert!((hours - (end - start).num_seconds() as f64 / 3600.0).abs() < 1e-5);
        match r[2] {
            "watch" => assert!(r[3] == "us" || r[3] == "uk", "{r:?}"),
            "gap" => {
                gaps += 1;
                assert_eq!(r[3], "");
            }
            "overlap" => {
                overlaps += 1;
                assert_eq!(r[3], "us+uk");
            }
            other => panic!("unknown kind {other}"),
        }
    }
    // Only the local-anchored schedule has them: 28 of each over 2026.
    assert_eq!((gaps, overlaps), (28, 28));
    assert!(rows.iter().any(|r| r[0] == "follow-the-sun-utc"));
}

#[test]
fn schedule_command_rejects_a_bad_agency_count() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/founders-2006.toml");
    let out = crate::common::output(
        Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .arg("schedule")
            .arg(&scenario)
            .args(["--agencies", "9"]),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected 1 to 4"));
}

/// Members a, b, c (UTC) in roster order; b holds 08:00-16:00, a the hours before and
/// c the hours after; `outages` go on that `blocks` schedule.
fn abc_blocks_with(outages: &str) -> Scenario {
    let members = [("a", "UTC"), ("b", "UTC"), ("c", "UTC")];
    scenario(
        &members,
        "2026-01-05",
        28,
        &format!(
            r#"
[[schedule]]
name = "abc"
kind = "blocks"
blocks = [ {{ agency = "a", from = "00:00", to = "08:00" }}, {{ agency = "b", from = "08:00", to = "16:00" }}, {{ agency = "c", from = "16:00", to = "24:00" }} ]
outages = [ {outages} ]
"#
        ),
    )
}

#[test]
fn next_skips_a_member_only_while_it_is_itself_out() {
    // b is out 12-18 January and c 15-25 January. Until c's outage starts, c (the next
    // after b) takes b's block; from the 15th, with c out too, a does; from the 19th b
    // is back.
    let s = abc_blocks_with(
        r#"{ agency = "b", from = "2026-01-12", to = "2026-01-18", fallback = "next" },
            { agency = "c", from = "2026-01-15", to = "2026-01-25", fallback = "next" }"#,
    );
    let h = Horizon::of(&s);
    let c = coverage(&s);
    well_formed(&c);
    let at = |text: &str| c.mask_at(h.secs(utc(text)));
    // At noon, in b's block.
    assert_eq!(
        at("2026-01-13T12:00:00Z"),
        0b100,
        "c covers for b on 13 January"
    );
    assert_eq!(
        at("2026-01-14T15:59:00Z"),
        0b100,
        "c covers for b on 14 January"
    );
    assert_eq!(
        at("2026-01-15T08:00:00Z"),
        0b001,
        "c is out: a covers for b"
    );
    assert_eq!(
        at("2026-01-16T12:00:00Z"),
        0b001,
        "c is out: a covers for b"
    );
    assert_eq!(at("2026-01-20T12:00:00Z"), 0b010, "b is back");
    // c's own block: its own until the 15th, then a's (the next after c, wrapping).
    assert_eq!(at("2026-01-13T20:00:00Z"), 0b100);
    assert_eq!(at("2026-01-16T20:00:00Z"), 0b001);
    assert_eq!(at("2026-01-20T20:00:00Z"), 0b001);
    assert_eq!(at("2026-01-26T20:00:00Z"), 0b100);
    assert!(of_kind(&c, 3, IntervalKind::Gap).is_empty());
    assert!(of_kind(&c, 3, IntervalKind::Overlap).is_empty());
    // c held b's block on 12-14 January and its own on 5-14 and 26-1 February.
    assert_eq!(c.held_secs(2), (3.0 + 10.0 + 7.0) * 8.0 * HOUR);
}

#[test]
fn next_leaves_a_gap_while_every_other_member_is_out_too() {
    // b is out 12-18 January, a 13-14 and c 13-20, all with fallback next: on 13 and
    // 14 January every member is out, and nobody holds the watch.
    let s = abc_blocks_with(
        r#"{ agency = "a", from = "2026-01-13", to = "2026-01-14", fallback = "next" },
            { agency = "b", from = "2026-01-12", to = "2026-01-18", fallback = "next" },
            { agency = "c", from = "2026-01-13", to = "2026-01-20", fallback = "next" }"#,
    );
    let h = Horizon::of(&s);
    let c = coverage(&s);
    well_formed(&c);
    let at = |text: &str| c.mask_at(h.secs(utc(text)));
    assert_eq!(at("2026-01-12T12:00:00Z"), 0b100, "c covers for b");
    assert_eq!(at("2026-01-13T12:00:00Z"), 0, "everyone is out");
    assert_eq!(at("2026-01-14T04:00:00Z"), 0, "everyone is out");
    assert_eq!(
        at("2026-01-15T12:00:00Z"),
        0b001,
        "a is back and covers for b"
    );
    assert_eq!(at("2026-01-16T20:00:00Z"), 0b001, "and for c");
    let gaps = of_kind(&c, 3, IntervalKind::Gap);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(h.instant(gaps[0].start), utc("2026-01-13T00:00:00Z"));
    assert_eq!(h.instant(gaps[0].end), utc("2026-01-15T00:00:00Z"));
}
