//! Scenario files: the shipped ones validate, bad ones fail clearly.

use std::path::{Path, PathBuf};
use std::process::Command;

use watchsim::scenario::{Kind, Scenario, ScenarioError, SweepParameter};

/// A small valid scenario; each bad-input case edits one line of it.
const BASE: &str = r#"name = "base"

[experiment]
days = 28
start = "2026-01-05"
agencies = [1, 2]

[incidents]
rate = "40/day"
severity = [
  { class = "urgent", share = 0.3 },
  { class = "routine", share = 0.7 },
]
visibility = "lognormal(mean=6h, sd=4h)"
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

[[schedule]]
name = "blk"
kind = "blocks"
blocks = [ { agency = "us", from = "12:00", to = "00:00" }, { agency = "uk", from = "00:00", to = "12:00" } ]
"#;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> Scenario {
    let path = scenarios_dir().join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()))
}

/// `BASE` with the `nth` (1-based) occurrence of `from` replaced by `to`.
fn edit(from: &str, to: &str, nth: usize) -> String {
    let (at, _) = BASE
        .match_indices(from)
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("`{from}` occurs fewer than {nth} times in BASE"));
    format!("{}{to}{}", &BASE[..at], &BASE[at + from.len()..])
}

/// The 1-based line of the `nth` occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    let (at, _) = text
        .match_indices(needle)
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("`{needle}` occurs fewer than {nth} times"));
    text[..at].matches('\n').count() + 1
}

/// The errors of a text that must not load.
fn errors(text: &str) -> Vec<ScenarioError> {
    match Scenario::from_toml(text, "bad.toml") {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => {
            assert!(!e.0.is_empty(), "an Err must hold at least one error");
            e.0
        }
    }
}

/// One bad-input case: replace `from` (its `nth` occurrence) by `to`; the first error
/// must be on the line holding `to`'s `at` text, name `key`, and say each of `says`.
struct Case {
    from: &'static str,
    nth: usize,
    to: &'static str,
    at: &'static str,
    key: &'static str,
    says: &'static [&'static str],
}

fn check(case: &Case) {
    let text = edit(case.from, case.to, case.nth);
    let errs = errors(&text);
    let e = &errs[0];
    let shown = errs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(e.path, "bad.toml", "{shown}");
    // `at` is looked for from the start of the edited line (or else from the top).
    let edited = BASE.match_indices(case.from).nth(case.nth - 1).unwrap().0;
    let line_start = text[..edited].rfind('\n').map_or(0, |i| i + 1);
    let expected = match text[line_start..].find(case.at) {
        Some(i) => text[..line_start + i].matches('\n').count() + 1,
        None => line_of(&text, case.at, 1),
    };
    assert_eq!(e.line, expected, "wrong line for {}:\n{shown}", case.to);
    assert!(e.column >= 1, "{shown}");
    assert_eq!(e.key, case.key, "wrong key for {}:\n{shown}", case.to);
    for word in case.says {
        assert!(
            e.message.contains(word),
            "the message for {} should contain {word:?}:\n{shown}",
            case.to
        );
    }
    // The display form starts with file:line:col.
    assert!(
        e.to_string()
            .starts_with(&format!("bad.toml:{}:{}: ", e.line, e.column)),
        "{e}"
    );
}

#[test]
fn base_scenario_is_valid() {
    let s = Scenario::from_toml(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.agencies.len(), 2);
    assert_eq!(s.schedules.len(), 3);
}

#[test]
fn every_shipped_scenario_loads() {
    let files = shipped();
    for required in [
        "founders-2006.toml",
        "growing-roster.toml",
        "dst-misalignment.toml",
        "staffing.toml",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(required)),
            "scenarios/{required} is missing"
        );
    }
    for file in &files {
        let s = Scenario::load(file).unwrap_or_else(|e| panic!("{}:\n{e}", file.display()));
        let total: f64 =
            s.agencies.iter().map(|a| a.weight).sum::<f64>() + s.incidents.rest_of_world;
        assert!(
            (total - 1.0).abs() < 1e-9,
            "{}: weights sum to {total}",
            file.display()
        );
        assert!(!s.schedules.is_empty());
    }
}

#[test]
fn shipped_estimates_say_so() {
    // Every number that is not a fact of the world is an estimate, and says so.
    for file in shipped() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = code.split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let needs = matches!(key, "rate" | "rest_of_world" | "referral_in")
                || (key == "weight" && value != "0")
                || (key == "police" && value != "\"const(0)\"");
            if needs {
                assert!(
                    line.contains("estimate"),
                    "{}:{}: `{key}` is an estimate and should say so in a comment",
                    file.display(),
                    i + 1
                );
            }
        }
    }
}

