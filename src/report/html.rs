//! `index.html`: one self-contained page (no network, no JavaScript) that shows a
//! report folder: the scenario and its parameters, the headline table, every chart,
//! links to the CSV files, and where the numbers came from.
//!
//! Like the charts, the page is drawn from the files of the folder, so
//! `watchsim report DIR` redraws it without re-simulating.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::report::charts::{ChartFile, render_report};
use crate::report::data::{Estimate, Reading, Report};
use crate::report::rows::{UnmatchedRow, VariantRow};
use crate::report::write_atomic;

/// The questions a report answers (the README's list), by number.
const QUESTIONS: [&str; 8] = [
    "Which schedule is fastest?",
    "What does another member add?",
    "Which weeks suffer from daylight-saving misalignment?",
    "What staffing keeps urgent cases under the SLA?",
    "Do the shifts meet the offenders' peak hours?",
    "Which stage causes the delay?",
    "What if one member is out for a week?",
    "Is the burden fair?",
];

/// Redraws every chart of the report folder `dir` and its `index.html`; returns the
/// page's path.
pub fn write_report(dir: &Path) -> Result<PathBuf> {
    write_report_with(dir, None)
}

/// [`write_report`] for a folder this process has just written, of a study whose
/// largest agency count is `largest_count`: only the rows drawn are read back.
pub fn write_fresh_report(dir: &Path, largest_count: usize) -> Result<PathBuf> {
    draw_report(dir, Reading::Fresh { largest_count }, None)
}

/// Like [`write_report`], with the sweep value the single-value charts show.
pub fn write_report_with(dir: &Path, sweep_value: Option<&str>) -> Result<PathBuf> {
    draw_report(dir, Reading::Every, sweep_value)
}

fn draw_report(dir: &Path, reading: Reading, sweep_value: Option<&str>) -> Result<PathBuf> {
    let mut report = Report::read(dir, reading)?;
    if let Some(v) = sweep_value {
        report.choose_variant(v)?;
    }
    let charts = render_report(&report)?;
    // Charts of an earlier run that this one does not draw (a second schedule's
    // comparison, a sweep) go: the folder holds this run's charts only.
    for stem in crate::report::charts::STEMS {
        if !charts.iter().any(|c| c.stem == stem) {
            for ext in ["png", "svg"] {
                let _ = std::fs::remove_file(dir.join(format!("{stem}.{ext}")));
            }
        }
    }
    let path = dir.join("index.html");
    write_atomic(&path, page(&report, &charts).as_bytes())?;
    Ok(path)
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; margin: 0 auto; max-width: 1560px;
       padding: 1.5em 2em 4em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; }
