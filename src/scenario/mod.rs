//! The scenario: what is simulated, read from a TOML file and checked.
//!
//! [`Scenario::from_toml`] parses and validates in one go; every problem comes back as a
//! [`ScenarioError`] naming the file, line, column and key, what was wrong and what is
//! accepted.

mod error;
mod raw;
pub mod units;

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use toml::Spanned;

use error::Source;
pub use error::{ScenarioError, ScenarioErrors, did_you_mean};
pub use raw::{Anchor, Discipline, Fallback, InProgress, Kind};
use raw::{RawDesk, RawProfile, RawScenario};
use units::{DAY, Dist, Rate, TimeOfDay, Weekdays};

/// The most agencies a roster may hold (the engine keeps the watch as a 64-bit set).
pub const MAX_AGENCIES: usize = 64;

/// The most incidents a synthetic replication may expect (rate × horizon), so that a
/// mistyped rate is an error rather than a run that never ends.
pub const MAX_INCIDENTS: f64 = 1e8;

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name, used for the report folder.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// The file it came from (for traces named relative to it), if any.
    pub path: Option<PathBuf>,
    /// A hash of the scenario text: results of different scenarios are never mixed.
    pub hash: String,
    /// Seeds, horizon, replications, the cells to run.
    pub experiment: Experiment,
    /// How incidents arrive and what they are like.
    pub incidents: Incidents,
    /// The watch desks' stage distributions and rules.
    pub watch: Watch,
    /// Referral transit and non-member police.
    pub referral: Referral,
    /// The roster, in order.
    pub agencies: Vec<Agency>,
    /// The rotation schedules.
    pub schedules: Vec<ScheduleSpec>,
    /// An optional parameter sweep.
    pub sweep: Option<Sweep>,
}

/// `[experiment]`.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Master seed; each replication derives its own streams from it.
    pub seed: u64,
    /// Independent replications per cell.
    pub replications: u32,
    /// Horizon length in days.
    pub days: f64,
    /// Warm-up in seconds: incidents signalled earlier are simulated but not counted.
    pub warmup: f64,
    /// Start of the horizon (midnight UTC of this date).
    pub start: NaiveDate,
    /// Agency counts to sweep (the first k of the roster).
    pub agency_counts: Vec<usize>,
    /// Indices into [`Scenario::schedules`] to run.
    pub schedules: Vec<usize>,
    /// SLA thresholds in seconds.
    pub sla: Vec<f64>,
}

impl Experiment {
    /// The horizon in seconds.
    pub fn horizon(&self) -> f64 {
        self.days * DAY
    }

    /// The start of the horizon as a UTC instant.
    pub fn start_utc(&self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.start.and_hms_opt(0, 0, 0).expect("midnight exists"))
    }
}

/// Where incidents come from.
#[derive(Debug, Clone)]
pub enum IncidentSource {
    /// Non-homogeneous Poisson arrivals at this mean rate (per second).
    Synthetic {
        /// Mean total rate, per second.
        rate: f64,
    },
    /// A recorded trace (CSV).
    Trace {
        /// The trace file, resolved against the scenario's folder.
        path: PathBuf,
    },
}

/// `[incidents]`.
#[derive(Debug, Clone)]
pub struct Incidents {
    /// Synthetic or recorded.
    pub source: IncidentSource,
    /// Relative rate by local hour, normalised to mean 1.
    pub profile: [f64; 24],
    /// Relative rate by local weekday (Mon..Sun), normalised to mean 1.
    pub weekday: [f64; 7],
    /// Severity classes in priority order.
    pub classes: Vec<SeverityClass>,
    /// Share of incidents owned by no roster country.
    pub rest_of_world: f64,
}

/// A severity class with its own stage distributions.
#[derive(Debug, Clone)]
pub struct SeverityClass {
    /// Name, e.g. `urgent`.
    pub name: String,
    /// Share of incidents.
    pub share: f64,
    /// How long the signal stays detectable.
    pub visibility: Dist,
    /// Detection effort (watch-held time needed).
    pub detect: Dist,
    /// Triage work.
    pub triage: Dist,
}

/// `[watch]`.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Delay paid by every case that passes from one desk to another.
    pub handoff: Dist,
    /// Queue order.
    pub discipline: Discipline,
    /// Whether a more severe case interrupts a less severe one in triage.
    pub preemptive: bool,
    /// What happens to cases in triage at a handoff.
    pub in_progress: InProgress,
}

/// `[referral]`.
#[derive(Debug, Clone)]
pub struct Referral {
    /// Transit when the triaging member is itself responsible.
    pub domestic: Dist,
    /// Transit through the international channel to a non-member.
    pub international: Dist,
    /// A non-member's police response.
    pub non_member_police: Dist,
}

/// One roster agency.
#[derive(Debug, Clone)]
pub struct Agency {
    /// Short id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Time zone.
    pub tz: Tz,
    /// Share of incidents it is responsible for.
    pub weight: f64,
    /// Analysts on its desk while it holds the watch.
    pub watch_staff: u32,
    /// Its referral desk.
    pub desk: Desk,
    /// Cross-border transit of a referral to it.
    pub referral_in: Dist,
    /// Its local police response.
    pub police: Dist,
}

