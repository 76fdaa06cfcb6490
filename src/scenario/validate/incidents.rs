//! `[incidents]`: where incidents come from, their daily and weekly shape, and the
//! severity classes.

use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;

use super::super::error::hint;
use super::super::raw::{RawClass, RawIncidents, RawProfile, RawWatch};
use super::super::units::Dist;
use super::super::{IncidentSource, Incidents, MAX_CLASSES, PROFILES, SeverityClass};
use super::Validator;

impl Validator<'_> {
    /// `[incidents]`, with the class defaults that `[watch]` sets. `None` when there is
    /// no usable source of incidents (the rest cannot be checked without one).
    pub(super) fn incidents(
        &mut self,
        raw: Spanned<RawIncidents>,
        watch: &RawWatch,
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
        if let Some(p) = &raw.profile
            && let Some(weights) = self.profile(p)
        {
            profile = weights;
        }
        normalise(&mut profile);
        let mut weekday = [1.0; 7];
        if let Some(w) = &raw.weekday
            && let Some(weights) = self.weights(w.get_ref(), 7, w.span(), "weekday")
        {
            weekday.copy_from_slice(&weights);
        }
        normalise(&mut weekday);
        let classes = self.classes(raw.severity.as_ref(), &raw, watch);
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

    /// A named profile or 24 weights by local hour, before normalising (`None` after an
    /// error).
    fn profile(&mut self, p: &Spanned<RawProfile>) -> Option<[f64; 24]> {
        match p.get_ref() {
            RawProfile::Named(name) => match PROFILES.iter().find(|(n, _)| n == name) {
                Some((_, weights)) => Some(*weights),
                None => {
                    let names: Vec<&str> = PROFILES.iter().map(|(n, _)| *n).collect();
                    let hint = hint(name, names.iter().copied());
                    self.err(
                        p.span(),
                        "profile",
                        format!(
                            "\"{name}\" is not a known profile; expected one of {} or a list of 24 weights by local hour{hint}",
                            names.join(", ")
                        ),
                    );
                    None
                }
            },
            RawProfile::Weights(w) => {
                let weights = self.weights(w, 24, p.span(), "profile")?;
                let mut profile = [0.0; 24];
                profile.copy_from_slice(&weights);
                Some(profile)
            }
        }
    }

    /// `len` finite weights of 0 or more, not all zero.
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

    /// The severity classes in priority order: one class `standard` when none are
    /// listed. A class's stage distributions default to those of `[incidents]` and
    /// `[watch]`.
    fn classes(
        &mut self,
        severity: Option<&Spanned<Vec<Spanned<RawClass>>>>,
        raw: &RawIncidents,
        watch: &RawWatch,
    ) -> Vec<SeverityClass> {
        let visibility = raw.visibility.unwrap_or(Dist::Never);
        let detect = watch.detect.unwrap_or(Dist::Const(0.0));
        let triage = watch.triage.unwrap_or(Dist::Const(0.0));
        let Some(list) = severity else {
            return vec![SeverityClass {
                name: "standard".into(),
                share: 1.0,
                visibility,
                detect,
                triage,
            }];
        };
        let mut classes = Vec::new();
        let mut names = HashSet::new();
        for c in list.get_ref() {
            let c = c.get_ref();
            let name = c.class.get_ref().trim().to_string();
            if !self.safe_name(c.class.span(), "severity.class", "class name", &name) {
                // Reported by safe_name.
            } else if name.is_empty() || name == "all" || !names.insert(name.clone()) {
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
        if let Some(first_extra) = list.get_ref().get(MAX_CLASSES) {
            // Desks keep the classes that get a call-out as a set of MAX_CLASSES bits.
            self.err(
                first_extra.span(),
                "severity",
                format!(
                    "{} severity classes are too many; expected at most {MAX_CLASSES} (this is class {}, \"{}\")",
                    classes.len(),
                    MAX_CLASSES + 1,
                    first_extra.get_ref().class.get_ref().trim()
                ),
            );
        }
        classes
    }
}

/// Scales weights to a mean of 1 (weights that are all zero are left alone).
fn normalise(weights: &mut [f64]) {
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    if mean > 0.0 {
        for w in weights {
            *w /= mean;
        }
    }
}
