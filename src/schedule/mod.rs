//! Rotation schedules compiled into exact UTC coverage.
//!
//! A schedule and an agency count *k* become a [`Coverage`]: the horizon cut into
//! segments, each with the set of members holding the watch. All time-zone and
//! daylight-saving work happens here; the engine only sees seconds from the horizon
//! start.
//!
//! Local wall-clock times are turned into instants by one rule, used everywhere:
//! a local time skipped by a spring-forward transition is moved forward by the length
//! of the skip (02:30 on a night that jumps from 02:00 to 03:00 becomes 03:30), and a
//! local time that occurs twice at a fall-back transition means its first occurrence.
//! Two shifts that meet at the same local time therefore still meet, and a shift that
//! spans a transition is an hour shorter or longer, as it is in reality.

use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

use crate::scenario::units::{DAY, HOUR, TimeOfDay, Weekdays};
use crate::scenario::{Anchor, Desk, Fallback, Outage, Rule, Scenario, ScheduleSpec};

/// The members holding the watch over the horizon, as contiguous segments.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Start of each segment, seconds from the horizon start; the first is 0.
    pub starts: Vec<f64>,
    /// Holders of each segment: bit *i* set when roster member *i* holds the watch.
    pub masks: Vec<u64>,
    /// End of the last segment.
    pub horizon: f64,
}

/// One interval of a compiled schedule, for listing and CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// `watch`, `gap` or `overlap`.
    pub kind: IntervalKind,
    /// Members concerned (one for a watch, none for a gap, two or more for an overlap).
    pub members: u64,
    /// Start, seconds from the horizon start.
    pub start: f64,
    /// End, seconds from the horizon start.
    pub end: f64,
}

/// The kinds of [`Interval`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum IntervalKind {
    /// A member holds the watch.
    Watch,
    /// Nobody holds the watch.
    Gap,
    /// Several members hold it at once.
    Overlap,
}

impl IntervalKind {
    /// The name used in `coverage.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalKind::Watch => "watch",
            IntervalKind::Gap => "gap",
            IntervalKind::Overlap => "overlap",
        }
    }
}

