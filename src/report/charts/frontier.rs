//! `watchsim optimise`: what each staffing the search tried costs against what it
//! delivers, one panel per target, with the target line, the feasible candidates
//! filled, the cost–service frontier and the answer labelled.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{BLUE, Chart, DrawResult, GREY, Key, Mark, Meta, colour, legend, text, titled};
use crate::report::rows::OptimiseRow;

pub(crate) struct Frontier<'a> {
    rows: &'a [OptimiseRow],
    /// The targets, in the order of the file.
    targets: Vec<String>,
    schedules: Vec<String>,
}

impl<'a> Frontier<'a> {
    pub(crate) fn new(rows: &'a [OptimiseRow]) -> Option<Frontier<'a>> {
        let mut targets: Vec<String> = Vec::new();
        let mut schedules: Vec<String> = Vec::new();
        for r in rows {
            if !targets.contains(&r.target) {
                targets.push(r.target.clone());
            }
            if !schedules.contains(&r.schedule) {
                schedules.push(r.schedule.clone());
            }
        }
        (!rows.is_empty()).then_some(Frontier {
            rows,
            targets,
            schedules,
        })
    }

    fn chosen(&self) -> Option<&OptimiseRow> {
        self.rows.iter().find(|r| r.chosen)
    }
}

/// A value of a row in the chart's unit: percent for shares, minutes otherwise.
fn scaled(r: &OptimiseRow, x: f64) -> f64 {
    if r.unit == "share" { 100.0 * x } else { x }
}

impl Chart for Frontier<'_> {
    fn meta(&self) -> Meta {
        let answer = match self.chosen() {
            Some(c) => format!(
                "The labelled point is the answer: {} on {}, {:.0} analyst-hours per week.",
                c.staffing, c.schedule, c.analyst_hours_per_week.value
            ),
            None => "No candidate met every target.".into(),
        };
        Meta {
            stem: "frontier",
            title: "What does each staffing cost, and what does it deliver?".into(),
            caption: format!(
                "Every staffing the optimiser evaluated: its weekly cost (analyst-hours on watch, \
                 weighted by the members' costs if given) against each target's estimate with its \
                 95 % confidence interval; the dashed line is the target. Filled points meet every \
                 target at the cautious end of their intervals, hollow ones do not; diamonds are \
                 confirmation runs on fresh replications. The grey steps join the best estimate \
                 reached at each cost (the cost–service frontier). {answer}"
            ),
            question: 0,
            size: (1200, 170 + 520 * self.targets.len() as u32),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(
            root,
            &self.meta().title,
            "Cost per week against each target; filled: meets every target; ◆: confirmation run.",
        )?;
        let mut keys: Vec<Key> = self
            .schedules
            .iter()
            .enumerate()
            .map(|(i, s)| Key::new(s.clone(), colour(i), Mark::Box))
            .collect();
        keys.push(Key::new("target", BLACK, Mark::Dashed));
        keys.push(Key::new("frontier", GREY, Mark::Line));
        let area = legend(&area, &keys)?;
        let panels = area.split_evenly((self.targets.len(), 1));
        for (target, panel) in self.targets.iter().zip(panels) {
            let rows: Vec<&OptimiseRow> =
                self.rows.iter().filter(|r| &r.target == target).collect();
            let first = rows[0];
            let (mut lo, mut hi) = (
                scaled(first, first.bound.value),
                scaled(first, first.bound.value),
            );
            let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
            for r in &rows {
                for v in [r.estimate.value, r.ci95_low.value, r.ci95_high.value] {
                    if v.is_finite() {
                        lo = lo.min(scaled(r, v));
                        hi = hi.max(scaled(r, v));
                    }
                }
                x0 = x0.min(r.cost_per_week.value);
                x1 = x1.max(r.cost_per_week.value);
            }
            if first.unit == "share" {
                hi = hi.min(100.0);
                lo = lo.max(0.0);
            }
            let pad_y = ((hi - lo) * 0.08).max(0.5);
            let pad_x = ((x1 - x0) * 0.06).max(1.0);
            let y_desc = if first.unit == "share" {
                format!("{} (%)", first.measure)
            } else {
                format!("{} (minutes)", first.measure)
            };
            let mut chart = ChartBuilder::on(&panel)
                .caption(target.clone(), text(19))
                .margin(16)
                .x_label_area_size(56)
                .y_label_area_size(80)
                .build_cartesian_2d(x0 - pad_x..x1 + pad_x, lo - pad_y..hi + pad_y)?;
            chart
                .configure_mesh()
                .x_desc("cost per week (analyst-hours on watch)")
                .y_desc(y_desc)
                .label_style(text(15))
                .axis_desc_style(text(16))
                .bold_line_style(RGBColor(235, 235, 235))
                .light_line_style(TRANSPARENT)
                .draw()?;
            let bound = scaled(first, first.bound.value);
            chart.draw_series(DashedLineSeries::new(
                vec![(x0 - pad_x, bound), (x1 + pad_x, bound)],
                10,
                6,
                BLACK.stroke_width(2),
            ))?;
            // The frontier: the best estimate reached at or below each cost.
            let better = |a: f64, b: f64| {
                if first.bound_kind == "at_least" {
                    a > b
                } else {
                    a < b
                }
            };
            let mut by_cost: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.estimate.value.is_finite())
                .map(|r| (r.cost_per_week.value, scaled(r, r.estimate.value)))
                .collect();
            by_cost.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut steps: Vec<(f64, f64)> = Vec::new();
            for (x, y) in by_cost {
                match steps.last() {
                    Some(&(_, best)) if !better(y, best) => {}
                    Some(&(_, best)) => {
                        steps.push((x, best));
                        steps.push((x, y));
                    }
                    None => steps.push((x, y)),
                }
            }
            chart.draw_series(LineSeries::new(steps, GREY.stroke_width(2)))?;
            for r in &rows {
                let s = self
                    .schedules
                    .iter()
                    .position(|n| n == &r.schedule)
                    .unwrap_or(0);
                let col = colour(s);
                let x = r.cost_per_week.value;
                let (m, l, h) = (
                    scaled(r, r.estimate.value),
                    scaled(r, r.ci95_low.value),
                    scaled(r, r.ci95_high.value),
                );
                if l.is_finite() && h.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x, l.max(lo - pad_y)), (x, h.min(hi + pad_y))],
                        col.stroke_width(2),
                    )))?;
                }
                if !m.is_finite() {
                    continue;
                }
                let style = if r.feasible {
                    col.filled()
                } else {
                    col.stroke_width(2)
                };
                if r.phase == "confirm" {
                    let d = 9;
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((x, m))
                            + Polygon::new(vec![(0, -d), (d, 0), (0, d), (-d, 0)], style),
                    ))?;
                } else {
                    chart.draw_series(std::iter::once(Circle::new((x, m), 6, style)))?;
                }
            }
            if let Some(c) = rows.iter().find(|r| r.chosen) {
                let (x, m) = (c.cost_per_week.value, scaled(c, c.estimate.value));
                chart.draw_series(std::iter::once(Circle::new(
                    (x, m),
                    14,
                    BLUE.stroke_width(3),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!(
                        "answer: {} ({:.0} h/week)",
                        c.staffing, c.analyst_hours_per_week.value
                    ),
                    (x, m),
                    text(17).pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Right,
                        plotters::style::text_anchor::VPos::Bottom,
                    )),
                )))?;
            }
        }
        Ok(())
    }
}
