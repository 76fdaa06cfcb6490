//! Variants of a scenario: a change to one distribution changes the draws of that
//! quantity only (per-quantity random streams), so cells that never use it are
//! byte-identical and cells that do differ only where it is used.

use watchsim::engine::{Outcome, Status};
use watchsim::experiment::{RunResult, Study};
use watchsim::incidents::Incident;
use watchsim::scenario::Scenario;

/// Three agencies, the third watch-only and no rest of the world: at one agency the
/// second country's cases are non-members' (international channel); at two and three
/// every case belongs to a member, so nothing takes the international channel. Every
/// other quantity is random (handoffs included, with cases passed on at shift change)
/// so that a shifted stream would show.
pub const BASE: &str = r#"
name = "variants"
[experiment]
seed = 14
replications = 3
days = 42
warmup = "2d"
agencies = [1, 2, 3]
[incidents]
rate = "30/day"
profile = "evening"
severity = [ { class = "urgent", share = 0.3 }, { class = "routine", share = 0.7 } ]
visibility = "lognormal(mean=6h, sd=4h)"
rest_of_world = 0
[watch]
detect = "exp(mean=20m)"
triage = "gamma(mean=40m, sd=30m)"
handoff = "exp(mean=10m)"
discipline = "priority"
in_progress_at_handoff = "transfer"
[referral]
domestic = "lognormal(mean=10m, sd=5m)"
international = "const(0)"
non_member_police = "weibull(shape=1.5, scale=1h)"
[[agency]]
id = "a"
tz = "Europe/London"
weight = 0.6
watch_staff = 1
desk = { open = "08:00", close = "18:00", days = "Mon-Fri", callout = "lognormal(mean=45m, sd=20m)", callout_for = ["urgent"] }
referral_in = "lognormal(mean=30m, sd=15m)"
police = "lognormal(median=8m, sigma=0.6)"
[[agency]]
id = "b"
tz = "America/New_York"
weight = 0.4
watch_staff = 1
desk = { open = "09:00", close = "17:00", days = "Mon-Fri", callout = "exp(mean=1h)", callout_for = ["urgent"] }
referral_in = "uniform(10m, 50m)"
police = "gamma(mean=20m, sd=10m)"
[[agency]]
id = "c"
tz = "Australia/Sydney"
weight = 0
watch_staff = 1
desk = "24/7"
referral_in = "exp(mean=30m)"
police = "const(0)"
[[schedule]]
name = "follow-the-sun"
kind = "follow_the_sun"
anchor = "local"
[[schedule]]
name = "round-robin"
kind = "round_robin"
period = "1d"
handoff_at = "06:00"
"#;

fn run(text: &str) -> Vec<RunResult> {
    let scenario = Scenario::from_toml(text, "variants.toml").unwrap_or_else(|e| panic!("{e}"));
    Study::new(scenario).unwrap().run(true)
}

/// The trace of a run, by incident index.
fn trace(r: &RunResult) -> Vec<(u32, Incident, Outcome)> {
    let mut t = r.trace.clone().expect("traced run");
    t.sort_by_key(|x| x.0);
    t
}

/// Every field of an outcome, floats as bits (so NaN == NaN and -0 != 0).
fn outcome_bits(o: &Outcome) -> (Status, Option<u16>, [u64; 9]) {
    (
        o.status,
        o.watch_agency,
        [
            o.alert, o.response, o.detect, o.queue, o.triage, o.handoff, o.referral, o.desk,
            o.police,
        ]
        .map(f64::to_bits),
    )
}

/// The stages up to and including the handoffs, and the alert: what a changed referral
/// must not touch.
fn before_referral(o: &Outcome) -> (Option<u16>, [u64; 5]) {
    (
        o.watch_agency,
        [o.alert, o.detect, o.queue, o.triage, o.handoff].map(f64::to_bits),
    )
}

/// Every draw of an incident but the international transit, floats as bits.
fn draws_but_international(i: &Incident) -> String {
    let mut j = *i;
    j.international = 0.0;
    format!("{j:?}")
}

