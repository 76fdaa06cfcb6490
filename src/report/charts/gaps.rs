//! Question 3: which weeks of the year have gaps or double cover, and at which UTC
//! times: a week × quarter-hour heatmap per schedule at the largest agency count, for the
//! schedules that have any (the others are named in one line). Daylight-saving
//! transitions show as bands of weeks whose gaps move or appear.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::schedule::IntervalKind;

use super::coverage::OVERLAP;
use super::{Chart, DrawResult, Key, Mark, Meta, VERMILLION, grid, legend, mix, text, titled};
use crate::report::data::Report;

/// At most this many panels.
const MAX_PANELS: usize = 6;
/// The colour of a fully covered cell.
const COVERED: RGBColor = RGBColor(236, 236, 236);

/// Columns of a day: quarter hours, the resolution at which rotations hand over.
const BINS: usize = 96;
/// Hours per column.
const BIN_H: f64 = 24.0 / BINS as f64;

/// Per week, per quarter hour of the UTC day: (gap hours, overlap hours) over the week.
type WeekGrid = Vec<[(f64, f64); BINS]>;

pub(crate) struct Gaps<'a> {
    report: &'a Report,
    /// Per schedule: per week, per UTC hour: (gap hours, overlap hours) over the week.
    cells: Vec<(String, WeekGrid)>,
    /// Rows are weeks of the year (the horizon is longer than a year).
    fold: bool,
    /// Schedules with neither gaps nor overlaps (no panel).
    clean: Vec<String>,
}

