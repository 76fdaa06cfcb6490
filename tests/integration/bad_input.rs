//! The bad-input catalogue: one case per class of bad input to the scenario file (those
//! not already in `scenarios.rs`), the trace file, the command line and the report
//! folder. Each must end with exit status 2 (bad input) or 1 (the system would not let
//! us write), a message that names the place and the fix, and no panic.

use std::path::PathBuf;
use std::process::Output;

use crate::common::{scratch, watchsim};
use watchsim::scenario::Scenario;

/// A small valid scenario with a desk and two agencies.
const BASE: &str = r#"name = "catalogue"

[experiment]
replications = 2
days = 14
start = "2026-01-05"

[incidents]
rate = "20/day"
severity = [
  { class = "urgent", share = 0.3 },
  { class = "routine", share = 0.7 },
]
rest_of_world = 0.5

[watch]
triage = "exp(mean=20m)"

[[agency]]
id = "us"
tz = "America/New_York"
weight = 0.3
desk = { open = "08:00", close = "18:00" }

[[agency]]
id = "uk"
tz = "Europe/London"
weight = 0.2

[[schedule]]
name = "fts"
kind = "follow_the_sun"

[[schedule]]
name = "rr"
kind = "round_robin"
period = "1d"
"#;

fn dir(name: &str) -> PathBuf {
    scratch("bad-input", name)
}

/// Exit status and stderr, with the checks every case shares.
fn fails(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.trim().is_empty());
    stderr
}

fn contains_all(text: &str, words: &[&str]) {
    for w in words {
        assert!(text.contains(w), "expected {w:?} in:\n{text}");
    }
}

/// `BASE` with `from` replaced by `to` (which must occur once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from}");
    BASE.replacen(from, to, 1)
}

// ---------------------------------------------------------------- scenario file

