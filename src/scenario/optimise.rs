//! `[optimise]`: the cheapest watch staffing that meets service targets, searched by
//! `watchsim optimise`.
//!
//! ```toml
//! [optimise]
//! agencies = 3                       # the agency count to staff
//! schedules = ["follow-the-sun-utc"] # which schedules may be chosen (default: the experiment's)
//! watch_staff = [1, 6]               # bounds for every member, or per member:
//! # watch_staff = { us = [1, 8], uk = [1, 4], au = 2 }   (a single number fixes it)
//! cost = { uk = 1.2 }                # cost of an analyst-hour per member (default 1)
//! replications = 10                  # per candidate in the search (default: the experiment's)
//! confirm = 40                       # in the confirmation run (default: twice the search's)
//!
//! [[optimise.target]]
//! measure = "within_2h"              # as in compare.csv: within_<SLA>, missed_share,
//! class = "urgent"                   #   alert_to_response_p95, alert_to_response_mean
//! at_least = 0.95                    # shares; at_most = "4h" for durations
//! ```

use std::ops::Range;

use toml::{Spanned, Value};

use super::error::{Source, hint};
use super::units::{Duration, format_duration};
use super::{Scenario, ScenarioError, ScenarioErrors};
use crate::stats::Scope;

/// The most analysts a search may put on one desk.
pub const MAX_SEARCH_STAFF: u32 = 1_000;

/// `[optimise]` as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOptimise {
    pub agencies: Option<Spanned<i64>>,
    pub schedules: Option<Spanned<Vec<Spanned<String>>>>,
    pub watch_staff: Option<Spanned<Value>>,
    pub cost: Option<Spanned<Value>>,
    pub replications: Option<Spanned<i64>>,
    pub confirm: Option<Spanned<i64>>,
    #[serde(rename = "target", default)]
    pub targets: Vec<Spanned<RawTarget>>,
}

/// One `[[optimise.target]]` as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    pub measure: Spanned<String>,
    pub class: Option<Spanned<String>>,
    pub scope: Option<Spanned<String>>,
    pub at_least: Option<Spanned<Value>>,
    pub at_most: Option<Spanned<Value>>,
}

/// What a target is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetMeasure {
    /// Share of counted cases answered within SLA threshold `i` of the alert.
    Within(usize),
    /// Share of counted cases missed.
    Missed,
    /// 95th percentile of alert → response, seconds.
    P95,
    /// Mean alert → response, seconds.
    Mean,
}

/// A service target: a measure of one scope and severity kept on one side of a bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The measure.
    pub measure: TargetMeasure,
    /// Whose cases.
    pub scope: Scope,
    /// Index of the severity class; `None`: all classes.
    pub class: Option<usize>,
    /// The bound: a share, or seconds.
    pub bound: f64,
    /// Whether the measure must be at least the bound (else at most).
    pub at_least: bool,
    /// The target in words, e.g. `members' urgent cases within 2h ≥ 95 %`.
    pub words: String,
}

impl Target {
    /// Whether `value` meets the target.
    pub fn met_by(&self, value: f64) -> bool {
        if self.at_least {
            value >= self.bound
        } else {
            value <= self.bound
        }
    }
}

/// `[optimise]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimise {
    /// The agency count to staff.
    pub k: usize,
    /// Indices into the scenario's schedules that may be chosen.
    pub schedules: Vec<usize>,
    /// Per member (roster index below `k`): the least and most analysts on its desk.
    pub bounds: Vec<(u32, u32)>,
    /// Per member: the cost of one analyst-hour on watch.
    pub cost: Vec<f64>,
    /// The targets every answer must meet.
    pub targets: Vec<Target>,
    /// Replications per candidate in the search.
    pub replications: u32,
    /// Replications of the confirmation run.
    pub confirm: u32,
}

struct Checker<'a> {
    source: &'a Source<'a>,
    errors: Vec<ScenarioError>,
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, key: &str, message: String) {
        self.errors
            .push(self.source.error(Some(span), Some(key), message));
    }

    fn count(&mut self, v: &Spanned<i64>, key: &str, max: i64) -> u32 {
        let n = *v.get_ref();
        if (2..=max).contains(&n) {
            n as u32
        } else {
            self.err(
                v.span(),
                key,
                format!(
                    "{n} replications is not allowed; expected a whole number from 2 to {max} (a 95 % confidence interval needs two)"
                ),
            );
            2
        }
    }
}

