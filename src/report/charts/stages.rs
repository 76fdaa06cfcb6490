//! Question 6: which stage causes the delay. Mean minutes of each stage per schedule,
//! stacked (detection, queue, triage, handoff, referral, desk, police): the members'
//! cases at a few agency counts, and the non-members' cases apart (their international
//! channel would swallow every other stage), each panel on its own scale, all in
//! minutes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Chart, DrawResult, Key, Mark, Meta, ink, legend, spread, text, titled};
use crate::report::data::Report;

/// The stages in order, with their colours (Okabe–Ito).
const STAGES: [(&str, &str, RGBColor); 7] = [
    ("detect", "detection", RGBColor(86, 180, 233)),
    ("queue", "queue", RGBColor(230, 159, 0)),
    ("triage", "triage", RGBColor(0, 158, 115)),
    ("handoff", "handoff", RGBColor(0, 0, 0)),
    ("referral", "referral", RGBColor(0, 114, 178)),
    ("desk", "desk", RGBColor(213, 94, 0)),
    ("police", "police", RGBColor(204, 121, 167)),
];

pub(crate) struct Stages<'a> {
    report: &'a Report,
    /// (agency count, sweep value, scope) of each panel.
    panels: Vec<(usize, String, &'static str)>,
}

impl<'a> Stages<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Stages<'a>> {
        let mut panels: Vec<(usize, String, &'static str)> = if report.sweep.is_some() {
            spread(&report.variants, 4)
                .into_iter()
                .map(|v| (report.focus_k(), v, "members"))
                .collect()
        } else {
            spread(&report.counts, 3)
                .into_iter()
                .map(|k| (k, String::new(), "members"))
                .collect()
        };
        let has = |k: usize, v: &str, scope: &str| {
            report.schedules.iter().any(|s| {
                report
                    .estimate(&report.key(s, k, v), scope, "all", "detect")
                    .is_some_and(|e| !e.mean.is_nan())
            })
        };
        panels.retain(|(k, v, scope)| has(*k, v, scope));
        let first = report.variants.first().cloned().unwrap_or_default();
        if has(report.focus_k(), &first, "non_members") {
            panels.push((report.focus_k(), first, "non_members"));
        }
        (!panels.is_empty()).then_some(Stages { report, panels })
    }

    fn means(&self, s: &str, k: usize, v: &str, scope: &str) -> [f64; 7] {
        let key = self.report.key(s, k, v);
        STAGES.map(|(m, _, _)| {
            self.report
                .estimate(&key, scope, "all", m)
                .map_or(0.0, |e| if e.mean.is_nan() { 0.0 } else { e.mean })
        })
    }

    /// Which members' panels are shown, in words.
    fn shown(&self) -> String {
        let r = self.report;
        let members: Vec<String> = self
            .panels
            .iter()
            .filter(|p| p.2 == "members")
            .map(|(k, v, _)| {
                if v.is_empty() {
                    k.to_string()
                } else {
                    r.variant_label(v)
                }
            })
            .collect();
        let total = if r.sweep.is_some() {
            r.variants.len()
        } else {
            r.counts.len()
        };
        format!(
            "at {} ({} of {} shown; every one is in summary.csv)",
            members.join(", "),
            members.len(),
            total
        )
    }
}

impl Chart for Stages<'_> {
    fn meta(&self) -> Meta {
        let n = self.report.schedules.len() as u32;
        Meta {
            stem: "stages",
            title: "Which stage causes the delay?".into(),
            caption: format!(
                "Mean minutes each responded case spends in each stage, from the signal to the \
                 police response (all severities), stacked per schedule; the number at the end of a \
                 bar is the total. The members' cases are shown {}; the non-members' cases, which go \
                 through the international channel whatever the schedule, are in their own panel \
                 with their own scale.",
                self.shown()
            ),
            question: 6,
            size: (1700, 170 + self.panels.len() as u32 * (110 + 52 * n)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "Mean minutes per stage from signal to police response, all severities, members' cases {}.",
                self.shown()
            ),
        )?;
        let keys: Vec<Key> = STAGES
            .iter()
            .map(|(_, label, c)| Key::new(*label, *c, Mark::Box))
            .collect();
        let area = legend(&area, &keys)?;
        let n = r.schedules.len();
        // One scale for the members' panels (so they compare), another for non-members.
        let scale = |scope: &str| {
            let mut xmax: f64 = 1.0;
            for (k, v, sc) in &self.panels {
                if *sc == scope {
                    for s in &r.schedules {
                        xmax = xmax.max(self.means(s, *k, v, sc).iter().sum());
                    }
                }
            }
            xmax * 1.12
        };
        for ((k, v, scope), panel) in self
            .panels
            .iter()
            .zip(area.split_evenly((self.panels.len(), 1)))
        {
            let xmax = scale(scope);
            let whose = if *scope == "members" {
                "members' cases"
            } else {
                "non-members' cases (international channel; own scale)"
            };
            let caption = if v.is_empty() {
                format!("{k} agencies · {whose}")
            } else {
                format!("{k} agencies, {} · {whose}", r.variant_label(v))
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
                let means = self.means(s, *k, v, scope);
                let mut x = 0.0;
                for (m, (_, _, c)) in means.iter().zip(STAGES) {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x, y - 0.36), (x + m, y + 0.36)],
                        c.filled(),
                    )))?;
                    if *m > xmax * 0.045 {
                        chart.draw_series(std::iter::once(Text::new(
                            format!("{m:.0}"),
                            (x + m / 2.0, y),
                            text(15)
                                .color(&ink(c))
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))?;
                    }
                    x += m;
                }
                chart.draw_series(std::iter::once(Text::new(
                    format!("{x:.0} min"),
                    (x + xmax * 0.008, y),
                    text(16).pos(Pos::new(HPos::Left, VPos::Center)),
                )))?;
            }
        }
        Ok(())
    }
}
