//! The event loop: one schedule, one agency count, one replication.
//!
//! It sees plain numbers only: seconds from the horizon start, roster indices, and the
//! pre-drawn work of each incident. Detection, referral, desk and police need no shared
//! resource, so they are computed directly; only the triage desks, with their queues,
//! analysts and shift changes, need events.

mod events;
mod queue;

use crate::incidents::{Incident, handoff_delay};
use crate::scenario::units::{Dist, whole_units};
use crate::scenario::{Desk, DetectScaling, Discipline, InProgress, Route, Scenario};
use crate::schedule::{Coverage, desk_hours};
use events::EventHeap;
use queue::{CaseKey, DeskQueue};

/// How an incident ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The local police responded before the horizon.
    Responded,
    /// The visibility window closed before the watch detected it.
    Missed,
    /// Still in progress at the horizon.
    Open,
}

impl Status {
    /// The name used in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Responded => "responded",
            Status::Missed => "missed",
            Status::Open => "open",
        }
    }
}

/// What happened to one incident: timestamps and stage lengths in seconds. Stages an
/// incident did not reach are NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Member that triaged it (or was holding it at the horizon), if any.
    pub watch_agency: Option<u16>,
    /// When the watch detected it.
    pub alert: f64,
    /// When the police responded.
    pub response: f64,
    /// Signal to alert.
    pub detect: f64,
    /// Waiting for an analyst, including waits through gaps.
    pub queue: f64,
    /// Triage work.
    pub triage: f64,
    /// Handoff delays paid passing between desks.
    pub handoff: f64,
    /// Referral transit.
    pub referral: f64,
    /// Waiting for the receiving desk to accept.
    pub desk: f64,
    /// Police response.
    pub police: f64,
    /// When the police would have responded had the responsible desk kept its own
    /// hours even while its agency held the watch (`desk_open_on_watch = false`): the
    /// same as `response` where that rule changes nothing. The desk never feeds back
    /// into the watch, so this is exactly a run with the rule off, on the same draws.
    pub response_own_hours: f64,
}

impl Outcome {
    fn unreached(status: Status) -> Outcome {
        Outcome {
            status,
            watch_agency: None,
            alert: f64::NAN,
            response: f64::NAN,
            detect: f64::NAN,
            queue: f64::NAN,
            triage: f64::NAN,
            handoff: f64::NAN,
            referral: f64::NAN,
            desk: f64::NAN,
            police: f64::NAN,
            response_own_hours: f64::NAN,
        }
    }

    /// Alert to response, seconds.
    pub fn alert_to_response(&self) -> f64 {
        self.response - self.alert
    }
}

/// Receives each incident's outcome as it is decided (in no particular order).
pub trait Sink {
    /// Called once per incident of the stream signalled before the horizon (later ones
    /// are not simulated).
    fn record(&mut self, index: u32, incident: &Incident, outcome: &Outcome);

    /// Called once when the run is over, after the last [`Sink::record`].
    fn finish(&mut self) {}
}

/// Per-run facts about the desks and the rotation.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunTotals {
    /// Boundaries at which a member left the watch and another held it.
    pub handoffs: u64,
    /// Cases passed between desks.
    pub cases_moved: u64,
    /// Per member: analyst-seconds on watch (staff × time holding the watch).
    pub analyst_secs: Vec<f64>,
    /// Per member: analyst-seconds spent triaging.
    pub busy_secs: Vec<f64>,
    /// Per member: cases it finished triaging.
    pub triaged: Vec<u64>,
    /// Per member and UTC hour of day: cases whose triage it started.
    pub starts_by_hour: Vec<[u64; 24]>,
    /// Seconds any member held the watch.
    pub covered_secs: f64,
}

/// The parts of a scenario the engine needs, as plain numbers.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Analysts per desk, by roster index.
    pub staff: Vec<u32>,
    /// Queue order.
    pub discipline: Discipline,
    /// Preemptive-resume priority.
    pub preemptive: bool,
    /// Cases in triage at a handoff.
    pub in_progress: InProgress,
    /// Handoff delay distribution.
    pub handoff: Dist,
    /// Per agency: classes that get a call-out (bit mask); 0 for a desk without a
    /// call-out, and for a 24/7 desk.
    pub callout_for: Vec<u64>,
    /// Per agency: desk opening intervals by its own hours (`None`: 24/7).
    pub desk_hours: Vec<Option<Vec<(f64, f64)>>>,
    /// Horizon length, seconds.
    pub horizon: f64,
    /// How detection effort accrues when several members hold the watch.
    pub detect_scaling: DetectScaling,
    /// Under `per_watcher`, the most watchers whose effort counts.
    pub detect_cap: u32,
    /// Which holder gets a case whose own agency does not hold the watch.
    pub route: Route,
    /// Whether a desk accepts referrals all day while its agency holds the watch.
    pub desk_open_on_watch: bool,
}

