//! Checks a parsed scenario file and builds the [`Scenario`] from it.
//!
//! Each table has its own file; this one holds the [`Validator`] with the checks they
//! share (time zones, agency references, shares) and puts the tables together in the
//! order in which they depend on one another: agencies, incidents, schedules, the
//! experiment, outages, the sweep. Every problem is recorded with its place and the
//! walk carries on, so that a file's errors are listed together.

mod agencies;
mod decision;
mod experiment;
mod incidents;
mod schedules;
mod sweep;

use std::ops::Range;
use std::str::FromStr;

use chrono_tz::Tz;
use toml::Spanned;

use super::error::{Source, hint};
use super::raw::{RawReferral, RawScenario, RawWatch};
use super::units::Dist;

/// The longest name (of a schedule, class or agency) a scenario may use, in characters.
pub const MAX_NAME_CHARS: usize = 200;
use super::{
    Desk, DetectScaling, Discipline, InProgress, IncidentSource, MAX_AGENCIES, MAX_INCIDENTS,
    Referral, Route, Scenario, ScenarioError, ScenarioErrors, ScheduleSpec, Watch, content_hash,
    did_you_mean,
};

/// Validates a parsed scenario file: the scenario, or every problem found in it.
pub(super) fn validate(raw: RawScenario, source: &Source<'_>) -> Result<Scenario, ScenarioErrors> {
    let mut v = Validator {
        source,
        errors: Vec::new(),
    };
    let scenario = v.scenario(raw);
    match (scenario, v.errors.is_empty()) {
        (Some(s), true) => Ok(s),
        _ => Err(ScenarioErrors(v.errors)),
    }
}

/// Adds "did you mean" to serde's unknown-field and unknown-variant messages, and says
/// in words what serde says in Rust type names.
pub(super) fn polish_toml_message(message: &str) -> String {
    let message = message.trim_end();
    for prefix in ["unknown field `", "unknown variant `"] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some((word, tail)) = rest.split_once('`') else {
            continue;
        };
        // serde quotes names in backticks; the suggestion does too.
        let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let mut text = message.to_string();
        if let Some(best) = did_you_mean(word, candidates.iter().copied()) {
            text.push_str(&format!("; did you mean `{best}`?"));
        }
        return text;
    }
    // Rust type names mean nothing to a planner.
    let mut text = message
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
        .replace("expected u64", "expected a whole number of 0 or more");
    if text == "duplicate key" {
        text.push_str("; expected each key and each [table] once");
    }
    text
}

/// `[referral]`: every stage instantaneous unless given.
fn referral(raw: RawReferral) -> Referral {
    Referral {
        domestic: raw.domestic.unwrap_or(Dist::Const(0.0)),
        international: raw.international.unwrap_or(Dist::Const(0.0)),
        non_member_police: raw.non_member_police.unwrap_or(Dist::Const(0.0)),
    }
}

/// Walks a parsed scenario file, collecting its problems.
struct Validator<'a> {
    source: &'a Source<'a>,
    errors: Vec<ScenarioError>,
}

