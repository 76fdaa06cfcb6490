//! The brief: findings in plain sentences, generated from the tables, and the console
//! text that leads with the decision. No sentence claims a difference whose verdict is
//! not "better".

use crate::experiment::Study;
use crate::report::decision::{
    CountDecision, Increment, Standing, count_title, hours, measure_words, ordinal, pct, pct_ci,
    points_ci,
};
use crate::report::outages::Outage;
use crate::report::rows::WarningRow;
use crate::report::summary::CellResults;
use crate::report::verdict::Verdict;
use crate::schedule::Horizon;
use crate::stats::Scope;

/// Everything the console and the page lead with.
#[derive(Debug, Clone, Default)]
pub struct Brief {
    /// The decision screen (per agency count, then what each member adds).
    pub decision: String,
    /// Per agency count, every schedule on the members' cases.
    pub details: String,
    /// The findings, 3 to 8 sentences.
    pub findings: Vec<String>,
    /// The warnings.
    pub warnings: Vec<WarningRow>,
}

impl Brief {
    /// The whole console text: decision first, findings last.
    pub fn console(&self) -> String {
        let mut out = self.decision.clone();
        out.push_str(&self.details);
        if !self.warnings.is_empty() {
            out.push_str(&format!(
                "\nWarnings ({}; every one is in warnings.csv):\n",
                self.warnings.len()
            ));
            for w in self.warnings.iter().take(8) {
                out.push_str(&format!("  ! {} — {}: {}\n", w.cell, w.kind, w.figure));
            }
            if self.warnings.len() > 8 {
                out.push_str(&format!("  … and {} more\n", self.warnings.len() - 8));
            }
        }
        out.push_str("\nFindings:\n");
        for (i, f) in self.findings.iter().enumerate() {
            out.push_str(&format!("  {}. {f}\n", i + 1));
        }
        out
    }
}

/// The increment to show for a step: the schedule recommended at the larger count.
fn step<'a>(
    increments: &'a [Increment],
    decisions: &[CountDecision],
    variant: usize,
    to: usize,
) -> Option<&'a Increment> {
    let schedule = decisions
        .iter()
        .find(|d| d.variant == variant && d.k == to)?
        .recommended()?
        .schedule
        .clone();
    increments
        .iter()
        .find(|i| i.variant == variant && i.to == to && i.schedule == schedule)
}

fn verdict_word(v: Verdict) -> &'static str {
    // Short: the console's step table has no room for "(more replications would tell)".
    match v {
        Verdict::Undecided => "undecided",
        v => crate::report::decision::change_words(v),
    }
}

/// `12.3 points below (95 % CI 11.8 to 12.9)` for a positive difference best − other.
fn below(diff: &crate::stats::ci::MeanCi) -> String {
    if diff.low.is_nan() {
        format!("{:.1} points below", 100.0 * diff.mean)
    } else {
        format!(
            "{:.1} points below (95 % CI {:.1} to {:.1})",
            100.0 * diff.mean,
            100.0 * diff.low,
            100.0 * diff.high
        )
    }
}

