//! watchsim: a discrete-event simulator for a multinational, around-the-clock watch
//! shared by several police agencies ("follow-the-sun").
//!
//! A [`Scenario`](scenario::Scenario) describes the roster, the incidents and the rotation
//! schedules; [`schedule::compile`] turns a schedule into exact UTC coverage;
//! [`experiment::Study`] runs every schedule × agency count × replication through the
//! [`engine`] with common random numbers, and [`report`] turns the results into CSV
//! tables, charts and an HTML page.
//!
//! ```
//! use watchsim::scenario::Scenario;
//! use watchsim::schedule;
//!
//! let text = r#"
//! name = "two-desks"
//! [incidents]
//! rate = "10/day"
//! [[agency]]
//! id = "uk"
//! tz = "Europe/London"
//! weight = 1.0
//! [[schedule]]
//! name = "office"
//! kind = "home_hours"
//! "#;
//! let scenario = Scenario::from_toml(text, "two-desks.toml").unwrap();
//! let coverage = schedule::compile(&scenario, &scenario.schedules[0], 1);
//! // Office hours 09:00-17:00 on weekdays: 40 of 168 hours a week.
//! let share = coverage.held_secs(0) / coverage.horizon;
//! assert!((share - 40.0 / 168.0).abs() < 0.01);
//!
//! // Run the experiment (10 replications of 364 days by default) and read the summary
//! // of the first cell: every incident is counted once, as responded, missed or open.
//! let study = watchsim::experiment::Study::new(scenario).unwrap();
//! let results = study.run(false);
//! let all = results[0].stats.all();
//! assert_eq!(all.n, all.responded + all.missed + all.open);
//! ```
#![warn(missing_docs)]

pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod incidents;
pub mod memory;
pub mod optimise;
pub mod report;
pub mod run;
pub mod scenario;
pub mod schedule;
pub mod stats;

pub use error::{Error, Result};
