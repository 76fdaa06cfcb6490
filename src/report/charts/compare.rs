//! Question 1: paired differences between schedules with their 95 % CIs (a forest
//! plot), for the mean alert → response and the share within the headline SLA.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, GREY, Key, Mark, Meta, colour, legend, sla_text, text, titled};
use crate::report::data::Report;
use crate::report::rows::CompareRow;

/// At most this many rows.
const MAX_ROWS: usize = 30;

pub(crate) struct Compare<'a> {
    report: &'a Report,
    sla: f64,
    /// The (agency count, sweep value) groups shown.
    groups: Vec<(usize, String)>,
}

impl<'a> Compare<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Compare<'a>> {
        let sla = report.headline_sla()?;
        let pairs = report.schedules.len() * report.schedules.len().saturating_sub(1) / 2;
        if pairs == 0 || report.compare.is_empty() {
            return None;
        }
        let k = report.focus_k();
        let mut groups: Vec<(usize, String)> = report
            .variants
            .iter()
            .flat_map(|v| report.counts.iter().map(move |&k| (k, v.clone())))
            .collect();
        if groups.len() * pairs > MAX_ROWS {
            groups.retain(|g| g.0 == k);
        }
        while groups.len() * pairs > MAX_ROWS && groups.len() > 1 {
            groups = super::spread(&groups, (MAX_ROWS / pairs).max(1));
        }
        Some(Compare {
            report,
            sla,
            groups,
        })
    }

    fn rows(&self, metric: &str) -> Vec<&CompareRow> {
        let mut rows = Vec::new();
        for (k, v) in &self.groups {
            rows.extend(self.report.compare.iter().filter(|c| {
                c.key.agencies == *k
                    && c.key.sweep.as_deref().unwrap_or("") == v
                    && c.severity == "all"
                    && c.metric == metric
            }));
        }
        rows
    }

    fn label(&self, c: &CompareRow) -> String {
        let pair = format!("{} − {}", c.schedule_a, c.schedule_b);
        if self.groups.len() < 2 {
            pair
        } else if let Some(v) = &c.key.sweep {
            format!("{}: {pair}", self.report.variant_label(v))
        } else {
            format!("k={}: {pair}", c.key.agencies)
        }
    }
}

impl Chart for Compare<'_> {
    fn meta(&self) -> Meta {
        let rows = self.rows("alert_to_response_mean").len() as u32;
        Meta {
            stem: "compare",
            title: "Paired differences between schedules".into(),
            caption: format!(
                "Each row is schedule A minus schedule B on the same incidents (common random \
                 numbers), with its 95 % confidence interval. Left: mean alert → response in minutes \
                 (negative: A is faster); right: share answered {} in percentage points (positive: A \
                 is better). Coloured points: the difference is clear, in the colour of the better \
                 schedule; grey: no clear difference.",
                sla_text(self.sla)
            ),
            question: 1,
            size: (1900, 250 + 34 * rows.max(2)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let sub = if self.groups.len() == 1 {
            let (k, v) = &self.groups[0];
            let mut s = format!("{k} agencies");
            if !v.is_empty() {
                s.push_str(&format!(", {}", r.variant_label(v)));
            }
            format!(
                "A − B with 95 % CIs, all severities, {s}. Colour: the clearly better schedule; grey: no clear difference."
            )
        } else {
            "A − B with 95 % CIs, all severities. Colour: the clearly better schedule; grey: no clear difference.".into()
        };
        let area = titled(root, &self.meta().title, &sub)?;
        let mut keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(format!("{s} better"), colour(i), Mark::Box))
            .collect();
        keys.push(Key::new("no clear difference", GREY, Mark::Box));
        let area = legend(&area, &keys)?;
        let (left, right) = area.split_horizontally(area.dim_in_pixel().0 * 60 / 100);
        let panels = [
            (
                left,
                "alert_to_response_mean".to_string(),
                "Mean alert → response, A − B (minutes; < 0: A faster)".to_string(),
                1.0,
                true,
            ),
            (
                right,
                Report::sla_metric(self.sla),
                format!("{}, A − B (points; > 0: A better)", sla_text(self.sla)),
                100.0,
                false,
            ),
        ];
        for (panel, metric, desc, scale, labels) in panels {
            let rows = self.rows(&metric);
            let n = rows.len();
            if n == 0 {
                continue;
            }
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for c in &rows {
                for x in [c.ci95_low.value, c.ci95_high.value, c.diff.value] {
                    if x.is_finite() {
                        lo = lo.min(x * scale);
                        hi = hi.max(x * scale);
                    }
                }
            }
            let pad = (hi - lo).max(1e-6) * 0.06;
            let names: Vec<String> = rows.iter().map(|c| self.label(c)).collect();
            let mut chart = ChartBuilder::on(&panel)
                .margin(12)
                .x_label_area_size(56)
                .y_label_area_size(if labels { 480 } else { 10 })
                .build_cartesian_2d(
                    lo - pad..hi + pad,
                    super::Fixed::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
                )?;
            chart
                .configure_mesh()
                .y_label_formatter(&|y| {
                    if labels {
                        names
                            .get(n.saturating_sub(1 + y.round() as usize))
                            .cloned()
                            .unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .x_label_formatter(&|x| {
                    if (hi - lo) >= 20.0 {
                        format!("{x:.0}")
                    } else {
                        format!("{x:.1}")
                    }
                })
                .x_desc(desc)
                .label_style(text(16))
                .axis_desc_style(text(17))
                .bold_line_style(RGBColor(235, 235, 235))
                .light_line_style(TRANSPARENT)
                .draw()?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                BLACK.stroke_width(2),
            )))?;
            for (i, c) in rows.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let col = r
                    .schedules
                    .iter()
                    .position(|s| *s == c.better)
                    .map_or(GREY, colour);
                let (m, l, h) = (
                    c.diff.value * scale,
                    c.ci95_low.value * scale,
                    c.ci95_high.value * scale,
                );
                if l.is_finite() && h.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(l, y), (h, y)],
                        col.stroke_width(3),
                    )))?;
                    for x in [l, h] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(x, y - 0.22), (x, y + 0.22)],
                            col.stroke_width(2),
                        )))?;
                    }
                }
                chart.draw_series(std::iter::once(Circle::new((m, y), 7, col.filled())))?;
            }
        }
        Ok(())
    }
}