/// A referral desk.
#[derive(Debug, Clone)]
pub enum Desk {
    /// Always open.
    Always,
    /// Open on some days between two local times.
    Hours {
        /// Opening time.
        open: TimeOfDay,
        /// Closing time (after `open`).
        close: TimeOfDay,
        /// Days it opens.
        days: Weekdays,
        /// After-hours call-out delay, if any.
        callout: Option<Dist>,
        /// Classes that get a call-out (bit i = class i).
        callout_for: u64,
    },
}

/// One rotation schedule as configured.
#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    /// Unique name.
    pub name: String,
    /// The kind and its parameters.
    pub rule: Rule,
    /// Dated outages.
    pub outages: Vec<Outage>,
}

/// A schedule kind with its parameters.
#[derive(Debug, Clone)]
pub enum Rule {
    /// Tile the day around each member's local midday.
    FollowTheSun {
        /// Local or UTC handoffs.
        anchor: Anchor,
    },
    /// Each member in turn for `period` seconds, handing off at `handoff_at` in `tz`.
    RoundRobin {
        /// Seconds each member holds the watch.
        period: f64,
        /// Handoff time of day.
        handoff_at: TimeOfDay,
        /// Time zone of the handoff time.
        tz: Tz,
    },
    /// Explicit blocks.
    Blocks(Vec<Block>),
    /// Each member's own office hours.
    HomeHours {
        /// Start of the working day.
        open: TimeOfDay,
        /// End of the working day.
        close: TimeOfDay,
        /// Working days.
        days: Weekdays,
    },
    /// Every member 24/7.
    Always,
}

impl Rule {
    /// The kind of rule.
    pub fn kind(&self) -> Kind {
        match self {
            Rule::FollowTheSun { .. } => Kind::FollowTheSun,
            Rule::RoundRobin { .. } => Kind::RoundRobin,
            Rule::Blocks(_) => Kind::Blocks,
            Rule::HomeHours { .. } => Kind::HomeHours,
            Rule::Always => Kind::Always,
        }
    }
}

/// A block of a `blocks` schedule.
#[derive(Debug, Clone)]
pub struct Block {
    /// Roster index of the member.
    pub agency: usize,
    /// Start time.
    pub from: TimeOfDay,
    /// End time; at or before `from` means the block wraps midnight.
    pub to: TimeOfDay,
    /// Zone of the times.
    pub tz: Tz,
    /// Days on which the block starts.
    pub days: Weekdays,
}

/// A member out of the watch for a while.
#[derive(Debug, Clone)]
pub struct Outage {
    /// Roster index.
    pub agency: usize,
    /// Start, seconds from the horizon start.
    pub from: f64,
    /// End, seconds from the horizon start.
    pub to: f64,
    /// Who covers.
    pub fallback: Fallback,
}

/// A parameter sweep: the parameter and its values, each a cell of its own.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// What is varied.
    pub parameter: SweepParameter,
    /// The text of the parameter, as written.
    pub name: String,
    /// The values, as written (for labels).
    pub labels: Vec<String>,
    /// The values as numbers (analysts; rate per second; mean in seconds).
    pub values: Vec<f64>,
}

/// What a sweep varies.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepParameter {
    /// Analysts per desk, of every agency or of one.
    WatchStaff(Option<usize>),
    /// The total incident rate.
    Rate,
    /// The mean of a stage distribution (shape kept).
    Mean(Stage),
}

/// A stage whose distribution a sweep can scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Detection effort.
    Detect,
    /// Triage work.
    Triage,
    /// Handoff delay.
    Handoff,
    /// Domestic referral transit.
    Domestic,
    /// Cross-border referral transit (every agency's `referral_in`).
    ReferralIn,
    /// International referral transit.
    International,
    /// Police response (every agency's, and the non-members').
    Police,
    /// Visibility window.
    Visibility,
}

const STAGES: [(&str, Stage); 8] = [
    ("detect", Stage::Detect),
    ("triage", Stage::Triage),
    ("handoff", Stage::Handoff),
    ("domestic", Stage::Domestic),
    ("referral_in", Stage::ReferralIn),
    ("international", Stage::International),
    ("police", Stage::Police),
    ("visibility", Stage::Visibility),
];

/// Named hour-of-day profiles, by local hour 0..23 (normalised on use).
pub const PROFILES: [(&str, [f64; 24]); 4] = [
    ("flat", [1.0; 24]),
    // Offenders online after school and work: low at dawn, peak 19:00-23:00.
    (
        "evening",
        [
            0.8, 0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0, 1.1, 1.3,
            1.5, 1.8, 2.1, 2.3, 2.3, 2.0, 1.4,
        ],
    ),
    // Activity that follows the working day.
    (
        "office",
        [
            0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.9, 1.6, 2.0, 2.1, 2.1, 1.8, 2.0, 2.1, 2.0, 1.8,
            1.3, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2,
        ],
    ),
    // Late-night peak.
    (
        "night",
        [
            2.0, 2.2, 2.0, 1.6, 1.1, 0.7, 0.4, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.6, 0.7, 0.7, 0.8,
            0.9, 1.0, 1.1, 1.3, 1.5, 1.7, 1.9,
        ],
    ),
];

