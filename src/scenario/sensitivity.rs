//! `[[sensitivity]]`: a low and a high value for one estimate of the scenario, each run
//! against the base with common random numbers to see how much the decision measure
//! and the recommendation move.
//!
//! ```toml
//! [[sensitivity]]
//! key = "incidents.rate"          # a dotted path, as in [[variant]] set
//! low = "10/day"
//! high = "40/day"
//! name = "incident rate"          # how the tornado chart labels it (default: the key)
//! ```

use toml::{Spanned, Value};

use super::error::Source;
use super::variants::{Override, base_document, overridden};
use super::{Scenario, ScenarioError, ScenarioErrors};

/// A `[[sensitivity]]` entry as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSensitivity {
    pub key: Spanned<String>,
    pub low: Spanned<Value>,
    pub high: Spanned<Value>,
    pub name: Option<Spanned<String>>,
}

/// One estimate's range: the scenario at its low and at its high value.
#[derive(Debug, Clone)]
pub struct SensitivityRange {
    /// How charts and tables label it.
    pub name: String,
    /// The dotted key, e.g. `incidents.rate`.
    pub key: String,
    /// The low and high values as written.
    pub values: [String; 2],
    /// The scenario at the low and at the high value.
    pub scenarios: [Scenario; 2],
}

/// Keys whose change would change what is compared rather than an estimate.
const NOT_ESTIMATES: [(&str, &str); 5] = [
    (
        "experiment.agencies",
        "the agency counts are what the study compares",
    ),
    (
        "experiment.schedules",
        "the schedules are what the study compares",
    ),
    ("experiment.sla", "the SLA thresholds define the measures"),
    ("decision", "the decision rule is how results are judged"),
    ("sweep", "a sweep is a study of its own"),
];

/// A value as the scenario file would show it.
fn written(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks the `[[sensitivity]]` entries of a valid base scenario.
pub(super) fn sensitivity(
    raw: Vec<Spanned<RawSensitivity>>,
    base: &Scenario,
    source: &Source<'_>,
) -> Result<Vec<SensitivityRange>, ScenarioErrors> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let mut errors: Vec<ScenarioError> = Vec::new();
    if base.sweep.is_some() {
        errors.push(source.error(
            Some(raw[0].span()),
            Some("sensitivity"),
            "a scenario with [sweep] cannot also have [[sensitivity]] ranges; expected one of the two: \
             put the swept estimate's value in the scenario and give its range as a [[sensitivity]] entry"
                .into(),
        ));
        return Err(ScenarioErrors(errors));
    }
    let doc = base_document(source)?;
    let mut out = Vec::new();
    for entry in raw {
        let e = entry.into_inner();
        let key = e.key.get_ref().trim().to_string();
        if let Some((fixed, why)) = NOT_ESTIMATES
            .iter()
            .find(|(k, _)| key == *k || key.starts_with(&format!("{k}.")))
        {
            errors.push(source.error(
                Some(e.key.span()),
                Some("key"),
                format!(
                    "{key} is not an estimate ({why}); expected the key of a rate, share, delay or staffing, e.g. \"incidents.rate\" (not {fixed})"
                ),
            ));
            continue;
        }
        if out.iter().any(|r: &SensitivityRange| r.key == key) {
            errors.push(source.error(
                Some(e.key.span()),
                Some("key"),
                format!("{key} has two [[sensitivity]] entries; expected one range per key"),
            ));
            continue;
        }
        let name = e
            .name
            .as_ref()
            .map_or_else(|| key.clone(), |n| n.get_ref().trim().to_string());
        if name.is_empty()
            || name.chars().count() > 80
            || name.chars().any(char::is_control)
            || name.starts_with(['=', '+', '-', '@'])
        {
            errors.push(source.error(
                e.name.as_ref().map(Spanned::span),
                Some("name"),
                format!(
                    "{:?} cannot label a range; expected 1 to 80 characters, no control characters and no '=', '+', '-' or '@' first",
                    name.chars().take(40).collect::<String>()
                ),
            ));
            continue;
        }
        if e.low.get_ref() == e.high.get_ref() {
            errors.push(source.error(
                Some(e.high.span()),
                Some("high"),
                format!(
                    "low and high are both {}; expected two different values of {key}",
                    written(e.high.get_ref())
                ),
            ));
            continue;
        }
        let label = format!("[[sensitivity]] \"{key}\"");
        let mut scenarios = Vec::new();
        for (end, v) in [("low", &e.low), ("high", &e.high)] {
            let o = Override {
                key: key.clone(),
                span: v.span(),
                value: v.get_ref().clone(),
                written: end.to_string(),
            };
            match overridden(&doc, &[o], &base.name, &base.description, &label, source) {
                Ok(s) => scenarios.push(s),
                Err(found) => errors.extend(found),
            }
        }
        if let Ok([low, high]) = <[Scenario; 2]>::try_from(scenarios) {
            out.push(SensitivityRange {
                name,
                key,
                values: [written(e.low.get_ref()), written(e.high.get_ref())],
                scenarios: [low, high],
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioErrors(errors))
    }
}