impl EngineConfig {
    /// Extracts the engine's view of a scenario.
    pub fn new(scenario: &Scenario) -> EngineConfig {
        EngineConfig {
            staff: scenario.agencies.iter().map(|a| a.watch_staff).collect(),
            discipline: scenario.watch.discipline,
            preemptive: scenario.watch.preemptive,
            in_progress: scenario.watch.in_progress,
            handoff: scenario.watch.handoff,
            callout_for: scenario
                .agencies
                .iter()
                .map(|a| match &a.desk {
                    Desk::Hours {
                        callout: Some(_),
                        callout_for,
                        ..
                    } => *callout_for,
                    _ => 0,
                })
                .collect(),
            desk_hours: desk_hours(scenario),
            horizon: scenario.experiment.horizon(),
            detect_scaling: scenario.watch.detect_scaling,
            detect_cap: scenario.watch.detect_cap,
            route: scenario.watch.route,
            desk_open_on_watch: scenario.watch.desk_open_on_watch,
        }
    }

    /// The rate at which detection effort accrues while `mask` holds the watch: 0 in a
    /// gap, else 1, or under `per_watcher` the number of holders (at most the cap).
    pub fn detect_rate(&self, mask: u64) -> f64 {
        match (mask, self.detect_scaling) {
            (0, _) => 0.0,
            (_, DetectScaling::None) => 1.0,
            (_, DetectScaling::PerWatcher) => f64::from(mask.count_ones().min(self.detect_cap)),
        }
    }
}

/// A compiled schedule at one agency count, ready for the engine.
#[derive(Debug, Clone)]
pub struct CellPlan {
    /// Agency count: members are roster indices below `k`.
    pub k: usize,
    /// Who holds the watch when.
    pub coverage: Coverage,
    /// Detection effort accrued before each segment start: covered seconds, each
    /// weighted by the segment's detection rate.
    covered_before: Vec<f64>,
    /// Detection rate of each segment ([`EngineConfig::detect_rate`]).
    rate: Vec<f64>,
    /// Per agency: when its desk accepts referrals (own hours or holding the watch),
    /// as sorted disjoint intervals; `None` for always.
    accept: Vec<Option<Vec<(f64, f64)>>>,
    /// Per agency: when its desk accepts referrals by its own hours alone, where that
    /// differs from `accept` (a member's desk with hours, `desk_open_on_watch`).
    own_hours: Vec<Option<Vec<(f64, f64)>>>,
}

impl CellPlan {
    /// Prepares a coverage for the engine.
    pub fn new(config: &EngineConfig, coverage: Coverage, k: usize) -> CellPlan {
        let mut covered_before = Vec::with_capacity(coverage.starts.len() + 1);
        let rate: Vec<f64> = coverage
            .masks
            .iter()
            .map(|&m| config.detect_rate(m))
            .collect();
        let mut acc = 0.0;
        for (i, &r) in rate.iter().enumerate() {
            covered_before.push(acc);
            if r != 0.0 {
                acc += r * (coverage.end(i) - coverage.starts[i]);
            }
        }
        covered_before.push(acc);
        let accept = config
            .desk_hours
            .iter()
            .enumerate()
            .map(|(j, hours)| {
                hours.as_ref().map(|hours| {
                    let mut all = hours.clone();
                    if j < k && config.desk_open_on_watch {
                        let bit = 1u64 << j;
                        all.extend(
                            (0..coverage.masks.len())
                                .filter(|&i| coverage.masks[i] & bit != 0)
                                .map(|i| (coverage.starts[i], coverage.end(i))),
                        );
                    }
                    merge_intervals(all)
                })
            })
            .collect();
        let own_hours = config
            .desk_hours
            .iter()
            .enumerate()
            .map(|(j, hours)| {
                hours
                    .as_ref()
                    .filter(|_| j < k && config.desk_open_on_watch)
                    .map(|hours| merge_intervals(hours.clone()))
            })
            .collect();
        CellPlan {
            k,
            coverage,
            covered_before,
            rate,
            accept,
            own_hours,
        }
    }

    /// When an incident signalled at `signal` needing `effort` seconds of watch-held time
    /// is detected: detection accrues only while some member holds the watch.
    /// Infinite if the watch is never held long enough before the horizon.
    pub fn alert_time(&self, signal: f64, effort: f64) -> f64 {
        self.alert_time_from(signal, effort, &mut 0)
    }

