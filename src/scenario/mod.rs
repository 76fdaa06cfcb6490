//! The scenario: what is simulated, read from a TOML file and checked.
//!
//! [`Scenario::from_toml`] parses and validates in one go; every problem comes back as a
//! [`ScenarioError`] naming the file, line, column and key, what was wrong and what is
//! accepted. The types here are the checked scenario; `raw` holds the file as written
//! and `validate` turns one into the other. `docs/scenario.md` describes every key.

mod error;
pub mod optimise;
mod raw;
pub mod sensitivity;
pub mod units;
pub(crate) mod validate;
mod variants;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use error::Source;
pub(crate) use error::hint;
pub use error::{ScenarioError, ScenarioErrors, did_you_mean};
use raw::RawScenario;
pub use raw::{Anchor, DetectScaling, Discipline, Fallback, InProgress, Kind, Route};
use units::{DAY, Dist, TimeOfDay, Weekdays};
pub use variants::ScenarioVariant;

/// The built-in scenario: the text of `scenarios/growing-roster.toml` (the taskforce's
/// roster as it grew from 2003 to 2016), for a study run without a scenario file.
/// [`Scenario::default_study`] parses it.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/growing-roster.toml");

/// The name under which errors and reports refer to [`DEFAULT_SCENARIO`].
pub const DEFAULT_SCENARIO_NAME: &str = "(built-in default scenario)";

/// The most agencies a roster may hold (the engine keeps the watch as a 64-bit set).
pub const MAX_AGENCIES: usize = 64;

/// The longest horizon, days (about 1,100 years: a single M/M/c desk over 10⁸
/// incidents needs a few hundred years).
pub const MAX_DAYS: f64 = 400_000.0;

/// The most agency-days (roster size × days) a study may span: what it costs to
/// compile grows with both (64 agencies over 40,000 days, or 8 over 320,000, need about
/// 2.5 GB).
pub const MAX_AGENCY_DAYS: f64 = 2_560_000.0;
/// The shortest horizon, days (an hour): shorter ones leave nothing to summarise and
/// overflow per-day figures.
pub const MIN_DAYS: f64 = 1.0 / 24.0;
/// The most replications per cell a scenario (or `--replications`) may ask for.
pub const MAX_REPLICATIONS: u32 = 1_000_000;

/// The most severity classes a scenario may have (each desk keeps the classes that get
/// a call-out as a 64-bit set).
pub const MAX_CLASSES: usize = 64;

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
    /// How schedules are compared and recommended.
    pub decision: Decision,
    /// Inline `[[variant]]`s: the scenario with some keys overridden, each run against
    /// this one with common random numbers.
    pub variants: Vec<ScenarioVariant>,
    /// `[optimise]`: the staffing search of `watchsim optimise`, if any.
    pub optimise: Option<optimise::Optimise>,
    /// `[[sensitivity]]`: low and high values of estimates, each run against this one.
    pub sensitivity: Vec<sensitivity::SensitivityRange>,
}

