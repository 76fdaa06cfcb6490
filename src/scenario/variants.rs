//! Inline variants: `[[variant]]` tables that override keys of the scenario, each run
//! against the base with common random numbers.
//!
//! ```toml
//! [[variant]]
//! name = "uk-analyst"
//! description = "one more analyst on the UK watch desk"
//! set = { "agency.uk.watch_staff" = 3 }
//!
//! [[variant]]
//! name = "brazil-joins"
//! [variant.set]
//! "agency.br" = { name = "Brazil", tz = "America/Sao_Paulo", weight = 0.05, watch_staff = 2, desk = "24/7" }
//! "experiment.agencies" = [2, 3, 4, 5]
//! ```
//!
//! Each key of `set` is a dotted path into the scenario as written: tables by name
//! (`referral.international`, `watch.triage`, `decision.margin`), and the elements of
//! `[[agency]]`, `[[schedule]]` and `incidents.severity` by their `id`, `name` or
//! `class` (`agency.uk.desk.close`, `schedule.follow-the-sun.anchor`,
//! `incidents.severity.urgent.share`). A path ending at a new agency or schedule with a
//! table adds it; a path ending at an existing element with a table overrides the
//! fields given. The overrides are merged over the base, and the result validated like
//! any scenario; an error names the file, the line and column of the override, the
//! variant and the key.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::{Spanned, Table, Value};

use super::error::Source;
use super::{Scenario, ScenarioError, ScenarioErrors};

/// A `[[variant]]` as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariant {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub set: Option<Spanned<BTreeMap<Spanned<String>, Value>>>,
}

/// A validated variant: the base with its overrides applied.
#[derive(Debug, Clone)]
pub struct ScenarioVariant {
    /// The variant's name.
    pub name: String,
    /// What it changes, in words.
    pub description: String,
    /// The overridden keys, as written (`agency.uk.watch_staff`).
    pub keys: Vec<String>,
    /// The scenario with the overrides applied (named after the variant).
    pub scenario: Scenario,
}

/// Keys a variant may not change, and why.
const FIXED: [(&str, &str); 4] = [
    ("name", "a variant has its own name in [[variant]] name"),
    (
        "experiment.seed",
        "a variant runs with the base's seed, so that both share their random draws (common random numbers)",
    ),
    (
        "experiment.replications",
        "a variant runs the base's replications, so that each pairs with the base's replication of the same number",
    ),
    ("variant", "variants do not nest"),
];

/// The elements of an array of tables are known by one of these keys.
const ID_KEYS: [&str; 3] = ["id", "name", "class"];

/// One dotted key set to a value, with where it is written.
pub(super) struct Override {
    /// The dotted path, e.g. `agency.uk.watch_staff`.
    pub key: String,
    /// Where the value (or its key) is written.
    pub span: Range<usize>,
    /// The value.
    pub value: Value,
    /// How an error names it after the table's label, e.g. `set."agency.uk.watch_staff"`.
    pub written: String,
}

/// Validates the variants of a scenario whose base is valid; `text` is the file.
pub(super) fn variants(
    raw: Vec<Spanned<RawVariant>>,
    base: &Scenario,
    source: &Source<'_>,
) -> Result<Vec<ScenarioVariant>, ScenarioErrors> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let doc = base_document(source)?;
    let mut names: Vec<String> = Vec::new();
    for v in raw {
        let v = v.into_inner();
        let name = v.name.get_ref().trim().to_string();
        let label = format!("[[variant]] \"{name}\"");
        // Like other names: short, no control characters, nothing a spreadsheet reads
        // as a formula first.
        let ok_name = !name.is_empty()
            && name.chars().count() <= crate::scenario::validate::MAX_NAME_CHARS
            && !name.starts_with('-')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !ok_name {
            errors.push(source.error(
                Some(v.name.span()),
                Some("name"),
                format!(
                    "{} is not a usable variant name; expected at most {} letters, digits, '-', '_' or '.', not starting with '-', e.g. \"brazil-joins\"",
                    crate::error::excerpt(v.name.get_ref(), 40),
                    crate::scenario::validate::MAX_NAME_CHARS
                ),
            ));
            continue;
        }
        if name == base.name || names.contains(&name) {
            errors.push(source.error(
                Some(v.name.span()),
                Some("name"),
                format!(
                    "variant \"{name}\" is named twice (or like the scenario); expected a name of its own"
                ),
            ));
            continue;
        }
        names.push(name.clone());
        let mut overrides: Vec<Override> = v
            .set
            .map(|s| {
                s.into_inner()
                    .into_iter()
                    .map(|(k, value)| Override {
                        written: format!("set.\"{}\"", k.get_ref()),
                        key: k.get_ref().clone(),
                        span: k.span(),
                        value,
                    })
                    .collect()
            })
            .unwrap_or_default();
        overrides.sort_by_key(|o| o.span.start);
        if overrides.is_empty() {
            errors.push(source.error(
                Some(v.name.span()),
                Some("set"),
                format!(
                    "variant \"{name}\" changes nothing; expected set = {{ \"<table>.<key>\" = <value>, ... }}, e.g. set = {{ \"agency.uk.watch_staff\" = 3 }}"
                ),
            ));
            continue;
        }
        let keys = overrides.iter().map(|o| o.key.clone()).collect();
        match overridden(&doc, &overrides, &name, &v.description, &label, source) {
            Ok(s) => out.push(ScenarioVariant {
                name,
                description: v.description,
                keys,
                scenario: s,
            }),
            Err(found) => errors.extend(found),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioErrors(errors))
    }
}