h2 { margin-top: 2.2em; border-bottom: 2px solid #0072b2; padding-bottom: 0.2em; }
h3 { margin-top: 1.6em; }
.lead { font-size: 1.15em; color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group th { background: #eef4f9; border-top: 2px solid #0072b2; }
tr.best td { font-weight: bold; background: #e8f5ee; }
figure { margin: 1.2em 0 2.4em; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; margin-top: 0.4em; max-width: 70em; }
code, pre { font-family: 'DejaVu Sans Mono', monospace; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.muted { color: #666; }
nav a { margin-right: 1em; }
ol.findings li { margin-bottom: 0.5em; }
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav, .muted a { display: none; }
  h2, h3 { break-after: avoid; }
  figure, table, tr, ol.findings li { break-inside: avoid; }
  figure img { max-width: 100%; height: auto; border: none; }
  a { color: inherit; text-decoration: none; }
}
";

/// The whole page.
pub fn page(report: &Report, charts: &[ChartFile]) -> String {
    let run = report.run.clone().unwrap_or_default();
    let name = if run.scenario.is_empty() {
        report
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        run.scenario.clone()
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>watchsim · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&name)
    );
    let _ = writeln!(h, "<h1>watchsim report: {}</h1>", esc(&name));
    if !run.description.is_empty() {
        let _ = writeln!(h, "<p class=\"lead\">{}</p>", esc(&run.description));
    }
    let what_if = !report.variants_csv.is_empty() || !report.unmatched.is_empty();
    h.push_str(if what_if {
        "<nav><a href=\"#findings\">Findings</a><a href=\"#what-if\">What if</a><a href=\"#decision\">Decision</a>"
    } else {
        "<nav><a href=\"#findings\">Findings</a><a href=\"#decision\">Decision</a>"
    });
    if !report.optimise.is_empty() {
        h.push_str("<a href=\"#optimise\">Cheapest staffing</a>");
    }
    if !report.sensitivity.is_empty() {
        h.push_str("<a href=\"#sensitivity\">Which estimates matter</a>");
    }
    h.push_str(
        "\
         <a href=\"#warnings\">Warnings</a><a href=\"#charts\">Charts</a>\
         <a href=\"#q7\">Outages</a><a href=\"#parameters\">Parameters</a>\
         <a href=\"#files\">Files</a><a href=\"#provenance\">Provenance</a></nav>\n",
    );
    optimised(&mut h, report, charts);
    findings(&mut h, report);
    if what_if {
        h.push_str("<h2 id=\"what-if\">What if</h2>\n");
        variants_body(&mut h, &report.variants_csv, &report.unmatched);
        // The variants chart answers no numbered question: it belongs here.
        for c in charts.iter().filter(|c| c.stem == "variants") {
            figure(&mut h, c);
        }
    }
    decision(&mut h, report);
    sensitivity(&mut h, report, charts);
    warnings(&mut h, report);
    headline(&mut h, report);
    chart_sections(&mut h, report, charts);
    parameters(&mut h, report, &run);
    files(&mut h, report);
    provenance(&mut h, &run);
    h.push_str("</body>\n</html>\n");
    h
}

/// `[[sensitivity]]`: the robust-decision table and the tornado chart.
fn sensitivity(h: &mut String, r: &Report, charts: &[ChartFile]) {
    if r.sensitivity.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"sensitivity\">Which estimates matter</h2>\n");
    h.push_str(
        "<p>Each estimate below was run at a low and a high value with the base's seed and \
         replications (common random numbers). The table says, per agency count, whether the \
         recommended schedule stays the same at both ends of every range.</p>\n<ul>\n",
    );
    for line in crate::report::sensitivity::robustness(&r.sensitivity) {
        let _ = writeln!(h, "<li>{}</li>", esc(&line));
    }
    h.push_str("</ul>\n<table>\n<tr><th>agencies</th><th>estimate</th><th>end</th><th>value</th>\
        <th class=\"n\">share</th><th class=\"n\">change from base (95 % CI)</th><th>recommended</th></tr>\n");
    let mut counts: Vec<usize> = r.sensitivity.iter().map(|s| s.agencies).collect();
    counts.dedup();
    for k in counts {
        let (base, pairs) = crate::report::sensitivity::by_swing(&r.sensitivity, k);
        let Some(base) = base else { continue };
        let _ = writeln!(
            h,
            "<tr class=\"group\"><th>{k}</th><th colspan=\"3\">base: {}</th><th class=\"n\">{:.1} %</th><th></th><th>{}</th></tr>",
            esc(&base.schedule),
            100.0 * base.mean.value,
            esc(&base.recommended)
        );
        for row in pairs.iter().flat_map(|p| p.iter()) {
            let _ = writeln!(
                h,
                "<tr{}><td></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.1} %</td>\
                 <td class=\"n\">{:+.1} ({:+.1} to {:+.1}) points</td><td>{}</td></tr>",
                if row.decision_holds {
                    ""
                } else {
                    " class=\"best\""
                },
                esc(&row.estimate),
                esc(&row.end),
                esc(&row.value),
                100.0 * row.mean.value,
                100.0 * row.change.value,
                100.0 * row.change_ci95_low.value,
                100.0 * row.change_ci95_high.value,
                esc(&row.recommended)
            );
        }
    }
    h.push_str("</table>\n");
    for c in charts.iter().filter(|c| c.stem == "tornado") {
        figure(h, c);
    }
}

/// `watchsim optimise`: the answer in a sentence, each target's estimate, the cheaper
/// staffings rejected, and the frontier chart.
fn optimised(h: &mut String, r: &Report, charts: &[ChartFile]) {
    if r.optimise.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"optimise\">The cheapest staffing that meets the targets</h2>\n");
    let show = crate::report::optimise::value_words;
    let chosen: Vec<_> = r.optimise.iter().filter(|o| o.chosen).collect();
    match chosen.first() {
        Some(c) => {
            let _ = writeln!(
                h,
                "<p class=\"lead\">At {} agencies, <strong>{}</strong> on <strong>{}</strong> is the \
                 cheapest staffing the search found that meets every target: {:.0} analyst-hours on \
                 watch per week{}. It was confirmed on {} fresh replications (seed {}); the rest of \
                 this page is the report of that confirmation run.</p>",
                c.agencies,
                esc(&c.staffing),
                esc(&c.schedule),
                c.analyst_hours_per_week.value,
                if (c.cost_per_week.value - c.analyst_hours_per_week.value).abs() > 0.005 {
                    format!(" (weighted cost {:.0})", c.cost_per_week.value)
                } else {
                    String::new()
                },
                c.replications,
                c.seed
            );
            h.push_str("<table>\n<tr><th>target</th><th class=\"n\">estimate</th><th class=\"n\">95 % CI</th><th>holds</th></tr>\n");
            for t in &chosen {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} – {}</td><td>{}</td></tr>",
                    esc(&t.target),
                    show(t, t.estimate.value),
                    show(t, t.ci95_low.value),
                    show(t, t.ci95_high.value),
                    if t.holds { "yes" } else { "no" }
                );
            }
            h.push_str("</table>\n");
            let rejected = crate::report::optimise::rejected_cheaper(&r.optimise);
            if rejected.is_empty() {
                h.push_str("<p>No cheaper staffing was tried and rejected.</p>\n");
            } else {
                h.push_str("<p>Cheaper staffings the search tried and rejected, and why:</p>\n<table>\n\
                    <tr><th>staffing</th><th>schedule</th><th class=\"n\">analyst-hours/week</th>\
                    <th class=\"n\">replications</th><th>target missed</th><th class=\"n\">cautious end</th><th class=\"n\">bound</th></tr>\n");
                for o in rejected.iter().take(5) {
                    let end = if o.bound_kind == "at_least" {
                        o.ci95_low.value
                    } else {
                        o.ci95_high.value
                    };
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td>{}</td><td class=\"n\">{:.0}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        esc(&o.staffing),
                        esc(&o.schedule),
                        o.analyst_hours_per_week.value,
                        o.replications,
                        esc(&o.target),
                        show(o, end),
                        show(o, o.bound.value)
                    );
                }
                h.push_str("</table>\n");
            }
        }
        None => {
            h.push_str("<p class=\"lead\">No staffing within the bounds met every target.</p>\n");
        }
    }
    let evaluations = r.optimise.iter().map(|o| o.evaluation).max().unwrap_or(0);
    let _ = writeln!(
        h,
        "<p class=\"muted\">{evaluations} evaluations. The search adds, one at a time, the analyst \
         that closes the most of the targets' gap per unit of cost until every target holds at the \
         cautious end of its 95 % confidence interval, then removes analysts while they still hold; \
         every candidate runs the same incidents (common random numbers). It is a heuristic: the \
         answer cannot lose an analyst without failing a target, but a cheaper staffing elsewhere \
         is not ruled out. Every candidate is in <a href=\"optimise.csv\">optimise.csv</a>.</p>"
    );
    for c in charts.iter().filter(|c| c.stem == "frontier") {
        figure(h, c);
    }
}