/// `[decision]`: the measure schedules are judged on and the smallest difference that
/// matters in practice.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The SLA threshold of the decision measure (share of cases answered within it
    /// of the alert), as an index into [`Experiment::sla`].
    pub sla: usize,
    /// The practical margin on shares (0.01: one percentage point).
    pub margin: f64,
    /// The practical margin on durations, seconds.
    pub margin_time: f64,
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
        /// The trace file: as written, or resolved against the scenario's folder by
        /// [`Scenario::load`] when relative.
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
    /// How detection effort accrues when several members hold the watch.
    pub detect_scaling: DetectScaling,
    /// Under `per_watcher`, the most watchers whose effort counts (`u32::MAX`: no cap).
    pub detect_cap: u32,
    /// Which holder gets a case whose own agency does not hold the watch.
    pub route: Route,
    /// Whether a referral desk counts as open all day while its agency holds the watch.
    pub desk_open_on_watch: bool,
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
    /// Public holidays (local dates): its office-hours desk is closed and it does not
    /// watch under `home_hours`.
    pub holidays: Vec<NaiveDate>,
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
        /// Closing time; at or before `open` means the desk's hours wrap midnight.
        close: TimeOfDay,
        /// Days it opens.
        days: Weekdays,
        /// After-hours call-out delay, if any.
        callout: Option<Dist>,
        /// Classes that get a call-out (bit i = class i): every bit when `callout` is
        /// given without `callout_for`, none without `callout`.
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
        /// Shortest block, seconds (0: tile as the middays fall). Shorter blocks are
        /// joined with their neighbours' and shared in rotation by day.
        min_shift: f64,
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
    /// The mean of the after-hours call-out delay, of every desk that has one or of one.
    CalloutMean(Option<usize>),
    /// The closing time of every office-hours desk or of one (seconds after midnight).
    DeskClose(Option<usize>),
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
        let located = |s: &mut Scenario| {
            s.path = Some(path.to_path_buf());
            if let IncidentSource::Trace { path: trace } = &mut s.incidents.source
                && trace.is_relative()
            {
                *trace = path.parent().unwrap_or(Path::new(".")).join(&*trace);
            }
        };
        located(&mut scenario);
        for v in &mut scenario.variants {
            located(&mut v.scenario);
        }
        Ok(scenario)
    }

    /// Parses and validates scenario text; `path` only labels the errors.
    pub fn from_toml(text: &str, path: &str) -> Result<Scenario, ScenarioErrors> {
        let source = Source { path, text };
        let mut raw: RawScenario = toml::from_str(text).map_err(|e| {
            ScenarioErrors(vec![source.error(
                e.span(),
                None,
                validate::polish_toml_message(e.message()),
            )])
        })?;
        let variants = std::mem::take(&mut raw.variants);
        let ranges = std::mem::take(&mut raw.sensitivity);
        let search = raw.optimise.take();
        let mut scenario = validate::validate(raw, &source)?;
        scenario.variants = variants::variants(variants, &scenario, &source)?;
        scenario.optimise = search
            .map(|o| optimise::optimise(o, &scenario, &source))
            .transpose()?;
        scenario.sensitivity = sensitivity::sensitivity(ranges, &scenario, &source)?;
        Ok(scenario)
    }

    /// The built-in scenario ([`DEFAULT_SCENARIO`]), parsed; its errors, were there any,
    /// would name it "(built-in default scenario)".
    pub fn default_study() -> Result<Scenario, ScenarioErrors> {
        Scenario::from_toml(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_scenario_is_the_growing_roster() {
        let s = Scenario::default_study().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.name, "growing-roster");
        assert!(s.path.is_none());
        assert_eq!(s.hash, content_hash(DEFAULT_SCENARIO));
    }

    /// 64 classes fill the call-out set; a 65th is refused before any set is made, at
    /// its own line, even when a desk names it.
    #[test]
    fn severity_classes_stop_at_64() {
        let text = |n: usize| {
            let classes: Vec<String> = (0..n)
                .map(|i| format!("{{ class = \"c{i}\", share = {} }}", 1.0 / n as f64))
                .collect();
            format!(
                "name = \"t\"\n[incidents]\nrate = \"1/day\"\nseverity = [\n{}\n]\n\
                 [[agency]]\nid = \"a\"\ntz = \"UTC\"\nweight = 1\n\
                 desk = {{ open = \"08:00\", close = \"18:00\", callout = \"const(1h)\", callout_for = [\"c{}\", \"c0\"] }}\n\
                 [[schedule]]\nname = \"all\"\nkind = \"always\"\n",
                classes.join(",\n"),
                n - 1
            )
        };
        let s = Scenario::from_toml(&text(64), "t.toml").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            s.agencies[0].desk,
            Desk::Hours { callout_for, .. } if callout_for == 1 << 63 | 1
        ));
        let errors = Scenario::from_toml(&text(65), "t.toml").unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(
            (e.line, e.key.as_str()),
            (69, "[incidents] severity"),
            "{e}"
        );
        assert!(
            e.message
                .starts_with("65 severity classes are too many; expected at most 64"),
            "{e}"
        );
    }
}
