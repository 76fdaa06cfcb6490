//! Values with units as they are written in a scenario file: durations (`90s`, `2h`),
//! rates (`40/day`), times of day (`08:00`), day sets (`Mon-Fri`) and distributions
//! (`lognormal(mean=25m, sd=15m)`).
//!
//! Every parser returns a message that says what was wrong and what is accepted, so the
//! scenario loader can put it next to a file, line and key.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Uniform, Weibull};
use serde::{Deserialize, Deserializer, de};
use statrs::function::gamma::gamma as gamma_fn;

/// Seconds in a minute.
pub const MINUTE: f64 = 60.0;
/// Seconds in an hour.
pub const HOUR: f64 = 3600.0;
/// Seconds in a day.
pub const DAY: f64 = 86_400.0;
/// Seconds in a week.
pub const WEEK: f64 = 7.0 * DAY;

/// `(t / unit as f64) as u64` (whole `unit`s of seconds in `t`, e.g. the hour index)
/// for `0 <= t < 2^52` seconds, without a float division: from the whole seconds, with
/// integer arithmetic. The two agree except within the last second before a multiple of
/// `unit`, where the float quotient may round up to the next whole number; there, it
/// is computed as written.
#[inline]
pub fn whole_units(t: f64, unit: u64) -> u64 {
    debug_assert!((0.0..4.5e15).contains(&t), "{t}");
    // `as i64` truncates in one instruction (`as u64` takes a branch).
    let secs = t as i64 as u64;
    if secs % unit != unit - 1 {
        secs / unit
    } else {
        float_quotient(t, unit)
    }
}

/// The rare case of [`whole_units`], out of line: inlined, the compiler computes the
/// division on every call to select between the two.
#[cold]
#[inline(never)]
fn float_quotient(t: f64, unit: u64) -> u64 {
    (t / unit as f64) as u64
}

const DURATION_FORMS: &str = "a number with a unit: s, m (or min), h, d or w, e.g. \"90s\", \"15m\", \"2h\", \"1.5d\", or \"0\"";

/// A non-negative length of time, stored in seconds.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Duration(pub f64);

impl Duration {
    /// The length in seconds.
    pub fn secs(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// Writes seconds in the largest unit that keeps the number short (`90m`, `2h`, `7d`).
pub fn format_duration(secs: f64) -> String {
    let units = [(WEEK, "w"), (DAY, "d"), (HOUR, "h"), (MINUTE, "m")];
    if secs == 0.0 {
        return "0".into();
    }
    for (size, name) in units {
        let n = secs / size;
        if n >= 1.0 && (n * 100.0).fract().abs() < 1e-9 {
            return format!("{}{name}", trim_float(n));
        }
    }
    format!("{}s", trim_float(secs))
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn parse_number(text: &str, what: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number in {what}"))?;
    if !value.is_finite() {
        return Err(format!("\"{text}\" is not a finite number in {what}"));
    }
    Ok(value)
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if s == "0" {
            return Ok(Duration(0.0));
        }
        let lower = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if lower.starts_with("nan") || lower.starts_with("inf") {
            return Err(format!(
                "\"{text}\" is not a finite number; expected {DURATION_FORMS}"
            ));
        }
        let split = s
            .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
            .or_else(|| s.rfind(|c: char| c.is_ascii_alphabetic()))
            .ok_or_else(|| format!("\"{text}\" has no unit; expected {DURATION_FORMS}"))?;
        let (number, unit) = s.split_at(split);
        let scale = match unit.trim() {
            "s" | "sec" => 1.0,
            "m" | "min" => MINUTE,
            "h" => HOUR,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => WEEK,
            other => {
                return Err(format!(
                    "\"{text}\" has an unknown unit \"{other}\"; expected {DURATION_FORMS}"
                ));
            }
        };
        let value = parse_number(number, "a duration")
            .map_err(|e| format!("{e}; expected {DURATION_FORMS}"))?;
        if value < 0.0 {
            return Err(format!(
                "\"{text}\" is negative; a duration must be zero or more"
            ));
        }
        if !(value * scale).is_finite() {
            return Err(format!("\"{text}\" is too long; expected {DURATION_FORMS}"));
        }
        Ok(Duration(value * scale))
    }
}

/// A positive rate of events, stored per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Rate(pub f64);

impl Rate {
    /// Events per second.
    pub fn per_sec(self) -> f64 {
        self.0
    }
}

const RATE_FORMS: &str =
    "a positive number per unit, e.g. \"40/day\", \"3.6/h\", \"0.5/h\", \"2/min\", \"300/week\"";

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (number, unit) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("\"{text}\" has no \"/unit\"; expected {RATE_FORMS}"))?;
        let per = match unit.trim() {
            "s" | "sec" => 1.0,
            "m" | "min" => MINUTE,
            "h" | "hour" => HOUR,
            "d" | "day" => DAY,
            "w" | "week" => WEEK,
            "y" | "year" => 365.0 * DAY,
            other => {
                return Err(format!(
                    "\"{text}\" has an unknown unit \"{other}\"; expected {RATE_FORMS}"
                ));
            }
        };
        let value =
            parse_number(number, "a rate").map_err(|e| format!("{e}; expected {RATE_FORMS}"))?;
        if value <= 0.0 {
            return Err(format!("\"{text}\" is not positive; expected {RATE_FORMS}"));
        }
        Ok(Rate(value / per))
    }
}

