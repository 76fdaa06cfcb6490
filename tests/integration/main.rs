//! watchsim's integration tests (one binary).

mod bad_input;
mod common;
mod decisions;
mod engine;
mod experiments;
mod model;
mod nothing_lost;
mod optimise;
mod properties;
mod report;
mod scenarios;
mod schedules;
mod shards;
mod textbook;
mod validation;
mod variants;
mod what_if;
