//! `[[agency]]`: the roster's ids, and each agency with its referral desk.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;

use toml::Spanned;

use super::super::error::hint;
use super::super::raw::{RawAgency, RawDesk, RawDeskHours};
use super::super::units::{Dist, Weekdays};
use super::super::{Agency, Desk, MAX_AGENCIES, MAX_CLASSES, ScenarioError};
use super::Validator;

impl Validator<'_> {
    /// The agency ids in roster order, each checked: unique, usable as an id, and not
    /// too many of them.
    pub(super) fn roster(&mut self, agencies: &[Spanned<RawAgency>]) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for a in agencies {
            let id = a.get_ref().id.get_ref().clone();
            if !self.safe_name(a.get_ref().id.span(), "id", "agency id", &id) {
                // Reported by safe_name.
            } else if !seen.insert(id.clone()) {
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
        if agencies.is_empty() {
            self.err(
                0..0,
                "[[agency]]",
                "the scenario has no agencies; expected at least one [[agency]] table",
            );
        }
        if agencies.len() > MAX_AGENCIES {
            self.err(
                agencies[MAX_AGENCIES].span(),
                "[[agency]]",
                format!("too many agencies; at most {MAX_AGENCIES} are supported"),
            );
        }
        ids
    }

    /// One agency; `classes` are the severity class names, in priority order.
    pub(super) fn agency(&mut self, a: RawAgency, classes: &[String]) -> Agency {
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
            Some(d) => self.desk(d, classes),
        };
        let mut holidays = self.holidays(a.holidays.as_deref().unwrap_or_default());
        if let Some(file) = &a.holidays_file {
            holidays.extend(self.holidays_file(file));
        }
        holidays.sort_unstable();
        holidays.dedup();
        let id = a.id.into_inner();
        if let Some(name) = &a.name {
            self.safe_name(name.span(), "name", "agency name", name.get_ref());
        }
        Agency {
            holidays,
            name: a.name.map_or_else(|| id.clone(), Spanned::into_inner),
            id,
            tz,
            weight,
            watch_staff,
            desk,
            referral_in: a.referral_in.unwrap_or(Dist::Const(0.0)),
            police: a.police.unwrap_or(Dist::Const(0.0)),
        }
    }

    /// `holidays = ["2026-12-25", ...]`: local dates.
    fn holidays(&mut self, list: &[Spanned<String>]) -> Vec<NaiveDate> {
        let mut dates = Vec::new();
        for d in list {
            match NaiveDate::parse_from_str(d.get_ref().trim(), "%Y-%m-%d") {
                Ok(date) => dates.push(date),
                Err(_) => self.err(
                    d.span(),
                    "holidays",
                    format!(
                        "\"{}\" is not a date; expected a local date such as \"2026-12-25\"",
                        d.get_ref()
                    ),
                ),
            }
        }
        dates
    }

    /// `holidays_file = "holidays/uk.txt"`: one local date a line (`2026-12-25`); blank
    /// lines and text after `#` are ignored. A relative path is read from the scenario
    /// file's folder. Its bad lines are reported at their own line of that file.
    fn holidays_file(&mut self, file: &Spanned<String>) -> Vec<NaiveDate> {
        let written = Path::new(file.get_ref());
        let path = if written.is_relative() {
            Path::new(self.source.path)
                .parent()
                .unwrap_or(Path::new("."))
                .join(written)
        } else {
            written.to_path_buf()
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.err(
                    file.span(),
                    "holidays_file",
                    format!(
                        "cannot read the holidays file {}: {e}; expected a text file with one date (\"2026-12-25\") a line",
                        path.display()
                    ),
                );
                return Vec::new();
            }
        };
        let mut dates = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let body = line.split('#').next().unwrap_or_default();
            let date = body.trim();
            if date.is_empty() {
                continue;
            }
            match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(d) => dates.push(d),
                Err(_) => {
                    let column = body.len() - body.trim_start().len() + 1;
                    self.errors.push(ScenarioError {
                        path: path.display().to_string(),
                        line: n + 1,
                        column,
                        key: "holidays_file".to_string(),
                        message: format!(
                            "\"{date}\" is not a date; expected one local date a line, such as \"2026-12-25\" (text after # is a comment)"
                        ),
                        snippet: Some((line.trim_end().to_string(), column - 1, date.chars().count())),
                    });
                }
            }
        }
        dates
    }

    /// A referral desk: `"24/7"`, or opening hours with an optional call-out.
    fn desk(&mut self, d: Spanned<RawDesk>, classes: &[String]) -> Desk {
        let span = d.span();
        let h = match d.into_inner() {
            RawDesk::Always(s) if s == "24/7" => return Desk::Always,
            RawDesk::Always(s) => {
                self.err(
                    span,
                    "desk",
                    format!("\"{s}\" is not a desk; expected \"24/7\" or {{ open = \"08:00\", close = \"18:00\", days = \"Mon-Fri\" }}"),
                );
                return Desk::Always;
            }
            RawDesk::Hours(h) => h,
        };
        if h.open.get_ref().secs() == 86_400 {
            self.err(
                h.open.span(),
                "desk.open",
                "the desk opens at 24:00; expected an opening time from 00:00 to 23:59 (\"00:00\" for midnight)",
            );
        } else if h.close.get_ref() == h.open.get_ref() {
            self.err(
                h.close.span(),
                "desk.close",
                format!(
                    "the desk opens and closes at {}; expected a closing time different from the opening time (a closing time before the opening time wraps midnight, e.g. open = \"22:00\", close = \"06:00\"), or desk = \"24/7\"",
                    h.open.get_ref()
                ),
            );
        }
        let callout_for = self.callout_for(&h, span, classes);
        Desk::Hours {
            open: *h.open.get_ref(),
            close: *h.close.get_ref(),
            days: h.days.unwrap_or(Weekdays(0b0011111)),
            callout: h.callout,
            callout_for,
        }
    }

    /// The classes that get a call-out, as a set (bit *i* for class *i*): those listed,
    /// or every class when only `callout` is given.
    fn callout_for(
        &mut self,
        h: &RawDeskHours,
        span: std::ops::Range<usize>,
        classes: &[String],
    ) -> u64 {
        let Some(list) = &h.callout_for else {
            return if h.callout.is_some() { u64::MAX } else { 0 };
        };
        let mut mask = 0u64;
        for c in list {
            match classes.iter().position(|n| n == c.get_ref()) {
                Some(i) if i < MAX_CLASSES => mask |= 1 << i,
                // More classes than a set holds is an error of [incidents] severity,
                // reported already; such a class has no bit.
                Some(_) => {}
                None => {
                    let hint = hint(c.get_ref(), classes.iter().map(String::as_str));
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
        mask
    }
}
