//! Nothing lost: every output goes through `report::write_atomic`; a failed or killed
//! run leaves the previous complete outputs or new complete ones, never a truncated
//! file; `--resume` then finishes with the outputs of an uninterrupted run.

use crate::common::{Running, output, scratch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const SCENARIO: &str = r#"name = "nothing-lost"

[experiment]
seed = 1
replications = 12
days = 56
start = "2026-01-05"
agencies = [2, 3]

[incidents]
rate = "30/day"
profile = "evening"
severity = [ { class = "urgent", share = 0.3 }, { class = "routine", share = 0.7 } ]
visibility = "lognormal(mean=6h, sd=4h)"
rest_of_world = 0.4

[watch]
detect = "exp(mean=20m)"
triage = "lognormal(median=20m, sigma=0.7)"
handoff = "const(10m)"

[[agency]]
id = "us"
tz = "America/New_York"
weight = 0.2
desk = { open = "08:00", close = "18:00" }

[[agency]]
id = "uk"
tz = "Europe/London"
weight = 0.2

[[agency]]
id = "au"
tz = "Australia/Sydney"
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
    let dir = scratch("nothing-lost", name);
    std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
    dir
}

fn watchsim(cwd: &Path, args: &[&str]) -> Output {
    crate::common::watchsim(args, cwd)
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The CSV files of a folder and their bytes.
fn csvs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_output_file_is_written_atomically() {
    // Only `report::write_atomic` may create or write files; anything else could leave
    // a truncated file behind when a run is killed or the disk fills.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut offenders = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path == src.join("report/mod.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for call in [
                    "fs::write(",
                    "File::create(",
                    "OpenOptions",
                    "fs::copy(",
                    "BitMapBackend::new(",
                    "SVGBackend::new(",
                ] {
                    if code.contains(call) {
                        offenders.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "write through report::write_atomic instead:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_intact() {
    let d = dir("failed");
    ok(&watchsim(
        &d,
        &["run", "s.toml", "-q", "--trace", "--out", "out"],
    ));
    let before = csvs(&d.join("out"));
    assert!(before.len() >= 8, "{:?}", before.keys());
    let run_json = std::fs::read(d.join("out/run.json")).unwrap();

    // 1. A trace error: the same scenario name, incidents from a broken trace.
    let trace_scenario = SCENARIO.replace("rate = \"30/day\"", "file = \"trace.csv\"");
    assert_ne!(trace_scenario, SCENARIO);
    std::fs::write(d.join("trace.toml"), trace_scenario).unwrap();
    std::fs::write(
        d.join("trace.csv"),
        "signal_at,jurisdiction,severity\n2026-01-06T10:00:00Z,xx,urgent\n",
    )
    .unwrap();
    let out = watchsim(&d, &["run", "trace.toml", "-q", "--trace", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(csvs(&d.join("out")), before);

    // 2. The disk fills: a file-size limit makes every write beyond 64 KiB fail (with
    // SIGXFSZ ignored, the write returns EFBIG as on a full disk). A different seed, so
    // any file that was replaced would differ.
    let out = output(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' XFSZ; ulimit -f 64; exec '{}' run s.toml -q --trace --seed 99 --out out",
                env!("CARGO_BIN_EXE_watchsim")
            ))
            .current_dir(&d),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("out/"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(csvs(&d.join("out")), before, "{stderr}");
    assert_eq!(std::fs::read(d.join("out/run.json")).unwrap(), run_json);
    // No temporary files are left behind.
    let leftovers: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// When to kill a run, by its observed progress rather than by the clock.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Once at least this many work items (`item-V-R.bin`) are in `.partial`.
    Items(usize),
    /// Once at least this many output CSV files have been replaced by new ones.
    Outputs(usize),
}

/// Item files finished so far in a report folder's `.partial`.
fn items_done(out: &Path) -> usize {
    std::fs::read_dir(out.join(".partial")).map_or(0, |entries| {
        entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with("item-") && name.ends_with(".bin")
            })
            .count()
    })
}

#[test]
fn a_killed_run_leaves_complete_files_and_resume_finishes_it() {
    // Reference outputs: seed 1 (the "previous" run) and seed 2 (the "new" run),
    // each run uninterrupted.
    let d = dir("killed");
    ok(&watchsim(
        &d,
        &["run", "s.toml", "-q", "--trace", "--out", "old"],
    ));
    ok(&watchsim(
        &d,
        &[
            "run", "s.toml", "-q", "--trace", "--seed", "2", "--out", "new",
        ],
    ));
    let (old, new) = (csvs(&d.join("old")), csvs(&d.join("new")));
    assert_ne!(old, new);
    let changed = old.iter().filter(|(f, b)| new.get(*f) != Some(b)).count();

    // Kill a seed-2 run over the seed-1 outputs at moments chosen by its progress: after
    // some of its 12 work items are kept in `.partial`, after all of them, and while it
    // writes the outputs (some already replaced). The moments do not depend on how fast
    // the machine is; a kill that came too late (the run had finished) is noticed.
    let plan = [
        KillAt::Items(1),
        KillAt::Items(5),
        KillAt::Items(11),
        KillAt::Items(12),
        KillAt::Outputs(1),
        KillAt::Outputs((changed / 2).max(1)),
    ];
    let mut killed_mid_run = 0;
    for (attempt, at) in plan.into_iter().enumerate() {
        let out = d.join(format!("out-{attempt}"));
        std::fs::create_dir_all(&out).unwrap();
        for (name, bytes) in &old {
            std::fs::write(out.join(name), bytes).unwrap();
        }
        std::fs::copy(d.join("old/run.json"), out.join("run.json")).unwrap();
        let name = out.file_name().unwrap().to_string_lossy().into_owned();
        let mut child = Running::spawn(
            Command::new(env!("CARGO_BIN_EXE_watchsim"))
                .args([
                    "run", "s.toml", "-q", "--trace", "--seed", "2", "--out", &name,
                ])
                .current_dir(&d),
            false,
        );
        let reached = || match at {
            KillAt::Items(n) => items_done(&out) >= n,
            // A file is replaced once it has the new bytes (checked by size first, to
            // keep the polling cheap).
            KillAt::Outputs(n) => {
                new.iter()
                    .filter(|(f, b)| old.get(*f) != Some(b))
                    .filter(|(f, b)| {
                        let path = out.join(f);
                        std::fs::metadata(&path).is_ok_and(|m| m.len() == b.len() as u64)
                            && std::fs::read(&path).is_ok_and(|x| &x == *b)
                    })
                    .count()
                    >= n
            }
        };
        while !reached() && !child.exited() {
            child.check_deadline();
            std::thread::sleep(Duration::from_micros(200));
        }
        let mid_run = !child.exited();
        killed_mid_run += usize::from(mid_run);
        child.kill(); // SIGKILL
        println!(
            "attempt {attempt}: kill at {at:?}: {} items kept, mid-run {mid_run}",
            items_done(&out)
        );
        for (file, bytes) in csvs(&out) {
            assert!(
                old.get(&file) == Some(&bytes) || new.get(&file) == Some(&bytes),
                "attempt {attempt} (killed at {at:?}): {file} is neither the previous \
                 nor the new complete file ({} bytes)",
                bytes.len()
            );
        }
        for file in old.keys() {
            assert!(out.join(file).exists(), "{file} was lost");
        }
        // Resuming finishes the run: the outputs of an uninterrupted one.
        ok(&watchsim(
            &d,
            &[
                "run", "s.toml", "-q", "--trace", "--seed", "2", "--resume", "--out", &name,
            ],
        ));
        assert_eq!(csvs(&out), new, "attempt {attempt}");
        assert!(!out.join(".partial").exists());
    }
    // The kills by item count come before the run can have finished (items were still
    // to do), so at least those interrupted a running process.
    assert!(
        killed_mid_run >= 3,
        "only {killed_mid_run} of {} kills interrupted the run",
        plan.len()
    );
}

#[test]
fn resume_refuses_items_changed_since_they_were_written_and_a_retry_repairs_them() {
    use watchsim::run::{Manifest, RunOptions, Silent, run_items, run_items_into};
    let d = dir("ledger");
    let scenario = watchsim::scenario::Scenario::from_toml(SCENARIO, "s.toml").unwrap();
    let study = watchsim::experiment::Study::new(scenario).unwrap();
    let part = d.join(".partial");
    let manifest = Manifest::new(&study, true, None);
    let items = study.items();
    let mut options = RunOptions {
        trace: true,
        resume: true,
        verify: true,
    };
    // Every run's (variant, cell, replication, counted incidents), sorted.
    let counted = |options: &RunOptions| {
        let got = std::sync::Mutex::new(Vec::new());
        run_items_into(
            &study,
            &items,
            &part,
            &manifest,
            options,
            &Silent,
            &|runs| {
                got.lock().unwrap().extend(
                    runs.iter()
                        .map(|r| (r.variant, r.cell, r.replication, r.stats.counted())),
                )
            },
        )
        .map(|()| {
            let mut all = got.into_inner().unwrap();
            all.sort_unstable();
            all
        })
    };
    let first = counted(&options).unwrap();
    // A trace chunk cut at a line boundary.
    let chunk = part.join("item-0-1.incidents.csv");
    let text = std::fs::read_to_string(&chunk).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&chunk, lines[..lines.len() / 2].join("\n") + "\n").unwrap();
    let err = run_items(&study, &items, &part, &manifest, &options, &Silent)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("item-0-1.incidents.csv was changed or cut after it was written")
            && err.contains(&format!("instead of {}", lines.len())),
        "{err}"
    );
    // A retry that repairs (a shard's) runs that item again, to the same results.
    options.verify = false;
    let again = counted(&options).unwrap();
    assert_eq!(first, again);
    assert_eq!(std::fs::read_to_string(&chunk).unwrap(), text);
    options.verify = true;
    run_items(&study, &items, &part, &manifest, &options, &Silent).unwrap();
}
