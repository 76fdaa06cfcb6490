//! watchsim's integration tests (one binary).

mod engine;
mod experiments;
mod properties;
mod report;
mod scenarios;
mod schedules;
mod shards;
mod textbook;
mod validation;
