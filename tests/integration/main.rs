//! watchsim's integration tests (one binary).

mod scenarios;
mod schedules;
