//! Warnings: cells (or the scenario) whose numbers a planner should not trust as they
//! stand, each with the figure behind it and what to do about it.

use crate::experiment::Study;
use crate::report::decision::{CountDecision, Standing, count_title, pct};
use crate::report::rows::WarningRow;
use crate::report::summary::CellResults;
use crate::report::verdict::replications_to_decide;
use crate::scenario::Rule;
use crate::scenario::units::{DAY, Dist, HOUR};
use crate::schedule::IntervalKind;
use crate::stats::Scope;
use crate::stats::ci::mean_ci;

/// A desk this busy is overloaded: queues grow and cases stay open.
pub const UTILISATION_LIMIT: f64 = 0.95;
/// Cases still open at the horizon beyond this share bias every figure.
pub const OPEN_LIMIT: f64 = 0.01;
/// A member holding the watch less than this a day on a rotation of shifts.
pub const MICRO_SHIFT_SECS: f64 = 2.0 * HOUR;
/// The median's CI half-width, relative to it, beyond which replications disagree.
pub const BIMODAL_SPREAD: f64 = 0.25;

fn cell_name(study: &Study, c: &CellResults) -> String {
    let cell = &study.cells[c.cell];
    format!(
        "{} · {}",
        study.scenario.schedules[cell.schedule].name,
        count_title(study, c.variant, cell.k)
    )
}

/// The names warnings give the cells: every cell's, and the recommended cells' (one per
/// agency count and sweep value that has a recommendation).
pub fn cell_names(
    study: &Study,
    cells: &[CellResults],
    decisions: &[CountDecision],
) -> (Vec<String>, Vec<String>) {
    let all = cells.iter().map(|c| cell_name(study, c)).collect();
    let recommended = decisions
        .iter()
        .filter_map(|d| d.recommended())
        .map(|r| cell_name(study, &cells[r.cell]))
        .collect();
    (all, recommended)
}

fn warning(cell: String, kind: &str, figure: String, advice: &str) -> WarningRow {
    WarningRow {
        cell,
        kind: kind.into(),
        figure,
        advice: advice.into(),
    }
}

/// Every warning of a finished study.
pub fn warnings(
    study: &Study,
    cells: &[CellResults],
    decisions: &[CountDecision],
) -> Vec<WarningRow> {
    let mut out = Vec::new();
    out.extend(stages_at_zero(study, cells));
    for c in cells {
        overload(study, c, &mut out);
        micro_shifts(study, c, &mut out);
        bimodal(study, c, &mut out);
    }
    out.extend(replications(study, decisions));
    out
}

/// Desks at or above [`UTILISATION_LIMIT`], and cells with more than [`OPEN_LIMIT`]
/// of their cases still open at the horizon.
fn overload(study: &Study, c: &CellResults, out: &mut Vec<WarningRow>) {
    let cell = &study.cells[c.cell];
    for m in 0..cell.k {
        let busy: f64 = c.runs.iter().map(|r| r.totals.busy_secs[m]).sum();
        let staffed: f64 = c.runs.iter().map(|r| r.totals.analyst_secs[m]).sum();
        if staffed > 0.0 && busy / staffed >= UTILISATION_LIMIT {
            out.push(warning(
                format!(
                    "{} · {} desk",
                    cell_name(study, c),
                    study.scenario.agencies[m].id
                ),
                "overload",
                format!("utilisation {:.2} while on watch", busy / staffed),
                "the desk cannot keep up: add analysts (watch_staff) or share the load; its queue grows and the figures depend on the horizon",
            ));
        }
    }
    let all = study.scenario.incidents.classes.len();
    let open = c.pooled(Scope::All, all).open_share();
    if open >= OPEN_LIMIT {
        out.push(warning(
            cell_name(study, c),
            "open_at_horizon",
            format!("{} of the cases are still open at the horizon", pct(open)),
            "an overloaded desk or a horizon too short for the slowest stages: check utilisation, or lengthen [experiment] days",
        ));
    }
}

/// Members that hold the watch less than [`MICRO_SHIFT_SECS`] a day on a schedule of
/// shifts (follow-the-sun or blocks): each such handoff hands over hardly any shift.
fn micro_shifts(study: &Study, c: &CellResults, out: &mut Vec<WarningRow>) {
    let cell = &study.cells[c.cell];
    let rule = &study.scenario.schedules[cell.schedule].rule;
    if !matches!(rule, Rule::FollowTheSun { .. } | Rule::Blocks(_)) {
        return;
    }
    let days = cell.plan.coverage.horizon / DAY;
    let intervals = cell.plan.coverage.intervals(cell.k);
    let mut short = Vec::new();
    for m in 0..cell.k {
        let held: f64 = intervals
            .iter()
            .filter(|i| i.kind == IntervalKind::Watch && i.members == 1 << m)
            .map(|i| i.end - i.start)
            .sum();
        let per_day = held / days;
        if per_day > 0.0 && per_day < MICRO_SHIFT_SECS {
            short.push(format!(
                "{} {:.0} min",
                study.scenario.agencies[m].id,
                per_day / 60.0
            ));
        }
    }
    if !short.is_empty() {
        out.push(warning(
            cell_name(study, c),
            "micro_shifts",
            format!(
                "{} hold{} the watch less than 2 h a day: {}",
                if short.len() > 1 {
                    format!("{} members", short.len())
                } else {
                    "1 member".to_string()
                },
                if short.len() > 1 { "" } else { "s" },
                short.join(", ")
            ),
            "shifts this short mean many handoffs a day; consider fewer, longer shifts (round_robin or blocks) at this agency count",
        ));
    }
}

