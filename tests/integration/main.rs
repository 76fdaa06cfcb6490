//! watchsim's integration tests (one binary).

mod engine;
mod scenarios;
mod schedules;
mod textbook;