/// The default study, built into the binary so that `watchsim run` works anywhere:
/// the growing roster of `scenarios/growing-roster.toml`.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/growing-roster.toml");

/// How errors and reports name the built-in default study.
pub const DEFAULT_SCENARIO_NAME: &str = "(built-in default scenario)";

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ScenarioErrors(vec![ScenarioError {
                path: shown.clone(),
                line: 0,
                column: 0,
                key: String::new(),
                message: format!("cannot read the scenario file: {e}"),
                snippet: None,
            }])
        })?;
        let mut scenario = Scenario::from_toml(&text, &shown)?;
        scenario.path = Some(path.to_path_buf());
        if let IncidentSource::Trace { path: trace } = &mut scenario.incidents.source
            && trace.is_relative()
        {
            *trace = path.parent().unwrap_or(Path::new(".")).join(&*trace);
        }
        Ok(scenario)
    }

    /// Parses and validates scenario text; `path` only labels the errors.
    pub fn from_toml(text: &str, path: &str) -> Result<Scenario, ScenarioErrors> {
        let source = Source { path, text };
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            ScenarioErrors(vec![source.error(
                e.span(),
                None,
                polish_toml_message(e.message()),
            )])
        })?;
        let mut v = Validator {
            source: &source,
            errors: Vec::new(),
        };
        let scenario = v.scenario(raw, text);
        match (scenario, v.errors.is_empty()) {
            (Some(s), true) => Ok(s),
            _ => Err(ScenarioErrors(v.errors)),
        }
    }

    /// The roster index of an agency id.
    pub fn agency_index(&self, id: &str) -> Option<usize> {
        self.agencies.iter().position(|a| a.id == id)
    }
}

/// Adds "did you mean" to serde's unknown-field and unknown-variant messages.
fn polish_toml_message(message: &str) -> String {
    let message = message.trim_end();
    for prefix in ["unknown field `", "unknown variant `"] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some((word, tail)) = rest.split_once('`') else {
            continue;
        };
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

struct Validator<'a> {
    source: &'a Source<'a>,
    errors: Vec<ScenarioError>,
}