/// Checks `[optimise]` against a valid base scenario.
pub(super) fn optimise(
    raw: Spanned<RawOptimise>,
    base: &Scenario,
    source: &Source<'_>,
) -> Result<Optimise, ScenarioErrors> {
    let table_span = raw.span();
    let raw = raw.into_inner();
    let mut c = Checker {
        source,
        errors: Vec::new(),
    };
    let exp = &base.experiment;
    let k = match &raw.agencies {
        Some(v) => {
            let n = *v.get_ref();
            if n >= 1 && exp.agency_counts.contains(&(n as usize)) {
                n as usize
            } else {
                let counts: Vec<String> = exp.agency_counts.iter().map(usize::to_string).collect();
                c.err(
                    v.span(),
                    "agencies",
                    format!(
                        "{n} is not one of the experiment's agency counts; expected one of: {}",
                        counts.join(", ")
                    ),
                );
                exp.agency_counts[0]
            }
        }
        None if exp.agency_counts.len() == 1 => exp.agency_counts[0],
        None => {
            let counts: Vec<String> = exp.agency_counts.iter().map(usize::to_string).collect();
            c.err(
                table_span.clone(),
                "agencies",
                format!(
                    "the experiment runs {} agency counts; expected agencies = <one of {}> to say which to staff",
                    counts.len(),
                    counts.join(", ")
                ),
            );
            exp.agency_counts[0]
        }
    };
    let names: Vec<&str> = base.schedules.iter().map(|s| s.name.as_str()).collect();
    let schedules = match &raw.schedules {
        None => exp.schedules.clone(),
        Some(list) if list.get_ref().is_empty() => {
            c.err(
                list.span(),
                "schedules",
                "no schedule to choose from; expected at least one schedule name, or no schedules key for the experiment's".into(),
            );
            exp.schedules.clone()
        }
        Some(list) => {
            let mut out = Vec::new();
            for s in list.get_ref() {
                match names.iter().position(|n| n == s.get_ref()) {
                    Some(i) if !out.contains(&i) => out.push(i),
                    Some(_) => c.err(
                        s.span(),
                        "schedules",
                        format!(
                            "\"{}\" is listed twice; expected each schedule once",
                            s.get_ref()
                        ),
                    ),
                    None => c.err(
                        s.span(),
                        "schedules",
                        format!(
                            "\"{}\" is not a schedule of this scenario; expected one of: {}{}",
                            s.get_ref(),
                            names.join(", "),
                            hint(s.get_ref(), names.iter().copied())
                        ),
                    ),
                }
            }
            out
        }
    };
    let ids: Vec<&str> = base.agencies[..k].iter().map(|a| a.id.as_str()).collect();
    let bounds = staff_bounds(&mut c, raw.watch_staff.as_ref(), &ids, base);
    let cost = costs(&mut c, raw.cost.as_ref(), &ids, base);
    let replications = raw
        .replications
        .as_ref()
        .map_or(exp.replications.max(2), |r| {
            c.count(r, "replications", i64::from(super::MAX_REPLICATIONS))
        });
    let confirm = raw.confirm.as_ref().map_or(replications * 2, |r| {
        c.count(r, "confirm", i64::from(super::MAX_REPLICATIONS))
    });
    if raw.targets.is_empty() {
        c.err(
            table_span,
            "target",
            "[optimise] has no target; expected at least one [[optimise.target]], e.g. measure = \"within_2h\", class = \"urgent\", at_least = 0.95".into(),
        );
    }
    let targets = raw
        .targets
        .into_iter()
        .filter_map(|t| target(&mut c, t, base))
        .collect();
    if c.errors.is_empty() {
        Ok(Optimise {
            k,
            schedules,
            bounds,
            cost,
            targets,
            replications,
            confirm,
        })
    } else {
        Err(ScenarioErrors(c.errors))
    }
}

/// A whole number of analysts within the search's limits, or a message.
fn staff_number(v: &Value) -> Result<u32, String> {
    match v.as_integer() {
        Some(n) if (1..=i64::from(MAX_SEARCH_STAFF)).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "{v} is not a number of analysts; expected a whole number from 1 to {MAX_SEARCH_STAFF}"
        )),
    }
}