/// Changing only `[referral] international` (const(0) → lognormal) leaves every cell in
/// which no case takes the international channel byte-identical, and in the cells that
/// use it changes only the international cases, from their referral on.
///
/// Why other cases cannot move: in the engine, referral, desk and police come after
/// triage (`finish_case`, called when an analyst finishes) and are computed straight
/// from the case's draws and the receiving desk's opening hours, without contention and
/// without scheduling any event; the analyst is freed and the next queued case started
/// before any of it matters. So a changed referral cannot change any other case's
/// queueing, triage, handoffs or alert, nor the watch desks' totals. And with
/// per-quantity streams, the international draw does not shift any other draw.
#[test]
fn changing_the_international_channel_changes_only_the_cases_that_use_it() {
    let base = run(BASE);
    let changed_text = BASE.replace(
        "international = \"const(0)\"",
        "international = \"lognormal(mean=2d, sd=1d)\"",
    );
    assert_ne!(changed_text, BASE);
    let changed = run(&changed_text);
    assert_eq!(base.len(), changed.len());
    let scenario = Scenario::from_toml(BASE, "variants.toml").unwrap();
    let study = Study::new(scenario).unwrap();
    let (mut untouched_cells, mut touched_cells, mut changed_cases) = (0, 0, 0);
    for (a, b) in base.iter().zip(&changed) {
        assert_eq!(
            (a.variant, a.cell, a.replication),
            (b.variant, b.cell, b.replication)
        );
        let cell = &study.cells[a.cell];
        let what = format!(
            "{} at {} agencies, replication {}",
            study.scenario.schedules[cell.schedule].name, cell.k, a.replication
        );
        let (ta, tb) = (trace(a), trace(b));
        assert_eq!(ta.len(), tb.len(), "{what}: incident count");
        assert!(ta.len() > 500, "{what}: too few incidents to show anything");
        let member = |i: &Incident| i.jurisdiction.is_some_and(|j| usize::from(j) < cell.k);
        let international = ta.iter().filter(|(_, i, _)| !member(i)).count();
        for ((ia, inc_a, out_a), (ib, inc_b, out_b)) in ta.iter().zip(&tb) {
            assert_eq!(ia, ib, "{what}: incident indices");
            // The incident and all its draws but the changed one are the same.
            assert_eq!(
                draws_but_international(inc_a),
                draws_but_international(inc_b),
                "{what}: incident {ia}'s draws moved"
            );
            assert_eq!(inc_a.international, 0.0);
            assert!(inc_b.international > 0.0, "{what}: incident {ia}");
            if member(inc_a) {
                assert_eq!(
                    outcome_bits(out_a),
                    outcome_bits(out_b),
                    "{what}: member case {ia} changed:\n{out_a:?}\n{out_b:?}"
                );
            } else {
                assert_eq!(
                    before_referral(out_a),
                    before_referral(out_b),
                    "{what}: international case {ia} changed before its referral:\n{out_a:?}\n{out_b:?}"
                );
                if outcome_bits(out_a) != outcome_bits(out_b) {
                    changed_cases += 1;
                }
            }
        }
        if international == 0 {
            untouched_cells += 1;
            // The whole cell: every per-run statistic and the desk totals too.
            assert_eq!(
                serde_json::to_string(&a.stats).unwrap(),
                serde_json::to_string(&b.stats).unwrap(),
                "{what}: statistics changed"
            );
            assert_eq!(a.totals, b.totals, "{what}: desk totals changed");
        } else {
            touched_cells += 1;
            assert_eq!(a.totals, b.totals, "{what}: desk totals changed");
        }
    }
    println!(
        "international const(0) -> lognormal: {untouched_cells} cell replications identical, {touched_cells} using the channel, {changed_cases} international cases changed"
    );
    // Both kinds of cell were there, and the change did show where it could.
    let reps = study.scenario.experiment.replications as usize;
    assert_eq!(untouched_cells, 2 * 2 * reps, "cells at 2 and 3 agencies");
    assert_eq!(touched_cells, 2 * reps, "cells at 1 agency");
    assert!(
        changed_cases > 100,
        "only {changed_cases} international cases changed"
    );
}
