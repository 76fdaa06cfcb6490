//! Questions 5 and 8: desk utilisation and the burden per member. Schedule × member
//! heatmaps of utilisation, night watch hours a week and the share of cases triaged.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{BLUE, Chart, DrawResult, Fixed, Meta, ink, mix, text, titled};
use crate::report::data::Report;

pub(crate) struct Desks<'a> {
    report: &'a Report,
    members: Vec<String>,
    schedules: Vec<String>,
}

impl<'a> Desks<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Desks<'a>> {
        let k = report.focus_k();
        let v = &report.focus_variant();
        let schedules: Vec<String> = report
            .schedules
            .iter()
            .filter(|s| report.desks.contains_key(&report.key(s, k, v)))
            .cloned()
            .collect();
        let members: Vec<String> = report
            .desks
            .get(&report.key(schedules.first()?, k, v))?
            .iter()
            .map(|(a, _)| a.clone())
            .collect();
        Some(Desks {
            report,
            members,
            schedules,
        })
    }
}

/// The panels: title, column of the desks row, scale, format.
const PANELS: [(&str, usize, f64, &str); 4] = [
    ("Watch hours per week", 0, 1.0, "h"),
    ("Desk utilisation while on watch (%)", 2, 100.0, "%"),
    (
        "Night watch hours per week (22:00-06:00 local)",
        1,
        1.0,
        "h",
    ),
    ("Share of all cases triaged (%)", 3, 100.0, "%"),
];

impl Chart for Desks<'_> {
    fn meta(&self) -> Meta {
        let rows = self.schedules.len() as u32;
        Meta {
            stem: "desks",
            title: "Is the burden fair? Watch hours, night hours, utilisation and case share per member".into(),
            caption: format!(
                "For {} agencies{}, per schedule (rows) and member (columns): how many hours a week \
                 it holds the watch, how many of them fall in its local night (22:00-06:00), how busy \
                 the desk is while it holds the watch, and what share of all cases it triages. \
                 Darker cells carry more of the burden.",
                self.report.focus_k(),
                match &self.report.sweep {
                    Some(_) => format!(", {}", self.report.variant_label(&self.report.focus_variant())),
                    None => String::new(),
                }
            ),
            question: 8,
            size: (
                (300 + 84 * self.members.len() as u32).max(1200),
                120 + PANELS.len() as u32 * (110 + 40 * rows),
            ),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let k = r.focus_k();
        let v = &r.focus_variant();
        let mut sub = format!("{k} agencies; rows: schedules, columns: members in roster order.");
        if r.sweep.is_some() {
            sub.push_str(&format!(" {}.", r.variant_label(v)));
        }
        let area = titled(root, &self.meta().title, &sub)?;
        let (n, m) = (self.schedules.len(), self.members.len());
        for ((title, col, scale, unit), panel) in
            PANELS.iter().zip(area.split_evenly((PANELS.len(), 1)))
        {
            let value = |s: &str, j: usize| -> f64 {
                r.desks
                    .get(&r.key(s, k, v))
                    .and_then(|rows| rows.get(j))
                    .map_or(f64::NAN, |(_, x)| x[*col] * scale)
            };
            let max = self
                .schedules
                .iter()
                .flat_map(|s| (0..m).map(move |j| (s, j)))
                .map(|(s, j)| value(s, j))
                .filter(|x| x.is_finite())
                .fold(0.0f64, f64::max);
            let names = &self.schedules;
            let members = &self.members;
            let mut chart = ChartBuilder::on(&panel)
                .caption(*title, text(19))
                .margin(10)
                .x_label_area_size(34)
                .y_label_area_size(230)
                .build_cartesian_2d(
                    Fixed::new(0.0..m as f64, (0..m).map(|i| i as f64 + 0.5).collect()),
                    Fixed::new(0.0..n as f64, (0..n).map(|i| i as f64 + 0.5).collect()),
                )?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| {
                    members.get(x.floor() as usize).cloned().unwrap_or_default()
                })
                .y_label_formatter(&|y| {
                    names
                        .get(n.saturating_sub(1 + y.floor() as usize))
                        .cloned()
                        .unwrap_or_default()
                })
                .label_style(text(16))
                .disable_mesh()
                .draw()?;
            for (i, s) in self.schedules.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                for j in 0..m {
                    let x = value(s, j);
                    let bg = if x.is_finite() && max > 0.0 {
                        mix(RGBColor(240, 246, 251), BLUE, x / max)
                    } else {
                        RGBColor(250, 250, 250)
                    };
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(j as f64 + 0.03, y + 0.05), (j as f64 + 0.97, y + 0.95)],
                        bg.filled(),
                    )))?;
                    if x.is_finite() {
                        chart.draw_series(std::iter::once(Text::new(
                            format!("{x:.0}{}", if *unit == "%" { "%" } else { "" }),
                            (j as f64 + 0.5, y + 0.5),
                            text(15)
                                .color(&ink(bg))
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))?;
                    }
                }
            }
        }
        Ok(())
    }
}
