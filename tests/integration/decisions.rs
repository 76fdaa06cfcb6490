//! Answers a planner acts on: scopes add up, shares count missed and open cases as
//! failures, recommendations follow the decision rule, and each warning appears in the
//! situation it is about.

use watchsim::experiment::Study;
use watchsim::report::decision::{Standing, decisions};
use watchsim::report::summary::by_cell;
use watchsim::report::warnings::warnings;
use watchsim::scenario::Scenario;
use watchsim::stats::{Metric, Scope};

/// Two member countries and the rest of the world, a desk with office hours.
fn scenario(experiment: &str, incidents: &str, rest: &str) -> String {
    format!(
        r#"name = "decisions"
[experiment]
seed = 7
start = "2026-01-05"
{experiment}

[incidents]
{incidents}

[watch]
detect = "exp(mean=20m)"
triage = "exp(mean=15m)"

[referral]
domestic = "const(10m)"
international = "const(1d)"
non_member_police = "const(30m)"

[[agency]]
id = "us"
tz = "America/New_York"
weight = 0.3
referral_in = "const(30m)"
police = "const(10m)"

[[agency]]
id = "uk"
tz = "Europe/London"
weight = 0.3
referral_in = "const(30m)"
police = "const(10m)"

{rest}
"#
    )
}

fn study(text: &str) -> Study {
    let s = Scenario::from_toml(text, "decisions.toml").unwrap_or_else(|e| panic!("{e}"));
    Study::new(s).expect("synthetic")
}

const SCHEDULES: &str = r#"
[[schedule]]
name = "always"
kind = "always"

[[schedule]]
name = "office"
kind = "home_hours"
"#;

#[test]
fn the_all_scope_pools_members_and_non_members() {
    let s = study(&scenario(
        "replications = 3\ndays = 21\nagencies = [1, 2]",
        "rate = \"60/day\"\nrest_of_world = 0.4",
        SCHEDULES,
    ));
    let results = s.run(false);
    let cells = by_cell(&s, &results);
    let all = s.scenario.incidents.classes.len();
    for c in &cells {
        let (m, n, a) = (
            c.pooled(Scope::Members, all),
            c.pooled(Scope::NonMembers, all),
            c.pooled(Scope::All, all),
        );
        assert_eq!(m.n + n.n, a.n);
        assert_eq!(m.missed + n.missed, a.missed);
        assert_eq!(m.open + n.open, a.open);
        assert_eq!(m.responded + n.responded, a.responded);
        for i in 0..s.scenario.experiment.sla.len() {
            assert_eq!(m.within[i] + n.within[i], a.within[i]);
        }
        let k = s.cells[c.cell].k;
        // At one agency the UK is not admitted: its cases are non-members'.
        let expected_members = if k == 1 { 0.3 / 1.0 } else { 0.6 };
        let share = m.n as f64 / a.n as f64;
        assert!(
            (share - expected_members).abs() < 0.03,
            "k={k}: members own {share:.3} of the cases, expected about {expected_members}"
        );
    }
}

