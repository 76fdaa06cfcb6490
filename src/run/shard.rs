//! Shards of a split run, for batch engines (Slurm job arrays, Kubernetes Indexed
//! Jobs).
//!
//! A study's work items (variant, replication) are numbered in [`Study::items`] order;
//! shard `I/N` runs every item `n` with `n % N == I` and keeps them in a part folder
//! `<report dir>/parts/shard-I-of-N/` (see [`crate::run`]). Random streams come from
//! the scenario and the replication only, so [`crate::run::merge`] rebuilds exactly the
//! outputs of an unsharded run from the parts of every shard.
//!
//! Without `--shard`, a run takes its shard from the environment:
//!
//! - Slurm job arrays: `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`,
//!   `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_STEP`; shard
//!   `(ID - MIN) / STEP` of `COUNT`, so `--array=5-7` or `--array=0-20:5` work too.
//! - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (set by Kubernetes) with
//!   `SHARD_COUNT` (set by you to the Job's `completions`).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, InputKind, Result};
use crate::experiment::Study;
use crate::report::write::absolute;

use super::{Manifest, Progress, RunOptions, read_manifest, run_items};

/// One shard of a split run: `index` of `count`, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `I/N` (0 ≤ I < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let expected = "expected I/N with 0 <= I < N, e.g. 0/4";
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text}: {expected}"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: {i:?} is not a shard number; {expected}"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: {n:?} is not a shard count; {expected}"))?;
        Shard::new(index, count).map_err(|e| format!("--shard {text}: {e}"))
    }

    fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count is 0; expected at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard {index} does not exist among {count} shards; expected 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether work item number `n` (in [`Study::items`] order) belongs to this shard.
    pub fn owns(&self, n: usize) -> bool {
        n % self.count as usize == self.index as usize
    }

    /// This shard's share of `items`.
    pub fn items(&self, items: &[(usize, u32)]) -> Vec<(usize, u32)> {
        items
            .iter()
            .enumerate()
            .filter(|&(n, _)| self.owns(n))
            .map(|(_, &item)| item)
            .collect()
    }

    /// The part folder's name: `shard-I-of-N`.
    pub fn dir_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// The part folder of this shard under a report folder.
    pub fn part_dir(&self, report_dir: &Path) -> PathBuf {
        report_dir.join("parts").join(self.dir_name())
    }
}

/// Which shard to run: `--shard I/N`, `--shard none` (ignore the environment), or
/// else the environment (`env` looks a variable up). Returns the shard and where it
/// came from, for the log.
pub fn resolve(
    arg: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<(Shard, String)>> {
    match arg {
        Some("none") => Ok(None),
        Some(text) => Shard::parse(text)
            .map(|s| Some((s, format!("--shard {text}"))))
            .map_err(Error::argument),
        None => from_env(env).map_err(|e| Error::bad_input(InputKind::Environment, e)),
    }
}

/// The shard set by a batch engine in the environment, if any.
pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<(Shard, String)>, String> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let num = |name: &str| -> Result<Option<u64>, String> {
        get(name)
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| {
                    format!("{name}={v:?} in the environment is not a whole number ≥ 0")
                })
            })
            .transpose()
    };
    if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
        let max = num("SLURM_ARRAY_TASK_MAX")?;
        if step == 0 {
            return Err("SLURM_ARRAY_TASK_STEP=0 in the environment; expected at least 1".into());
        }
        let count = match (num("SLURM_ARRAY_TASK_COUNT")?, max) {
            (Some(c), _) => c,
            (None, Some(max)) if max >= min => ((max - min) / step).saturating_add(1),
            _ => {
                return Err(
                    "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; run inside an sbatch --array job, or set the shard with --shard I/N".into(),
                );
            }
        };
        let described = format!(
            "SLURM_ARRAY_TASK_ID={id} (array of SLURM_ARRAY_TASK_COUNT={count} from SLURM_ARRAY_TASK_MIN={min} by SLURM_ARRAY_TASK_STEP={step})"
        );
        // Checked: values near 2^64 must not wrap around into a valid-looking id.
        let last = count
            .saturating_sub(1)
            .checked_mul(step)
            .and_then(|x| x.checked_add(min));
        let (Some(last), Some(second)) = (last, min.checked_add(step)) else {
            return Err(format!(
                "{described}: the array's ids run past 2^64; expected the values Slurm sets for an array (sbatch --array), or pass --shard I/N"
            ));
        };
        let uniform = max.is_none_or(|max| count >= 1 && max == last);
        if id < min || (id - min) % step != 0 || (id - min) / step >= count || !uniform {
            return Err(format!(
                "{described}: this task is not one of the evenly spaced ids {min}, {second}, … {last} that watchsim expects; submit an evenly spaced array such as --array=0-{} or --array={min}-{last}:{step}, or pass --shard I/N",
                count.saturating_sub(1),
            ));
        }
        let shard =
            shard_of(((id - min) / step, count)).map_err(|e| format!("{described}: {e}"))?;
        return Ok(Some((shard, described)));
    }
    if let Some(index) = num("JOB_COMPLETION_INDEX")? {
        let Some(count) = num("SHARD_COUNT")? else {
            return Err(format!(
                "JOB_COMPLETION_INDEX={index} is set (a Kubernetes Indexed Job) but SHARD_COUNT is not; set SHARD_COUNT to the Job's completions, or pass --shard I/N"
            ));
        };
        let described = format!("JOB_COMPLETION_INDEX={index} of SHARD_COUNT={count}");
        let shard = shard_of((index, count)).map_err(|e| format!("{described}: {e}"))?;
        return Ok(Some((shard, described)));
    }
    Ok(None)
}

