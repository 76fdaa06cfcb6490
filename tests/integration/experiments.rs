//! Experiments: thread counts, resumed runs and paired comparisons.

use std::path::Path;

use crate::common::watchsim;
use watchsim::experiment::Study;
use watchsim::report::summary::{by_cell, comparisons, paired};
use watchsim::run::{Manifest, RunOptions, Silent, run_items};
use watchsim::scenario::Scenario;

const FOUNDERS: &str = include_str!("../../scenarios/founders-2006.toml");

fn small_founders() -> String {
    FOUNDERS
        .replace("days = 364", "days = 56")
        .replace("replications = 20", "replications = 4")
}

const OUTPUTS: [&str; 8] = [
    "runs.csv",
    "summary.csv",
    "compare.csv",
    "distribution.csv",
    "weekly.csv",
    "desks.csv",
    "load.csv",
    "coverage.csv",
];

fn assert_same_outputs(a: &Path, b: &Path) {
    for file in OUTPUTS {
        let x = std::fs::read(a.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", a.join(file).display()));
        let y = std::fs::read(b.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", b.join(file).display()));
        assert!(x.len() > 100, "{file} is nearly empty");
        assert!(
            x == y,
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn outputs_are_byte_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), small_founders()).unwrap();
    for (threads, out) in [("1", "one"), ("2", "two"), ("3", "three")] {
        let o = watchsim(
            &[
                "run",
                "s.toml",
                "-q",
                "--threads",
                threads,
                "--trace",
                "--out",
                out,
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_same_outputs(&dir.path().join("one"), &dir.path().join("two"));
    assert_same_outputs(&dir.path().join("one"), &dir.path().join("three"));
    let trace = |d: &str| std::fs::read(dir.path().join(d).join("incidents.csv")).unwrap();
    assert_eq!(trace("one"), trace("two"));
}

#[test]
fn a_resumed_run_gives_the_outputs_of_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), small_founders()).unwrap();
    let o = watchsim(&["run", "s.toml", "-q", "--out", "whole"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // An interrupted run: only some work items finished and were kept in the part.
    let scenario = Scenario::load(&dir.path().join("s.toml")).unwrap();
    let study = Study::new(scenario).unwrap();
    let part = dir.path().join("resumed/.partial");
    let manifest = Manifest::new(&study, false, None);
    let items = study.items();
    let options = RunOptions::default();
    run_items(
        &study,
        &items[..items.len() / 2],
        &part,
        &manifest,
        &options,
        &Silent,
    )
    .unwrap();
    // A half-written item (the process was killed mid-write of a temporary file).
    std::fs::write(
        part.join(".item-0-3.json.tmp999"),
        b"{\"variant\": 0, \"repl",
    )
    .unwrap();

    let o = watchsim(
        &["run", "s.toml", "-q", "--resume", "--out", "resumed"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).is_empty()
            || !String::from_utf8_lossy(&o.stderr).contains("Error")
    );
    assert_same_outputs(&dir.path().join("whole"), &dir.path().join("resumed"));
    assert!(
        !part.exists(),
        "the part is removed once the outputs are written"
    );
}

#[test]
fn resume_refuses_a_part_of_another_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), small_founders()).unwrap();
    let scenario = Scenario::load(&dir.path().join("s.toml")).unwrap();
    let study = Study::new(scenario).unwrap();
    let part = dir.path().join("out/.partial");
    let items = study.items();
    let options = RunOptions::default();
    run_items(
        &study,
        &items[..1],
        &part,
        &Manifest::new(&study, false, None),
        &options,
        &Silent,
    )
    .unwrap();
    let o = watchsim(
        &[
            "run", "s.toml", "-q", "--resume", "--seed", "99", "--out", "out",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
}

#[test]
fn a_schedule_paired_with_itself_differs_by_exactly_zero() {
    let scenario = Scenario::from_toml(&small_founders(), "founders.toml").unwrap();
    let study = Study::new(scenario).unwrap();
    let results = study.run(false);
    let cells = by_cell(&study, &results);
    let all = study.scenario.incidents.classes.len();
    let values: Vec<f64> = cells[0]
        .per_run(all)
        .iter()
        .map(|c| c.mean(watchsim::stats::Metric::AlertToResponse))
        .collect();
    let d = paired(&values, &values);
    assert_eq!((d.mean, d.low, d.high), (0.0, 0.0, 0.0));
}

/// Half-width of the paired CI of the mean alert → response between two schedules.
fn paired_half_width(independent: bool, a: &str, b: &str, k: usize) -> f64 {
    let text = FOUNDERS
        .replace("days = 364", "days = 91")
        .replace("replications = 20", "replications = 10");
    let scenario = Scenario::from_toml(&text, "founders.toml").unwrap();
    let mut study = Study::new(scenario).unwrap();
    study.independent_streams = independent;
    let results = study.run(false);
    let cells = by_cell(&study, &results);
    let find = |name: &str| {
        cells
            .iter()
            .position(|c| {
                let cell = &study.cells[c.cell];
                study.scenario.schedules[cell.schedule].name == name && cell.k == k
            })
            .unwrap()
    };
    let (ia, ib) = (find(a), find(b));
    comparisons(&study, &cells)
        .into_iter()
        .find(|c| {
            c.a == ia.min(ib)
                && c.b == ia.max(ib)
                && c.metric == "alert_to_response_mean"
                && c.severity == 3
        })
        .unwrap()
        .diff
        .half_width()
}

#[test]
fn common_random_numbers_tighten_paired_comparisons() {
    let crn = paired_half_width(false, "follow-the-sun", "round-robin-daily", 4);
    let independent = paired_half_width(true, "follow-the-sun", "round-robin-daily", 4);
    println!(
        "paired CI half-width, follow-the-sun vs round-robin-daily, 4 agencies: CRN {crn:.3} min, independent {independent:.3} min"
    );
    assert!(
        crn < independent / 2.0,
        "CRN {crn} vs independent {independent}"
    );
}
