//! Question 2: what another member adds. p50, p95 and the share within the headline
//! SLA against the agency count, one line per schedule with its 95 % CI band.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, Key, Mark, Meta, colour, legend, sla_text, text, titled};
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
    pub severity: &'a str,
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
                let e = r.estimate(&r.key(s, *k, v), "all", panel.severity, panel.metric)?;
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
    let (y0, y1) = (
        (lo - pad).max(if lo >= 0.0 { 0.0 } else { lo - pad }),
        hi + pad,
    );
    let (x0, x1) = (
        xs.first().map_or(0.0, |x| x.0),
        xs.last().map_or(1.0, |x| x.0),
    );
    let xpad = ((x1 - x0) * 0.04).max(0.3);
    let ticks: Vec<f64> = xs.iter().map(|x| x.0).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, text(21))
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
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x0, *t + (y1 - y0) * 0.045),
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
        chart.draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            colour(*i).stroke_width(3),
        ))?;
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
                "Median and 95th percentile of alert → response, and the share of cases answered {}, \
                 against the number of member agencies; one line per schedule, shaded bands are 95 % \
                 confidence intervals over replications (all severities).",
                sla_text(self.sla)
            ),
            question: 2,
            size: (1800, 720),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let variant = r.variants[0].clone();
        let mut sub =
            "All severities; lines are means over replications, bands their 95 % CIs.".to_string();
        if r.sweep.is_some() {
            sub.push_str(&format!(" At {}.", r.variant_label(&variant)));
        }
        let area = titled(root, &self.meta().title, &sub)?;
        let keys: Vec<Key> = r
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Line))
            .collect();
        let area = legend(&area, &keys)?;
        let xs: Vec<(f64, usize, String)> = r
            .counts
            .iter()
            .map(|&k| (k as f64, k, variant.clone()))
            .collect();
        let panels = [
            Panel {
                title: "Median alert → response (lower is better)".into(),
                y_desc: "p50 (minutes)".into(),
                scale: 1.0,
                metric: "alert_to_response_p50",
                severity: "all",
                target: None,
            },
            Panel {
                title: "95th percentile (lower is better)".into(),
                y_desc: "p95 (minutes)".into(),
                scale: 1.0,
                metric: "alert_to_response_p95",
                severity: "all",
                target: None,
            },
            Panel {
                title: format!("Answered {} (higher is better)", sla_text(self.sla)),
                y_desc: "share of cases (%)".into(),
                scale: 100.0,
                metric: &Report::sla_metric(self.sla),
                severity: "all",
                target: None,
            },
        ];
        for (panel, cell) in panels.iter().zip(area.split_evenly((1, 3))) {
            draw_panel(&cell, r, panel, &xs, "member agencies")?;
        }
        Ok(())
    }
}
