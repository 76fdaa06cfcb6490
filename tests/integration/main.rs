//! watchsim's integration tests (one binary).

mod engine;
mod experiments;
mod report;
mod scenarios;
mod schedules;
mod shards;
mod textbook;
