//! CSV exporters: one serde struct per file, so the columns cannot drift from the code.

use serde::Serialize;

/// Serialises rows to CSV bytes with a header.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(true)
        .from_writer(Vec::new());
    for row in rows {
        w.serialize(row).expect("serialising to memory cannot fail");
    }
    w.into_inner().expect("flushing to memory cannot fail")
}

/// A row of `coverage.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    /// Schedule name.
    pub schedule: String,
    /// Agency count.
    pub agencies: usize,
    /// `watch`, `gap` or `overlap`.
    pub kind: &'static str,
    /// Member id; empty for a gap; members joined by `+` for an overlap.
    pub agency: String,
    /// RFC 3339 UTC.
    pub start: String,
    /// RFC 3339 UTC.
    pub end: String,
    /// Length in hours.
    pub hours: f64,
}
