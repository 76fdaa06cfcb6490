//! `watchsim optimise` and `[[sensitivity]]`: the staffing search against Erlang C, its
//! outputs and errors.

use watchsim::optimise::{Quiet, optimise};
use watchsim::scenario::Scenario;

use crate::textbook::{erlang_c, single_desk};

/// P(T ≤ t) in M/M/c with μ = 1/h, offered load a (= λ in /h), t in hours: the
/// response time is the FIFO queue wait plus an exponential triage.
fn mmc_share_within(c: u32, a: f64, t: f64) -> f64 {
    if f64::from(c) <= a {
        return 0.0;
    }
    let pw = erlang_c(c, a);
    let theta = f64::from(c) - a;
    let tail = if (theta - 1.0).abs() < 1e-12 {
        (-t).exp() * (1.0 + pw * t)
    } else {
        (-t).exp() + pw / (theta - 1.0) * ((-t).exp() - (-theta * t).exp())
    };
    1.0 - tail
}

/// The least number of analysts whose exact share within `t` hours meets `target`.
fn least_c(a: f64, t: f64, target: f64) -> u32 {
    (1..100)
        .find(|&c| mmc_share_within(c, a, t) >= target)
        .expect("reachable")
}

/// One desk holding the watch around the clock, every delay zero but an exponential
/// triage of mean 1 h, and an `[optimise]` table over its analysts.
fn desk_search(a: f64, t: f64, target: f64) -> String {
    let mut toml = single_desk(
        &format!(
            "[incidents]\nrate = \"{a}/h\"\n[watch]\ntriage = \"exp(mean=1h)\"\ndiscipline = \"fifo\""
        ),
        1,
        &format!("replications = 10\ndays = 200\nwarmup = \"10d\"\nsla = [\"{t}h\"]"),
    );
    toml.push_str(&format!(
        "[optimise]\nwatch_staff = [1, 12]\nconfirm = 20\n\
         [[optimise.target]]\nmeasure = \"within_{t}h\"\nat_least = {target}\n"
    ));
    toml
}

