//! What if: for each variant and agency count (or sweep value), every schedule's
//! paired difference variant − base in the members' share answered within the
//! decision SLA, with its 95 % CI, the practical margin shaded and the verdict as the
//! colour: better, worse, no practical difference or undecided. Each panel has its own
//! scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    BAND, Chart, DrawResult, Key, Mark, Meta, SAME, UNDECIDED, WORSE, grid, legend, spread, titled,
};
use crate::report::rows::VariantRow;

/// At most this many panels (a chart beyond it would be unreadable; the rest are in
/// variants.csv and index.html).
const MAX_PANELS: usize = 36;

/// A better variant's colour (blue); the other verdicts' are the shared ones.
const BETTER: RGBColor = RGBColor(0, 114, 178);

/// One panel: (variant, base, agency count, sweep value).
type Panel = (String, String, usize, String);

pub(crate) struct Variants<'a> {
    /// The members' share within the decision SLA, every severity.
    rows: Vec<&'a VariantRow>,
    /// The decision measure, e.g. `within_2h`.
    measure: String,
    /// Practical margin, points.
    margin: f64,
    panels: Vec<Panel>,
    /// Panels per row: the agency counts (and sweep values) of one variant, at most 4.
    cols: usize,
}

impl<'a> Variants<'a> {
    pub(crate) fn new(rows: &'a [VariantRow]) -> Option<Variants<'a>> {
        let rows: Vec<&VariantRow> = rows
            .iter()
            .filter(|r| {
                r.scope == "members" && r.severity == "all" && r.measure.starts_with("within_")
            })
            .collect();
        let first = rows.first()?;
        let measure = first.measure.clone();
        let margin = 100.0 * first.margin.value;
        let mut panels: Vec<Panel> = Vec::new();
        for r in &rows {
            let p = (
                r.variant.clone(),
                r.base.clone(),
                r.agencies,
                r.sweep.clone(),
            );
            if !panels.contains(&p) {
                panels.push(p);
            }
        }
        let first_variant = panels[0].0.clone();
        let cols = panels
            .iter()
            .filter(|p| p.0 == first_variant)
            .count()
            .clamp(1, 4);
        Some(Variants {
            rows,
            measure,
            margin,
            panels: spread(&panels, MAX_PANELS),
            cols,
        })
    }

    fn schedules(&self) -> usize {
        self.panels
            .iter()
            .map(|p| self.panel_rows(p).len())
            .max()
            .unwrap_or(1)
    }

    fn panel_rows(&self, (variant, base, k, sweep): &Panel) -> Vec<&VariantRow> {
        self.rows
            .iter()
            .filter(|r| {
                &r.variant == variant && &r.base == base && r.agencies == *k && &r.sweep == sweep
            })
            .copied()
            .collect()
    }
}

impl Chart for Variants<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.panels.len(), self.cols);
        let n = self.schedules() as u32;
        Meta {
            stem: "variants",
            title: "What if: what does the variant change?".into(),
            caption: format!(
                "For each variant and agency count, each schedule's paired difference variant − base \
                 in the share of the members' cases answered {}, in percentage points, replication by \
                 replication over the same incidents, with its 95 % confidence interval. The shaded \
                 band is the practical margin (±{:.1} points): inside it, no practical difference. \
                 Blue: better; vermillion: worse; green: no practical difference; orange: undecided \
                 (more replications would tell). Each panel has its own scale.",
                self.measure.replace('_', " "),
                self.margin
            ),
            question: 0,
            size: (600 * cols as u32 + 240, 170 + rows as u32 * (110 + 40 * n)),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "Variant − base, members' share answered {} (points), with 95 % CIs; band: ±{:.1} points.",
                self.measure.replace('_', " "),
                self.margin
            ),
        )?;
        let keys = vec![
            Key::new("better", BETTER, Mark::Box),
            Key::new("worse", WORSE, Mark::Box),
            Key::new("no practical difference", SAME, Mark::Box),
            Key::new("undecided", UNDECIDED, Mark::Box),
            Key::new("practical margin", BAND, Mark::Box),
        ];
        let area = legend(&area, &keys)?;
        let (cols, grid_rows) = grid(self.panels.len(), self.cols);
        let cells = area.split_evenly((grid_rows, cols));
        for (p, panel) in self.panels.iter().zip(cells) {
            let rows = self.panel_rows(p);
            let n = rows.len();
            let mut hi = self.margin * 1.5;
            let mut lo = -self.margin * 1.5;
            for r in &rows {
                for x in [r.diff.value, r.ci95_low.value, r.ci95_high.value] {
                    if x.is_finite() {
                        hi = hi.max(100.0 * x);
                        lo = lo.min(100.0 * x);
                    }
                }
            }
            let pad = (hi - lo) * 0.08;
            let (variant, _, k, sweep) = p;
            let title = if sweep.is_empty() {
                format!("{variant} · {k} agencies")
            } else {
                format!("{variant} · {k} agencies · {sweep}")
            };
            let names: Vec<String> = rows.iter().map(|r| r.schedule.clone()).collect();
            let mut chart = super::differences(
                &panel,
                title,
                &names,
                lo - pad..hi + pad,
                "variant − base (points)",
                self.margin,
            )?;
            for (i, r) in rows.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let col = match r.verdict.as_str() {
                    "better" => BETTER,
                    "worse" => WORSE,
                    "no practical difference" => SAME,
                    _ => UNDECIDED,
                };
                let (m, l, h) = (
                    100.0 * r.diff.value,
                    100.0 * r.ci95_low.value,
                    100.0 * r.ci95_high.value,
                );
                if l.is_finite() && h.is_finite() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(l, y), (h, y)],
                        col.stroke_width(4),
                    )))?;
                }
                if m.is_finite() {
                    chart.draw_series(std::iter::once(Circle::new((m, y), 7, col.filled())))?;
                }
            }
        }
        Ok(())
    }
}