impl Coverage {
    /// Builds coverage from possibly overlapping member intervals `(member, start, end)`.
    pub fn from_intervals(mut intervals: Vec<(usize, f64, f64)>, horizon: f64) -> Coverage {
        intervals.retain(|&(_, s, e)| e > s && e > 0.0 && s < horizon);
        let mut events: Vec<(f64, usize, i32)> = Vec::with_capacity(intervals.len() * 2);
        for &(m, s, e) in &intervals {
            events.push((s.max(0.0), m, 1));
            events.push((e.min(horizon), m, -1));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
        let mut counts = [0i32; 64];
        let mut starts = vec![0.0];
        let mut masks = vec![0u64];
        let mut i = 0;
        while i < events.len() {
            let t = events[i].0;
            while i < events.len() && events[i].0 == t {
                counts[events[i].1] += events[i].2;
                i += 1;
            }
            if t >= horizon {
                break;
            }
            let mask = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .fold(0u64, |m, (j, _)| m | 1 << j);
            if *masks.last().expect("non-empty") == mask {
                continue;
            }
            if *starts.last().expect("non-empty") == t {
                *masks.last_mut().expect("non-empty") = mask;
                // Merging may make this segment equal to the one before it.
                if masks.len() >= 2 && masks[masks.len() - 2] == mask {
                    masks.pop();
                    starts.pop();
                }
            } else {
                starts.push(t);
                masks.push(mask);
            }
        }
        Coverage {
            starts,
            masks,
            horizon,
        }
    }

    /// The end of segment `i`.
    pub fn end(&self, i: usize) -> f64 {
        self.starts.get(i + 1).copied().unwrap_or(self.horizon)
    }

    /// The index of the segment holding instant `t` (clamped to the horizon).
    pub fn segment_at(&self, t: f64) -> usize {
        self.starts.partition_point(|&s| s <= t).saturating_sub(1)
    }

    /// The holders at instant `t`.
    pub fn mask_at(&self, t: f64) -> u64 {
        self.masks[self.segment_at(t)]
    }

    /// Seconds during which member `m` holds the watch.
    pub fn held_secs(&self, m: usize) -> f64 {
        (0..self.masks.len())
            .filter(|&i| self.masks[i] & (1 << m) != 0)
            .map(|i| self.end(i) - self.starts[i])
            .sum()
    }

    /// Every member's watch intervals, every gap and every overlap, in time order.
    pub fn intervals(&self, members: usize) -> Vec<Interval> {
        let mut out = Vec::new();
        for m in 0..members {
            let bit = 1u64 << m;
            self.runs(
                |mask| mask & bit != 0,
                |_| bit,
                IntervalKind::Watch,
                &mut out,
            );
        }
        self.runs(|mask| mask == 0, |_| 0, IntervalKind::Gap, &mut out);
        self.runs(
            |mask| mask.count_ones() >= 2,
            |mask| mask,
            IntervalKind::Overlap,
            &mut out,
        );
        out.sort_by(|a, b| {
            a.start
                .total_cmp(&b.start)
                .then(a.kind.cmp(&b.kind))
                .then(a.members.cmp(&b.members))
        });
        out
    }

    fn runs(
        &self,
        keep: impl Fn(u64) -> bool,
        label: impl Fn(u64) -> u64,
        kind: IntervalKind,
        out: &mut Vec<Interval>,
    ) {
        let mut current: Option<Interval> = None;
        for i in 0..self.masks.len() {
            let mask = self.masks[i];
            if keep(mask) {
                let members = label(mask);
                match &mut current {
                    Some(c) if c.members == members && c.end == self.starts[i] => {
                        c.end = self.end(i)
                    }
                    _ => {
                        out.extend(current.take());
                        current = Some(Interval {
                            kind,
                            members,
                            start: self.starts[i],
                            end: self.end(i),
                        });
                    }
                }
            } else {
                out.extend(current.take());
            }
        }
        out.extend(current);
    }
}

/// The instant of a local wall-clock time, by the rule in the module documentation.
pub fn local_instant(tz: Tz, date: NaiveDate, time: TimeOfDay) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight")
        + ChronoDuration::seconds(i64::from(time.secs()));
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // Inside a spring-forward gap: read the wall time with the offset in force
            // before the jump, which lands as far past the gap's end as the time was
            // past its start.
            let before = Utc.from_utc_datetime(&(naive - ChronoDuration::hours(24)));
            let offset = tz.offset_from_utc_datetime(&before.naive_utc());
            let total = offset.base_utc_offset() + offset.dst_offset();
            Utc.from_utc_datetime(&(naive - total))
        }
    }
}

/// A scenario's horizon, with conversions between seconds and instants.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    /// Midnight UTC of the first day.
    pub start: DateTime<Utc>,
    /// Length in seconds.
    pub length: f64,
}

impl Horizon {
    /// The horizon of a scenario.
    pub fn of(scenario: &Scenario) -> Horizon {
        Horizon {
            start: scenario.experiment.start_utc(),
            length: scenario.experiment.horizon(),
        }
    }

    /// Seconds from the start to an instant.
    pub fn secs(&self, t: DateTime<Utc>) -> f64 {
        (t - self.start).num_milliseconds() as f64 / 1000.0
    }

    /// The instant `secs` after the start.
    pub fn instant(&self, secs: f64) -> DateTime<Utc> {
        self.start + ChronoDuration::milliseconds((secs * 1000.0).round() as i64)
    }

    /// The local dates that can hold a piece of the horizon in any zone, with a margin
    /// for shifts that wrap midnight.
    fn local_dates(&self) -> impl Iterator<Item = NaiveDate> {
        let first = self.start.date_naive() - ChronoDuration::days(2);
        let days = (self.length / DAY).ceil() as i64 + 4;
        (0..days).map(move |d| first + ChronoDuration::days(d))
    }

