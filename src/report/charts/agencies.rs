//! Question 2: what another member adds. The share answered within the decision SLA
//! against the agency count, over every case and over the members' cases, one line
//! per schedule with its 95 % CI band, on axes from 0; and the paired increment of each
//! step (the next member's effect on every case, same incidents) with its CI.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, DrawResult, GREY, Key, Mark, Meta, colour, legend, series_line, sla_text, text, titled,
};
use crate::report::data::Report;

pub(crate) struct Agencies<'a> {
    report: &'a Report,
    sla: f64,
}

impl<'a> Agencies<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Agencies<'a>> {
        if report.counts.len() < 2 {
            return None;
        }
        Some(Agencies {
            report,
            sla: report.headline_sla()?,
        })
    }
}

/// One panel: a metric against the agency count with CI bands.
pub(crate) struct Panel<'a> {
    pub title: String,
    pub y_desc: String,
    /// Multiplies the CSV value for display (100 for shares in %).
    pub scale: f64,
    pub metric: &'a str,
    /// `members`, `non_members` or `all`.
    pub scope: &'a str,
    pub severity: &'a str,
    /// Whether the y axis starts at 0 (shares: a reader expects it).
    pub from_zero: bool,
    /// A horizontal target line (display units) and its label.
    pub target: Option<(f64, String)>,
}

/// Draws `panel` for x positions `xs` (with their sweep value / agency count keys).
pub(crate) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &Report,
    panel: &Panel,
    xs: &[(f64, usize, String)],
    x_desc: &str,
) -> DrawResult<DB> {
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, s) in r.schedules.iter().enumerate() {
        let pts: Vec<(f64, f64, f64, f64)> = xs
            .iter()
            .filter_map(|(x, k, v)| {
                let e = r.estimate(&r.key(s, *k, v), panel.scope, panel.severity, panel.metric)?;
                if e.mean.is_nan() {
                    return None;
                }
                let (l, h) = if e.low.is_nan() {
                    (e.mean, e.mean)
                } else {
                    (e.low, e.high)
                };
                Some((*x, e.mean * panel.scale, l * panel.scale, h * panel.scale))
            })
            .collect();
        for p in &pts {
            lo = lo.min(p.2);
            hi = hi.max(p.3);
        }
        series.push((i, pts));
    }
    if let Some((t, _)) = &panel.target {
        lo = lo.min(*t);
        hi = hi.max(*t);
    }
    if !lo.is_finite() {
        return Ok(());
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(1e-9);
    // Shares start at 0 and, in percent, stop at 100.
    let (y0, y1) = if panel.from_zero {
        let top = if panel.scale == 100.0 {
            (hi + pad).min(100.0).max(hi)
        } else {
            hi + pad
        };
        (0.0, top)
    } else {
        (
            (lo - pad).max(if lo >= 0.0 { 0.0 } else { lo - pad }),
            hi + pad,
        )
    };
    let (x0, x1) = (
        xs.first().map_or(0.0, |x| x.0),
        xs.last().map_or(1.0, |x| x.0),
    );
    let xpad = ((x1 - x0) * 0.04).max(0.3);
    let ticks: Vec<f64> = xs.iter().map(|x| x.0).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            &panel.title,
            text(if panel.title.len() > 60 { 16 } else { 21 }),
        )
        .margin(14)
        .x_label_area_size(54)
        .y_label_area_size(80)
        .build_cartesian_2d(super::Fixed::new(x0 - xpad..x1 + xpad, ticks), y0..y1)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x}"))
        .y_label_formatter(&|y| {
            if (y1 - y0) < 5.0 {
                format!("{y:.2}")
            } else {
                format!("{y:.0}")
            }
        })
        .x_desc(x_desc)
        .y_desc(&panel.y_desc)
        .label_style(text(16))
        .axis_desc_style(text(17))
        .bold_line_style(RGBColor(230, 230, 230))
        .light_line_style(TRANSPARENT)
        .draw()?;
    if let Some((t, label)) = &panel.target {
        for seg in super::dashes((x0 - xpad, *t), (x1 + xpad, *t), 60) {
            chart.draw_series(std::iter::once(PathElement::new(
                seg,
                BLACK.stroke_width(2),
            )))?;
        }
        // Below the line at the right, clear of the curves that reach the target.
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x1 - (x1 - x0) * 0.18, *t - (y1 - y0) * 0.025),
            text(16),
        )))?;
    }
    for (i, pts) in &series {
        if pts.len() > 1 {
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                colour(*i).mix(0.22).filled(),
            )))?;
        }
    }
    for (i, pts) in &series {
        series_line(&mut chart, *i, pts.iter().map(|p| (p.0, p.1)).collect(), 3)?;
        chart.draw_series(
            pts.iter()
                .map(|p| Circle::new((p.0, p.1), 5, colour(*i).filled())),
        )?;
    }
    Ok(())
}