#[test]
fn scenario_file_classes() {
    // (edit from, to, line holding the error, key, words of the message)
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        // A required key is missing.
        (
            "name = \"catalogue\"\n",
            "",
            "",
            "",
            &["missing field `name`"],
        ),
        // A whole required table is missing (and an unknown table is named as such).
        (
            "[incidents]",
            "[incident]",
            "[incident]",
            "[incident]",
            &["unknown field `incident`", "expected one of", "`incidents`"],
        ),
        // Neither a rate nor a trace.
        (
            "rate = \"20/day\"\n",
            "",
            "[incidents]",
            "[incidents]",
            &[
                "no incidents",
                "expected rate = \"40/day\"",
                "file = \"trace.csv\"",
            ],
        ),
        // Both a rate and a trace.
        (
            "rate = \"20/day\"",
            "rate = \"20/day\"\nfile = \"t.csv\"",
            "rate =",
            "[incidents] rate",
            &["both rate and file", "expected either"],
        ),
        // A value of the wrong type: no Rust type names.
        (
            "days = 14",
            "days = \"14\"",
            "days",
            "[experiment] days",
            &["invalid type", "expected a number"],
        ),
        (
            "id = \"uk\"",
            "id = \"uk\"\nwatch_staff = 1.5",
            "watch_staff",
            "[[agency]] #2 (uk) watch_staff",
            &["expected a whole number"],
        ),
        (
            "days = 14",
            "days = 14\nseed = -1",
            "seed",
            "[experiment] seed",
            &["expected a whole number of 0 or more"],
        ),
        // Out of range counts.
        (
            "replications = 2",
            "replications = 0",
            "replications",
            "[experiment] replications",
            &["expected a whole number from 1"],
        ),
        (
            "id = \"uk\"",
            "id = \"uk\"\nwatch_staff = 0",
            "watch_staff",
            "[[agency]] #2 (uk) watch_staff",
            &["0 analysts", "expected a whole number from 1"],
        ),
        (
            "days = 14",
            "days = 1e9",
            "days",
            "[experiment] days",
            &["expected a number of days from 1/24 (an hour) to 400000"],
        ),
        // A rate that would never finish.
        (
            "rate = \"20/day\"",
            "rate = \"1e12/day\"",
            "rate",
            "[incidents] rate",
            &["too many", "expected at most"],
        ),
        // Profiles and weekday multipliers.
        (
            "rate = \"20/day\"",
            "rate = \"20/day\"\nprofile = [1, 1, 1]",
            "profile",
            "[incidents] profile",
            &["expected 24 finite weights", "got 3"],
        ),
        (
            "rate = \"20/day\"",
            "rate = \"20/day\"\nprofile = \"evenin\"",
            "profile",
            "[incidents] profile",
            &["not a known profile", "did you mean \"evening\"?"],
        ),
        (
            "rate = \"20/day\"",
            "rate = \"20/day\"\nweekday = [1, 1, 1, 1, 1, 1, -1]",
            "weekday",
            "[incidents] weekday",
            &["expected 7 finite weights of 0 or more"],
        ),
        // Severity classes.
        (
            "class = \"routine\"",
            "class = \"urgent\"",
            "class = \"urgent\", share = 0.7",
            "[incidents] severity.class",
            &["used twice", "expected a unique name"],
        ),
        (
            "desk = { open = \"08:00\", close = \"18:00\" }",
            "desk = { open = \"08:00\", close = \"18:00\", callout = \"exp(mean=1h)\", callout_for = [\"urgnt\"] }",
            "desk",
            "[[agency]] #1 (us) desk.callout_for",
            &["not a severity class", "did you mean \"urgent\"?"],
        ),
        // Agency ids.
        (
            "id = \"uk\"",
            "id = \"\"",
            "id = \"\"",
            "id",
            &["cannot be an agency id", "expected letters, digits"],
        ),
        (
            "id = \"uk\"",
            "id = \"rest_of_world\"",
            "id = \"rest_of",
            "id",
            &["cannot be an agency id", "not \"rest_of_world\""],
        ),
        // Names that are not folder names.
        (
            "name = \"catalogue\"",
            "name = \"..\"",
            "name",
            "name",
            &["cannot name a report folder"],
        ),
        // Times, days and desks.
        (
            "open = \"08:00\"",
            "open = \"25:00\"",
            "desk",
            "[[agency]] #1 (us) desk.open",
            &["not a time of day", "expected \"HH:MM\""],
        ),
        (
            "close = \"18:00\" }",
            "close = \"18:00\", days = \"Mon-Funday\" }",
            "desk",
            "[[agency]] #1 (us) desk.days",
            &["\"Funday\" is not a day", "expected days like \"Mon-Fri\""],
        ),
        (
            "desk = { open = \"08:00\", close = \"18:00\" }",
            "desk = \"24/8\"",
            "desk",
            "[[agency]] #1 (us) desk",
            &["not a desk", "expected \"24/7\""],
        ),
        (
            "start = \"2026-01-05\"",
            "start = \"2026-02-30\"",
            "start",
            "[experiment] start",
            &["not a date", "expected a UTC date"],
        ),
        // Distributions with impossible parameters.
        (
            "triage = \"exp(mean=20m)\"",
            "triage = \"uniform(30m, 5m)\"",
            "triage",
            "[watch] triage",
            &[
                "lower bound is above the upper bound",
                "expected uniform(LOW, HIGH)",
            ],
        ),
        (
            "triage = \"exp(mean=20m)\"",
            "triage = \"weibull(shape=0, scale=1h)\"",
            "triage",
            "[watch] triage",
            &["shape must be positive"],
        ),
        (
            "triage = \"exp(mean=20m)\"",
            "triage = \"lognormal(mean=20m, sd=-5m)\"",
            "triage",
            "[watch] triage",
            &["negative", "zero or more"],
        ),
        // Unknown enumerations.
        (
            "triage = \"exp(mean=20m)\"",
            "triage = \"exp(mean=20m)\"\ndiscipline = \"lifo\"",
            "discipline",
            "[watch] discipline",
            &["unknown variant `lifo`", "expected `fifo` or `priority`"],
        ),
        (
            "kind = \"follow_the_sun\"",
            "kind = \"follow_the_sun\"\nanchor = \"solar\"",
            "anchor",
            "[[schedule]] #1 (fts) anchor",
            &["unknown variant `solar`", "expected `local` or `utc`"],
        ),
        // Schedules: unknown names, missing blocks, bad outages.
        (
            "days = 14",
            "days = 14\nschedules = [\"fts\", \"rrr\"]",
            "schedules",
            "[experiment] schedules",
            &["not a schedule", "did you mean \"rr\"?"],
        ),
        (
            "kind = \"round_robin\"",
            "kind = \"blocks\"",
            "kind = \"blocks\"",
            "[[schedule]] #2 (rr) blocks",
            &["a blocks schedule needs blocks = ["],
        ),
        (
            "period = \"1d\"",
            "period = \"1d\"\noutages = [ { agency = \"us\", from = \"2026-01-10\", to = \"2026-01-08\" } ]",
            "outages",
            "[[schedule]] #2 (rr) outages.to",
            &["ends before it starts", "expected to after from"],
        ),
        (
            "period = \"1d\"",
            "period = \"1d\"\noutages = [ { agency = \"fr\", from = \"2026-01-10\", to = \"2026-01-12\" } ]",
            "outages",
            "[[schedule]] #2 (rr) outages.agency",
            &["\"fr\" is not an agency", "expected one of: us, uk"],
        ),
        (
            "period = \"1d\"",
            "period = \"1d\"\noutages = [ { agency = \"us\", from = \"2026-13-10\", to = \"2026-01-12\" } ]",
            "outages",
            "[[schedule]] #2 (rr) outages.from",
            &["not a date or time", "expected \"2026-03-01\""],
        ),
        // Sweeps.
        (
            "period = \"1d\"",
            "period = \"1d\"\n\n[sweep]\nparameter = \"analysts\"\nvalues = [1, 2]",
            "parameter",
            "[sweep] parameter",
            &["cannot be swept", "expected \"watch_staff\""],
        ),
        (
            "period = \"1d\"",
            "period = \"1d\"\n\n[sweep]\nparameter = \"watch_staff\"\nvalues = []",
            "values",
            "[sweep] values",
            &["no values", "expected a non-empty list"],
        ),
        // A table given twice.
        (
            "period = \"1d\"",
            "period = \"1d\"\n\n[watch]\ntriage = \"const(1m)\"",
            "[watch]\ntriage = \"const",
            "[watch]",
            &["duplicate key", "expected each key and each [table] once"],
        ),
    ];
    for &(from, to, at, key, says) in cases {
        let text = edit(from, to);
        let errors = match Scenario::from_toml(&text, "bad.toml") {
            Ok(_) => panic!("{to:?} should not load"),
            Err(e) => e,
        };
        let shown = errors.to_string();
        let e = errors
            .0
            .iter()
            .find(|e| says.iter().all(|w| e.message.contains(w)))
            .unwrap_or_else(|| panic!("no error for {to:?} says {says:?}:\n{shown}"));
        if !at.is_empty() {
            let line = text[..text.find(at).expect("at")].matches('\n').count() + 1;
            assert_eq!(e.line, line, "line for {to:?}:\n{shown}");
            assert!(e.column >= 1, "{shown}");
        }
        if key.is_empty() {
            continue;
        }
        assert!(
            e.key == key || e.key.ends_with(&format!(" {key}")),
            "key {:?} for {to:?}, expected {key:?}:\n{shown}",
            e.key
        );
    }
}

#[test]
fn scenario_file_that_is_not_text_or_is_empty() {
    let d = dir("not-text");
    std::fs::write(d.join("binary.toml"), [0u8, 159, 146, 150, 0xff]).unwrap();
    std::fs::write(d.join("empty.toml"), "").unwrap();
    let out = watchsim(&["validate", "binary.toml", "empty.toml"], &d);
    let stderr = fails(&out, 2);
    contains_all(
        &stderr,
        &["binary.toml", "UTF-8", "empty.toml:1:1", "missing field"],
    );
}

// ---------------------------------------------------------------- trace file

const TRACE_HEADER: &str = "signal_at,jurisdiction,severity,triage\n";
const TRACE_ROWS: &str = "2026-01-06T10:00:00Z,us,urgent,5\n2026-01-07T10:00:00Z,uk,routine,\n";

/// Runs the scenario with `trace` as its incidents; returns stderr of the failure.
fn run_trace(name: &str, trace: &[u8], code: i32) -> String {
    let d = dir(&format!("trace-{name}"));
    std::fs::write(
        d.join("s.toml"),
        edit("rate = \"20/day\"", "file = \"trace.csv\""),
    )
    .unwrap();
    std::fs::write(d.join("trace.csv"), trace).unwrap();
    let out = watchsim(&["run", "s.toml", "-q", "--out", "out"], &d);
    let stderr = fails(&out, code);
    // Nothing was written for a run that could not start.
    assert!(!d.join("out").join("runs.csv").exists(), "{stderr}");
    stderr
}

