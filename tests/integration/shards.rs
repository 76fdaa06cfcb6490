//! Sharded runs: shards from the command line and from the environment as Slurm and
//! Kubernetes set it, merged byte for byte into the unsharded outputs; refusals to merge
//! missing, duplicate, truncated and foreign parts. (tests/slurm.sh does the same on a
//! real Slurm cluster.)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FOUNDERS: &str = include_str!("../../scenarios/founders-2006.toml");

/// Five replications of two weeks: five work items, split unevenly.
fn small_founders() -> String {
    FOUNDERS
        .replace("days = 364", "days = 14")
        .replace("replications = 20", "replications = 5")
}

const SHARD_VARS: [&str; 7] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
    "SHARD_COUNT",
];

/// Runs watchsim in `dir` with only the given shard variables set.
fn watchsim(args: &[&str], env: &[(&str, String)], dir: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_watchsim"));
    for var in SHARD_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .args(args)
        .current_dir(dir);
    crate::common::output(&mut cmd)
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Runs and expects bad input (exit 2); returns stderr.
fn refused(o: Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "expected exit 2: {err}");
    err
}

/// Every CSV of `a` (at least the core tables and the trace) is in `b`, byte for byte.
fn assert_same_csvs(a: &Path, b: &Path) {
    let mut names: Vec<String> = fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    for core in ["runs.csv", "summary.csv", "compare.csv", "incidents.csv"] {
        assert!(names.iter().any(|n| n == core), "{core} missing in {a:?}");
    }
    for name in names {
        let x = fs::read(a.join(&name)).unwrap();
        let y =
            fs::read(b.join(&name)).unwrap_or_else(|e| panic!("{}: {e}", b.join(&name).display()));
        assert!(x == y, "{name} differs between {a:?} and {b:?}");
    }
}

/// The charts (PNG, SVG) of `a` are in `b`, byte for byte, and so is an index.html.
fn assert_same_charts(a: &Path, b: &Path) {
    let mut charts = 0;
    for e in fs::read_dir(a).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".png") || name.ends_with(".svg") {
            charts += 1;
            let same = fs::read(a.join(&name)).unwrap() == fs::read(b.join(&name)).unwrap();
            assert!(same, "{name} differs between {a:?} and {b:?}");
        }
    }
    assert!(charts > 0, "no charts in {a:?}");
    assert!(b.join("index.html").exists(), "no index.html in {b:?}");
}

fn slurm_env(id: u32, min: u32, step: u32, count: u32) -> Vec<(&'static str, String)> {
    vec![
        ("SLURM_ARRAY_TASK_ID", id.to_string()),
        ("SLURM_ARRAY_TASK_MIN", min.to_string()),
        (
            "SLURM_ARRAY_TASK_MAX",
            (min + (count - 1) * step).to_string(),
        ),
        ("SLURM_ARRAY_TASK_STEP", step.to_string()),
        ("SLURM_ARRAY_TASK_COUNT", count.to_string()),
    ]
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// A scenario file and its unsharded run in `full/`.
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("s.toml"), small_founders()).unwrap();
        let s = Setup { dir };
        s.run(&["--out", "full"], &[]);
        s
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn run(&self, args: &[&str], env: &[(&str, String)]) -> Output {
        let mut all = vec!["run", "s.toml", "-q", "--trace"];
        all.extend(args);
        ok(watchsim(&all, env, self.dir.path()))
    }

    /// Runs every shard of `count`, with shards as a Slurm array `min`, `min + step`, …
    fn slurm_array(&self, out: &str, min: u32, step: u32, count: u32) {
        for i in 0..count {
            self.run(
                &["--out", out],
                &slurm_env(min + i * step, min, step, count),
            );
        }
    }

    fn merge(&self, args: &[&str]) -> Output {
        let mut all = vec!["merge", "-q"];
        all.extend(args);
        watchsim(&all, &[], self.dir.path())
    }
}

