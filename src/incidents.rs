//! Incident streams: synthetic non-homogeneous Poisson arrivals or a recorded trace,
//! each incident with every random draw it may need made up front.
//!
//! Common random numbers: the arrival stream of replication *r* (times and
//! jurisdictions) comes from a generator seeded by (seed, r). Every other random
//! quantity of incident *i* (class, visibility, detection effort, triage work, each
//! referral transit, call-out, police response, each handoff) comes from a stream of its
//! own keyed by (seed, r, i, quantity): see [`QuantityRng`]. The same incidents with the
//! same draws are then replayed against every schedule and agency count; an incident's
//! draws do not depend on how many incidents came before it; and changing the
//! distribution of one quantity changes the draws of that quantity only.

use rayon::prelude::*;
use std::convert::Infallible;
use std::path::Path;

use chrono::{DateTime, Datelike, Timelike};
use rand::rand_core::utils::fill_bytes_via_next_word;
use rand::{SeedableRng, TryRng};
use rand_distr::{Distribution, Exp1, StandardUniform};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::excerpt;
use crate::scenario::units::{Dist, MAX_DRAW_SECS, MINUTE, TimeOfDay};
use crate::scenario::{Desk, IncidentSource, Scenario};
use crate::schedule::{Horizon, local_instant};

/// One incident with every draw the engine may need. Times are seconds from the horizon
/// start; durations are seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incident {
    /// When the signal appears online.
    pub signal: f64,
    /// Responsible roster agency (its index); `None` for the rest of the world.
    pub jurisdiction: Option<u16>,
    /// Severity class index (priority order).
    pub class: u8,
    /// How long the signal stays detectable.
    pub visibility: f64,
    /// Watch-held time needed to detect it.
    pub detect: f64,
    /// Triage work.
    pub triage: f64,
    /// Domestic referral transit (when the triaging member is responsible).
    pub domestic: f64,
    /// Cross-border transit to the responsible agency.
    pub cross_border: f64,
    /// International transit (when the responsible country is not a member).
    pub international: f64,
    /// After-hours call-out delay at the responsible desk.
    pub callout: f64,
    /// The responsible agency's police response.
    pub police: f64,
    /// A non-member's police response.
    pub non_member_police: f64,
    /// Where its handoff delays come from, drawn when the case passes between desks.
    pub handoff: HandoffDraw,
}

/// Where an incident's handoff delays come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HandoffDraw {
    /// Drawn from the handoff distribution when the case passes between desks: the
    /// *n*-th handoff from the stream (key, handoff *n*) of the incident whose draw key
    /// this is (see [`QuantityRng`]).
    Keyed(u64),
    /// A recorded trace's value, the same at every handoff (seconds).
    Recorded(f64),
}

/// A seed derived from the master seed and a path of indices (SplitMix64 finaliser).
pub fn derive_seed(seed: u64, path: &[u64]) -> u64 {
    path.iter()
        .fold(seed ^ 0x9e37_79b9_7f4a_7c15, |h, &p| derive_step(h, p))
}

/// One step of [`derive_seed`]: the seed of child `p` of seed `h`.
fn derive_step(h: u64, p: u64) -> u64 {
    mix(h ^ mix(p.wrapping_add(0x632b_e59b_d9b4_e019)))
}

/// The SplitMix64 output function (Stafford's variant 13 of the MurmurHash3
/// finaliser): a bijection of 64-bit words with full avalanche.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const STREAM_ARRIVALS: u64 = 1;
const STREAM_DRAWS: u64 = 2;

/// The random quantities of an incident, each drawn from a stream of its own. The
/// numbers are part of the results: renumbering changes every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Quantity {
    /// The severity class (synthetic arrivals only).
    Class = 0,
    /// How long the signal stays detectable.
    Visibility = 1,
    /// Detection effort.
    Detect = 2,
    /// Triage work.
    Triage = 3,
    /// Domestic referral transit.
    Domestic = 4,
    /// Cross-border referral transit to the responsible agency.
    CrossBorder = 5,
    /// The international channel.
    International = 6,
    /// The responsible desk's after-hours call-out.
    Callout = 7,
    /// The responsible agency's police response.
    Police = 8,
    /// A non-member's police response.
    NonMemberPolice = 9,
    /// The first handoff; handoff *n* (from 0) is quantity `Handoff + n`.
    Handoff = 10,
}

impl Quantity {
    /// Its column in [`TRACE_DRAW_COLUMNS`] (and slot in a recorded incident's draws);
    /// `None` for the class, which a trace gives in `severity`.
    pub fn trace_slot(self) -> Option<usize> {
        (self as usize).checked_sub(1)
    }
}