/// A wall-clock time of day, `00:00` to `24:00`, stored in seconds after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(pub u32);

impl TimeOfDay {
    /// Seconds after midnight.
    pub fn secs(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 % 3600 / 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a time of day; expected \"HH:MM\" from \"00:00\" to \"24:00\""
            )
        };
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let h: u32 = h.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(TimeOfDay(h * 3600 + m * 60))
    }
}

/// A set of days of the week; bit 0 is Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub u8);

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Weekdays {
    /// Every day of the week.
    pub const ALL: Weekdays = Weekdays(0x7f);

    /// Whether the set holds the day `weekday` (0 = Monday).
    pub fn contains(self, weekday: u32) -> bool {
        self.0 & (1 << weekday) != 0
    }
}

impl Default for Weekdays {
    fn default() -> Self {
        Weekdays::ALL
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Weekdays::ALL {
            return f.write_str("Mon-Sun");
        }
        let names: Vec<&str> = (0..7)
            .filter(|&d| self.contains(d))
            .map(|d| DAY_NAMES[d as usize])
            .collect();
        f.write_str(&names.join(","))
    }
}

fn day_index(name: &str, text: &str) -> Result<u32, String> {
    DAY_NAMES
        .iter()
        .position(|d| d.eq_ignore_ascii_case(name.trim()))
        .map(|i| i as u32)
        .ok_or_else(|| {
            format!(
                "\"{text}\": \"{}\" is not a day; expected days like \"Mon-Fri\", \"Sat,Sun\" or \"Mon-Sun\" (Mon Tue Wed Thu Fri Sat Sun)",
                name.trim()
            )
        })
}

impl FromStr for Weekdays {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut mask = 0u8;
        for part in text.split(',') {
            match part.split_once('-') {
                Some((from, to)) => {
                    let (a, b) = (day_index(from, text)?, day_index(to, text)?);
                    // A range may wrap the week end: "Fri-Mon".
                    let mut d = a;
                    loop {
                        mask |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => mask |= 1 << day_index(part, text)?,
            }
        }
        Ok(Weekdays(mask))
    }
}

/// A probability distribution of a duration, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Const(f64),
    /// Exponential with the given mean.
    Exp(Exp<f64>, f64),
    /// Lognormal with log-mean `mu` and log-sd `sigma` (of seconds).
    LogNormal(LogNormal<f64>, f64, f64),
    /// Uniform between two values.
    Uniform(Uniform<f64>, f64, f64),
    /// Gamma with shape and scale.
    Gamma(Gamma<f64>, f64, f64),
    /// Weibull with shape and scale.
    Weibull(Weibull<f64>, f64, f64),
    /// Infinitely long (a visibility window that never closes).
    Never,
}

const DIST_FORMS: &str = "a duration such as 15m (a constant) or one of const(15m), exp(mean=20m), lognormal(mean=25m, sd=15m), \
lognormal(median=8m, sigma=0.6), uniform(5m, 30m), gamma(mean=1h, sd=30m), \
gamma(shape=2, scale=30m), weibull(shape=1.5, scale=1h), never";

