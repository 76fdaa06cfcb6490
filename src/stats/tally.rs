//! The histograms a run records into: HdrHistogram's layout of counts, as a plain array.
//!
//! A run records up to nine durations per responded case, and a study adds thousands of
//! runs' histograms into its pools. `hdrhistogram::Histogram` does both through general
//! paths (range checks, minimum and maximum tracking, and on addition a bucket-by-bucket
//! re-recording whenever two histograms have grown to different sizes), which took a
//! third of the default study's simulation time. A [`Tally`] keeps the same buckets (the
//! lowest discernible value 1, 2 or 3 significant digits, growing as its values do) and
//! reads quantiles exactly as `Histogram::value_at_quantile(s)` does, so every figure is
//! unchanged; recording is an index and an increment, and adding is adding two arrays.
//! A stored run keeps HdrHistogram's V2 encoding ([`Tally::encode_v2`]), read back
//! through the crate.

use hdrhistogram::Histogram;

/// Counts of whole-number values in HdrHistogram's buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Significant decimal digits.
    digits: u8,
    /// log2 of half the sub-buckets per bucket (HdrHistogram's
    /// `sub_bucket_half_count_magnitude`).
    half_magnitude: u32,
    /// The values the first bucket holds, as a mask (`2^(half_magnitude + 1) − 1`):
    /// kept, as recording reads it for every value.
    sub_bucket_mask: u64,
    /// Values recorded.
    total: u64,
    /// Count per bucket index, as HdrHistogram numbers them; grown a whole bucket at a
    /// time to cover the largest value recorded.
    counts: Vec<u32>,
}

impl Tally {
    /// An empty tally keeping `digits` significant decimal digits (1 to 5).
    pub fn new(digits: u8) -> Tally {
        assert!((1..=5).contains(&digits), "1 to 5 significant digits");
        // As HdrHistogram: the smallest power of two sub-bucket count that resolves
        // 2 × 10^digits single units.
        let single_unit_values = 2 * 10u32.pow(u32::from(digits));
        let magnitude = single_unit_values.next_power_of_two().trailing_zeros();
        let half_magnitude = magnitude.max(1) - 1;
        Tally {
            digits,
            half_magnitude,
            sub_bucket_mask: (2u64 << half_magnitude) - 1,
            total: 0,
            counts: Vec::new(),
        }
    }

    /// Significant decimal digits kept.
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// Values recorded.
    #[cfg(test)]
    fn len(&self) -> u64 {
        self.total
    }

    /// The bucket index of `value`.
    #[inline]
    fn index_of(&self, value: u64) -> usize {
        // Powers of two by which `value` exceeds what the first bucket holds.
        let bucket = (63 - self.half_magnitude) - (value | self.sub_bucket_mask).leading_zeros();
        ((bucket as usize) << self.half_magnitude) + (value >> bucket) as usize
    }

    /// The bucket (power of two) and sub-bucket of bucket index `index`.
    fn location(&self, index: usize) -> (u32, u64) {
        let half = 1u64 << self.half_magnitude;
        let bucket = (index >> self.half_magnitude) as i64 - 1;
        let sub_bucket = (index as u64 & (half - 1)) + half;
        if bucket < 0 {
            (0, sub_bucket - half)
        } else {
            (bucket as u32, sub_bucket)
        }
    }

    /// The smallest value counted at bucket index `index`.
    fn lowest_at(&self, index: usize) -> u64 {
        let (bucket, sub_bucket) = self.location(index);
        sub_bucket << bucket
    }

    /// The largest value counted at bucket index `index`.
    fn highest_at(&self, index: usize) -> u64 {
        let (bucket, sub_bucket) = self.location(index);
        ((sub_bucket + 1) << bucket) - 1
    }

    /// Grows the counts a whole bucket at a time to hold index `index`, as HdrHistogram
    /// resizes to the buckets that cover a value.
    #[cold]
    fn grow(&mut self, index: usize) {
        let half = 1usize << self.half_magnitude;
        let len = ((index >> self.half_magnitude) + 1).max(2) * half;
        self.counts.resize(len, 0);
    }

