//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `watchsim` binary with `args` in folder `cwd`.
pub fn watchsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_watchsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("watchsim runs")
}

/// A fresh, empty scratch folder `<group>/<name>` under cargo's test temp folder.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}