impl Dist {
    /// Draws one value, in seconds.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // Constants are most of an incident's quantities: answered inline, without the
        // call the random forms take.
        self.constant().unwrap_or_else(|| self.sample_random(rng))
    }

    /// The value every draw takes, for the forms that need no random number (a
    /// constant, `never`): callers that would first build a generator ask this.
    #[inline]
    pub fn constant(&self) -> Option<f64> {
        match self {
            Dist::Const(v) => Some(*v),
            Dist::Never => Some(f64::INFINITY),
            _ => None,
        }
    }

    /// [`Dist::sample`] of a random form.
    fn sample_random<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Exp(d, _) => d.sample(rng),
            Dist::LogNormal(d, _, _) => d.sample(rng),
            Dist::Uniform(d, _, _) => d.sample(rng),
            Dist::Gamma(d, _, _) => d.sample(rng),
            Dist::Weibull(d, _, _) => d.sample(rng),
            Dist::Const(v) => *v,
            Dist::Never => f64::INFINITY,
        }
    }

    /// The exact mean, in seconds (infinite for `never`).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Const(v) => v,
            Dist::Exp(_, mean) => mean,
            Dist::LogNormal(_, mu, sigma) => (mu + sigma * sigma / 2.0).exp(),
            Dist::Uniform(_, a, b) => (a + b) / 2.0,
            Dist::Gamma(_, k, theta) => k * theta,
            Dist::Weibull(_, k, lambda) => lambda * gamma_fn(1.0 + 1.0 / k),
            Dist::Never => f64::INFINITY,
        }
    }

    /// The exact variance, in seconds squared.
    pub fn variance(&self) -> f64 {
        match *self {
            Dist::Const(_) => 0.0,
            Dist::Exp(_, mean) => mean * mean,
            Dist::LogNormal(_, mu, sigma) => {
                ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp()
            }
            Dist::Uniform(_, a, b) => (b - a).powi(2) / 12.0,
            Dist::Gamma(_, k, theta) => k * theta * theta,
            Dist::Weibull(_, k, lambda) => {
                lambda * lambda * (gamma_fn(1.0 + 2.0 / k) - gamma_fn(1.0 + 1.0 / k).powi(2))
            }
            Dist::Never => f64::INFINITY,
        }
    }

    /// Whether every draw is zero.
    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Const(v) if *v == 0.0)
    }

    /// The same distribution with its mean multiplied by `factor` (shape unchanged):
    /// what a sweep over "the mean of a stage" varies.
    pub fn scaled(&self, factor: f64) -> Result<Dist, String> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(format!("a scale factor must be positive, not {factor}"));
        }
        match *self {
            Dist::Const(v) => Dist::Const(v * factor),
            Dist::Exp(_, mean) => exp_dist(mean * factor)?,
            Dist::LogNormal(_, mu, sigma) => lognormal(mu + factor.ln(), sigma)?,
            Dist::Uniform(_, a, b) => uniform(a * factor, b * factor)?,
            Dist::Gamma(_, k, theta) => gamma(k, theta * factor)?,
            Dist::Weibull(_, k, lambda) => weibull(k, lambda * factor)?,
            Dist::Never => Dist::Never,
        }
        .bounded()
    }

    /// A high quantile (the one exceeded once in a billion draws), in seconds: exact
    /// where it has a closed form, an upper bound for the gamma (Laurent and Massart's
    /// tail bound); infinite for `never`.
    pub fn high_quantile(&self) -> f64 {
        // ln(1 / p) for p = 1e-9, and the standard normal quantile of 1 − p.
        const LN_INV_P: f64 = 20.723_265_836_946_41;
        const Z: f64 = 5.997_807_015_007_686;
        match *self {
            Dist::Const(v) => v,
            Dist::Exp(_, mean) => mean * LN_INV_P,
            Dist::LogNormal(_, mu, sigma) => (mu + sigma * Z).exp(),
            Dist::Uniform(_, _, b) => b,
            Dist::Gamma(_, k, theta) => theta * (k + (2.0 * k * LN_INV_P).sqrt() + LN_INV_P),
            Dist::Weibull(_, k, lambda) => lambda * LN_INV_P.powf(1.0 / k),
            Dist::Never => f64::INFINITY,
        }
    }

    /// Refuses a distribution (other than `never`) whose mean or high quantile is not
    /// finite or not under [`MAX_DRAW_SECS`]: its draws would overflow the clock.
    fn bounded(self) -> Result<Dist, String> {
        if matches!(self, Dist::Never) {
            return Ok(self);
        }
        let (mean, high) = (self.mean(), self.high_quantile());
        if mean.is_finite() && mean < MAX_DRAW_SECS && high.is_finite() && high < MAX_DRAW_SECS {
            return Ok(self);
        }
        let show = |x: f64| {
            if x.is_finite() {
                format!("{x:.3e} s")
            } else {
                "infinite".to_string()
            }
        };
        Err(format!(
            "its mean is {} and its 1-in-a-billion draw is {}; expected a distribution whose mean and \
             1-in-a-billion draw are under {MAX_DRAW_SECS:e} s (about 31 years): a smaller scale, \
             a larger shape or a smaller sigma",
            show(mean),
            show(high)
        ))
    }
}