/// The brief of a finished study.
pub fn brief(
    study: &Study,
    cells: &[CellResults],
    decisions: &[CountDecision],
    increments: &[Increment],
    outages: &[Outage],
    warnings: Vec<WarningRow>,
) -> Brief {
    let words = measure_words(study);
    let margin = 100.0 * study.scenario.decision.margin;
    let mut d = format!(
        "\nWhich schedule to choose, judged on the members' cases (their own police's): share answered {words} of the alert, missed and open cases counting as failures; {} replications; a difference counts when it is at least {margin:.1} points and its 95 % CI says so.\n\n",
        study.replications()
    );
    d.push_str(&format!(
        "  {:<12} {:<20} {:>22} {:>7} {:>9}   {}\n",
        "agencies",
        "recommended",
        format!("{words} (95 % CI)"),
        "missed",
        "analyst-h",
        "the best cheaper option (its share, cost)"
    ));
    for c in decisions {
        let Some(r) = c.recommended() else {
            d.push_str(&format!(
                "  {:<12} (no members' cases at this count)\n",
                count_title(study, c.variant, c.k)
            ));
            continue;
        };
        // What a cheaper schedule would give up: the best of those that cost less.
        let cheaper = c
            .schedules
            .iter()
            .filter(|s| s.cost.mean < r.cost.mean && !s.share.mean.is_nan())
            .max_by(|a, b| a.share.mean.total_cmp(&b.share.mean))
            .map(|s| {
                format!(
                    "{} ({}, {} h{})",
                    s.schedule,
                    pct(s.share.mean),
                    hours(s.cost.mean),
                    match s.standing {
                        Standing::Worse => ", worse",
                        Standing::Undecided => ", undecided",
                        _ => "",
                    }
                )
            })
            .unwrap_or_else(|| "—".into());
        let title = match study.variant_label(c.variant) {
            Some(v) => format!("{} ({v})", c.k),
            None => c.k.to_string(),
        };
        let ci = if r.share.low.is_nan() {
            pct(r.share.mean)
        } else {
            format!(
                "{} ({:.1}–{:.1})",
                pct(r.share.mean),
                100.0 * r.share.low,
                100.0 * r.share.high
            )
        };
        d.push_str(&format!(
            "  {title:<12} {:<20} {ci:>22} {:>7} {:>9}   {cheaper}\n",
            r.schedule,
            pct(r.missed.mean),
            hours(r.cost.mean),
        ));
    }
    if !increments.is_empty() {
        d.push_str(&format!(
            "\nWhat each new member adds, over every case (the same incidents at both counts): change in the share answered {words}, on the schedule recommended at the larger count.\n\n"
        ));
        let mut steps: Vec<(usize, usize, usize)> = increments
            .iter()
            .map(|i| (i.variant, i.from, i.to))
            .collect();
        steps.sort_unstable();
        steps.dedup();
        for (v, from, to) in steps {
            let Some(inc) = step(increments, decisions, v, to) else {
                continue;
            };
            let title = match study.variant_label(v) {
                Some(l) => format!("{from} → {to} ({l})"),
                None => format!("{from} → {to}"),
            };
            d.push_str(&format!(
                "  {title:<10} {:<22} {:<18} {:<40} {}\n",
                format!("+{}", inc.added),
                inc.schedule,
                points_ci(&inc.share.diff),
                verdict_word(inc.share.verdict)
            ));
        }
    }

    let details = details(study, decisions);
    let mut findings = findings(study, cells, decisions, increments, outages);
    // Always-on's lead rests on a modelling choice a planner should see stated, with
    // what it is worth: where it leads other schedules and some desk keeps hours that
    // the choice overrides.
    let desk_hours = study
        .scenario
        .agencies
        .iter()
        .any(|a| matches!(a.desk, crate::scenario::Desk::Hours { .. }));
    let leads = if desk_hours && study.scenario.watch.desk_open_on_watch {
        own_hours_leads(study, cells, decisions)
    } else {
        Vec::new()
    };
    if !leads.is_empty() {
        let caveat = own_hours_caveat(study, &leads);
        d.push_str(&format!("\nNote: {caveat}\n"));
        if findings.len() < 8 {
            findings.push(caveat);
        }
    }
    if !warnings.is_empty() {
        d.push_str(&format!(
            "\n{} warning{} name cells whose numbers should not be trusted as they stand (each is in warnings.csv and listed after the tables below):\n",
            warnings.len(),
            if warnings.len() > 1 { "s" } else { "" }
        ));
        // One line per kind, in the order they first appear: what to distrust, and where.
        let mut kinds: Vec<(&str, Vec<&WarningRow>)> = Vec::new();
        for w in &warnings {
            match kinds.iter_mut().find(|(k, _)| *k == w.kind) {
                Some((_, all)) => all.push(w),
                None => kinds.push((&w.kind, vec![w])),
            }
        }
        // Whether a warning touches the answer: is any of its cells a recommended one?
        let (cell_names, recommended) =
            crate::report::warnings::cell_names(study, cells, decisions);
        for (kind, all) in kinds {
            let first = all[0];
            let more = if all.len() > 1 {
                format!(" (and {} more)", all.len() - 1)
            } else {
                String::new()
            };
            // A warning names a cell, or a desk of one ("<cell> · us desk").
            let in_cell = |w: &WarningRow, cell: &String| {
                w.cell
                    .strip_prefix(cell.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(" · "))
            };
            let about_cells = all.iter().all(|w| cell_names.iter().any(|c| in_cell(w, c)));
            let chosen = all
                .iter()
                .filter(|w| recommended.iter().any(|c| in_cell(w, c)))
                .count();
            let answer = match (about_cells, chosen) {
                (false, _) => String::new(),
                (true, 0) => " — none of these cells is recommended above".to_string(),
                (true, 1) => " — 1 of these cells is recommended above: weigh it".to_string(),
                (true, n) => format!(" — {n} of these cells are recommended above: weigh them"),
            };
            d.push_str(&format!(
                "  ! {kind} ×{}: {}: {}{more}{answer}\n",
                all.len(),
                first.cell,
                first.figure
            ));
        }
    }
    Brief {
        decision: d,
        details,
        findings,
        warnings,
    }
}

