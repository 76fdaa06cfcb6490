//! Comparing versions of a scenario (issue 14, parts 2 and 3): `watchsim compare A B`
//! and inline `[[variant]]`s, paired replication by replication.

use std::path::Path;
use std::process::Output;

use crate::common::{scratch, watchsim};
use crate::variants::BASE;
use watchsim::experiment::Study;
use watchsim::report::rows::VariantRow;
use watchsim::report::variants::{Side, pair};
use watchsim::scenario::Scenario;
use watchsim::stats::ci::{mean_ci, welch_ci};

/// BASE with one more analyst on agency a's watch desk.
fn one_more_analyst(text: &str) -> String {
    let changed = text.replacen("watch_staff = 1", "watch_staff = 2", 1);
    assert_ne!(changed, text);
    changed
}

fn side(text: &str, name: &str) -> Side {
    let scenario = Scenario::from_toml(text, "what_if.toml").unwrap_or_else(|e| panic!("{e}"));
    let study = Study::new(scenario).unwrap();
    let results = study.run(false);
    Side::of_run(name, &study, &results)
}

fn read_variants(dir: &Path) -> Vec<VariantRow> {
    let mut reader = csv::Reader::from_path(dir.join("variants.csv")).expect("variants.csv");
    reader
        .deserialize::<VariantRow>()
        .map(|r| r.expect("a variants.csv row"))
        .collect()
}