/// The largest mean, or 1-in-a-billion draw, a distribution may have, in seconds (about
/// 31 years): larger ones cannot be simulated (their draws overflow the clock).
pub const MAX_DRAW_SECS: f64 = 1e9;

fn exp_dist(mean: f64) -> Result<Dist, String> {
    if mean == 0.0 {
        return Ok(Dist::Const(0.0));
    }
    Ok(Dist::Exp(
        Exp::new(1.0 / mean).map_err(|e| e.to_string())?,
        mean,
    ))
}

fn lognormal(mu: f64, sigma: f64) -> Result<Dist, String> {
    Ok(Dist::LogNormal(
        LogNormal::new(mu, sigma).map_err(|e| format!("invalid lognormal: {e}"))?,
        mu,
        sigma,
    ))
}

fn uniform(a: f64, b: f64) -> Result<Dist, String> {
    if a == b {
        return Ok(Dist::Const(a));
    }
    Ok(Dist::Uniform(
        Uniform::new(a, b).map_err(|e| format!("invalid uniform: {e}"))?,
        a,
        b,
    ))
}

fn gamma(shape: f64, scale: f64) -> Result<Dist, String> {
    Ok(Dist::Gamma(
        Gamma::new(shape, scale).map_err(|e| format!("invalid gamma: {e}"))?,
        shape,
        scale,
    ))
}

fn weibull(shape: f64, scale: f64) -> Result<Dist, String> {
    Ok(Dist::Weibull(
        Weibull::new(scale, shape).map_err(|e| format!("invalid weibull: {e}"))?,
        shape,
        scale,
    ))
}

/// The arguments of a distribution: positional values, then `key=value` pairs.
struct Args<'a> {
    text: &'a str,
    positional: Vec<&'a str>,
    named: Vec<(&'a str, &'a str)>,
}

impl<'a> Args<'a> {
    fn parse(text: &'a str, inner: &'a str) -> Self {
        let mut positional = Vec::new();
        let mut named = Vec::new();
        for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => named.push((k.trim(), v.trim())),
                None => positional.push(part),
            }
        }
        Args {
            text,
            positional,
            named,
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.named.iter().map(|(k, _)| *k).collect()
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.named.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn duration(&self, value: &str) -> Result<f64, String> {
        value
            .parse::<Duration>()
            .map(Duration::secs)
            .map_err(|e| format!("in \"{}\": {e}", self.text))
    }

    fn positive_duration(&self, value: &str, name: &str) -> Result<f64, String> {
        let v = self.duration(value)?;
        if v <= 0.0 {
            return Err(format!("in \"{}\": {name} must be positive", self.text));
        }
        Ok(v)
    }

    fn positive_number(&self, value: &str, name: &str) -> Result<f64, String> {
        let v = parse_number(value, &format!("\"{}\"", self.text))?;
        if v <= 0.0 {
            return Err(format!("in \"{}\": {name} must be positive", self.text));
        }
        Ok(v)
    }

    /// Checks that exactly the given keys (and no positional values) are present.
    fn expect(&self, keys: &[&str], form: &str) -> Result<(), String> {
        let mut have = self.keys();
        have.sort_unstable();
        let mut want = keys.to_vec();
        want.sort_unstable();
        if !self.positional.is_empty() || have != want {
            return Err(format!(
                "\"{}\" has the wrong arguments; expected {form}",
                self.text
            ));
        }
        Ok(())
    }
}

impl FromStr for Dist {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        parse_dist(text)?
            .bounded()
            .map_err(|e| format!("\"{text}\" cannot be simulated: {e}"))
    }
}

