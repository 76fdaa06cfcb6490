//! `[[schedule]]`: each rotation schedule's kind, the keys that kind takes, and its
//! dated outages.

use std::collections::HashSet;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use toml::Spanned;

use super::super::raw::{RawOutage, RawSchedule};
use super::super::units::{DAY, TimeOfDay, Weekdays};
use super::super::{Anchor, Block, Fallback, Kind, Outage, Rule, ScheduleSpec};
use super::Validator;

/// A schedule checked but for its outages, which need the experiment's start date.
pub(super) type Unfinished = (ScheduleSpec, Vec<Spanned<RawOutage>>);

impl Validator<'_> {
    /// Every schedule, without its outages (see [`Validator::outage`]).
    pub(super) fn schedules(
        &mut self,
        raw: Vec<Spanned<RawSchedule>>,
        ids: &[String],
    ) -> Vec<Unfinished> {
        let mut names = HashSet::new();
        raw.into_iter()
            .map(|s| self.schedule(s.into_inner(), ids, &mut names))
            .collect()
    }

    /// One schedule; `names` are those of the schedules before it.
    fn schedule(
        &mut self,
        s: RawSchedule,
        ids: &[String],
        names: &mut HashSet<String>,
    ) -> Unfinished {
        let name = s.name.get_ref().trim().to_string();
        if !self.safe_name(s.name.span(), "name", "schedule name", &name) {
            // Reported by safe_name.
        } else if name.is_empty() || name.contains(',') || !names.insert(name.clone()) {
            self.err(
                s.name.span(),
                "name",
                format!("the schedule name \"{name}\" is empty, has a comma or is used twice; expected a unique name"),
            );
        }
        let kind = *s.kind.get_ref();
        self.keys_of_kind(&s, kind);
        let rule = match kind {
            Kind::FollowTheSun => Rule::FollowTheSun {
                anchor: s.anchor.as_ref().map_or(Anchor::Local, |a| *a.get_ref()),
                min_shift: self.min_shift(&s),
            },
            Kind::RoundRobin => self.round_robin(&s),
            Kind::Blocks => Rule::Blocks(self.blocks(&s, ids)),
            Kind::HomeHours => self.home_hours(&s),
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
        (
            ScheduleSpec {
                name,
                rule,
                outages: Vec::new(),
            },
            s.outages,
        )
    }

    /// Keys that only some kinds use are errors elsewhere, so that a typo in the kind is
    /// not silently ignored. (`days` is checked after the kind's own keys.)
    fn keys_of_kind(&mut self, s: &RawSchedule, kind: Kind) {
        let allowed: &[&str] = match kind {
            Kind::FollowTheSun => &["anchor", "min_shift"],
            Kind::RoundRobin => &["period", "handoff_at", "tz"],
            Kind::Blocks => &["blocks"],
            Kind::HomeHours => &["open", "close", "days"],
            Kind::Always => &[],
        };
        let present: [(&str, Option<Range<usize>>); 8] = [
            ("anchor", s.anchor.as_ref().map(Spanned::span)),
            ("min_shift", s.min_shift.as_ref().map(Spanned::span)),
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
    }

    /// `min_shift` of a follow-the-sun schedule, seconds (0 when absent).
    fn min_shift(&mut self, s: &RawSchedule) -> f64 {
        match &s.min_shift {
            None => 0.0,
            Some(m) if m.get_ref().secs() <= DAY => m.get_ref().secs(),
            Some(m) => {
                self.err(
                    m.span(),
                    "min_shift",
                    format!(
                        "a minimum shift of {} is longer than a day; expected a duration from 0 to 24h, e.g. \"4h\"",
                        m.get_ref()
                    ),
                );
                0.0
            }
        }
    }

    fn round_robin(&mut self, s: &RawSchedule) -> Rule {
        let period = match &s.period {
            Some(p) if p.get_ref().secs() >= 60.0 => p.get_ref().secs(),
            Some(p) => {
                self.err(
                    p.span(),
                    "period",
                    format!(
                        "a period of {} is too short; expected at least 1m, e.g. \"1d\" or \"7d\"",
                        p.get_ref()
                    ),
                );
                DAY
            }
            None => DAY,
        };
        Rule::RoundRobin {
            period,
            handoff_at: s.handoff_at.as_ref().map_or(TimeOfDay(0), |h| *h.get_ref()),
            tz: s.tz.as_ref().map_or(Tz::UTC, |t| self.tz(t, "tz")),
        }
    }

    fn blocks(&mut self, s: &RawSchedule, ids: &[String]) -> Vec<Block> {
        let Some(list) = &s.blocks else {
            self.err(
                s.kind.span(),
                "blocks",
                "a blocks schedule needs blocks = [ { agency = \"uk\", from = \"06:00\", to = \"18:00\", tz = \"UTC\" }, ... ]",
            );
            return Vec::new();
        };
        let mut blocks = Vec::new();
        for b in list.get_ref() {
            let b = b.get_ref();
            let agency = self.agency_ref(&b.agency, ids, "blocks.agency");
            if b.from.get_ref() == b.to.get_ref() || (b.from.get_ref().secs() == 86_400) {
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
        blocks
    }

    fn home_hours(&mut self, s: &RawSchedule) -> Rule {
        let open = s
            .open
            .as_ref()
            .map_or(TimeOfDay(9 * 3600), |o| *o.get_ref());
        let close = s
            .close
            .as_ref()
            .map_or(TimeOfDay(17 * 3600), |o| *o.get_ref());
        if close == open || open.secs() == 86_400 {
            let span = s
                .close
                .as_ref()
                .or(s.open.as_ref())
                .map_or(s.kind.span(), Spanned::span);
            self.err(
                span,
                "close",
                format!(
                    "office hours open at {open} and close at {close}; expected open before 24:00 and close different from open (close before open wraps midnight, e.g. open = \"22:00\", close = \"06:00\"; for every hour use kind = \"always\")"
                ),
            );
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

    /// One outage; `start` is the start of the horizon.
    pub(super) fn outage(
        &mut self,
        o: Spanned<RawOutage>,
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
}