#[test]
fn missed_and_open_cases_count_as_failures_in_the_shares() {
    // A signal visible for 10 minutes against 20 minutes of detection effort: most
    // cases are missed. A share over detected cases would be near 1.
    let s = study(&scenario(
        "replications = 2\ndays = 14\nsla = [\"2h\", \"2d\"]",
        "rate = \"60/day\"\nrest_of_world = 0.4\nvisibility = \"const(10m)\"",
        SCHEDULES,
    ));
    let results = s.run(false);
    for r in &results {
        let a = r.stats.all();
        assert!(a.missed as f64 > 0.3 * a.n as f64, "most cases are missed");
        for i in 0..2 {
            let share = a.share_within(i);
            assert_eq!(share, a.within[i] as f64 / a.n as f64);
            assert!(share <= 1.0 - a.missed_share() - a.open_share() + 1e-12);
            // Signal → response is never shorter than alert → response.
            assert!(a.signal_share_within(i) <= share);
        }
        assert!((a.responded_share() + a.missed_share() + a.open_share() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn office_hours_that_miss_cases_are_not_recommended_and_cost_decides_ties() {
    // Always-on misses nothing; office hours miss every case signalled at night.
    let s = study(&scenario(
        "replications = 6\ndays = 28\nagencies = [2]",
        "rate = \"80/day\"\nrest_of_world = 0.4\nvisibility = \"exp(mean=2h)\"",
        r#"
[[schedule]]
name = "always"
kind = "always"

[[schedule]]
name = "office"
kind = "home_hours"

[[schedule]]
name = "always-again"
kind = "always"
"#,
    ));
    let results = s.run(false);
    let cells = by_cell(&s, &results);
    let d = &decisions(&s, &cells)[0];
    let office = d.schedules.iter().find(|x| x.schedule == "office").unwrap();
    assert_eq!(office.standing, Standing::Worse, "{office:?}");
    assert!(!office.recommended);
    assert!(
        office.cost.mean < d.schedules[0].cost.mean,
        "office hours are cheaper"
    );
    // Two identical schedules: no practical difference, and the first of equal cost
    // and share is recommended.
    let again = d
        .schedules
        .iter()
        .find(|x| x.schedule == "always-again")
        .unwrap();
    assert!(matches!(
        again.standing,
        Standing::NotWorse | Standing::Best
    ));
    let recommended = d.recommended().unwrap();
    assert!(recommended.schedule.starts_with("always"));
    assert!(recommended.share.mean > office.share.mean + 0.05);
}

/// The warnings of a study, as (kind, figure) pairs.
fn kinds(text: &str) -> Vec<(String, String)> {
    let s = study(text);
    let results = s.run(false);
    let cells = by_cell(&s, &results);
    let d = decisions(&s, &cells);
    warnings(&s, &cells, &d)
        .into_iter()
        .map(|w| (w.kind, format!("{} — {}", w.cell, w.figure)))
        .collect()
}

fn has(warnings: &[(String, String)], kind: &str) -> bool {
    warnings.iter().any(|(k, _)| k == kind)
}

#[test]
fn an_overloaded_desk_and_cases_open_at_the_horizon_are_warned() {
    // 100 cases a day of 30 minutes' triage on one analyst: utilisation above 1.
    let w = kinds(
        &scenario(
            "replications = 2\ndays = 14",
            "rate = \"100/day\"\nrest_of_world = 0.4",
            "[[schedule]]\nname = \"always\"\nkind = \"always\"\n",
        )
        .replace("exp(mean=15m)", "const(30m)"),
    );
    assert!(has(&w, "overload"), "{w:?}");
    assert!(has(&w, "open_at_horizon"), "{w:?}");
}

/// The console's warning lines of a study.
/// The console's first screen for a scenario.
fn console(text: &str) -> String {
    let s = study(text);
    let cells = by_cell(&s, &s.run(false));
    let d = decisions(&s, &cells);
    let w = warnings(&s, &cells, &d);
    let increments = watchsim::report::decision::increments(&s, &cells);
    let outages = watchsim::report::outages::outages(&s, &cells);
    watchsim::report::brief::brief(&s, &cells, &d, &increments, &outages, w).console()
}

fn console_warnings(text: &str) -> Vec<String> {
    console(text)
        .lines()
        .filter(|l| l.starts_with("  ! "))
        .map(String::from)
        .collect()
}

#[test]
fn the_desk_caveat_is_printed_only_where_it_moves_always_on_s_lead() {
    let with_desks = |text: String| {
        text.replace(
            "police = \"const(10m)\"",
            "police = \"const(10m)\"\ndesk = { open = \"09:00\", close = \"17:00\", days = \"Mon-Fri\" }",
        )
    };
    let caveat = "Always-on's lead counts its members' referral desks as open all day";
    let study_of = |schedules: &str| {
        scenario(
            "replications = 2\ndays = 14",
            "rate = \"40/day\"\nrest_of_world = 0.4",
            schedules,
        )
    };
    // Always-on recommended over office hours, with desks that keep hours: the choice
    // to count them open on watch carries its lead.
    let screen = console(&with_desks(study_of(SCHEDULES)));
    assert!(screen.contains("  always "), "{screen}");
    assert!(screen.contains(caveat), "{screen}");
    // With what the rule is worth: always-on's share and lead had the desks kept their
    // own hours.
    assert!(
        screen.contains("Had the desks kept their own hours")
            && screen.contains("points instead of"),
        "{screen}"
    );
    // Desks open around the clock: the choice changes nothing.
    let screen = console(&study_of(SCHEDULES));
    assert!(!screen.contains(caveat), "{screen}");
    // Always-on alone: it leads nothing.
    let screen = console(&with_desks(study_of(
        "[[schedule]]\nname = \"always\"\nkind = \"always\"\n",
    )));
    assert!(!screen.contains(caveat), "{screen}");
}

#[test]
fn the_console_says_whether_a_warned_cell_is_the_one_recommended() {
    // One analyst, 100 cases a day of 30 minutes: overloaded on either schedule. On
    // `always` (the only one at first) the recommended cell is warned about.
    let overloaded = |schedules: &str| {
        scenario(
            "replications = 2\ndays = 14",
            "rate = \"100/day\"\nrest_of_world = 0.4",
            schedules,
        )
        .replace("exp(mean=15m)", "const(30m)")
    };
    let lines = console_warnings(&overloaded(
        "[[schedule]]\nname = \"always\"\nkind = \"always\"\n",
    ));
    let overload = lines
        .iter()
        .find(|l| l.contains("overload"))
        .expect("an overload line");
    assert!(
        overload.ends_with("1 of these cells is recommended above: weigh it"),
        "{lines:?}"
    );
    // Follow-the-sun with a one-hour shift, against `always`: one analyst on watch at a
    // time, busy 20 hours a day, against three; `always` is recommended and the
    // micro-shifts warning is about a cell that is not.
    let text = scenario(
        "replications = 3\ndays = 14",
        "rate = \"40/day\"\nrest_of_world = 0.4",
        "[[schedule]]\nname = \"always\"\nkind = \"always\"\n\n[[schedule]]\nname = \"micro\"\nkind = \"follow_the_sun\"\nanchor = \"utc\"\n\n[[agency]]\nid = \"az\"\ntz = \"Atlantic/Azores\"\nweight = 0\n",
    )
    .replace("America/New_York", "Europe/Paris")
    .replace("exp(mean=15m)", "const(30m)");
    let lines = console_warnings(&text);
    let micro = lines
        .iter()
        .find(|l| l.contains("micro_shifts"))
        .expect("a micro_shifts line");
    assert!(
        micro.ends_with("none of these cells is recommended above"),
        "{lines:?}"
    );
}

#[test]
fn micro_shifts_on_follow_the_sun_are_warned() {
    // Paris, London and the Azores have middays at 11:00, 12:00 and 13:00 UTC: London
    // holds the watch from 11:30 to 12:30, one hour a day.
    let text = scenario(
        "replications = 2\ndays = 7",
        "rate = \"10/day\"\nrest_of_world = 0.4",
        "[[agency]]\nid = \"az\"\ntz = \"Atlantic/Azores\"\nweight = 0\n\n[[schedule]]\nname = \"fts\"\nkind = \"follow_the_sun\"\nanchor = \"utc\"\n",
    )
    .replace("America/New_York", "Europe/Paris");
    let w = kinds(&text);
    assert!(
        w.iter()
            .any(|(k, f)| k == "micro_shifts" && f.contains("uk 60 min")),
        "{w:?}"
    );
    let quiet = kinds(&scenario(
        "replications = 2\ndays = 7",
        "rate = \"10/day\"\nrest_of_world = 0.4",
        "[[schedule]]\nname = \"fts\"\nkind = \"follow_the_sun\"\nanchor = \"utc\"\n",
    ));
    assert!(
        !has(&quiet, "micro_shifts"),
        "New York and London: {quiet:?}"
    );
}

#[test]
fn a_stage_left_at_zero_that_cases_take_is_warned() {
    let base = scenario(
        "replications = 2\ndays = 7",
        "rate = \"10/day\"\nrest_of_world = 0.4",
        SCHEDULES,
    );
    assert!(!has(&kinds(&base), "stage_at_zero"));
    let zero = base.replace("international = \"const(1d)\"\n", "");
    let w = kinds(&zero);
    assert!(
        w.iter()
            .any(|(k, f)| k == "stage_at_zero" && f.contains("international")),
        "{w:?}"
    );
    // Without non-members, an international channel at zero is never taken.
    let members_only = zero
        .replace("rest_of_world = 0.4", "rest_of_world = 0")
        .replace("weight = 0.3", "weight = 0.5");
    assert!(
        !kinds(&members_only)
            .iter()
            .any(|(k, f)| k == "stage_at_zero" && f.contains("international"))
    );
}

#[test]
fn a_median_that_jumps_between_replications_is_warned() {
    // A handful of cases a replication with a response of a minute or of most of a
    // day: the median of each replication lands anywhere in between.
    let text = scenario(
        "replications = 8\ndays = 3",
        "rate = \"3/day\"\nrest_of_world = 0",
        "[[schedule]]\nname = \"always\"\nkind = \"always\"\n",
    )
    .replace("weight = 0.3", "weight = 0.5")
    .replace("police = \"const(10m)\"", "police = \"uniform(1m, 20h)\"");
    let w = kinds(&text);
    assert!(has(&w, "bimodal_median"), "{w:?}");
}

#[test]
fn comparisons_too_noisy_to_decide_ask_for_more_replications() {
    // Two replications, few cases, two schedules that differ a little.
    let text = scenario(
        "replications = 2\ndays = 4\nagencies = [2]",
        "rate = \"12/day\"\nrest_of_world = 0",
        r#"
[[schedule]]
name = "always"
kind = "always"

[[schedule]]
name = "nearly"
kind = "blocks"
blocks = [ { agency = "us", from = "00:00", to = "22:00", tz = "UTC" } ]
"#,
    )
    .replace("weight = 0.3", "weight = 0.5");
    let s = study(&text);
    let results = s.run(false);
    let cells = by_cell(&s, &results);
    let d = decisions(&s, &cells);
    let nearly = d[0]
        .schedules
        .iter()
        .find(|x| x.schedule == "nearly")
        .unwrap();
    if nearly.standing == Standing::Undecided {
        let w = warnings(&s, &cells, &d);
        assert!(w.iter().any(|x| x.kind == "replications"), "{w:?}");
    } else {
        panic!(
            "expected an undecided comparison at 2 replications, got {:?} ({:?})",
            nearly.standing, nearly.against_best
        );
    }
    // The members' p50 exists for both (a sanity check of the decision figures).
    assert!(nearly.p50.mean > 0.0 && cells[0].pooled(Scope::Members, 1).mean(Metric::Police) > 0.0);
}