/// Weyl increment of SplitMix64 (2^64 / golden ratio, odd).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A counter-based random stream: the draws of one quantity of one incident.
///
/// Each incident has a 64-bit draw key, derived once from (seed, replication,
/// incident). Quantity `q` of that incident reads the SplitMix64 sequence seeded with
/// the key from position `q·2³² + 1` on: its `c`-th value (from 1) is
/// `mix(key + GAMMA·(q·2³² + c))`. Nothing is seeded per incident or per quantity; a
/// draw costs one multiply-add and the output function.
///
/// Why this is sound:
/// - `GAMMA` is odd, so `x ↦ key + GAMMA·x` is a bijection of 64-bit words: within one
///   incident, distinct (quantity, counter) pairs (counter below 2³², quantity below
///   2³²) are distinct inputs, and `mix` is a bijection, so they are distinct points of
///   one SplitMix64 sequence. Disjoint blocks of a SplitMix64 sequence are as good as
///   the sequence itself, which passes TestU01's BigCrush.
/// - `mix` is a full-avalanche mixer: every input bit flips each output bit with
///   probability about ½, so neighbouring inputs (the next counter, the next
///   quantity, the next incident's key) give outputs with no usable relation.
/// - Keys are SplitMix64 hashes of (seed, replication, incident), spread over 2⁶⁴
///   values; two incidents read the same input only if their keys differ by one of
///   the few hundred multiples of `GAMMA` between used positions, a chance near 2⁻⁵⁶
///   per pair — and even then one shared uniform, not a shared stream.
/// - A quantity's values depend on (key, quantity, counter) only, so a distribution
///   that consumes more or fewer values (a rejection sampler, a constant) leaves every
///   other quantity's draws as they were.
#[derive(Debug, Clone)]
pub struct QuantityRng {
    key: u64,
    position: u64,
}

impl QuantityRng {
    /// The stream of `quantity` (a [`Quantity`] as a number, or `Handoff + n`) of the
    /// incident with draw key `key`.
    pub fn new(key: u64, quantity: u64) -> QuantityRng {
        QuantityRng {
            key,
            position: quantity << 32,
        }
    }
}

impl TryRng for QuantityRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|v| (v >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.position = self.position.wrapping_add(1);
        Ok(mix(self
            .key
            .wrapping_add(self.position.wrapping_mul(GAMMA))))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill_bytes_via_next_word(dst, || self.try_next_u64())
    }
}

/// The arrival process: a piecewise-constant total rate, and for each piece the
/// cumulative shares of the jurisdictions.
#[derive(Debug, Clone)]
pub struct ArrivalModel {
    /// Piece starts (the first is 0); the last piece ends at `horizon`.
    starts: Vec<f64>,
    /// Total rate per second of each piece.
    rates: Vec<f64>,
    /// `jurisdictions.len()` cumulative probabilities per piece.
    cumulative: Vec<f64>,
    /// The jurisdiction codes that can own incidents.
    jurisdictions: Vec<Option<u16>>,
    horizon: f64,
}