#[test]
fn growing_roster_is_the_vgt_in_order_of_joining() {
    let s = load("growing-roster.toml");
    let ids: Vec<&str> = s.agencies.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "au", "uk", "ca", "us", "it", "ae", "nz", "nl", "kr", "id", "co", "ch", "ph",
            "europol", "interpol"
        ]
    );
    let zones: Vec<&str> = s.agencies.iter().map(|a| a.tz.name()).collect();
    assert_eq!(
        zones,
        [
            "Australia/Sydney",
            "Europe/London",
            "America/Toronto",
            "America/New_York",
            "Europe/Rome",
            "Asia/Dubai",
            "Pacific/Auckland",
            "Europe/Amsterdam",
            "Asia/Seoul",
            "Asia/Jakarta",
            "America/Bogota",
            "Europe/Zurich",
            "Asia/Manila",
            "Europe/Amsterdam",
            "Europe/Paris",
        ]
    );
    for a in &s.agencies[13..] {
        assert_eq!(a.weight, 0.0, "{} is watch-only", a.id);
    }
    for a in &s.agencies[..13] {
        assert!(a.weight > 0.0, "{} owns incidents", a.id);
    }
    // The default study: small enough to run in seconds.
    assert_eq!(s.experiment.replications, 10);
    assert_eq!(s.experiment.days, 364.0);
    assert_eq!(
        chrono::Datelike::weekday(&s.experiment.start),
        chrono::Weekday::Mon
    );
    assert!(s.experiment.agency_counts.len() >= 5);
    assert_eq!(s.experiment.agency_counts.iter().max(), Some(&15));
    let kinds: Vec<Kind> = s.schedules.iter().map(|x| x.rule.kind()).collect();
    for kind in [
        Kind::FollowTheSun,
        Kind::RoundRobin,
        Kind::Blocks,
        Kind::HomeHours,
        Kind::Always,
    ] {
        assert!(kinds.contains(&kind), "growing-roster lacks {kind:?}");
    }
}

