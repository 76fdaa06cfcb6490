//! Question 3: who holds the watch, hour by hour, over any stretch of the horizon: one
//! lane per member (on watch), then the gaps and overlaps, with dated outages marked,
//! one panel per schedule. The report shows the week most worth seeing (the first
//! outage, else the first clock change, else the first week); `watchsim schedule FILE
//! --from DATE --to DATE [--tz ZONE]` draws any range, in UTC or a chosen zone.

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::schedule::IntervalKind;

use super::{
    BLUE, Chart, DrawResult, Fixed, Key, Mark, Meta, VERMILLION, grid, legend, text, titled,
};
use crate::report::data::{Report, Span};

/// Okabe–Ito reddish purple: two or more members on watch.
pub(crate) const OVERLAP: RGBColor = RGBColor(204, 121, 167);
/// Outline of a member's outage.
const OUT: RGBColor = RGBColor(0, 0, 0);
/// At most this many panels.
const MAX_PANELS: usize = 8;

/// Who holds the watch when: everything the chart draws.
pub struct Timeline {
    /// The horizon's start (spans are hours from it).
    pub start: DateTime<Utc>,
    /// The agency count.
    pub k: usize,
    /// Members in roster order.
    pub members: Vec<String>,
    /// Per schedule, its intervals.
    pub schedules: Vec<(String, Vec<Span>)>,
    /// Outages: (schedule, member, from, to) in hours from the start.
    pub outages: Vec<(String, String, f64, f64)>,
    /// The window drawn, hours from the start.
    pub window: (f64, f64),
    /// Why this window (for the subtitle).
    pub why: String,
    /// The zone of the time axis.
    pub tz: Tz,
}

/// The members of a report's largest agency count, in roster order (from desks.csv or
/// load.csv, else in order of appearance in coverage.csv).
pub(crate) fn members(report: &Report) -> Vec<String> {
    let k = report.focus_k();
    for s in &report.schedules {
        let key = report.key(s, k, &report.variants[0]);
        if let Some(d) = report.desks.get(&key) {
            return d.iter().map(|(a, _)| a.clone()).collect();
        }
        if let Some(l) = report.load.get(&key) {
            return l.iter().map(|(a, _)| a.clone()).collect();
        }
    }
    let mut out: Vec<String> = Vec::new();
    for spans in report.coverage.values() {
        for s in spans.iter().filter(|s| s.kind == IntervalKind::Watch) {
            if !out.contains(&s.agency) {
                out.push(s.agency.clone());
            }
        }
    }
    out
}

impl Timeline {
    /// The timeline of a report folder's largest agency count, over the week most worth
    /// seeing.
    pub fn of_report(report: &Report) -> Option<Timeline> {
        let start = report.start?;
        let schedules: Vec<(String, Vec<Span>)> = report
            .schedules
            .iter()
            .filter_map(|s| report.coverage.get(s).map(|c| (s.clone(), c.clone())))
            .take(MAX_PANELS)
            .collect();
        if schedules.is_empty() {
            return None;
        }
        let hours = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|t| (t.with_timezone(&Utc) - start).num_seconds() as f64 / 3600.0)
        };
        let k = report.focus_k();
        let mut outages = Vec::new();
        for o in report
            .outages
            .iter()
            .filter(|o| o.scope == "members" && o.key.agencies == k)
        {
            // outages.csv lists every schedule over each window; the outage belongs to
            // the schedules whose coverage lacks the member then (checked when drawn).
            if let (Some(a), Some(b)) = (hours(&o.outage_from), hours(&o.outage_to))
                && !outages
                    .iter()
                    .any(|(_, m, x, y)| *m == o.member && *x == a && *y == b)
            {
                outages.push((String::new(), o.member.clone(), a, b));
            }
        }
        let (window, why) = if let Some((_, m, a, _)) = outages.first() {
            let from = (a / 24.0).floor() * 24.0 - 24.0;
            (
                (from.max(0.0), from.max(0.0) + 168.0),
                format!("the week of {m}'s outage"),
            )
        } else if let Some((w, who)) = report.dst_weeks().first() {
            let from = *w as f64 * 168.0;
            (
                (from, from + 168.0),
                format!("a week in which {who} change their clocks"),
            )
        } else {
            ((0.0, 168.0), "the first week".into())
        };
        let end = report.horizon_hours.max(1.0);
        Some(Timeline {
            start,
            k,
            members: members(report),
            schedules,
            outages,
            window: (window.0.min(end), window.1.min(end)),
            why,
            tz: Tz::UTC,
        })
    }

    fn instant(&self, hours: f64) -> DateTime<Tz> {
        (self.start + Duration::seconds((hours * 3600.0).round() as i64)).with_timezone(&self.tz)
    }
}

/// The coverage chart of a timeline.
pub struct CoverageChart {
    /// What to draw.
    pub timeline: Timeline,
}