/// `[min, max]`, or one number for a fixed staffing.
fn bound_pair(v: &Value) -> Result<(u32, u32), String> {
    let (lo, hi) = match v {
        Value::Array(a) if a.len() == 2 => (staff_number(&a[0])?, staff_number(&a[1])?),
        Value::Integer(_) => {
            let n = staff_number(v)?;
            (n, n)
        }
        _ => {
            return Err(format!(
                "{v} is not a range of analysts; expected [least, most], e.g. [1, 6], or one number to fix it"
            ));
        }
    };
    if lo > hi {
        return Err(format!(
            "[{lo}, {hi}] is empty; expected the least number first, e.g. [{hi}, {lo}]"
        ));
    }
    Ok((lo, hi))
}

/// Per member, the bounds of its desk's staffing: one pair for every member, or a table
/// by agency id where members left out keep the scenario's `watch_staff`.
fn staff_bounds(
    c: &mut Checker<'_>,
    raw: Option<&Spanned<Value>>,
    ids: &[&str],
    base: &Scenario,
) -> Vec<(u32, u32)> {
    let fixed: Vec<(u32, u32)> = base.agencies[..ids.len()]
        .iter()
        .map(|a| (a.watch_staff, a.watch_staff))
        .collect();
    let Some(raw) = raw else {
        return vec![(1, 10); ids.len()];
    };
    match raw.get_ref() {
        Value::Table(t) => {
            let mut out = fixed;
            for (id, v) in t {
                match ids.iter().position(|i| i == id) {
                    Some(j) => match bound_pair(v) {
                        Ok(b) => out[j] = b,
                        Err(m) => c.err(raw.span(), "watch_staff", format!("{id}: {m}")),
                    },
                    None => c.err(
                        raw.span(),
                        "watch_staff",
                        format!(
                            "\"{id}\" is not a member at this agency count; expected one of: {}{}",
                            ids.join(", "),
                            hint(id, ids.iter().copied())
                        ),
                    ),
                }
            }
            out
        }
        v => match bound_pair(v) {
            Ok(b) => vec![b; ids.len()],
            Err(m) => {
                c.err(raw.span(), "watch_staff", m);
                fixed
            }
        },
    }
}

/// Per member, the cost of an analyst-hour (1 unless given).
fn costs(
    c: &mut Checker<'_>,
    raw: Option<&Spanned<Value>>,
    ids: &[&str],
    base: &Scenario,
) -> Vec<f64> {
    let mut out = vec![1.0; ids.len()];
    let Some(raw) = raw else {
        return out;
    };
    let Value::Table(t) = raw.get_ref() else {
        c.err(
            raw.span(),
            "cost",
            format!(
                "{} is not a table of costs; expected {{ <agency id> = <cost of an analyst-hour> }}, e.g. {{ {} = 1.5 }}",
                raw.get_ref(),
                ids[0]
            ),
        );
        return out;
    };
    for (id, v) in t {
        let Some(j) = ids.iter().position(|i| i == id) else {
            let all: Vec<&str> = base.agencies.iter().map(|a| a.id.as_str()).collect();
            c.err(
                raw.span(),
                "cost",
                format!(
                    "\"{id}\" is not a member at this agency count; expected one of: {}{}",
                    ids.join(", "),
                    hint(id, all.iter().copied())
                ),
            );
            continue;
        };
        match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
            Some(x) if x.is_finite() && x > 0.0 && x <= 1e6 => out[j] = x,
            _ => c.err(
                raw.span(),
                "cost",
                format!("{id} = {v} is not allowed; expected a number above 0 and at most 1e6"),
            ),
        }
    }
    out
}

/// The names a target's measure may take, for the experiment's SLA thresholds.
fn measure_names(base: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = base
        .experiment
        .sla
        .iter()
        .map(|&t| format!("within_{}", format_duration(t)))
        .collect();
    names.extend(
        [
            "missed_share",
            "alert_to_response_p95",
            "alert_to_response_mean",
        ]
        .map(String::from),
    );
    names
}

