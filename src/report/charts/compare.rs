//! Question 1: how far is each schedule from the best? One panel per agency count (or
//! sweep value): for every schedule, the paired difference best − schedule in the
//! members' share answered within the decision SLA, with its 95 % CI, the practical
//! margin shaded, and the verdict as the mark: worse, no practical difference or
//! undecided. Each panel has its own scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    BAND, Chart, DrawResult, Key, Mark, Meta, SAME, UNDECIDED, WORSE, grid, legend, sla_text,
    spread, text, titled,
};
use crate::report::data::Report;

/// At most this many panels.
const MAX_PANELS: usize = 9;

/// The best schedule's colour (blue); the other verdicts' are the shared ones.
const BEST: RGBColor = RGBColor(0, 114, 178);

/// One schedule in a panel: name, best − it (mean, low, high) in points, verdict.
struct Row {
    schedule: String,
    diff: Option<(f64, f64, f64)>,
    standing: String,
}

pub(crate) struct Compare<'a> {
    report: &'a Report,
    sla: f64,
    /// Practical margin on shares, points.
    margin: f64,
    /// (agency count, sweep value) of each panel.
    panels: Vec<(usize, String)>,
}

impl<'a> Compare<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Compare<'a>> {
        let sla = report.headline_sla()?;
        if report.schedules.len() < 2 || report.decision.is_empty() {
            return None;
        }
        let panels: Vec<(usize, String)> = if report.sweep.is_some() {
            let k = report.focus_k();
            spread(&report.variants, MAX_PANELS)
                .into_iter()
                .map(|v| (k, v))
                .collect()
        } else {
            spread(&report.counts, MAX_PANELS)
                .into_iter()
                .map(|k| (k, String::new()))
                .collect()
        };
        Some(Compare {
            report,
            sla,
            margin: report.margin_points(),
            panels,
        })
    }

    /// The rows of one panel, in the scenario's order of schedules.
    fn rows(&self, k: usize, v: &str) -> (Option<String>, Vec<Row>) {
        let r = self.report;
        let metric = Report::sla_metric(self.sla);
        let best = r
            .decision
            .iter()
            .find(|d| d.key.agencies == k && d.key.variant() == v && d.standing.starts_with("best"))
            .map(|d| d.key.schedule.clone());
        let rows = r
            .schedules
            .iter()
            .map(|s| {
                let standing = r
                    .decision
                    .iter()
                    .find(|d| d.key.agencies == k && d.key.variant() == v && &d.key.schedule == s)
                    .map(|d| d.standing.clone())
                    .unwrap_or_default();
                let diff = best.as_ref().filter(|b| *b != s).and_then(|b| {
                    let c = r.compare.iter().find(|c| {
                        c.key.agencies == k
                            && c.key.sweep.as_deref().unwrap_or("") == v
                            && c.scope == "members"
                            && c.severity == "all"
                            && c.metric == metric
                            && ((&c.schedule_a == b && &c.schedule_b == s)
                                || (&c.schedule_a == s && &c.schedule_b == b))
                    })?;
                    let sign = if &c.schedule_a == b { 100.0 } else { -100.0 };
                    let (m, l, h) = (
                        sign * c.diff.value,
                        sign * c.ci95_low.value,
                        sign * c.ci95_high.value,
                    );
                    Some((m, l.min(h), l.max(h)))
                });
                Row {
                    schedule: s.clone(),
                    diff,
                    standing,
                }
            })
            .collect();
        (best, rows)
    }
}

impl Chart for Compare<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.panels.len(), 3);
        let n = self.report.schedules.len() as u32;
        Meta {
            stem: "compare",
            title: "How far is each schedule from the best?".into(),
            caption: format!(
                "For each agency count, each schedule's distance from the best one: the best's share \
                 of the members' cases answered {} minus the schedule's, in percentage points, paired \
                 over the same incidents, with its 95 % confidence interval. The shaded band is the \
                 practical margin (±{:.1} points): inside it, no practical difference. Vermillion: \
                 worse; green: no practical difference; orange: undecided (more replications would \
                 tell). Each panel has its own scale.",
                sla_text(self.sla),
                self.margin
            ),
            question: 1,
            size: (600 * cols as u32 + 240, 170 + rows as u32 * (110 + 40 * n)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "Best − schedule, members' share answered {} (points), with 95 % CIs; band: ±{:.1} points.",
                sla_text(self.sla),
                self.margin
            ),
        )?;
        let keys = vec![
            Key::new("the best", BEST, Mark::Box),
            Key::new("worse", WORSE, Mark::Box),
            Key::new("no practical difference", SAME, Mark::Box),
            Key::new("undecided", UNDECIDED, Mark::Box),
            Key::new("practical margin", BAND, Mark::Box),
        ];
        let area = legend(&area, &keys)?;
        let (cols, rows) = grid(self.panels.len(), 3);
        let cells = area.split_evenly((rows, cols));
        for ((k, v), panel) in self.panels.iter().zip(cells) {
            let (best, rows) = self.rows(*k, v);
            let n = rows.len();
            let mut hi = self.margin * 1.5;
            let mut lo = -self.margin * 1.5;
            for row in &rows {
                if let Some((m, l, h)) = row.diff {
                    for x in [m, l, h] {
                        if x.is_finite() {
                            hi = hi.max(x);
                            lo = lo.min(x);
                        }
                    }
                }
            }
            let pad = (hi - lo) * 0.08;
            let title = match (v.is_empty(), &best) {
                (true, Some(b)) => format!("{k} agencies · best: {b}"),
                (true, None) => format!("{k} agencies · no members' cases"),
                (false, Some(b)) => format!("{} · best: {b}", r.variant_label(v)),
                (false, None) => r.variant_label(v),
            };
            let names: Vec<String> = rows.iter().map(|r| r.schedule.clone()).collect();
            let mut chart = super::differences(
                &panel,
                title,
                &names,
                lo - pad..hi + pad,
                "best − schedule (points)",
                self.margin,
            )?;
            for (i, row) in rows.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let col = if row.standing.starts_with("best") {
                    BEST
                } else if row.standing == "worse" {
                    WORSE
                } else if row.standing == "undecided" {
                    UNDECIDED
                } else {
                    SAME
                };
                let Some((m, l, h)) = row.diff else {
                    if row.standing.starts_with("best") {
                        chart.draw_series(std::iter::once(Circle::new(
                            (0.0, y),
                            8,
                            col.filled(),
                        )))?;
                    }
                    continue;
                };
                if l.is_finite() && h.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(l, y), (h, y)],
                        col.stroke_width(4),
                    )))?;
                }
                if m.is_finite() {
                    chart.draw_series(std::iter::once(Circle::new((m, y), 7, col.filled())))?;
                }
                if row.standing.contains("recommended") {
                    chart.draw_series(std::iter::once(Text::new(
                        "recommended",
                        (m, y + 0.38),
                        text(14).color(&col),
                    )))?;
                }
            }
        }
        Ok(())
    }
}
