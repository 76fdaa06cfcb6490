//! `[[sensitivity]]`: which estimates move the decision measure most. One panel per
//! agency count: a bar per estimate from its low end's value to its high end's, sorted
//! by swing, the base marked, 95 % CIs on each end, and a note where the
//! recommendation changes.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{BLUE, Chart, DrawResult, GREY, Key, Mark, Meta, VERMILLION, legend, text, titled};
use crate::report::rows::SensitivityRow;
use crate::report::sensitivity::by_swing;

pub(crate) struct Tornado<'a> {
    rows: &'a [SensitivityRow],
    counts: Vec<usize>,
    estimates: usize,
}

impl<'a> Tornado<'a> {
    pub(crate) fn new(rows: &'a [SensitivityRow]) -> Option<Tornado<'a>> {
        let mut counts: Vec<usize> = rows.iter().map(|r| r.agencies).collect();
        counts.dedup();
        let estimates = counts.first().map_or(0, |&k| by_swing(rows, k).1.len());
        (estimates > 0).then_some(Tornado {
            rows,
            counts,
            estimates,
        })
    }
}

/// The colour of a range's low end and of its high end.
const LOW: RGBColor = BLUE;
const HIGH: RGBColor = VERMILLION;

impl Chart for Tornado<'_> {
    fn meta(&self) -> Meta {
        let measure = self.rows[0].measure.replace('_', " ");
        Meta {
            stem: "tornado",
            title: "Which estimates, if wrong, would change the answer?".into(),
            caption: format!(
                "For each estimate given a low and a high value, the members' share of cases answered \
                 {measure} of the alert under the schedule the base recommends, at the low end (blue) \
                 and at the high end (vermillion), with 95 % confidence intervals; bars are sorted \
                 by swing, largest on top, and the black line is the base. Every end runs the base's \
                 seed and replications (common random numbers), so an estimate no case uses has no \
                 swing at all. A note beside a bar names the schedule recommended instead when an \
                 end changes the recommendation."
            ),
            question: 0,
            size: (
                1300,
                200 + self.counts.len() as u32 * (110 + 80 * self.estimates as u32),
            ),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "Members' share {} of the recommended schedule at each end of each range, per agency count.",
                self.rows[0].measure.replace('_', " ")
            ),
        )?;
        let keys = [
            Key::new("low end", LOW, Mark::Box),
            Key::new("high end", HIGH, Mark::Box),
            Key::new("base", BLACK, Mark::Line),
        ];
        let area = legend(&area, &keys)?;
        for (&k, panel) in self
            .counts
            .iter()
            .zip(area.split_evenly((self.counts.len(), 1)))
        {
            let (base, pairs) = by_swing(self.rows, k);
            let Some(base) = base else { continue };
            let n = pairs.len();
            let mut lo = 100.0 * base.mean.value;
            let mut hi = lo;
            for p in &pairs {
                for r in p {
                    for v in [r.mean.value, r.ci95_low.value, r.ci95_high.value] {
                        if v.is_finite() {
                            lo = f64::min(lo, 100.0 * v);
                            hi = f64::max(hi, 100.0 * v);
                        }
                    }
                }
            }
            let pad = ((hi - lo) * 0.25).max(1.0);
            let labels: Vec<String> = pairs.iter().map(|[low, _]| low.estimate.clone()).collect();
            let mut chart = super::Rows {
                title: format!(
                    "{k} agencies · {} (base {:.1} %)",
                    base.schedule,
                    100.0 * base.mean.value
                ),
                margin: 14,
                names_width: 320,
                x: (lo - pad).max(0.0)..(hi + pad).min(100.0),
                x_desc: format!("members' share {} (%)", base.measure.replace('_', " ")),
                names: &labels,
            }
            .chart(&panel)?;
            let b = 100.0 * base.mean.value;
            for (i, pair) in pairs.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                for (r, col) in pair.iter().zip([LOW, HIGH]) {
                    let m = 100.0 * r.mean.value;
                    if !m.is_finite() {
                        continue;
                    }
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(b.min(m), y - 0.2), (b.max(m), y + 0.2)],
                        col.mix(0.75).filled(),
                    )))?;
                    // The end's value in its colour beyond the bar's outer end: the low
                    // end's above the bar, the high end's below, so they never collide.
                    if r.value.chars().count() <= 40 {
                        let (l, h) = (100.0 * r.ci95_low.value, 100.0 * r.ci95_high.value);
                        let (x, across) = if m < b {
                            (
                                if l.is_finite() { l.min(m) } else { m },
                                plotters::style::text_anchor::HPos::Right,
                            )
                        } else {
                            (
                                if h.is_finite() { h.max(m) } else { m },
                                plotters::style::text_anchor::HPos::Left,
                            )
                        };
                        let (dy, down) = if r.end == "low" {
                            (0.24, plotters::style::text_anchor::VPos::Bottom)
                        } else {
                            (-0.24, plotters::style::text_anchor::VPos::Top)
                        };
                        chart.draw_series(std::iter::once(Text::new(
                            format!(" {} ", r.value),
                            (x, y + dy),
                            text(13)
                                .color(&col)
                                .pos(plotters::style::text_anchor::Pos::new(across, down)),
                        )))?;
                    }
                    let (l, h) = (100.0 * r.ci95_low.value, 100.0 * r.ci95_high.value);
                    if l.is_finite() && h.is_finite() {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(l, y), (h, y)],
                            GREY.stroke_width(2),
                        )))?;
                        for x in [l, h] {
                            chart.draw_series(std::iter::once(PathElement::new(
                                vec![(x, y - 0.12), (x, y + 0.12)],
                                GREY.stroke_width(2),
                            )))?;
                        }
                    }
                }
                let flips: Vec<String> = pair
                    .iter()
                    .filter(|r| !r.decision_holds)
                    .map(|r| format!("{} → {}", r.end, r.recommended))
                    .collect();
                if !flips.is_empty() {
                    let x = (hi + pad).min(100.0);
                    chart.draw_series(std::iter::once(Text::new(
                        format!("recommendation changes: {}", flips.join(", ")),
                        (x, y + 0.45),
                        text(15)
                            .color(&BLACK)
                            .pos(plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Right,
                                plotters::style::text_anchor::VPos::Top,
                            )),
                    )))?;
                }
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(b, -0.5), (b, n as f64 - 0.5)],
                BLACK.stroke_width(2),
            )))?;
        }
        Ok(())
    }
}