impl ArrivalModel {
    /// Builds the rate function of a synthetic scenario with total mean rate `rate`
    /// per second: each jurisdiction's share by weight, shaped by the hour-of-day profile
    /// and weekday multipliers in its local time. Rest-of-world incidents come from every
    /// time zone at once, so they get the weekday shape in UTC but no hourly shape.
    pub fn new(scenario: &Scenario, rate: f64) -> ArrivalModel {
        let horizon = Horizon::of(scenario);
        let inc = &scenario.incidents;
        // Each jurisdiction's rate as steps (start, rate) at its local hour boundaries.
        let mut steps: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut jurisdictions = Vec::new();
        let local_steps = |tz: chrono_tz::Tz, share: f64, hourly: bool| -> Vec<(f64, f64)> {
            let mut out = Vec::new();
            let first = horizon.start.date_naive() - chrono::Duration::days(2);
            let days = (horizon.length / 86_400.0).ceil() as i64 + 4;
            if tz == chrono_tz::Tz::UTC {
                // The same steps without a time-zone lookup per hour, nor a date per
                // day (UTC has no shifts: each midnight is a whole day after the one
                // before), which on long horizons cost more than generating the
                // incidents: every rest-of-world share is in UTC.
                let first_midnight = horizon.secs(local_instant(tz, first, TimeOfDay(0)));
                let first_weekday = i64::from(first.weekday().num_days_from_monday());
                for d in 0..days {
                    let midnight = first_midnight + (d * 86_400) as f64;
                    let weekday = ((first_weekday + d) % 7) as usize;
                    for h in 0..24u32 {
                        let shape = if hourly { inc.profile[h as usize] } else { 1.0 };
                        let t = midnight + f64::from(h * 3600);
                        let r = rate * share * shape * inc.weekday[weekday];
                        // In time order already: a repeated rate is dropped at once
                        // (as below) instead of kept for millions of hours.
                        if out.last().is_none_or(|&(_, last)| last != r) {
                            out.push((t, r));
                        }
                    }
                }
            } else {
                for d in 0..days {
                    let date = first + chrono::Duration::days(d);
                    for h in 0..24u32 {
                        let t = horizon.secs(local_instant(tz, date, TimeOfDay(h * 3600)));
                        let local: DateTime<chrono_tz::Tz> = horizon.instant(t).with_timezone(&tz);
                        let hour = local.hour() as usize;
                        let weekday = local.weekday().num_days_from_monday() as usize;
                        let shape = if hourly { inc.profile[hour] } else { 1.0 };
                        out.push((t, rate * share * shape * inc.weekday[weekday]));
                    }
                }
            }
            out.sort_by(|a, b| a.0.total_cmp(&b.0));
            out.dedup_by(|b, a| a.0 == b.0);
            // A step to the rate already in force changes nothing (the pieces built
            // below would merge it back): dropped, so that a flat profile over a long
            // horizon is one step, not one an hour.
            out.dedup_by(|b, a| a.1 == b.1);
            out
        };
        // A time-zone lookup per local hour of the horizon, per agency: side by side.
        let agencies: Vec<(usize, Vec<(f64, f64)>)> = scenario
            .agencies
            .par_iter()
            .enumerate()
            .filter(|(_, agency)| agency.weight > 0.0)
            .map(|(j, agency)| (j, local_steps(agency.tz, agency.weight, true)))
            .collect();
        for (j, agency_steps) in agencies {
            steps.push(agency_steps);
            jurisdictions.push(Some(j as u16));
        }
        if inc.rest_of_world > 0.0 {
            steps.push(local_steps(chrono_tz::Tz::UTC, inc.rest_of_world, false));
            jurisdictions.push(None);
        }
        let mut bounds: Vec<f64> = steps
            .iter()
            .flatten()
            .map(|s| s.0)
            .filter(|&t| t > 0.0 && t < horizon.length)
            .collect();
        bounds.push(0.0);
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        let mut cursors = vec![0usize; steps.len()];
        let mut rates = Vec::with_capacity(bounds.len());
        let mut cumulative = Vec::with_capacity(bounds.len() * steps.len());
        let mut starts = Vec::with_capacity(bounds.len());
        let n = steps.len();
        // One pair of buffers for every bound: a long horizon has millions of them.
        let mut piece: Vec<f64> = Vec::with_capacity(n);
        let mut shares: Vec<f64> = Vec::with_capacity(n);
        for &t in &bounds {
            piece.clear();
            for (j, s) in steps.iter().enumerate() {
                while cursors[j] + 1 < s.len() && s[cursors[j] + 1].0 <= t {
                    cursors[j] += 1;
                }
                piece.push(s[cursors[j]].1);
            }
            let total: f64 = piece.iter().sum();
            let mut acc = 0.0;
            shares.clear();
            shares.extend(piece.iter().map(|r| {
                acc += r;
                if total > 0.0 { acc / total } else { 1.0 }
            }));
            // A piece like the one before it extends it: flat stretches cost nothing.
            if rates.last() == Some(&total) && cumulative[cumulative.len() - n..] == shares[..] {
                continue;
            }
            starts.push(t);
            rates.push(total);
            cumulative.extend_from_slice(&shares);
        }
        ArrivalModel {
            starts,
            rates,
            cumulative,
            jurisdictions,
            horizon: horizon.length,
        }
    }

    fn end(&self, p: usize) -> f64 {
        self.starts.get(p + 1).copied().unwrap_or(self.horizon)
    }

    /// The arrival times and jurisdictions of stream `stream`, by inversion of the
    /// cumulative rate: exact for a piecewise-constant rate.
    pub fn arrivals(&self, seed: u64, stream: u64) -> ArrivalStream<'_> {
        ArrivalStream {
            model: self,
            rng: Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, &[STREAM_ARRIVALS, stream])),
            t: 0.0,
            piece: 0,
        }
    }
}

/// Arrivals of one replication, generated as they are consumed.
pub struct ArrivalStream<'a> {
    model: &'a ArrivalModel,
    rng: Xoshiro256PlusPlus,
    t: f64,
    piece: usize,
}