impl Validator<'_> {
    fn err(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        let e = self.source.error(Some(span), Some(key), message.into());
        self.errors.push(e);
    }

    fn tz(&mut self, name: &Spanned<String>, key: &str) -> Tz {
        match Tz::from_str(name.get_ref()) {
            Ok(tz) => tz,
            Err(_) => {
                let hint = did_you_mean(
                    name.get_ref(),
                    chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()),
                )
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
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

    fn agency_ref(&mut self, id: &Spanned<String>, ids: &[String], key: &str) -> usize {
        match ids.iter().position(|a| a == id.get_ref()) {
            Some(i) => i,
            None => {
                let hint = did_you_mean(id.get_ref(), ids.iter().map(String::as_str))
                    .map(|s| format!("; did you mean \"{s}\"?"))
                    .unwrap_or_default();
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

    fn scenario(&mut self, raw: RawScenario, text: &str) -> Option<Scenario> {
        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty()
            || name.chars().all(|c| c == '.')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            self.err(
                raw.name.span(),
                "name",
                format!(
                    "\"{name}\" cannot name a report folder; expected letters, digits, '-', '_' or '.'"
                ),
            );
        }

        // Agencies first: schedules and the experiment refer to them.
        let mut ids: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for a in &raw.agencies {
            let id = a.get_ref().id.get_ref().clone();
            if !seen.insert(id.clone()) {
                self.err(
                    a.get_ref().id.span(),
                    "id",
                    format!("the agency id \"{id}\" is used twice; expected each id once"),
                );
            } else if id.is_empty()
                || id == "rest_of_world"
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                self.err(
                    a.get_ref().id.span(),
                    "id",
                    format!(
                        "\"{id}\" cannot be an agency id; expected letters, digits, '-' or '_' (and not \"rest_of_world\"), e.g. \"uk\""
                    ),
                );
            }
            ids.push(id);
        }
        if raw.agencies.is_empty() {
            self.err(
                0..0,
                "[[agency]]",
                "the scenario has no agencies; expected at least one [[agency]] table",
            );
        }
        if raw.agencies.len() > MAX_AGENCIES {
            self.err(
                raw.agencies[MAX_AGENCIES].span(),
                "[[agency]]",
                format!("too many agencies; at most {MAX_AGENCIES} are supported"),
            );
        }

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
        let agencies: Vec<Agency> = raw
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

        let trace = matches!(incidents.source, IncidentSource::Trace { .. });
        let sweep = raw.sweep.map(|s| self.sweep(s, &ids, trace));
        let watch = Watch {
            handoff: raw.watch.handoff.unwrap_or(Dist::Const(0.0)),
            discipline: raw.watch.discipline.unwrap_or(Discipline::Priority),
            preemptive: raw.watch.preemptive.unwrap_or(false),
            in_progress: raw
                .watch
                .in_progress_at_handoff
                .unwrap_or(InProgress::Finish),
        };
        let referral = Referral {
            domestic: raw.referral.domestic.unwrap_or(Dist::Const(0.0)),
            international: raw.referral.international.unwrap_or(Dist::Const(0.0)),
            non_member_police: raw.referral.non_member_police.unwrap_or(Dist::Const(0.0)),
        };
        Some(Scenario {
            name,
            description: raw.description,
            path: None,
            hash: content_hash(text),
            experiment,
            incidents,
            watch,
            referral,
            agencies,
            schedules,
            sweep: sweep.flatten(),
        })
    }

    fn incidents(
        &mut self,
        raw: Spanned<raw::RawIncidents>,
        watch: &raw::RawWatch,
    ) -> Option<Incidents> {
        let span = raw.span();
        let raw = raw.into_inner();
        let source = match (&raw.rate, &raw.file) {
            (Some(rate), None) => IncidentSource::Synthetic {
                rate: rate.get_ref().per_sec(),
            },
            (None, Some(file)) => IncidentSource::Trace {
                path: PathBuf::from(file.get_ref()),
            },
            (Some(rate), Some(_)) => {
                self.err(
                    rate.span(),
                    "rate",
                    "both rate and file are set; expected either a synthetic rate or a recorded trace file",
                );
                return None;
            }
            (None, None) => {
                self.err(
                    span,
                    "[incidents]",
                    "no incidents: expected rate = \"40/day\" (synthetic arrivals) or file = \"trace.csv\" (a recorded trace)",
                );
                return None;
            }
        };
        let mut profile = [1.0; 24];
        if let Some(p) = &raw.profile {
            match p.get_ref() {
                RawProfile::Named(name) => match PROFILES.iter().find(|(n, _)| n == name) {
                    Some((_, weights)) => profile = *weights,
                    None => {
                        let names: Vec<&str> = PROFILES.iter().map(|(n, _)| *n).collect();
                        let hint = did_you_mean(name, names.iter().copied())
                            .map(|s| format!("; did you mean \"{s}\"?"))
                            .unwrap_or_default();
                        self.err(
                            p.span(),
                            "profile",
                            format!(
                                "\"{name}\" is not a known profile; expected one of {} or a list of 24 weights by local hour{hint}",
                                names.join(", ")
                            ),
                        );
                    }
                },
                RawProfile::Weights(w) => {
                    if let Some(weights) = self.weights(w, 24, p.span(), "profile") {
                        profile.copy_from_slice(&weights);
                    }
                }
            }
        }
        normalise(&mut profile);
        let mut weekday = [1.0; 7];
        if let Some(w) = &raw.weekday
            && let Some(weights) = self.weights(w.get_ref(), 7, w.span(), "weekday")
        {
            weekday.copy_from_slice(&weights);
        }
        normalise(&mut weekday);

        let visibility = raw.visibility.unwrap_or(Dist::Never);
        let detect = watch.detect.unwrap_or(Dist::Const(0.0));
        let triage = watch.triage.unwrap_or(Dist::Const(0.0));
        let mut classes = Vec::new();
        match &raw.severity {
            None => classes.push(SeverityClass {
                name: "standard".into(),
                share: 1.0,
                visibility,
                detect,
                triage,
            }),
            Some(list) => {
                let mut names = HashSet::new();
                for c in list.get_ref() {
                    let c = c.get_ref();
                    let name = c.class.get_ref().trim().to_string();
                    if name.is_empty() || name == "all" || !names.insert(name.clone()) {
                        self.err(
                            c.class.span(),
                            "severity.class",
                            format!(
                                "the class name \"{name}\" is empty, reserved (\"all\") or used twice; expected a unique name"
                            ),
                        );
                    }
                    let share = self.finite_non_negative(&c.share, "severity.share");
                    classes.push(SeverityClass {
                        name,
                        share,
                        visibility: c.visibility.unwrap_or(visibility),
                        detect: c.detect.unwrap_or(detect),
                        triage: c.triage.unwrap_or(triage),
                    });
                }
                let total: f64 = classes.iter().map(|c| c.share).sum();
                if classes.is_empty() {
                    self.err(
                        list.span(),
                        "severity",
                        "no classes; expected at least one { class = ..., share = ... }",
                    );
                } else if (total - 1.0).abs() > 1e-6 {
                    self.err(
                        list.span(),
                        "severity",
                        format!("the shares sum to {total:.6}; expected them to sum to 1"),
                    );
                }
                if classes.len() > 64 {
                    self.err(list.span(), "severity", "too many classes; at most 64");
                }
            }
        }
        let rest_of_world = match &raw.rest_of_world {
            Some(r) => {
                let v = self.finite_non_negative(r, "rest_of_world");
                if v > 1.0 {
                    self.err(
                        r.span(),
                        "rest_of_world",
                        format!("{v} is a share above 1; expected 0 to 1"),
                    );
                }
                v
            }
            None => 0.0,
        };
        Some(Incidents {
            source,
            profile,
            weekday,
            classes,
            rest_of_world,
        })
    }

    fn weights(
        &mut self,
        w: &[f64],
        len: usize,
        span: Range<usize>,
        key: &str,
    ) -> Option<Vec<f64>> {
        if w.len() != len
            || w.iter().any(|x| !x.is_finite() || *x < 0.0)
            || w.iter().all(|x| *x == 0.0)
        {
            self.err(
                span,
                key,
                format!(
                    "expected {len} finite weights of 0 or more, not all zero (got {} values)",
                    w.len()
                ),
            );
            return None;
        }
        Some(w.to_vec())
    }

    fn agency(&mut self, a: raw::RawAgency, classes: &[String]) -> Agency {
        let tz = self.tz(&a.tz, "tz");
        let weight = self.finite_non_negative(&a.weight, "weight");
        let watch_staff = match &a.watch_staff {
            None => 1,
            Some(s) if (1..=10_000).contains(s.get_ref()) => *s.get_ref() as u32,
            Some(s) => {
                self.err(
                    s.span(),
                    "watch_staff",
                    format!(
                        "{} analysts is not allowed; expected a whole number from 1 to 10000",
                        s.get_ref()
                    ),
                );
                1
            }
        };
        let desk = match a.desk {
            None => Desk::Always,
            Some(d) => {
                let span = d.span();
                match d.into_inner() {
                    RawDesk::Always(s) if s == "24/7" => Desk::Always,
                    RawDesk::Always(s) => {
                        self.err(
                            span,
                            "desk",
                            format!("\"{s}\" is not a desk; expected \"24/7\" or {{ open = \"08:00\", close = \"18:00\", days = \"Mon-Fri\" }}"),
                        );
                        Desk::Always
                    }
                    RawDesk::Hours(h) => {
                        if h.close.get_ref() <= h.open.get_ref() {
                            self.err(
                                h.close.span(),
                                "desk.close",
                                format!(
                                    "the desk closes at {} but opens at {}; expected a closing time after the opening time on the same day (use \"24:00\" for midnight, or desk = \"24/7\")",
                                    h.close.get_ref(),
                                    h.open.get_ref()
                                ),
                            );
                        }
                        let mut callout_for = 0u64;
                        match &h.callout_for {
                            None => callout_for = if h.callout.is_some() { u64::MAX } else { 0 },
                            Some(list) => {
                                for c in list {
                                    match classes.iter().position(|n| n == c.get_ref()) {
                                        Some(i) => callout_for |= 1 << i,
                                        None => {
                                            let hint = did_you_mean(
                                                c.get_ref(),
                                                classes.iter().map(String::as_str),
                                            )
                                            .map(|s| format!("; did you mean \"{s}\"?"))
                                            .unwrap_or_default();
                                            self.err(
                                                c.span(),
                                                "desk.callout_for",
                                                format!(
                                                    "\"{}\" is not a severity class; expected one of: {}{hint}",
                                                    c.get_ref(),
                                                    classes.join(", ")
                                                ),
                                            );
                                        }
                                    }
                                }
                                if h.callout.is_none() && !list.is_empty() {
                                    self.err(
                                        span,
                                        "desk.callout_for",
                                        "callout_for is set but there is no callout delay; expected callout = \"...\" as well",
                                    );
                                }
                            }
                        }
                        Desk::Hours {
                            open: *h.open.get_ref(),
                            close: *h.close.get_ref(),
                            days: h.days.unwrap_or(Weekdays(0b0011111)),
                            callout: h.callout,
                            callout_for,
                        }
                    }
                }
            }
        };
        let id = a.id.into_inner();
        Agency {
            name: a.name.unwrap_or_else(|| id.clone()),
            id,
            tz,
            weight,
            watch_staff,
            desk,
            referral_in: a.referral_in.unwrap_or(Dist::Const(0.0)),
            police: a.police.unwrap_or(Dist::Const(0.0)),
        }
    }

    /// Schedules without their outages, which need the experiment's start date.
    fn schedules(
        &mut self,
        raw: Vec<Spanned<raw::RawSchedule>>,
        ids: &[String],
    ) -> Vec<(ScheduleSpec, Vec<Spanned<raw::RawOutage>>)> {
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for s in raw {
            let s = s.into_inner();
            let name = s.name.get_ref().trim().to_string();
            if name.is_empty() || name.contains(',') || !names.insert(name.clone()) {
                self.err(
                    s.name.span(),
                    "name",
                    format!("the schedule name \"{name}\" is empty, has a comma or is used twice; expected a unique name"),
                );
            }
            let kind = *s.kind.get_ref();
            // Keys that only some kinds use are errors elsewhere, so a typo in the kind
            // is not silently ignored.
            let allowed: &[&str] = match kind {
                Kind::FollowTheSun => &["anchor"],
                Kind::RoundRobin => &["period", "handoff_at", "tz"],
                Kind::Blocks => &["blocks"],
                Kind::HomeHours => &["open", "close", "days"],
                Kind::Always => &[],
            };
            let present: [(&str, Option<Range<usize>>); 7] = [
                ("anchor", s.anchor.as_ref().map(Spanned::span)),
                ("period", s.period.as_ref().map(Spanned::span)),
                ("handoff_at", s.handoff_at.as_ref().map(Spanned::span)),
                ("tz", s.tz.as_ref().map(Spanned::span)),
                ("blocks", s.blocks.as_ref().map(Spanned::span)),
                ("open", s.open.as_ref().map(Spanned::span)),
                ("close", s.close.as_ref().map(Spanned::span)),
            ];
            for (key, span) in present {
                if let Some(span) = span
                    && !allowed.contains(&key)
                {
                    self.err(
                        span,
                        key,
                        format!(
                            "`{key}` does not apply to a {kind:?} schedule; its keys are: name, kind, outages{}",
                            allowed.iter().map(|k| format!(", {k}")).collect::<String>()
                        ),
                    );
                }
            }
            let rule = match kind {
                Kind::FollowTheSun => Rule::FollowTheSun {
                    anchor: s.anchor.map_or(Anchor::Local, |a| *a.get_ref()),
                },
                Kind::RoundRobin => {
                    let period = match &s.period {
                        Some(p) if p.get_ref().secs() >= 60.0 => p.get_ref().secs(),
                        Some(p) => {
                            self.err(p.span(), "period", format!("a period of {} is too short; expected at least 1m, e.g. \"1d\" or \"7d\"", p.get_ref()));
                            DAY
                        }
                        None => DAY,
                    };
                    Rule::RoundRobin {
                        period,
                        handoff_at: s.handoff_at.map_or(TimeOfDay(0), |h| *h.get_ref()),
                        tz: s.tz.as_ref().map_or(Tz::UTC, |t| self.tz(t, "tz")),
                    }
                }
                Kind::Blocks => {
                    let mut blocks = Vec::new();
                    match &s.blocks {
                        None => self.err(
                            s.kind.span(),
                            "blocks",
                            "a blocks schedule needs blocks = [ { agency = \"uk\", from = \"06:00\", to = \"18:00\", tz = \"UTC\" }, ... ]",
                        ),
                        Some(list) => {
                            for b in list.get_ref() {
                                let b = b.get_ref();
                                let agency = self.agency_ref(&b.agency, ids, "blocks.agency");
                                if b.from.get_ref() == b.to.get_ref()
                                    || (b.from.get_ref().secs() == 86_400)
                                {
                                    self.err(
                                        b.to.span(),
                                        "blocks.to",
                                        "the block is empty or starts at 24:00; expected from before 24:00 and to different from from (to before from wraps midnight)",
                                    );
                                }
                                blocks.push(Block {
                                    agency,
                                    from: *b.from.get_ref(),
                                    to: *b.to.get_ref(),
                                    tz: b.tz.as_ref().map_or(Tz::UTC, |t| self.tz(t, "blocks.tz")),
                                    days: b.days.unwrap_or(Weekdays::ALL),
                                });
                            }
                        }
                    }
                    Rule::Blocks(blocks)
                }
                Kind::HomeHours => {
                    let open = s
                        .open
                        .as_ref()
                        .map_or(TimeOfDay(9 * 3600), |o| *o.get_ref());
                    let close = s
                        .close
                        .as_ref()
                        .map_or(TimeOfDay(17 * 3600), |o| *o.get_ref());
                    if close <= open {
                        let span = s
                            .close
                            .as_ref()
                            .or(s.open.as_ref())
                            .map_or(s.kind.span(), Spanned::span);
                        self.err(span, "close", format!("office hours close at {close} but open at {open}; expected close after open"));
                    }
                    Rule::HomeHours {
                        open,
                        close,
                        days: s
                            .days
                            .as_ref()
                            .map_or(Weekdays(0b0011111), |d| *d.get_ref()),
                    }
                }
                Kind::Always => Rule::Always,
            };
            if kind != Kind::HomeHours
                && let Some(d) = &s.days
            {
                self.err(
                    d.span(),
                    "days",
                    format!("`days` does not apply to a {kind:?} schedule"),
                );
            }
            out.push((
                ScheduleSpec {
                    name,
                    rule,
                    outages: Vec::new(),
                },
                s.outages,
            ));
        }
        out
    }

    fn outage(
        &mut self,
        o: Spanned<raw::RawOutage>,
        ids: &[String],
        start: DateTime<Utc>,
    ) -> Outage {
        let o = o.into_inner();
        let agency = self.agency_ref(&o.agency, ids, "outages.agency");
        let from = self.instant(&o.from, "outages.from", start, false);
        let to = self.instant(&o.to, "outages.to", start, true);
        if to <= from {
            self.err(
                o.to.span(),
                "outages.to",
                "the outage ends before it starts; expected to after from",
            );
        }
        Outage {
            agency,
            from,
            to,
            fallback: o.fallback.unwrap_or(Fallback::Gap),
        }
    }

    /// A date (`2026-03-01`, midnight UTC; as an end, the end of that day) or an RFC 3339
    /// instant, in seconds from the horizon start.
    fn instant(
        &mut self,
        text: &Spanned<String>,
        key: &str,
        start: DateTime<Utc>,
        end_of_day: bool,
    ) -> f64 {
        let s = text.get_ref().trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let day = if end_of_day {
                d.succ_opt().unwrap_or(d)
            } else {
                d
            };
            let t = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"));
            return (t - start).num_seconds() as f64;
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return (t.with_timezone(&Utc) - start).num_seconds() as f64;
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
            return (Utc.from_utc_datetime(&t) - start).num_seconds() as f64;
        }
        self.err(
            text.span(),
            key,
            format!("\"{s}\" is not a date or time; expected \"2026-03-01\" (a whole day, UTC) or \"2026-03-01T06:00:00Z\""),
        );
        0.0
    }

    fn experiment(
        &mut self,
        e: raw::RawExperiment,
        roster: usize,
        schedules: &[(ScheduleSpec, Vec<Spanned<raw::RawOutage>>)],
    ) -> Option<Experiment> {
        let replications = match &e.replications {
            None => 10,
            Some(r) if (1..=1_000_000).contains(r.get_ref()) => *r.get_ref() as u32,
            Some(r) => {
                self.err(
                    r.span(),
                    "replications",
                    format!(
                        "{} is not allowed; expected a whole number from 1 to 1000000",
                        r.get_ref()
                    ),
                );
                1
            }
        };
        let days = match &e.days {
            None => 364.0,
            Some(d)
                if d.get_ref().is_finite() && *d.get_ref() > 0.0 && *d.get_ref() <= 400_000.0 =>
            {
                *d.get_ref()
            }
            Some(d) => {
                self.err(
                    d.span(),
                    "days",
                    format!(
                        "{} is not allowed; expected a number of days above 0 (at most 400000)",
                        d.get_ref()
                    ),
                );
                1.0
            }
        };
        let warmup = match &e.warmup {
            None => 0.0,
            Some(w) if w.get_ref().secs() < days * DAY => w.get_ref().secs(),
            Some(w) => {
                self.err(w.span(), "warmup", format!("a warm-up of {} leaves nothing of a {days}-day horizon; expected less than the horizon", w.get_ref()));
                0.0
            }
        };
        let start = match &e.start {
            None => NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date"),
            Some(s) => match NaiveDate::parse_from_str(s.get_ref().trim(), "%Y-%m-%d") {
                Ok(d) if (1900..=2200).contains(&chrono::Datelike::year(&d)) => d,
                _ => {
                    self.err(s.span(), "start", format!("\"{}\" is not a date; expected a UTC date such as \"2026-01-05\" (years 1900 to 2200)", s.get_ref()));
                    NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date")
                }
            },
        };
        let agency_counts = match &e.agencies {
            None => vec![roster.max(1)],
            Some(list) => {
                if list.get_ref().is_empty() {
                    self.err(
                        list.span(),
                        "agencies",
                        "no agency counts; expected a list such as [2, 3, 4]",
                    );
                }
                let mut counts = Vec::new();
                for k in list.get_ref() {
                    let v = *k.get_ref();
                    if v < 1 || v as usize > roster {
                        self.err(
                            k.span(),
                            "agencies",
                            format!("{v} agencies is not possible with a roster of {roster}; expected counts from 1 to {roster}"),
                        );
                    } else if counts.contains(&(v as usize)) {
                        self.err(
                            k.span(),
                            "agencies",
                            format!("the count {v} is listed twice"),
                        );
                    } else {
                        counts.push(v as usize);
                    }
                }
                counts
            }
        };
        let names: Vec<&str> = schedules.iter().map(|(s, _)| s.name.as_str()).collect();
        let chosen = match &e.schedules {
            None => (0..schedules.len()).collect(),
            Some(list) => {
                let mut chosen = Vec::new();
                for n in list {
                    match names.iter().position(|s| s == n.get_ref()) {
                        Some(i) if !chosen.contains(&i) => chosen.push(i),
                        Some(_) => self.err(
                            n.span(),
                            "schedules",
                            format!("\"{}\" is listed twice", n.get_ref()),
                        ),
                        None => {
                            let hint = did_you_mean(n.get_ref(), names.iter().copied())
                                .map(|s| format!("; did you mean \"{s}\"?"))
                                .unwrap_or_default();
                            self.err(
                                n.span(),
                                "schedules",
                                format!("\"{}\" is not a schedule of this scenario; expected one of: {}{hint}", n.get_ref(), names.join(", ")),
                            );
                        }
                    }
                }
                chosen
            }
        };
        if schedules.is_empty() {
            self.err(
                0..0,
                "[[schedule]]",
                "the scenario has no schedules; expected at least one [[schedule]] table",
            );
        }
        let sla = match &e.sla {
            None => vec![3600.0, 7200.0, 14_400.0],
            Some(list) => {
                let mut sla = Vec::new();
                for s in list.get_ref() {
                    let v = s.get_ref().secs();
                    if v <= 0.0 || sla.last().is_some_and(|last| v <= *last) {
                        self.err(s.span(), "sla", "expected positive thresholds in increasing order, e.g. [\"1h\", \"2h\", \"4h\"]");
                    }
                    sla.push(v);
                }
                if sla.is_empty() || sla.len() > 8 {
                    self.err(
                        list.span(),
                        "sla",
                        "expected one to eight thresholds, e.g. [\"1h\", \"2h\", \"4h\"]",
                    );
                }
                sla
            }
        };
        Some(Experiment {
            seed: e.seed.unwrap_or(1),
            replications,
            days,
            warmup,
            start,
            agency_counts,
            schedules: chosen,
            sla,
        })
    }

    fn sweep(&mut self, s: Spanned<raw::RawSweep>, ids: &[String], trace: bool) -> Option<Sweep> {
        let s = s.into_inner();
        let name = s.parameter.get_ref().trim().to_string();
        let accepted = "\"watch_staff\", \"watch_staff.<agency id>\", \"rate\", or \"<stage>.mean\" with stage one of detect, triage, handoff, domestic, referral_in, international, police, visibility";
        let parameter = if name == "watch_staff" {
            SweepParameter::WatchStaff(None)
        } else if let Some(id) = name.strip_prefix("watch_staff.") {
            let spanned = Spanned::new(s.parameter.span(), id.to_string());
            SweepParameter::WatchStaff(Some(self.agency_ref(&spanned, ids, "parameter")))
        } else if name == "rate" && trace {
            self.err(
                s.parameter.span(),
                "parameter",
                "the incidents come from a recorded trace, whose rate is what was recorded; expected another parameter, or a synthetic rate in [incidents]",
            );
            return None;
        } else if name == "rate" {
            SweepParameter::Rate
        } else if let Some(stage) = name
            .strip_suffix(".mean")
            .and_then(|st| STAGES.iter().find(|(n, _)| *n == st))
        {
            SweepParameter::Mean(stage.1)
        } else {
            self.err(
                s.parameter.span(),
                "parameter",
                format!("\"{name}\" cannot be swept; expected {accepted}"),
            );
            return None;
        };
        let mut labels = Vec::new();
        let mut values = Vec::new();
        for v in s.values.get_ref() {
            let (label, value) = match (&parameter, v.get_ref()) {
                (SweepParameter::WatchStaff(_), toml::Value::Integer(n))
                    if (1..=10_000).contains(n) =>
                {
                    (n.to_string(), *n as f64)
                }
                (SweepParameter::Rate, toml::Value::String(r)) => match r.parse::<Rate>() {
                    Ok(rate) => (r.clone(), rate.per_sec()),
                    Err(e) => {
                        self.err(v.span(), "values", e);
                        continue;
                    }
                },
                (SweepParameter::Mean(_), toml::Value::String(d)) => {
                    match d.parse::<units::Duration>() {
                        Ok(m) if m.secs() > 0.0 => (d.clone(), m.secs()),
                        Ok(_) => {
                            self.err(v.span(), "values", "a mean must be positive");
                            continue;
                        }
                        Err(e) => {
                            self.err(v.span(), "values", e);
                            continue;
                        }
                    }
                }
                (p, other) => {
                    let want = match p {
                        SweepParameter::WatchStaff(_) => {
                            "whole numbers of analysts from 1 to 10000, e.g. [1, 2, 3, 4]"
                        }
                        SweepParameter::Rate => "rates, e.g. [\"20/day\", \"40/day\"]",
                        SweepParameter::Mean(_) => "durations, e.g. [\"10m\", \"20m\"]",
                    };
                    self.err(
                        v.span(),
                        "values",
                        format!("{other} is not a value of {name}; expected {want}"),
                    );
                    continue;
                }
            };
            if labels.contains(&label) {
                self.err(v.span(), "values", format!("{label} is listed twice"));
            }
            labels.push(label);
            values.push(value);
        }
        if values.is_empty() {
            self.err(
                s.values.span(),
                "values",
                "no values to sweep; expected a non-empty list",
            );
        }
        Some(Sweep {
            parameter,
            name,
            labels,
            values,
        })
    }
}

fn normalise(weights: &mut [f64]) {
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    if mean > 0.0 {
        for w in weights {
            *w /= mean;
        }
    }
}

/// FNV-1a, 64 bits, of the scenario text: a stable fingerprint to stop results of
/// different scenarios from being mixed (not a security measure).
pub fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
