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
use crate::report::data::{Estimate, Report};
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
    let report = Report::load(dir)?;
    let charts = render_report(&report)?;
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
    h.push_str(
        "<nav><a href=\"#headline\">Headline</a><a href=\"#charts\">Charts</a>\
         <a href=\"#parameters\">Parameters</a><a href=\"#files\">Files</a>\
         <a href=\"#provenance\">Provenance</a></nav>\n",
    );
    headline(&mut h, report);
    chart_sections(&mut h, charts);
    parameters(&mut h, report, &run);
    files(&mut h, report);
    provenance(&mut h, &run);
    h.push_str("</body>\n</html>\n");
    h
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

fn headline(h: &mut String, r: &Report) {
    let sla = Report::sla_metric(r.headline_sla().unwrap_or(7200.0));
    let sla_words = sla.replace('_', " ");
    let _ = writeln!(
        h,
        "<h2 id=\"headline\">Headline: alert → response by schedule</h2>\n\
         <p>Per agency count{}: each schedule's median (p50) and 95th percentile (p95) of the \
         time from alert to the local police response, and the share of cases answered {}, all \
         severities. Means over {} replications with their 95 % confidence intervals. \
         <strong>★ best</strong>: highest share {} (then lowest p95).</p>",
        if r.sweep.is_some() {
            " and sweep value"
        } else {
            ""
        },
        esc(&sla_words),
        r.replications,
        esc(&sla_words)
    );
    let _ = writeln!(
        h,
        "<table>\n<tr><th>schedule</th><th class=\"n\">p50 (min)</th><th class=\"n\">p95 (min)</th>\
         <th class=\"n\">{}</th><th class=\"n\">missed</th></tr>",
        esc(&sla_words)
    );
    for v in &r.variants {
        for &k in &r.counts {
            let rows: Vec<&String> = r
                .schedules
                .iter()
                .filter(|s| r.estimate(&r.key(s, k, v), "all", &sla).is_some())
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
                "<tr class=\"group\"><th colspan=\"5\">{}</th></tr>",
                esc(&title)
            );
            let best = r.best(k, v);
            for s in rows {
                let key = r.key(s, k, v);
                let is_best = best.as_deref() == Some(s.as_str());
                let _ = writeln!(
                    h,
                    "<tr{}><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                     <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    if is_best { " class=\"best\"" } else { "" },
                    if is_best { "★ " } else { "" },
                    esc(s),
                    ci_text(r.estimate(&key, "all", "alert_to_response_p50"), 1.0, 1, ""),
                    ci_text(r.estimate(&key, "all", "alert_to_response_p95"), 1.0, 1, ""),
                    ci_text(r.estimate(&key, "all", &sla), 100.0, 1, " %"),
                    ci_text(r.estimate(&key, "all", "missed_share"), 100.0, 2, " %"),
                );
            }
        }
    }
    h.push_str("</table>\n");
}

fn chart_sections(h: &mut String, charts: &[ChartFile]) {
    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    h.push_str(
        "<p class=\"muted\">Each chart is drawn from the CSV files of this folder; click a chart \
         for the full-size PNG, or open its SVG.</p>\n",
    );
    let mut questions: Vec<u8> = charts.iter().map(|c| c.question).collect();
    questions.sort_unstable();
    questions.dedup();
    for q in questions {
        let text = QUESTIONS
            .get(usize::from(q).saturating_sub(1))
            .copied()
            .unwrap_or("");
        let _ = writeln!(h, "<h3>{q}. {}</h3>", esc(text));
        for c in charts.iter().filter(|c| c.question == q) {
            let _ = writeln!(
                h,
                "<figure id=\"{stem}\">\n<a href=\"{stem}.png\"><img src=\"{stem}.png\" \
                 width=\"{w}\" height=\"{hgt}\" alt=\"{title}\"></a>\n<figcaption><strong>{title}.</strong> \
                 {caption} <a href=\"{stem}.svg\">SVG</a> · <a href=\"{stem}.png\">PNG</a></figcaption>\n</figure>",
                stem = c.stem,
                w = c.size.0,
                hgt = c.size.1,
                title = esc(&c.title),
                caption = esc(&c.caption),
            );
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
    if run.scenario_hash.is_empty() {
        return None;
    }
    let (source, text) = match &run.scenario_file {
        Some(file) => (file.clone(), std::fs::read_to_string(file).ok()?),
        None => (
            "built-in default study".to_string(),
            crate::scenario::DEFAULT_SCENARIO.to_string(),
        ),
    };
    (crate::scenario::content_hash(&text) == run.scenario_hash).then_some((source, text))
}

fn files(h: &mut String, r: &Report) {
    h.push_str("<h2 id=\"files\">Files</h2>\n<ul>\n");
    let about = |name: &str| match name {
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
        "incidents.csv" => "one row per incident and cell (trace)",
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
