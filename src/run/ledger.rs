//! A part's ledger of finished work items (`items.sha256`): for each item, the SHA-256
//! of its summaries file and of its incidents.csv chunk with the chunk's row count,
//! and a fingerprint of the run its manifest describes. A line is appended once the
//! item's files are in place, so an item is finished when its line is there; `merge`
//! and `--resume` check every file they use against it, and a file changed or cut
//! after it was written (or a manifest edited since) is refused, naming the file.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Manifest, item_files, item_name};
use crate::error::{Error, Result};

/// The ledger's file name in a part.
pub const LEDGER: &str = "items.sha256";

/// The SHA-256 of a file and its line count, streamed.
fn digest_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut lines = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok((hex(&h.finalize()), lines))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fingerprint of the run a manifest describes (its seed, scenario, options), so
/// that a manifest edited after its items were written no longer matches them.
pub fn fingerprint(m: &Manifest) -> String {
    let identity = format!(
        "{} {} {} {} {} {} {} {:?} {}",
        m.watchsim,
        m.scenario_hash,
        m.seed,
        m.replications,
        m.items,
        m.trace,
        m.independent_streams,
        m.shard.map(|s| s.1),
        m.item_format
    );
    hex(&Sha256::digest(identity.as_bytes()))[..16].to_string()
}

/// What the ledger says of one item.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    line: String,
    summaries: String,
    csv: Option<(String, u64)>,
    run: String,
}

/// An open ledger, appended to as items finish.
pub struct Ledger {
    file: fs::File,
    run: String,
}

impl Ledger {
    /// Opens (creating) the ledger of `part` for a run described by `manifest`.
    pub fn open(part: &Path, manifest: &Manifest) -> Result<Ledger> {
        let file = crate::report::open_append(&part.join(LEDGER))?;
        Ok(Ledger {
            file,
            run: fingerprint(manifest),
        })
    }

    /// Records a finished item whose files are in `part`.
    pub fn record(&self, part: &Path, item: (usize, u32), trace: bool) -> Result<()> {
        let (summaries, csv) = item_files(part, item);
        let read = |p: &PathBuf| digest_file(p).map_err(|e| Error::read(p, e));
        let (summaries_sum, _) = read(&summaries)?;
        let csv_part = if trace {
            let (sum, rows) = read(&csv)?;
            format!("csv={sum} rows={rows}")
        } else {
            "csv=- rows=-".into()
        };
        let line = format!(
            "{} item={summaries_sum} {csv_part} run={}\n",
            item_name(item.0, item.1),
            self.run
        );
        // One write of one short line to a file opened for appending: lines of items
        // finishing at once do not interleave.
        (&self.file).write_all(line.as_bytes()).map_err(|source| {
            Error::Write(crate::report::WriteError {
                path: part.join(LEDGER),
                source,
            })
        })
    }
}

/// The ledger of a part as read back: item name → entry (malformed lines, such as a
/// line cut by a kill, are left out: their items count as unfinished).
pub struct Recorded(HashMap<String, Entry>);

impl Recorded {
    /// Reads the ledger of `part` (empty if it has none).
    pub fn read(part: &Path) -> Recorded {
        let text = fs::read_to_string(part.join(LEDGER)).unwrap_or_default();
        let mut map = HashMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let [name, summaries, csv, rows, run] = f[..] else {
                continue;
            };
            let (Some(summaries), Some(csv), Some(rows), Some(run)) = (
                summaries.strip_prefix("item="),
                csv.strip_prefix("csv="),
                rows.strip_prefix("rows="),
                run.strip_prefix("run="),
            ) else {
                continue;
            };
            let csv = match (csv, rows.parse::<u64>()) {
                ("-", _) => None,
                (sum, Ok(rows)) => Some((sum.to_string(), rows)),
                _ => continue,
            };
            map.insert(
                name.to_string(),
                Entry {
                    line: line.to_string(),
                    summaries: summaries.to_string(),
                    csv,
                    run: run.to_string(),
                },
            );
        }
        Recorded(map)
    }

    /// Rewrites the ledger of `part` with the lines of `items` only (those kept when
    /// a run resumes), so that items run again are recorded once.
    pub fn keep(&self, part: &Path, items: &[(usize, u32)]) -> Result<()> {
        let mut text = String::new();
        for &(v, r) in items {
            if let Some(e) = self.0.get(&item_name(v, r)) {
                text.push_str(&e.line);
                text.push('\n');
            }
        }
        crate::report::write_atomic(&part.join(LEDGER), text.as_bytes())?;
        Ok(())
    }

    /// Whether `item` is recorded as finished.
    pub fn has(&self, item: (usize, u32)) -> bool {
        self.0.contains_key(&item_name(item.0, item.1))
    }

    /// Checks the files of a recorded `item` of `part` against the ledger and the
    /// part's `manifest`; an error names the file and what differs.
    pub fn verify(&self, part: &Path, item: (usize, u32), manifest: &Manifest) -> Result<()> {
        let name = item_name(item.0, item.1);
        let ledger = part.join(LEDGER);
        let Some(entry) = self.0.get(&name) else {
            return Err(Error::parts(format!(
                "{name} is not recorded as finished in {}",
                ledger.display()
            )));
        };
        if entry.run != fingerprint(manifest) {
            return Err(Error::parts(format!(
                "{} does not describe the run that wrote {name} (its seed, scenario or options were changed after the item was written, per {})",
                part.join("manifest.json").display(),
                ledger.display()
            )));
        }
        let (summaries, csv) = item_files(part, item);
        let changed = |path: &Path, what: String| {
            Error::parts(format!(
                "{} was changed or cut after it was written ({what}, per {}); re-run its shard, or the run without --resume",
                path.display(),
                ledger.display()
            ))
        };
        let (sum, _) = digest_file(&summaries).map_err(|e| Error::read(&summaries, e))?;
        if sum != entry.summaries {
            return Err(changed(&summaries, "its SHA-256 differs".into()));
        }
        if manifest.trace {
            let Some((want_sum, want_rows)) = &entry.csv else {
                return Err(Error::parts(format!(
                    "{} records no incidents.csv chunk for {name}",
                    ledger.display()
                )));
            };
            let (sum, rows) = digest_file(&csv).map_err(|e| Error::read(&csv, e))?;
            if rows != *want_rows {
                return Err(changed(&csv, format!("{rows} rows instead of {want_rows}")));
            }
            if sum != *want_sum {
                return Err(changed(&csv, "its SHA-256 differs".into()));
            }
        }
        Ok(())
    }
}