fn fails(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn succeeds(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The paired and unpaired half-widths of the members' share within the decision SLA
/// for each cell of B against A, recomputed from the per-replication values (and
/// checked against variants.csv); prints the figures.
fn half_widths(label: &str, a: &Side, b: &Side) -> Vec<(f64, f64)> {
    let variants = pair(a, b).unwrap();
    let mut out = Vec::new();
    for r in variants
        .rows
        .iter()
        .filter(|r| r.scope == "members" && r.severity == "all" && r.measure.starts_with("within_"))
    {
        let values = |s: &Side| -> Vec<f64> {
            let mut rows: Vec<_> = s
                .runs
                .iter()
                .filter(|x| {
                    x.key.schedule == r.schedule
                        && x.key.agencies == r.agencies
                        && x.scope == "members"
                        && x.severity == "all"
                })
                .collect();
            rows.sort_by_key(|x| x.replication);
            let i = s.slas.iter().position(|&t| t == s.decision_sla).unwrap();
            rows.iter().map(|x| x.within[i].value).collect()
        };
        let (va, vb) = (values(a), values(b));
        let d: Vec<f64> = va.iter().zip(&vb).map(|(x, y)| y - x).collect();
        let paired = mean_ci(&d);
        let unpaired = welch_ci(&va, &vb);
        assert!((paired.low - r.ci95_low.value).abs() < 1e-6);
        assert!((unpaired.high - r.unpaired_ci95_high.value).abs() < 1e-6);
        println!(
            "{label}: {} at {} agencies: B − A = {:+.2} points, paired 95 % CI ±{:.2}, unpaired ±{:.2}",
            r.schedule,
            r.agencies,
            100.0 * paired.mean,
            100.0 * paired.half_width(),
            100.0 * unpaired.half_width(),
        );
        out.push((paired.half_width(), unpaired.half_width()));
    }
    out
}

/// Common random numbers make the paired CI of a variant's effect narrower than the
/// unpaired CI of the same two sets of per-replication values: in every cell for a
/// changed distribution (police response at a), and on the whole (most cells, and in
/// total) for one more analyst, whose queueing changes the course of many cases.
#[test]
fn the_paired_ci_of_a_variant_is_narrower_than_the_unpaired_one() {
    let text = BASE.replace("replications = 3", "replications = 10");
    let a = side(&text, "base");
    let slower = text.replace(
        "police = \"lognormal(median=8m, sigma=0.6)\"",
        "police = \"lognormal(median=12m, sigma=0.6)\"",
    );
    assert_ne!(slower, text);
    let police = half_widths("police 8 → 12 min", &a, &side(&slower, "slower-police"));
    assert_eq!(police.len(), 6);
    for (p, u) in &police {
        assert!(p < u, "paired ±{p} is not narrower than unpaired ±{u}");
    }
    let analyst = half_widths(
        "one more analyst",
        &a,
        &side(&one_more_analyst(&text), "analyst"),
    );
    let narrower = analyst.iter().filter(|(p, u)| p < u).count();
    let (sp, su) = analyst
        .iter()
        .fold((0.0, 0.0), |(a, b), (p, u)| (a + p, b + u));
    println!(
        "one more analyst: paired narrower in {narrower} of {} cells; mean half-width {:.2} against {:.2} points",
        analyst.len(),
        100.0 * sp / analyst.len() as f64,
        100.0 * su / analyst.len() as f64
    );
    assert!(
        narrower * 3 >= analyst.len() * 2,
        "{narrower} of {}",
        analyst.len()
    );
    assert!(sp < su);
}

/// `watchsim compare A A`: every paired difference is exactly zero, and so is its CI.
#[test]
fn compare_a_scenario_with_itself_gives_exactly_zero_differences() {
    let d = scratch("what_if", "a_vs_a");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let stdout = succeeds(&watchsim(
        &["compare", "s.toml", "s.toml", "--out", "cmp"],
        &d,
    ));
    assert!(stdout.starts_with("What if:"), "{stdout}");
    assert!(stdout.contains("no practical difference"), "{stdout}");
    let rows = read_variants(&d.join("cmp"));
    assert!(!rows.is_empty());
    for r in &rows {
        if r.mean_a.value.is_nan() {
            continue;
        }
        assert_eq!(r.diff.value, 0.0, "{r:?}");
        assert_eq!((r.ci95_low.value, r.ci95_high.value), (0.0, 0.0), "{r:?}");
        assert_eq!(r.verdict, "no practical difference", "{r:?}");
    }
    for f in [
        "index.html",
        "variants.png",
        "variants.svg",
        "unmatched.csv",
    ] {
        assert!(d.join("cmp").join(f).exists(), "{f}");
    }
}

/// Two runs with different seeds or replication counts cannot be paired: exit 2, with
/// the reason. Report folders are read from runs.csv and run.json.
#[test]
fn runs_with_different_seeds_or_replications_are_refused() {
    let d = scratch("what_if", "refusals");
    std::fs::write(d.join("s.toml"), BASE).unwrap();
    let other_seed = BASE.replace("seed = 14", "seed = 15");
    assert_ne!(other_seed, BASE);
    std::fs::write(d.join("t.toml"), &other_seed).unwrap();
    let stderr = fails(&watchsim(&["compare", "s.toml", "t.toml"], &d), 2);
    for w in ["seed 14", "seed 15", "replication r", "same --seed"] {
        assert!(stderr.contains(w), "{w:?} not in {stderr}");
    }
    succeeds(&watchsim(
        &["run", "s.toml", "-q", "-r", "2", "--out", "r2"],
        &d,
    ));
    succeeds(&watchsim(
        &["run", "s.toml", "-q", "-r", "3", "--out", "r3"],
        &d,
    ));
    let stderr = fails(&watchsim(&["compare", "r2", "r3"], &d), 2);
    for w in ["2 replications", "has 3", "same --replications"] {
        assert!(stderr.contains(w), "{w:?} not in {stderr}");
    }
    // The same folders with matching replications compare fine.
    succeeds(&watchsim(
        &["run", "t.toml", "-q", "-r", "2", "-s", "14", "--out", "t2"],
        &d,
    ));
    let stdout = succeeds(&watchsim(&["compare", "r2", "t2", "--out", "cmp"], &d));
    assert!(stdout.contains("What if"), "{stdout}");
}

/// A cell that only one side has is listed on the console, in unmatched.csv and in
/// index.html, not dropped.
#[test]
fn cells_present_on_one_side_only_are_listed() {
    let d = scratch("what_if", "unmatched");
    std::fs::write(
        d.join("s.toml"),
        BASE.replace("agencies = [1, 2, 3]", "agencies = [1, 2]"),
    )
    .unwrap();
    std::fs::write(d.join("t.toml"), BASE).unwrap();
    let stdout = succeeds(&watchsim(
        &["compare", "s.toml", "t.toml", "--out", "cmp"],
        &d,
    ));
    assert!(
        stdout.contains("Cells present on one side only"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 cells at 3 agencies only in t: follow-the-sun, round-robin"),
        "{stdout}"
    );
    let unmatched = std::fs::read_to_string(d.join("cmp/unmatched.csv")).unwrap();
    assert!(
        unmatched.contains("s,t,t,follow-the-sun,3,,all"),
        "{unmatched}"
    );
    let html = std::fs::read_to_string(d.join("cmp/index.html")).unwrap();
    assert!(html.contains("only in t"), "{html}");
    // The matched cells are still compared.
    let rows = read_variants(&d.join("cmp"));
    assert!(rows.iter().any(|r| r.agencies == 2));
    assert!(rows.iter().all(|r| r.agencies != 3));
}

/// A variant's errors name the file, line and column of the override, the variant and
/// the key.
#[test]
fn variant_errors_name_the_variant_the_key_and_the_line() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "[[variant]]\nname = \"x\"\nset = { \"agency.zz.watch_staff\" = 2 }\n",
            &[
                ":3:",
                "[[variant]] \"x\" set.\"agency.zz.watch_staff\"",
                "no element \"zz\"",
                "a, b, c",
            ],
        ),
        (
            "[[variant]]\nname = \"neg\"\n[variant.set]\n\"referral.domestic\" = \"lognormal(mean=10m, sd=5m)\"\n\"agency.b.watch_staff\" = -1\n",
            &[
                ":5:",
                "[[variant]] \"neg\" set.\"agency.b.watch_staff\"",
                "watch_staff",
            ],
        ),
        (
            "[[variant]]\nname = \"seeded\"\nset = { \"experiment.seed\" = 3 }\n",
            &[
                ":3:",
                "\"seeded\"",
                "experiment.seed cannot be overridden",
                "common random numbers",
            ],
        ),
        (
            "[[variant]]\nname = \"typo\"\nsett = { \"agency.a.watch_staff\" = 2 }\n",
            &[":3:", "sett"],
        ),
        (
            "[[variant]]\nname = \"dist\"\nset = { \"watch.triage\" = \"gamma(mean=-1m)\" }\n",
            &[":3:", "\"dist\" set.\"watch.triage\"", "triage"],
        ),
    ];
    let d = scratch("what_if", "errors");
    for (i, (variant, words)) in cases.iter().enumerate() {
        let text = format!("{BASE}\n{variant}");
        let file = format!("v{i}.toml");
        std::fs::write(d.join(&file), &text).unwrap();
        let stderr = fails(&watchsim(&["validate", &file], &d), 2);
        let base_lines = BASE.lines().count() + 1;
        // Lines are counted in the whole file: shift the expected line by the base's.
        for w in words.iter() {
            let w = match w.strip_prefix(':').and_then(|x| x.strip_suffix(':')) {
                Some(n) => format!(":{}:", base_lines + n.parse::<usize>().unwrap()),
                None => (*w).to_string(),
            };
            assert!(stderr.contains(&w), "case {i}: {w:?} not in:\n{stderr}");
        }
        assert!(stderr.contains(&file), "case {i}: no file in {stderr}");
    }
}

