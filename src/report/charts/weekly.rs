//! Question 3: what the weeks cost. Mean detection delay and missed share by week of
//! the horizon, one line per schedule at the largest agency count.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Fixed, Key, Mark, Meta, colour, legend, text, titled};
use crate::report::data::{Report, WeekRow};

/// Reads a value off a week.
type Value = fn(&WeekRow) -> f64;

pub(crate) struct Weekly<'a> {
    report: &'a Report,
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
                    .is_some_and(|w| w.len() > 1)
            })
            .then_some(Weekly { report })
    }
}

impl Chart for Weekly<'_> {
    fn meta(&self) -> Meta {
        Meta {
            stem: "weekly",
            title: "Delay by week of the horizon".into(),
            caption: format!(
                "For {} agencies, the mean time to detect a signal (it grows when the watch has gaps) \
                 and the share of signals missed, week by week, pooled over replications; one line per \
                 schedule.",
                self.report.focus_k()
            ),
            question: 3,
            size: (1700, 900),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let k = r.focus_k();
        let mut sub = format!("{k} agencies; weeks by their Monday");
        if r.sweep.is_some() {
            sub.push_str(&format!(", {}", r.variant_label(&r.variants[0])));
        }
        sub.push('.');
        let area = titled(root, &self.meta().title, &sub)?;
        let keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Line))
            .collect();
        let area = legend(&area, &keys)?;
        let series: Vec<(usize, &Vec<WeekRow>)> = r
            .schedules
            .iter()
            .enumerate()
            .filter_map(|(i, s)| r.weekly.get(&(s.clone(), k)).map(|w| (i, w)))
            .collect();
        let weeks = series.iter().map(|(_, w)| w.len()).max().unwrap_or(1);
        let labels: Vec<String> = series
            .iter()
            .max_by_key(|(_, w)| w.len())
            .map(|(_, w)| w.iter().map(|x| x.0.clone()).collect())
            .unwrap_or_default();
        let step = (weeks / 13).max(1);
        let ticks: Vec<f64> = (0..weeks).step_by(step).map(|i| i as f64).collect();
        let panels: [(&str, f64, Value); 2] = [
            ("mean detection delay (minutes)", 1.0, |x| x.2),
            ("signals missed (%)", 100.0, |x| x.1),
        ];
        for ((desc, scale, value), panel) in panels.into_iter().zip(area.split_evenly((2, 1))) {
            let hi = series
                .iter()
                .flat_map(|(_, w)| w.iter().map(|x| value(x) * scale))
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::max);
            let mut chart = ChartBuilder::on(&panel)
                .margin(12)
                .x_label_area_size(44)
                .y_label_area_size(80)
                .build_cartesian_2d(
                    Fixed::new(-0.5..weeks as f64 - 0.5, ticks.clone()),
                    0.0..(hi * 1.1).max(1e-3),
                )?;
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
                    if hi < 5.0 {
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
            for (i, w) in &series {
                chart.draw_series(LineSeries::new(
                    w.iter()
                        .enumerate()
                        .map(|(j, x)| (j as f64, value(x) * scale))
                        .filter(|p| p.1.is_finite()),
                    colour(*i).stroke_width(3),
                ))?;
            }
        }
        Ok(())
    }
}
