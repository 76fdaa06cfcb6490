//! The charts of a report, drawn from the CSV files of a report folder (never from
//! in-memory results), each as PNG and SVG.
//!
//! One file per chart; each chart is a small type implementing `Chart`, drawn on any
//! plotters backend. Text uses DejaVu Sans, embedded in the binary and registered with
//! plotters once, so no system font library is needed. Colours are the Okabe–Ito
//! palette, safe for the common colour-vision deficiencies.

mod agencies;
mod compare;
pub mod coverage;
mod desks;
mod ecdf;
mod frontier;
mod gaps;
mod load;
mod outages;
mod stages;
mod sweep;
mod tornado;
mod variants;
mod weekly;

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor, register_font};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::report::data::Report;
use crate::report::write_atomic;

/// DejaVu Sans (Bitstream Vera licence, see `assets/fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded fonts as plotters' `sans-serif` (regular and bold); safe to
/// call any number of times.
pub fn register_fonts() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS).is_ok()
            && register_font("sans-serif", FontStyle::Bold, DEJAVU_SANS_BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Chart {
            chart: "the charts".into(),
            message: "the embedded DejaVu Sans font could not be loaded".into(),
        })
    }
}

/// A chart written to the report folder.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// File stem: the chart is `<stem>.png` and `<stem>.svg`.
    pub stem: &'static str,
    /// Title, as drawn.
    pub title: String,
    /// One or two sentences on how to read it.
    pub caption: String,
    /// The question it answers, 1-8 (the README's list); 0 for the what-if chart.
    pub question: u8,
    /// Pixel size of the PNG.
    pub size: (u32, u32),
}

/// What a chart says about itself before it is drawn.
pub(crate) struct Meta {
    stem: &'static str,
    title: String,
    caption: String,
    question: u8,
    size: (u32, u32),
}