    /// Daily intervals from `from` to `to` local time in `tz` on the given weekdays
    /// (`to` at or before `from` wraps midnight), in seconds from the start.
    pub fn daily(&self, tz: Tz, from: TimeOfDay, to: TimeOfDay, days: Weekdays) -> Vec<(f64, f64)> {
        self.local_dates()
            .filter(|d| days.contains(d.weekday().num_days_from_monday()))
            .map(|d| {
                let start = local_instant(tz, d, from);
                let end_date = if to <= from {
                    d.succ_opt().expect("date in range")
                } else {
                    d
                };
                let end = local_instant(tz, end_date, to);
                (self.secs(start), self.secs(end))
            })
            .filter(|&(s, e)| e > 0.0 && s < self.length && e > s)
            .map(|(s, e)| (s.max(0.0), e.min(self.length)))
            .collect()
    }
}

/// The base (standard-time) UTC offset of a zone at an instant, in seconds.
pub fn standard_offset(tz: Tz, at: DateTime<Utc>) -> i64 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .base_utc_offset()
        .num_seconds()
}

/// Compiles schedule `spec` of `scenario` for the first `k` members of the roster.
pub fn compile(scenario: &Scenario, spec: &ScheduleSpec, k: usize) -> Coverage {
    let horizon = Horizon::of(scenario);
    let h = horizon.length;
    let mut intervals: Vec<(usize, f64, f64)> = Vec::new();
    match &spec.rule {
        Rule::Always => intervals.extend((0..k).map(|m| (m, 0.0, h))),
        Rule::HomeHours { open, close, days } => {
            for m in 0..k {
                let a = &scenario.agencies[m];
                let hours = horizon.daily(a.tz, *open, *close, *days);
                intervals.extend(
                    without_holidays(hours, &horizon, a.tz, &a.holidays)
                        .into_iter()
                        .map(|(s, e)| (m, s, e)),
                );
            }
        }
        Rule::Blocks(blocks) => {
            for b in blocks.iter().filter(|b| b.agency < k) {
                intervals.extend(
                    horizon
                        .daily(b.tz, b.from, b.to, b.days)
                        .into_iter()
                        .map(|(s, e)| (b.agency, s, e)),
                );
            }
        }
        Rule::RoundRobin {
            period,
            handoff_at,
            tz,
        } => {
            let whole_days = (period / DAY).round();
            // Handoffs fall on the start date's handoff time plus whole periods, from
            // the last one at or before the horizon start to the first one after it.
            let start_date = horizon.start.date_naive();
            let boundaries: Vec<f64> =
                if whole_days >= 1.0 && (period - whole_days * DAY).abs() < 1.0 {
                    // Handoffs at a local wall-clock time every `whole_days` days; two
                    // days either side cover any zone's offset from UTC. A period longer
                    // than the horizon hands off at most once, so capping it changes
                    // nothing and keeps the dates in range.
                    let step = whole_days.min((h / DAY).ceil() + 3.0) as i64;
                    let first = -(2 / step + 1);
                    let last = ((h / DAY).ceil() as i64 + 2) / step + 2;
                    (first..=last)
                        .map(|n| start_date + ChronoDuration::days(n * step))
                        .map(|d| horizon.secs(local_instant(*tz, d, *handoff_at)))
                        .collect()
                } else {
                    let at_start = horizon.secs(local_instant(*tz, start_date, *handoff_at));
                    let first = at_start - (at_start / period).ceil() * period;
                    (0..)
                        .map(|n| first + n as f64 * period)
                        .take_while(|&t| t < h + *period)
                        .collect()
                };
            // The member holding the watch at the horizon start is the first of the roster.
            let origin = boundaries.iter().rposition(|&b| b <= 0.0).unwrap_or(0);
            for (n, pair) in boundaries.windows(2).enumerate() {
                let member = (n as i64 - origin as i64).rem_euclid(k as i64) as usize;
                intervals.push((member, pair[0], pair[1]));
            }
        }
        Rule::FollowTheSun { anchor, min_shift } if *min_shift > 0.0 => {
            intervals.extend(follow_the_sun_rotation(
                scenario, k, &horizon, *anchor, *min_shift,
            ));
        }
        Rule::FollowTheSun { anchor, .. } => {
            for (m, (from, to)) in follow_the_sun_shifts(scenario, k, horizon.start)
                .into_iter()
                .enumerate()
            {
                let (tz, offset) = match anchor {
                    Anchor::Local => (
                        scenario.agencies[m].tz,
                        standard_offset(scenario.agencies[m].tz, horizon.start),
                    ),
                    Anchor::Utc => (Tz::UTC, 0),
                };
                if to - from >= DAY - 0.5 {
                    intervals.push((m, 0.0, h));
                    continue;
                }
                let wall = |t: f64| TimeOfDay(((t + offset as f64).rem_euclid(DAY)).round() as u32);
                intervals.extend(
                    horizon
                        .daily(tz, wall(from), wall(to), Weekdays::ALL)
                        .into_iter()
                        .map(|(s, e)| (m, s, e)),
                );
            }
        }
    }
    apply_outages(&mut intervals, spec, k);
    Coverage::from_intervals(intervals, h)
}

