//! Question 5: do the shifts meet the peak hours? Cases whose triage each member starts,
//! per day, by UTC hour: a member × hour heatmap per schedule at the largest agency count.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Fixed, Meta, grid, text, titled, viridis};
use crate::report::data::{MemberHours, Report};

/// At most this many panels.
const MAX_PANELS: usize = 6;

pub(crate) struct Load<'a> {
    report: &'a Report,
    panels: Vec<(String, &'a Vec<MemberHours>)>,
    max: f64,
    /// Incidents signalled per day by UTC hour (the same incidents in every panel).
    arrivals: Option<[f64; 24]>,
}

impl<'a> Load<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Load<'a>> {
        let k = report.focus_k();
        let v = &report.focus_variant();
        let panels: Vec<(String, &Vec<MemberHours>)> = report
            .schedules
            .iter()
            .filter_map(|s| {
                report
                    .load
                    .get(&report.key(s, k, v))
                    .map(|l| (s.clone(), l))
            })
            .take(MAX_PANELS)
            .collect();
        let max = panels
            .iter()
            .flat_map(|(_, l)| l.iter().flat_map(|(_, h)| h.iter().copied()))
            .filter(|x| x.is_finite())
            .fold(0.0f64, f64::max);
        let arrivals = panels
            .first()
            .and_then(|(s, _)| report.arrivals.get(&report.key(s, k, v)))
            .copied()
            .filter(|a| a.iter().any(|x| *x > 0.0));
        (!panels.is_empty() && max > 0.0).then_some(Load {
            report,
            panels,
            max,
            arrivals,
        })
    }
}

impl Chart for Load<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.panels.len(), 3);
        let members = self.panels[0].1.len() as u32;
        Meta {
            stem: "load",
            title: "Do the shifts meet the offenders' peak hours?".into(),
            caption: format!(
                "For {} agencies: cases whose triage each member starts, per day, by hour of the day \
                 in UTC (one panel per schedule, common colour scale), with the incidents' arrival \
                 rate by UTC hour drawn over it in white (scaled to the panel's height; its peak is \
                 {:.1} incidents a day in one hour). A shift meets the peak when its bright cells sit \
                 under the arrival curve's high hours.",
                self.report.focus_k(),
                self.arrivals
                    .map_or(0.0, |a| a.iter().copied().fold(0.0, f64::max))
            ),
            question: 5,
            size: (
                (620 * cols as u32).max(1100),
                230 + rows as u32 * (110 + 28 * members),
            ),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let mut sub = format!(
            "{} agencies; colour: triage starts per day in that UTC hour (0 to {:.2}).",
            r.focus_k(),
            self.max
        );
        if r.sweep.is_some() {
            sub.push_str(&format!(" {}.", r.variant_label(&r.focus_variant())));
        }
        let area = titled(root, &self.meta().title, &sub)?;
        // Colour bar.
        let (bar, area) = area.split_vertically(64);
        let (w, _) = bar.dim_in_pixel();
        let (x0, x1) = (140i32, (w as i32 - 140).min(900));
        for i in 0..(x1 - x0) {
            let t = f64::from(i) / f64::from(x1 - x0);
            bar.draw(&Rectangle::new(
                [(x0 + i, 10), (x0 + i + 1, 34)],
                viridis(t).filled(),
            ))?;
        }
        bar.draw(&Text::new("triage starts / day", (x0 - 130, 8), text(15)))?;
        for j in 0..=4 {
            let t = f64::from(j) / 4.0;
            let x = x0 + (t * f64::from(x1 - x0)) as i32;
            bar.draw(&Text::new(
                format!("{:.2}", t * self.max),
                (x - 14, 38),
                text(15),
            ))?;
        }
        let (cols, rows) = grid(self.panels.len(), 3);
        for ((s, members), panel) in self.panels.iter().zip(area.split_evenly((rows, cols))) {
            let n = members.len();
            let names: Vec<&str> = members.iter().map(|(a, _)| a.as_str()).collect();
            let mut chart = ChartBuilder::on(&panel)
                .caption(s, text(19))
                .margin(10)
                .x_label_area_size(46)
                .y_label_area_size(84)
                .build_cartesian_2d(
                    Fixed::new(0.0..24.0, (0..=8).map(|h| f64::from(h) * 3.0).collect()),
                    Fixed::new(0.0..n as f64, (0..n).map(|i| i as f64 + 0.5).collect()),
                )?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| format!("{x:02.0}"))
                .y_label_formatter(&|y| {
                    names
                        .get(n.saturating_sub(1 + y.floor() as usize))
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                })
                .x_desc("hour of day (UTC)")
                .label_style(text(15))
                .axis_desc_style(text(15))
                .disable_mesh()
                .draw()?;
            chart.draw_series(members.iter().enumerate().flat_map(|(m, (_, hours))| {
                let y = (n - 1 - m) as f64;
                hours.iter().enumerate().map(move |(h, v)| {
                    let t = if v.is_finite() { v / self.max } else { 0.0 };
                    Rectangle::new(
                        [(h as f64, y), (h as f64 + 1.0, y + 1.0)],
                        viridis(t).filled(),
                    )
                })
            }))?;
            if let Some(arrivals) = self.arrivals {
                let peak = arrivals.iter().copied().fold(0.0, f64::max);
                let pts: Vec<(f64, f64)> = arrivals
                    .iter()
                    .enumerate()
                    .map(|(h, a)| (h as f64 + 0.5, 0.05 + (n as f64 - 0.1) * a / peak))
                    .collect();
                chart.draw_series(LineSeries::new(pts.clone(), BLACK.stroke_width(6)))?;
                chart.draw_series(LineSeries::new(pts, WHITE.stroke_width(3)))?;
            }
        }
        Ok(())
    }
}