    /// Counts `value` once.
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.record_n(value, 1);
    }

    /// Counts `value` `n` times.
    #[inline]
    pub fn record_n(&mut self, value: u64, n: u32) {
        let index = self.index_of(value);
        if index >= self.counts.len() {
            self.grow(index);
        }
        // Indexed once: after the growth above the index is in range, but the compiler
        // cannot see it and would check twice.
        if let Some(count) = self.counts.get_mut(index) {
            *count = count.saturating_add(n);
        }
        self.total = self.total.saturating_add(u64::from(n));
    }

    /// Adds another tally of the same precision into this one.
    pub fn add(&mut self, other: &Tally) {
        assert_eq!(self.digits, other.digits, "tallies of one precision");
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        self.total = self.total.saturating_add(other.total);
    }

    /// The value at quantile `q`, as `Histogram::value_at_quantile` reads it: the largest
    /// value of the bucket where the count reaches ⌈q · total⌉ (at least 1), the smallest
    /// for `q = 0`; 0 when empty.
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        self.value_at_quantiles([q]).next().unwrap_or(0)
    }

    /// The values at quantiles `qs` (ascending), each as [`Tally::value_at_quantile`]
    /// reads it, in one walk over the counts; stops at the first quantile smaller than
    /// the one before, as `Histogram::value_at_quantiles` does.
    pub fn value_at_quantiles<I: IntoIterator<Item = f64>>(
        &self,
        qs: I,
    ) -> impl Iterator<Item = u64> + use<'_, I> {
        let mut qs = qs.into_iter();
        let counts = &self.counts;
        // Counts passed so far, the bucket index reached, and the next to read.
        let (mut reached, mut index, mut next) = (0u64, 0usize, 0usize);
        let mut previous: Option<f64> = None;
        std::iter::from_fn(move || {
            let q = qs.next()?;
            if previous.is_some_and(|p| p > q) {
                return None;
            }
            previous = Some(q);
            let target = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
            while reached < target {
                // A block of counts that does not reach the target is passed whole (a
                // sum the compiler vectorises, where a count at a time is a chain).
                if let Some(block) = counts.get(next..next + BLOCK) {
                    let sum: u64 = block.iter().map(|&c| u64::from(c)).sum();
                    if reached + sum < target {
                        reached += sum;
                        next += BLOCK;
                        continue;
                    }
                }
                let Some(&count) = counts.get(next) else {
                    return Some(0);
                };
                index = next;
                next += 1;
                reached += u64::from(count);
            }
            Some(if q == 0.0 {
                self.lowest_at(index)
            } else {
                self.highest_at(index)
            })
        })
    }

    /// Every non-empty bucket: (its smallest value, count), in value order.
    #[cfg(test)]
    fn buckets(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, &c)| (self.lowest_at(i), c))
    }

    /// The same counts as an HdrHistogram (to check this module against it).
    #[cfg(test)]
    fn to_hdr(&self) -> Histogram<u32> {
        let mut h = Histogram::new(self.digits).expect("1 to 5 significant digits");
        for (value, count) in self.buckets() {
            h.record_n(value, count)
                .expect("a growing histogram takes any value");
        }
        h
    }

    /// The counts in HdrHistogram's V2 encoding, byte for byte what its `V2Serializer`
    /// writes for the same counts, without making the histogram first: a 40-byte header,
    /// then each count up to the last non-zero one as a zig-zag LEB128 number, a run of
    /// zeros as its negated length.
    pub fn encode_v2(&self, out: &mut Vec<u8>) {
        const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
        let half = 1usize << self.half_magnitude;
        // The highest value HdrHistogram tracks once grown to these counts (2 before it
        // first grows).
        let highest = if self.counts.len() > 2 * half {
            self.highest_at(self.counts.len() - 1)
        } else {
            2
        };
        let start = out.len();
        out.extend_from_slice(&V2_COOKIE.to_be_bytes());
        out.extend_from_slice(&[0; 4]); // payload length, below
        out.extend_from_slice(&0u32.to_be_bytes()); // normalising offset
        out.extend_from_slice(&u32::from(self.digits).to_be_bytes());
        out.extend_from_slice(&1u64.to_be_bytes()); // lowest discernible value
        out.extend_from_slice(&highest.to_be_bytes());
        out.extend_from_slice(&1.0f64.to_be_bytes()); // integer to double ratio
        let payload = out.len();
        let last = self.counts.iter().rposition(|&c| c > 0).unwrap_or(0);
        let counts = self.counts.get(..=last).unwrap_or(&[0]);
        // At most 5 bytes a count: the zig-zag form of a u32 has 33 bits.
        out.reserve(counts.len() * 5);
        let mut i = 0;
        while i < counts.len() {
            if counts[i] > 0 {
                // Zig-zag of a positive n: 2n.
                push_leb128(out, u64::from(counts[i]) << 1);
                i += 1;
                continue;
            }
            // A run of zeros: counts are mostly zeros, with long runs past the values
            // recorded, so whole blocks of them are skipped at once.
            let start = i;
            i += 1;
            while counts
                .get(i..i + BLOCK)
                .is_some_and(|block| block.iter().fold(0, |any, &c| any | c) == 0)
            {
                i += BLOCK;
            }
            while i < counts.len() && counts[i] == 0 {
                i += 1;
            }
            let zeros = i - start;
            // A lone zero is written as a count; a run as its negated length, whose
            // zig-zag form is 2 × length − 1.
            push_leb128(out, if zeros == 1 { 0 } else { 2 * zeros as u64 - 1 });
        }
        let length = (out.len() - payload) as u32;
        out[start + 4..start + 8].copy_from_slice(&length.to_be_bytes());
    }

    /// The counts of an HdrHistogram with a lowest discernible value of 1.
    pub fn from_hdr(h: &Histogram<u32>) -> Tally {
        let digits = h.sigfig();
        let mut t = Tally::new(digits);
        for v in h.iter_recorded() {
            t.record_n(v.value_iterated_to(), v.count_at_value());
        }
        t
    }

    /// Bytes the counts take once values up to `max` are recorded.
    pub fn bytes_up_to(digits: u8, max: u64) -> u64 {
        let mut t = Tally::new(digits);
        t.grow(t.index_of(max));
        t.counts.len() as u64 * 4
    }
}