impl Iterator for ArrivalStream<'_> {
    type Item = (f64, Option<u16>);

    fn next(&mut self) -> Option<(f64, Option<u16>)> {
        let m = self.model;
        if self.piece == m.starts.len() {
            return None;
        }
        let mut need: f64 = Exp1.sample(&mut self.rng);
        loop {
            let room = m.rates[self.piece] * (m.end(self.piece) - self.t);
            if need < room {
                self.t += need / m.rates[self.piece];
                break;
            }
            need -= room;
            self.piece += 1;
            if self.piece == m.starts.len() {
                return None;
            }
            self.t = m.starts[self.piece];
        }
        let n = m.jurisdictions.len();
        // One jurisdiction needs no draw (a single agency, nothing from the rest of the
        // world): the uniform would only be thrown away.
        if n == 1 {
            return Some((self.t, m.jurisdictions[0]));
        }
        let u: f64 = StandardUniform.sample(&mut self.rng);
        let cum = &m.cumulative[self.piece * n..(self.piece + 1) * n];
        let j = cum.partition_point(|&c| c <= u).min(n - 1);
        Some((self.t, m.jurisdictions[j]))
    }
}

/// Everything needed to make the incidents of a scenario's replications.
#[derive(Debug, Clone)]
pub struct IncidentFactory {
    arrivals: Option<ArrivalModel>,
    recorded: Vec<RecordedIncident>,
    cumulative_shares: Vec<f64>,
    classes: Vec<ClassDraws>,
    agencies: Vec<AgencyDraws>,
    domestic: Dist,
    international: Dist,
    non_member_police: Dist,
    seed: u64,
}

#[derive(Debug, Clone)]
struct ClassDraws {
    visibility: Dist,
    detect: Dist,
    triage: Dist,
}

#[derive(Debug, Clone)]
struct AgencyDraws {
    referral_in: Dist,
    callout: Dist,
    police: Dist,
}

/// One row of a recorded trace: its time, owner, class and any draws it fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedIncident {
    /// Seconds from the horizon start.
    pub signal: f64,
    /// Roster index; `None` for the rest of the world.
    pub jurisdiction: Option<u16>,
    /// Class index.
    pub class: u8,
    /// Fixed draws, in the order of [`TRACE_DRAW_COLUMNS`] (seconds); `None` to draw.
    pub draws: [Option<f64>; 10],
}

/// Optional trace columns that fix a per-incident draw, in minutes.
pub const TRACE_DRAW_COLUMNS: [&str; 10] = [
    "visibility",
    "detect",
    "triage",
    "domestic",
    "referral_in",
    "international",
    "callout",
    "police",
    "non_member_police",
    "handoff",
];

/// A trace file that cannot be used: which row, which column, what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {}{message}", place(*.row, .column))]
pub struct TraceError {
    /// The trace file.
    pub path: String,
    /// 1-based data row (the header is row 0), or 0 for the header.
    pub row: usize,
    /// The column name.
    pub column: String,
    /// What was wrong and what is accepted.
    pub message: String,
}

/// `row 3, column triage: `, `header, column severity: `, `row 3: ` or nothing.
fn place(row: usize, column: &str) -> String {
    match (row, column.is_empty()) {
        (0, true) => String::new(),
        (0, false) => format!("header, column {column}: "),
        (_, true) => format!("row {row}: "),
        (_, false) => format!("row {row}, column {column}: "),
    }
}

impl IncidentFactory {
    /// Prepares incident generation for a scenario (reads its trace, if any).
    pub fn new(scenario: &Scenario) -> Result<IncidentFactory, TraceError> {
        let (arrivals, recorded) = match &scenario.incidents.source {
            IncidentSource::Synthetic { rate } => {
                (Some(ArrivalModel::new(scenario, *rate)), Vec::new())
            }
            IncidentSource::Trace { path } => (None, read_trace(scenario, path)?),
        };
        Ok(Self::with_parts(scenario, arrivals, recorded))
    }

    /// Like [`IncidentFactory::new`] with a given total rate (for rate sweeps).
    pub fn with_rate(scenario: &Scenario, rate: f64) -> IncidentFactory {
        Self::with_parts(
            scenario,
            Some(ArrivalModel::new(scenario, rate)),
            Vec::new(),
        )
    }