/// Per agency count, every schedule on the members' cases with its verdict against
/// the best.
fn details(study: &Study, decisions: &[CountDecision]) -> String {
    let words = measure_words(study);
    let mut out = String::from(
        "\nEvery schedule, members' cases (± is the 95 % half-width; R recommended, B best):\n",
    );
    for c in decisions {
        out.push_str(&format!(
            "\n{}\n    {:<24} {:>16} {:>16} {:>16} {:>8} {:>10}  {}\n",
            count_title(study, c.variant, c.k),
            "schedule",
            "p50 (min)",
            "p95 (min)",
            words,
            "missed",
            "analyst-h",
            "against the best"
        ));
        let best = c.best().map(|b| b.schedule.clone()).unwrap_or_default();
        for s in &c.schedules {
            let pm = |ci: &crate::stats::ci::MeanCi, scale: f64| {
                if ci.mean.is_nan() {
                    "–".to_string()
                } else if ci.low.is_nan() {
                    format!("{:.1}", ci.mean * scale)
                } else {
                    format!("{:.1} ±{:.1}", ci.mean * scale, ci.half_width() * scale)
                }
            };
            let mark = match (s.recommended, s.standing) {
                (true, Standing::Best) => "RB",
                (true, _) => "R ",
                (false, Standing::Best) => " B",
                _ => "  ",
            };
            let against = s
                .against_best
                .as_ref()
                .map(|cmp| cmp.verdict.text(&best, &s.schedule))
                .unwrap_or_default();
            // No cases: a dash, not NaN, and nothing to stand against the best.
            let missed = if s.missed.mean.is_nan() {
                "–".to_string()
            } else {
                format!("{:.1}", 100.0 * s.missed.mean)
            };
            let against = if s.share.mean.is_nan() {
                "no cases".to_string()
            } else {
                against
            };
            out.push_str(&format!(
                "  {mark}{:<24} {:>16} {:>16} {:>15}% {:>7}% {:>10}  {against}\n",
                s.schedule,
                pm(&s.p50, 1.0),
                pm(&s.p95, 1.0),
                pm(&s.share, 100.0),
                missed,
                hours(s.cost.mean),
            ));
        }
    }
    out
}

