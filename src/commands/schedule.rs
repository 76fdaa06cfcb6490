//! `watchsim schedule`: who holds the watch when, printed for people, and coverage.csv.

use std::process::ExitCode;

use crate::cli::ScheduleArgs;
use crate::error::{Error, Result};
use crate::report::charts::coverage::Timeline;
use crate::report::data::Span;
use crate::report::write::{coverage_csv, report_dir};
use crate::report::write_atomic;
use crate::scenario::units::{DAY, WEEK};
use crate::scenario::{Rule, Scenario};
use crate::schedule::{self, Coverage, Horizon, Interval, IntervalKind, member_names};
use chrono_tz::Tz;

/// `watchsim schedule`.
pub fn schedule(args: &ScheduleArgs) -> Result<ExitCode> {
    let scenario = Scenario::load(&args.file)?;
    let schedules: Vec<usize> = match &args.schedule {
        None => scenario.experiment.schedules.clone(),
        Some(name) => match scenario.schedules.iter().position(|s| &s.name == name) {
            Some(i) => vec![i],
            None => {
                let names: Vec<&str> = scenario.schedules.iter().map(|s| s.name.as_str()).collect();
                return Err(Error::argument(format!(
                    "--schedule {name}: no such schedule in {}; expected one of: {}",
                    args.file.display(),
                    names.join(", ")
                )));
            }
        },
    };
    let counts = match args.agencies {
        None => scenario.experiment.agency_counts.clone(),
        Some(k) if (1..=scenario.agencies.len()).contains(&k) => vec![k],
        Some(k) => {
            return Err(Error::argument(format!(
                "--agencies {k}: the roster of {} has {} agencies; expected 1 to {}",
                args.file.display(),
                scenario.agencies.len(),
                scenario.agencies.len()
            )));
        }
    };
    let horizon = Horizon::of(&scenario);
    let mut compiled = Vec::new();
    for &s in &schedules {
        for &k in &counts {
            let spec = &scenario.schedules[s];
            let coverage = schedule::compile(&scenario, spec, k);
            print_coverage(&scenario, s, k, &coverage, &horizon)?;
            compiled.push((spec.name.as_str(), k, coverage));
        }
    }
    let cells: Vec<(&str, usize, &Coverage)> =
        compiled.iter().map(|(n, k, c)| (*n, *k, c)).collect();
    let dir = report_dir(&scenario, args.out.as_deref());
    let path = dir.join("coverage.csv");
    write_atomic(&path, &coverage_csv(&scenario, &cells))?;
    outln!("wrote {}", path.display());
    let timeline = timeline(&scenario, args, &schedules, &compiled, &horizon)?;
    let chart = crate::report::charts::draw_timeline(&dir, timeline)?;
    outln!(
        "wrote {} and .svg",
        dir.join(format!("{}.png", chart.stem)).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The coverage chart's timeline: the largest agency count asked for, over the dates
/// of --from and --to, in the zone of --tz.
fn timeline(
    scenario: &Scenario,
    args: &ScheduleArgs,
    schedules: &[usize],
    compiled: &[(&str, usize, Coverage)],
    horizon: &Horizon,
) -> Result<Timeline> {
    let k = compiled.iter().map(|c| c.1).max().unwrap_or(1);
    let day = |flag: &str, text: &Option<String>| -> Result<Option<f64>> {
        let Some(text) = text else { return Ok(None) };
        let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
            Error::argument(format!(
                "--{flag} {text}: not a date; expected YYYY-MM-DD, e.g. 2026-03-08"
            ))
        })?;
        let secs = horizon.secs(date.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
        if !(0.0..=horizon.length).contains(&secs) {
            return Err(Error::argument(format!(
                "--{flag} {text}: outside the horizon ({} to {}); expected a date within it",
                horizon.instant(0.0).format("%Y-%m-%d"),
                horizon.instant(horizon.length).format("%Y-%m-%d")
            )));
        }
        Ok(Some(secs / 3600.0))
    };
    let from = day("from", &args.from)?.unwrap_or(0.0);
    let to = day("to", &args.to)?.unwrap_or(from + 168.0);
    if to <= from {
        return Err(Error::argument(format!(
            "--to must be after --from ({} .. {})",
            args.from.as_deref().unwrap_or("the start"),
            args.to.as_deref().unwrap_or("")
        )));
    }
    let tz: Tz = match &args.tz {
        None => Tz::UTC,
        Some(z) => z.parse().map_err(|_| {
            Error::argument(format!(
                "--tz {z}: not a time zone of the IANA database; expected e.g. Europe/London or UTC"
            ))
        })?,
    };
    let spans = |c: &Coverage| -> Vec<Span> {
        c.intervals(k)
            .into_iter()
            .map(|i| Span {
                kind: i.kind,
                agency: member_names(scenario, i.members),
                start: i.start / 3600.0,
                end: i.end / 3600.0,
            })
            .collect()
    };
    let mut outages = Vec::new();
    for &s in schedules {
        for o in &scenario.schedules[s].outages {
            if o.agency < k {
                outages.push((
                    scenario.schedules[s].name.clone(),
                    scenario.agencies[o.agency].id.clone(),
                    o.from / 3600.0,
                    o.to / 3600.0,
                ));
            }
        }
    }
    Ok(Timeline {
        start: horizon.start,
        k,
        members: scenario.agencies[..k]
            .iter()
            .map(|a| a.id.clone())
            .collect(),
        schedules: compiled
            .iter()
            .filter(|c| c.1 == k)
            .map(|(name, _, c)| (name.to_string(), spans(c)))
            .collect(),
        outages,
        window: (from, to.min(horizon.length / 3600.0)),
        why: if args.from.is_some() {
            "the dates asked for".into()
        } else {
            "the first week; choose others with --from and --to".into()
        },
        tz,
    })
}

fn describe_rule(rule: &Rule) -> String {
    match rule {
        Rule::FollowTheSun { anchor, min_shift } if *min_shift > 0.0 => format!(
            "follow_the_sun, anchor {}, min_shift {}",
            format!("{anchor:?}").to_lowercase(),
            crate::scenario::units::format_duration(*min_shift)
        ),
        Rule::FollowTheSun { anchor, .. } => {
            format!("follow_the_sun, anchor {anchor:?}").to_lowercase()
        }
        Rule::RoundRobin {
            period,
            handoff_at,
            tz,
        } => format!(
            "round_robin every {}, handoff at {handoff_at} {tz}",
            crate::scenario::units::format_duration(*period)
        ),
        Rule::Blocks(b) => format!("blocks ({} blocks)", b.len()),
        Rule::HomeHours { open, close, days } => format!("home_hours {open}-{close} {days}"),
        Rule::Always => "always".into(),
    }
}

fn print_coverage(
    scenario: &Scenario,
    s: usize,
    k: usize,
    coverage: &Coverage,
    horizon: &Horizon,
) -> Result<()> {
    let spec = &scenario.schedules[s];
    outln!(
        "\n== {} ({}) · {k} agencies ==",
        spec.name,
        describe_rule(&spec.rule)
    );
    let intervals = coverage.intervals(k);
    let fmt = |t: f64| horizon.instant(t).format("%a %Y-%m-%d %H:%M").to_string();
    outln!("Who holds the watch, first week (UTC | member's local time):");
    let first_week: Vec<&Interval> = intervals
        .iter()
        .filter(|i| i.kind == IntervalKind::Watch && i.start < WEEK)
        .collect();
    for i in first_week.iter().take(60) {
        let m = i.members.trailing_zeros() as usize;
        let tz = scenario.agencies[m].tz;
        let local = |t: f64| {
            horizon
                .instant(t)
                .with_timezone(&tz)
                .format("%a %H:%M %Z")
                .to_string()
        };
        outln!(
            "  {} → {} UTC  {:<6} {} → {}",
            fmt(i.start),
            horizon.instant(i.end).format("%a %Y-%m-%d %H:%M"),
            scenario.agencies[m].id,
            local(i.start),
            local(i.end)
        );
    }
    if first_week.len() > 60 {
        outln!("  … {} more in the first week", first_week.len() - 60);
    }
    let weeks = coverage.horizon / WEEK;
    let hours: Vec<String> = (0..k)
        .map(|m| {
            format!(
                "{} {:.1}",
                scenario.agencies[m].id,
                coverage.held_secs(m) / 3600.0 / weeks
            )
        })
        .collect();
    outln!("Hours on watch per week: {}", hours.join(" · "));
    for kind in [IntervalKind::Gap, IntervalKind::Overlap] {
        let items: Vec<&Interval> = intervals.iter().filter(|i| i.kind == kind).collect();
        let total: f64 = items.iter().map(|i| i.end - i.start).sum();
        let runs = recurring_runs(&items);
        let label = if kind == IntervalKind::Gap {
            "Gaps"
        } else {
            "Overlaps"
        };
        if items.is_empty() {
            outln!("{label}: none");
            continue;
        }
        outln!(
            "{label}: {} in all, {:.1} h ({:.2} % of the horizon)",
            items.len(),
            total / 3600.0,
            100.0 * total / coverage.horizon
        );
        for run in runs.iter().take(40) {
            let first = run[0];
            let len_h = (first.end - first.start) / 3600.0;
            let who = if kind == IntervalKind::Overlap {
                format!(" {}", member_names(scenario, first.members))
            } else {
                String::new()
            };
            if run.len() == 1 {
                outln!(
                    "  {} → {} UTC{who}, {len_h:.2} h",
                    fmt(first.start),
                    fmt(first.end)
                );
            } else {
                let last = run[run.len() - 1];
                outln!(
                    "  daily {}–{} UTC{who}, {} → {} ({}×, {len_h:.2} h each)",
                    horizon.instant(first.start).format("%H:%M"),
                    horizon.instant(first.end).format("%H:%M"),
                    horizon.instant(first.start).format("%Y-%m-%d"),
                    horizon.instant(last.start).format("%Y-%m-%d"),
                    run.len()
                );
            }
        }
        if runs.len() > 40 {
            outln!(
                "  … {} more (all of them are in coverage.csv)",
                runs.len() - 40
            );
        }
    }
    Ok(())
}

/// Groups intervals that recur every day at the same time with the same length and
/// members, so that three weeks of a daily gap read as one line.
fn recurring_runs<'a>(items: &[&'a Interval]) -> Vec<Vec<&'a Interval>> {
    let mut runs: Vec<Vec<&Interval>> = Vec::new();
    'items: for &item in items {
        for run in runs.iter_mut().rev().take(8) {
            let last = run[run.len() - 1];
            if last.members == item.members
                && ((item.start - last.start) - DAY).abs() < 1.0
                && ((item.end - item.start) - (last.end - last.start)).abs() < 1.0
            {
                run.push(item);
                continue 'items;
            }
        }
        runs.push(vec![item]);
    }
    runs
}