    /// [`CellPlan::alert_time`] with a cursor: `hint` is a segment at or before the
    /// signal's and is moved to it, so a run over signals in order walks the timeline
    /// instead of searching it.
    // Always inlined: it runs once per incident, mostly through its first branch.
    #[inline(always)]
    pub fn alert_time_from(&self, signal: f64, effort: f64, hint: &mut usize) -> f64 {
        let c = &self.coverage;
        let mut s = (*hint).min(c.starts.len() - 1);
        if s + 1 < c.starts.len() && c.starts[s + 1] <= signal {
            s = if c.starts.get(s + 2).is_some_and(|&t| t <= signal) {
                c.segment_at(signal)
            } else {
                s + 1
            };
        }
        *hint = s;
        let covered_at_signal = self.covered_before[s]
            + if c.masks[s] != 0 {
                self.rate[s] * (signal - c.starts[s])
            } else {
                0.0
            };
        let target = covered_at_signal + effort;
        // First segment, from the signal's on, whose end has covered time >= target:
        // usually the signal's own or the next, so look there before searching.
        let mut i = s;
        if self.covered_before[i + 1] < target {
            i += 1;
            if i < c.masks.len() && self.covered_before[i + 1] < target {
                i = i.max(self.covered_before[1..].partition_point(|&x| x < target));
            }
        }
        while i < c.masks.len() && c.masks[i] == 0 {
            i += 1;
        }
        if i >= c.masks.len() {
            return f64::INFINITY;
        }
        // Dividing by a rate of 1 (one watcher) changes nothing: skipped, as it is slow.
        let rate = self.rate[i];
        let left = target - self.covered_before[i];
        (c.starts[i] + if rate == 1.0 { left } else { left / rate }).max(signal)
    }

    /// When agency `j`'s desk accepts a referral arriving at `t` (`t` itself if open);
    /// `hint` is the interval of its previous referral, moved to this one's.
    fn accept_time(&self, j: usize, t: f64, hint: &mut usize) -> f64 {
        first_open(self.accept[j].as_deref(), t, hint)
    }

    /// [`CellPlan::accept_time`] had the desk kept its own hours while its agency held
    /// the watch; `None` where that is the same.
    fn accept_time_own_hours(&self, j: usize, t: f64, hint: &mut usize) -> Option<f64> {
        self.own_hours[j]
            .as_deref()
            .map(|h| first_open(Some(h), t, hint))
    }
}

/// The first time at or after `t` inside `intervals` (sorted, disjoint; `None`: always
/// open); infinite past the last. `hint` is an interval at or before `t`'s (the one
/// found last time), moved to `t`'s: times that come in order are found in a step or
/// two instead of a search.
fn first_open(intervals: Option<&[(f64, f64)]>, t: f64, hint: &mut usize) -> f64 {
    let Some(intervals) = intervals else {
        return t;
    };
    // The first interval that ends after `t`.
    let mut i = (*hint).min(intervals.len());
    if i > 0 && intervals[i - 1].1 > t {
        i = intervals.partition_point(|&(_, end)| end <= t);
    } else {
        let mut steps = 0;
        while i < intervals.len() && intervals[i].1 <= t {
            i += 1;
            steps += 1;
            if steps == 4 {
                i += intervals[i..].partition_point(|&(_, end)| end <= t);
                break;
            }
        }
    }
    *hint = i;
    match intervals.get(i) {
        Some(&(start, _)) => start.max(t),
        None => f64::INFINITY,
    }
}

fn merge_intervals(mut v: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Event kinds, in the order they are handled at equal times: a triage that ends at a
/// boundary ends before the watch changes hands, and a case that arrives at a boundary
/// goes to the incoming desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum EventKind {
    /// A triage ends (if the case's version still matches).
    ServiceDone = 0,
    /// The watch changes hands (never queued: boundaries come from the timeline).
    Boundary = 1,
    /// A case passed at a handoff reaches its new desk.
    HandoffArrive = 2,
    /// The watch detects an incident.
    Alert = 3,
}

impl EventKind {
    /// The kind packed in an event's key (two bits).
    fn from_bits(bits: u8) -> EventKind {
        match bits & 3 {
            0 => EventKind::ServiceDone,
            1 => EventKind::Boundary,
            2 => EventKind::HandoffArrive,
            _ => EventKind::Alert,
        }
    }
}

/// A queued event. Its order is time, then kind, then a sequence number that keeps
/// equal times first in, first out (and the run deterministic): two words compared in
/// turn, so that an event takes 24 bytes rather than the 32 of a `u128` key (aligned to
/// 16), which makes the heap's moves cheaper.
#[derive(Debug, Clone, Copy)]
struct Event {
    /// [`time_key`] of the event's time.
    time: u64,
    /// Kind in the top two bits, sequence number below.
    tail: u64,
    /// Case slot.
    subject: u32,
    /// Desk (handoff) or case version (service done).
    extra: u32,
}

impl Event {
    fn new(time: f64, kind: EventKind, seq: u64, subject: u32, extra: u32) -> Event {
        debug_assert!(seq < 1 << 62);
        Event {
            time: time_key(time),
            tail: u64::from(kind as u8) << 62 | seq,
            subject,
            extra,
        }
    }

