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

/// A table whose columns depend on the scenario (SLA thresholds, a sweep): a header and
/// rows of already formatted fields.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(header: Vec<String>) -> Table {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(
            row.len(),
            self.header.len(),
            "row length matches the header"
        );
        self.rows.push(row);
    }

    /// The table as CSV bytes.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header)
            .expect("writing to memory cannot fail");
        for row in &self.rows {
            w.write_record(row).expect("writing to memory cannot fail");
        }
        w.into_inner().expect("flushing to memory cannot fail")
    }
}

/// A number for CSV: at most `decimals` decimals, trailing zeros dropped; empty for NaN.
pub fn num(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        return String::new();
    }
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// Minutes from seconds, for CSV (millisecond resolution).
pub fn minutes(secs: f64) -> String {
    num(secs / 60.0, 4)
}

/// The SLA column label of a threshold: `within_2h`.
pub fn sla_label(secs: f64) -> String {
    format!("within_{}", crate::scenario::units::format_duration(secs))
}