/// Whether a distribution is zero: a stage left at its default.
fn is_zero(d: &Dist) -> bool {
    d.mean() == 0.0
}

/// Stages that cases take but that are left at zero (their default).
fn stages_at_zero(study: &Study, cells: &[CellResults]) -> Vec<WarningRow> {
    let s = &study.scenario;
    let all = s.incidents.classes.len();
    let non_members = cells.iter().any(|c| c.pooled(Scope::NonMembers, all).n > 0);
    let mut out = Vec::new();
    let scenario = || format!("scenario {}", s.name);
    if non_members && is_zero(&s.referral.international) {
        out.push(warning(
            scenario(),
            "stage_at_zero",
            "non-members' cases are referred through [referral] international, which is 0".into(),
            "set [referral] international to your estimate of the international channel: at 0, admitting a member makes its cases slower, not faster",
        ));
    }
    if non_members && is_zero(&s.referral.non_member_police) {
        out.push(warning(
            scenario(),
            "stage_at_zero",
            "non-members' cases get [referral] non_member_police, which is 0".into(),
            "set [referral] non_member_police to your estimate of a non-member's police response",
        ));
    }
    // Cross-border referrals happen once two members hold the watch.
    let max_k = s
        .experiment
        .agency_counts
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    if max_k >= 2 {
        let zero: Vec<&str> = s.agencies[..max_k]
            .iter()
            .filter(|a| a.weight > 0.0 && is_zero(&a.referral_in))
            .map(|a| a.id.as_str())
            .collect();
        if !zero.is_empty() {
            out.push(warning(
                scenario(),
                "stage_at_zero",
                format!(
                    "cases referred across borders to {} take referral_in = 0",
                    zero.join(", ")
                ),
                "set each member's referral_in to your estimate of the cross-border transit",
            ));
        }
    }
    out
}

/// A median whose replications disagree wildly (the members' median varies more than
/// [`BIMODAL_SPREAD`] of itself): a mean of such medians describes no replication.
fn bimodal(study: &Study, c: &CellResults, out: &mut Vec<WarningRow>) {
    let all = study.scenario.incidents.classes.len();
    let p50: Vec<f64> = c
        .values(Scope::Members, all, |x| x.p50() / 60.0)
        .into_iter()
        .filter(|v| !v.is_nan())
        .collect();
    if p50.len() < 3 {
        return;
    }
    let ci = mean_ci(&p50);
    if ci.half_width() > BIMODAL_SPREAD * ci.mean {
        let (lo, hi) = p50
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        out.push(warning(
            cell_name(study, c),
            "bimodal_median",
            format!(
                "the members' median alert → response is {:.0} ± {:.0} min; replications range from {lo:.0} to {hi:.0} min",
                ci.mean,
                ci.half_width()
            ),
            "the median jumps between two groups of cases (e.g. answered at once or after a desk opens); read the distribution (ecdf chart) and the shares within the SLAs rather than the median",
        ));
    }
}

/// Agency counts where a schedule's comparison with the best is undecided.
fn replications(study: &Study, decisions: &[CountDecision]) -> Vec<WarningRow> {
    let reps = study.replications();
    let margin = study.scenario.decision.margin;
    let mut out = Vec::new();
    for d in decisions {
        let undecided: Vec<String> = d
            .schedules
            .iter()
            .filter(|s| s.standing == Standing::Undecided)
            .map(|s| {
                let need = s
                    .against_best
                    .as_ref()
                    .and_then(|c| replications_to_decide(&c.diff, margin, reps));
                match need {
                    Some(n) => format!("{} (about {n} replications)", s.schedule),
                    None => s.schedule.clone(),
                }
            })
            .collect();
        if !undecided.is_empty() {
            out.push(warning(
                count_title(study, d.variant, d.k),
                "replications",
                format!(
                    "{} replications cannot tell whether these are as good as the best: {}",
                    reps,
                    undecided.join(", ")
                ),
                "run more replications (-r N) before choosing among them",
            ));
        }
    }
    out
}