/// The scenario of `doc` (the file as written, without its variants) with
/// `overrides` applied and named `name`, validated; each error points at the override
/// it most likely comes from, under `label` (e.g. `[[variant]] "x"`).
pub(super) fn overridden(
    doc: &Table,
    overrides: &[Override],
    name: &str,
    description: &str,
    label: &str,
    source: &Source<'_>,
) -> Result<Scenario, Vec<ScenarioError>> {
    let at = |o: &Override, message: String| {
        let mut e = source.error(Some(o.span.clone()), None, message);
        e.key = format!("{label} {}", o.written);
        e
    };
    let mut merged = doc.clone();
    let mut errors = Vec::new();
    for o in overrides {
        if let Err(message) = apply(&mut merged, &o.key, o.value.clone()) {
            errors.push(at(o, message));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    merged.insert("name".into(), Value::String(name.to_string()));
    if !description.is_empty() {
        merged.insert("description".into(), Value::String(description.to_string()));
    }
    let text = toml::to_string(&merged).expect("a TOML table serialises");
    Scenario::from_toml(&text, source.path).map_err(|ScenarioErrors(found)| {
        found
            .into_iter()
            .map(|e| {
                let o = blame(overrides, &e);
                at(
                    o,
                    format!(
                        "with this override the scenario is invalid: {}{}",
                        if e.key.is_empty() {
                            String::new()
                        } else {
                            format!("{}: ", e.key)
                        },
                        e.message
                    ),
                )
            })
            .collect()
    })
}

/// The scenario file as a TOML document without the tables that hold other versions
/// of it (`[[variant]]`, `[[sensitivity]]`) or searches over it (`[optimise]`): the
/// base that overrides apply to.
pub(super) fn base_document(source: &Source<'_>) -> Result<Table, ScenarioErrors> {
    let mut doc: Table = toml::from_str(source.text).map_err(|e: toml::de::Error| {
        ScenarioErrors(vec![source.error(e.span(), None, e.message().to_string())])
    })?;
    for table in ["variant", "sensitivity", "optimise"] {
        doc.remove(table);
    }
    Ok(doc)
}

/// The override an error of the merged scenario most likely comes from: the one whose
/// path shares the most words with the error's key (the first on a tie).
fn blame<'a>(overrides: &'a [Override], e: &ScenarioError) -> &'a Override {
    let words: Vec<String> = e
        .key
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let score = |o: &Override| {
        o.key
            .split('.')
            .filter(|s| words.iter().any(|w| w == &s.to_lowercase()))
            .count()
    };
    let mut best = &overrides[0];
    for o in overrides {
        if score(o) > score(best) {
            best = o;
        }
    }
    best
}

/// Sets `path` (dotted) to `value` in the document; the message says what is wrong.
fn apply(doc: &mut Table, path: &str, value: Value) -> Result<(), String> {
    for (fixed, why) in FIXED {
        if path == fixed || path.starts_with(&format!("{fixed}.")) {
            return Err(format!("{path} cannot be overridden: {why}"));
        }
    }
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.trim().is_empty()) {
        return Err(format!(
            "{path:?} is not a dotted key; expected names joined by dots, e.g. \"referral.international\""
        ));
    }
    set(doc, &segments, value, "")
}