/// Each member's follow-the-sun shift as `(from, to)` seconds of the UTC day (`to` may
/// pass 86 400): the members tile the day, each around its local midday in standard
/// time; members sharing a midday split their span in roster order.
pub fn follow_the_sun_shifts(scenario: &Scenario, k: usize, at: DateTime<Utc>) -> Vec<(f64, f64)> {
    let midday: Vec<f64> = (0..k)
        .map(|m| {
            (12.0 * HOUR - standard_offset(scenario.agencies[m].tz, at) as f64).rem_euclid(DAY)
        })
        .collect();
    let mut groups: Vec<f64> = midday.clone();
    groups.sort_by(f64::total_cmp);
    groups.dedup();
    let g = groups.len();
    let mut shifts = vec![(0.0, DAY); k];
    for (gi, &noon) in groups.iter().enumerate() {
        let (from, to) = if g == 1 {
            (noon - DAY / 2.0, noon + DAY / 2.0)
        } else {
            let prev = groups[(gi + g - 1) % g] - if gi == 0 { DAY } else { 0.0 };
            let next = groups[(gi + 1) % g] + if gi == g - 1 { DAY } else { 0.0 };
            ((prev + noon) / 2.0, (noon + next) / 2.0)
        };
        let members: Vec<usize> = (0..k).filter(|&m| midday[m] == noon).collect();
        let part = (to - from) / members.len() as f64;
        for (i, &m) in members.iter().enumerate() {
            let s = from + part * i as f64;
            shifts[m] = (s.rem_euclid(DAY), s.rem_euclid(DAY) + part);
        }
    }
    shifts
}

/// Removes outage time from members' intervals. Under fallback `gap` nobody takes it
/// over; under `next` each piece of it goes to the next member that is not itself out
/// during that piece ([`cover`]).
fn apply_outages(intervals: &mut Vec<(usize, f64, f64)>, spec: &ScheduleSpec, k: usize) {
    for (index, outage) in spec.outages.iter().enumerate() {
        if outage.agency >= k {
            continue;
        }
        let mut kept = Vec::with_capacity(intervals.len());
        let mut moved = Vec::new();
        for &(m, s, e) in intervals.iter() {
            if m != outage.agency || e <= outage.from || s >= outage.to {
                kept.push((m, s, e));
                continue;
            }
            if s < outage.from {
                kept.push((m, s, outage.from));
            }
            if e > outage.to {
                kept.push((m, outage.to, e));
            }
            moved.push((s.max(outage.from), e.min(outage.to)));
        }
        if outage.fallback == Fallback::Next {
            let others: Vec<&Outage> = spec
                .outages
                .iter()
                .enumerate()
                .filter(|&(j, o)| j != index && o.agency < k && o.agency != outage.agency)
                .map(|(_, o)| o)
                .collect();
            for (s, e) in moved {
                kept.extend(
                    cover(outage.agency, s, e, &others, k)
                        .into_iter()
                        .filter_map(|(holder, s, e)| holder.map(|m| (m, s, e))),
                );
            }
        }
        *intervals = kept;
    }
}

