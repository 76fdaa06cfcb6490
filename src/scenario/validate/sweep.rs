//! `[sweep]`: the parameter to vary and its values.

use toml::Spanned;

use super::super::raw::RawSweep;
use super::super::units::{self, Rate};
use super::super::{MAX_INCIDENTS, Stage, Sweep, SweepParameter};
use super::Validator;

/// The stages whose mean a sweep can vary, by the name used in `<stage>.mean`.
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

/// What a sweep needs to know of each agency's desk.
pub(super) struct DeskFacts {
    /// It has an after-hours call-out.
    pub callout: bool,
    /// Its opening time, when it has opening hours (is not 24/7).
    pub open: Option<units::TimeOfDay>,
}

impl Validator<'_> {
    /// `[sweep]`; `trace` tells whether the incidents come from a recorded trace, `desks`
    /// what each agency's desk has. `None`
    /// when the parameter cannot be swept (its values then mean nothing). `horizon`
    /// (seconds) bounds a swept rate by the incident cap.
    pub(super) fn sweep(
        &mut self,
        s: Spanned<RawSweep>,
        ids: &[String],
        trace: bool,
        desks: &[DeskFacts],
        horizon: f64,
    ) -> Option<Sweep> {
        let s = s.into_inner();
        let name = s.parameter.get_ref().trim().to_string();
        let parameter = self.parameter(&s.parameter, &name, ids, trace, desks)?;
        let mut labels = Vec::new();
        let mut values = Vec::new();
        for v in s.values.get_ref() {
            let Some((label, value)) = self.value(&parameter, &name, v) else {
                continue;
            };
            if let SweepParameter::DeskClose(which) = parameter {
                let clash = desks.iter().enumerate().find(|(j, d)| {
                    which.is_none_or(|w| w == *j)
                        && d.open.is_some_and(|o| f64::from(o.secs()) == value)
                });
                if let Some((j, _)) = clash {
                    self.err(
                        v.span(),
                        "values",
                        format!(
                            "the desk of \"{}\" opens at {label}, so closing then leaves no hours; expected closing times different from each swept desk's opening time (earlier ones wrap midnight)",
                            ids[j]
                        ),
                    );
                    continue;
                }
            }
            // The incident cap holds for every swept rate, not only the file's own.
            if parameter == SweepParameter::Rate && value * horizon > MAX_INCIDENTS {
                self.err(
                    v.span(),
                    "values",
                    format!(
                        "{label} gives {:.3e} incidents per replication, too many; expected at most {MAX_INCIDENTS:.0e} (a lower rate or fewer days)",
                        value * horizon
                    ),
                );
                continue;
            }
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

    /// What `name` (the trimmed `parameter`) varies.
    fn parameter(
        &mut self,
        written: &Spanned<String>,
        name: &str,
        ids: &[String],
        trace: bool,
        desks: &[DeskFacts],
    ) -> Option<SweepParameter> {
        let accepted = "\"watch_staff\", \"watch_staff.<agency id>\", \"callout.mean\", \"callout.mean.<agency id>\", \"desk.close\", \"desk.close.<agency id>\", \"rate\", or \"<stage>.mean\" with stage one of detect, triage, handoff, domestic, referral_in, international, police, visibility";
        let one = |v: &mut Self, id: &str| {
            let spanned = Spanned::new(written.span(), id.to_string());
            v.agency_ref(&spanned, ids, "parameter")
        };
        if name == "callout.mean" {
            if !desks.iter().any(|d| d.callout) {
                self.err(
                    written.span(),
                    "parameter",
                    "no desk has a call-out; expected callout = \"...\" in some agency's desk, or another parameter",
                );
                return None;
            }
            Some(SweepParameter::CalloutMean(None))
        } else if let Some(id) = name.strip_prefix("callout.mean.") {
            let j = one(self, id);
            if !desks.get(j).is_some_and(|d| d.callout) {
                self.err(
                    written.span(),
                    "parameter",
                    format!("the desk of \"{id}\" has no call-out to sweep; expected an agency whose desk has callout = \"...\""),
                );
                return None;
            }
            Some(SweepParameter::CalloutMean(Some(j)))
        } else if name == "desk.close" {
            if !desks.iter().any(|d| d.open.is_some()) {
                self.err(
                    written.span(),
                    "parameter",
                    "no desk has opening hours; expected desk = { open = \"08:00\", close = \"18:00\" } in some agency, or another parameter",
                );
                return None;
            }
            Some(SweepParameter::DeskClose(None))
        } else if let Some(id) = name.strip_prefix("desk.close.") {
            let j = one(self, id);
            if desks.get(j).is_none_or(|d| d.open.is_none()) {
                self.err(
                    written.span(),
                    "parameter",
                    format!("the desk of \"{id}\" is open 24/7 and has no closing time to sweep; expected an agency whose desk has opening hours"),
                );
                return None;
            }
            Some(SweepParameter::DeskClose(Some(j)))
        } else if name == "watch_staff" {
            Some(SweepParameter::WatchStaff(None))
        } else if let Some(id) = name.strip_prefix("watch_staff.") {
            let spanned = Spanned::new(written.span(), id.to_string());
            Some(SweepParameter::WatchStaff(Some(self.agency_ref(
                &spanned,
                ids,
                "parameter",
            ))))
        } else if name == "rate" && trace {
            self.err(
                written.span(),
                "parameter",
                "the incidents come from a recorded trace, whose rate is what was recorded; expected another parameter, or a synthetic rate in [incidents]",
            );
            None
        } else if name == "rate" {
            Some(SweepParameter::Rate)
        } else if let Some(stage) = name
            .strip_suffix(".mean")
            .and_then(|st| STAGES.iter().find(|(n, _)| *n == st))
        {
            Some(SweepParameter::Mean(stage.1))
        } else {
            self.err(
                written.span(),
                "parameter",
                format!("\"{name}\" cannot be swept; expected {accepted}"),
            );
            None
        }
    }

    /// One value of the sweep as its label and number (analysts; rate per second; mean
    /// in seconds); `None` after an error.
    fn value(
        &mut self,
        parameter: &SweepParameter,
        name: &str,
        v: &Spanned<toml::Value>,
    ) -> Option<(String, f64)> {
        match (parameter, v.get_ref()) {
            (SweepParameter::WatchStaff(_), toml::Value::Integer(n))
                if (1..=10_000).contains(n) =>
            {
                Some((n.to_string(), *n as f64))
            }
            (SweepParameter::Rate, toml::Value::String(r)) => match r.parse::<Rate>() {
                Ok(rate) => Some((r.clone(), rate.per_sec())),
                Err(e) => {
                    self.err(v.span(), "values", e);
                    None
                }
            },
            (SweepParameter::DeskClose(_), toml::Value::String(t)) => {
                match t.parse::<units::TimeOfDay>() {
                    Ok(c) => Some((t.clone(), f64::from(c.secs()))),
                    Err(e) => {
                        self.err(v.span(), "values", e);
                        None
                    }
                }
            }
            (SweepParameter::Mean(_) | SweepParameter::CalloutMean(_), toml::Value::String(d)) => {
                match d.parse::<units::Duration>() {
                    Ok(m) if m.secs() > 0.0 => Some((d.clone(), m.secs())),
                    Ok(_) => {
                        self.err(v.span(), "values", "a mean must be positive");
                        None
                    }
                    Err(e) => {
                        self.err(v.span(), "values", e);
                        None
                    }
                }
            }
            (p, other) => {
                let want = match p {
                    SweepParameter::WatchStaff(_) => {
                        "whole numbers of analysts from 1 to 10000, e.g. [1, 2, 3, 4]"
                    }
                    SweepParameter::Rate => "rates, e.g. [\"20/day\", \"40/day\"]",
                    SweepParameter::Mean(_) | SweepParameter::CalloutMean(_) => {
                        "durations, e.g. [\"10m\", \"20m\"]"
                    }
                    SweepParameter::DeskClose(_) => {
                        "closing times of day, e.g. [\"17:00\", \"20:00\", \"24:00\"]"
                    }
                };
                self.err(
                    v.span(),
                    "values",
                    format!("{other} is not a value of {name}; expected {want}"),
                );
                None
            }
        }
    }
}