fn parse_dist(text: &str) -> Result<Dist, String> {
    let s = text.trim();
    if s == "never" {
        return Ok(Dist::Never);
    }
    if s == "0" {
        return Ok(Dist::Const(0.0));
    }
    let Some((name, rest)) = s.split_once('(') else {
        // A bare duration is a constant: "10m" means const(10m).
        if s.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c)) {
            return s.parse::<Duration>().map(|d| Dist::Const(d.secs()));
        }
        return Err(format!(
            "\"{text}\" is not a distribution; expected {DIST_FORMS}"
        ));
    };
    let Some(inner) = rest.strip_suffix(')') else {
        return Err(format!(
            "\"{text}\" lacks its closing parenthesis; expected {DIST_FORMS}"
        ));
    };
    let args = Args::parse(text, inner);
    match name.trim() {
        "const" => match args.positional.as_slice() {
            [v] if args.named.is_empty() => Ok(Dist::Const(args.duration(v)?)),
            _ => Err(format!(
                "\"{text}\" has the wrong arguments; expected const(DURATION)"
            )),
        },
        "exp" => {
            let mean = match (args.positional.as_slice(), args.get("mean")) {
                ([v], None) if args.named.is_empty() => *v,
                ([], Some(v)) if args.named.len() == 1 => v,
                _ => {
                    return Err(format!(
                        "\"{text}\" has the wrong arguments; expected exp(mean=DURATION)"
                    ));
                }
            };
            exp_dist(args.duration(mean)?)
        }
        "lognormal" => {
            if args.get("median").is_some() {
                args.expect(
                    &["median", "sigma"],
                    "lognormal(median=DURATION, sigma=NUMBER)",
                )?;
                let median = args.positive_duration(args.get("median").unwrap_or(""), "median")?;
                let sigma = args.positive_number(args.get("sigma").unwrap_or(""), "sigma")?;
                lognormal(median.ln(), sigma)
            } else {
                args.expect(
                    &["mean", "sd"],
                    "lognormal(mean=DURATION, sd=DURATION) or lognormal(median=DURATION, sigma=NUMBER)",
                )?;
                let mean = args.positive_duration(args.get("mean").unwrap_or(""), "mean")?;
                let sd = args.positive_duration(args.get("sd").unwrap_or(""), "sd")?;
                // Moments of a lognormal: sigma² = ln(1 + sd²/mean²), mu = ln(mean) − sigma²/2.
                let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
                lognormal(mean.ln() - sigma2 / 2.0, sigma2.sqrt())
            }
        }
        "uniform" => match args.positional.as_slice() {
            [a, b] if args.named.is_empty() => {
                let (a, b) = (args.duration(a)?, args.duration(b)?);
                if a > b {
                    return Err(format!(
                        "in \"{text}\": the lower bound is above the upper bound; expected uniform(LOW, HIGH) with LOW <= HIGH"
                    ));
                }
                uniform(a, b)
            }
            _ => Err(format!(
                "\"{text}\" has the wrong arguments; expected uniform(LOW, HIGH)"
            )),
        },
        "gamma" => {
            if args.get("shape").is_some() {
                args.expect(&["shape", "scale"], "gamma(shape=NUMBER, scale=DURATION)")?;
                let shape = args.positive_number(args.get("shape").unwrap_or(""), "shape")?;
                let scale = args.positive_duration(args.get("scale").unwrap_or(""), "scale")?;
                gamma(shape, scale)
            } else {
                args.expect(
                    &["mean", "sd"],
                    "gamma(mean=DURATION, sd=DURATION) or gamma(shape=NUMBER, scale=DURATION)",
                )?;
                let mean = args.positive_duration(args.get("mean").unwrap_or(""), "mean")?;
                let sd = args.positive_duration(args.get("sd").unwrap_or(""), "sd")?;
                // shape k = mean²/sd², scale θ = sd²/mean.
                gamma((mean / sd).powi(2), sd * sd / mean)
            }
        }
        "weibull" => {
            args.expect(&["shape", "scale"], "weibull(shape=NUMBER, scale=DURATION)")?;
            let shape = args.positive_number(args.get("shape").unwrap_or(""), "shape")?;
            let scale = args.positive_duration(args.get("scale").unwrap_or(""), "scale")?;
            weibull(shape, scale)
        }
        other => Err(format!(
            "\"{other}\" is not a known distribution; expected {DIST_FORMS}"
        )),
    }
}

/// Implements `Deserialize` through `FromStr`, so that a bad value's message reaches the
/// user with the position of the value in the file.
macro_rules! deserialize_from_str {
    ($($ty:ty => $expecting:expr),* $(,)?) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        v.to_string().parse().map_err(E::custom)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        v.to_string().parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_any(Visitor)
            }
        }
    )*};
}