#[test]
fn the_answer_on_an_mmc_desk_is_the_least_c_that_erlang_c_says_meets_the_target() {
    // Two loads and targets where neighbouring staffings lie well apart on either side
    // of the target (exact shares computed below, e.g. a = 3.6: c = 5 → 91.4 %,
    // c = 6 → 94.3 % within 3 h), so that the simulation's CIs can tell them apart.
    for (a, t, target) in [(3.6, 3.0, 0.93), (1.5, 4.0, 0.95)] {
        let exact = least_c(a, t, target);
        assert!(
            mmc_share_within(exact, a, t) - target > 0.01
                && target - mmc_share_within(exact - 1, a, t) > 0.01,
            "the test's targets must separate c = {exact} from c = {} clearly",
            exact - 1
        );
        let scenario = Scenario::from_toml(&desk_search(a, t, target), "mmc.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        let answer = optimise(&scenario, &Quiet).expect("no trace");
        let chosen = answer
            .chosen()
            .unwrap_or_else(|| panic!("a = {a}: no answer"));
        assert_eq!(
            chosen.staff,
            vec![exact],
            "a = {a}, within {t} h ≥ {target}: Erlang C's least c is {exact}"
        );
        // The confirmation run's CI holds the exact share of that staffing.
        let ci = chosen.estimates[0];
        let share = mmc_share_within(exact, a, t);
        assert!(
            ci.low <= share && share <= ci.high,
            "a = {a}, c = {exact}: exact {share:.4} outside the confirmation CI [{:.4}, {:.4}]",
            ci.low,
            ci.high
        );
        // Every staffing below the answer that the search tried was rejected.
        for e in &answer.evaluations {
            if e.staff[0] < exact {
                assert!(!e.feasible, "c = {} accepted", e.staff[0]);
            }
        }
    }
}

/// The repository's root (where `scenarios/` is).
fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn staffing_toml_gets_a_staffing_that_meets_its_target_in_the_confirmation_run() {
    let out = crate::common::scratch("optimise", "staffing");
    let run = crate::common::watchsim(
        &[
            "optimise",
            "scenarios/staffing.toml",
            "-q",
            "-o",
            out.to_str().expect("utf-8"),
        ],
        &root(),
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Cheapest staffing found"), "{stdout}");
    let mut csv = csv::Reader::from_path(out.join("optimise.csv")).expect("optimise.csv");
    let header = csv.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("row")).collect();
    let chosen: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| &r[col("chosen")] == "true")
        .collect();
    assert_eq!(chosen.len(), 1, "one target, one chosen row");
    let c = chosen[0];
    assert_eq!(&c[col("phase")], "confirm");
    assert_eq!(&c[col("replications")], "40");
    let low: f64 = c[col("ci95_low")].parse().expect("a number");
    assert!(
        low >= 0.95,
        "the answer's CI low {low} is under the 95 % target"
    );
    assert_eq!(&c[col("holds")], "true");
    // Every evaluation cheaper than the answer was rejected.
    let cost: f64 = c[col("cost_per_week")].parse().expect("a number");
    for r in &rows {
        let other: f64 = r[col("cost_per_week")].parse().expect("a number");
        if other < cost - 1e-9 && &r[col("phase")] != "confirm" {
            assert_eq!(
                &r[col("feasible")],
                "false",
                "{r:?} is cheaper and feasible"
            );
        }
    }
    // The folder is a report of the confirmation run, with the optimiser's section.
    for f in ["frontier.png", "frontier.svg", "summary.csv", "index.html"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let page = std::fs::read_to_string(out.join("index.html")).expect("page");
    assert!(page.contains("The cheapest staffing that meets the targets"));
    assert!(page.contains(&c[col("staffing")]));
}

/// Runs `watchsim optimise` on `text`; exit status and stderr.
fn optimise_file(name: &str, text: &str) -> (Option<i32>, String) {
    let dir = crate::common::scratch("optimise", name);
    let file = dir.join("s.toml");
    std::fs::write(&file, text).expect("write");
    let out = crate::common::watchsim(&["optimise", "s.toml", "-q", "-o", "out"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stderr)
}

#[test]
fn bad_optimise_tables_are_refused_with_the_place_and_the_fix() {
    let base = desk_search(1.5, 4.0, 0.95);
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        (
            "unknown-member",
            "watch_staff = [1, 12]",
            "watch_staff = { zz = [1, 3] }",
            &[
                "watch_staff",
                "\"zz\" is not a member",
                "expected one of: a",
            ],
        ),
        (
            "unknown-class",
            "measure = \"within_4h\"",
            "measure = \"within_4h\"\nclass = \"urgnt\"",
            &["class", "not a severity class"],
        ),
        (
            "unknown-measure",
            "measure = \"within_4h\"",
            "measure = \"within_3h\"",
            &["measure", "expected one of: within_4h, missed_share"],
        ),
        (
            "wrong-side",
            "at_least = 0.95",
            "at_most = 0.95",
            &["at_most", "expected at_least"],
        ),
        (
            "empty-range",
            "watch_staff = [1, 12]",
            "watch_staff = [5, 2]",
            &["watch_staff", "[5, 2] is empty"],
        ),
    ];
    for (name, from, to, words) in cases {
        let text = base.replacen(from, to, 1);
        assert_ne!(text, base, "{name}: {from}");
        let (code, stderr) = optimise_file(name, &text);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        for w in words {
            assert!(stderr.contains(w), "{name}: expected {w:?} in:\n{stderr}");
        }
        assert!(
            stderr.contains("s.toml:"),
            "{name}: no file:line in {stderr}"
        );
    }
    // Bounds that exclude every feasible staffing: said so, with the closest found.
    let text = base.replace("watch_staff = [1, 12]", "watch_staff = [1, 2]");
    let (code, stderr) = optimise_file("infeasible", &text);
    assert_eq!(code, Some(2), "{stderr}");
    for w in ["no staffing within", "the closest was a=2", "fails: CI low"] {
        assert!(stderr.contains(w), "expected {w:?} in:\n{stderr}");
    }
    // A scenario without [optimise].
    let (code, stderr) = optimise_file("none", &single_desk("[incidents]\nrate = \"1/h\"", 1, ""));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("has no [optimise] table"), "{stderr}");
}

/// A small study with two schedules and three ranges: one that every case feels, one
/// that only the members' desks feel, and one that no case uses (there are no
/// non-members' cases, so the non-member police response never runs).
const SENSITIVE: &str = r#"name = "sensitive"
[experiment]
seed = 7
replications = 4
days = 56
start = "2026-01-05"
sla = ["1h", "2h"]
[incidents]
rate = "30/day"
rest_of_world = 0.0
[watch]
triage = "exp(mean=20m)"
[referral]
non_member_police = "const(1h)"
[[agency]]
id = "uk"
tz = "Europe/London"
weight = 0.5
[[agency]]
id = "us"
tz = "America/New_York"
weight = 0.5
[[schedule]]
name = "fts"
kind = "follow_the_sun"
[[schedule]]
name = "rr"
kind = "round_robin"
period = "1d"

[[sensitivity]]
key = "referral.non_member_police"
name = "unused"
low = "const(10m)"
high = "const(10h)"

[[sensitivity]]
key = "watch.triage"
name = "triage"
low = "exp(mean=5m)"
high = "exp(mean=50m)"

[[sensitivity]]
key = "agency.uk.watch_staff"
name = "uk analysts"
low = 1
high = 3
"#;