fn ci_text(e: Option<Estimate>, scale: f64, decimals: usize, unit: &str) -> String {
    match e {
        None => "–".into(),
        Some(e) if e.mean.is_nan() => "–".into(),
        Some(e) if e.half_width().is_nan() => format!("{:.*}{unit}", decimals, e.mean * scale),
        Some(e) => format!(
            "{:.*} ± {:.*}{unit}",
            decimals,
            e.mean * scale,
            decimals,
            e.half_width() * scale
        ),
    }
}

fn findings(h: &mut String, r: &Report) {
    if r.findings.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"findings\">Findings</h2>\n<ol class=\"findings\">\n");
    for f in &r.findings {
        let _ = writeln!(h, "<li>{}</li>", esc(f));
    }
    h.push_str("</ol>\n");
}

/// `61.2 % (60.1–62.3)`.
fn share_ci(mean: f64, low: f64, high: f64) -> String {
    if mean.is_nan() {
        "–".into()
    } else if low.is_nan() {
        format!("{:.1} %", 100.0 * mean)
    } else {
        format!(
            "{:.1} % ({:.1}–{:.1})",
            100.0 * mean,
            100.0 * low,
            100.0 * high
        )
    }
}

fn decision(h: &mut String, r: &Report) {
    if r.decision.is_empty() {
        return;
    }
    let sla = Report::sla_metric(r.headline_sla().unwrap_or(7200.0)).replace('_', " ");
    let _ = writeln!(
        h,
        "<h2 id=\"decision\">Which schedule to choose</h2>\n\
         <p>Judged on the <strong>members' cases</strong> (incidents whose country is an admitted \
         member at that agency count, handed to its own police): the share of counted cases \
         answered {} of the alert, missed and still-open cases counting as failures, with its \
         95 % confidence interval over {} replications. The <strong>recommended</strong> schedule \
         is the cheapest (analyst-hours on watch per week) of those not worse than the best: no \
         practical difference means the paired confidence interval lies within the practical \
         margin.</p>",
        esc(&sla),
        r.replications
    );
    let _ = writeln!(
        h,
        "<table>\n<tr><th>agencies</th><th>recommended</th><th class=\"n\">{} (95 % CI)</th>\
         <th class=\"n\">missed</th><th class=\"n\">analyst-h/week</th><th>the best if not recommended</th>\
         <th>the best cheaper option (share, cost)</th></tr>",
        esc(&sla)
    );
    for v in &r.variants {
        for &k in &r.counts {
            let at: Vec<&crate::report::rows::DecisionRow> = r
                .decision
                .iter()
                .filter(|d| d.key.agencies == k && d.key.variant() == v)
                .collect();
            let title = if v.is_empty() {
                k.to_string()
            } else {
                format!("{k} ({})", r.variant_label(v))
            };
            let Some(rec) = at.iter().find(|d| d.standing.contains("recommended")) else {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td colspan=\"6\" class=\"muted\">no members' cases at this count</td></tr>",
                    esc(&title)
                );
                continue;
            };
            let best = at
                .iter()
                .find(|d| d.standing.starts_with("best") && d.key.schedule != rec.key.schedule)
                .map(|b| {
                    format!(
                        "{} ({:.1} %, {:.0} h)",
                        b.key.schedule,
                        100.0 * b.share.value,
                        b.cost_hours_per_week.value
                    )
                })
                .unwrap_or_else(|| "—".into());
            // What a cheaper schedule would give up: the best of those that cost less.
            let cheaper = at
                .iter()
                .filter(|d| {
                    d.cost_hours_per_week.value < rec.cost_hours_per_week.value
                        && !d.share.value.is_nan()
                })
                .max_by(|a, b| a.share.value.total_cmp(&b.share.value))
                .map(|c| {
                    format!(
                        "{} ({:.1} %, {:.0} h, {})",
                        c.key.schedule,
                        100.0 * c.share.value,
                        c.cost_hours_per_week.value,
                        c.standing
                    )
                })
                .unwrap_or_else(|| "—".into());
            let _ = writeln!(
                h,
                "<tr class=\"best\"><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1} %</td>\
                 <td class=\"n\">{:.0}</td><td>{}</td><td>{}</td></tr>",
                esc(&title),
                esc(&rec.key.schedule),
                share_ci(rec.share.value, rec.share_low.value, rec.share_high.value),
                100.0 * rec.missed_share.value,
                rec.cost_hours_per_week.value,
                esc(&best),
                esc(&cheaper)
            );
        }
    }
    h.push_str("</table>\n");
    if !r.increments.is_empty() {
        let _ = writeln!(
            h,
            "<h3>What each new member adds</h3>\n<p>Over every case (the same incidents at both \
             counts): the change in the share answered {} when the next member is admitted, on \
             the schedule recommended at the larger count, with its paired 95 % CI. Every schedule \
             is in <a href=\"increments.csv\">increments.csv</a>.</p>\n<table>\n<tr><th>step</th>\
             <th>admitted</th><th>schedule</th><th class=\"n\">change (points)</th><th>verdict</th></tr>",
            esc(&sla)
        );
        let metric = Report::sla_metric(r.headline_sla().unwrap_or(7200.0));
        for inc in r.increments.iter().filter(|i| i.metric == metric) {
            let recommended = r.recommended(inc.key.agencies, inc.key.variant());
            if recommended.as_deref() != Some(inc.key.schedule.as_str()) {
                continue;
            }
            let _ = writeln!(
                h,
                "<tr><td>{} → {}</td><td>{}</td><td>{}</td><td class=\"n\">{:+.1} ({:+.1} to {:+.1})</td><td>{}</td></tr>",
                inc.from_agencies,
                inc.key.agencies,
                esc(&inc.added),
                esc(&inc.key.schedule),
                100.0 * inc.change.value,
                100.0 * inc.ci95_low.value,
                100.0 * inc.ci95_high.value,
                esc(&inc.verdict)
            );
        }
        h.push_str("</table>\n");
    }
}

