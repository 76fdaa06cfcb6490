//! The scenario file exactly as written: serde types with spans, before validation.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::units::{Dist, Duration, Rate, TimeOfDay, Weekdays};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub experiment: RawExperiment,
    pub incidents: Spanned<RawIncidents>,
    #[serde(default)]
    pub watch: RawWatch,
    #[serde(default)]
    pub referral: RawReferral,
    #[serde(rename = "agency", default)]
    pub agencies: Vec<Spanned<RawAgency>>,
    #[serde(rename = "schedule", default)]
    pub schedules: Vec<Spanned<RawSchedule>>,
    pub sweep: Option<Spanned<RawSweep>>,
    pub decision: Option<Spanned<RawDecision>>,
    #[serde(rename = "variant", default)]
    pub variants: Vec<Spanned<super::variants::RawVariant>>,
    pub optimise: Option<Spanned<super::optimise::RawOptimise>>,
    #[serde(default)]
    pub sensitivity: Vec<Spanned<super::sensitivity::RawSensitivity>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDecision {
    pub sla: Option<Spanned<Duration>>,
    pub margin: Option<Spanned<f64>>,
    pub margin_time: Option<Spanned<Duration>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    pub seed: Option<u64>,
    pub replications: Option<Spanned<i64>>,
    pub days: Option<Spanned<f64>>,
    pub warmup: Option<Spanned<Duration>>,
    pub start: Option<Spanned<String>>,
    pub agencies: Option<Spanned<Vec<Spanned<i64>>>>,
    pub schedules: Option<Spanned<Vec<Spanned<String>>>>,
    pub sla: Option<Spanned<Vec<Spanned<Duration>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncidents {
    pub rate: Option<Spanned<Rate>>,
    pub file: Option<Spanned<String>>,
    pub profile: Option<Spanned<RawProfile>>,
    pub weekday: Option<Spanned<Vec<f64>>>,
    pub severity: Option<Spanned<Vec<Spanned<RawClass>>>>,
    pub visibility: Option<Dist>,
    pub rest_of_world: Option<Spanned<f64>>,
}

/// A named profile or 24 weights.
pub enum RawProfile {
    Named(String),
    Weights(Vec<f64>),
}

impl<'de> Deserialize<'de> for RawProfile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawProfile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a profile name (\"flat\", \"evening\", \"office\", \"night\") or 24 weights by local hour")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawProfile, E> {
                Ok(RawProfile::Named(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawProfile, A::Error> {
                let mut weights = Vec::new();
                while let Some(w) = seq.next_element::<f64>()? {
                    weights.push(w);
                }
                Ok(RawProfile::Weights(weights))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClass {
    pub class: Spanned<String>,
    pub share: Spanned<f64>,
    pub visibility: Option<Dist>,
    pub detect: Option<Dist>,
    pub triage: Option<Dist>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub detect: Option<Dist>,
    pub triage: Option<Dist>,
    pub handoff: Option<Dist>,
    pub discipline: Option<Discipline>,
    pub preemptive: Option<bool>,
    pub in_progress_at_handoff: Option<InProgress>,
    pub detect_scaling: Option<DetectScaling>,
    pub detect_cap: Option<Spanned<i64>>,
    pub route: Option<Route>,
    pub desk_open_on_watch: Option<bool>,
}

/// How detection effort accrues while the watch is held.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DetectScaling {
    /// At rate 1 whenever anyone holds the watch, however many members hold it.
    None,
    /// At a rate equal to the number of members holding the watch (optionally capped).
    PerWatcher,
}

/// Which holder gets a case whose own agency does not hold the watch.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// The first holder in roster order.
    First,
    /// The holder with the fewest cases queued, in triage or on their way to it; ties
    /// in roster order.
    LeastLoaded,
    /// The holders in turn: the next holder in roster order after the one that took the
    /// previous such case (wrapping round).
    RoundRobin,
}

/// The order in which a desk serves its queue.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    /// First come, first served, whatever the severity.
    Fifo,
    /// By severity class (list order), first come first served within a class.
    Priority,
}

/// What happens to a case in triage when its desk's watch ends.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InProgress {
    /// The outgoing analyst finishes it.
    Finish,
    /// It passes to the incoming desk with its remaining work.
    Transfer,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawReferral {
    pub domestic: Option<Dist>,
    pub international: Option<Dist>,
    pub non_member_police: Option<Dist>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgency {
    pub id: Spanned<String>,
    pub name: Option<Spanned<String>>,
    pub tz: Spanned<String>,
    pub weight: Spanned<f64>,
    pub watch_staff: Option<Spanned<i64>>,
    pub desk: Option<Spanned<RawDesk>>,
    pub referral_in: Option<Dist>,
    pub police: Option<Dist>,
    pub holidays: Option<Vec<Spanned<String>>>,
    pub holidays_file: Option<Spanned<String>>,
}

/// `"24/7"` or opening hours.
pub enum RawDesk {
    Always(String),
    Hours(RawDeskHours),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeskHours {
    pub open: Spanned<TimeOfDay>,
    pub close: Spanned<TimeOfDay>,
    pub days: Option<Weekdays>,
    pub callout: Option<Dist>,
    pub callout_for: Option<Vec<Spanned<String>>>,
}

impl<'de> Deserialize<'de> for RawDesk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDesk;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"24/7\" or a table { open = \"08:00\", close = \"18:00\", days = \"Mon-Fri\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDesk, E> {
                Ok(RawDesk::Always(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDesk, A::Error> {
                RawDeskHours::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawDesk::Hours)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The kinds of rotation schedule.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Members tile the day around their local midday.
    FollowTheSun,
    /// Each member holds the whole watch for a period in turn.
    RoundRobin,
    /// Explicit blocks of time per member.
    Blocks,
    /// Each member watches its own office hours only.
    HomeHours,
    /// Every member keeps its own 24/7 watch.
    Always,
}

/// Where follow-the-sun handoffs are pinned.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Each member's local wall clock: daylight saving moves the handoffs.
    Local,
    /// UTC: handoffs stay put all year.
    Utc,
}

/// Who covers a member's watch while it is out.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Nobody: the time becomes a gap.
    Gap,
    /// The next member in roster order that is not itself out at that time.
    Next,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub name: Spanned<String>,
    pub kind: Spanned<Kind>,
    pub anchor: Option<Spanned<Anchor>>,
    pub min_shift: Option<Spanned<Duration>>,
    pub period: Option<Spanned<Duration>>,
    pub handoff_at: Option<Spanned<TimeOfDay>>,
    pub tz: Option<Spanned<String>>,
    pub blocks: Option<Spanned<Vec<Spanned<RawBlock>>>>,
    pub open: Option<Spanned<TimeOfDay>>,
    pub close: Option<Spanned<TimeOfDay>>,
    pub days: Option<Spanned<Weekdays>>,
    #[serde(default)]
    pub outages: Vec<Spanned<RawOutage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBlock {
    pub agency: Spanned<String>,
    pub from: Spanned<TimeOfDay>,
    pub to: Spanned<TimeOfDay>,
    pub tz: Option<Spanned<String>>,
    pub days: Option<Weekdays>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    pub agency: Spanned<String>,
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub fallback: Option<Fallback>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    pub parameter: Spanned<String>,
    pub values: Spanned<Vec<Spanned<toml::Value>>>,
}