#[test]
fn merged_shards_equal_the_unsharded_run_byte_for_byte() {
    let s = Setup::new();
    // Slurm: --array=0-1, --array=5-7, --array=10-14:2
    for (out, min, step, count) in [("a2", 0, 1, 2), ("a3", 5, 1, 3), ("a3s", 10, 2, 3)] {
        s.slurm_array(out, min, step, count);
        for i in 0..count {
            assert!(
                s.path(&format!("{out}/parts/shard-{i}-of-{count}/manifest.json"))
                    .exists()
            );
        }
        ok(s.merge(&[&format!("{out}/parts"), "--out", out]));
        assert_same_csvs(&s.path("full"), &s.path(out));
    }
    // After the CSVs, the merge draws the same charts and page as the run.
    assert_same_charts(&s.path("full"), &s.path("a2"));
    // Kubernetes Indexed Job, 4 shards, parts named one by one.
    for i in 0..4 {
        let env = [
            ("JOB_COMPLETION_INDEX", i.to_string()),
            ("SHARD_COUNT", "4".to_string()),
        ];
        s.run(&["--out", "k8s"], &env);
    }
    let parts: Vec<String> = (0..4)
        .map(|i| format!("k8s/parts/shard-{i}-of-4"))
        .collect();
    let mut args: Vec<&str> = parts.iter().map(String::as_str).collect();
    args.extend(["--out", "k8s-merged"]);
    ok(s.merge(&args));
    assert_same_csvs(&s.path("full"), &s.path("k8s-merged"));
    // More shards than work items: two shards have nothing to do.
    for i in 0..7 {
        s.run(&["--out", "seven", "--shard", &format!("{i}/7")], &[]);
    }
    ok(s.merge(&["seven/parts", "--out", "seven"]));
    assert_same_csvs(&s.path("full"), &s.path("seven"));
}

#[test]
fn a_rerun_shard_gives_the_same_part() {
    let s = Setup::new();
    let shard = ["--out", "p", "--shard", "0/2"];
    s.run(&shard, &[]);
    let part = s.path("p/parts/shard-0-of-2");
    let read = || -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = fs::read_dir(&part)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let mut bytes = fs::read(e.path()).unwrap();
                if e.file_name() == "items.sha256" {
                    // Items finish in any order: the ledger's lines, sorted.
                    let text = String::from_utf8(bytes).unwrap();
                    let mut lines: Vec<&str> = text.lines().collect();
                    lines.sort();
                    bytes = lines.join("\n").into_bytes();
                }
                (e.file_name().to_string_lossy().into_owned(), bytes)
            })
            .collect();
        files.sort();
        files
    };
    let first = read();
    assert_eq!(
        first.len(),
        2 + 2 * 3,
        "manifest, ledger and items 0, 2, 4 with traces"
    );
    // A retry after a crash: one item lost, one truncated.
    fs::remove_file(part.join("item-0-2.bin")).unwrap();
    let item4 = part.join("item-0-4.bin");
    let bytes = fs::read(&item4).unwrap();
    fs::write(&item4, &bytes[..bytes.len() / 2]).unwrap();
    s.run(&shard, &[]);
    assert!(read() == first, "the re-run part differs");
    s.run(&shard, &[]);
    assert!(read() == first, "the re-run part differs");
}