fn warnings(h: &mut String, r: &Report) {
    h.push_str("<h2 id=\"warnings\">Warnings</h2>\n");
    if r.warnings.is_empty() {
        h.push_str("<p>None: no overloaded desk, no micro-shifts, no stage left at zero that cases take, no median that jumps between replications, and every comparison above is decided.</p>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p>{} cell{} whose numbers should not be trusted as they stand (all in \
         <a href=\"warnings.csv\">warnings.csv</a>):</p>\n<table>\n<tr><th>where</th><th>what</th><th>figure</th><th>what to do</th></tr>",
        r.warnings.len(),
        if r.warnings.len() > 1 { "s" } else { "" }
    );
    for w in &r.warnings {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&w.cell),
            esc(&w.kind.replace('_', " ")),
            esc(&w.figure),
            esc(&w.advice)
        );
    }
    h.push_str("</table>\n");
}

fn headline(h: &mut String, r: &Report) {
    let sla = Report::sla_metric(r.headline_sla().unwrap_or(7200.0));
    let sla_words = sla.replace('_', " ");
    let _ = writeln!(
        h,
        "<details>\n<summary><strong>Every schedule at every agency count</strong> (members' cases: \
         median, 95th percentile, share answered {}, missed share, cost, and the verdict against the \
         best)</summary>",
        esc(&sla_words)
    );
    let _ = writeln!(
        h,
        "<table>\n<tr><th>schedule</th><th class=\"n\">p50 (min)</th><th class=\"n\">p95 (min)</th>\
         <th class=\"n\">{}</th><th class=\"n\">missed</th><th class=\"n\">analyst-h/week</th><th>against the best</th></tr>",
        esc(&sla_words)
    );
    for v in &r.variants {
        for &k in &r.counts {
            let rows: Vec<&String> = r
                .schedules
                .iter()
                .filter(|s| {
                    r.estimate(&r.key(s, k, v), "members", "all", &sla)
                        .is_some()
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let title = if v.is_empty() {
                format!("{k} agencies")
            } else {
                format!("{k} agencies, {}", r.variant_label(v))
            };
            let _ = writeln!(
                h,
                "<tr class=\"group\"><th colspan=\"7\">{}</th></tr>",
                esc(&title)
            );
            let recommended = r.recommended(k, v);
            for s in rows {
                let key = r.key(s, k, v);
                let is_rec = recommended.as_deref() == Some(s.as_str());
                let d = r.decision.iter().find(|d| d.key == key);
                let _ = writeln!(
                    h,
                    "<tr{}><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                     <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    if is_rec { " class=\"best\"" } else { "" },
                    if is_rec { "✔ " } else { "" },
                    esc(s),
                    ci_text(
                        r.estimate(&key, "members", "all", "alert_to_response_p50"),
                        1.0,
                        1,
                        ""
                    ),
                    ci_text(
                        r.estimate(&key, "members", "all", "alert_to_response_p95"),
                        1.0,
                        1,
                        ""
                    ),
                    ci_text(r.estimate(&key, "members", "all", &sla), 100.0, 1, " %"),
                    ci_text(
                        r.estimate(&key, "members", "all", "missed_share"),
                        100.0,
                        2,
                        " %"
                    ),
                    d.map_or("–".into(), |d| format!(
                        "{:.0}",
                        d.cost_hours_per_week.value
                    )),
                    esc(&d.map(|d| d.against_best.clone()).unwrap_or_default()),
                );
            }
        }
    }
    h.push_str("</table>\n</details>\n");
}

fn outages(h: &mut String, r: &Report) {
    if r.outages.is_empty() {
        return;
    }
    h.push_str("<div id=\"outages\"></div>\n");
    let sla = Report::sla_metric(r.headline_sla().unwrap_or(7200.0)).replace('_', " ");
    let _ = writeln!(
        h,
        "<p>Every schedule over the incidents signalled during each outage (the same incidents \
         for every schedule), members' cases, with 95 % CIs. All rows, also over every case, are in \
         <a href=\"outages.csv\">outages.csv</a>.</p>\n<table>\n<tr><th>outage</th><th>schedule</th>\
         <th class=\"n\">agencies</th><th class=\"n\">cases</th><th class=\"n\">missed</th>\
         <th class=\"n\">{}</th><th class=\"n\">mean alert → response (min)</th></tr>",
        esc(&sla)
    );
    let k = r.focus_k();
    for o in r
        .outages
        .iter()
        .filter(|o| o.scope == "members" && o.key.agencies == k)
    {
        let _ = writeln!(
            h,
            "<tr><td>{} out, {} to {}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.0}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
            esc(&o.member),
            esc(&o.outage_from[..10.min(o.outage_from.len())]),
            esc(&o.outage_to[..10.min(o.outage_to.len())]),
            esc(&o.key.schedule),
            o.key.agencies,
            o.n.value,
            share_ci(
                o.missed_share.value,
                o.missed_low.value,
                o.missed_high.value
            ),
            share_ci(o.within.value, o.within_low.value, o.within_high.value),
            o.alert_to_response_mean.value
        );
    }
    h.push_str("</table>\n");
}

/// Why a study has no chart for a question, and how to ask it.
fn not_asked(q: u8) -> &'static str {
    match q {
        2 => {
            "This study runs one agency count: list several in [experiment] agencies to see what each member adds."
        }
        4 => {
            "This study has no staffing sweep: add a [sweep] of watch_staff to find the staffing that meets the target."
        }
        7 => {
            "This study has no dated outages: add outages to a schedule to ask what happens while a member is out."
        }
        _ => "Nothing to show for this study.",
    }
}

