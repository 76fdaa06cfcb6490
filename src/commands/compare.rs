//! `watchsim compare A B`: two versions of a scenario, paired replication by
//! replication.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::CompareArgs;
use crate::error::Result;
use crate::experiment::Study;
use crate::report::summary::run_pooled;
use crate::report::variants::{Side, Variants, pair};
use crate::scenario::Scenario;

/// A side as given: a report folder to read, or a scenario file to run.
fn side(
    path: &Path,
    args: &CompareArgs,
    pool: &rayon::ThreadPool,
) -> Result<(Side, Option<String>)> {
    if path.is_dir() {
        return Ok((Side::read(path)?, None));
    }
    let mut scenario = Scenario::load(path)?;
    super::apply_overrides(&mut scenario, args.replications, args.seed)?;
    let name = scenario.name.clone();
    crate::memory::check(&scenario, None, pool.current_num_threads(), false)?;
    let study = Study::new(scenario)?;
    let cells = pool.install(|| run_pooled(&study));
    let runs: usize = cells.iter().map(|c| c.runs.len()).sum();
    let note = format!("ran {} ({runs} runs)", path.display());
    Ok((Side::of_cells(&name, &study, &cells), Some(note)))
}

/// A name for a side: its scenario's, else its file or folder name, told apart from
/// the other side's when they are the same.
fn names(a: &mut Side, b: &mut Side, pa: &Path, pb: &Path) {
    if a.name != b.name {
        return;
    }
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let (sa, sb) = (stem(pa), stem(pb));
    if sa != sb && !sa.is_empty() && !sb.is_empty() {
        a.name = sa;
        b.name = sb;
    } else {
        a.name = format!("{} (A)", a.name);
        b.name = format!("{} (B)", b.name);
    }
}

pub(super) fn compare(args: &CompareArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let pool = super::pool(args.threads)?;
    let (mut a, note_a) = side(&args.a, args, &pool)?;
    let (mut b, note_b) = side(&args.b, args, &pool)?;
    names(&mut a, &mut b, &args.a, &args.b);
    let variants = pair(&a, &b)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        let clean = |s: &str| s.replace([' ', '(', ')', '/'], "");
        PathBuf::from("reports").join(format!("compare-{}-vs-{}", clean(&a.name), clean(&b.name)))
    });
    crate::report::write::check_out_folder(&dir, args.force)?;
    variants.write(&dir)?;
    crate::report::html::write_variants_report(&dir)?;
    print_variants(&b.name, &a.name, &variants)?;
    for note in [note_a, note_b].into_iter().flatten() {
        outln!("{note}");
    }
    outln!(
        "\n{} paired differences over {} replications (seed {}) in {:.2} s; reports in {}",
        variants.rows.len(),
        a.replications,
        a.seed,
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints the findings of a comparison first, then the cells present on one side only.
pub(super) fn print_variants(variant: &str, base: &str, variants: &Variants) -> Result<()> {
    outln!("What if: {variant} against {base} (paired, B − A):");
    let findings = variants.findings();
    if findings.is_empty() {
        outln!("  no cell in common: nothing to compare");
    }
    for f in &findings {
        outln!("  - {f}");
    }
    let unmatched = variants.unmatched_text();
    if !unmatched.is_empty() {
        outln!("Cells present on one side only (no paired difference; see unmatched.csv):");
        for u in &unmatched {
            outln!("  - {u}");
        }
    }
    Ok(())
}