fn set(table: &mut Table, segments: &[&str], value: Value, done: &str) -> Result<(), String> {
    let (first, rest) = segments.split_first().expect("at least one segment");
    let here = if done.is_empty() {
        (*first).to_string()
    } else {
        format!("{done}.{first}")
    };
    // The roster and the schedules are arrays of tables even when the base has none.
    let arrays = ["agency", "schedule"];
    if rest.is_empty() {
        if arrays.contains(first) && done.is_empty() {
            return Err(format!(
                "{here} is a list of tables; expected {here}.<id or name>.<key>, e.g. agency.uk.watch_staff"
            ));
        }
        match (table.get_mut(*first), value) {
            (Some(Value::Table(old)), Value::Table(new)) => {
                for (k, v) in new {
                    old.insert(k, v);
                }
            }
            (_, value) => {
                table.insert((*first).to_string(), value);
            }
        }
        return Ok(());
    }
    if arrays.contains(first) && done.is_empty() && !table.contains_key(*first) {
        table.insert((*first).to_string(), Value::Array(Vec::new()));
    }
    match table
        .entry((*first).to_string())
        .or_insert_with(|| Value::Table(Table::new()))
    {
        Value::Table(t) => set(t, rest, value, &here),
        Value::Array(items) if items.iter().all(Value::is_table) => {
            let (id, rest) = rest.split_first().expect("non-empty");
            let known = |t: &Table| {
                ID_KEYS.iter().find_map(|k| {
                    t.get(*k)
                        .and_then(Value::as_str)
                        .map(|s| (*k, s.to_string()))
                })
            };
            let position = items
                .iter()
                .position(|v| v.as_table().and_then(known).is_some_and(|(_, s)| s == *id));
            let element = format!("{here}.{id}");
            match (position, rest.is_empty(), value) {
                (Some(i), true, Value::Table(new)) => {
                    let old = items[i].as_table_mut().expect("a table");
                    for (k, v) in new {
                        old.insert(k, v);
                    }
                    Ok(())
                }
                (Some(_), true, _) => Err(format!(
                    "{element} is a table; expected a table of its keys, e.g. {{ watch_staff = 3 }}, or a key below it"
                )),
                (Some(i), false, value) => set(
                    items[i].as_table_mut().expect("a table"),
                    rest,
                    value,
                    &element,
                ),
                (None, true, Value::Table(mut new)) => {
                    let key = match *first {
                        "agency" => "id",
                        "severity" => "class",
                        _ => "name",
                    };
                    new.entry(key.to_string())
                        .or_insert_with(|| Value::String((*id).to_string()));
                    items.push(Value::Table(new));
                    Ok(())
                }
                (None, _, _) => {
                    let ids: Vec<String> = items
                        .iter()
                        .filter_map(|v| v.as_table().and_then(known).map(|(_, s)| s))
                        .collect();
                    Err(format!(
                        "{here} has no element \"{id}\"; expected one of: {} (or \"{element}\" = {{ ... }} to add one)",
                        ids.join(", ")
                    ))
                }
            }
        }
        _ => Err(format!(
            "{here} is a value, not a table; expected \"{here}\" = <value>"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        toml::from_str(
            r#"
[referral]
domestic = "const(10m)"
[incidents]
severity = [ { class = "urgent", share = 0.3 }, { class = "routine", share = 0.7 } ]
[[agency]]
id = "uk"
watch_staff = 2
desk = { open = "08:00", close = "18:00" }
[[schedule]]
name = "fts"
kind = "follow_the_sun"
"#,
        )
        .unwrap()
    }

    fn agency<'a>(d: &'a Table, id: &str) -> &'a Table {
        d["agency"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_table().unwrap())
            .find(|t| t["id"].as_str() == Some(id))
            .unwrap()
    }

    #[test]
    fn dotted_paths_reach_tables_and_elements_by_id_name_or_class() {
        let mut d = doc();
        apply(&mut d, "agency.uk.watch_staff", Value::Integer(3)).unwrap();
        apply(
            &mut d,
            "agency.uk.desk.close",
            Value::String("20:00".into()),
        )
        .unwrap();
        apply(
            &mut d,
            "referral.international",
            Value::String("const(1d)".into()),
        )
        .unwrap();
        apply(&mut d, "decision.margin", Value::Float(2.0)).unwrap();
        apply(&mut d, "incidents.severity.urgent.share", Value::Float(0.4)).unwrap();
        apply(&mut d, "schedule.fts.anchor", Value::String("utc".into())).unwrap();
        let uk = agency(&d, "uk");
        assert_eq!(uk["watch_staff"].as_integer(), Some(3));
        assert_eq!(uk["desk"]["close"].as_str(), Some("20:00"));
        assert_eq!(uk["desk"]["open"].as_str(), Some("08:00"));
        assert_eq!(d["referral"]["domestic"].as_str(), Some("const(10m)"));
        assert_eq!(d["decision"]["margin"].as_float(), Some(2.0));
        let urgent = &d["incidents"]["severity"].as_array().unwrap()[0];
        assert_eq!(urgent["share"].as_float(), Some(0.4));
        assert_eq!(
            d["schedule"].as_array().unwrap()[0]["anchor"].as_str(),
            Some("utc")
        );
    }

    #[test]
    fn a_new_element_is_appended_with_its_id_and_an_unknown_one_is_refused() {
        let mut d = doc();
        let mut br = Table::new();
        br.insert("tz".into(), Value::String("America/Sao_Paulo".into()));
        apply(&mut d, "agency.br", Value::Table(br)).unwrap();
        assert_eq!(agency(&d, "br")["tz"].as_str(), Some("America/Sao_Paulo"));
        let e = apply(&mut d, "agency.zz.watch_staff", Value::Integer(1)).unwrap_err();
        assert!(
            e.contains("no element \"zz\"") && e.contains("uk, br"),
            "{e}"
        );
        let e = apply(&mut d, "agency", Value::Integer(1)).unwrap_err();
        assert!(e.contains("list of tables"), "{e}");
        let e = apply(&mut d, "referral.domestic.mean", Value::Integer(1)).unwrap_err();
        assert!(e.contains("is a value, not a table"), "{e}");
        let e = apply(&mut d, "experiment.seed", Value::Integer(1)).unwrap_err();
        assert!(e.contains("cannot be overridden"), "{e}");
        let e = apply(&mut d, "watch..triage", Value::Integer(1)).unwrap_err();
        assert!(e.contains("not a dotted key"), "{e}");
    }
}