impl Validator<'_> {
    /// Records a problem at `span` under `key` (the table is worked out from the span).
    fn err(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        let e = self.source.error(Some(span), Some(key), message.into());
        self.errors.push(e);
    }

    /// Checks a name that reaches terminals, CSV files and reports (a schedule, class
    /// or agency name or id): at most [`MAX_NAME_CHARS`] characters, no control
    /// characters (terminal escapes), and not starting with `=`, `+`, `-` or `@`
    /// (spreadsheets read those as formulas). Returns whether it passed.
    fn safe_name(&mut self, span: Range<usize>, key: &str, what: &str, name: &str) -> bool {
        let problem = if name.chars().count() > MAX_NAME_CHARS {
            format!("is {} characters long", name.chars().count())
        } else if let Some(c) = name.chars().find(|c| c.is_control()) {
            format!("holds the control character {c:?}")
        } else if let Some(c) = name.chars().next().filter(|c| "=+-@".contains(*c)) {
            format!("starts with '{c}', which spreadsheets read as a formula")
        } else {
            return true;
        };
        // A short, escaped excerpt: the name may be long or hold escapes.
        let excerpt: String = name.chars().take(40).collect();
        let more = if name.chars().count() > 40 { "…" } else { "" };
        self.err(
            span,
            key,
            format!(
                "the {what} {excerpt:?}{more} {problem}; expected at most {MAX_NAME_CHARS} characters, \
                 no control characters, and no '=', '+', '-' or '@' first"
            ),
        );
        false
    }

    /// The whole scenario, tables in dependency order.
    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        let name = self.name(&raw.name);
        // Agencies first: schedules and the experiment refer to them.
        let ids = self.roster(&raw.agencies);

        // Where to point when the weights do not sum to 1: rest_of_world, or the last
        // agency's weight when there is no rest_of_world.
        let weights_at = match &raw.incidents.get_ref().rest_of_world {
            Some(r) => Some((r.span(), "rest_of_world")),
            None => raw
                .agencies
                .last()
                .map(|a| (a.get_ref().weight.span(), "weight")),
        };
        let rate_at = raw.incidents.get_ref().rate.as_ref().map(Spanned::span);
        let incidents = self.incidents(raw.incidents, &raw.watch)?;
        let class_names: Vec<String> = incidents.classes.iter().map(|c| c.name.clone()).collect();
        let agencies: Vec<_> = raw
            .agencies
            .into_iter()
            .map(|a| self.agency(a.into_inner(), &class_names))
            .collect();

        let weights: f64 = agencies.iter().map(|a| a.weight).sum::<f64>() + incidents.rest_of_world;
        if (weights - 1.0).abs() > 1e-6
            && matches!(incidents.source, IncidentSource::Synthetic { .. })
        {
            let (span, key) = weights_at.unwrap_or((0..0, "weight"));
            self.err(
                span,
                key,
                format!(
                    "the agencies' weights and [incidents] rest_of_world sum to {weights:.6}; expected them to sum to 1"
                ),
            );
        }

        let schedules = self.schedules(raw.schedules, &ids);
        let experiment = self.experiment(raw.experiment, agencies.len(), &schedules)?;
        if let (IncidentSource::Synthetic { rate }, Some(span)) = (&incidents.source, rate_at) {
            let expected = rate * experiment.horizon();
            if expected > MAX_INCIDENTS {
                self.err(
                    span,
                    "rate",
                    format!(
                        "{expected:.3e} incidents per replication are too many; expected at most {MAX_INCIDENTS:.0e} (a lower rate or fewer days)"
                    ),
                );
            }
        }
        // Outages need the experiment's start date.
        let schedules = schedules
            .into_iter()
            .map(|(spec, outages)| {
                let outages = outages
                    .into_iter()
                    .map(|o| self.outage(o, &ids, experiment.start_utc()))
                    .collect();
                ScheduleSpec { outages, ..spec }
            })
            .collect();

        let decision = self.decision(raw.decision, &experiment.sla);
        let trace = matches!(incidents.source, IncidentSource::Trace { .. });
        let desks: Vec<sweep::DeskFacts> = agencies
            .iter()
            .map(|a| match &a.desk {
                Desk::Always => sweep::DeskFacts {
                    callout: false,
                    open: None,
                },
                Desk::Hours { callout, open, .. } => sweep::DeskFacts {
                    callout: callout.is_some(),
                    open: Some(*open),
                },
            })
            .collect();
        let horizon = experiment.horizon();
        let sweep = raw
            .sweep
            .map(|s| self.sweep(s, &ids, trace, &desks, horizon));
        Some(Scenario {
            name,
            description: raw.description,
            path: None,
            hash: content_hash(self.source.text),
            experiment,
            incidents,
            watch: self.watch(raw.watch),
            referral: referral(raw.referral),
            agencies,
            schedules,
            sweep: sweep.flatten(),
            decision,
            variants: Vec::new(),
            optimise: None,
            sensitivity: Vec::new(),
        })
    }

    /// The scenario's name, which becomes a report folder.
    fn name(&mut self, raw: &Spanned<String>) -> String {
        let name = raw.get_ref().trim().to_string();
        if name.is_empty()
            || name.chars().all(|c| c == '.')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            self.err(
                raw.span(),
                "name",
                format!(
                    "\"{name}\" cannot name a report folder; expected letters, digits, '-', '_' or '.'"
                ),
            );
        }
        name
    }

    /// A time zone of the IANA database (UTC, after an error).
    fn tz(&mut self, name: &Spanned<String>, key: &str) -> Tz {
        match Tz::from_str(name.get_ref()) {
            Ok(tz) => tz,
            Err(_) => {
                let hint = hint(
                    name.get_ref(),
                    chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()),
                );
                self.err(
                    name.span(),
                    key,
                    format!(
                        "\"{}\" is not a time zone of the IANA tz database; expected a name such as \"Europe/London\" or \"America/New_York\"{hint}",
                        name.get_ref()
                    ),
                );
                Tz::UTC
            }
        }
    }

    /// The roster index of an agency named by its id (0, after an error).
    fn agency_ref(&mut self, id: &Spanned<String>, ids: &[String], key: &str) -> usize {
        match ids.iter().position(|a| a == id.get_ref()) {
            Some(i) => i,
            None => {
                let hint = hint(id.get_ref(), ids.iter().map(String::as_str));
                self.err(
                    id.span(),
                    key,
                    format!(
                        "\"{}\" is not an agency of this scenario; expected one of: {}{hint}",
                        id.get_ref(),
                        ids.join(", ")
                    ),
                );
                0
            }
        }
    }

    /// `[watch]` beyond the class defaults (`detect`, `triage`), which go to the classes.
    fn watch(&mut self, raw: RawWatch) -> Watch {
        let detect_scaling = raw.detect_scaling.unwrap_or(DetectScaling::None);
        let detect_cap = match &raw.detect_cap {
            None => u32::MAX,
            Some(c) if detect_scaling != DetectScaling::PerWatcher => {
                self.err(
                    c.span(),
                    "detect_cap",
                    "detect_cap applies only to detect_scaling = \"per_watcher\"; expected detect_scaling = \"per_watcher\" as well, or no detect_cap",
                );
                u32::MAX
            }
            Some(c) if (1..=MAX_AGENCIES as i64).contains(c.get_ref()) => *c.get_ref() as u32,
            Some(c) => {
                self.err(
                    c.span(),
                    "detect_cap",
                    format!(
                        "a cap of {} watchers is not allowed; expected a whole number from 1 to {MAX_AGENCIES}",
                        c.get_ref()
                    ),
                );
                u32::MAX
            }
        };
        Watch {
            handoff: raw.handoff.unwrap_or(Dist::Const(0.0)),
            discipline: raw.discipline.unwrap_or(Discipline::Priority),
            preemptive: raw.preemptive.unwrap_or(false),
            in_progress: raw.in_progress_at_handoff.unwrap_or(InProgress::Finish),
            detect_scaling,
            detect_cap,
            route: raw.route.unwrap_or(Route::First),
            desk_open_on_watch: raw.desk_open_on_watch.unwrap_or(true),
        }
    }

    /// A finite number of 0 or more (0, after an error).
    fn finite_non_negative(&mut self, value: &Spanned<f64>, key: &str) -> f64 {
        let v = *value.get_ref();
        if !v.is_finite() || v < 0.0 {
            self.err(
                value.span(),
                key,
                format!("{v} is not allowed; expected a number of 0 or more"),
            );
            return 0.0;
        }
        v
    }
}