#[test]
fn sensitivity_gives_an_unused_estimate_zero_swing_and_the_tornado_sorts_by_swing() {
    let dir = crate::common::scratch("optimise", "sensitivity");
    std::fs::write(dir.join("s.toml"), SENSITIVE).expect("write");
    let run = crate::common::watchsim(&["run", "s.toml", "-q", "-o", "out"], &dir);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Which estimates matter"), "{stdout}");
    let out = dir.join("out");
    let mut csv = csv::Reader::from_path(out.join("sensitivity.csv")).expect("sensitivity.csv");
    let header = csv.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("row")).collect();
    let num = |r: &csv::StringRecord, c: &str| -> f64 { r[col(c)].parse().expect(c) };
    // Per agency count (one here): the base and two ends for each of three ranges.
    assert_eq!(rows.len(), 7);
    let swing = |name: &str| {
        let mine: Vec<&csv::StringRecord> = rows
            .iter()
            .filter(|r| &r[col("estimate")] == name)
            .collect();
        assert_eq!(mine.len(), 2, "{name}");
        for r in &mine {
            assert_eq!(num(r, "swing"), num(mine[0], "swing"));
        }
        (num(mine[0], "swing"), mine)
    };
    let (unused, ends) = swing("unused");
    assert_eq!(unused, 0.0, "no case uses the non-member police response");
    for r in ends {
        assert_eq!(num(r, "change"), 0.0);
        assert_eq!(&r[col("decision_holds")], "true");
    }
    let (triage, _) = swing("triage");
    let (analysts, _) = swing("uk analysts");
    assert!(
        triage > 0.05,
        "triage from 5 to 50 minutes moves the share: {triage}"
    );
    assert!(analysts > 0.0);
    // The tornado draws its bars top-down by swing: each label's height in the SVG.
    let svg = std::fs::read_to_string(out.join("tornado.svg"))
        .expect("tornado.svg")
        .replace('\n', "");
    let height = |label: &str| -> f64 {
        let at = svg
            .find(&format!(">{label}</text>"))
            .unwrap_or_else(|| panic!("{label} not in the chart"));
        let tag = &svg[svg[..at].rfind("<text").expect("a text element")..at];
        let y = tag.split(" y=\"").nth(1).expect("y attribute");
        y[..y.find('"').expect("quoted")].parse().expect("a number")
    };
    let mut by_swing = [
        ("triage", triage),
        ("uk analysts", analysts),
        ("unused", unused),
    ];
    by_swing.sort_by(|a, b| b.1.total_cmp(&a.1));
    let ys: Vec<f64> = by_swing.iter().map(|(l, _)| height(l)).collect();
    assert!(
        ys.windows(2).all(|w| w[0] < w[1]),
        "bars by swing {by_swing:?} should run top-down, at heights {ys:?}"
    );
    let page = std::fs::read_to_string(out.join("index.html")).expect("page");
    assert!(page.contains("Which estimates matter"));
}

#[test]
fn a_sensitivity_range_that_is_not_an_estimate_or_does_not_apply_is_refused() {
    for (from, to, words) in [
        (
            "key = \"watch.triage\"",
            "key = \"experiment.agencies\"",
            &["experiment.agencies is not an estimate"][..],
        ),
        (
            "high = \"exp(mean=50m)\"",
            "high = \"exp(mean=5m)\"",
            &["low and high are both exp(mean=5m)"][..],
        ),
        (
            "key = \"agency.uk.watch_staff\"",
            "key = \"agency.zz.watch_staff\"",
            &[
                "[[sensitivity]] \"agency.zz.watch_staff\" low",
                "no element \"zz\"",
            ][..],
        ),
        (
            "high = 3",
            "high = -3",
            &[
                "[[sensitivity]] \"agency.uk.watch_staff\" high",
                "watch_staff",
            ][..],
        ),
    ] {
        assert_eq!(SENSITIVE.matches(from).count(), 1, "{from}");
        let err = Scenario::from_toml(&SENSITIVE.replacen(from, to, 1), "s.toml")
            .expect_err(to)
            .to_string();
        for w in words {
            assert!(err.contains(w), "expected {w:?} in:\n{err}");
        }
        assert!(err.contains("s.toml:"), "{err}");
    }
}

#[test]
fn the_search_gives_the_same_answer_and_files_whatever_the_thread_count() {
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let out = crate::common::scratch("optimise", &format!("threads-{threads}"));
        let run = crate::common::watchsim(
            &[
                "optimise",
                "scenarios/staffing.toml",
                "-q",
                "-j",
                threads,
                "-o",
                out.to_str().expect("utf-8"),
            ],
            &root(),
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        files.push(
            ["optimise.csv", "summary.csv", "runs.csv"]
                .map(|f| std::fs::read(out.join(f)).expect(f)),
        );
    }
    assert!(files[0] == files[1], "-j 1 and -j 2 wrote different files");
}