#[test]
fn merge_refuses_missing_duplicate_truncated_and_foreign_parts() {
    let s = Setup::new();
    s.slurm_array("p", 5, 1, 3);
    let part = |i: u32| format!("p/parts/shard-{i}-of-3");

    // A missing shard is named.
    let err = refused(s.merge(&[&part(0), &part(2), "--out", "m"]));
    assert!(err.contains("missing shard 1 of 3"), "{err}");
    let err = refused(s.merge(&[&part(1), "--out", "m"]));
    assert!(err.contains("missing shards 0, 2 of 3"), "{err}");

    // A duplicate shard names both copies.
    copy_dir(&s.path(&part(1)), &s.path("copy-of-1"));
    let err = refused(s.merge(&["p/parts", "copy-of-1", "--out", "m"]));
    assert!(err.contains("shard 1/3 is given twice"), "{err}");
    assert!(
        err.contains("copy-of-1") && err.contains("shard-1-of-3"),
        "{err}"
    );

    // A truncated item is named; so is a missing one.
    copy_dir(&s.path("p/parts"), &s.path("t/parts"));
    let item = s.path("t/parts/shard-1-of-3/item-0-1.bin");
    let bytes = fs::read(&item).unwrap();
    fs::write(&item, &bytes[..bytes.len() - 10]).unwrap();
    let err = refused(s.merge(&["t/parts", "--out", "m"]));
    assert!(
        err.contains("shard-1-of-3/item-0-1.bin was changed or cut after it was written"),
        "{err}"
    );
    fs::remove_file(&item).unwrap();
    let err = refused(s.merge(&["t/parts", "--out", "m"]));
    assert!(
        err.contains("shard-1-of-3/item-0-1.bin is missing"),
        "{err}"
    );
    let chunk = s.path("t/parts/shard-2-of-3/item-0-2.incidents.csv");
    let bytes = fs::read(&chunk).unwrap();
    fs::write(&chunk, &bytes[..bytes.len() - 3]).unwrap();
    let err = refused(s.merge(&["t/parts/shard-2-of-3", "p/parts/shard-0-of-3", "--out", "m"]));
    assert!(err.contains("missing shard 1 of 3"), "{err}");
    let err = refused(s.merge(&[
        "t/parts/shard-2-of-3",
        "p/parts/shard-0-of-3",
        "p/parts/shard-1-of-3",
        "--out",
        "m",
    ]));
    assert!(
        err.contains("shard-2-of-3/item-0-2.incidents.csv is truncated"),
        "{err}"
    );
    // A truncated manifest is named.
    let manifest = s.path("t/parts/shard-0-of-3/manifest.json");
    fs::write(&manifest, "{\"watchsim\": ").unwrap();
    let err = refused(s.merge(&["t/parts", "--out", "m"]));
    assert!(err.contains("shard-0-of-3/manifest.json"), "{err}");

    // A part of another seed, or of another split, is named.
    s.run(&["--out", "other", "--seed", "7", "--shard", "1/3"], &[]);
    let err = refused(s.merge(&[&part(0), "other/parts/shard-1-of-3", &part(2)]));
    assert!(err.contains("other/parts/shard-1-of-3"), "{err}");
    assert!(err.contains("seed 7 instead of 2006"), "{err}");
    s.run(&["--out", "halves", "--shard", "1/2"], &[]);
    let err = refused(s.merge(&[&part(0), "halves/parts/shard-1-of-2", &part(2)]));
    assert!(err.contains("halves/parts/shard-1-of-2"), "{err}");
    assert!(
        err.contains("split into 2 shards instead of 3 shards"),
        "{err}"
    );

    // A part of another scenario is named.
    fs::write(
        s.path("other.toml"),
        small_founders().replace("rate = \"40/day\"", "rate = \"41/day\""),
    )
    .unwrap();
    ok(watchsim(
        &[
            "run",
            "other.toml",
            "-q",
            "--trace",
            "--out",
            "o2",
            "--shard",
            "2/3",
        ],
        &[],
        s.dir.path(),
    ));
    let err = refused(s.merge(&[&part(0), &part(1), "o2/parts/shard-2-of-3"]));
    assert!(err.contains("o2/parts/shard-2-of-3"), "{err}");
    assert!(err.contains("scenario \"founders-2006\" (hash"), "{err}");

    // The scenario file changed since the shards ran: refused, unless the original
    // is given with --scenario.
    fs::copy(s.path("s.toml"), s.path("original.toml")).unwrap();
    fs::write(
        s.path("s.toml"),
        small_founders().replace("seed = 2006", "seed = 1"),
    )
    .unwrap();
    let err = refused(s.merge(&["p/parts", "--out", "m"]));
    assert!(
        err.contains("is not the scenario the parts were made from"),
        "{err}"
    );
    ok(s.merge(&["p/parts", "--out", "m", "--scenario", "original.toml"]));
    assert_same_csvs(&s.path("full"), &s.path("m"));

    // A part that is no part at all.
    fs::create_dir_all(s.path("empty")).unwrap();
    let err = refused(s.merge(&["empty"]));
    assert!(err.contains("empty is not a part folder"), "{err}");
}

#[test]
fn merge_and_resume_check_every_item_against_the_part_s_ledger() {
    let s = Setup::new();
    s.slurm_array("p", 0, 1, 2);
    let fresh = |name: &str| {
        let _ = fs::remove_dir_all(s.path(name));
        copy_dir(&s.path("p/parts"), &s.path(&format!("{name}/parts")));
        s.path(&format!("{name}/parts/shard-0-of-2"))
    };
    // A trace chunk cut at a line boundary: every line whole, rows missing.
    let part = fresh("cut");
    let chunk = part.join("item-0-0.incidents.csv");
    let text = fs::read_to_string(&chunk).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let keep = lines[..lines.len() * 7 / 8].join("\n") + "\n";
    fs::write(&chunk, keep).unwrap();
    let err = refused(s.merge(&["cut/parts", "--out", "m"]));
    assert!(
        err.contains("item-0-0.incidents.csv was changed or cut after it was written")
            && err.contains(&format!("instead of {}", lines.len())),
        "{err}"
    );
    // A figure changed inside an item, the file still a valid item: its last byte is
    // the top byte of the last run's covered seconds (a float, stored as its 8 bytes).
    let part = fresh("count");
    let item = part.join("item-0-0.bin");
    let mut bytes = fs::read(&item).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    fs::write(&item, bytes).unwrap();
    let err = refused(s.merge(&["count/parts", "--out", "m"]));
    assert!(err.contains("item-0-0.bin was changed or cut"), "{err}");
    assert!(err.contains("SHA-256"), "{err}");
    // A manifest's seed edited (in every part, so that the parts agree).
    let part = fresh("seed");
    edit_manifests(&part, &|m| m["seed"] = 7.into());
    let err = refused(s.merge(&["seed/parts", "--out", "m", "--scenario", "s.toml"]));
    assert!(
        err.contains("manifest.json does not describe the run that wrote item-0-0"),
        "{err}"
    );
    // A manifest naming another file as its scenario: refused without showing it.
    let part = fresh("passwd");
    edit_manifests(&part, &|m| m["scenario_file"] = "/etc/passwd".into());
    let err = refused(s.merge(&["passwd/parts", "--out", "m"]));
    assert!(err.contains("/etc/passwd (hash"), "{err}");
    assert!(!err.contains("root:"), "{err}");
    // Parts of an earlier build, whose manifests name no item format (its items were
    // JSON): refused by merge, naming the formats, and by a shard's --resume.
    let part = fresh("json");
    edit_manifests(&part, &|m| {
        m.as_object_mut().unwrap().remove("item_format");
    });
    let err = refused(s.merge(&["json/parts", "--out", "m"]));
    assert!(
        err.contains(
            "holds items in format 1 (an earlier watchsim's); this watchsim reads format 2"
        ),
        "{err}"
    );
    let err = refused(watchsim(
        &[
            "run", "s.toml", "-q", "--trace", "--out", "json", "--resume", "--shard", "1/2",
        ],
        &[],
        &s.path(""),
    ));
    assert!(err.contains("item format 1 instead of 2"), "{err}");
    // Untouched parts merge as before.
    ok(s.merge(&["p/parts", "--out", "m"]));
    assert_same_csvs(&s.path("full"), &s.path("m"));
}