/// The result of drawing on backend `DB`.
pub(crate) type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart: its description and how to draw it on any backend.
pub(crate) trait Chart: Sync {
    /// File stem, title, caption and size.
    fn meta(&self) -> Meta;
    /// Draws the chart on `root` (already white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

type Task<'a> = Box<dyn Fn() -> Result<ChartFile> + Send + Sync + 'a>;

fn task<'a, C: Chart + Send + 'a>(report: &'a Report, chart: Option<C>, tasks: &mut Vec<Task<'a>>) {
    if let Some(chart) = chart {
        tasks.push(Box::new(move || render(&report.dir, &chart)));
    }
}

/// The stems of every chart a report may draw.
pub const STEMS: [&str; 14] = [
    "agencies", "compare", "coverage", "desks", "ecdf", "frontier", "gaps", "load", "outages",
    "stages", "sweep", "tornado", "variants", "weekly",
];

/// Writes every chart of an already loaded report.
pub fn render_report(report: &Report) -> Result<Vec<ChartFile>> {
    register_fonts()?;
    let mut tasks: Vec<Task> = Vec::new();
    task(report, ecdf::Ecdf::new(report), &mut tasks);
    task(report, compare::Compare::new(report), &mut tasks);
    task(report, agencies::Agencies::new(report), &mut tasks);
    task(report, sweep::Sweep::new(report), &mut tasks);
    task(report, stages::Stages::new(report), &mut tasks);
    task(
        report,
        coverage::Timeline::of_report(report).map(|timeline| coverage::CoverageChart { timeline }),
        &mut tasks,
    );
    task(report, gaps::Gaps::new(report), &mut tasks);
    task(report, weekly::Weekly::new(report), &mut tasks);
    task(report, load::Load::new(report), &mut tasks);
    task(report, desks::Desks::new(report), &mut tasks);
    task(report, outages::Outages::new(report), &mut tasks);
    task(
        report,
        variants::Variants::new(&report.variants_csv),
        &mut tasks,
    );
    task(
        report,
        frontier::Frontier::new(&report.optimise),
        &mut tasks,
    );
    task(
        report,
        tornado::Tornado::new(&report.sensitivity),
        &mut tasks,
    );
    tasks.par_iter().map(|t| t()).collect()
}

/// The ECDF curve the ecdf chart draws for a cell: (minutes, share of the members'
/// counted cases answered within them). It levels off at the responded share.
pub fn ecdf_curve(report: &Report, key: &crate::report::rows::CellKey) -> Vec<(f64, f64)> {
    ecdf::Ecdf::curve(report, key)
}

/// Draws the coverage timeline (of a scenario, for `watchsim schedule`) into `dir` as
/// `coverage.png` and `coverage.svg`.
pub fn draw_timeline(dir: &Path, timeline: coverage::Timeline) -> Result<ChartFile> {
    register_fonts()?;
    render(dir, &coverage::CoverageChart { timeline })
}

/// Writes the chart of a variant comparison (`variants.png`/`.svg`) into `dir`, if
/// the rows hold the members' share within the decision SLA.
pub fn render_variants(
    dir: &Path,
    rows: &[crate::report::rows::VariantRow],
) -> Result<Option<ChartFile>> {
    register_fonts()?;
    variants::Variants::new(rows)
        .map(|c| render(dir, &c))
        .transpose()
}

/// Writes the optimiser's chart (`frontier.png`/`.svg`) into `dir` from the rows of
/// `optimise.csv` (for a search without an answer, whose folder has no full report).
pub fn render_frontier(
    dir: &Path,
    rows: &[crate::report::rows::OptimiseRow],
) -> Result<Option<ChartFile>> {
    register_fonts()?;
    frontier::Frontier::new(rows)
        .map(|c| render(dir, &c))
        .transpose()
}

/// Draws one chart on both backends and writes `<stem>.png` and `<stem>.svg`.
fn render<C: Chart>(dir: &Path, chart: &C) -> Result<ChartFile> {
    let meta = chart.meta();
    let (w, h) = meta.size;
    let fail = |e: String| Error::Chart {
        chart: format!("{}.png", meta.stem),
        message: e,
    };
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        chart.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(|e| fail(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| fail(e.to_string()))?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        chart.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    write_atomic(&dir.join(format!("{}.png", meta.stem)), &png)?;
    write_atomic(&dir.join(format!("{}.svg", meta.stem)), svg.as_bytes())?;
    Ok(ChartFile {
        stem: meta.stem,
        title: meta.title,
        caption: meta.caption,
        question: meta.question,
        size: meta.size,
    })
}

// ---------------------------------------------------------------------------------
// Shared style: palette, fonts, titles, legends, number formats.

/// The Okabe–Ito palette in the order used for series, with a dark wine in place of its
/// yellow.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(136, 34, 85),   // wine (Paul Tol): Okabe–Ito's yellow is too faint on white
];

/// Okabe–Ito vermillion: gaps, the SLA target.
pub(crate) const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Okabe–Ito blue: watch, overlaps.
pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Text grey.
pub(crate) const GREY: RGBColor = RGBColor(90, 90, 90);
/// Reference lines (SLA thresholds).
pub(crate) const SLA_GREY: RGBColor = RGBColor(120, 120, 120);

/// The colour of series `i` (the i-th schedule of the scenario).
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A regular text style of `size` pixels.
pub(crate) fn text(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().into()
}

/// A bold text style of `size` pixels.
pub(crate) fn bold(size: u32) -> TextStyle<'static> {
    FontDesc::new(FontFamily::SansSerif, f64::from(size), FontStyle::Bold).into()
}

/// Draws the title and subtitle at the top of `root`; returns the area below them.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let h = if subtitle.is_empty() { 52 } else { 84 };
    let (top, rest) = root.split_vertically(h);
    top.draw(&Text::new(title.to_string(), (24, 12), bold(28)))?;
    if !subtitle.is_empty() {
        top.draw(&Text::new(
            subtitle.to_string(),
            (24, 52),
            text(19).color(&GREY),
        ))?;
    }
    Ok(rest)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Mark {
    /// A line segment (series).
    Line,
    /// A series line in the style of series `i` (see [`series_line`]).
    Series(usize),
    /// A dashed line (reference lines).
    Dashed,
    /// A filled box (areas, bars, heatmap classes).
    Box,
}

/// A legend entry.
pub(crate) struct Key {
    pub label: String,
    pub colour: RGBColor,
    pub mark: Mark,
}

impl Key {
    pub(crate) fn new(label: impl Into<String>, colour: RGBColor, mark: Mark) -> Key {
        Key {
            label: label.into(),
            colour,
            mark,
        }
    }
}

