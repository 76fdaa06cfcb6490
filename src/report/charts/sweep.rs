//! Question 4: for a `[sweep]`, the share of each severity class answered within the
//! headline SLA against the swept parameter, with the 95 % target line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::agencies::{Panel, draw_panel};
use super::{Chart, DrawResult, Key, Mark, Meta, colour, grid, legend, sla_text, titled};
use crate::report::data::Report;

/// The target share of the staffing question (95 % within the SLA).
const TARGET: f64 = 0.95;

pub(crate) struct Sweep<'a> {
    report: &'a Report,
    name: String,
    sla: f64,
}

impl<'a> Sweep<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Sweep<'a>> {
        Some(Sweep {
            report,
            name: report.sweep.clone()?,
            sla: report.headline_sla()?,
        })
    }

    /// The x positions: the sweep values as numbers, or their ranks if not numeric.
    fn xs(&self) -> Vec<(f64, usize, String)> {
        let r = self.report;
        let numeric = r.variants.iter().all(|v| v.parse::<f64>().is_ok());
        r.variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = if numeric {
                    v.parse().unwrap_or(i as f64)
                } else {
                    i as f64
                };
                (x, r.focus_k(), v.clone())
            })
            .collect()
    }
}

impl Chart for Sweep<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.report.severities.len(), 2);
        Meta {
            stem: "sweep",
            title: format!("Which {} meets the target?", self.name),
            caption: format!(
                "Share of cases answered {} against {}, per severity class, one line per schedule \
                 with 95 % confidence bands; the dashed line is the 95 % target. The first value whose \
                 line reaches the target answers the staffing question.",
                sla_text(self.sla),
                self.name
            ),
            question: 4,
            size: (860 * cols as u32, 170 + 520 * rows as u32),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "Share answered {} by severity against {} ({} agencies); dashed line: the 95 % target.",
                sla_text(self.sla),
                self.name,
                r.focus_k()
            ),
        )?;
        let mut keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Line))
            .collect();
        keys.push(Key::new("95 % target", BLACK, Mark::Dashed));
        let area = legend(&area, &keys)?;
        let (cols, rows) = grid(r.severities.len(), 2);
        let xs = self.xs();
        for (sev, cell) in r.severities.iter().zip(area.split_evenly((rows, cols))) {
            let panel = Panel {
                title: if sev == "all" {
                    "all severities".into()
                } else {
                    format!("{sev} cases")
                },
                y_desc: format!("{} (%)", sla_text(self.sla)),
                scale: 100.0,
                metric: &Report::sla_metric(self.sla),
                scope: "members",
                severity: sev,
                from_zero: true,
                target: Some((100.0 * TARGET, "95 % target".into())),
            };
            draw_panel(&cell, r, &panel, &xs, &self.name)?;
        }
        Ok(())
    }
}