/// Who takes over member `out`'s watch from `from` to `to` under fallback `next`, piece
/// by piece: the next member in roster order (among the first `k`, wrapping round) that
/// is not itself out during that piece, by `others` (the other members' outages); `None`
/// for a piece during which every other member is out. The pieces are cut at every start
/// and end of those outages, and neighbours with the same holder are joined.
fn cover(
    out: usize,
    from: f64,
    to: f64,
    others: &[&Outage],
    k: usize,
) -> Vec<(Option<usize>, f64, f64)> {
    let mut cuts: Vec<f64> = others
        .iter()
        .flat_map(|o| [o.from, o.to])
        .filter(|&t| t > from && t < to)
        .collect();
    cuts.push(from);
    cuts.push(to);
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut pieces: Vec<(Option<usize>, f64, f64)> = Vec::new();
    for w in cuts.windows(2) {
        let (s, e) = (w[0], w[1]);
        // Each other outage covers the whole piece or none of it.
        let is_out = |m: usize| {
            others
                .iter()
                .any(|o| o.agency == m && o.from < e && o.to > s)
        };
        let holder = (1..k).map(|d| (out + d) % k).find(|&m| !is_out(m));
        match pieces.last_mut() {
            Some(last) if last.0 == holder && last.2 == s => last.2 = e,
            _ => pieces.push((holder, s, e)),
        }
    }
    pieces
}

/// The times each agency's referral desk is open by its own hours, as sorted disjoint
/// intervals; `None` for a 24/7 desk, which is always open.
pub fn desk_hours(scenario: &Scenario) -> Vec<Option<Vec<(f64, f64)>>> {
    let horizon = Horizon::of(scenario);
    scenario
        .agencies
        .iter()
        .map(|a| match &a.desk {
            Desk::Always => None,
            Desk::Hours {
                open, close, days, ..
            } => Some(without_holidays(
                horizon.daily(a.tz, *open, *close, *days),
                &horizon,
                a.tz,
                &a.holidays,
            )),
        })
        .collect()
}

/// `intervals` (sorted, disjoint) less every local holiday date of zone `tz`, from its
/// local midnight to the next: a desk or a home watch is shut for the whole date, also
/// the part of a night shift that runs into it.
pub fn without_holidays(
    intervals: Vec<(f64, f64)>,
    horizon: &Horizon,
    tz: Tz,
    holidays: &[NaiveDate],
) -> Vec<(f64, f64)> {
    if holidays.is_empty() {
        return intervals;
    }
    let closed: Vec<(f64, f64)> = holidays
        .iter()
        .filter_map(|&d| {
            let next = d.succ_opt()?;
            Some((
                horizon.secs(local_instant(tz, d, TimeOfDay(0))),
                horizon.secs(local_instant(tz, next, TimeOfDay(0))),
            ))
        })
        .collect();
    let mut out = Vec::with_capacity(intervals.len());
    for (s, e) in intervals {
        let mut pieces = vec![(s, e)];
        for &(cs, ce) in &closed {
            pieces = pieces
                .into_iter()
                .flat_map(|(s, e)| {
                    if ce <= s || cs >= e {
                        vec![(s, e)]
                    } else {
                        [(s, cs), (ce, e)]
                            .into_iter()
                            .filter(|(a, b)| b > a)
                            .collect()
                    }
                })
                .collect();
        }
        out.extend(pieces);
    }
    out
}