#[test]
fn trace_file_classes() {
    let row3 = |line: &str| format!("{TRACE_HEADER}{TRACE_ROWS}{line}\n").into_bytes();
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "missing-column",
            b"signal_at,severity\n2026-01-06T10:00:00Z,urgent\n".to_vec(),
            vec![
                "header, column jurisdiction",
                "missing",
                "a trace needs signal_at, jurisdiction, severity",
            ],
        ),
        (
            "unknown-column",
            b"signal_at,jurisdiction,severity,triag\n2026-01-06T10:00:00Z,us,urgent,5\n".to_vec(),
            vec![
                "header, column triag",
                "unknown column",
                "did you mean \"triage\"?",
            ],
        ),
        (
            "bad-time",
            row3("2026-01-32T10:00:00Z,us,urgent,5"),
            vec![
                "row 3, column signal_at",
                "not an RFC 3339 time",
                "expected e.g. 2026-03-01T18:30:00Z",
            ],
        ),
        (
            "unknown-jurisdiction",
            row3("2026-01-08T10:00:00Z,fr,urgent,5"),
            vec![
                "row 3, column jurisdiction",
                "\"fr\" is not an agency",
                "expected one of us, uk or rest_of_world",
            ],
        ),
        (
            "unknown-severity",
            row3("2026-01-08T10:00:00Z,us,urgnt,5"),
            vec![
                "row 3, column severity",
                "\"urgnt\" is not a severity class",
                "expected one of urgent, routine",
            ],
        ),
        (
            "negative-draw",
            row3("2026-01-08T10:00:00Z,us,urgent,-5"),
            vec![
                "row 3, column triage",
                "-5 is not allowed",
                "expected a finite number of minutes of 0 or more",
            ],
        ),
        (
            "nan-draw",
            row3("2026-01-08T10:00:00Z,us,urgent,NaN"),
            vec![
                "row 3, column triage",
                "NaN is not allowed",
                "expected a finite number",
            ],
        ),
        (
            "text-draw",
            row3("2026-01-08T10:00:00Z,us,urgent,5 minutes"),
            vec![
                "row 3, column triage",
                "not a number of minutes",
                "or an empty cell to draw it",
            ],
        ),
        (
            "short-row",
            row3("2026-01-08T10:00:00Z,us"),
            vec![
                "row 3, column severity",
                "2 cells but the header has 4",
                "expected one cell per column",
            ],
        ),
        (
            "long-row",
            row3("2026-01-08T10:00:00Z,us,urgent,5,6"),
            vec![
                "row 3:",
                "5 cells but the header has 4",
                "quote a cell that holds a comma",
            ],
        ),
        (
            "not-utf8",
            [
                TRACE_HEADER.as_bytes(),
                TRACE_ROWS.as_bytes(),
                b"2026-01-08T10:00:00Z,\xff\xfe,urgent,5\n",
            ]
            .concat(),
            vec![
                "row 3, column jurisdiction",
                "not UTF-8",
                "expected the trace saved as UTF-8",
            ],
        ),
        (
            "empty-file",
            Vec::new(),
            vec!["the file is empty or its first line is blank", "signal_at"],
        ),
    ];
    for (name, bytes, words) in cases {
        let stderr = run_trace(name, &bytes, 2);
        contains_all(&stderr, &words);
        assert!(stderr.contains("trace.csv: "), "{stderr}");
    }
}

#[test]
fn missing_trace_file() {
    let d = dir("trace-missing");
    std::fs::write(
        d.join("s.toml"),
        edit("rate = \"20/day\"", "file = \"nowhere.csv\""),
    )
    .unwrap();
    let out = watchsim(&["run", "s.toml", "-q", "--out", "out"], &d);
    let stderr = fails(&out, 2);
    contains_all(
        &stderr,
        &[
            "nowhere.csv",
            "cannot read the trace",
            "relative to the scenario's folder",
        ],
    );
}

// ---------------------------------------------------------------- command line

#[test]
fn command_line_classes() {
    let d = dir("cli");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "s.toml", "--replicatons", "3"],
            &["--replicatons", "--replications"],
        ),
        (
            &["run", "s.toml", "--replications", "0"],
            &["--replications 0", "expected at least 1"],
        ),
        (
            &["run", "s.toml", "--replications", "many"],
            &["'many'", "--replications"],
        ),
        (
            &["run", "s.toml", "--threads", "0"],
            &["--threads 0", "expected at least 1"],
        ),
        (
            &["schedule", "s.toml", "--agencies", "9", "--out", "out"],
            &["--agencies 9", "expected 1 to 2"],
        ),
        (
            &["schedule", "s.toml", "--agencies", "0", "--out", "out"],
            &["--agencies 0", "expected 1 to 2"],
        ),
        (
            &["schedule", "s.toml", "--schedule", "fst", "--out", "out"],
            &["--schedule fst", "expected one of: fts, rr"],
        ),
        (
            &["run", "missing.toml", "-q"],
            &["missing.toml", "cannot read the scenario file"],
        ),
        (
            &["schedule", "missing.toml"],
            &["missing.toml", "cannot read the scenario file"],
        ),
        (&["validate"], &["<FILES>"]),
        (
            &["simulate", "s.toml"],
            &["unrecognized subcommand", "simulate"],
        ),
    ];
    for (args, words) in cases {
        let out = watchsim(args, &d);
        let stderr = fails(&out, 2);
        contains_all(&stderr, words);
    }
    assert!(
        !d.join("out").exists(),
        "nothing written for bad command lines"
    );
}

// ---------------------------------------------------------------- report folder

#[test]
fn report_folder_under_a_regular_file_is_an_io_failure_naming_the_path() {
    let d = dir("out-under-file");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    std::fs::write(d.join("file"), "not a folder").unwrap();
    let out = watchsim(&["run", "s.toml", "-q", "--out", "file/out"], &d);
    let stderr = fails(&out, 1);
    contains_all(&stderr, &["file/out", "cannot", "--out"]);
    assert_eq!(
        std::fs::read_to_string(d.join("file")).unwrap(),
        "not a folder"
    );
    // `schedule` too.
    let out = watchsim(&["schedule", "s.toml", "--out", "file/out"], &d);
    let stderr = fails(&out, 1);
    contains_all(
        &stderr,
        &["file/out", "cannot write", "--out", "Not a directory"],
    );
}