/// Draws a legend as a strip at the top of `area`, wrapping to more rows if needed;
/// returns the area below it.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(19);
    let width = area.dim_in_pixel().0 as i32;
    let (row_h, x0) = (30, 24);
    let mut placed = Vec::new();
    let (mut x, mut row) = (x0, 0);
    for key in keys {
        let (tw, _) = area.estimate_text_size(&key.label, &style)?;
        let w = 40 + tw as i32 + 28;
        if x + w > width - 10 && x > x0 {
            x = x0;
            row += 1;
        }
        placed.push((x, row, key));
        x += w;
    }
    let (strip, rest) = area.split_vertically((row + 1) * row_h + 8);
    for (x, row, key) in placed {
        let y = row * row_h + 15;
        match key.mark {
            Mark::Line => strip.draw(&PathElement::new(
                vec![(x, y), (x + 32, y)],
                key.colour.stroke_width(4),
            ))?,
            Mark::Series(i) => match dash_of(i) {
                None => strip.draw(&PathElement::new(
                    vec![(x, y), (x + 32, y)],
                    key.colour.stroke_width(4),
                ))?,
                Some((on, off)) => {
                    let mut s = 0;
                    while s < 32 {
                        strip.draw(&PathElement::new(
                            vec![(x + s, y), (x + (s + on).min(32), y)],
                            key.colour.stroke_width(4),
                        ))?;
                        s += on + off;
                    }
                }
            },
            Mark::Dashed => {
                for s in [0, 12, 24] {
                    strip.draw(&PathElement::new(
                        vec![(x + s, y), (x + s + 8, y)],
                        key.colour.stroke_width(3),
                    ))?;
                }
            }
            Mark::Box => strip.draw(&Rectangle::new(
                [(x + 4, y - 9), (x + 30, y + 9)],
                key.colour.filled(),
            ))?,
        }
        strip.draw(&Text::new(
            key.label.clone(),
            (x + 40, y - 10),
            style.clone(),
        ))?;
    }
    Ok(rest)
}

/// The dash pattern of series `i` in pixels (on, off), `None` for a solid line: the
/// line style cycles with the colour, so that curves that overlap or that a reader
/// cannot tell apart by colour still differ.
pub(crate) fn dash_of(i: usize) -> Option<(i32, i32)> {
    match i % 3 {
        0 => None,
        1 => Some((14, 7)),
        _ => Some((4, 5)),
    }
}

/// Draws series `i`'s polyline in its colour and dash pattern.
pub(crate) fn series_line<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    i: usize,
    points: Vec<(X::ValueType, Y::ValueType)>,
    width: u32,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    X::ValueType: Clone + 'static,
    Y::ValueType: Clone + 'static,
{
    let style = colour(i).stroke_width(width);
    match dash_of(i) {
        None => {
            chart.draw_series(LineSeries::new(points, style))?;
        }
        Some((on, off)) => {
            chart.draw_series(DashedLineSeries::new(points, on, off, style))?;
        }
    }
    Ok(())
}

/// A vertical dashed line from `(x, y0)` to `(x, y1)` in chart coordinates.
pub(crate) fn dashes(from: (f64, f64), to: (f64, f64), steps: usize) -> Vec<Vec<(f64, f64)>> {
    (0..steps)
        .filter(|i| i % 2 == 0)
        .map(|i| {
            let t0 = i as f64 / steps as f64;
            let t1 = (i + 1) as f64 / steps as f64;
            let at = |t: f64| (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            vec![at(t0), at(t1)]
        })
        .collect()
}

/// A duration in minutes in words (`45 min`, `2 h`, `1.5 d`), for the page.
pub fn duration_words(minutes: f64) -> String {
    duration(minutes)
}

/// A duration in minutes, the way a planner says it: `45 min`, `2 h`, `1.5 d`.
pub(crate) fn duration(minutes: f64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.1}");
        s.strip_suffix(".0").map(String::from).unwrap_or(s)
    };
    if minutes < 60.0 {
        format!("{} min", trim(minutes))
    } else if minutes < 48.0 * 60.0 {
        format!("{} h", trim(minutes / 60.0))
    } else {
        format!("{} d", trim(minutes / 1440.0))
    }
}

/// `n` evenly spread picks out of `items` (all of them when there are few).
pub(crate) fn spread<T: Clone>(items: &[T], n: usize) -> Vec<T> {
    if items.len() <= n {
        return items.to_vec();
    }
    if n <= 1 {
        return items.last().cloned().into_iter().collect();
    }
    (0..n)
        .map(|i| items[i * (items.len() - 1) / (n - 1)].clone())
        .collect()
}

/// An SLA threshold in words: `within 2 h`.
pub(crate) fn sla_text(secs: f64) -> String {
    format!("within {}", duration(secs / 60.0))
}

/// Columns and rows of a grid of `n` small multiples, at most `max_cols` wide.
pub(crate) fn grid(n: usize, max_cols: usize) -> (usize, usize) {
    let cols = n.clamp(1, max_cols);
    (cols, n.div_ceil(cols).max(1))
}