    /// (time bits, kind): what decides the order against a boundary.
    fn order(&self) -> (u64, EventKind) {
        (self.time, EventKind::from_bits((self.tail >> 62) as u8))
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.tail) == (other.time, other.tail)
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.tail).cmp(&(other.time, other.tail))
    }
}

/// Non-negative f64 to u64 with the same order. A NaN time (a draw that overflowed,
/// then infinity − infinity) maps above every time, infinity included: its event is
/// never due, and its case ends open at the horizon.
#[inline]
fn time_key(t: f64) -> u64 {
    debug_assert!(t >= 0.0 || t.is_nan(), "{t}");
    t.to_bits()
}

#[derive(Debug, Clone, Copy)]
struct Case {
    /// Index of the incident in its replication's stream.
    index: u32,
    incident: Incident,
    /// Desk the case is at (or last was at, while waiting for the watch);
    /// `None` before it reaches any desk.
    desk: Option<u16>,
    remaining: f64,
    handoff: f64,
    handoffs: u32,
    service_start: f64,
    version: u32,
    key: CaseKey,
}

struct DeskState {
    queue: DeskQueue,
    /// Case slots in triage.
    serving: Vec<u32>,
    /// Cases passed to it at a handoff and still on their way.
    inbound: u32,
}

impl DeskState {
    /// Its load for `route = "least_loaded"`: cases queued, in triage, or on their way.
    fn load(&self) -> usize {
        self.queue.count() + self.serving.len() + self.inbound as usize
    }
}

/// One (schedule, agency count, replication) in progress. Incidents are fed in signal
/// order, in chunks of any size, with [`Simulation::advance`]; [`Simulation::finish`]
/// closes the horizon. Memory depends on the cases in the system, not on the length of
/// the stream.
pub struct Simulation<'a, S: Sink> {
    config: &'a EngineConfig,
    plan: &'a CellPlan,
    sink: S,
    events: EventHeap<Event>,
    /// Whether the top of `events` is the event being handled, to be replaced by the
    /// next one queued or else popped.
    top_handled: bool,
    seq: u64,
    cases: Vec<Case>,
    free: Vec<u32>,
    desks: Vec<DeskState>,
    /// Cases waiting for anyone to hold the watch.
    pool: DeskQueue,
    mask: u64,
    next_boundary: usize,
    /// Coverage segment of the latest signal (signals come in order).
    segment_hint: usize,
    /// Per agency: the desk interval of its latest referral, as run and by the desk's own
    /// hours (referrals arrive nearly in order).
    desk_hints: Vec<[usize; 2]>,
    /// Under `route = "round_robin"`: the holder that took the last case routed by it.
    last_routed: Option<usize>,
    totals: RunTotals,
}

/// Hands an incident stream (in signal order) to `each` a chunk at a time, so that it is
/// generated once and never held whole: `each(chunk, first, until)` gets the chunk, the
/// stream index of its first incident, and the earliest signal of any later chunk
/// (infinite for the last), as [`Simulation::advance`] takes them.
pub fn in_chunks(
    mut stream: impl Iterator<Item = Incident>,
    mut each: impl FnMut(&[Incident], u32, f64),
) {
    // One incident beyond the chunk is read ahead: its signal is the chunk's `until`,
    // and it opens the next chunk. (Read ahead in the buffer rather than through
    // `Peekable`, which moves every incident through its look-ahead slot.)
    let mut chunk: Vec<Incident> = Vec::with_capacity(CHUNK + 1);
    chunk.extend(stream.by_ref().take(CHUNK + 1));
    let mut first = 0u32;
    loop {
        let Some(ahead) = chunk.get(CHUNK) else {
            each(&chunk, first, f64::INFINITY);
            return;
        };
        each(&chunk[..CHUNK], first, ahead.signal);
        first += CHUNK as u32;
        chunk.drain(..CHUNK);
        chunk.extend(stream.by_ref().take(CHUNK));
    }
}

/// Incidents per chunk of [`in_chunks`].
const CHUNK: usize = 4_096;

/// Simulates one (schedule, agency count, replication) over a whole stream: the outcome
/// of every incident signalled before the horizon goes to `sink`; the desks' totals are
/// returned.
pub fn simulate<S: Sink>(
    config: &EngineConfig,
    plan: &CellPlan,
    incidents: &[Incident],
    sink: &mut S,
) -> RunTotals {
    let mut sim = Simulation::new(config, plan, sink);
    sim.advance(incidents, 0, f64::INFINITY);
    sim.finish().0
}

impl<S: Sink> Sink for &mut S {
    #[inline]
    fn record(&mut self, index: u32, incident: &Incident, outcome: &Outcome) {
        (**self).record(index, incident, outcome);
    }