#[test]
fn report_folder_holding_another_scenarios_results() {
    let d = dir("out-other");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    std::fs::write(
        d.join("other.toml"),
        edit("name = \"catalogue\"", "name = \"other\""),
    )
    .unwrap();
    let out = watchsim(&["run", "other.toml", "-q", "--out", "out"], &d);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = std::fs::read(d.join("out/runs.csv")).unwrap();
    let out = watchsim(&["run", "s.toml", "-q", "--out", "out"], &d);
    let stderr = fails(&out, 2);
    contains_all(
        &stderr,
        &[
            "out",
            "holds the results of scenario \"other\", not \"catalogue\"",
            "--out",
        ],
    );
    assert_eq!(std::fs::read(d.join("out/runs.csv")).unwrap(), before);

    // A run.json that is not ours at all.
    std::fs::write(d.join("out/run.json"), "{ \"hello\": 1 }").unwrap();
    let out = watchsim(&["run", "s.toml", "-q", "--out", "out"], &d);
    let stderr = fails(&out, 2);
    contains_all(&stderr, &["run.json", "not a watchsim run record", "--out"]);
    assert_eq!(std::fs::read(d.join("out/runs.csv")).unwrap(), before);

    // The same scenario may overwrite its own results.
    std::fs::remove_file(d.join("out/run.json")).unwrap();
    let out = watchsim(&["run", "other.toml", "-q", "--out", "out"], &d);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn more_than_64_severity_classes_are_refused_even_when_a_desk_names_the_65th() {
    // Call-out classes are kept as a 64-bit set: the 65th class is an error at its own
    // line, and a desk that names it must not reach the set (a shift past 64 bits).
    let classes: Vec<String> = (0..65)
        .map(|i| format!("  {{ class = \"c{i}\", share = {} }},\n", 1.0 / 65.0))
        .collect();
    let text = edit(
        "  { class = \"urgent\", share = 0.3 },\n  { class = \"routine\", share = 0.7 },\n",
        &classes.concat(),
    )
    .replace(
        "desk = { open = \"08:00\", close = \"18:00\" }",
        "desk = { open = \"08:00\", close = \"18:00\", callout = \"const(1h)\", callout_for = [\"c64\", \"c0\"] }",
    );
    let errors = match Scenario::from_toml(&text, "bad.toml") {
        Ok(_) => panic!("65 classes should not load"),
        Err(e) => e,
    };
    let shown = errors.to_string();
    assert_eq!(errors.0.len(), 1, "{shown}");
    let e = &errors.0[0];
    let line = text[..text.find("class = \"c64\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert_eq!((e.path.as_str(), e.line), ("bad.toml", line), "{shown}");
    assert_eq!(e.key, "[incidents] severity", "{shown}");
    contains_all(
        &e.message,
        &[
            "65 severity classes are too many",
            "expected at most 64",
            "\"c64\"",
        ],
    );

    // The command line says the same, with exit status 2 and no panic.
    let d = dir("65-classes");
    std::fs::write(d.join("classes.toml"), &text).unwrap();
    let stderr = fails(&watchsim(&["validate", "classes.toml"], &d), 2);
    contains_all(
        &stderr,
        &[
            &format!("classes.toml:{line}:3: [incidents] severity"),
            "expected at most 64",
        ],
    );
}

#[test]
fn a_report_folder_with_a_header_only_summary_is_bad_input() {
    // Once a panic (index out of bounds) when weekly.csv was also there.
    let d = dir("header-only-summary");
    let out = d.join("out");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    assert!(
        watchsim(&["run", "s.toml", "-q", "--out", "out"], &d)
            .status
            .success()
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header = summary.lines().next().unwrap();
    std::fs::write(out.join("summary.csv"), format!("{header}\n")).unwrap();
    let stderr = fails(&watchsim(&["report", "out"], &d), 2);
    contains_all(&stderr, &["summary.csv", "no rows"]);
    // A file with other columns is refused the same way, naming its columns.
    std::fs::write(out.join("summary.csv"), summary).unwrap();
    std::fs::write(out.join("weekly.csv"), "week,n\n1,2\n").unwrap();
    let stderr = fails(&watchsim(&["report", "out"], &d), 2);
    contains_all(
        &stderr,
        &["weekly.csv", "column 1 is \"week\"", "watchsim writes"],
    );
}

#[test]
fn merge_of_a_part_claiming_billions_of_shards_is_refused_without_allocating_them() {
    let d = dir("huge-shard-count");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let run = watchsim(
        &["run", "s.toml", "-q", "--out", "out", "--shard", "0/2"],
        &d,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let part = d.join("out/parts/shard-0-of-2");
    let manifest = std::fs::read_to_string(part.join("manifest.json")).unwrap();
    // "shard": [0, 2], pretty-printed one number a line.
    let huge = manifest.replace("\n    2\n  ]", "\n    4294967295\n  ]");
    assert_ne!(huge, manifest, "the manifest records the shard count");
    std::fs::write(part.join("manifest.json"), huge).unwrap();
    let stderr = fails(&watchsim(&["merge", "out/parts/shard-0-of-2"], &d), 2);
    contains_all(&stderr, &["missing shards", "4294967295"]);
}

#[test]
fn sweep_values_are_reported_in_the_scenario_s_order_not_as_strings() {
    let d = dir("sweep-order");
    let text = format!("{BASE}\n[sweep]\nparameter = \"watch_staff\"\nvalues = [2, 10]\n");
    std::fs::write(d.join("s.toml"), text).unwrap();
    let out = watchsim(&["run", "s.toml", "-q", "--out", "out"], &d);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let two = stdout.find("= 2").expect("the value 2 is reported");
    let ten = stdout.find("= 10").expect("the value 10 is reported");
    assert!(two < ten, "2 comes before 10:\n{stdout}");
}

// ---------------------------------------------------------------- issue 17: hostile input

/// Runs `watchsim` with a time limit: a hang fails the test instead of stalling it.
fn watchsim_within(args: &[&str], cwd: &std::path::Path, secs: u64) -> Output {
    crate::common::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .args(args)
            .current_dir(cwd),
        std::time::Duration::from_secs(secs),
    )
}

#[test]
fn distributions_whose_draws_overflow_are_refused_at_validation() {
    let d = dir("infinite-draws");
    for (i, dist) in [
        "weibull(shape=0.001, scale=1h)",
        "lognormal(median=1m, sigma=1000)",
        "exp(mean=5000w)",
        "gamma(shape=1000000, scale=1h)",
    ]
    .iter()
    .enumerate()
    {
        let file = format!("s{i}.toml");
        std::fs::write(
            d.join(&file),
            edit(
                "triage = \"exp(mean=20m)\"",
                &format!("triage = \"{dist}\""),
            ),
        )
        .unwrap();
        for args in [vec!["validate", &file], vec!["run", &file, "-q"]] {
            let stderr = fails(&watchsim_within(&args, &d, 30), 2);
            contains_all(
                &stderr,
                &[
                    &file,
                    "[watch] triage",
                    dist,
                    "cannot be simulated",
                    "under 1e9 s",
                ],
            );
        }
    }
}

#[test]
fn trace_values_that_overflow_in_seconds_are_refused() {
    let stderr = run_trace(
        "overflow",
        format!("{TRACE_HEADER}{TRACE_ROWS}2026-01-08T10:00:00Z,us,urgent,1e308\n").as_bytes(),
        2,
    );
    contains_all(
        &stderr,
        &[
            "row 3, column triage",
            "1e308 is not allowed",
            "under 16666667",
        ],
    );
}

#[test]
fn report_on_a_summary_cell_of_1e400_is_bad_input_not_a_hang() {
    let d = dir("summary-1e400");
    let out = d.join("out");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    assert!(
        watchsim(&["run", "s.toml", "-q", "--out", "out"], &d)
            .status
            .success()
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines: Vec<String> = summary.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let mean = header
        .iter()
        .position(|h| *h == "mean")
        .expect("a mean column");
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[mean] = "1e400".into();
    lines[1] = cells.join(",");
    std::fs::write(out.join("summary.csv"), lines.join("\n") + "\n").unwrap();
    let stderr = fails(&watchsim_within(&["report", "out"], &d, 30), 2);
    contains_all(&stderr, &["summary.csv", "1e400", "not a finite number"]);
}

#[test]
fn an_empty_schedules_list_is_a_validation_error_not_a_panic() {
    let d = dir("empty-schedules");
    std::fs::write(
        d.join("s.toml"),
        edit("days = 14", "days = 14\nschedules = []"),
    )
    .unwrap();
    for args in [
        vec!["validate", "s.toml"],
        vec!["run", "s.toml", "-q", "--out", "out"],
    ] {
        let stderr = fails(&watchsim_within(&args, &d, 30), 2);
        contains_all(
            &stderr,
            &["s.toml:6:13", "[experiment] schedules", "the list is empty"],
        );
    }
    assert!(!d.join("out").exists());
}

#[test]
fn a_full_standard_output_is_an_error_with_exit_1_not_a_panic() {
    let d = dir("dev-full");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("no /dev/full on this system: nothing to check");
        return;
    }
    for args in [
        vec!["validate", "s.toml"],
        vec!["run", "s.toml", "--out", "out"],
        vec!["schedule", "s.toml", "--out", "sched"],
    ] {
        // Through a shell: the test harness captures stdout itself.
        let out = crate::common::output_within(
            std::process::Command::new("sh")
                .arg("-c")
                .arg("exec \"$0\" \"$@\" >/dev/full")
                .arg(env!("CARGO_BIN_EXE_watchsim"))
                .args(&args)
                .current_dir(&d),
            std::time::Duration::from_secs(60),
        );
        let stderr = fails(&out, 1);
        contains_all(&stderr, &["cannot write to standard output"]);
    }
}

#[test]
fn control_characters_in_paths_that_go_into_an_sbatch_script_are_refused() {
    let d = dir("slurm-injection");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let evil = "x\ntouch PWNED\n#";
    for (flag, words) in [
        ("--out", &["--out", "control character"][..]),
        ("--script", &["--script", "control character"][..]),
    ] {
        let out = watchsim_within(&["slurm", "s.toml", "--shards", "2", flag, evil], &d, 30);
        let stderr = fails(&out, 2);
        contains_all(&stderr, words);
    }
    // The scenario file's own path.
    std::fs::write(d.join("a\nb.toml"), BASE).unwrap();
    let out = watchsim_within(
        &["slurm", "a\nb.toml", "--shards", "2", "--out", "o"],
        &d,
        30,
    );
    contains_all(
        &fails(&out, 2),
        &["scenario file's path", "control character"],
    );
    assert!(!d.join("PWNED").exists());
    assert!(!d.join("x\ntouch PWNED\n#").exists(), "nothing written");
}

#[test]
fn names_with_terminal_escapes_formulas_or_great_length_are_refused() {
    let d = dir("hostile-names");
    let long = "a".repeat(201);
    let cases: Vec<(String, String, Vec<&str>)> = vec![
        (
            "name = \"fts\"".into(),
            "name = \"ok\\u001b]0;PWNED\\u0007\\u001b[2J\"".into(),
            vec!["[[schedule]] #1", "schedule name", "control character"],
        ),
        (
            "name = \"rr\"".into(),
            "name = \"=HYPERLINK(\\\"http://x\\\")\"".into(),
            vec!["schedule name", "starts with '='", "formula"],
        ),
        (
            "{ class = \"urgent\"".into(),
            "{ class = \"@SUM(A1)\"".into(),
            vec!["severity.class", "class name", "starts with '@'"],
        ),
        (
            "id = \"uk\"".into(),
            "id = \"-uk\"".into(),
            vec!["id", "agency id", "starts with '-'"],
        ),
        (
            "id = \"uk\"".into(),
            "id = \"uk\"\nname = \"+44\"".into(),
            vec!["agency name", "starts with '+'"],
        ),
        (
            "name = \"fts\"".into(),
            format!("name = \"{long}\""),
            vec![
                "schedule name",
                "is 201 characters long",
                "at most 200 characters",
            ],
        ),
    ];
    for (i, (from, to, words)) in cases.iter().enumerate() {
        let file = format!("s{i}.toml");
        std::fs::write(d.join(&file), edit(from, to)).unwrap();
        let stderr = fails(&watchsim_within(&["validate", &file], &d, 30), 2);
        contains_all(&stderr, words);
        assert!(
            !stderr.contains('\u{1b}'),
            "no raw escape printed: {stderr:?}"
        );
        assert!(stderr.len() < 4000, "a short excerpt, not the whole name");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_at_the_old_temporary_name_is_not_followed() {
    let d = dir("planted-symlink");
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    // The name write_atomic once used: predictable from the process id.
    let planted = d.join(format!(".summary.csv.tmp{}", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let target = d.join("summary.csv");
    watchsim::report::write_atomic(&target, b"new\n").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let meta = std::fs::symlink_metadata(&target).unwrap();
    assert!(
        meta.file_type().is_file(),
        "summary.csv is a file, not a link"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
    // No temporary file of ours is left beside it (only the planted link).
    let left: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_repeated_error_is_shown_once_with_a_count_and_errors_are_capped() {
    let d = dir("repeated-errors");
    // 10,000 counts of 1: the first is fine, the other 9,999 are "listed twice".
    let ones = vec!["1"; 10_000].join(", ");
    std::fs::write(
        d.join("ones.toml"),
        edit("days = 14", &format!("days = 14\nagencies = [{ones}]")),
    )
    .unwrap();
    let stderr = fails(&watchsim_within(&["validate", "ones.toml"], &d, 30), 2);
    contains_all(
        &stderr,
        &[
            "the count 1 is listed twice",
            "the same error 9998 more times",
        ],
    );
    assert_eq!(stderr.matches("listed twice").count(), 1);
    assert!(stderr.len() < 10_000, "{} bytes of errors", stderr.len());
    // 1,000 different errors: the first 50 and a count of the rest.
    let many: Vec<String> = (3..1003).map(|k| k.to_string()).collect();
    std::fs::write(
        d.join("many.toml"),
        edit(
            "days = 14",
            &format!("days = 14\nagencies = [{}]", many.join(", ")),
        ),
    )
    .unwrap();
    let stderr = fails(&watchsim_within(&["validate", "many.toml"], &d, 30), 2);
    assert_eq!(stderr.matches("is not possible with a roster").count(), 50);
    contains_all(&stderr, &["… and 950 more errors"]);
    assert!(stderr.len() < 100_000, "{} bytes of errors", stderr.len());
}

#[test]
fn replications_and_threads_beyond_the_limits_are_refused_naming_them() {
    let d = dir("cli-limits");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "s.toml", "-q", "-r", "1000001", "--out", "out"],
            &["--replications 1000001", "at most 1000000"],
        ),
        (
            &[
                "slurm", "s.toml", "--shards", "2", "-r", "1000001", "--out", "out",
            ],
            &["--replications 1000001", "at most 1000000"],
        ),
        (
            &["run", "s.toml", "-q", "-j", "100000", "--out", "out"],
            &["--threads 100000", "worker threads"],
        ),
    ];
    for (args, words) in cases {
        let stderr = fails(&watchsim_within(args, &d, 30), 2);
        contains_all(&stderr, words);
    }
    assert!(!d.join("out").exists(), "nothing written");
}

#[test]
fn a_second_run_into_a_folder_in_use_is_refused_naming_the_holder() {
    let d = dir("locked-folder");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    // This test process holds the folder, as a running `watchsim run` would.
    let lock = watchsim::report::lock_report_dir(&d.join("out")).unwrap();
    let stderr = fails(
        &watchsim_within(&["run", "s.toml", "-q", "--out", "out"], &d, 30),
        2,
    );
    contains_all(
        &stderr,
        &[
            "in use by another watchsim run",
            &format!("pid {}", std::process::id()),
        ],
    );
    assert!(!d.join("out").join("summary.csv").exists());
    drop(lock);
    // Once it is released, the run goes ahead.
    let out = watchsim_within(&["run", "s.toml", "-q", "--out", "out"], &d, 60);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `args` with `WATCHSIM_MEMORY` set to `budget`, under a time limit.
fn watchsim_with_memory(args: &[&str], cwd: &std::path::Path, budget: &str) -> Output {
    crate::common::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .args(args)
            .env("WATCHSIM_MEMORY", budget)
            .current_dir(cwd),
        std::time::Duration::from_secs(60),
    )
}

#[test]
fn studies_that_cannot_fit_in_memory_are_refused_before_they_start() {
    let d = dir("memory");
    let sweep =
        |values: &str| format!("{BASE}\n[sweep]\nparameter = \"rate\"\nvalues = [{values}]\n");
    let many_values: Vec<String> = (1..=10_000).map(|i| format!("\"{i}/day\"")).collect();
    std::fs::write(d.join("sweep.toml"), sweep(&many_values.join(", "))).unwrap();
    let many_schedules: String = (0..10_000)
        .map(|i| format!("\n[[schedule]]\nname = \"s{i}\"\nkind = \"follow_the_sun\"\n"))
        .collect();
    std::fs::write(d.join("schedules.toml"), format!("{BASE}{many_schedules}")).unwrap();
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "s.toml", "-q", "-r", "1000000", "--out", "out"],
            &[
                "needs about",
                "GB of memory",
                "the figures of 2000000 runs",
                "fewer replications (-r)",
            ],
        ),
        (
            &["run", "sweep.toml", "-q", "--out", "out"],
            &["needs about", "20000 work items", "sweep values"],
        ),
        (
            &["run", "schedules.toml", "-q", "--out", "out"],
            &["needs about", "10002 cells", "fewer schedules"],
        ),
        (
            &["compare", "s.toml", "sweep.toml", "--out", "out"],
            &["needs about", "sweep values"],
        ),
        (
            &[
                "run", "s.toml", "-q", "--shard", "0/2", "-r", "1000000", "--out", "out",
            ],
            &["needs about", "500000 work items"],
        ),
    ];
    for (args, words) in cases {
        let stderr = fails(&watchsim_with_memory(args, &d, "2G"), 2);
        contains_all(&stderr, words);
        contains_all(
            &stderr,
            &["more than the 2.1 GB available (WATCHSIM_MEMORY)"],
        );
    }
    assert!(!d.join("out").exists(), "nothing written");
    // What fits runs as before.
    let out = watchsim_with_memory(&["run", "s.toml", "-q", "--out", "out"], &d, "2G");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_swept_rate_is_held_to_the_incident_cap_and_the_horizon_to_its_limits() {
    let with_sweep =
        format!("{BASE}\n[sweep]\nparameter = \"rate\"\nvalues = [\"20/day\", \"1e9/day\"]\n");
    let text = Scenario::from_toml(&with_sweep, "s.toml")
        .unwrap_err()
        .to_string();
    contains_all(
        &text,
        &[
            "[sweep] values",
            "1e9/day gives 1.400e10 incidents per replication",
            "at most 1e8",
        ],
    );
    for days in ["5e-324", "0.01", "400001", "1e9"] {
        let text = Scenario::from_toml(&edit("days = 14", &format!("days = {days}")), "s.toml")
            .unwrap_err()
            .to_string();
        contains_all(
            &text,
            &["[experiment] days", "from 1/24 (an hour) to 400000"],
        );
    }
    // The roster's two agencies may span 1,280,000 agency-days each: 400,000 days.
    assert!(Scenario::from_toml(&edit("days = 14", "days = 400000"), "s.toml").is_ok());
}

#[test]
fn sixty_four_agencies_over_the_longest_horizon_fit_the_estimate() {
    // The documented limits together (64 agencies, 2,560,000 agency-days: 40,000 days)
    // are estimated under 4 GB, so they run on an ordinary machine.
    let agencies: String = (0..64)
        .map(|i| {
            format!(
                "\n[[agency]]\nid = \"a{i}\"\ntz = \"Etc/GMT{:+}\"\nweight = 0.015625\n",
                (i % 23) - 11
            )
        })
        .collect();
    let text = format!(
        "name = \"big\"\n[experiment]\nreplications = 1\ndays = 40000\nstart = \"2026-01-05\"\n\
         [incidents]\nrate = \"0.2/day\"\nseverity = [ {{ class = \"urgent\", share = 1.0 }} ]\n\
         rest_of_world = 0\n[watch]\ntriage = \"exp(mean=20m)\"\n{agencies}\n\
         [[schedule]]\nname = \"fts\"\nkind = \"follow_the_sun\"\n"
    );
    let scenario = Scenario::from_toml(&text, "big.toml").unwrap();
    let estimate = watchsim::memory::estimate(&scenario, None, 2, false);
    assert!(estimate.bytes() < 4_000_000_000, "{estimate:?}");
    // The estimate errs on the high side of what a run measured (1.7 GB).
    assert!(estimate.bytes() > 1_700_000_000, "{estimate:?}");
    // One day more is more agency-days than a study may span.
    let err = Scenario::from_toml(&text.replace("days = 40000", "days = 40001"), "big.toml")
        .unwrap_err()
        .to_string();
    for w in [
        "[experiment] days",
        "2560064 agency-days",
        "here at most 40000 days",
    ] {
        assert!(err.contains(w), "expected {w:?} in {err}");
    }
}

#[test]
fn trace_files_that_are_not_traces_or_are_damaged_name_the_row_or_column() {
    let header = TRACE_HEADER;
    let row = "2026-01-06T10:00:00Z,us,urgent,5\n";
    let many_rows = row.repeat(9);
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "stray-quote",
            format!("{header}{many_rows}2026-01-06T11:00:00Z,us,urgent,\"oops\n{many_rows}")
                .into_bytes(),
            vec!["row 10, column triage", "quote", "not closed"],
        ),
        (
            "stray-quote-mid",
            format!("{header}{many_rows}2026-01-06T11:00:00Z,\"us,urgent,5\n{many_rows}")
                .into_bytes(),
            vec!["row 10", "cells but the header has 4"],
        ),
        (
            "whitespace-only",
            b"   \n  \n\n".to_vec(),
            vec![
                "empty or its first line is blank",
                "signal_at, jurisdiction, severity",
            ],
        ),
        (
            "duplicate-column",
            b"signal_at,jurisdiction,severity,triage,triage\n2026-01-06T10:00:00Z,us,urgent,5,6\n"
                .to_vec(),
            vec!["header, column triage", "appears twice (columns 4 and 5)"],
        ),
        (
            "unnamed-column",
            b"signal_at,,severity\n".to_vec(),
            vec!["column 2 has no name"],
        ),
        (
            "no-line-breaks",
            vec![0u8; 200_000],
            vec!["longer than 65536 bytes"],
        ),
        (
            "password-file",
            b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
                .to_vec(),
            vec!["does not look like a trace"],
        ),
        (
            "terminal-escape",
            format!("{header}2026-01-06T10:00:00Z,x\u{1b}]0;PWNED\u{7},urgent,5\n").into_bytes(),
            vec!["row 1, column jurisdiction", "\\u{1b}", "is not an agency"],
        ),
    ];
    for (name, trace, words) in cases {
        let stderr = run_trace(name, &trace, 2);
        contains_all(&stderr, &words);
        assert!(!stderr.contains("root:x"), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr}");
    }
}

#[test]
fn a_trace_naming_a_device_or_a_system_file_is_refused_without_showing_it() {
    let d = dir("trace-system-files");
    for (i, file) in ["/dev/zero", "/proc/self/environ", "/etc/passwd"]
        .iter()
        .enumerate()
    {
        std::fs::write(
            d.join(format!("s{i}.toml")),
            edit("rate = \"20/day\"", &format!("file = \"{file}\"")),
        )
        .unwrap();
        let out = watchsim_within(
            &["run", &format!("s{i}.toml"), "-q", "--out", "out"],
            &d,
            30,
        );
        let stderr = fails(&out, 2);
        assert!(
            stderr.contains("not a regular file") || stderr.contains("does not look like a trace"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("PATH=") && !stderr.contains("root:"),
            "{stderr}"
        );
    }
}

#[test]
fn compare_and_optimise_refuse_a_folder_that_is_not_watchsim_s_unless_forced() {
    let d = dir("foreign-folder-compare");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let user = d.join("mine");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("index.html"), "<h1>my own page</h1>").unwrap();
    let compare = ["compare", "s.toml", "s.toml", "--out", "mine"];
    let stderr = fails(&watchsim_within(&compare, &d, 60), 2);
    contains_all(&stderr, &["mine is not empty", "--force"]);
    assert_eq!(
        std::fs::read_to_string(user.join("index.html")).unwrap(),
        "<h1>my own page</h1>"
    );
    // Forced, then again into its own comparison (variants.csv marks it).
    for args in [&[&compare[..], &["--force"]].concat()[..], &compare[..]] {
        let out = watchsim_within(args, &d, 60);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let optimise = format!(
        "{BASE}\n[optimise]\nwatch_staff = [1, 2]\n[[optimise.target]]\nmeasure = \"missed_share\"\nat_most = 1\n"
    );
    std::fs::write(d.join("o.toml"), optimise).unwrap();
    let other = d.join("theirs");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let stderr = fails(
        &watchsim_within(&["optimise", "o.toml", "-q", "--out", "theirs"], &d, 60),
        2,
    );
    contains_all(&stderr, &["theirs is not empty", "--force"]);
}

#[test]
fn a_folder_that_is_not_watchsim_s_or_is_the_root_is_refused_unless_forced() {
    let d = dir("foreign-folder");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let user = d.join("mine");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("index.html"), "<h1>my own page</h1>").unwrap();
    std::fs::write(user.join("summary.csv"), "a,b\n1,2\n").unwrap();
    let stderr = fails(
        &watchsim_within(&["run", "s.toml", "-q", "--out", "mine"], &d, 60),
        2,
    );
    contains_all(
        &stderr,
        &["mine is not empty", "no watchsim run record", "--force"],
    );
    assert_eq!(
        std::fs::read_to_string(user.join("index.html")).unwrap(),
        "<h1>my own page</h1>"
    );
    let stderr = fails(
        &watchsim_within(&["run", "s.toml", "-q", "--out", "/"], &d, 60),
        2,
    );
    contains_all(&stderr, &["/ is the root folder"]);
    let stderr = fails(
        &watchsim_within(&["run", "s.toml", "-q", "--out", "/", "--force"], &d, 60),
        2,
    );
    contains_all(&stderr, &["/ is the root folder"]);
    // Asked for, the run goes ahead; a second run finds its own record.
    for _ in 0..2 {
        let out = watchsim_within(&["run", "s.toml", "-q", "--out", "mine", "--force"], &d, 60);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = watchsim_within(&["run", "s.toml", "-q", "--out", "mine"], &d, 60);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_second_run_of_another_version_of_the_scenario_leaves_no_stale_files() {
    let d = dir("stale-files");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let out = watchsim_within(&["run", "s.toml", "-q", "--trace", "--out", "out"], &d, 60);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.join("out/incidents.csv").exists());
    assert!(d.join("out/compare.png").exists());
    // What a killed run left: a temporary file and a planted link at such a name.
    std::fs::write(d.join("out/.summary.csv.Ab12Cd.tmp"), "half").unwrap();
    std::os::unix::fs::symlink(d.join("s.toml"), d.join("out/.runs.csv.Zz99Yy.tmp")).unwrap();
    // One schedule and no --trace: the comparison chart and the trace go.
    let one = BASE.split("\n[[schedule]]\nname = \"rr\"").next().unwrap();
    std::fs::write(d.join("s.toml"), one).unwrap();
    let out = watchsim_within(&["run", "s.toml", "-q", "--out", "out"], &d, 60);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for stale in [
        "incidents.csv",
        "compare.png",
        "compare.svg",
        ".summary.csv.Ab12Cd.tmp",
        ".runs.csv.Zz99Yy.tmp",
    ] {
        assert!(
            d.join("out").join(stale).symlink_metadata().is_err(),
            "{stale} stayed"
        );
    }
    assert!(d.join("s.toml").exists(), "the link's target is untouched");
    let index = std::fs::read_to_string(d.join("out/index.html")).unwrap();
    assert!(!index.contains("incidents.csv") && !index.contains("compare.png"));
}

#[test]
fn sla_thresholds_that_print_alike_and_odd_variant_names_are_refused() {
    let text = Scenario::from_toml(
        &edit("days = 14", "days = 14\nsla = [\"0.001s\", \"0.002s\"]"),
        "s.toml",
    )
    .unwrap_err()
    .to_string();
    contains_all(
        &text,
        &["[experiment] sla", "both name the column within_0s"],
    );
    for name in ["-x", &"v".repeat(201)] {
        let with = format!(
            "{BASE}\n[[variant]]\nname = \"{name}\"\nset = {{ \"agency.uk.weight\" = 0.2 }}\n"
        );
        let text = Scenario::from_toml(&with, "s.toml")
            .unwrap_err()
            .to_string();
        contains_all(
            &text,
            &["is not a usable variant name", "not starting with '-'"],
        );
        assert!(text.len() < 2_000, "{text}");
    }
}

#[test]
fn with_no_incidents_the_console_says_no_cases_instead_of_nan() {
    let d = dir("no-incidents");
    std::fs::write(
        d.join("s.toml"),
        edit("rate = \"20/day\"", "rate = \"0.00001/day\""),
    )
    .unwrap();
    let out = watchsim_within(&["run", "s.toml", "-q", "--out", "out"], &d, 60);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("NaN"), "{stdout}");
    assert!(
        stdout.contains("no cases") && !stdout.contains(" RB"),
        "{stdout}"
    );
}

#[test]
fn report_errors_quote_a_damaged_file_escaped_and_short() {
    // Found by the report fuzz target: a header holding NUL bytes was printed whole.
    let d = dir("report-escaped");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let out = watchsim_within(&["run", "s.toml", "-q", "--out", "out"], &d, 60);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = d.join("out/runs.csv");
    let text = std::fs::read_to_string(&runs).unwrap();
    let damaged = text.replacen(
        "signal_within_2h",
        "signal_withi=\0\0\u{1b}]0;PWNED\u{7}",
        1,
    );
    std::fs::write(&runs, damaged).unwrap();
    let stderr = fails(&watchsim_within(&["report", "out"], &d, 60), 2);
    contains_all(
        &stderr,
        &["runs.csv", "\\0", "where watchsim writes signal_within_2h"],
    );
    assert!(
        !stderr.contains('\0') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
    assert!(stderr.len() < 1_000, "{stderr}");
    // A file with no line breaks is refused at 64 KiB, not read whole.
    std::fs::write(d.join("out/weekly.csv"), vec![b'x'; 1 << 20]).unwrap();
    std::fs::write(&runs, text).unwrap();
    let stderr = fails(&watchsim_within(&["report", "out"], &d, 60), 2);
    contains_all(&stderr, &["weekly.csv", "longer than 65536 bytes"]);
}