/// One target, checked (`None` after an error).
fn target(c: &mut Checker<'_>, raw: Spanned<RawTarget>, base: &Scenario) -> Option<Target> {
    let span = raw.span();
    let t = raw.into_inner();
    let names = measure_names(base);
    let slas = base.experiment.sla.len();
    let measure = match names.iter().position(|n| n == t.measure.get_ref()) {
        Some(i) if i < slas => TargetMeasure::Within(i),
        Some(i) if i == slas => TargetMeasure::Missed,
        Some(i) if i == slas + 1 => TargetMeasure::P95,
        Some(_) => TargetMeasure::Mean,
        None => {
            c.err(
                t.measure.span(),
                "measure",
                format!(
                    "\"{}\" is not a measure of this scenario; expected one of: {} (within_<SLA> needs the SLA in [experiment] sla){}",
                    t.measure.get_ref(),
                    names.join(", "),
                    hint(t.measure.get_ref(), names.iter().map(String::as_str))
                ),
            );
            return None;
        }
    };
    let scope = match t.scope.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("members") => Scope::Members,
        Some("non_members") => Scope::NonMembers,
        Some("all") => Scope::All,
        Some(other) => {
            c.err(
                t.scope.as_ref().expect("given").span(),
                "scope",
                format!(
                    "\"{other}\" is not a scope; expected \"members\", \"non_members\" or \"all\""
                ),
            );
            return None;
        }
    };
    let classes: Vec<&str> = base
        .incidents
        .classes
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let class = match &t.class {
        None => None,
        Some(name) if name.get_ref() == "all" => None,
        Some(name) => match classes.iter().position(|c| c == name.get_ref()) {
            Some(i) => Some(i),
            None => {
                c.err(
                    name.span(),
                    "class",
                    format!(
                        "\"{}\" is not a severity class of this scenario; expected one of: {}, or \"all\"{}",
                        name.get_ref(),
                        classes.join(", "),
                        hint(name.get_ref(), classes.iter().copied())
                    ),
                );
                return None;
            }
        },
    };
    let share = matches!(measure, TargetMeasure::Within(_) | TargetMeasure::Missed);
    let higher_is_better = matches!(measure, TargetMeasure::Within(_));
    let (bound, at_least) = match (&t.at_least, &t.at_most) {
        (Some(v), None) => (v, true),
        (None, Some(v)) => (v, false),
        _ => {
            c.err(
                span,
                "at_least",
                format!(
                    "target {} needs exactly one bound; expected {}",
                    t.measure.get_ref(),
                    if higher_is_better {
                        "at_least = <share>, e.g. at_least = 0.95"
                    } else if share {
                        "at_most = <share>, e.g. at_most = 0.01"
                    } else {
                        "at_most = <duration>, e.g. at_most = \"4h\""
                    }
                ),
            );
            return None;
        }
    };
    let key = if at_least { "at_least" } else { "at_most" };
    if at_least != higher_is_better {
        c.err(
            bound.span(),
            key,
            format!(
                "{} is better {}, so a target on it is {}; expected {} instead of {key}",
                t.measure.get_ref(),
                if higher_is_better { "higher" } else { "lower" },
                if higher_is_better {
                    "a floor"
                } else {
                    "a ceiling"
                },
                if higher_is_better {
                    "at_least"
                } else {
                    "at_most"
                },
            ),
        );
        return None;
    }
    let value = if share {
        match bound
            .get_ref()
            .as_float()
            .or_else(|| bound.get_ref().as_integer().map(|i| i as f64))
        {
            Some(x) if (0.0..=1.0).contains(&x) => x,
            _ => {
                c.err(
                    bound.span(),
                    key,
                    format!(
                        "{} is not a share; expected a number from 0 to 1, e.g. 0.95",
                        bound.get_ref()
                    ),
                );
                return None;
            }
        }
    } else {
        match bound.get_ref().as_str().map(str::parse::<Duration>) {
            Some(Ok(d)) if d.secs().is_finite() => d.secs(),
            _ => {
                c.err(
                    bound.span(),
                    key,
                    format!(
                        "{} is not a duration; expected a duration such as \"4h\" or \"90m\"",
                        bound.get_ref()
                    ),
                );
                return None;
            }
        }
    };
    let whose = match scope {
        Scope::Members => "members'",
        Scope::NonMembers => "non-members'",
        Scope::All => "all",
    };
    let class_words = class.map_or(String::new(), |i| format!(" {}", classes[i]));
    let sign = if at_least { "≥" } else { "≤" };
    let words = match measure {
        TargetMeasure::Within(i) => format!(
            "{whose}{class_words} cases within {} {sign} {:.1} %",
            format_duration(base.experiment.sla[i]),
            value * 100.0
        ),
        TargetMeasure::Missed => format!(
            "{whose}{class_words} cases missed {sign} {:.1} %",
            value * 100.0
        ),
        TargetMeasure::P95 => format!(
            "{whose}{class_words} cases' p95 alert → response {sign} {}",
            format_duration(value)
        ),
        TargetMeasure::Mean => format!(
            "{whose}{class_words} cases' mean alert → response {sign} {}",
            format_duration(value)
        ),
    };
    Some(Target {
        measure,
        scope,
        class,
        bound: value,
        at_least,
        words,
    })
}