    fn finish(&mut self) {
        (**self).finish();
    }
}

impl<'a, S: Sink> Simulation<'a, S> {
    /// A run at the start of the horizon.
    pub fn new(config: &'a EngineConfig, plan: &'a CellPlan, sink: S) -> Simulation<'a, S> {
        let k = plan.k;
        let coverage = &plan.coverage;
        let totals = RunTotals {
            analyst_secs: (0..k)
                .map(|m| coverage.held_secs(m) * f64::from(config.staff[m]))
                .collect(),
            busy_secs: vec![0.0; k],
            triaged: vec![0; k],
            starts_by_hour: vec![[0; 24]; k],
            covered_secs: (0..coverage.masks.len())
                .filter(|&i| coverage.masks[i] != 0)
                .map(|i| coverage.end(i) - coverage.starts[i])
                .sum(),
            ..RunTotals::default()
        };
        Simulation {
            config,
            plan,
            sink,
            events: EventHeap::with_capacity(64),
            top_handled: false,
            seq: 0,
            cases: Vec::new(),
            free: Vec::new(),
            desks: (0..k)
                .map(|_| DeskState {
                    queue: DeskQueue::default(),
                    serving: Vec::new(),
                    inbound: 0,
                })
                .collect(),
            pool: DeskQueue::default(),
            mask: coverage.masks[0],
            next_boundary: 1,
            segment_hint: 0,
            desk_hints: vec![[0; 2]; plan.accept.len()],
            last_routed: None,
            totals,
        }
    }

    fn push(&mut self, time: f64, kind: EventKind, subject: u32, extra: u32) {
        self.seq += 1;
        let event = Event::new(time, kind, self.seq, subject, extra);
        if self.top_handled {
            // The event being handled is still on top: replaced, one sift down instead
            // of its pop and this push (keys are unique, so the order is the same).
            self.top_handled = false;
            self.events.replace_least(event);
        } else {
            self.events.push(event);
        }
    }

    /// Feeds the next incidents (in signal order; the first has stream index `first`)
    /// and handles every event before `until`, the earliest signal time of any later
    /// chunk (infinite for the last chunk).
    pub fn advance(&mut self, incidents: &[Incident], first: u32, until: f64) {
        let horizon = self.config.horizon;
        let mut next = 0usize;
        // The next boundary changes only when one is handled: looked up then.
        let next_boundary = |sim: &Self| {
            let time = sim
                .plan
                .coverage
                .starts
                .get(sim.next_boundary)
                .copied()
                .unwrap_or(f64::INFINITY);
            (time, (time_key(time.min(f64::MAX)), EventKind::Boundary))
        };
        let (mut boundary_time, mut boundary) = next_boundary(self);
        loop {
            let event = self.events.peek().map(|e| e.order());
            let take_event = matches!(event, Some(e) if e < boundary);
            let now = if take_event {
                f64::from_bits(event.expect("peeked").0)
            } else {
                boundary_time
            };
            // Alerts never precede their signals: a signal due no later than the next
            // event is released first. One at a time, so the event heap holds only what
            // is in flight.
            if next < incidents.len()
                && incidents[next].signal <= now
                && incidents[next].signal < horizon
            {
                let following = incidents.get(next + 1).map_or(until, |i| i.signal);
                self.signal(first + next as u32, &incidents[next], now, following);
                next += 1;
                continue;
            }
            // Every signal at or before `now` has been released above, and the chunk's
            // signals are at most `until`: when the loop stops, the rest of the chunk
            // lies at or after the horizon and is never simulated.
            if now >= horizon || now >= until {
                break;
            }
            if take_event {
                // Left on the heap while handled, for `push` to replace (a triage that
                // ends usually starts the next): popped after if nothing did.
                let e = *self.events.peek().expect("peeked");
                self.top_handled = true;
                match e.order().1 {
                    EventKind::ServiceDone => self.service_done(now, e.subject, e.extra),
                    EventKind::HandoffArrive => self.arrive(now, e.subject, e.extra as usize),
                    EventKind::Alert => self.alert(now, e.subject),
                    EventKind::Boundary => unreachable!("boundaries are not queued"),
                }
                if self.top_handled {
                    self.top_handled = false;
                    self.events.pop();
                }
            } else {
                let mask = self.plan.coverage.masks[self.next_boundary];
                self.boundary(now, mask);
                self.next_boundary += 1;
                (boundary_time, boundary) = next_boundary(self);
            }
        }
    }

    /// Feeds a whole incident stream (in signal order), a chunk at a time.
    pub fn advance_all(&mut self, stream: impl Iterator<Item = Incident>) {
        in_chunks(stream, |chunk, first, until| {
            self.advance(chunk, first, until)
        });
    }

    /// Closes the horizon: everything still in the system is open.
    pub fn finish(mut self) -> (RunTotals, S) {
        self.close(self.config.horizon);
        self.sink.finish();
        (self.totals, self.sink)
    }

    fn new_case(&mut self, case: Case) -> u32 {
        match self.free.pop() {
            Some(s) => {
                self.cases[s as usize] = case;
                s
            }
            None => {
                self.cases.push(case);
                (self.cases.len() - 1) as u32
            }
        }
    }

    /// A signal appears: work out when (and whether) the watch detects it. `next_event`
    /// and `next_signal` are the times of the next queued event and the next signal: an
    /// alert due before both is handled at once instead of through the event queue,
    /// which gives the same order.
    fn signal(&mut self, index: u32, inc: &Incident, next_event: f64, next_signal: f64) {
        let alert = self
            .plan
            .alert_time_from(inc.signal, inc.detect, &mut self.segment_hint);
        let closes = inc.signal + inc.visibility;
        let horizon = self.config.horizon;
        if alert > closes {
            let status = if closes < horizon {
                Status::Missed
            } else {
                Status::Open
            };
            self.sink.record(index, inc, &Outcome::unreached(status));
        } else if alert >= horizon {
            self.sink
                .record(index, inc, &Outcome::unreached(Status::Open));
        } else {
            let rank = match self.config.discipline {
                Discipline::Priority => inc.class,
                Discipline::Fifo => 0,
            };
            let slot = self.new_case(Case {
                index,
                incident: *inc,
                desk: None,
                remaining: inc.triage,
                handoff: 0.0,
                handoffs: 0,
                service_start: 0.0,
                version: 0,
                key: CaseKey::new(rank, alert, index),
            });
            if alert < next_event && alert <= next_signal {
                self.alert(alert, slot);
            } else {
                self.push(alert, EventKind::Alert, slot, 0);
            }
        }
    }

    /// The member a case goes to when `mask` holds the watch: its own agency if holding,
    /// else by the `route` rule: the first holder in roster order; the least loaded
    /// ([`DeskState::load`]), ties in roster order; or the next holder in roster order
    /// after the one that took the previous case so routed (wrapping round).
    fn route(&mut self, slot: u32, mask: u64) -> Option<usize> {
        if mask == 0 {
            return None;
        }
        match self.cases[slot as usize].incident.jurisdiction {
            Some(j) if j < 64 && mask & (1 << j) != 0 => Some(usize::from(j)),
            _ => Some(match self.config.route {
                Route::First => mask.trailing_zeros() as usize,
                Route::LeastLoaded => (0..self.plan.k)
                    .filter(|&d| mask & (1 << d) != 0)
                    .min_by_key(|&d| self.desks[d].load())
                    .expect("a holder"),
                Route::RoundRobin => {
                    let after = self.last_routed.map_or(0, |l| l + 1);
                    let later = if after >= 64 {
                        0
                    } else {
                        mask >> after << after
                    };
                    let d = if later != 0 { later } else { mask }.trailing_zeros() as usize;
                    self.last_routed = Some(d);
                    d
                }
            }),
        }
    }

    fn alert(&mut self, now: f64, slot: u32) {
        match self.route(slot, self.mask) {
            Some(d) => {
                self.cases[slot as usize].desk = Some(d as u16);
                self.enqueue(now, slot, d);
            }
            None => self.pool.push(self.cases[slot as usize].key, slot),
        }
    }

    /// A case joins desk `d`'s queue (the desk holds the watch) and may start at once.
    fn enqueue(&mut self, now: f64, slot: u32, d: usize) {
        let key = self.cases[slot as usize].key;
        if self.config.preemptive && self.desks[d].serving.len() as u32 >= self.config.staff[d] {
            self.maybe_preempt(now, slot, d);
            return;
        }
        // Into an empty queue with an analyst free, the case would be the one taken
        // straight back out: it starts without the round trip.
        let desk = &self.desks[d];
        if desk.queue.count() == 0
            && self.mask & (1 << d) != 0
            && (desk.serving.len() as u32) < self.config.staff[d]
        {
            self.start(now, slot, d);
            return;
        }
        self.desks[d].queue.push(key, slot);
        self.start_work(now, d);
    }

    fn maybe_preempt(&mut self, now: f64, slot: u32, d: usize) {
        let key = self.cases[slot as usize].key;
        // The least urgent case in triage, latest started among equals.
        let victim = self.desks[d]
            .serving
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| {
                let (ca, cb) = (&self.cases[a.1 as usize], &self.cases[b.1 as usize]);
                ca.key
                    .rank()
                    .cmp(&cb.key.rank())
                    .then(ca.service_start.total_cmp(&cb.service_start))
            });
        if let Some((pos, v)) = victim
            && self.cases[v as usize].key.rank() > key.rank()
        {
            self.stop_service(now, v, d);
            self.desks[d].serving.swap_remove(pos);
            let vkey = self.cases[v as usize].key;
            self.desks[d].queue.push(vkey, v);
        }
        self.desks[d].queue.push(key, slot);
        self.start_work(now, d);
    }

    /// Ends a case's service period early: books the work done and invalidates its
    /// completion event.
    fn stop_service(&mut self, now: f64, slot: u32, d: usize) {
        let case = &mut self.cases[slot as usize];
        let done = now - case.service_start;
        case.remaining = (case.remaining - done).max(0.0);
        case.version += 1;
        self.totals.busy_secs[d] += done;
    }

    /// Starts queued cases while desk `d` holds the watch and has free analysts.
    fn start_work(&mut self, now: f64, d: usize) {
        if self.mask & (1 << d) == 0 {
            return;
        }
        while (self.desks[d].serving.len() as u32) < self.config.staff[d] {
            let Some(slot) = self.desks[d].queue.pop() else {
                break;
            };
            self.start(now, slot, d);
        }
    }

    /// An analyst of desk `d` starts triaging case `slot`.
    #[inline]
    fn start(&mut self, now: f64, slot: u32, d: usize) {
        let case = &mut self.cases[slot as usize];
        case.service_start = now;
        let (end, version) = (now + case.remaining, case.version);
        self.desks[d].serving.push(slot);
        let hour = (whole_units(now, 3600) % 24) as usize;
        self.totals.starts_by_hour[d][hour] += 1;
        self.push(end, EventKind::ServiceDone, slot, version);
    }

    fn service_done(&mut self, now: f64, slot: u32, version: u32) {
        let case = &self.cases[slot as usize];
        if case.version != version {
            return; // preempted or transferred since this completion was planned
        }
        let d = usize::from(case.desk.expect("a case in triage is at a desk"));
        let service_start = case.service_start;
        let serving = &mut self.desks[d].serving;
        let pos = serving
            .iter()
            .position(|&s| s == slot)
            .expect("a case in service is listed");
        serving.swap_remove(pos);
        self.totals.busy_secs[d] += now - service_start;
        self.totals.triaged[d] += 1;
        self.finish_case(now, slot, d);
        self.free.push(slot);
        self.start_work(now, d);
    }

    /// Triage of case `slot` is done at desk `d`: referral, desk and police follow
    /// without contention. (The case is read in place: it is large.)
    fn finish_case(&mut self, now: f64, slot: u32, d: usize) {
        let case = &self.cases[slot as usize];
        let inc = &case.incident;
        let member = inc
            .jurisdiction
            .map(usize::from)
            .filter(|&j| j < self.plan.k);
        let calls_out = |j: usize| self.config.callout_for[j] & (1 << inc.class) != 0;
        let desk_wait = |j: usize, arrives: f64, accepted: f64| {
            let wait = accepted - arrives;
            if wait > 0.0 && calls_out(j) {
                wait.min(inc.callout)
            } else {
                wait
            }
        };
        let (referral, desk, police, desk_own_hours) = if let Some(j) = member {
            let referral = if j == d {
                inc.domestic
            } else {
                inc.cross_border
            };
            let arrives = now + referral;
            let [hint, own_hint] = &mut self.desk_hints[j];
            let wait = desk_wait(j, arrives, self.plan.accept_time(j, arrives, hint));
            let own = self
                .plan
                .accept_time_own_hours(j, arrives, own_hint)
                .map_or(wait, |accepted| desk_wait(j, arrives, accepted));
            (referral, wait, inc.police, own)
        } else {
            (inc.international, 0.0, inc.non_member_police, 0.0)
        };
        let alert = case.key.time();
        let response = now + referral + desk + police;
        let mut outcome = Outcome {
            status: Status::Responded,
            watch_agency: Some(d as u16),
            alert,
            response,
            detect: alert - inc.signal,
            queue: (now - alert - inc.triage - case.handoff).max(0.0),
            triage: inc.triage,
            handoff: case.handoff,
            referral,
            desk,
            police,
            response_own_hours: now + referral + desk_own_hours + police,
        };
        // A response time that is not a number (a draw that overflowed to infinity,
        // then infinity − infinity) also ends the case as open.
        if response.is_nan() || response > self.config.horizon {
            // Triaged, but the response comes after the horizon: open, with the stages
            // that were over by then.
            outcome.status = Status::Open;
            outcome.response = f64::NAN;
            outcome.referral = f64::NAN;
            outcome.desk = f64::NAN;
            outcome.police = f64::NAN;
        }
        self.sink.record(case.index, inc, &outcome);
    }

    /// A handed-off case reaches desk `d`.
    fn arrive(&mut self, now: f64, slot: u32, d: usize) {
        self.desks[d].inbound -= 1;
        if self.mask & (1 << d) != 0 {
            self.cases[slot as usize].desk = Some(d as u16);
            self.enqueue(now, slot, d);
            return;
        }
        // The desk lost the watch while the case was in transit: pass it on again.
        match self.route(slot, self.mask) {
            Some(to) => self.pass(now, slot, to),
            None => {
                self.cases[slot as usize].desk = Some(d as u16);
                let key = self.cases[slot as usize].key;
                self.pool.push(key, slot);
            }
        }
    }

    /// Sends a case to desk `to`, paying its next handoff delay.
    fn pass(&mut self, now: f64, slot: u32, to: usize) {
        let case = &mut self.cases[slot as usize];
        let delay = handoff_delay(&case.incident, case.handoffs, &self.config.handoff);
        case.handoffs += 1;
        case.handoff += delay;
        self.totals.cases_moved += 1;
        self.desks[to].inbound += 1;
        self.push(now + delay, EventKind::HandoffArrive, slot, to as u32);
    }

    /// The set of members holding the watch changes.
    fn boundary(&mut self, now: f64, mask: u64) {
        let leaving = self.mask & !mask;
        self.mask = mask;
        if leaving != 0 && mask != 0 {
            self.totals.handoffs += 1;
        }
        let mut moving: Vec<u32> = Vec::new();
        for d in (0..self.plan.k).filter(|d| leaving & (1 << d) != 0) {
            if self.config.in_progress == InProgress::Transfer {
                let serving = std::mem::take(&mut self.desks[d].serving);
                for slot in serving {
                    self.stop_service(now, slot, d);
                    moving.push(slot);
                }
            }
            while let Some(slot) = self.desks[d].queue.pop() {
                moving.push(slot);
            }
        }
        if mask != 0 {
            while let Some(slot) = self.pool.pop() {
                moving.push(slot);
            }
        }
        // Pass cases on in their queue order, so that the incoming desk sees them in the
        // order they would have been served.
        moving.sort_by_key(|&s| self.cases[s as usize].key);
        for slot in moving {
            match self.route(slot, mask) {
                None => {
                    let key = self.cases[slot as usize].key;
                    self.pool.push(key, slot);
                }
                // A case that was never at a desk, or goes back to its own, moves
                // without a handoff.
                Some(to)
                    if self.cases[slot as usize]
                        .desk
                        .is_none_or(|d| usize::from(d) == to) =>
                {
                    self.cases[slot as usize].desk = Some(to as u16);
                    self.enqueue(now, slot, to);
                }
                Some(to) => self.pass(now, slot, to),
            }
        }
        for d in (0..self.plan.k).filter(|d| mask & (1 << d) != 0) {
            self.start_work(now, d);
        }
    }

    /// The horizon: everything still in the system is open.
    fn close(&mut self, horizon: f64) {
        for d in 0..self.desks.len() {
            for &slot in &self.desks[d].serving {
                self.totals.busy_secs[d] += horizon - self.cases[slot as usize].service_start;
            }
        }
        // (slot, the desk it is at or on its way to; `None` before its alert, or while
        // nobody holds the watch)
        let mut open: Vec<(u32, Option<u16>)> = Vec::new();
        while let Some(e) = self.events.pop() {
            match e.order().1 {
                EventKind::Alert => open.push((e.subject, None)),
                EventKind::ServiceDone if self.cases[e.subject as usize].version == e.extra => {
                    open.push((e.subject, self.cases[e.subject as usize].desk));
                }
                EventKind::HandoffArrive => open.push((e.subject, Some(e.extra as u16))),
                _ => {}
            }
        }
        for d in 0..self.desks.len() {
            while let Some(slot) = self.desks[d].queue.pop() {
                open.push((slot, Some(d as u16)));
            }
        }
        while let Some(slot) = self.pool.pop() {
            open.push((slot, None));
        }
        for (slot, desk) in open {
            let case = &self.cases[slot as usize];
            let alert = case.key.time();
            let detected = alert < horizon;
            let outcome = Outcome {
                watch_agency: desk,
                alert: if detected { alert } else { f64::NAN },
                detect: if detected {
                    alert - case.incident.signal
                } else {
                    f64::NAN
                },
                ..Outcome::unreached(Status::Open)
            };
            self.sink.record(case.index, &case.incident, &outcome);
        }
    }
}

/// A sink that keeps every outcome, by incident index (for traces and tests).
#[derive(Debug, Default)]
pub struct Collect {
    /// Outcomes, indexed by incident.
    pub outcomes: Vec<Option<Outcome>>,
}

impl Sink for Collect {
    fn record(&mut self, index: u32, _incident: &Incident, outcome: &Outcome) {
        let i = index as usize;
        if self.outcomes.len() <= i {
            self.outcomes.resize(i + 1, None);
        }
        debug_assert!(self.outcomes[i].is_none(), "incident {i} recorded twice");
        self.outcomes[i] = Some(*outcome);
    }
}