#[test]
fn bad_shard_settings_are_bad_input() {
    let s = Setup::new();
    let run = |args: &[&str], env: &[(&str, String)]| {
        let mut all = vec!["run", "s.toml", "-q", "--out", "bad"];
        all.extend(args);
        refused(watchsim(&all, env, s.dir.path()))
    };
    let err = run(&[], &slurm_env(9, 5, 1, 3)[..1]);
    assert!(err.contains("SLURM_ARRAY_TASK_COUNT"), "{err}");
    let mut env = slurm_env(5, 5, 1, 3);
    env[0].1 = "9".into();
    let err = run(&[], &env);
    assert!(err.contains("SLURM_ARRAY_TASK_ID=9"), "{err}");
    let err = run(&[], &[("JOB_COMPLETION_INDEX", "2".into())]);
    assert!(err.contains("SHARD_COUNT"), "{err}");
    let err = run(
        &[],
        &[
            ("JOB_COMPLETION_INDEX", "2".into()),
            ("SHARD_COUNT", "two".into()),
        ],
    );
    assert!(err.contains("SHARD_COUNT=\"two\""), "{err}");
    let err = run(&["--shard", "3/3"], &[]);
    assert!(err.contains("--shard 3/3"), "{err}");
    assert!(!s.path("bad").exists(), "nothing is written on bad input");
    // --shard none ignores the environment: an ordinary run.
    ok(watchsim(
        &["run", "s.toml", "-q", "--out", "plain", "--shard", "none"],
        &slurm_env(5, 5, 1, 3),
        s.dir.path(),
    ));
    assert!(s.path("plain/summary.csv").exists());
    assert!(!s.path("plain/parts").exists());
}

#[test]
fn slurm_writes_a_ready_array_script() {
    let s = Setup::new();
    let o = ok(watchsim(
        &[
            "slurm",
            "s.toml",
            "--shards",
            "3",
            "--time",
            "00:10:00",
            "--partition",
            "debug",
            "--out",
            "cluster",
            "-r",
            "4",
        ],
        &[],
        s.dir.path(),
    ));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("sbatch "), "{stdout}");
    assert!(stdout.contains(" merge "), "{stdout}");
    let script = fs::read_to_string(s.path("cluster/watchsim.sbatch")).unwrap();
    let root = fs::canonicalize(s.dir.path()).unwrap();
    let bin = env!("CARGO_BIN_EXE_watchsim");
    for line in [
        "#SBATCH --array=0-2".to_string(),
        "#SBATCH --time=00:10:00".into(),
        "#SBATCH --partition=debug".into(),
        format!(
            "exec {bin} run {}/s.toml --out {}/cluster --quiet --replications=4",
            root.display(),
            root.display()
        ),
    ] {
        assert!(
            script.lines().any(|l| l == line),
            "{line}\nnot in\n{script}"
        );
    }
    assert!(s.path("cluster/slurm-logs").is_dir());
    let err = refused(watchsim(
        &["slurm", "s.toml", "--shards", "2", "--time", "1h; rm -rf /"],
        &[],
        s.dir.path(),
    ));
    assert!(err.contains("--time"), "{err}");
}

/// Edits the manifest of both shards of a two-shard run, `part` being one of them (so
/// that the parts still agree with each other).
fn edit_manifests(part: &Path, edit: &dyn Fn(&mut serde_json::Value)) {
    for i in 0..2 {
        let m = part
            .parent()
            .unwrap()
            .join(format!("shard-{i}-of-2/manifest.json"));
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&m).unwrap()).unwrap();
        edit(&mut v);
        fs::write(&m, serde_json::to_vec(&v).unwrap()).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
