//! watchsim's one error type, and its mapping to an exit status.
//!
//! Every fallible function of the library returns [`Error`](enum@Error). The binary prints it and
//! exits with [`Error::exit_status`]: 2 when what the user gave us cannot be used (a
//! scenario, a trace, a command-line value, a report or part folder), 1 when the
//! system would not let us finish (a file that cannot be written, a failed drawing).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::incidents::TraceError;
use crate::report::WriteError;
use crate::scenario::ScenarioErrors;

/// A short, escaped excerpt of text read from a file, for an error message: at most
/// `max` characters, quoted, control characters (terminal escapes) escaped, `…` when
/// cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let cut: String = text.chars().take(max).collect();
    let more = if text.chars().count() > max {
        "…"
    } else {
        ""
    };
    format!("{cut:?}{more}")
}

/// A message that quotes a file's content made safe to print: control characters
/// (terminal escapes) escaped, and cut to `max` characters with `…`.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Exit status for bad input.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Exit status for a failure of the system (disk full, permissions, a chart that
/// cannot be drawn).
pub const EXIT_FAILURE: u8 = 1;

/// What kind of user input was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A command-line value (`--replications 0`, `--shard 5/5`, an unknown schedule).
    Argument,
    /// The environment a batch engine set (Slurm or Kubernetes shard variables).
    Environment,
    /// A report folder that is not ours or not of this scenario, or one whose files
    /// cannot be read back.
    ReportFolder,
    /// The parts of a sharded or interrupted run (missing, damaged, of another run).
    Parts,
}

/// watchsim's error.
#[derive(Debug, Error)]
pub enum Error {
    /// Something the user gave us that cannot be used; the message says what is
    /// wrong and what is accepted.
    #[error("{message}")]
    BadInput {
        /// Which input.
        kind: InputKind,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// Errors in a scenario file, each with its file, line, column and key.
    #[error(transparent)]
    Scenario(#[from] ScenarioErrors),
    /// An error in a recorded incident trace.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A file that could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A file or folder that could not be read or listed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A chart that could not be drawn.
    #[error("cannot draw {chart}: {message}")]
    Chart {
        /// The chart's file name.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// Anything else the system refused (threads, the current folder).
    #[error("{0}")]
    System(String),
}

impl Error {
    /// Bad input of `kind`.
    pub fn bad_input(kind: InputKind, message: impl Into<String>) -> Error {
        Error::BadInput {
            kind,
            message: message.into(),
        }
    }

    /// A bad command-line value.
    pub fn argument(message: impl Into<String>) -> Error {
        Error::bad_input(InputKind::Argument, message)
    }

    /// A report folder that cannot be used.
    pub fn report_folder(message: impl Into<String>) -> Error {
        Error::bad_input(InputKind::ReportFolder, message)
    }

    /// Parts that cannot be merged or resumed.
    pub fn parts(message: impl Into<String>) -> Error {
        Error::bad_input(InputKind::Parts, message)
    }

    /// A file that could not be read.
    pub fn read(path: &Path, source: std::io::Error) -> Error {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Whether the user's input is at fault (rather than the system).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::BadInput { .. } | Error::Scenario(_) | Error::Trace(_)
        )
    }

    /// The exit status: [`EXIT_BAD_INPUT`] for bad input, [`EXIT_FAILURE`] otherwise.
    pub fn exit_status(&self) -> u8 {
        if self.is_bad_input() {
            EXIT_BAD_INPUT
        } else {
            EXIT_FAILURE
        }
    }
}

/// A result with watchsim's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_exits_2_and_system_failures_1() {
        assert_eq!(Error::argument("--threads 0").exit_status(), 2);
        assert_eq!(Error::parts("missing shard").exit_status(), 2);
        let write = WriteError {
            path: "x".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(Error::from(write).exit_status(), 1);
        assert_eq!(Error::System("no threads".into()).exit_status(), 1);
        let scenario = ScenarioErrors(Vec::new());
        assert_eq!(Error::from(scenario).exit_status(), 2);
    }
}
