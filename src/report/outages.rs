//! Outages: every schedule over the incidents signalled during each dated outage of
//! the study. The incidents are the same for every schedule (common random numbers),
//! so the comparison is paired, and an outage's week is not diluted into a year.

use crate::experiment::Study;
use crate::report::rows::{Num, OutageRow};
use crate::report::summary::{CellResults, cell_key, paired};
use crate::report::verdict::Verdict;
use crate::report::write::rfc3339;
use crate::schedule::Horizon;
use crate::stats::ci::{MeanCi, mean_ci};
use crate::stats::{Scope, WindowStats};

/// One schedule's figures over one outage window.
#[derive(Debug, Clone)]
pub struct OutageFigures {
    /// Index into the cell results.
    pub cell: usize,
    /// Whose cases.
    pub scope: Scope,
    /// Counted incidents per replication.
    pub n: MeanCi,
    /// Missed share.
    pub missed: MeanCi,
    /// Share within the decision SLA of the alert.
    pub within: MeanCi,
    /// Mean alert → response, minutes.
    pub mean: MeanCi,
    /// Per-replication share within the decision SLA (for paired comparisons).
    pub within_by_run: Vec<f64>,
}

/// One dated outage and every cell over it.
#[derive(Debug, Clone)]
pub struct Outage {
    /// The member that is out.
    pub member: usize,
    /// Start, seconds from the horizon start.
    pub from: f64,
    /// End, seconds.
    pub to: f64,
    /// Every cell over the window, members' and all cases.
    pub figures: Vec<OutageFigures>,
}

fn share(count: u64, n: u64) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        count as f64 / n as f64
    }
}

/// Every outage window of the study with every cell's figures over it.
pub fn outages(study: &Study, cells: &[CellResults]) -> Vec<Outage> {
    let sla = study.scenario.decision.sla;
    study
        .outage_windows()
        .into_iter()
        .enumerate()
        .map(|(w, (member, from, to))| {
            let mut figures = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                for scope in [Scope::Members, Scope::All] {
                    let runs: Vec<WindowStats> =
                        c.runs.iter().map(|r| r.stats.window(w, scope)).collect();
                    let per =
                        |f: &dyn Fn(&WindowStats) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
                    let within_by_run = per(&|x| share(x.within[sla], x.n));
                    figures.push(OutageFigures {
                        cell: i,
                        scope,
                        n: mean_ci(&per(&|x| x.n as f64)),
                        missed: mean_ci(&per(&|x| share(x.missed, x.n))),
                        within: mean_ci(&within_by_run),
                        mean: mean_ci(&per(&|x| {
                            if x.responded == 0 {
                                f64::NAN
                            } else {
                                x.alert_to_response / x.responded as f64 / 60.0
                            }
                        })),
                        within_by_run,
                    });
                }
            }
            Outage {
                member,
                from,
                to,
                figures,
            }
        })
        .collect()
}

impl Outage {
    /// The paired comparison A − B of two cells' shares within the decision SLA
    /// over this outage, members' cases, with its verdict.
    pub fn compare(&self, study: &Study, a: usize, b: usize) -> Option<(MeanCi, Verdict)> {
        let find = |c: usize| {
            self.figures
                .iter()
                .find(|f| f.cell == c && f.scope == Scope::Members)
        };
        let (fa, fb) = (find(a)?, find(b)?);
        let diff = paired(&fa.within_by_run, &fb.within_by_run);
        Some((
            diff,
            Verdict::of(&diff, true, study.scenario.decision.margin),
        ))
    }
}

/// `outages.csv`.
pub fn outage_rows(study: &Study, cells: &[CellResults], outages: &[Outage]) -> Vec<OutageRow> {
    let horizon = Horizon::of(&study.scenario);
    let mut rows = Vec::new();
    for o in outages {
        for f in &o.figures {
            let c = &cells[f.cell];
            let [missed_share, missed_low, missed_high] =
                [f.missed.mean, f.missed.low, f.missed.high].map(Num::share);
            let [within, within_low, within_high] =
                [f.within.mean, f.within.low, f.within.high].map(Num::share);
            let [m, ml, mh] = [f.mean.mean, f.mean.low, f.mean.high].map(|x| Num::new(x, 4));
            rows.push(OutageRow {
                member: study.scenario.agencies[o.member].id.clone(),
                outage_from: rfc3339(horizon.instant(o.from)),
                outage_to: rfc3339(horizon.instant(o.to)),
                key: cell_key(study, c.variant, c.cell),
                scope: f.scope.name().into(),
                n: Num::new(f.n.mean, 2),
                missed_share,
                missed_low,
                missed_high,
                within,
                within_low,
                within_high,
                alert_to_response_mean: m,
                alert_to_response_low: ml,
                alert_to_response_high: mh,
            });
        }
    }
    rows
}