/// One chart as a figure with its caption and links.
fn figure(h: &mut String, c: &ChartFile) {
    // Titles are questions or statements: no full stop after a question mark.
    let title = if c.title.ends_with(['?', '.', '!']) {
        esc(&c.title)
    } else {
        format!("{}.", esc(&c.title))
    };
    let _ = writeln!(
        h,
        "<figure id=\"{stem}\">\n<a href=\"{stem}.png\"><img src=\"{stem}.png\" \
         width=\"{w}\" height=\"{hgt}\" alt=\"{alt}\"></a>\n<figcaption><strong>{title}</strong> \
         {caption} <a href=\"{stem}.svg\">SVG</a> · <a href=\"{stem}.png\">PNG</a></figcaption>\n</figure>",
        stem = c.stem,
        w = c.size.0,
        hgt = c.size.1,
        alt = esc(&c.title),
        caption = esc(&c.caption),
    );
}

fn chart_sections(h: &mut String, r: &Report, charts: &[ChartFile]) {
    h.push_str("<h2 id=\"charts\">The questions, chart by chart</h2>\n");
    h.push_str(
        "<p class=\"muted\">Each chart is drawn from the CSV files of this folder; click a chart \
         for the full-size PNG, or open its SVG.</p>\n",
    );
    for (i, text) in QUESTIONS.iter().enumerate() {
        let q = i as u8 + 1;
        let _ = writeln!(h, "<h3 id=\"q{q}\">{q}. {}</h3>", esc(text));
        let mine: Vec<&ChartFile> = charts.iter().filter(|c| c.question == q).collect();
        if mine.is_empty() {
            let _ = writeln!(h, "<p class=\"muted\">{}</p>", esc(not_asked(q)));
        }
        for c in mine {
            figure(h, c);
        }
        if q == 7 {
            outages(h, r);
        }
    }
}