#[test]
fn dst_and_staffing_studies_are_set_up_for_their_questions() {
    let dst = load("dst-misalignment.toml");
    assert!(dst.experiment.days >= 364.0);
    let anchors: Vec<String> = dst
        .schedules
        .iter()
        .map(|s| format!("{:?}", s.rule))
        .collect();
    assert!(anchors.iter().any(|a| a.contains("Local")), "{anchors:?}");
    assert!(anchors.iter().any(|a| a.contains("Utc")), "{anchors:?}");

    let staffing = load("staffing.toml");
    let sweep = staffing.sweep.expect("staffing sweeps watch_staff");
    assert_eq!(sweep.parameter, SweepParameter::WatchStaff(None));
    assert_eq!(sweep.values, [1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(staffing.experiment.sla.contains(&7200.0));
    assert!(
        staffing
            .incidents
            .classes
            .iter()
            .any(|c| c.name == "urgent")
    );
}

#[test]
fn malformed_toml_is_an_error_at_its_place() {
    for (from, to, at, key) in [
        ("name = \"base\"", "name = \"base", "name", "name"),
        ("[watch]", "[watch", "[watch", ""),
        (
            "rest_of_world = 0.5",
            "rest_of_world = 0.5 0.6",
            "rest_of_world",
            "[incidents] rest_of_world",
        ),
    ] {
        let text = edit(from, to, 1);
        let errs = errors(&text);
        let e = &errs[0];
        assert_eq!(e.line, line_of(&text, at, 1), "{e}");
        assert!(e.column >= 1, "{e}");
        assert!(!e.message.is_empty(), "{e}");
        if !key.is_empty() {
            assert_eq!(e.key, key, "{e}");
        }
    }
}

#[test]
fn bad_durations_and_rates_say_what_is_accepted() {
    let cases = [
        Case {
            from: "rate = \"40/day\"",
            nth: 1,
            to: "rate = \"0/day\"",
            at: "rate",
            key: "[incidents] rate",
            says: &["not positive", "expected", "40/day"],
        },
        Case {
            from: "rate = \"40/day\"",
            nth: 1,
            to: "rate = \"-3/h\"",
            at: "rate",
            key: "[incidents] rate",
            says: &["not positive", "expected"],
        },
        Case {
            from: "rate = \"40/day\"",
            nth: 1,
            to: "rate = \"nan/h\"",
            at: "rate",
            key: "[incidents] rate",
            says: &["finite", "expected"],
        },
        Case {
            from: "rate = \"40/day\"",
            nth: 1,
            to: "rate = \"inf/day\"",
            at: "rate",
            key: "[incidents] rate",
            says: &["finite", "expected"],
        },
        Case {
            from: "rate = \"40/day\"",
            nth: 1,
            to: "rate = \"40\"",
            at: "rate",
            key: "[incidents] rate",
            says: &["expected", "40/day"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = 28\nwarmup = \"-1h\"",
            at: "warmup",
            key: "[experiment] warmup",
            says: &["negative", "zero or more"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = 28\nwarmup = \"nanh\"",
            at: "warmup",
            key: "[experiment] warmup",
            says: &["finite", "expected"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = 28\nwarmup = \"30d\"",
            at: "warmup",
            key: "[experiment] warmup",
            says: &["expected less than the horizon"],
        },
        Case {
            from: "triage = \"exp(mean=20m)\"",
            nth: 1,
            to: "triage = \"exp(mean=-5m)\"",
            at: "triage",
            key: "[watch] triage",
            says: &["negative", "zero or more"],
        },
        Case {
            from: "triage = \"exp(mean=20m)\"",
            nth: 1,
            to: "triage = \"exp(mean=infh)\"",
            at: "triage",
            key: "[watch] triage",
            says: &["finite", "expected"],
        },
        Case {
            from: "triage = \"exp(mean=20m)\"",
            nth: 1,
            to: "triage = \"normal(20m)\"",
            at: "triage",
            key: "[watch] triage",
            says: &["not a known distribution", "lognormal(mean=25m, sd=15m)"],
        },
        Case {
            from: "visibility = \"lognormal(mean=6h, sd=4h)\"",
            nth: 1,
            to: "visibility = \"lognormal(mean=NaNh, sd=1h)\"",
            at: "visibility",
            key: "[incidents] visibility",
            says: &["finite", "expected"],
        },
        Case {
            from: "visibility = \"lognormal(mean=6h, sd=4h)\"",
            nth: 1,
            to: "visibility = \"lognormal(mean=0, sd=1h)\"",
            at: "visibility",
            key: "[incidents] visibility",
            says: &["mean must be positive"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = inf",
            at: "days",
            key: "[experiment] days",
            says: &["expected a number of days from 1/24 (an hour) to 400000"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = nan",
            at: "days",
            key: "[experiment] days",
            says: &["expected a number of days from 1/24 (an hour) to 400000"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = 0",
            at: "days",
            key: "[experiment] days",
            says: &["expected a number of days from 1/24 (an hour) to 400000"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = -7",
            at: "days",
            key: "[experiment] days",
            says: &["expected a number of days from 1/24 (an hour) to 400000"],
        },
        Case {
            from: "period = \"1d\"",
            nth: 1,
            to: "period = \"0\"",
            at: "period",
            key: "[[schedule]] #2 (rr) period",
            says: &["too short", "expected at least 1m"],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = 28\nsla = [\"0\", \"2h\"]",
            at: "sla",
            key: "[experiment] sla",
            says: &["expected positive thresholds"],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn shares_and_weights_must_sum_to_one() {
    let cases = [
        Case {
            from: "share = 0.7",
            nth: 1,
            to: "share = 0.6",
            at: "severity = [",
            key: "[incidents] severity",
            says: &["sum to 0.9", "expected them to sum to 1"],
        },
        Case {
            from: "share = 0.7",
            nth: 1,
            to: "share = nan",
            at: "share = nan",
            key: "[incidents] severity.share",
            says: &["expected a number of 0 or more"],
        },
        Case {
            from: "rest_of_world = 0.5",
            nth: 1,
            to: "rest_of_world = 0.4",
            at: "rest_of_world",
            key: "[incidents] rest_of_world",
            says: &["sum to 0.9", "expected them to sum to 1"],
        },
        Case {
            from: "weight = 0.2",
            nth: 1,
            to: "weight = -0.2",
            at: "weight = -0.2",
            key: "[[agency]] #2 (uk) weight",
            says: &["expected a number of 0 or more"],
        },
    ];
    for case in &cases {
        check(case);
    }
    // Without rest_of_world the error points at the last agency's weight.
    let text = edit("rest_of_world = 0.5\n", "", 1);
    let e = &errors(&text)[0];
    assert_eq!(e.line, line_of(&text, "weight = 0.2", 1), "{e}");
    assert_eq!(e.key, "[[agency]] #2 (uk) weight", "{e}");
    assert!(e.message.contains("expected them to sum to 1"), "{e}");
}

#[test]
fn unknown_names_get_did_you_mean() {
    let cases = [
        Case {
            from: "tz = \"Europe/London\"",
            nth: 1,
            to: "tz = \"Europe/Londn\"",
            at: "Europe/Londn",
            key: "[[agency]] #2 (uk) tz",
            says: &[
                "not a time zone",
                "expected",
                "did you mean \"Europe/London\"?",
            ],
        },
        Case {
            from: "tz = \"Europe/London\"",
            nth: 1,
            to: "tz = \"Mars/Olympus\"",
            at: "Mars/Olympus",
            key: "[[agency]] #2 (uk) tz",
            says: &[
                "not a time zone",
                "expected a name such as \"Europe/London\"",
            ],
        },
        Case {
            from: "rate = \"40/day\"",
            nth: 1,
            to: "rat = \"40/day\"",
            at: "rat",
            key: "[incidents] rat",
            says: &[
                "unknown field `rat`",
                "expected one of",
                "did you mean `rate`?",
            ],
        },
        Case {
            from: "days = 28",
            nth: 1,
            to: "days = 28\nfoo = 3",
            at: "foo",
            key: "[experiment] foo",
            says: &["unknown field `foo`", "expected one of `seed`"],
        },
        Case {
            from: "close = \"18:00\" }",
            nth: 1,
            to: "close = \"18:00\", opn = \"07:00\" }",
            at: "desk",
            key: "[[agency]] #1 (us) desk.opn",
            says: &["unknown field `opn`", "did you mean `open`?"],
        },
        Case {
            from: "agency = \"uk\"",
            nth: 1,
            to: "agency = \"fr\"",
            at: "blocks",
            key: "[[schedule]] #3 (blk) blocks.agency",
            says: &["\"fr\" is not an agency", "expected one of: us, uk"],
        },
        Case {
            from: "kind = \"follow_the_sun\"",
            nth: 1,
            to: "kind = \"folow_the_sun\"",
            at: "folow",
            key: "[[schedule]] #1 (fts) kind",
            says: &[
                "unknown variant",
                "expected one of",
                "did you mean `follow_the_sun`?",
            ],
        },
        Case {
            from: "kind = \"follow_the_sun\"",
            nth: 1,
            to: "kind = \"sunshine\"",
            at: "sunshine",
            key: "[[schedule]] #1 (fts) kind",
            says: &[
                "unknown variant `sunshine`",
                "`round_robin`",
                "`home_hours`",
            ],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn impossible_structures_are_errors() {
    let cases = [
        Case {
            from: "close = \"18:00\"",
            nth: 1,
            to: "close = \"08:00\"",
            at: "desk",
            key: "[[agency]] #1 (us) desk.close",
            says: &[
                "the desk opens and closes at 08:00",
                "expected a closing time different from the opening time",
                "wraps midnight",
            ],
        },
        Case {
            from: "agencies = [1, 2]",
            nth: 1,
            to: "agencies = [0]",
            at: "agencies",
            key: "[experiment] agencies",
            says: &["0 agencies is not possible", "expected counts from 1 to 2"],
        },
        Case {
            from: "agencies = [1, 2]",
            nth: 1,
            to: "agencies = [9]",
            at: "agencies",
            key: "[experiment] agencies",
            says: &["9 agencies is not possible", "expected counts from 1 to 2"],
        },
        Case {
            from: "agencies = [1, 2]",
            nth: 1,
            to: "agencies = []",
            at: "agencies",
            key: "[experiment] agencies",
            says: &["expected a list"],
        },
        Case {
            from: "id = \"uk\"",
            nth: 1,
            to: "id = \"us\"",
            at: "id = \"us\"",
            key: "[[agency]] #2 (us) id",
            says: &["used twice", "expected each id once"],
        },
        Case {
            from: "name = \"rr\"",
            nth: 1,
            to: "name = \"fts\"",
            at: "name = \"fts\"",
            key: "[[schedule]] #2 (fts) name",
            says: &["used twice", "expected a unique name"],
        },
        Case {
            from: "period = \"1d\"",
            nth: 1,
            to: "period = \"1d\"\nanchor = \"utc\"",
            at: "anchor",
            key: "[[schedule]] #2 (rr) anchor",
            says: &["does not apply", "its keys are"],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn nothing_panics_on_mangled_input() {
    // Every prefix of the file, and the file without each of its lines: Ok or Err, never
    // a panic, and every error points inside the text.
    let lines: Vec<&str> = BASE.lines().collect();
    let mut texts: Vec<String> = BASE
        .char_indices()
        .map(|(i, _)| BASE[..i].to_string())
        .collect();
    for skip in 0..lines.len() {
        let mut t: Vec<&str> = lines.clone();
        t.remove(skip);
        texts.push(t.join("\n"));
    }
    texts.push(String::new());
    texts.push("\u{feff}\u{0}\u{1}garbage ]]] [[".into());
    for text in &texts {
        if let Err(e) = Scenario::from_toml(text, "bad.toml") {
            let n = text.lines().count().max(1);
            for err in &e.0 {
                assert!(err.line <= n + 1, "{err} (text has {n} lines)");
                assert!(!err.message.is_empty());
                let _ = err.to_string();
            }
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn validate_exits_2_with_file_line_col_for_a_bad_file() {
    let dir = temp_dir("validate-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        edit("tz = \"Europe/London\"", "tz = \"Europe/Londn\"", 1),
    )
    .unwrap();
    let out = crate::common::output(
        Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .arg("validate")
            .arg(&bad),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = line_of(&std::fs::read_to_string(&bad).unwrap(), "Europe/Londn", 1);
    let place = format!("{}:{line}:6:", bad.display());
    assert!(stderr.contains(&place), "expected {place} in:\n{stderr}");
    assert!(
        stderr.contains("did you mean \"Europe/London\"?"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // An unreadable file is bad input too.
    let out = crate::common::output(
        Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .arg("validate")
            .arg(dir.join("missing.toml")),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_prints_ok_for_shipped_scenarios() {
    let files = shipped();
    let out = crate::common::output(
        Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .arg("validate")
            .args(&files),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("OK")).count(),
        files.len(),
        "{stdout}"
    );
}

/// The options of issue 16 (holidays, wrapped hours, min_shift, detect_scaling, route,
/// sweeps of call-outs and closing times) fail at their own line with what is accepted.
#[test]
fn model_options_fail_clearly() {
    const TRIAGE: &str = "triage = \"exp(mean=20m)\"";
    const LAST: &str = "{ agency = \"uk\", from = \"00:00\", to = \"12:00\" } ]";
    let cases = [
        Case {
            from: TRIAGE,
            nth: 1,
            to: "triage = \"exp(mean=20m)\"\ndetect_cap = 3",
            at: "detect_cap",
            key: "[watch] detect_cap",
            says: &["applies only to detect_scaling = \"per_watcher\""],
        },
        Case {
            from: TRIAGE,
            nth: 1,
            to: "triage = \"exp(mean=20m)\"\ndetect_scaling = \"per_watcher\"\ndetect_cap = 0",
            at: "detect_cap",
            key: "[watch] detect_cap",
            says: &["a cap of 0 watchers is not allowed", "from 1 to 64"],
        },
        Case {
            from: TRIAGE,
            nth: 1,
            to: "triage = \"exp(mean=20m)\"\ndetect_scaling = \"per_member\"",
            at: "per_member",
            key: "[watch] detect_scaling",
            says: &["unknown variant `per_member`", "`per_watcher`"],
        },
        Case {
            from: TRIAGE,
            nth: 1,
            to: "triage = \"exp(mean=20m)\"\nroute = \"least_load\"",
            at: "least_load",
            key: "[watch] route",
            says: &[
                "unknown variant `least_load`",
                "did you mean `least_loaded`?",
            ],
        },
        Case {
            from: TRIAGE,
            nth: 1,
            to: "triage = \"exp(mean=20m)\"\nhandoff = \"-5m\"",
            at: "-5m",
            key: "[watch] handoff",
            says: &["is negative"],
        },
        Case {
            from: "weight = 0.2",
            nth: 1,
            to: "weight = 0.2\nholidays = [\"2026-12-25\", \"25/12/2026\"]",
            at: "25/12",
            key: "[[agency]] #2 (uk) holidays",
            says: &[
                "\"25/12/2026\" is not a date",
                "expected a local date such as \"2026-12-25\"",
            ],
        },
        Case {
            from: "weight = 0.2",
            nth: 1,
            to: "weight = 0.2\nholidays_file = \"no-such-holidays.txt\"",
            at: "no-such",
            key: "[[agency]] #2 (uk) holidays_file",
            says: &[
                "cannot read the holidays file",
                "one date (\"2026-12-25\") a line",
            ],
        },
        Case {
            from: "kind = \"follow_the_sun\"",
            nth: 1,
            to: "kind = \"follow_the_sun\"\nmin_shift = \"25h\"",
            at: "min_shift",
            key: "[[schedule]] #1 (fts) min_shift",
            says: &["longer than a day", "from 0 to 24h"],
        },
        Case {
            from: "period = \"1d\"",
            nth: 1,
            to: "period = \"1d\"\nmin_shift = \"4h\"",
            at: "min_shift",
            key: "[[schedule]] #2 (rr) min_shift",
            says: &["`min_shift` does not apply to a RoundRobin schedule"],
        },
        Case {
            from: LAST,
            nth: 1,
            to: "{ agency = \"uk\", from = \"00:00\", to = \"12:00\" } ]\n[sweep]\nparameter = \"desk.close.uk\"\nvalues = [\"20:00\"]",
            at: "desk.close.uk",
            key: "[sweep] parameter",
            says: &["the desk of \"uk\" is open 24/7", "opening hours"],
        },
        Case {
            from: LAST,
            nth: 1,
            to: "{ agency = \"uk\", from = \"00:00\", to = \"12:00\" } ]\n[sweep]\nparameter = \"desk.close\"\nvalues = [\"20:00\", \"25:00\"]",
            at: "25:00",
            key: "[sweep] values",
            says: &["\"25:00\" is not a time of day"],
        },
        Case {
            from: LAST,
            nth: 1,
            to: "{ agency = \"uk\", from = \"00:00\", to = \"12:00\" } ]\n[sweep]\nparameter = \"desk.close.us\"\nvalues = [\"20:00\", \"08:00\"]",
            at: "08:00\"]",
            key: "[sweep] values",
            says: &["the desk of \"us\" opens at 08:00", "leaves no hours"],
        },
        Case {
            from: LAST,
            nth: 1,
            to: "{ agency = \"uk\", from = \"00:00\", to = \"12:00\" } ]\n[sweep]\nparameter = \"callout.mean\"\nvalues = [\"20m\"]",
            at: "callout.mean",
            key: "[sweep] parameter",
            says: &["no desk has a call-out"],
        },
        Case {
            from: LAST,
            nth: 1,
            to: "{ agency = \"uk\", from = \"00:00\", to = \"12:00\" } ]\n[sweep]\nparameter = \"callout.means\"\nvalues = [\"20m\"]",
            at: "callout.means",
            key: "[sweep] parameter",
            says: &[
                "cannot be swept",
                "\"callout.mean.<agency id>\"",
                "\"desk.close\"",
            ],
        },
    ];
    for case in &cases {
        check(case);
    }
    // A holidays file's bad line is reported at its own file, line and column.
    let dir = std::env::temp_dir().join(format!("watchsim-holidays-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("uk.txt"),
        "# UK bank holidays\n2026-12-25\n  2026-12-32  # typo\n",
    )
    .unwrap();
    let text = edit(
        "weight = 0.2",
        "weight = 0.2\nholidays_file = \"uk.txt\"",
        1,
    );
    let file = dir.join("bad.toml");
    std::fs::write(&file, &text).unwrap();
    let errs = Scenario::load(&file).unwrap_err().0;
    let e = &errs[0];
    assert_eq!(
        (e.path.as_str(), e.line, e.column, e.key.as_str()),
        (dir.join("uk.txt").to_str().unwrap(), 3, 3, "holidays_file"),
        "{e}"
    );
    assert!(e.message.contains("\"2026-12-32\" is not a date"), "{e}");
    std::fs::write(
        dir.join("uk.txt"),
        "# UK bank holidays\n2026-12-25\n2026-12-28 # substitute\n",
    )
    .unwrap();
    let s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.agencies[1].holidays.len(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

/// Hours that wrap midnight are accepted for desks and home_hours, like blocks.
#[test]
fn hours_may_wrap_midnight() {
    let text = edit("close = \"18:00\"", "close = \"06:00\"", 1).replace(
        "period = \"1d\"",
        "period = \"1d\"\n\n[[schedule]]\nname = \"night\"\nkind = \"home_hours\"\nopen = \"22:00\"\nclose = \"06:00\"",
    );
    Scenario::from_toml(&text, "wrap.toml").unwrap_or_else(|e| panic!("{e}"));
}
