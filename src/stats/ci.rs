//! Means with Student-t 95 % confidence intervals, over replications.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A mean with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    /// Values that were numbers (NaN values are left out).
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Lower end of the 95 % CI (NaN with fewer than two values).
    pub low: f64,
    /// Upper end of the 95 % CI.
    pub high: f64,
}

impl MeanCi {
    /// Half the width of the interval.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Whether `x` lies in the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// Whether the interval lies wholly above or below zero.
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    // A report asks for the same few degrees of freedom thousands of times, and each
    // inversion is a numerical search: remember them.
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<usize, f64>> =
            std::cell::RefCell::default();
    }
    KNOWN.with_borrow_mut(|known| {
        *known.entry(df).or_insert_with(|| {
            StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
        })
    })
}

/// Mean and Student-t 95 % CI of independent replications (NaN values ignored).
pub fn mean_ci(values: &[f64]) -> MeanCi {
    let xs: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = xs.len();
    if n == 0 {
        return MeanCi {
            n,
            mean: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return MeanCi {
            n,
            mean,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_975(n - 1) * (var / n as f64).sqrt();
    MeanCi {
        n,
        mean,
        low: mean - half,
        high: mean + half,
    }
}

/// The difference of means `b − a` of two independent samples with its Welch 95 % CI
/// (NaN values ignored): what a comparison would claim without pairing.
pub fn welch_ci(a: &[f64], b: &[f64]) -> MeanCi {
    let (ca, cb) = (mean_ci(a), mean_ci(b));
    let var = |xs: &[f64], m: f64| {
        let xs: Vec<f64> = xs.iter().copied().filter(|v| !v.is_nan()).collect();
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len().max(2) - 1) as f64
    };
    let mean = cb.mean - ca.mean;
    if ca.n < 2 || cb.n < 2 {
        return MeanCi {
            n: ca.n.min(cb.n),
            mean,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let (va, vb) = (var(a, ca.mean) / ca.n as f64, var(b, cb.mean) / cb.n as f64);
    let se2 = va + vb;
    let half = if se2 > 0.0 {
        let df = se2.powi(2) / (va.powi(2) / (ca.n - 1) as f64 + vb.powi(2) / (cb.n - 1) as f64);
        t_975(df.floor().max(1.0) as usize) * se2.sqrt()
    } else {
        0.0
    };
    MeanCi {
        n: ca.n.min(cb.n),
        mean,
        low: mean - half,
        high: mean + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard tables: t(0.975; 1) = 12.706, t(0.975; 9) = 2.262, t(0.975; 29) = 2.045.
        assert!((t_975(1) - 12.706).abs() < 1e-3);
        assert!((t_975(9) - 2.262).abs() < 1e-3);
        assert!((t_975(29) - 2.045).abs() < 1e-3);
    }

    #[test]
    fn intervals_are_centred_and_shrink() {
        let ci = mean_ci(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(ci.n, 4);
        assert!((ci.mean - 2.5).abs() < 1e-12);
        assert!((ci.half_width() - t_975(3) * (1.666_666_666_666_7f64 / 4.0).sqrt()).abs() < 1e-9);
        assert!(mean_ci(&[5.0]).low.is_nan());
        let same = mean_ci(&[0.0, 0.0, 0.0]);
        assert_eq!((same.low, same.high), (0.0, 0.0));
    }
}
