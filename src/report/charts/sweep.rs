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

/// A swept parameter in words, for axes and titles.
fn words(name: &str) -> String {
    let (base, member) = match name.split_once('.') {
        Some((b, m)) if b == "watch_staff" => (b, Some(m)),
        _ => (name, None),
    };
    let text = match base {
        "watch_staff" => "analysts per watch desk".to_string(),
        "rate" => "incident rate".to_string(),
        "callout.mean" => "mean desk call-out".to_string(),
        "desk.close" => "desk closing time".to_string(),
        other if other.ends_with(".mean") => {
            format!("mean {}", other.trim_end_matches(".mean").replace('_', " "))
        }
        other => other.replace('_', " "),
    };
    match member {
        Some(m) => format!("{text} ({m})"),
        None => text,
    }
}

impl Sweep<'_> {
    /// The least sweep value at which a schedule's share of a severity meets the target
    /// at the lower end of its 95 % CI: (value label, share, CI low).
    fn least(&self, schedule: &str, severity: &str) -> Option<(String, f64, f64)> {
        let r = self.report;
        let metric = Report::sla_metric(self.sla);
        self.xs().into_iter().find_map(|(_, k, v)| {
            let e = r.estimate(&r.key(schedule, k, &v), "members", severity, &metric)?;
            let low = if e.low.is_nan() { e.mean } else { e.low };
            (low >= TARGET).then_some((v, e.mean, low))
        })
    }
}

impl Chart for Sweep<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.report.severities.len(), 2);
        Meta {
            stem: "sweep",
            title: format!("How many {} meet the target?", words(&self.name)),
            caption: format!(
                "Share of the members' cases answered {} against {} ({}), per severity class, one \
                 line per schedule with 95 % confidence bands, on axes from 0 to 100 %; the dashed \
                 line is the 95 % target. Each panel states the least value whose share meets the \
                 target at the lower end of its confidence interval, per schedule.",
                sla_text(self.sla),
                words(&self.name),
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
                "Members' cases answered {} by severity against {} ({} agencies); dashed line: the 95 % target.",
                sla_text(self.sla),
                words(&self.name),
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
            let least: Vec<String> = r
                .schedules
                .iter()
                .map(|s| match self.least(s, sev) {
                    Some((v, _, low)) => format!("{s}: {v} (CI low {:.1} %)", 100.0 * low),
                    None => format!("{s}: none"),
                })
                .collect();
            let panel = Panel {
                title: format!(
                    "{} · least meeting 95 %: {}",
                    if sev == "all" {
                        "all severities".to_string()
                    } else {
                        format!("{sev} cases")
                    },
                    least.join("; ")
                ),
                y_desc: format!("{} (%)", sla_text(self.sla)),
                scale: 100.0,
                metric: &Report::sla_metric(self.sla),
                scope: "members",
                severity: sev,
                from_zero: true,
                target: Some((100.0 * TARGET, "95 % target".into())),
            };
            draw_panel(&cell, r, &panel, &xs, &words(&self.name))?;
        }
        Ok(())
    }
}