/// 3 to 8 sentences from the tables, each with its numbers and CI.
fn findings(
    study: &Study,
    cells: &[CellResults],
    decisions: &[CountDecision],
    increments: &[Increment],
    outages: &[Outage],
) -> Vec<String> {
    let words = measure_words(study);
    let mut out = Vec::new();
    // The recommendation at the first and last agency counts (of the first sweep value)
    // and wherever the recommendation changes in between.
    let first_variant: Vec<&CountDecision> = decisions.iter().filter(|d| d.variant == 0).collect();
    let mut shown: Vec<usize> = Vec::new();
    let mut last_choice: Option<String> = None;
    for (i, d) in first_variant.iter().enumerate() {
        let Some(r) = d.recommended() else { continue };
        let changed = last_choice.as_ref() != Some(&r.schedule);
        let edge = i == 0 || i + 1 == first_variant.len();
        last_choice = Some(r.schedule.clone());
        if (edge || changed) && shown.len() < 3 {
            shown.push(i);
        } else if edge && shown.len() == 3 {
            shown[2] = i;
        }
    }
    for &i in &shown {
        let d = first_variant[i];
        let Some(r) = d.recommended() else { continue };
        let mut s = format!(
            "At {}, choose {}: it answers {} of the members' cases {words} of the alert at {} analyst-hours a week",
            count_title(study, d.variant, d.k),
            r.schedule,
            pct_ci(&r.share),
            hours(r.cost.mean)
        );
        if let Some(b) = d.best().filter(|b| b.schedule != r.schedule) {
            s.push_str(&format!(
                "; {} answers {} but costs {} hours, and the difference is under the practical margin",
                b.schedule,
                pct(b.share.mean),
                hours(b.cost.mean)
            ));
        }
        let worse: Vec<String> = d
            .schedules
            .iter()
            .filter(|x| x.standing == Standing::Worse)
            .filter_map(|x| {
                let cmp = x.against_best.as_ref()?;
                Some(format!(
                    "{} ({}, {} the best)",
                    x.schedule,
                    pct(x.share.mean),
                    below(&cmp.diff)
                ))
            })
            .take(2)
            .collect();
        if !worse.is_empty() {
            s.push_str(&format!("; clearly worse: {}", worse.join(", ")));
        }
        s.push('.');
        out.push(s);
    }
    // What members add: the largest clear gain, and where gains stop mattering.
    let recommended_steps: Vec<&Increment> = first_variant
        .iter()
        .filter_map(|d| step(increments, decisions, 0, d.k))
        .collect();
    if let Some(gain) = recommended_steps
        .iter()
        .filter(|i| i.share.verdict == Verdict::ABetter)
        .max_by(|a, b| a.share.diff.mean.total_cmp(&b.share.diff.mean))
    {
        out.push(format!(
            "Admitting the {} member ({}) changes the share of all cases answered {words} on {} by {}, the largest gain of any step.",
            ordinal(gain.to),
            gain.added,
            gain.schedule,
            points_ci(&gain.share.diff)
        ));
    }
    let flat: Vec<String> = recommended_steps
        .iter()
        .filter(|i| i.share.verdict == Verdict::NoPracticalDifference)
        .map(|i| format!("{} → {}", i.from, i.to))
        .collect();
    if !flat.is_empty() {
        out.push(format!(
            "Steps that change the share of all cases answered {words} by less than the practical margin: {}.",
            flat.join(", ")
        ));
    }
    // Outages: each schedule that has the outage against the same schedule without it
    // (its twin: the same rule, no outages), over the outage's own incidents.
    let horizon = Horizon::of(&study.scenario);
    let schedules = &study.scenario.schedules;
    let twin = |s: usize| {
        let rule = format!("{:?}", schedules[s].rule);
        study
            .scenario
            .experiment
            .schedules
            .iter()
            .copied()
            .find(|&t| {
                t != s
                    && schedules[t].outages.is_empty()
                    && format!("{:?}", schedules[t].rule) == rule
            })
    };
    for o in outages.iter().take(2) {
        let member = &study.scenario.agencies[o.member].id;
        let dates = format!(
            "{} to {}",
            horizon.instant(o.from).format("%Y-%m-%d"),
            horizon.instant(o.to).format("%Y-%m-%d")
        );
        let Some(k) = study
            .scenario
            .experiment
            .agency_counts
            .iter()
            .copied()
            .filter(|&k| k > o.member)
            .max()
        else {
            continue;
        };
        let cell_of = |s: usize| {
            cells.iter().position(|c| {
                let cell = &study.cells[c.cell];
                c.variant == 0 && cell.k == k && cell.schedule == s
            })
        };
        let figures = |c: usize| {
            o.figures
                .iter()
                .find(|f| f.cell == c && f.scope == Scope::Members)
        };
        for &s in &study.scenario.experiment.schedules {
            let has = schedules[s]
                .outages
                .iter()
                .any(|x| x.agency == o.member && x.from == o.from && x.to == o.to);
            let (Some(t), true) = (twin(s), has) else {
                continue;
            };
            let (Some(cs), Some(ct)) = (cell_of(s), cell_of(t)) else {
                continue;
            };
            let (Some(fs), Some(ft), Some((diff, verdict))) =
                (figures(cs), figures(ct), o.compare(study, ct, cs))
            else {
                continue;
            };
            let effect = match verdict {
                Verdict::ABetter => {
                    format!("the outage costs {}", below(&diff).replace(" below", ""))
                }
                Verdict::BBetter => format!(
                    "the outage schedule does better by {}",
                    below(&crate::stats::ci::MeanCi {
                        mean: -diff.mean,
                        low: -diff.high,
                        high: -diff.low,
                        n: diff.n
                    })
                    .replace(" below", "")
                ),
                Verdict::NoPracticalDifference => "no practical difference".into(),
                Verdict::Undecided => "undecided (more replications would tell)".into(),
            };
            out.push(format!(
                "While {member} is out ({dates}, {k} agencies), {} answers {} of the members' cases {words} against {} for {} without the outage: {effect}.",
                schedules[s].name,
                pct(fs.within.mean),
                pct(ft.within.mean),
                schedules[t].name
            ));
        }
    }
    // Whose cases: non-members' share of all cases, which no schedule speeds up much.
    if let Some(d) = first_variant.last()
        && let Some(r) = d.recommended()
    {
        let c = &cells[r.cell];
        let all = study.scenario.incidents.classes.len();
        let (nm, every) = (
            c.pooled(Scope::NonMembers, all).n,
            c.pooled(Scope::All, all).n,
        );
        if nm > 0 && every > 0 {
            let p50 = c
                .pooled(Scope::NonMembers, all)
                .quantile(crate::stats::Metric::AlertToResponse, 0.5)
                / 3600.0;
            out.push(format!(
                "At {}, {} of all cases are non-members' (the rest of the world and countries not admitted): they go through the international channel, with a median of {p50:.1} h from alert to response on {}; schedules are therefore compared on the members' cases.",
                count_title(study, d.variant, d.k),
                pct(nm as f64 / every as f64),
                r.schedule
            ));
        }
    }
    out.truncate(8);
    out
}