fn shard_of((index, count): (u64, u64)) -> Result<Shard, String> {
    let too_many = |_| format!("{count} shards are more than watchsim supports");
    let count = u32::try_from(count).map_err(too_many)?;
    let index = u32::try_from(index).map_err(|_| format!("shard {index} is out of range"))?;
    Shard::new(index, count)
}

/// What a shard's run did.
pub struct ShardRun {
    /// The part folder it wrote.
    pub part: PathBuf,
    /// Its work items.
    pub items: usize,
    /// Work items of the whole run.
    pub all_items: usize,
}

/// Runs one shard's work items into its part folder under `dir`. A re-run (a batch
/// engine's retry) keeps the items already finished; items are written atomically.
pub fn run_shard(
    study: &Study,
    dir: &Path,
    shard: Shard,
    scenario_file: Option<&Path>,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<ShardRun> {
    let part = shard.part_dir(dir);
    let mut manifest = Manifest::new(study, options.trace, Some((shard.index, shard.count)));
    manifest.scenario_file = scenario_file.map(absolute);
    let mut options = options.clone();
    options.resume |= read_manifest(&part).is_ok_and(|m| m.same_run(&manifest));
    let all = study.items();
    let mine = shard.items(&all);
    run_items(study, &mine, &part, &manifest, &options, progress)?;
    Ok(ShardRun {
        part,
        items: mine.len(),
        all_items: all.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn shard(vars: &[(&str, &str)]) -> Result<Option<Shard>, String> {
        from_env(env(vars)).map(|s| s.map(|(s, _)| s))
    }

    fn slurm(id: &str, count: &str, min: &str, step: &str) -> Result<Option<Shard>, String> {
        shard(&[
            ("SLURM_ARRAY_TASK_ID", id),
            ("SLURM_ARRAY_TASK_COUNT", count),
            ("SLURM_ARRAY_TASK_MIN", min),
            ("SLURM_ARRAY_TASK_STEP", step),
        ])
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!(Shard::parse("2/5").unwrap(), Shard { index: 2, count: 5 });
        assert_eq!(Shard::parse("0/1").unwrap(), Shard { index: 0, count: 1 });
        for bad in ["5/5", "1/0", "x/2", "1", "-1/3", "1/2/3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("5/5").unwrap_err().contains("0 to 4"));
    }

    #[test]
    fn no_environment_no_shard() {
        assert_eq!(shard(&[]).unwrap(), None);
        assert_eq!(shard(&[("SLURM_JOB_ID", "7")]).unwrap(), None);
        assert_eq!(shard(&[("SLURM_ARRAY_TASK_ID", "")]).unwrap(), None);
    }

    #[test]
    fn slurm_array_from_zero() {
        for id in 0..4 {
            let s = slurm(&id.to_string(), "4", "0", "1").unwrap().unwrap();
            assert_eq!(
                s,
                Shard {
                    index: id,
                    count: 4
                }
            );
        }
    }

    #[test]
    fn slurm_array_with_offset_and_step() {
        // --array=5-7
        assert_eq!(
            slurm("7", "3", "5", "1").unwrap(),
            Some(Shard { index: 2, count: 3 })
        );
        // --array=10-20:5 → ids 10, 15, 20
        assert_eq!(
            slurm("15", "3", "10", "5").unwrap(),
            Some(Shard { index: 1, count: 3 })
        );
        assert_eq!(
            slurm("20", "3", "10", "5").unwrap(),
            Some(Shard { index: 2, count: 3 })
        );
    }

    #[test]
    fn slurm_values_near_2_to_the_64_do_not_wrap() {
        let huge = (1u64 << 63).to_string();
        let err = shard(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "0"),
            ("SLURM_ARRAY_TASK_STEP", &huge),
        ])
        .unwrap_err();
        assert!(err.contains("run past 2^64"), "{err}");
        let max = u64::MAX.to_string();
        let err = shard(&[
            ("SLURM_ARRAY_TASK_ID", &max),
            ("SLURM_ARRAY_TASK_MIN", &max),
            ("SLURM_ARRAY_TASK_MAX", &max),
            ("SLURM_ARRAY_TASK_STEP", &max),
        ])
        .unwrap_err();
        assert!(err.contains("run past 2^64"), "{err}");
    }

    #[test]
    fn slurm_defaults_and_derived_count() {
        // no MIN or STEP: from 0 by 1
        assert_eq!(
            shard(&[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "2")
            ])
            .unwrap(),
            Some(Shard { index: 1, count: 2 })
        );
        // no COUNT, but MAX: derived
        assert_eq!(
            shard(&[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_MIN", "2"),
                ("SLURM_ARRAY_TASK_MAX", "8"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
            ])
            .unwrap(),
            Some(Shard { index: 1, count: 4 })
        );
        assert!(shard(&[("SLURM_ARRAY_TASK_ID", "1")]).is_err());
    }

    #[test]
    fn slurm_bad_values_are_errors() {
        let below = slurm("3", "3", "5", "1").unwrap_err();
        assert!(below.contains("SLURM_ARRAY_TASK_ID=3"), "{below}");
        assert!(slurm("12", "3", "10", "5").is_err()); // off the step
        assert!(slurm("25", "3", "10", "5").is_err()); // past the end
        assert!(slurm("1", "0", "0", "1").is_err()); // no tasks
        assert!(slurm("1", "3", "0", "0").is_err()); // step 0
        let text = slurm("one", "3", "0", "1").unwrap_err();
        assert!(text.contains("SLURM_ARRAY_TASK_ID=\"one\""), "{text}");
        assert!(slurm("1", "3", "x", "1").is_err());
        // --array=1,3,7: Slurm reports MIN 1, MAX 7, COUNT 3: not evenly spaced
        let list = shard(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ])
        .unwrap_err();
        assert!(list.contains("evenly spaced"), "{list}");
    }

    #[test]
    fn kubernetes_indexed_job() {
        assert_eq!(
            shard(&[("JOB_COMPLETION_INDEX", "3"), ("SHARD_COUNT", "8")]).unwrap(),
            Some(Shard { index: 3, count: 8 })
        );
        let no_count = shard(&[("JOB_COMPLETION_INDEX", "3")]).unwrap_err();
        assert!(no_count.contains("SHARD_COUNT"), "{no_count}");
        assert!(shard(&[("JOB_COMPLETION_INDEX", "8"), ("SHARD_COUNT", "8")]).is_err());
        assert!(shard(&[("JOB_COMPLETION_INDEX", "0"), ("SHARD_COUNT", "0")]).is_err());
        // Slurm wins when both are set.
        assert_eq!(
            shard(&[
                ("JOB_COMPLETION_INDEX", "3"),
                ("SHARD_COUNT", "8"),
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
            ])
            .unwrap(),
            Some(Shard { index: 1, count: 2 })
        );
    }

    #[test]
    fn the_command_line_wins() {
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ];
        let (s, source) = resolve(Some("0/3"), env(&vars)).unwrap().unwrap();
        assert_eq!(s, Shard { index: 0, count: 3 });
        assert_eq!(source, "--shard 0/3");
        assert!(resolve(Some("none"), env(&vars)).unwrap().is_none());
        assert!(resolve(Some("3/3"), env(&[])).is_err());
    }

    #[test]
    fn shards_split_items_round_robin() {
        let items: Vec<(usize, u32)> = (0..2).flat_map(|v| (0..4).map(move |r| (v, r))).collect();
        let split: Vec<Vec<(usize, u32)>> = (0..3)
            .map(|i| Shard { index: i, count: 3 }.items(&items))
            .collect();
        assert_eq!(split[0], vec![(0, 0), (0, 3), (1, 2)]);
        let mut all: Vec<_> = split.concat();
        all.sort();
        assert_eq!(all, items);
    }
}
