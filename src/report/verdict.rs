//! The decision rule: what a paired difference with its confidence interval lets a
//! planner conclude, given the smallest difference that matters in practice.

use crate::stats::ci::MeanCi;

/// What the paired CI of A − B says, once oriented so that positive is better for A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A is better: the CI lies above 0 and the estimate is at least the margin.
    ABetter,
    /// B is better (the mirror image).
    BBetter,
    /// The CI lies within ± the margin: whichever is better, not by enough to matter.
    NoPracticalDifference,
    /// Neither: more replications would tell.
    Undecided,
}

impl Verdict {
    /// The verdict of a paired difference A − B (`diff`), where `higher_is_better`
    /// says which direction is good, and `margin` (≥ 0, in the units of `diff`) is the
    /// smallest difference that matters. Without a CI (one replication) nothing is
    /// decided.
    pub fn of(diff: &MeanCi, higher_is_better: bool, margin: f64) -> Verdict {
        if diff.low.is_nan() || diff.high.is_nan() || diff.mean.is_nan() {
            return Verdict::Undecided;
        }
        let (est, low, high) = if higher_is_better {
            (diff.mean, diff.low, diff.high)
        } else {
            (-diff.mean, -diff.high, -diff.low)
        };
        if low > 0.0 && est >= margin {
            Verdict::ABetter
        } else if high < 0.0 && -est >= margin {
            Verdict::BBetter
        } else if low >= -margin && high <= margin {
            Verdict::NoPracticalDifference
        } else {
            Verdict::Undecided
        }
    }

    /// The verdict in words, naming the schedules.
    pub fn text(self, a: &str, b: &str) -> String {
        match self {
            Verdict::ABetter => format!("{a} better"),
            Verdict::BBetter => format!("{b} better"),
            Verdict::NoPracticalDifference => "no practical difference".into(),
            Verdict::Undecided => "undecided (more replications would tell)".into(),
        }
    }

    /// The better of the two, if the verdict names one.
    pub fn winner<'a>(self, a: &'a str, b: &'a str) -> Option<&'a str> {
        match self {
            Verdict::ABetter => Some(a),
            Verdict::BBetter => Some(b),
            _ => None,
        }
    }

    /// A short mark for tables: `>` (A better), `<`, `≈` (no practical difference),
    /// `?` (undecided).
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::ABetter => ">",
            Verdict::BBetter => "<",
            Verdict::NoPracticalDifference => "≈",
            Verdict::Undecided => "?",
        }
    }
}

/// Replications that would likely decide an undecided difference: the CI half-width
/// shrinks as 1/√n, and must fall below the distance that separates the estimate from
/// a decision (|estimate| to exclude 0 when it is at least the margin, else the
/// margin minus |estimate| to fit within ± the margin). `None` when it is decided or
/// cannot be estimated.
pub fn replications_to_decide(diff: &MeanCi, margin: f64, replications: u32) -> Option<u32> {
    let h = diff.half_width();
    let d = diff.mean.abs();
    if !h.is_finite() || h <= 0.0 {
        return None;
    }
    let room = if d >= margin { d } else { margin - d };
    if room <= 0.0 || h < room {
        return None;
    }
    let n = f64::from(replications) * (h / room).powi(2);
    Some(n.ceil().min(1e6) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci(mean: f64, half: f64) -> MeanCi {
        MeanCi {
            n: 10,
            mean,
            low: mean - half,
            high: mean + half,
        }
    }

    #[test]
    fn the_rule_on_constructed_differences() {
        let m = 0.01;
        // Clearly above the margin: A better; mirrored: B better.
        assert_eq!(Verdict::of(&ci(0.05, 0.01), true, m), Verdict::ABetter);
        assert_eq!(Verdict::of(&ci(-0.05, 0.01), true, m), Verdict::BBetter);
        // Lower is better (minutes): a negative A − B means A is better.
        assert_eq!(Verdict::of(&ci(-12.0, 3.0), false, 5.0), Verdict::ABetter);
        assert_eq!(Verdict::of(&ci(12.0, 3.0), false, 5.0), Verdict::BBetter);
        // A real but tiny difference: the CI excludes 0 yet lies within ±margin.
        assert_eq!(
            Verdict::of(&ci(0.001, 0.0005), true, m),
            Verdict::NoPracticalDifference
        );
        // Zero difference, tight CI.
        assert_eq!(
            Verdict::of(&ci(0.0, 0.004), true, m),
            Verdict::NoPracticalDifference
        );
        // Excludes 0, estimate below the margin, CI reaches past it: undecided.
        assert_eq!(Verdict::of(&ci(0.008, 0.005), true, m), Verdict::Undecided);
        // Wide CI around a large estimate that includes 0: undecided.
        assert_eq!(Verdict::of(&ci(0.03, 0.05), true, m), Verdict::Undecided);
        // One replication: no CI, nothing decided.
        let single = MeanCi {
            n: 1,
            mean: 0.2,
            low: f64::NAN,
            high: f64::NAN,
        };
        assert_eq!(Verdict::of(&single, true, m), Verdict::Undecided);
    }

    #[test]
    fn more_replications_are_estimated_only_when_undecided() {
        // Estimate 0.03 with half-width 0.05: needs half-width < 0.03, (5/3)² × 10.
        assert_eq!(replications_to_decide(&ci(0.03, 0.05), 0.01, 10), Some(28));
        assert_eq!(replications_to_decide(&ci(0.05, 0.01), 0.01, 10), None);
    }
}