/// Always-on's standing at one agency count where it is recommended over other
/// schedules, as run and had the desks kept their own hours: the members' shares within
/// the decision SLA (means over replications) of always-on and of the best other
/// schedule.
struct OwnHoursLead {
    always: f64,
    best_other: f64,
    always_own: f64,
    best_other_own: f64,
}

/// [`OwnHoursLead`] at every (sweep value, agency count) where always-on is recommended
/// over at least one other schedule.
fn own_hours_leads(
    study: &Study,
    cells: &[CellResults],
    decisions: &[CountDecision],
) -> Vec<OwnHoursLead> {
    let sla = study.scenario.decision.sla;
    // Mean over replications of the members' share had the desks kept their own hours.
    let own_share = |cell: usize| {
        let runs = &cells[cell].runs;
        runs.iter()
            .map(|r| r.stats.scope(Scope::Members).share_within_own_hours(sla))
            .sum::<f64>()
            / runs.len() as f64
    };
    let is_always = |cell: usize| {
        matches!(
            study.scenario.schedules[study.cells[cells[cell].cell].schedule].rule,
            crate::scenario::Rule::Always
        )
    };
    decisions
        .iter()
        .filter(|d| d.schedules.len() > 1)
        .filter_map(|d| {
            let r = d.recommended().filter(|r| is_always(r.cell))?;
            let others = d.schedules.iter().filter(|s| s.cell != r.cell);
            let best_other = others
                .clone()
                .map(|s| s.share.mean)
                .fold(f64::NAN, f64::max);
            let best_other_own = others.map(|s| own_share(s.cell)).fold(f64::NAN, f64::max);
            Some(OwnHoursLead {
                always: r.share.mean,
                best_other,
                always_own: own_share(r.cell),
                best_other_own,
            })
        })
        .collect()
}

/// The note on `desk_open_on_watch`, with always-on's shares and lead as run and had
/// the desks kept their own hours (ranges over the agency counts).
fn own_hours_caveat(study: &Study, leads: &[OwnHoursLead]) -> String {
    // The range over the agency counts, in whole percent or points (`+ 0.0` turns a
    // rounded −0 into 0).
    let range = |f: &dyn Fn(&OwnHoursLead) -> f64| {
        let (lo, hi) = leads
            .iter()
            .map(f)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
        let (lo, hi) = ((100.0 * lo).round() + 0.0, (100.0 * hi).round() + 0.0);
        if lo == hi {
            format!("{lo:.0}")
        } else {
            format!("{lo:.0} to {hi:.0}")
        }
    };
    let within = measure_words(study);
    format!(
        "Always-on's lead counts its members' referral desks as open all day while their agency holds the watch ([watch] desk_open_on_watch = true). Had the desks kept their own hours (the same incidents; means over replications), always-on would answer {} % of the members' cases {within} against {} % for the best other schedule: a lead of {} points instead of {}. Set desk_open_on_watch = false to compare the schedules that way, with confidence intervals.",
        range(&|l| l.always_own),
        range(&|l| l.best_other_own),
        range(&|l| l.always_own - l.best_other_own),
        range(&|l| l.always - l.best_other),
    )
}