/// `watchsim run` on a scenario with a variant writes the base's usual outputs
/// unchanged, and the variant against the base.
#[test]
fn inline_variants_run_against_an_unchanged_base() {
    let d = scratch("what_if", "inline");
    std::fs::write(d.join("plain.toml"), BASE).unwrap();
    let with = format!(
        "{BASE}\n[[variant]]\nname = \"more-staff\"\ndescription = \"one more analyst at a\"\nset = {{ \"agency.a.watch_staff\" = 2 }}\n"
    );
    std::fs::write(d.join("with.toml"), with).unwrap();
    succeeds(&watchsim(
        &["run", "plain.toml", "-q", "--out", "plain"],
        &d,
    ));
    let stdout = succeeds(&watchsim(&["run", "with.toml", "-q", "--out", "with"], &d));
    assert!(
        stdout.contains("What if: more-staff (one more analyst at a) against variants"),
        "{stdout}"
    );
    for f in ["summary.csv", "runs.csv", "compare.csv", "decision.csv"] {
        assert_eq!(
            std::fs::read(d.join("plain").join(f)).unwrap(),
            std::fs::read(d.join("with").join(f)).unwrap(),
            "{f} changed"
        );
    }
    let rows = read_variants(&d.join("with"));
    assert!(
        rows.iter()
            .all(|r| r.variant == "more-staff" && r.base == "variants")
    );
    assert!(rows.iter().any(|r| r.diff.value != 0.0));
    // Variants need the base in the same process, over common random numbers.
    for args in [
        &[
            "run",
            "with.toml",
            "-q",
            "--shard",
            "0/2",
            "--out",
            "sharded",
        ][..],
        &[
            "run",
            "with.toml",
            "-q",
            "--independent-streams",
            "--out",
            "indep",
        ][..],
        &["slurm", "with.toml", "--shards", "2", "--out", "slurm"][..],
    ] {
        let stderr = fails(&watchsim(args, &d), 2);
        assert!(stderr.contains("[[variant]]"), "{args:?}: {stderr}");
    }
    let html = std::fs::read_to_string(d.join("with/index.html")).unwrap();
    assert!(html.contains("id=\"what-if\""));
    assert!(d.join("with/variants.png").exists());
    // The same comparison through `watchsim compare` of two files gives the same rows.
    std::fs::write(
        d.join("more.toml"),
        one_more_analyst(BASE).replace("name = \"variants\"", "name = \"more-staff\""),
    )
    .unwrap();
    succeeds(&watchsim(
        &["compare", "plain.toml", "more.toml", "--out", "cmp"],
        &d,
    ));
    let pairs = read_variants(&d.join("cmp"));
    assert_eq!(pairs.len(), rows.len());
    for (p, r) in pairs.iter().zip(&rows) {
        assert_eq!(p.diff.value.to_bits(), r.diff.value.to_bits(), "{p:?}");
    }
}

/// The shipped founders pair: the first lines name the effect of the extra analyst.
#[test]
fn the_shipped_founders_pair_names_the_effect_first() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = scratch("what_if", "founders");
    let out = d.join("cmp");
    let stdout = succeeds(&watchsim(
        &[
            "compare",
            root.join("scenarios/founders-2006.toml").to_str().unwrap(),
            root.join("scenarios/founders-2006-uk-analyst.toml")
                .to_str()
                .unwrap(),
            "-r",
            "3",
            "--out",
            out.to_str().unwrap(),
        ],
        &d,
    ));
    let first: Vec<&str> = stdout.lines().take(2).collect();
    println!("{}", first.join("\n"));
    assert!(first[0].contains("founders-2006-uk-analyst against founders-2006"));
    assert!(
        first[1].contains("members' share answered within 2 h"),
        "{}",
        first[1]
    );
}
