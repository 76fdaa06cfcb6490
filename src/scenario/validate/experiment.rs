//! `[experiment]`: seed, replications, horizon, agency counts, schedules to run and SLA
//! thresholds.

use chrono::NaiveDate;
use toml::Spanned;

use super::super::error::hint;
use super::super::raw::RawExperiment;
use super::super::units::{DAY, Duration};
use super::super::{Experiment, MAX_AGENCY_DAYS, MAX_DAYS, MIN_DAYS};
use super::Validator;
use super::schedules::Unfinished;

/// The default start of the horizon: Monday 1 January 2024.
fn default_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date")
}

impl Validator<'_> {
    /// `[experiment]`, for a roster of `roster` agencies and the given schedules.
    pub(super) fn experiment(
        &mut self,
        e: RawExperiment,
        roster: usize,
        schedules: &[Unfinished],
    ) -> Option<Experiment> {
        let replications = self.replications(e.replications.as_ref());
        let days = self.days(e.days.as_ref(), roster);
        let warmup = self.warmup(e.warmup.as_ref(), days);
        let start = self.start(e.start.as_ref());
        let agency_counts = self.agency_counts(e.agencies.as_ref(), roster);
        let chosen = self.chosen_schedules(e.schedules.as_ref(), schedules);
        if schedules.is_empty() {
            self.err(
                0..0,
                "[[schedule]]",
                "the scenario has no schedules; expected at least one [[schedule]] table",
            );
        }
        let sla = self.sla(e.sla.as_ref());
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

    fn replications(&mut self, r: Option<&Spanned<i64>>) -> u32 {
        match r {
            None => 10,
            Some(r) if (1..=i64::from(super::super::MAX_REPLICATIONS)).contains(r.get_ref()) => {
                *r.get_ref() as u32
            }
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
        }
    }

    /// The horizon in days: at least an hour (shorter horizons leave no time to
    /// summarise), at most [`MAX_DAYS`], and at most [`MAX_AGENCY_DAYS`] over the
    /// roster's `roster` agencies.
    fn days(&mut self, d: Option<&Spanned<f64>>, roster: usize) -> f64 {
        let agencies = roster.max(1) as f64;
        match d {
            None => 364.0,
            Some(d)
                if d.get_ref().is_finite()
                    && (MIN_DAYS..=MAX_DAYS).contains(d.get_ref())
                    && d.get_ref() * agencies > MAX_AGENCY_DAYS =>
            {
                self.err(
                    d.span(),
                    "days",
                    format!(
                        "{} days over {roster} agencies is {:.0} agency-days, too long a study to compile; \
                         expected at most {MAX_AGENCY_DAYS:.0} agency-days, here at most {:.0} days \
                         (e.g. 40000 days with 64 agencies, 320000 with 8)",
                        d.get_ref(),
                        d.get_ref() * agencies,
                        (MAX_AGENCY_DAYS / agencies).floor()
                    ),
                );
                1.0
            }
            Some(d) if d.get_ref().is_finite() && (MIN_DAYS..=MAX_DAYS).contains(d.get_ref()) => {
                *d.get_ref()
            }
            Some(d) => {
                self.err(
                    d.span(),
                    "days",
                    format!(
                        "{} is not allowed; expected a number of days from 1/24 (an hour) to {MAX_DAYS}",
                        d.get_ref()
                    ),
                );
                1.0
            }
        }
    }

    /// The warm-up in seconds, shorter than a horizon of `days`.
    fn warmup(&mut self, w: Option<&Spanned<Duration>>, days: f64) -> f64 {
        match w {
            None => 0.0,
            Some(w) if w.get_ref().secs() < days * DAY => w.get_ref().secs(),
            Some(w) => {
                self.err(
                    w.span(),
                    "warmup",
                    format!(
                        "a warm-up of {} leaves nothing of a {days}-day horizon; expected less than the horizon",
                        w.get_ref()
                    ),
                );
                0.0
            }
        }
    }

    fn start(&mut self, s: Option<&Spanned<String>>) -> NaiveDate {
        let Some(s) = s else {
            return default_start();
        };
        match NaiveDate::parse_from_str(s.get_ref().trim(), "%Y-%m-%d") {
            Ok(d) if (1900..=2200).contains(&chrono::Datelike::year(&d)) => d,
            _ => {
                self.err(
                    s.span(),
                    "start",
                    format!(
                        "\"{}\" is not a date; expected a UTC date such as \"2026-01-05\" (years 1900 to 2200)",
                        s.get_ref()
                    ),
                );
                default_start()
            }
        }
    }

    /// The agency counts to compare: each from 1 to the roster size, each once; by
    /// default the whole roster.
    fn agency_counts(
        &mut self,
        list: Option<&Spanned<Vec<Spanned<i64>>>>,
        roster: usize,
    ) -> Vec<usize> {
        let Some(list) = list else {
            return vec![roster.max(1)];
        };
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

    /// Indices of the schedules to run, in the order listed; by default every schedule.
    fn chosen_schedules(
        &mut self,
        list: Option<&Spanned<Vec<Spanned<String>>>>,
        schedules: &[Unfinished],
    ) -> Vec<usize> {
        let Some(list) = list else {
            return (0..schedules.len()).collect();
        };
        if list.get_ref().is_empty() {
            self.err(
                list.span(),
                "schedules",
                "the list is empty; expected at least one schedule name, or no schedules key to run them all",
            );
        }
        let list = list.get_ref();
        let names: Vec<&str> = schedules.iter().map(|(s, _)| s.name.as_str()).collect();
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
                    let hint = hint(n.get_ref(), names.iter().copied());
                    self.err(
                        n.span(),
                        "schedules",
                        format!(
                            "\"{}\" is not a schedule of this scenario; expected one of: {}{hint}",
                            n.get_ref(),
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        chosen
    }

    /// SLA thresholds in seconds: one to eight, positive and increasing.
    fn sla(&mut self, list: Option<&Spanned<Vec<Spanned<Duration>>>>) -> Vec<f64> {
        let Some(list) = list else {
            return vec![3600.0, 7200.0, 14_400.0];
        };
        let mut sla: Vec<f64> = Vec::new();
        for s in list.get_ref() {
            let v = s.get_ref().secs();
            // Each threshold names a column (`within_2h`): two that print alike would
            // give two columns of one name.
            let label = super::super::units::format_duration(v);
            if let Some(&same) = sla
                .iter()
                .find(|&&w| super::super::units::format_duration(w) == label)
            {
                self.err(
                    s.span(),
                    "sla",
                    format!(
                        "{v} s and {same} s both name the column within_{label}; expected thresholds that differ in their first two decimals (of s, m, h or d)"
                    ),
                );
            }
            if v <= 0.0 || sla.last().is_some_and(|last| v <= *last) {
                self.err(
                    s.span(),
                    "sla",
                    "expected positive thresholds in increasing order, e.g. [\"1h\", \"2h\", \"4h\"]",
                );
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
}
