//! What the trace and report targets share: a small scenario and scratch folders.

use std::path::PathBuf;

/// A small scenario of two agencies and two schedules over 14 days; `incidents` is
/// its `[incidents]` source line (`rate = "…"` or `file = "…"`).
pub fn scenario_text(incidents: &str) -> String {
    format!(
        r#"name = "fuzz"

[experiment]
replications = 2
days = 14
start = "2026-01-05"

[incidents]
{incidents}
severity = [
  {{ class = "urgent", share = 0.3 }},
  {{ class = "routine", share = 0.7 }},
]
rest_of_world = 0.5

[watch]
triage = "exp(mean=20m)"

[[agency]]
id = "us"
tz = "America/New_York"
weight = 0.3
desk = {{ open = "08:00", close = "18:00" }}

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
"#
    )
}

/// A scratch folder of this process, emptied.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("watchsim-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}