/// Counts read at once where runs of them are passed over (a quantile's walk, zeros
/// when encoding).
const BLOCK: usize = 16;

/// Appends `value` in LEB128: seven bits a byte, low bits first.
#[inline]
fn push_leb128(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(0x80 | (value & 0x7f) as u8);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values() -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec(
            prop_oneof![
                0u64..300,
                0u64..100_000,
                0u64..40_000_000,
                Just(u64::from(u32::MAX)),
            ],
            0..400,
        )
    }

    proptest! {
        /// Recorded, added and read as HdrHistogram records, adds and reads.
        #[test]
        fn reads_as_hdrhistogram(
            digits in 1u8..=3,
            a in values(),
            b in values(),
            mut qs in prop::collection::vec(
                prop_oneof![0.0f64..=1.0, Just(0.0), Just(1.0), Just(0.5)], 1..12),
        ) {
            let (mut t, mut h) = (Tally::new(digits), Histogram::<u32>::new(digits).unwrap());
            let (mut t2, mut h2) = (Tally::new(digits), Histogram::<u32>::new(digits).unwrap());
            a.iter().for_each(|&v| { t.record(v); h.record(v).unwrap(); });
            b.iter().for_each(|&v| { t2.record(v); h2.record(v).unwrap(); });
            t.add(&t2);
            h.add(&h2).unwrap();
            prop_assert_eq!(t.len(), h.len());
            for &q in &qs {
                prop_assert_eq!(t.value_at_quantile(q), h.value_at_quantile(q), "q = {}", q);
            }
            qs.sort_by(f64::total_cmp);
            let ours: Vec<u64> = t.value_at_quantiles(qs.iter().copied()).collect();
            let theirs: Vec<u64> = h.value_at_quantiles(qs.iter().copied()).collect();
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(Tally::from_hdr(&t.to_hdr()), t.clone());
            let back = t.to_hdr();
            let ours: Vec<(u64, u32)> =
                back.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect();
            let theirs: Vec<(u64, u32)> =
                h.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect();
            prop_assert_eq!(ours, theirs);
            // Encoded as HdrHistogram encodes the same counts.
            use hdrhistogram::serialization::{Serializer as _, V2Serializer};
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            t.encode_v2(&mut ours);
            V2Serializer::new().serialize(&t.to_hdr(), &mut theirs).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn buckets_are_hdrhistograms() {
        for digits in [2, 3] {
            let t = Tally::new(digits);
            let h = Histogram::<u32>::new(digits).unwrap();
            for v in [
                0,
                1,
                255,
                256,
                257,
                2047,
                2048,
                4095,
                4096,
                1 << 25,
                u64::MAX >> 8,
            ] {
                let i = t.index_of(v);
                assert!(t.lowest_at(i) <= v && v <= t.highest_at(i), "{v}");
                assert_eq!(t.lowest_at(i), h.lowest_equivalent(v), "{v}");
                assert_eq!(t.highest_at(i), h.highest_equivalent(v), "{v}");
            }
        }
        assert_eq!(Tally::new(3).value_at_quantile(0.5), 0, "empty reads 0");
    }
}