    fn with_parts(
        scenario: &Scenario,
        arrivals: Option<ArrivalModel>,
        recorded: Vec<RecordedIncident>,
    ) -> IncidentFactory {
        let mut acc = 0.0;
        let cumulative_shares = scenario
            .incidents
            .classes
            .iter()
            .map(|c| {
                acc += c.share;
                acc
            })
            .collect();
        IncidentFactory {
            arrivals,
            recorded,
            cumulative_shares,
            classes: scenario
                .incidents
                .classes
                .iter()
                .map(|c| ClassDraws {
                    visibility: c.visibility,
                    detect: c.detect,
                    triage: c.triage,
                })
                .collect(),
            agencies: scenario
                .agencies
                .iter()
                .map(|a| AgencyDraws {
                    referral_in: a.referral_in,
                    callout: match &a.desk {
                        Desk::Hours {
                            callout: Some(c), ..
                        } => *c,
                        _ => Dist::Const(0.0),
                    },
                    police: a.police,
                })
                .collect(),
            domestic: scenario.referral.domestic,
            international: scenario.referral.international,
            non_member_police: scenario.referral.non_member_police,
            seed: scenario.experiment.seed,
        }
    }

    /// The incidents of replication `replication`, in signal order.
    pub fn generate(&self, replication: u32) -> Vec<Incident> {
        self.stream(replication, 0).collect()
    }

    /// The incidents of a replication from random stream `stream`, generated as they are
    /// consumed: stream 0 is the common one that every cell replays; the others give
    /// independent incidents.
    pub fn stream(&self, replication: u32, stream: u64) -> IncidentStream<'_> {
        let rep = u64::from(replication) | stream << 32;
        IncidentStream {
            factory: self,
            arrivals: self.arrivals.as_ref().map(|m| m.arrivals(self.seed, rep)),
            draws: derive_seed(self.seed, &[STREAM_DRAWS, rep]),
            index: 0,
        }
    }

    /// Incident `index` of a replication whose draw seed is `draws`: every quantity
    /// not fixed by a recorded trace comes from its own stream (see [`QuantityRng`]), so
    /// each incident's draws are the same in every cell, and a quantity's draws do not
    /// depend on the distributions of the others.
    // Always inlined: a synthetic stream passes no fixed draws, and inlined the checks
    // for them fold away.
    #[inline(always)]
    fn draw(
        &self,
        draws: u64,
        index: u64,
        signal: f64,
        jurisdiction: Option<u16>,
        class: Option<u8>,
        fixed: &[Option<f64>; 10],
    ) -> Incident {
        let key = derive_step(draws, index);
        let class = class.unwrap_or_else(|| {
            // One class needs no draw (the class stream is its own: nothing else moves).
            if self.classes.len() == 1 {
                return 0;
            }
            let u: f64 = StandardUniform.sample(&mut QuantityRng::new(key, Quantity::Class as u64));
            self.cumulative_shares
                .partition_point(|&c| c <= u)
                .min(self.classes.len() - 1) as u8
        });
        let c = &self.classes[class as usize];
        let own = jurisdiction.and_then(|j| self.agencies.get(usize::from(j)));
        let take = |quantity: Quantity, dist: &Dist| {
            quantity
                .trace_slot()
                .and_then(|slot| fixed[slot])
                // Most quantities are constants: answered before a stream is built
                // for them.
                .or_else(|| dist.constant())
                .unwrap_or_else(|| dist.sample(&mut QuantityRng::new(key, quantity as u64)))
        };
        let zero = Dist::Const(0.0);
        Incident {
            signal,
            jurisdiction,
            class,
            visibility: take(Quantity::Visibility, &c.visibility),
            detect: take(Quantity::Detect, &c.detect),
            triage: take(Quantity::Triage, &c.triage),
            domestic: take(Quantity::Domestic, &self.domestic),
            cross_border: take(Quantity::CrossBorder, own.map_or(&zero, |a| &a.referral_in)),
            international: take(Quantity::International, &self.international),
            callout: take(Quantity::Callout, own.map_or(&zero, |a| &a.callout)),
            police: take(Quantity::Police, own.map_or(&zero, |a| &a.police)),
            non_member_police: take(Quantity::NonMemberPolice, &self.non_member_police),
            handoff: match Quantity::Handoff.trace_slot().and_then(|slot| fixed[slot]) {
                Some(h) => HandoffDraw::Recorded(h),
                None => HandoffDraw::Keyed(key),
            },
        }
    }
}

/// The incidents of one replication, in signal order, made as they are consumed so
/// that memory does not grow with the horizon.
pub struct IncidentStream<'a> {
    factory: &'a IncidentFactory,
    arrivals: Option<ArrivalStream<'a>>,
    /// The seed of the replication's draw keys.
    draws: u64,
    index: u64,
}

impl Iterator for IncidentStream<'_> {
    type Item = Incident;

    fn next(&mut self) -> Option<Incident> {
        let f = self.factory;
        let i = self.index;
        let incident = match &mut self.arrivals {
            Some(arrivals) => {
                let (signal, j) = arrivals.next()?;
                f.draw(self.draws, i, signal, j, None, &[None; 10])
            }
            None => {
                let r = f.recorded.get(i as usize)?;
                f.draw(
                    self.draws,
                    i,
                    r.signal,
                    r.jurisdiction,
                    Some(r.class),
                    &r.draws,
                )
            }
        };
        self.index += 1;
        Some(incident)
    }
}

