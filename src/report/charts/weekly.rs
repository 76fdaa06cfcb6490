//! Question 3: which weeks suffer? For the members' cases at the largest agency count,
//! week by week: the mean detection delay, the missed share and the mean alert →
//! response, one line per schedule with its 95 % confidence band over replications,
//! each measure in its own panel and scale. Weeks in which a member changes its clocks
//! and weeks of a dated outage are shaded; the last week is left out (its cases still
//! open at the horizon are not in its means).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Fixed, Key, Mark, Meta, colour, legend, series_line, text, titled};
use crate::report::data::{Report, WeekRow};

/// Reads (mean, low, high) off a week.
type Value = fn(&WeekRow) -> (f64, f64, f64);

/// Shading of daylight-saving weeks and outage weeks.
const DST: RGBColor = RGBColor(255, 236, 200);
const OUTAGE: RGBColor = RGBColor(222, 222, 240);

pub(crate) struct Weekly<'a> {
    report: &'a Report,
    dst: Vec<(usize, String)>,
    outages: Vec<(usize, String)>,
}

impl<'a> Weekly<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Weekly<'a>> {
        let k = report.focus_k();
        report
            .schedules
            .iter()
            .any(|s| {
                report
                    .weekly
                    .get(&(s.clone(), k))
                    .is_some_and(|w| w.len() > 2)
            })
            .then(|| Weekly {
                report,
                dst: report.dst_weeks(),
                outages: report.outage_weeks(),
            })
    }
}

impl Chart for Weekly<'_> {
    fn meta(&self) -> Meta {
        let dst: Vec<String> = self
            .dst
            .iter()
            .map(|(w, who)| format!("week {} ({who})", w + 1))
            .collect();
        Meta {
            stem: "weekly",
            title: "Which weeks suffer?".into(),
            caption: format!(
                "For the members' cases at {} agencies, week by week: the mean time to detect a signal \
                 (it grows when the watch has gaps), the share of signals missed, and the mean alert → \
                 response; one line per schedule with its 95 % confidence band over replications, each \
                 measure on its own scale. Shaded in orange: weeks in which a member changes its clocks \
                 ({}); in lilac: weeks of a dated outage. The last week of the horizon is left out: its \
                 cases still open at the end are not in its means.",
                self.report.focus_k(),
                if dst.is_empty() {
                    "none found".to_string()
                } else {
                    dst.join(", ")
                }
            ),
            question: 3,
            size: (1800, 1200),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let k = r.focus_k();
        let mut sub = format!(
            "Members' cases, {k} agencies; weeks by their first day; bands: 95 % CIs; shaded: clock changes (orange), outages (lilac)"
        );
        if r.sweep.is_some() {
            sub.push_str(&format!(", {}", r.variant_label(&r.focus_variant())));
        }
        sub.push('.');
        let area = titled(root, &self.meta().title, &sub)?;
        let mut keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Series(i)))
            .collect();
        keys.push(Key::new("clock change", DST, Mark::Box));
        keys.push(Key::new("outage", OUTAGE, Mark::Box));
        let area = legend(&area, &keys)?;
        // Every week but the last (a horizon artefact).
        let series: Vec<(usize, &[WeekRow])> = r
            .schedules
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                r.weekly
                    .get(&(s.clone(), k))
                    .map(|w| (i, &w[..w.len().saturating_sub(1)]))
            })
            .collect();
        let weeks = series.iter().map(|(_, w)| w.len()).max().unwrap_or(1);
        let labels: Vec<String> = series
            .iter()
            .max_by_key(|(_, w)| w.len())
            .map(|(_, w)| w.iter().map(|x| x.week_start.clone()).collect())
            .unwrap_or_default();
        // Week numbers of the rows: weeks without counted incidents (the warm-up) are
        // not in weekly.csv, so the first row may not be week 0.
        let first_week = r
            .start
            .zip(labels.first())
            .and_then(|(t0, d)| {
                let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?;
                Some(((d - t0.date_naive()).num_days() / 7) as usize)
            })
            .unwrap_or(0);
        let step = (weeks / 13).max(1);
        let ticks: Vec<f64> = (0..weeks).step_by(step).map(|i| i as f64).collect();
        let panels: [(&str, f64, Value); 3] = [
            ("mean detection delay (minutes)", 1.0, |x| {
                (x.detect_mean.value, x.detect_low.value, x.detect_high.value)
            }),
            ("signals missed (%)", 100.0, |x| {
                (
                    x.missed_share.value,
                    x.missed_low.value,
                    x.missed_high.value,
                )
            }),
            ("mean alert → response (minutes)", 1.0, |x| {
                (
                    x.alert_to_response_mean.value,
                    x.alert_to_response_low.value,
                    x.alert_to_response_high.value,
                )
            }),
        ];
        for ((desc, scale, value), panel) in panels.into_iter().zip(area.split_evenly((3, 1))) {
            let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
            for (_, w) in &series {
                for x in w.iter() {
                    let (m, l, h) = value(x);
                    for v in [m, l, h] {
                        if v.is_finite() {
                            lo = lo.min(v * scale);
                            hi = hi.max(v * scale);
                        }
                    }
                }
            }
            if !lo.is_finite() {
                continue;
            }
            let pad = ((hi - lo) * 0.08).max(1e-3);
            let y0 = (lo - pad).max(0.0);
            let y1 = hi + pad;
            let mut chart = ChartBuilder::on(&panel)
                .margin(12)
                .x_label_area_size(44)
                .y_label_area_size(90)
                .build_cartesian_2d(Fixed::new(-0.5..weeks as f64 - 0.5, ticks.clone()), y0..y1)?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| {
                    labels
                        .get(x.round() as usize)
                        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                        .map(|d| d.format("%-d %b").to_string())
                        .unwrap_or_default()
                })
                .y_label_formatter(&|y| {
                    if y1 - y0 < 5.0 {
                        format!("{y:.2}")
                    } else {
                        format!("{y:.0}")
                    }
                })
                .y_desc(desc)
                .label_style(text(16))
                .axis_desc_style(text(17))
                .bold_line_style(RGBColor(230, 230, 230))
                .light_line_style(TRANSPARENT)
                .draw()?;
            for (marks, fill) in [(&self.outages, OUTAGE), (&self.dst, DST)] {
                for (w, _) in marks.iter() {
                    let Some(x) = w.checked_sub(first_week) else {
                        continue;
                    };
                    if x < weeks {
                        let x = x as f64;
                        chart.draw_series(std::iter::once(Rectangle::new(
                            [(x - 0.5, y0), (x + 0.5, y1)],
                            fill.filled(),
                        )))?;
                    }
                }
            }
            for (i, w) in &series {
                let pts: Vec<(f64, f64, f64, f64)> = w
                    .iter()
                    .enumerate()
                    .map(|(j, x)| {
                        let (m, l, h) = value(x);
                        (j as f64, m * scale, l * scale, h * scale)
                    })
                    .filter(|p| p.1.is_finite())
                    .collect();
                let band: Vec<(f64, f64)> = pts
                    .iter()
                    .filter(|p| p.2.is_finite())
                    .map(|p| (p.0, p.3))
                    .chain(
                        pts.iter()
                            .rev()
                            .filter(|p| p.2.is_finite())
                            .map(|p| (p.0, p.2)),
                    )
                    .collect();
                if band.len() > 2 {
                    chart.draw_series(std::iter::once(Polygon::new(
                        band,
                        colour(*i).mix(0.18).filled(),
                    )))?;
                }
                series_line(&mut chart, *i, pts.iter().map(|p| (p.0, p.1)).collect(), 2)?;
            }
        }
        Ok(())
    }
}
