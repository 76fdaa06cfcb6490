//! Question 3: who holds the watch over the first week of the horizon (member × hour,
//! UTC), with the gaps and overlaps, one panel per schedule at the largest agency count.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::schedule::IntervalKind;

use super::{
    BLUE, Chart, DrawResult, Fixed, Key, Mark, Meta, VERMILLION, grid, legend, text, titled,
};
use crate::report::data::{Report, Span};

/// Okabe–Ito reddish purple: two or more members on watch.
pub(crate) const OVERLAP: RGBColor = RGBColor(204, 121, 167);
/// Hours in the window shown.
const WEEK_H: f64 = 168.0;
/// At most this many panels.
const MAX_PANELS: usize = 8;

pub(crate) struct CoverageWeek<'a> {
    report: &'a Report,
    schedules: Vec<String>,
    members: Vec<String>,
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

impl<'a> CoverageWeek<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<CoverageWeek<'a>> {
        let schedules: Vec<String> = report
            .schedules
            .iter()
            .filter(|s| report.coverage.contains_key(*s))
            .take(MAX_PANELS)
            .cloned()
            .collect();
        if schedules.is_empty() || report.start.is_none() {
            return None;
        }
        Some(CoverageWeek {
            report,
            schedules,
            members: members(report),
        })
    }
}

impl Chart for CoverageWeek<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.schedules.len(), 2);
        let lanes = self.members.len() as u32 + 2;
        Meta {
            stem: "coverage",
            title: "Who holds the watch, hour by hour (first week, UTC)".into(),
            caption: format!(
                "For {} agencies, each schedule's watch over the first week of the horizon in UTC: \
                 one lane per member (blue: on watch), and below them the gaps (vermillion: nobody on \
                 watch, detection pauses) and overlaps (purple: two or more members at once).",
                self.report.focus_k()
            ),
            question: 3,
            size: (
                if cols == 1 { 1500 } else { 1900 },
                150 + rows as u32 * (130 + 26 * lanes),
            ),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let Some(t0) = r.start else { return Ok(()) };
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "{} agencies, week from {} (UTC). Lanes: members on watch, then gaps and overlaps.",
                r.focus_k(),
                t0.format("%a %-d %b %Y")
            ),
        )?;
        let area = legend(
            &area,
            &[
                Key::new("on watch", BLUE, Mark::Box),
                Key::new("gap: nobody on watch", VERMILLION, Mark::Box),
                Key::new("overlap: two or more on watch", OVERLAP, Mark::Box),
            ],
        )?;
        let (cols, rows) = grid(self.schedules.len(), 2);
        let mut lanes = self.members.clone();
        lanes.push("gap".into());
        lanes.push("overlap".into());
        let n = lanes.len();
        let day_names: Vec<String> = (0..8)
            .map(|d| {
                (t0 + chrono::Duration::days(d))
                    .format("%a %-d")
                    .to_string()
            })
            .collect();
        for (s, panel) in self.schedules.iter().zip(area.split_evenly((rows, cols))) {
            let lanes_ref = &lanes;
            let mut chart = ChartBuilder::on(&panel)
                .caption(s, text(20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(90)
                .build_cartesian_2d(
                    Fixed::new(0.0..WEEK_H, (0..=7).map(|d| f64::from(d) * 24.0).collect()),
                    Fixed::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
                )?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| {
                    let d = (x / 24.0).round() as usize;
                    if d < 7 {
                        day_names[d].clone()
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y| {
                    lanes_ref
                        .get(n.saturating_sub(1 + y.round() as usize))
                        .cloned()
                        .unwrap_or_default()
                })
                .label_style(text(15))
                .disable_y_mesh()
                .bold_line_style(RGBColor(200, 200, 200))
                .light_line_style(TRANSPARENT)
                .draw()?;
            let spans: &[Span] = r.coverage.get(s).map_or(&[], Vec::as_slice);
            for span in spans {
                if span.end <= 0.0 || span.start >= WEEK_H {
                    continue;
                }
                let (lane, colour) = match span.kind {
                    IntervalKind::Gap => (n - 2, VERMILLION),
                    IntervalKind::Overlap => (n - 1, OVERLAP),
                    _ => match self.members.iter().position(|m| *m == span.agency) {
                        Some(m) => (m, BLUE),
                        None => continue,
                    },
                };
                let y = (n - 1 - lane) as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [
                        (span.start.max(0.0), y - 0.38),
                        (span.end.min(WEEK_H), y + 0.38),
                    ],
                    colour.filled(),
                )))?;
            }
        }
        Ok(())
    }
}