impl<'a> Gaps<'a> {
    pub(crate) fn new(report: &'a Report) -> Option<Gaps<'a>> {
        let weeks = (report.horizon_hours / 168.0).ceil() as usize;
        if weeks == 0 {
            return None;
        }
        // Horizons longer than a year fold onto the 53 weeks of the year (averaged over
        // the years), so the chart stays one page whatever the horizon.
        let fold = weeks > 53;
        let t0 = report.start;
        let row = |t: f64| -> usize {
            match (fold, t0) {
                (true, Some(t0)) => {
                    let at = t0 + chrono::Duration::seconds((t * 3600.0) as i64);
                    chrono::Datelike::iso_week(&at).week0() as usize
                }
                _ => ((t / 168.0).floor() as usize).min(weeks - 1),
            }
        };
        let rows = if fold { 53 } else { weeks };
        let mut folded = vec![0.0f64; rows];
        for w in 0..weeks {
            folded[row(w as f64 * 168.0 + 84.0).min(rows - 1)] += 1.0;
        }
        let mut cells = Vec::new();
        let mut clean = Vec::new();
        for s in &report.schedules {
            let Some(spans) = report.coverage.get(s) else {
                continue;
            };
            if spans.iter().all(|s| s.kind == IntervalKind::Watch) {
                clean.push(s.clone());
                continue;
            }
            if cells.len() == MAX_PANELS {
                continue;
            }
            let mut grid = vec![[(0.0, 0.0); BINS]; rows];
            for span in spans.iter().filter(|s| s.kind != IntervalKind::Watch) {
                let mut t = span.start;
                while t < span.end {
                    let bin = (t / BIN_H + 1e-9).floor();
                    let next = ((bin + 1.0) * BIN_H).min(span.end);
                    let w = row(t).min(rows - 1);
                    let b = (bin as usize) % BINS;
                    if span.kind == IntervalKind::Gap {
                        grid[w][b].0 += next - t;
                    } else {
                        grid[w][b].1 += next - t;
                    }
                    t = next;
                }
            }
            for (cells_of_week, n) in grid.iter_mut().zip(&folded) {
                if *n > 1.0 {
                    cells_of_week
                        .iter_mut()
                        .for_each(|c| *c = (c.0 / n, c.1 / n));
                }
            }
            cells.push((s.clone(), grid));
        }
        (!cells.is_empty()).then_some(Gaps {
            report,
            cells,
            fold,
            clean,
        })
    }
}

/// The colour of a gap on `days` days of the week (of 7).
fn gap_shade(days: f64) -> RGBColor {
    mix(RGBColor(250, 210, 180), VERMILLION, days / 7.0)
}

/// The colour of an overlap on `days` days of the week.
fn overlap_shade(days: f64) -> RGBColor {
    mix(RGBColor(235, 200, 225), OVERLAP, days / 7.0)
}

impl Chart for Gaps<'_> {
    fn meta(&self) -> Meta {
        let (cols, rows) = grid(self.cells.len(), 3);
        let weeks = self.cells[0].1.len() as u32;
        Meta {
            stem: "gaps",
            title: "Which weeks have gaps or double cover?".into(),
            caption: format!(
                "For {} agencies, one row per week of the horizon and one column per quarter hour of \
                 the day in UTC. Vermillion: nobody holds the watch, darker on more days of that week \
                 (see the scale); purple: two or more members hold it; a cell with a gap on some days \
                 and an overlap on others is split, gap above, overlap below; grey: exactly one \
                 member. Weeks around daylight-saving changes stand out as rows that differ from their \
                 neighbours. {}",
                self.report.focus_k(),
                if self.clean.is_empty() {
                    String::new()
                } else {
                    format!(
                        "No gap or overlap at all (no panel): {}.",
                        self.clean.join(", ")
                    )
                }
            ),
            question: 3,
            size: (
                (600 * cols as u32).max(1500),
                160 + rows as u32 * (140 + 11 * weeks),
            ),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let r = self.report;
        let Some(t0) = r.start else { return Ok(()) };
        let area = titled(
            root,
            &self.meta().title,
            &format!(
                "{} agencies; rows are weeks (top: first), columns quarter hours (UTC); the mark at the right flags weeks with a gap.{}",
                r.focus_k(),
                if self.clean.is_empty() {
                    String::new()
                } else {
                    format!(" No gap or overlap: {}.", self.clean.join(", "))
                }
            ),
        )?;
        let area = legend(
            &area,
            &[
                Key::new("gap: nobody on watch", VERMILLION, Mark::Box),
                Key::new("overlap: two or more on watch", OVERLAP, Mark::Box),
                Key::new("one member on watch", COVERED, Mark::Box),
            ],
        )?;
        // The scale: how many days of the week a cell's gap or overlap lasts.
        let (scale, area) = area.split_vertically(46);
        scale.draw(&Text::new("days of the week:", (24, 12), text(16)))?;
        for d in 1..=7 {
            for (row, colour) in [
                (0, gap_shade(f64::from(d))),
                (1, overlap_shade(f64::from(d))),
            ] {
                let x = 190 + (d - 1) * 44;
                let y = 4 + row * 20;
                scale.draw(&Rectangle::new([(x, y), (x + 40, y + 16)], colour.filled()))?;
            }
        }
        for (i, label) in ["1", "7"].iter().enumerate() {
            scale.draw(&Text::new(
                label.to_string(),
                (190 + i as i32 * 6 * 44 + 14, 6),
                text(13).color(&WHITE),
            ))?;
        }
        let (cols, rows) = grid(self.cells.len(), 3);
        for ((s, weeks), panel) in self.cells.iter().zip(area.split_evenly((rows, cols))) {
            let w = weeks.len();
            let gap_hours: f64 = weeks.iter().flatten().map(|c| c.0).sum();
            let gap_weeks = weeks
                .iter()
                .filter(|wk| wk.iter().any(|c| c.0 > 1e-6))
                .count();
            let caption = format!("{s} · gaps in {gap_weeks} of {w} weeks ({gap_hours:.0} h)");
            let ticks: Vec<f64> = (0..w).step_by(4).map(|i| -(i as f64) - 0.5).collect();
            let mut chart = ChartBuilder::on(&panel)
                .caption(caption, text(18))
                .margin(10)
                .x_label_area_size(48)
                .y_label_area_size(92)
                .build_cartesian_2d(
                    super::Fixed::new(0.0..25.6, (0..=24).map(f64::from).collect()),
                    super::Fixed::new(-(w as f64)..0.0, ticks),
                )?;
            chart
                .configure_mesh()
                .x_label_formatter(&|x| {
                    if (*x as i64) % 3 == 0 {
                        format!("{x:02.0}")
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y| {
                    let i = (-y - 0.5).round() as i64;
                    if self.fold {
                        format!("week {}", i + 1)
                    } else {
                        (t0 + chrono::Duration::weeks(i))
                            .format("%-d %b")
                            .to_string()
                    }
                })
                .x_desc("hour of day (UTC)")
                .label_style(text(14))
                .axis_desc_style(text(15))
                .disable_mesh()
                .draw()?;
            chart.draw_series(weeks.iter().enumerate().flat_map(|(i, wk)| {
                wk.iter().enumerate().flat_map(move |(b, c)| {
                    let y = -(i as f64);
                    let x = b as f64 * BIN_H;
                    let (gap, overlap) = (c.0 / BIN_H, c.1 / BIN_H);
                    let cell = |y0: f64, y1: f64, colour: RGBColor| {
                        Rectangle::new([(x, y0), (x + BIN_H, y1)], colour.filled())
                    };
                    match (gap > 1e-6, overlap > 1e-6) {
                        (true, true) => vec![
                            cell(y - 0.5, y, gap_shade(gap)),
                            cell(y - 1.0, y - 0.5, overlap_shade(overlap)),
                        ],
                        (true, false) => vec![cell(y - 1.0, y, gap_shade(gap))],
                        (false, true) => vec![cell(y - 1.0, y, overlap_shade(overlap))],
                        (false, false) => vec![cell(y - 1.0, y, COVERED)],
                    }
                })
            }))?;
            // A marker column right of the grid: the weeks with any gap.
            chart.draw_series(weeks.iter().enumerate().filter_map(|(i, wk)| {
                let y = -(i as f64);
                wk.iter().any(|c| c.0 > 1e-6).then(|| {
                    Rectangle::new([(24.5, y - 0.9), (25.5, y - 0.1)], VERMILLION.filled())
                })
            }))?;
        }
        Ok(())
    }
}
