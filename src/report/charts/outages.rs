//! Question 7: what if one member is out for a week? For each dated outage, every
//! schedule's share of the members' cases answered within the decision SLA over the
//! incidents signalled during the outage (the same incidents for every schedule), with
//! its 95 % confidence interval, at the largest agency count.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, GREY, Meta, colour, sla_text, text, titled};
use crate::report::data::Report;
use crate::report::rows::OutageRow;

pub(crate) struct Outages<'a> {
    report: &'a Report,
    /// Each outage (member, from, to) with its rows.
    panels: Vec<(String, Vec<&'a OutageRow>)>,
    sla: f64,
}

impl<'a> Outages<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Outages<'a>> {
        let k = report.focus_k();
        let first = report.variants.first()?;
        let mut panels: Vec<(String, Vec<&OutageRow>)> = Vec::new();
        for row in report.outages.iter().filter(|o| {
            o.scope == "members" && o.key.agencies == k && o.key.variant() == first.as_str()
        }) {
            let title = format!(
                "{} out, {} to {}",
                row.member,
                &row.outage_from[..10.min(row.outage_from.len())],
                &row.outage_to[..10.min(row.outage_to.len())]
            );
            match panels.iter_mut().find(|(t, _)| *t == title) {
                Some((_, rows)) => rows.push(row),
                None => panels.push((title, vec![row])),
            }
        }
        panels.retain(|(_, rows)| rows.iter().any(|r| !r.within.value.is_nan()));
        if panels.is_empty() {
            return None;
        }
        Some(Outages {
            report,
            panels,
            sla: report.headline_sla()?,
        })
    }
}

impl Chart for Outages<'_> {
    fn meta(&self) -> Meta {
        let rows = self.report.schedules.len() as u32;
        Meta {
            stem: "outages",
            title: "What if a member is out?".into(),
            caption: format!(
                "For each dated outage, every schedule over the members' cases signalled during \
                 it (the same incidents for every schedule): the share answered {} of the alert, \
                 with its 95 % confidence interval, at {} agencies. Missed and open cases count as \
                 failures. Every figure, also over all cases, is in outages.csv.",
                sla_text(self.sla),
                self.report.focus_k()
            ),
            question: 7,
            size: (1400, 150 + self.panels.len() as u32 * (90 + 46 * rows)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "Members' cases answered {} during each outage, by schedule ({} agencies); bars: 95 % CI.",
                sla_text(self.sla),
                r.focus_k()
            ),
        )?;
        let panels = area.split_evenly((self.panels.len(), 1));
        for ((title, rows), panel) in self.panels.iter().zip(panels) {
            let lo = rows
                .iter()
                .map(|o| o.within_low.value.min(o.within.value))
                .filter(|v| v.is_finite())
                .fold(1.0f64, f64::min);
            // Shares from 0 unless all lie high: then from a round value below them.
            let x0 = if lo > 0.5 {
                (lo * 10.0).floor() / 10.0
            } else {
                0.0
            };
            let n = r.schedules.len();
            let mut chart = ChartBuilder::on(&panel)
                .caption(title, text(21))
                .margin(16)
                .x_label_area_size(46)
                .y_label_area_size(260)
                .build_cartesian_2d(100.0 * x0..100.0, -0.5..(n as f64 - 0.5))?;
            chart
                .configure_mesh()
                .x_desc(format!("share answered {} (%)", sla_text(self.sla)))
                .y_labels(n)
                .y_label_formatter(&|y| {
                    let i = y.round() as usize;
                    r.schedules
                        .get(n.saturating_sub(1).saturating_sub(i))
                        .cloned()
                        .unwrap_or_default()
                })
                .label_style(text(17))
                .disable_y_mesh()
                .draw()?;
            for (i, s) in r.schedules.iter().enumerate() {
                let Some(o) = rows.iter().find(|o| &o.key.schedule == s) else {
                    continue;
                };
                let y = (n - 1 - i) as f64;
                let c = colour(i);
                let (m, l, h) = (
                    100.0 * o.within.value,
                    100.0 * o.within_low.value,
                    100.0 * o.within_high.value,
                );
                if l.is_finite() && h.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(l, y), (h, y)],
                        c.stroke_width(4),
                    )))?;
                }
                chart.draw_series(std::iter::once(Circle::new((m, y), 7, c.filled())))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{m:.1} %"),
                    (m, y + 0.32),
                    text(15).color(&GREY),
                )))?;
            }
        }
        Ok(())
    }
}
