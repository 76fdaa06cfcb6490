//! Question 1: the distribution of alert → response of the members' cases per schedule
//! (ECDF), one panel per agency count (or sweep value). Each curve levels off at the
//! share of cases responded (missed and open cases never are), and each SLA threshold
//! is marked with the share every schedule reaches there.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, DrawResult, GREY, Key, Mark, Meta, SLA_GREY, colour, dashes, duration, grid, legend,
    series_line, spread, text, titled,
};
use crate::report::data::Report;

/// At most this many panels.
const MAX_PANELS: usize = 9;

pub(crate) struct Ecdf<'a> {
    report: &'a Report,
    /// (agency count, sweep value) of each panel.
    panels: Vec<(usize, String)>,
    /// Common x range in minutes.
    range: (f64, f64),
    /// SLA thresholds: (minutes, label).
    slas: Vec<(f64, String)>,
}

/// Candidate tick positions in minutes for the log axis.
const TICKS: [f64; 17] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0, 1440.0, 2880.0, 5760.0, 10080.0,
    20160.0, 40320.0, 80640.0,
];

impl<'a> Ecdf<'a> {
    /// The curve of one cell: (minutes, share of counted cases answered within them),
    /// the pooled quantiles of responded cases scaled by the responded share.
    pub(crate) fn curve(report: &Report, key: &crate::report::rows::CellKey) -> Vec<(f64, f64)> {
        let Some(d) = report.distribution.get(key) else {
            return Vec::new();
        };
        let responded = report
            .estimate(key, "members", "all", "responded_share")
            .map_or(1.0, |e| e.mean);
        d.iter()
            .filter(|(_, m)| *m > 0.0)
            .map(|&(q, m)| (m, q * responded))
            .collect()
    }

    pub(crate) fn new(report: &'a Report) -> Option<Ecdf<'a>> {
        if report.distribution.is_empty() {
            return None;
        }
        let mut panels: Vec<(usize, String)> = Vec::new();
        if report.sweep.is_some() {
            let k = report.focus_k();
            panels.extend(
                spread(&report.variants, MAX_PANELS)
                    .into_iter()
                    .map(|v| (k, v)),
            );
        } else {
            panels.extend(
                spread(&report.counts, MAX_PANELS)
                    .into_iter()
                    .map(|k| (k, String::new())),
            );
        }
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for (k, v) in &panels {
            for s in &report.schedules {
                if let Some(d) = report.distribution.get(&report.key(s, *k, v)) {
                    for &(_, m) in d {
                        if m > 0.0 {
                            lo = lo.min(m);
                            hi = hi.max(m);
                        }
                    }
                }
            }
        }
        if !lo.is_finite() || hi <= lo {
            return None;
        }
        let slas = report
            .slas
            .iter()
            .map(|&secs| (secs / 60.0, duration(secs / 60.0)))
            .collect();
        Some(Ecdf {
            report,
            panels,
            range: ((lo * 0.8).max(0.5), hi * 1.2),
            slas,
        })
    }
}

impl Chart for Ecdf<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.panels.len(), 3);
        Meta {
            stem: "ecdf",
            title: "How fast are the members' cases answered?".into(),
            caption: "Share of the members' counted cases with a local police response within a given \
                      time after the alert (empirical CDF pooled over replications, all severities). \
                      Each curve levels off at the share of cases that got a response at all: missed \
                      and still-open cases never do. A curve further up and to the left is faster; \
                      dashed lines mark the SLA thresholds, with each schedule's share there as a dot \
                      and the recommended schedule's share written beside it. Line styles as well as \
                      colours tell the schedules apart."
                .into(),
            question: 1,
            size: (
                (560 * cols as u32).max(1200),
                150 + 440 * rows as u32,
            ),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let area = titled(
            root,
            &self.meta().title,
            "Members' cases, all severities: share answered within x of the alert (log scale); curves level off at the responded share.",
        )?;
        let mut keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Series(i)))
            .collect();
        keys.push(Key::new("SLA threshold", SLA_GREY, Mark::Dashed));
        let area = legend(&area, &keys)?;
        let (cols, rows) = grid(self.panels.len(), 3);
        let cells = area.split_evenly((rows, cols));
        let (lo, hi) = self.range;
        let ticks: Vec<f64> = TICKS
            .iter()
            .copied()
            .filter(|t| *t >= lo && *t <= hi)
            .collect();
        for ((k, v), panel) in self.panels.iter().zip(cells) {
            let mut caption = if v.is_empty() {
                format!("{k} agencies")
            } else {
                r.variant_label(v)
            };
            let recommended = r.recommended(*k, v);
            if let Some(best) = &recommended {
                caption.push_str(&format!(" · recommended: {best}"));
            }
            let mut chart = ChartBuilder::on(&panel)
                .caption(caption, text(20))
                .margin(12)
                .x_label_area_size(52)
                .y_label_area_size(66)
                .build_cartesian_2d(
                    (lo..hi).log_scale().with_key_points(ticks.clone()),
                    0.0..1.0,
                )?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| duration(*x))
                .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
                .y_labels(6)
                .x_desc("alert → response (log scale)")
                .y_desc("cases answered")
                .label_style(text(16))
                .axis_desc_style(text(17))
                .bold_line_style(RGBColor(230, 230, 230))
                .light_line_style(TRANSPARENT)
                .draw()?;
            for (m, label) in &self.slas {
                if *m < lo || *m > hi {
                    continue;
                }
                for seg in dashes((*m, 0.0), (*m, 1.0), 40) {
                    chart.draw_series(std::iter::once(PathElement::new(
                        seg,
                        SLA_GREY.stroke_width(2),
                    )))?;
                }
                chart.draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*m * 1.04, 0.99),
                    text(15).color(&GREY),
                )))?;
            }
            for (i, s) in r.schedules.iter().enumerate() {
                let key = r.key(s, *k, v);
                let pts = Ecdf::curve(r, &key);
                if pts.is_empty() {
                    continue;
                }
                series_line(&mut chart, i, pts, 3)?;
                // The share reached at each SLA threshold (over counted cases).
                for &(m, _) in &self.slas {
                    let Some(e) = r.estimate(&key, "members", "all", &Report::sla_metric(m * 60.0))
                    else {
                        continue;
                    };
                    if m < lo || m > hi || e.mean.is_nan() {
                        continue;
                    }
                    chart.draw_series(std::iter::once(Circle::new(
                        (m, e.mean),
                        5,
                        colour(i).filled(),
                    )))?;
                    if recommended.as_deref() == Some(s.as_str()) {
                        chart.draw_series(std::iter::once(Text::new(
                            format!("{:.0} %", 100.0 * e.mean),
                            (m * 1.05, e.mean - 0.03),
                            text(15).color(&colour(i)),
                        )))?;
                    }
                }
            }
        }
        Ok(())
    }
}