/// A colour between `a` (t = 0) and `b` (t = 1).
pub(crate) fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// The viridis colour map (perceptually uniform, colour-blind safe) at t in [0, 1].
pub(crate) fn viridis(t: f64) -> RGBColor {
    const STOPS: [RGBColor; 6] = [
        RGBColor(68, 1, 84),
        RGBColor(65, 68, 135),
        RGBColor(42, 120, 142),
        RGBColor(34, 168, 132),
        RGBColor(122, 209, 81),
        RGBColor(253, 231, 37),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    mix(STOPS[i], STOPS[i + 1], t - i as f64)
}

/// Black or white, whichever reads better on `bg`.
pub(crate) fn ink(bg: RGBColor) -> RGBColor {
    let l = 0.299 * f64::from(bg.0) + 0.587 * f64::from(bg.1) + 0.114 * f64::from(bg.2);
    if l > 140.0 { BLACK } else { WHITE }
}

/// Verdict colours of the charts of differences (compare, variants): worse
/// (vermillion), no practical difference (bluish green), undecided (orange), and the
/// band of no practical difference.
pub(crate) const WORSE: RGBColor = RGBColor(213, 94, 0);
pub(crate) const SAME: RGBColor = RGBColor(0, 158, 115);
pub(crate) const UNDECIDED: RGBColor = RGBColor(230, 159, 0);
pub(crate) const BAND: RGBColor = RGBColor(225, 242, 235);

/// The chart of a panel of named rows against a horizontal scale, the first name at
/// the top (row `i` at y = n − 1 − i): caption, axes, grid and row names.
pub(crate) struct Rows<'a> {
    pub(crate) title: String,
    /// Margin around the panel, pixels.
    pub(crate) margin: u32,
    /// Width of the row names' area, pixels.
    pub(crate) names_width: u32,
    pub(crate) x: std::ops::Range<f64>,
    pub(crate) x_desc: String,
    pub(crate) names: &'a [String],
}

/// A chart of one row a name, a horizontal scale (see [`Rows`]).
pub(crate) type RowsChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Fixed>>;

impl Rows<'_> {
    /// Builds the chart on `panel` and draws its axes and grid.
    pub(crate) fn chart<'p, DB: DrawingBackend>(
        &self,
        panel: &'p DrawingArea<DB, Shift>,
    ) -> std::result::Result<RowsChart<'p, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
        let n = self.names.len();
        let mut chart = ChartBuilder::on(panel)
            .caption(&self.title, text(19))
            .margin(self.margin)
            .x_label_area_size(50)
            .y_label_area_size(self.names_width)
            .build_cartesian_2d(
                self.x.clone(),
                Fixed::new(
                    -0.5..n.max(1) as f64 - 0.5,
                    (0..n).map(|i| i as f64).collect(),
                ),
            )?;
        chart
            .configure_mesh()
            .y_label_formatter(&|y| {
                self.names
                    .get(n.saturating_sub(1 + y.round() as usize))
                    .cloned()
                    .unwrap_or_default()
            })
            .x_label_formatter(&|x| format!("{x:.1}"))
            .x_desc(&self.x_desc)
            .label_style(text(15))
            .axis_desc_style(text(16))
            .bold_line_style(RGBColor(235, 235, 235))
            .light_line_style(TRANSPARENT)
            .draw()?;
        Ok(chart)
    }
}

/// A panel of differences in points (compare, variants): one row a name, with the band
/// of ±`margin` points and the zero line drawn behind the rows.
pub(crate) fn differences<'p, DB: DrawingBackend>(
    panel: &'p DrawingArea<DB, Shift>,
    title: String,
    names: &[String],
    x: std::ops::Range<f64>,
    x_desc: &str,
    margin: f64,
) -> std::result::Result<RowsChart<'p, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = Rows {
        title,
        margin: 12,
        names_width: 200,
        x,
        x_desc: x_desc.to_string(),
        names,
    }
    .chart(panel)?;
    let n = names.len() as f64;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(-margin, -0.5), (margin, n - 0.5)],
        BAND.filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, -0.5), (0.0, n - 0.5)],
        GREY.stroke_width(1),
    )))?;
    Ok(chart)
}

/// A linear axis with exactly the given tick positions (plotters' `with_key_points`
/// loses the default number formatting of `f64` axes).
#[derive(Clone)]
pub(crate) struct Fixed {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl Fixed {
    pub(crate) fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> Fixed {
        Fixed {
            lo: range.start,
            hi: range.end,
            keys,
        }
    }
}

impl plotters::coord::ranged1d::Ranged for Fixed {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.keys.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl plotters::coord::ranged1d::ValueFormatter<f64> for Fixed {
    fn format(value: &f64) -> String {
        format!("{value}")
    }
}