/// The `n`-th handoff delay of an incident (seconds, `n` from 0): a recorded value, or
/// a draw from the incident's stream for handoff `n`.
pub fn handoff_delay(incident: &Incident, n: u32, dist: &Dist) -> f64 {
    let key = match incident.handoff {
        HandoffDraw::Recorded(h) => return h,
        HandoffDraw::Keyed(key) => key,
    };
    if dist.is_zero() {
        return 0.0;
    }
    // Past 2³² − 11 handoffs (never reached) the streams would wrap onto the others.
    let quantity = Quantity::Handoff as u64 + u64::from(n);
    dist.sample(&mut QuantityRng::new(key, quantity))
}

/// The longest line a trace may have, bytes: a file without line breaks (`/dev/zero`
/// copied, a binary file) is refused at this length instead of filling the memory.
pub const MAX_TRACE_LINE: usize = 64 * 1024;

/// A reader that fails once a line runs past [`MAX_TRACE_LINE`] bytes (traces, and
/// the CSV files of report folders read back).
pub(crate) struct LineCapped<R> {
    inner: R,
    line: usize,
}

impl<R> LineCapped<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineCapped { inner, line: 0 }
    }
}

impl<R: std::io::Read> std::io::Read for LineCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        let newline = |b: &u8| *b == b'\n';
        // Only the line running on from the last read and the one left open are looked
        // at byte by byte: the lines between them are shorter than the read, unless
        // the read is longer than a line may be. (A test of every byte cost about a
        // tenth of reading a just-written report folder back.)
        let too_long = match (
            data.iter().position(newline),
            data.iter().rposition(newline),
        ) {
            (Some(first), Some(last)) => {
                let between_ok = last - first <= MAX_TRACE_LINE
                    || data[first..last]
                        .split(newline)
                        .all(|l| l.len() <= MAX_TRACE_LINE);
                let long = self.line + first > MAX_TRACE_LINE
                    || !between_ok
                    || n - last - 1 > MAX_TRACE_LINE;
                self.line = n - last - 1;
                long
            }
            _ => {
                self.line += n;
                self.line > MAX_TRACE_LINE
            }
        };
        if too_long {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                LineTooLong,
            ));
        }
        Ok(n)
    }
}

/// The error [`LineCapped`] gives.
#[derive(Debug)]
struct LineTooLong;

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a line is longer than {MAX_TRACE_LINE} bytes (is this a CSV file?)"
        )
    }
}

impl std::error::Error for LineTooLong {}

/// What the csv reader found wrong, without the cell contents it may quote.
fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".into(),
        _ => e.to_string(),
    }
}