deserialize_from_str! {
    Duration => "a duration such as \"90s\", \"15m\", \"2h\", \"1.5d\" or \"0\"",
    Rate => "a rate such as \"40/day\" or \"3.6/h\"",
    TimeOfDay => "a time of day such as \"08:00\"",
    Weekdays => "days of the week such as \"Mon-Fri\"",
    Dist => "a distribution such as \"exp(mean=20m)\"",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_units_is_the_float_quotient_truncated() {
        let mut t = 0.0f64;
        let mut near = Vec::new();
        for k in [1u64, 2, 23, 24, 167, 168, 169, 1_000_000, 2_777_760] {
            for unit in [3600u64, 604_800] {
                let edge = (k * unit) as f64;
                near.extend([edge, edge - 1.0, edge - 0.5, edge + 0.5]);
                near.extend([edge.next_down(), edge.next_up(), (edge - 1.0).next_down()]);
            }
        }
        while t < 1e7 {
            near.push(t);
            t += 1234.5678;
        }
        for t in near {
            for unit in [3600u64, 604_800] {
                assert_eq!(whole_units(t, unit), (t / unit as f64) as u64, "{t} {unit}");
            }
        }
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!("90s".parse::<Duration>().unwrap().secs(), 90.0);
        assert_eq!("15m".parse::<Duration>().unwrap().secs(), 900.0);
        assert_eq!("1.5d".parse::<Duration>().unwrap().secs(), 1.5 * DAY);
        assert_eq!("0".parse::<Duration>().unwrap().secs(), 0.0);
        assert_eq!("1e1m".parse::<Duration>().unwrap().secs(), 600.0);
        for bad in ["-2h", "2", "2x", "NaNh", "infh", "", "h"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn rates_parse_per_unit() {
        assert!(("40/day".parse::<Rate>().unwrap().per_sec() - 40.0 / DAY).abs() < 1e-15);
        assert!(("3.6/h".parse::<Rate>().unwrap().per_sec() - 0.001).abs() < 1e-15);
        for bad in ["0/h", "-1/h", "NaN/h", "inf/h", "3", "3/fortnight"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn days_and_times_parse() {
        assert_eq!("Mon-Fri".parse::<Weekdays>().unwrap().0, 0b0011111);
        assert_eq!("Sat,Sun".parse::<Weekdays>().unwrap().0, 0b1100000);
        assert_eq!("Fri-Mon".parse::<Weekdays>().unwrap().0, 0b1110001);
        assert!("Mon-Fry".parse::<Weekdays>().is_err());
        assert_eq!("24:00".parse::<TimeOfDay>().unwrap().secs(), 86_400);
        assert!("24:30".parse::<TimeOfDay>().is_err());
        assert!("8am".parse::<TimeOfDay>().is_err());
    }

    #[test]
    fn distribution_moments_match_their_parameters() {
        let cases = [
            ("const(15m)", 900.0, 0.0),
            ("exp(mean=20m)", 1200.0, 1200.0),
            ("lognormal(mean=25m, sd=15m)", 1500.0, 900.0),
            ("uniform(5m, 30m)", 1050.0, 1500.0 / 12f64.sqrt()),
            ("gamma(mean=1h, sd=30m)", 3600.0, 1800.0),
            ("weibull(shape=1, scale=1h)", 3600.0, 3600.0),
        ];
        for (text, mean, sd) in cases {
            let d: Dist = text.parse().unwrap();
            assert!(
                (d.mean() - mean).abs() < 1e-6 * mean,
                "{text}: mean {}",
                d.mean()
            );
            assert!(
                (d.variance().sqrt() - sd).abs() < 1e-6 * mean,
                "{text}: sd {}",
                d.variance().sqrt()
            );
        }
        let median: Dist = "lognormal(median=8m, sigma=0.6)".parse().unwrap();
        assert!((median.mean() - 480.0 * (0.18f64).exp()).abs() < 1e-6);
    }

    #[test]
    fn bad_distributions_say_what_is_accepted() {
        for bad in [
            "exp(mean=-1m)",
            "lognormal(mean=0, sd=1m)",
            "uniform(30m, 5m)",
            "weibull(shape=0, scale=1h)",
            "gamma(mean=1h)",
            "normal(1h)",
            "exp(mean=1h",
            "lognormal(mean=1h, sd=NaNm)",
        ] {
            let err = bad.parse::<Dist>().unwrap_err();
            assert!(
                err.contains("expected") || err.contains("must"),
                "{bad}: {err}"
            );
        }
    }
}