/// Follow-the-sun with a minimum shift: the day is tiled around the members' local
/// middays as without one, then every stretch of the day (the span of one midday, shared
/// by the members whose midday it is) shorter than `min_shift` is joined with the
/// shorter of its two neighbouring stretches, shortest first (the earlier on ties,
/// and on a tie between neighbours the later one), until none is shorter or one is
/// left. A stretch of span S held by n members is cut into `min(n, ⌊S / min_shift⌋)`
/// equal blocks, and the members take those blocks in rotation by day, in roster
/// order: on day d (counted from the horizon start), block i goes to member
/// `(d × blocks + i) mod n`. So every block is at least `min_shift` long and each
/// member's share of watch time over n days is the same. Under `anchor = "local"` the
/// times are the holder's wall clock (as without `min_shift`), under `"utc"` UTC.
fn follow_the_sun_rotation(
    scenario: &Scenario,
    k: usize,
    horizon: &Horizon,
    anchor: Anchor,
    min_shift: f64,
) -> Vec<(usize, f64, f64)> {
    let start = horizon.start;
    let shifts = follow_the_sun_shifts(scenario, k, start);
    // Stretches: (from, to) of the UTC day with their members in roster order, in
    // order of `from` round the day.
    let mut stretches: Vec<(f64, f64, Vec<usize>)> = Vec::new();
    let midday = |m: usize| {
        (12.0 * HOUR - standard_offset(scenario.agencies[m].tz, start) as f64).rem_euclid(DAY)
    };
    let mut noons: Vec<f64> = (0..k).map(midday).collect();
    noons.sort_by(f64::total_cmp);
    noons.dedup();
    for noon in noons {
        let members: Vec<usize> = (0..k).filter(|&m| midday(m) == noon).collect();
        let from = shifts[members[0]].0;
        let span: f64 = members.iter().map(|&m| shifts[m].1 - shifts[m].0).sum();
        stretches.push((from, from + span, members));
    }
    stretches.sort_by(|a, b| a.0.total_cmp(&b.0));
    let span = |s: &(f64, f64, Vec<usize>)| s.1 - s.0;
    while stretches.len() > 1 {
        let Some(i) = (0..stretches.len())
            .filter(|&i| span(&stretches[i]) < min_shift - 0.5)
            .min_by(|&a, &b| span(&stretches[a]).total_cmp(&span(&stretches[b])))
        else {
            break;
        };
        let n = stretches.len();
        let (prev, next) = ((i + n - 1) % n, (i + 1) % n);
        let with = if span(&stretches[prev]) < span(&stretches[next]) {
            prev
        } else {
            next
        };
        // Join `first` and the stretch after it (round the day).
        let first = if with == next { i } else { prev };
        let second = (first + 1) % n;
        let (_, to, members) = stretches[second].clone();
        let joined = &mut stretches[first];
        joined.1 = joined.0 + (to - joined.0).rem_euclid(DAY);
        if joined.1 <= joined.0 {
            joined.1 += DAY;
        }
        joined.2.extend(members);
        joined.2.sort_unstable();
        stretches.remove(second);
    }
    let first_date = start.date_naive();
    let mut out = Vec::new();
    for (from, to, members) in stretches {
        let n = members.len();
        let total = (to - from).min(DAY);
        let blocks = ((total / min_shift + 1e-9).floor() as usize).clamp(1, n);
        let part = total / blocks as f64;
        if blocks == 1 && n == 1 && total >= DAY - 0.5 {
            out.push((members[0], 0.0, horizon.length));
            continue;
        }
        for i in 0..blocks {
            let (s, e) = (from + part * i as f64, from + part * (i + 1) as f64);
            // UTC day d's block runs from d·24h + s (in standard time); its holder's wall
            // clock then gives the dates, so daylight saving moves it as it moves any
            // local handoff.
            let days = (horizon.length / DAY).ceil() as i64 + 2;
            for d in -2..days {
                let m = members[(d * blocks as i64 + i as i64).rem_euclid(n as i64) as usize];
                let (tz, offset) = match anchor {
                    Anchor::Local => (
                        scenario.agencies[m].tz,
                        standard_offset(scenario.agencies[m].tz, start) as f64,
                    ),
                    Anchor::Utc => (Tz::UTC, 0.0),
                };
                let local = |t: f64| {
                    let at = d as f64 * DAY + t + offset;
                    let date = first_date + ChronoDuration::days(at.div_euclid(DAY) as i64);
                    local_instant(tz, date, TimeOfDay(at.rem_euclid(DAY).round() as u32))
                };
                let (bs, be) = (horizon.secs(local(s)), horizon.secs(local(e)));
                if be > 0.0 && bs < horizon.length && be > bs {
                    out.push((m, bs.max(0.0), be.min(horizon.length)));
                }
            }
        }
    }
    out
}

/// Names the members of a set: `uk`, or `uk+us` for an overlap, empty for a gap.
pub fn member_names(scenario: &Scenario, members: u64) -> String {
    (0..scenario.agencies.len())
        .filter(|m| members & (1 << m) != 0)
        .map(|m| scenario.agencies[m].id.as_str())
        .collect::<Vec<_>>()
        .join("+")
}