/// Reads a recorded trace: `signal_at` (RFC 3339), `jurisdiction` (agency id, or
/// `rest_of_world`), `severity` (class name), and optional draw columns in minutes.
fn read_trace(scenario: &Scenario, path: &Path) -> Result<Vec<RecordedIncident>, TraceError> {
    let shown = path.display().to_string();
    let fail = |row: usize, column: &str, message: String| TraceError {
        path: shown.clone(),
        row,
        column: column.to_string(),
        message,
    };
    // Only a regular file: a device (/dev/zero, /dev/stdin) would never end.
    let file = std::fs::metadata(path)
        .and_then(|m| {
            if m.is_file() {
                std::fs::File::open(path)
            } else {
                Err(std::io::Error::other("it is not a regular file"))
            }
        })
        .map_err(|e| {
            fail(
                0,
                "",
                format!("cannot read the trace: {e}; expected [incidents] file to name a CSV file, relative to the scenario's folder"),
            )
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(LineCapped::new(file));
    let headers = reader
        .headers()
        .map_err(|e| {
            fail(
                0,
                "",
                format!("cannot read the header: {}", csv_problem(&e)),
            )
        })?
        .clone();
    let required = ["signal_at", "jurisdiction", "severity"];
    let mut known: Vec<&str> = required.to_vec();
    known.extend(TRACE_DRAW_COLUMNS);
    known.push("incident");
    if headers.iter().all(str::is_empty) {
        return Err(fail(
            0,
            "",
            format!(
                "the file is empty or its first line is blank; expected a header line naming the columns, at least {}",
                required.join(", ")
            ),
        ));
    }
    // A first line that is not made of column names is not shown: the file may not be
    // a trace at all (a password file, the environment).
    let looks_like_names = headers.iter().all(|h| {
        h.len() <= 40
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ')
    });
    if !looks_like_names {
        return Err(fail(
            0,
            "",
            format!(
                "the first line is not a header of column names, so this does not look like a trace; expected a CSV file whose first line names its columns, at least {}",
                required.join(", ")
            ),
        ));
    }
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(fail(
                0,
                "",
                format!(
                    "column {} has no name; expected each column named, one of {}",
                    i + 1,
                    known.join(", ")
                ),
            ));
        }
        if !known.contains(&h) {
            let hint = crate::scenario::hint(h, known.iter().copied());
            return Err(fail(
                0,
                h,
                format!(
                    "unknown column \"{h}\" (column {}); expected {}{hint}",
                    i + 1,
                    known.join(", ")
                ),
            ));
        }
        if let Some(first) = headers.iter().take(i).position(|x| x == h) {
            return Err(fail(
                0,
                h,
                format!(
                    "the column appears twice (columns {} and {}); expected each column once",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    let find = |name: &str| headers.iter().position(|h| h == name);
    let columns: Vec<usize> = required
        .iter()
        .map(|c| {
            find(c).ok_or_else(|| {
                fail(
                    0,
                    c,
                    format!(
                        "the column is missing; a trace needs {}",
                        required.join(", ")
                    ),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let draw_columns: Vec<Option<usize>> = TRACE_DRAW_COLUMNS.iter().map(|c| find(c)).collect();
    let horizon = Horizon::of(scenario);
    let ids: Vec<&str> = scenario.agencies.iter().map(|a| a.id.as_str()).collect();
    let classes: Vec<&str> = scenario
        .incidents
        .classes
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = record.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                let (expected_len, len) = (*expected_len as usize, *len as usize);
                let column = headers.get(len.min(expected_len)).unwrap_or("");
                fail(
                    row,
                    if len < expected_len { column } else { "" },
                    format!(
                        "the row has {len} cells but the header has {expected_len}; expected one cell per column (leave a cell empty to draw it, and quote a cell that holds a comma)"
                    ),
                )
            }
            csv::ErrorKind::Utf8 { err, .. } => fail(
                row,
                headers.get(err.field()).unwrap_or(""),
                "the cell is not UTF-8 text; expected the trace saved as UTF-8 CSV".into(),
            ),
            _ => fail(
                row,
                "",
                format!(
                    "malformed CSV: {}; expected comma-separated cells under the header",
                    csv_problem(&e)
                ),
            ),
        })?;
        // A quote opened and never closed takes in every row after it as one cell: a
        // cell holding a quote or a line break is refused, naming the row it starts on.
        if let Some(c) = record
            .iter()
            .position(|cell| cell.contains(['"', '\n', '\r']))
        {
            return Err(fail(
                row,
                headers.get(c).unwrap_or(""),
                "the cell holds a quote or a line break (a quote opened and not closed takes in the rows after it); expected plain cells, quoted only whole and closed on the same line".into(),
            ));
        }
        let field = |c: usize| record.get(c).unwrap_or("");
        let at = field(columns[0]);
        let signal = DateTime::parse_from_rfc3339(at).map_err(|_| {
            fail(
                row,
                "signal_at",
                format!(
                    "{} is not an RFC 3339 time; expected e.g. 2026-03-01T18:30:00Z",
                    excerpt(at, 40)
                ),
            )
        })?;
        let signal = horizon.secs(signal.with_timezone(&chrono::Utc));
        let owner = field(columns[1]);
        let jurisdiction = match owner {
            "rest_of_world" | "" => None,
            id => Some(ids.iter().position(|a| *a == id).ok_or_else(|| {
                fail(
                    row,
                    "jurisdiction",
                    format!(
                        "{} is not an agency of the scenario; expected one of {} or rest_of_world",
                        excerpt(id, 40),
                        ids.join(", ")
                    ),
                )
            })? as u16),
        };
        let severity = field(columns[2]);
        let class = classes.iter().position(|c| *c == severity).ok_or_else(|| {
            fail(
                row,
                "severity",
                format!(
                    "{} is not a severity class; expected one of {}",
                    excerpt(severity, 40),
                    classes.join(", ")
                ),
            )
        })? as u8;
        let mut draws = [None; 10];
        for (slot, column) in draw_columns.iter().enumerate() {
            let Some(c) = column else { continue };
            let text = field(*c);
            if text.is_empty() {
                continue;
            }
            let minutes: f64 = text.parse().map_err(|_| {
                fail(row, TRACE_DRAW_COLUMNS[slot], format!("{} is not a number of minutes; expected a number of 0 or more, or an empty cell to draw it", excerpt(text, 40)))
            })?;
            if !(minutes.is_finite() && minutes >= 0.0 && minutes * MINUTE < MAX_DRAW_SECS) {
                return Err(fail(
                    row,
                    TRACE_DRAW_COLUMNS[slot],
                    format!(
                        "{text} is not allowed; expected a finite number of minutes of 0 or more, \
                         under {:.0} (about 31 years)",
                        MAX_DRAW_SECS / MINUTE
                    ),
                ));
            }
            draws[slot] = Some(minutes * MINUTE);
        }
        if (0.0..horizon.length).contains(&signal) {
            out.push(RecordedIncident {
                signal,
                jurisdiction,
                class,
                draws,
            });
        }
    }
    out.sort_by(|a, b| a.signal.total_cmp(&b.signal));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::Rng;
    use std::io::Read;

    /// Hands out its bytes in reads of the given sizes, in turn.
    struct Chunked {
        data: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        turn: usize,
    }

    impl Read for Chunked {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let size = self.sizes[self.turn % self.sizes.len()].min(buf.len());
            self.turn += 1;
            let n = size.min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    proptest! {
        /// Fails on the read where a line first runs past the limit, as a count of
        /// every byte does, whatever the lines and the reads' sizes.
        #[test]
        fn line_cap_fails_where_a_byte_count_does(
            lines in prop::collection::vec(
                prop_oneof![0usize..100, MAX_TRACE_LINE - 3..MAX_TRACE_LINE + 3], 1..6),
            sizes in prop::collection::vec(
                prop_oneof![1usize..200, 60_000usize..200_000], 1..4),
        ) {
            let mut data = Vec::new();
            for len in &lines {
                data.extend(std::iter::repeat_n(b'x', *len));
                data.push(b'\n');
            }
            data.pop();
            // Where a count of every byte first passes the limit: the byte's index.
            let mut line = 0;
            let fails_at = data.iter().position(|&b| {
                line = if b == b'\n' { 0 } else { line + 1 };
                line > MAX_TRACE_LINE
            });
            let mut reader = LineCapped::new(Chunked { data, at: 0, sizes, turn: 0 });
            let (mut read, mut buf) = (0, vec![0; 256 * 1024]);
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        prop_assert_eq!(fails_at, None);
                        break;
                    }
                    Ok(n) => {
                        prop_assert!(fails_at.is_none_or(|i| i >= read + n), "passed byte {:?}", fails_at);
                        read += n;
                    }
                    Err(_) => {
                        let i = fails_at.expect("a line over the limit");
                        let n = reader.inner.at - read;
                        prop_assert!(i >= read && i < read + n, "failed on bytes {}..{}, not at {}", read, read + n, i);
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn trace_columns_fix_their_own_quantity() {
        use Quantity::*;
        let named = [
            (Visibility, "visibility"),
            (Detect, "detect"),
            (Triage, "triage"),
            (Domestic, "domestic"),
            (CrossBorder, "referral_in"),
            (International, "international"),
            (Callout, "callout"),
            (Police, "police"),
            (NonMemberPolice, "non_member_police"),
            (Handoff, "handoff"),
        ];
        for (q, column) in named {
            assert_eq!(TRACE_DRAW_COLUMNS[q.trace_slot().unwrap()], column);
        }
        assert_eq!(Class.trace_slot(), None);
    }

    #[test]
    fn a_quantity_stream_is_reproducible_and_its_own() {
        let key = derive_seed(7, &[STREAM_DRAWS, 0, 42]);
        let first: Vec<u64> = {
            let mut r = QuantityRng::new(key, Quantity::Triage as u64);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let mut again = QuantityRng::new(key, Quantity::Triage as u64);
        assert_eq!((0..8).map(|_| again.next_u64()).collect::<Vec<_>>(), first);
        // Values are the SplitMix64 sequence seeded with the key, from position q·2³².
        let mut splitmix = rand_xoshiro::SplitMix64::seed_from_u64(
            key.wrapping_add(GAMMA.wrapping_mul((Quantity::Triage as u64) << 32)),
        );
        assert_eq!(
            (0..8).map(|_| splitmix.next_u64()).collect::<Vec<_>>(),
            first
        );
        // Another quantity, or another incident, shares none of them.
        let mut other = QuantityRng::new(key, Quantity::Detect as u64);
        let next = derive_seed(7, &[STREAM_DRAWS, 0, 43]);
        let mut neighbour = QuantityRng::new(next, Quantity::Triage as u64);
        for _ in 0..1000 {
            assert!(!first.contains(&other.next_u64()));
            assert!(!first.contains(&neighbour.next_u64()));
        }
    }
}
