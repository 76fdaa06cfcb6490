//! Question 6: which stage causes the delay. Mean minutes of each stage per schedule,
//! stacked (detection, queue, triage, handoff, referral, desk, police).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Chart, DrawResult, Key, Mark, Meta, duration, ink, legend, spread, text, titled};
use crate::report::data::Report;

/// The stages in order, with their colours (Okabe–Ito).
const STAGES: [(&str, &str, RGBColor); 7] = [
    ("detect", "detection", RGBColor(86, 180, 233)),
    ("queue", "queue", RGBColor(230, 159, 0)),
    ("triage", "triage", RGBColor(0, 158, 115)),
    ("handoff", "handoff", RGBColor(240, 228, 66)),
    ("referral", "referral", RGBColor(0, 114, 178)),
    ("desk", "desk", RGBColor(213, 94, 0)),
    ("police", "police", RGBColor(204, 121, 167)),
];

pub(crate) struct Stages<'a> {
    report: &'a Report,
    panels: Vec<(usize, String)>,
}

impl<'a> Stages<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Stages<'a>> {
        let panels: Vec<(usize, String)> = if report.sweep.is_some() {
            spread(&report.variants, 5)
                .into_iter()
                .map(|v| (report.focus_k(), v))
                .collect()
        } else {
            spread(&report.counts, 3)
                .into_iter()
                .map(|k| (k, String::new()))
                .collect()
        };
        let any = panels.iter().any(|(k, v)| {
            report.schedules.iter().any(|s| {
                report
                    .estimate(&report.key(s, *k, v), "members", "all", "detect")
                    .is_some()
            })
        });
        any.then_some(Stages { report, panels })
    }

    fn means(&self, s: &str, k: usize, v: &str) -> [f64; 7] {
        let key = self.report.key(s, k, v);
        STAGES.map(|(m, _, _)| {
            self.report
                .estimate(&key, "members", "all", m)
                .map_or(0.0, |e| if e.mean.is_nan() { 0.0 } else { e.mean })
        })
    }
}

impl Chart for Stages<'_> {
    fn meta(&self) -> Meta {
        let n = self.report.schedules.len() as u32;
        Meta {
            stem: "stages",
            title: "Which stage causes the delay?".into(),
            caption: "Mean minutes each case spends in each stage, from the signal to the police \
                      response (all severities), stacked per schedule; the number at the end of a bar \
                      is the total."
                .into(),
            question: 6,
            size: (1700, 170 + self.panels.len() as u32 * (110 + 52 * n)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let area = titled(
            root,
            &self.meta().title,
            "Mean time per stage from signal to police response, all severities; longer segments cost more.",
        )?;
        let keys: Vec<Key> = STAGES
            .iter()
            .map(|(_, label, c)| Key::new(*label, *c, Mark::Box))
            .collect();
        let area = legend(&area, &keys)?;
        let n = r.schedules.len();
        let mut xmax: f64 = 1.0;
        for (k, v) in &self.panels {
            for s in &r.schedules {
                xmax = xmax.max(self.means(s, *k, v).iter().sum());
            }
        }
        let xmax = xmax * 1.12;
        for ((k, v), panel) in self
            .panels
            .iter()
            .zip(area.split_evenly((self.panels.len(), 1)))
        {
            let caption = if v.is_empty() {
                format!("{k} agencies")
            } else {
                format!("{k} agencies, {}", r.variant_label(v))
            };
            let names = r.schedules.clone();
            let mut chart = ChartBuilder::on(&panel)
                .caption(caption, text(20))
                .margin(12)
                .x_label_area_size(50)
                .y_label_area_size(230)
                .build_cartesian_2d(
                    0.0..xmax,
                    super::Fixed::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
                )?;
            chart
                .configure_mesh()
                .y_label_formatter(&|y| {
                    let i = y.round() as usize;
                    names
                        .get(n.saturating_sub(1 + i))
                        .cloned()
                        .unwrap_or_default()
                })
                .x_label_formatter(&|x| format!("{x:.0}"))
                .x_desc("mean minutes per case")
                .label_style(text(17))
                .axis_desc_style(text(17))
                .disable_y_mesh()
                .bold_line_style(RGBColor(230, 230, 230))
                .light_line_style(TRANSPARENT)
                .draw()?;
            for (i, s) in r.schedules.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let means = self.means(s, *k, v);
                let mut x = 0.0;
                for (m, (_, _, c)) in means.iter().zip(STAGES) {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x, y - 0.36), (x + m, y + 0.36)],
                        c.filled(),
                    )))?;
                    if *m > xmax * 0.06 {
                        chart.draw_series(std::iter::once(Text::new(
                            duration(*m),
                            (x + m / 2.0, y),
                            text(15)
                                .color(&ink(c))
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))?;
                    }
                    x += m;
                }
                chart.draw_series(std::iter::once(Text::new(
                    duration(x),
                    (x + xmax * 0.008, y),
                    text(16).pos(Pos::new(HPos::Left, VPos::Center)),
                )))?;
            }
        }
        Ok(())
    }
}
