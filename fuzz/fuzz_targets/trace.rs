//! Fuzzes recorded traces: any bytes as the `[incidents] file` of a small scenario →
//! reading the trace (every error must render) → the study → one replication of every
//! cell. Any input must give `Ok` or `Err`, never a panic, a hang or an abort.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use watchsim::experiment::Study;
use watchsim::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch("trace");
    std::fs::write(dir.join("trace.csv"), data).expect("write the trace");
    let path = dir.join("s.toml");
    std::fs::write(&path, common::scenario_text("file = \"trace.csv\"")).expect("write");
    let scenario = Scenario::load(&path).expect("the scenario itself is valid");
    match Study::new(scenario) {
        Ok(study) => {
            let results = study.run_item(0, 0, true);
            assert_eq!(results.len(), study.cells.len());
        }
        Err(e) => {
            let text = e.to_string();
            // Errors show no raw control characters (terminal escapes).
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        }
    }
});
