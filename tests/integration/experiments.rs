//! Experiments: thread counts, resumed runs and paired comparisons.

use std::path::Path;

use crate::common::watchsim;
use watchsim::experiment::Study;
use watchsim::report::summary::{Measure, by_cell, comparisons, distribution_rows, summary_rows};
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
        part.join(".item-0-3.bin.tmp999"),
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
fn two_identical_schedules_differ_by_exactly_zero_and_others_do_not() {
    // The scenario gets a second copy of `utc-blocks` under another name. Through the
    // whole study (cells, common random numbers, pooling, the comparisons table), the
    // two cells must see the same incidents and give the same outcomes, so every paired
    // difference between them is exactly zero. This fails if the cells of one
    // replication do not replay the same stream, if replications are paired out of
    // order, or if `comparisons` pairs the wrong cells. (Pairing a vector of values with
    // itself, as this test once did, could not fail.) The pair of genuinely different
    // schedules must not come out zero, or the check would say nothing.
    let text = format!(
        "{}\n[[schedule]]\nname = \"utc-blocks-copy\"\nkind = \"blocks\"\nblocks = [\n  \
         {{ agency = \"au\", from = \"22:00\", to = \"06:00\", tz = \"UTC\" }},\n  \
         {{ agency = \"uk\", from = \"06:00\", to = \"14:00\", tz = \"UTC\" }},\n  \
         {{ agency = \"us\", from = \"14:00\", to = \"22:00\", tz = \"UTC\" }},\n]\n",
        small_founders()
    );
    let scenario = Scenario::from_toml(&text, "founders.toml").unwrap();
    let study = Study::new(scenario).unwrap();
    let results = study.run(false);
    let cells = by_cell(&study, &results);
    let name = |c: usize| {
        let cell = &study.cells[cells[c].cell];
        (
            study.scenario.schedules[cell.schedule].name.as_str(),
            cell.k,
        )
    };
    let table = comparisons(&study, &cells);
    let (mut same, mut different) = (0, 0);
    for c in &table {
        let (a, ka) = name(c.a);
        let (b, kb) = name(c.b);
        assert_eq!(ka, kb);
        let pair = [a, b];
        if pair.contains(&"utc-blocks") && pair.contains(&"utc-blocks-copy") {
            same += 1;
            assert!(
                c.diff.mean == 0.0 && c.diff.low == 0.0 && c.diff.high == 0.0,
                "{:?} k={ka} severity {}: {a} − {b} = {:?}",
                c.measure,
                c.severity,
                c.diff
            );
        } else if pair.contains(&"utc-blocks")
            && pair.contains(&"follow-the-sun")
            && c.measure == Measure::MeanAlertToResponse
            && c.diff.mean != 0.0
        {
            different += 1;
        }
    }
    assert!(same >= 3 * 4, "{same} comparisons of the copy");
    assert!(different >= 3, "{different} non-zero differences");
}

#[test]
fn one_replication_gives_the_same_csv_files_on_one_thread_and_two() {
    // With a single work item (-r 1) and two threads, the cells of the item run side by
    // side over the incident stream (src/experiment.rs: items < threads); with one
    // thread they run one after another. Every CSV must be byte-identical.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), small_founders()).unwrap();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let o = watchsim(
            &[
                "run",
                "s.toml",
                "-q",
                "-r",
                "1",
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
    let csvs = |d: &str| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path().join(d))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let (one, two) = (csvs("one"), csvs("two"));
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        OUTPUTS.iter().all(|f| names.contains(f)) && names.contains(&"incidents.csv"),
        "{names:?}"
    );
    assert_eq!(
        names,
        two.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        assert!(
            a == b,
            "{name} differs between --threads 1 and --threads 2 at -r 1"
        );
    }
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
                && c.measure == Measure::MeanAlertToResponse
                && c.scope == watchsim::stats::Scope::All
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

#[test]
fn runs_pooled_in_any_order_give_the_same_tables() {
    // Runs are pooled as their work items finish, in whatever order the threads finish
    // them: the pooled tables must not depend on that order.
    let scenario = Scenario::from_toml(&small_founders(), "founders.toml").unwrap();
    let study = Study::new(scenario).unwrap();
    let in_order = by_cell(&study, &study.run(false));
    let mut reversed = study.run(false);
    reversed.reverse();
    let reversed = by_cell(&study, &reversed);
    let tables = |cells: &[watchsim::report::summary::CellResults]| {
        (
            format!("{:?}", summary_rows(&study, cells)),
            format!("{:?}", distribution_rows(&study, cells)),
            format!("{:?}", comparisons(&study, cells)),
            format!(
                "{:?}",
                cells.iter().flat_map(|c| &c.run_rows).collect::<Vec<_>>()
            ),
        )
    };
    assert_eq!(tables(&in_order), tables(&reversed));
}