impl Chart for Agencies<'_> {
    fn meta(&self) -> Meta {
        Meta {
            stem: "agencies",
            title: "What does each new member add?".into(),
            caption: format!(
                "Left and middle: the share of cases answered {} against the number of member \
                 agencies, over every case (the same incidents at every count) and over the members' \
                 own cases, one line per schedule with its 95 % confidence band; shares start at 0 %. \
                 Right: what each step adds to every case's share, paired over the same incidents, \
                 with its 95 % CI; the shaded band is the practical margin, inside which a step \
                 makes no practical difference.",
                sla_text(self.sla)
            ),
            question: 2,
            size: (2100, 760),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let variant = r.variants[0].clone();
        let mut sub = format!(
            "Share answered {} (lines: means over replications, bands: 95 % CIs); right: each step's paired change.",
            sla_text(self.sla)
        );
        if r.sweep.is_some() {
            sub.push_str(&format!(" At {}.", r.variant_label(&variant)));
        }
        let area = titled(root, &self.meta().title, &sub)?;
        let keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Series(i)))
            .collect();
        let area = legend(&area, &keys)?;
        let xs: Vec<(f64, usize, String)> = r
            .counts
            .iter()
            .map(|&k| (k as f64, k, variant.clone()))
            .collect();
        let metric = Report::sla_metric(self.sla);
        let panels = [
            Panel {
                title: "Every case (higher is better)".into(),
                y_desc: format!("answered {} (%)", sla_text(self.sla)),
                scale: 100.0,
                metric: &metric,
                scope: "all",
                severity: "all",
                from_zero: true,
                target: None,
            },
            Panel {
                title: "Members' cases (higher is better)".into(),
                y_desc: format!("answered {} (%)", sla_text(self.sla)),
                scale: 100.0,
                metric: &metric,
                scope: "members",
                severity: "all",
                from_zero: true,
                target: None,
            },
        ];
        let cells = area.split_evenly((1, 3));
        for (panel, cell) in panels.iter().zip(&cells) {
            draw_panel(cell, r, panel, &xs, "member agencies")?;
        }
        self.increments(&cells[2], &variant)
    }
}

impl Agencies<'_> {
    /// Each step's paired change of every case's share, per schedule, with CIs.
    fn increments<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        variant: &str,
    ) -> DrawResult<DB> {
        let r = self.report;
        let metric = Report::sla_metric(self.sla);
        let mut steps: Vec<(usize, usize)> = r
            .increments
            .iter()
            .filter(|i| i.metric == metric && i.key.variant() == variant)
            .map(|i| (i.from_agencies, i.key.agencies))
            .collect();
        steps.sort_unstable();
        steps.dedup();
        if steps.is_empty() {
            return Ok(());
        }
        let margin = r.margin_points();
        let (mut lo, mut hi) = (-margin * 1.5, margin * 1.5);
        for i in r.increments.iter().filter(|i| i.metric == metric) {
            for x in [i.ci95_low.value, i.ci95_high.value, i.change.value] {
                if x.is_finite() {
                    lo = lo.min(100.0 * x);
                    hi = hi.max(100.0 * x);
                }
            }
        }
        let pad = (hi - lo) * 0.08;
        let n = steps.len();
        let labels: Vec<String> = steps.iter().map(|(a, b)| format!("{a}→{b}")).collect();
        let mut chart = ChartBuilder::on(area)
            .caption("What each step adds to every case", text(21))
            .margin(14)
            .x_label_area_size(54)
            .y_label_area_size(80)
            .build_cartesian_2d(
                super::Fixed::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()),
                lo - pad..hi + pad,
            )?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| labels.get(x.round() as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|y| format!("{y:+.0}"))
            .x_desc("agency count, before → after")
            .y_desc("change (points)")
            .label_style(text(16))
            .axis_desc_style(text(17))
            .bold_line_style(RGBColor(230, 230, 230))
            .light_line_style(TRANSPARENT)
            .draw()?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-0.5, -margin), (n as f64 - 0.5, margin)],
            RGBColor(225, 242, 235).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
            GREY.stroke_width(1),
        )))?;
        let m = r.schedules.len().max(1) as f64;
        for (si, s) in r.schedules.iter().enumerate() {
            let offset = (si as f64 - (m - 1.0) / 2.0) * 0.7 / m;
            for (x, (a, b)) in steps.iter().enumerate() {
                let Some(inc) = r.increments.iter().find(|i| {
                    i.metric == metric
                        && i.key.variant() == variant
                        && &i.key.schedule == s
                        && i.from_agencies == *a
                        && i.key.agencies == *b
                }) else {
                    continue;
                };
                let x = x as f64 + offset;
                let (c, l, h) = (
                    100.0 * inc.change.value,
                    100.0 * inc.ci95_low.value,
                    100.0 * inc.ci95_high.value,
                );
                if l.is_finite() && h.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x, l), (x, h)],
                        colour(si).stroke_width(3),
                    )))?;
                }
                if c.is_finite() {
                    chart.draw_series(std::iter::once(Circle::new(
                        (x, c),
                        5,
                        colour(si).filled(),
                    )))?;
                }
            }
        }
        Ok(())
    }
}