impl Chart for CoverageChart {
    fn meta(&self) -> Meta {
        let t = &self.timeline;
        let (cols, rows) = grid(t.schedules.len(), 1);
        let lanes = t.members.len() as u32 + 2;
        Meta {
            stem: "coverage",
            title: "Who holds the watch, hour by hour?".into(),
            caption: format!(
                "For {} agencies, each schedule's watch from {} to {} ({}), in {}: one lane per \
                 member (blue: on watch; a black outline: the member is out), and below them the \
                 gaps (vermillion: nobody on watch, detection pauses) and overlaps (purple: two or \
                 more members at once). `watchsim schedule FILE --from DATE --to DATE` draws any \
                 other stretch.",
                t.k,
                t.instant(t.window.0).format("%a %-d %b %Y %H:%M"),
                t.instant(t.window.1).format("%a %-d %b %Y %H:%M"),
                t.why,
                t.tz
            ),
            question: 3,
            size: (1900 * cols as u32, 170 + rows as u32 * (120 + 24 * lanes)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let t = &self.timeline;
        let (w0, w1) = t.window;
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "{} agencies, {} to {} ({}; times in {}). Lanes: members on watch, then gaps and overlaps.",
                t.k,
                t.instant(w0).format("%a %-d %b %Y"),
                t.instant(w1).format("%a %-d %b %Y"),
                t.why,
                t.tz
            ),
        )?;
        let area = legend(
            &area,
            &[
                Key::new("on watch", BLUE, Mark::Box),
                Key::new("gap: nobody on watch", VERMILLION, Mark::Box),
                Key::new("overlap: two or more on watch", OVERLAP, Mark::Box),
                Key::new("member out (outage)", OUT, Mark::Line),
            ],
        )?;
        let (cols, rows) = grid(t.schedules.len(), 1);
        let mut lanes = t.members.clone();
        lanes.push("gap".into());
        lanes.push("overlap".into());
        let n = lanes.len();
        let span_h = (w1 - w0).max(1.0);
        // Ticks on the hours of the chosen zone: every hour up to two days, then every
        // 3, 6 or 12 hours; labels on fewer of them.
        let step = [1.0, 3.0, 6.0, 12.0, 24.0]
            .into_iter()
            .find(|s| span_h / s <= 60.0)
            .unwrap_or(24.0);
        let label_every = [3.0, 6.0, 12.0, 24.0, 48.0, 168.0]
            .into_iter()
            .find(|s| span_h / s <= 14.0)
            .unwrap_or(168.0);
        let offset_h = |h: f64| {
            f64::from(
                t.tz.offset_from_utc_datetime(
                    &(t.start + Duration::seconds((h * 3600.0) as i64)).naive_utc(),
                )
                .fix()
                .local_minus_utc(),
            ) / 3600.0
        };
        // The first whole local hour at or after w0.
        let first = (w0 + offset_h(w0)).ceil() - offset_h(w0);
        let ticks: Vec<f64> = (0..)
            .map(|i| first + f64::from(i) * step)
            .take_while(|x| *x <= w1)
            .collect();
        for ((name, spans), panel) in t.schedules.iter().zip(area.split_evenly((rows, cols))) {
            let lanes_ref = &lanes;
            let mut chart = ChartBuilder::on(&panel)
                .caption(name, text(20))
                .margin(12)
                .x_label_area_size(46)
                .y_label_area_size(100)
                .build_cartesian_2d(
                    Fixed::new(w0..w1, ticks.clone()),
                    Fixed::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
                )?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| {
                    let local = t.instant(*x);
                    let hour = chrono::Timelike::hour(&local) as f64;
                    if hour % label_every.min(24.0) != 0.0 && label_every < 24.0 {
                        return String::new();
                    }
                    if hour == 0.0 {
                        local.format("%a %-d").to_string()
                    } else if label_every >= 24.0 {
                        String::new()
                    } else {
                        local.format("%H:%M").to_string()
                    }
                })
                .y_label_formatter(&|y| {
                    lanes_ref
                        .get(n.saturating_sub(1 + y.round() as usize))
                        .cloned()
                        .unwrap_or_default()
                })
                .label_style(text(14))
                .disable_y_mesh()
                .bold_line_style(RGBColor(215, 215, 215))
                .light_line_style(TRANSPARENT)
                .draw()?;
            for span in spans {
                if span.end <= w0 || span.start >= w1 {
                    continue;
                }
                let (lane, colour) = match span.kind {
                    IntervalKind::Gap => (n - 2, VERMILLION),
                    IntervalKind::Overlap => (n - 1, OVERLAP),
                    IntervalKind::Watch => match t.members.iter().position(|m| *m == span.agency) {
                        Some(m) => (m, BLUE),
                        None => continue,
                    },
                };
                let y = (n - 1 - lane) as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(span.start.max(w0), y - 0.38), (span.end.min(w1), y + 0.38)],
                    colour.filled(),
                )))?;
            }
            // Outages: drawn in the lane of the member who is out, on the schedules
            // that have that outage (the member holds nothing there during it) or, for
            // a timeline built from a scenario, those named.
            for (schedule, member, a, b) in &t.outages {
                if !schedule.is_empty() && schedule != name {
                    continue;
                }
                let Some(m) = t.members.iter().position(|x| x == member) else {
                    continue;
                };
                let holds = spans.iter().any(|s| {
                    s.kind == IntervalKind::Watch
                        && s.agency == *member
                        && s.start < *b
                        && s.end > *a
                });
                if schedule.is_empty() && holds {
                    continue;
                }
                let (a, b) = (a.max(w0), b.min(w1));
                if a >= b {
                    continue;
                }
                let y = (n - 1 - m) as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(a, y - 0.45), (b, y + 0.45)],
                    OUT.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{member} out"),
                    (a + span_h * 0.005, y - 0.1),
                    text(14),
                )))?;
            }
        }
        Ok(())
    }
}