fn parameters(h: &mut String, r: &Report, run: &crate::report::data::RunRecord) {
    h.push_str("<h2 id=\"parameters\">Parameters</h2>\n<table>\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    };
    row("schedules", r.schedules.join(", "));
    row(
        "agency counts",
        r.counts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(sweep) = &r.sweep {
        row(&format!("sweep: {sweep}"), r.variants.join(", "));
    }
    let classes: Vec<&str> = r
        .severities
        .iter()
        .filter(|s| s.as_str() != "all")
        .map(String::as_str)
        .collect();
    row("severity classes (priority order)", classes.join(", "));
    row(
        "SLA thresholds",
        r.slas
            .iter()
            .map(|&s| Report::sla_metric(s).replace('_', " "))
            .collect::<Vec<_>>()
            .join(", "),
    );
    row("replications per cell", r.replications.to_string());
    if run.seed != 0 || !run.scenario_hash.is_empty() {
        row("seed", run.seed.to_string());
    }
    h.push_str("</table>\n");
    if let Some((source, text)) = scenario_text(run) {
        let _ = writeln!(
            h,
            "<details><summary>The scenario file ({}) — every parameter</summary>\n<pre>{}</pre>\n</details>",
            esc(&source),
            esc(&text)
        );
    }
}

/// The scenario's text, if it can still be found and its hash matches the run's.
fn scenario_text(run: &crate::report::data::RunRecord) -> Option<(String, String)> {
    crate::report::data::scenario_text(run)
}

fn files(h: &mut String, r: &Report) {
    h.push_str("<h2 id=\"files\">Files</h2>\n<ul>\n");
    let about = |name: &str| match name {
        "decision.csv" => {
            "every schedule at every agency count judged on the members' cases: share, cost, standing"
        }
        "increments.csv" => "what each new member adds, per schedule, with paired CIs",
        "findings.csv" => "the findings above, one a row",
        "warnings.csv" => "cells whose numbers should not be trusted as they stand, and what to do",
        "outages.csv" => "every schedule over the incidents of each dated outage",
        "summary.csv" => {
            "every metric per schedule, agency count and severity, with CIs and quantiles"
        }
        "compare.csv" => "paired differences between schedules, with CIs",
        "distribution.csv" => "alert → response quantiles (for ECDFs)",
        "weekly.csv" => "missed share and delays by week of the horizon",
        "desks.csv" => "watch hours, night hours, utilisation and case share per member",
        "load.csv" => "triage starts per day by member and UTC hour",
        "coverage.csv" => "the compiled schedules: watch, gaps and overlaps in UTC",
        "runs.csv" => "one row per replication",
        "variants.csv" => {
            "each variant against the base: paired differences per cell, scope and severity, with CIs and verdicts"
        }
        "unmatched.csv" => "cells that only the base or only a variant has (no paired difference)",
        "incidents.csv" => "one row per incident and cell (trace)",
        "optimise.csv" => {
            "every staffing the optimiser evaluated: cost, each target's estimate with its CI, feasible or not"
        }
        "sensitivity.csv" => {
            "each estimate at the low and high end of its range: the decision measure, its change from the base, the recommendation"
        }
        _ => "",
    };
    for f in &r.files {
        let _ = writeln!(h, "<li><a href=\"{f}\">{f}</a> — {}</li>", esc(about(f)));
    }
    if r.run.is_some() {
        h.push_str("<li><a href=\"run.json\">run.json</a> — provenance</li>\n");
    }
    h.push_str("</ul>\n");
}

fn provenance(h: &mut String, run: &crate::report::data::RunRecord) {
    h.push_str("<h2 id=\"provenance\">Provenance</h2>\n<table>\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            esc(k),
            esc(v)
        );
    };
    row("watchsim version", &run.watchsim);
    row("scenario", &run.scenario);
    row(
        "scenario file",
        run.scenario_file
            .as_deref()
            .unwrap_or("(built-in default study)"),
    );
    row("scenario hash", &run.scenario_hash);
    row("seed", &run.seed.to_string());
    row("replications", &run.replications.to_string());
    row(
        "random numbers",
        if run.independent_streams {
            "independent streams per schedule"
        } else {
            "common random numbers across schedules and agency counts"
        },
    );
    row("command line", &run.command);
    h.push_str("</table>\n");
    h.push_str(
        "<p class=\"muted\">Redraw this page and its charts from the CSV files with \
         <code>watchsim report &lt;this folder&gt;</code>.</p>\n",
    );
}

/// The findings, the unmatched cells and the table of a variant comparison.
fn variants_body(h: &mut String, rows: &[VariantRow], unmatched: &[UnmatchedRow]) {
    let findings = crate::report::variants::findings(rows);
    if !findings.is_empty() {
        h.push_str("<ol class=\"findings\">\n");
        for f in &findings {
            let _ = writeln!(h, "<li>{}</li>", esc(f));
        }
        h.push_str("</ol>\n");
    }
    h.push_str(
        "<p class=\"muted\">Differences are variant − base, paired replication by replication over \
         the same incidents (common random numbers), with 95 % CIs; a difference is called better \
         or worse only when its CI excludes zero and the estimate reaches the practical margin.</p>\n",
    );
    if !unmatched.is_empty() {
        h.push_str(
            "<h3>Cells present on one side only</h3>\n<p>These have no partner on the other side, \
             so no paired difference (see <a href=\"unmatched.csv\">unmatched.csv</a>):</p>\n<ul>\n",
        );
        for u in unmatched.iter().filter(|u| u.severity == "all") {
            let sweep = if u.sweep.is_empty() {
                String::new()
            } else {
                format!(", {}", u.sweep)
            };
            let _ = writeln!(
                h,
                "<li>{} at {} agencies{sweep}: only in {}</li>",
                esc(&u.schedule),
                u.agencies,
                esc(&u.only_in)
            );
        }
        h.push_str("</ul>\n");
    }
    let table: Vec<&VariantRow> = rows
        .iter()
        .filter(|r| r.severity == "all" && r.scope == "members")
        .collect();
    if table.is_empty() {
        return;
    }
    h.push_str(
        "<h3>Members' cases, every severity</h3>\n<table>\n<tr><th>variant</th><th>schedule</th>\
         <th class=\"n\">agencies</th><th>measure</th><th class=\"n\">base</th><th class=\"n\">variant</th>\
         <th class=\"n\">difference (95 % CI)</th><th>verdict</th></tr>\n",
    );
    for r in table {
        let (scale, unit, du) = if r.unit == "minutes" {
            (1.0, " min", " min")
        } else {
            (100.0, " %", " pts")
        };
        let ci = if r.ci95_low.value.is_nan() {
            String::new()
        } else {
            format!(
                " ({:+.1} to {:+.1})",
                scale * r.ci95_low.value,
                scale * r.ci95_high.value
            )
        };
        let sweep = if r.sweep.is_empty() {
            String::new()
        } else {
            format!(" · {}", r.sweep)
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}{}</td><td>{}</td><td class=\"n\">{:.1}{unit}</td>\
             <td class=\"n\">{:.1}{unit}</td><td class=\"n\">{:+.1}{du}{ci}</td><td>{}</td></tr>",
            esc(&r.variant),
            esc(&r.schedule),
            r.agencies,
            esc(&sweep),
            esc(&r.measure.replace('_', " ")),
            scale * r.mean_a.value,
            scale * r.mean_b.value,
            scale * r.diff.value,
            esc(&r.verdict)
        );
    }
    h.push_str("</table>\n");
}

