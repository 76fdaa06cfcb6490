//! Fuzzes scenario parsing, validation, schedule compilation and a short simulation:
//! any input must give `Ok` or `Err`, never a panic, a hang or an abort.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watchsim::engine::{CellPlan, Collect, EngineConfig, simulate};
use watchsim::experiment::Study;
use watchsim::incidents::IncidentFactory;
use watchsim::scenario::{IncidentSource, Scenario};
use watchsim::schedule;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scenario = match Scenario::from_toml(text, "fuzz.toml") {
        Ok(s) => s,
        Err(errors) => {
            // Every error must render.
            let _ = errors.to_string();
            return;
        }
    };
    // Compiling is linear in the horizon; keep each input cheap.
    if scenario.experiment.days > 120.0 {
        return;
    }
    let synthetic = matches!(scenario.incidents.source, IncidentSource::Synthetic { .. });
    let n = scenario.agencies.len();
    let config = EngineConfig::new(&scenario);
    let counts = [1, n.div_ceil(2), n];
    for spec in &scenario.schedules {
        for &k in &counts {
            let coverage = schedule::compile(&scenario, spec, k);
            let _ = coverage.intervals(k);
            let plan = CellPlan::new(&config, coverage, k);
            // A short simulation when the stream is small.
            if let IncidentSource::Synthetic { rate } = scenario.incidents.source
                && rate * scenario.experiment.horizon() < 5_000.0
                && let Ok(factory) = IncidentFactory::new(&scenario)
            {
                let incidents = factory.generate(0);
                let mut sink = Collect::default();
                simulate(&config, &plan, &incidents, &mut sink);
                assert_eq!(sink.outcomes.iter().flatten().count(), incidents.len());
            }
        }
    }
    // The study: sweep values applied, every cell of the experiment compiled.
    if synthetic {
        let _ = Study::new(scenario);
    }
});
