//! `[decision]`: the decision measure (share within one SLA threshold) and the
//! practical margins of the verdicts.

use toml::Spanned;

use super::super::Decision;
use super::super::raw::RawDecision;
use super::super::units::format_duration;
use super::Validator;

/// The default practical margin on shares: one percentage point.
const DEFAULT_MARGIN: f64 = 0.01;
/// The default practical margin on durations: five minutes.
const DEFAULT_MARGIN_TIME: f64 = 300.0;

impl Validator<'_> {
    /// `[decision]`, for the experiment's SLA thresholds (seconds).
    pub(super) fn decision(&mut self, d: Option<Spanned<RawDecision>>, sla: &[f64]) -> Decision {
        let d = d.map(Spanned::into_inner).unwrap_or_default();
        // 2 h when the experiment has it, else the middle threshold.
        let default_sla = sla
            .iter()
            .position(|&t| t == 7200.0)
            .unwrap_or(sla.len() / 2);
        let sla_index = match &d.sla {
            None => default_sla,
            Some(t) => match sla.iter().position(|&x| x == t.get_ref().secs()) {
                Some(i) => i,
                None => {
                    let listed: Vec<String> = sla.iter().map(|&x| format_duration(x)).collect();
                    self.err(
                        t.span(),
                        "sla",
                        format!(
                            "{} is not one of the experiment's SLA thresholds; expected one of: {} (or add it to [experiment] sla)",
                            t.get_ref(),
                            listed.join(", ")
                        ),
                    );
                    default_sla
                }
            },
        };
        let margin = match &d.margin {
            None => DEFAULT_MARGIN,
            Some(m) if m.get_ref().is_finite() && (0.0..=50.0).contains(m.get_ref()) => {
                m.get_ref() / 100.0
            }
            Some(m) => {
                self.err(
                    m.span(),
                    "margin",
                    format!(
                        "{} is not allowed; expected percentage points from 0 to 50, e.g. margin = 1",
                        m.get_ref()
                    ),
                );
                DEFAULT_MARGIN
            }
        };
        let margin_time = match &d.margin_time {
            None => DEFAULT_MARGIN_TIME,
            Some(m) => m.get_ref().secs(),
        };
        Decision {
            sla: sla_index,
            margin,
            margin_time,
        }
    }
}