/// Redraws the chart and `index.html` of a `watchsim compare` folder from its
/// `variants.csv` and `unmatched.csv`; returns the page's path.
pub fn write_variants_report(dir: &Path) -> Result<PathBuf> {
    use crate::report::rows::read_rows;
    let rows = read_rows::<VariantRow, _>(dir, "variants.csv", VariantRow::COLUMNS)?
        .map_or_else(Vec::new, |r| r.rows);
    let unmatched = read_rows::<UnmatchedRow, _>(dir, "unmatched.csv", UnmatchedRow::COLUMNS)?
        .map_or_else(Vec::new, |r| r.rows);
    let chart = crate::report::charts::render_variants(dir, &rows)?;
    let (base, variant) = rows
        .first()
        .map(|r| (r.base.clone(), r.variant.clone()))
        .or_else(|| {
            unmatched
                .first()
                .map(|u| (u.base.clone(), u.variant.clone()))
        })
        .unwrap_or_default();
    let title = format!("{variant} against {base}");
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>watchsim · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(h, "<h1>watchsim compare: {}</h1>", esc(&title));
    h.push_str("<h2 id=\"findings\">Findings</h2>\n");
    variants_body(&mut h, &rows, &unmatched);
    if let Some(c) = chart {
        figure(&mut h, &c);
    }
    h.push_str(
        "<h2 id=\"files\">Files</h2>\n<ul>\n<li><a href=\"variants.csv\">variants.csv</a> — paired \
         differences B − A per cell, scope, severity and measure, with paired and unpaired 95 % CIs and \
         verdicts</li>\n<li><a href=\"unmatched.csv\">unmatched.csv</a> — cells present on one side only</li>\n</ul>\n",
    );
    h.push_str("</body>\n</html>\n");
    let path = dir.join("index.html");
    write_atomic(&path, h.as_bytes())?;
    Ok(path)
}
