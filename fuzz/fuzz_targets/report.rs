//! Fuzzes `watchsim report` on mutated report folders: a small run's folder is made
//! once; each input's first byte picks one of its files and the rest replaces that
//! file's content; then the charts and index.html are redrawn. Any input must give
//! `Ok` or `Err`, never a panic, a hang or an abort.
#![no_main]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use watchsim::experiment::Study;
use watchsim::report::write::{Provenance, write_outputs};
use watchsim::scenario::Scenario;

/// The files a mutation may replace (the corpus's seeds are named after them).
pub const FILES: [&str; 14] = [
    "summary.csv",
    "runs.csv",
    "compare.csv",
    "distribution.csv",
    "weekly.csv",
    "desks.csv",
    "load.csv",
    "coverage.csv",
    "decision.csv",
    "increments.csv",
    "outages.csv",
    "warnings.csv",
    "findings.csv",
    "run.json",
];

/// The template folder of a small run, made once per process.
fn template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = common::scratch("report-template");
        let scenario =
            Scenario::from_toml(&common::scenario_text("rate = \"20/day\""), "fuzz.toml")
                .expect("valid");
        let study = Study::new(scenario).expect("synthetic");
        let results = study.run(false);
        let provenance = Provenance::new(&study, None, "fuzz".into());
        write_outputs(&study, &results, &dir, &provenance).expect("write the template");
        // The seeds: each file's content behind its index.
        if let Some(seeds) = std::env::var_os("WATCHSIM_FUZZ_SEEDS") {
            let seeds = Path::new(&seeds);
            std::fs::create_dir_all(seeds).expect("seed folder");
            for (i, f) in FILES.iter().enumerate() {
                let mut bytes = vec![i as u8];
                bytes.extend(std::fs::read(dir.join(f)).expect("template file"));
                std::fs::write(seeds.join(f), bytes).expect("seed");
            }
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let template = template();
    let dir = common::scratch("report");
    for f in FILES {
        std::fs::copy(template.join(f), dir.join(f)).expect("copy the template");
    }
    std::fs::write(dir.join(FILES[pick as usize % FILES.len()]), content).expect("mutate");
    if let Err(e) = watchsim::report::html::write_report_with(&dir, None) {
        let text = e.to_string();
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    }
});
