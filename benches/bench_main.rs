//! watchsim's benchmarks (one binary): `cargo bench`.

use criterion::{Criterion, criterion_group, criterion_main};

fn schedule_compilation(c: &mut Criterion) {
    let text = include_str!("../scenarios/founders-2006.toml");
    let scenario =
        watchsim::scenario::Scenario::from_toml(text, "founders-2006.toml").expect("valid");
    c.bench_function("schedule/compile_year_founders", |b| {
        b.iter(|| {
            for spec in &scenario.schedules {
                std::hint::black_box(watchsim::schedule::compile(
                    &scenario,
                    spec,
                    scenario.agencies.len(),
                ));
            }
        })
    });
}

criterion_group!(benches, schedule_compilation);
criterion_main!(benches);
