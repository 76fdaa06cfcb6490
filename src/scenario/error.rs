//! Errors in a scenario file, each pinned to a file, line, column and key.

use std::fmt;
use std::ops::Range;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The file, as the user named it.
    pub path: String,
    /// 1-based line (0 when the problem is not at one place, e.g. an unreadable file).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Where in the file's structure: `[incidents] rate`, `[[agency]] #2 (uk) desk.close`.
    pub key: String,
    /// What was wrong and what is accepted.
    pub message: String,
    /// The offending source line, for display.
    pub snippet: Option<(String, usize, usize)>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.path)?;
        } else {
            write!(f, "{}:{}:{}: ", self.path, self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if let Some((text, start, len)) = &self.snippet {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            write!(
                f,
                "\n {pad} |\n {number} | {text}\n {pad} | {}{}",
                " ".repeat(*start),
                "^".repeat((*len).max(1))
            )?;
        }
        Ok(())
    }
}

/// The longest source line an error shows whole; longer ones are cut around the
/// offending place (a 20 KB line repeated under each of its errors grows quadratically).
const SNIPPET_CHARS: usize = 120;

/// `line` cut to at most [`SNIPPET_CHARS`] characters around the `len` characters from
/// column `start` (0-based), with the underline's new start and length.
fn excerpt(line: &str, start: usize, len: usize) -> (String, usize, usize) {
    // Control characters (terminal escapes) never reach the terminal: each shows as
    // one replacement character, so that the underline still lines up.
    let clean: String = line
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    let line = clean.as_str();
    let chars = line.chars().count();
    if chars <= SNIPPET_CHARS {
        return (line.to_string(), start, len);
    }
    let from = start.saturating_sub(SNIPPET_CHARS / 3);
    let to = (from + SNIPPET_CHARS).min(chars);
    let mut text: String = line.chars().skip(from).take(to - from).collect();
    let mut at = start - from;
    if from > 0 {
        text.insert(0, '…');
        at += 1;
    }
    if to < chars {
        text.push('…');
    }
    let len = len.min(to.saturating_sub(start)).max(1);
    (text, at, len)
}

/// At most this many distinct errors are shown; the rest are counted.
pub const MAX_ERRORS_SHOWN: usize = 50;

/// All the problems found in one scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    /// Each distinct error (same key and message) once, at its first place, with a
    /// count of its repeats; at most [`MAX_ERRORS_SHOWN`] of them, then how many more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut groups: Vec<(&ScenarioError, usize)> = Vec::new();
        let mut index: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        for e in &self.0 {
            match index.entry((e.key.as_str(), e.message.as_str())) {
                std::collections::hash_map::Entry::Occupied(o) => groups[*o.get()].1 += 1,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(groups.len());
                    groups.push((e, 0));
                }
            }
        }
        for (i, (e, repeats)) in groups.iter().take(MAX_ERRORS_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
            if *repeats > 0 {
                let s = if *repeats == 1 { "" } else { "s" };
                write!(
                    f,
                    "\n  (the same error {repeats} more time{s} in this file)"
                )?;
            }
        }
        if groups.len() > MAX_ERRORS_SHOWN {
            let more: usize = groups[MAX_ERRORS_SHOWN..].iter().map(|(_, r)| r + 1).sum();
            let s = if more == 1 { "" } else { "s" };
            write!(f, "\n… and {more} more error{s} (fix the ones above first)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// A scenario's text with its name, able to turn byte spans into lines, columns and keys.
pub(crate) struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at `span`; `key` names the key, or is worked out from the text.
    pub fn error(
        &self,
        span: Option<Range<usize>>,
        key: Option<&str>,
        message: String,
    ) -> ScenarioError {
        let Some(span) = span else {
            return ScenarioError {
                path: self.path.to_string(),
                line: 0,
                column: 0,
                key: key.unwrap_or_default().to_string(),
                message,
                snippet: None,
            };
        };
        let start = span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line = self.text[..start].matches('\n').count() + 1;
        let line_text = &self.text[line_start..line_end];
        let column = self.text[line_start..start].chars().count() + 1;
        let len = self.text[start..span.end.min(line_end).max(start)]
            .chars()
            .count();
        // An error on a table header (an unknown or repeated table) is about that table,
        // not the one before it.
        let header = line_text.trim();
        let on_header = header.starts_with('[') && !header.contains('=');
        let path = if on_header {
            String::new()
        } else {
            self.table_path(line_start)
        };
        let key = match key {
            Some(k) => format!("{path}{}{k}", if path.is_empty() { "" } else { " " }),
            None => {
                let prefix = &self.text[line_start..start];
                // An error at a key itself (an unknown field) names the enclosing keys
                // and that key.
                let at = &self.text[start..span.end.clamp(start, line_end)];
                let inferred = if is_bare_key(at)
                    && self.text[start + at.len()..].trim_start().starts_with('=')
                {
                    let parent = key_before(enclosing(prefix));
                    if parent.is_empty() {
                        at.to_string()
                    } else {
                        format!("{parent}.{at}")
                    }
                } else {
                    key_before(prefix)
                };
                let inferred = if on_header {
                    header
                        .split('#')
                        .next()
                        .unwrap_or(header)
                        .trim()
                        .to_string()
                } else {
                    inferred
                };
                match (path.is_empty(), inferred.is_empty()) {
                    (true, _) => inferred,
                    (false, true) => path,
                    (false, false) => format!("{path} {inferred}"),
                }
            }
        };
        ScenarioError {
            path: self.path.to_string(),
            line,
            column,
            key,
            message,
            snippet: Some(excerpt(line_text.trim_end(), column - 1, len)),
        }
    }

    /// The table header in force at byte `pos`: `[incidents]`, or `[[agency]] #2 (uk)`.
    fn table_path(&self, pos: usize) -> String {
        let before = &self.text[..pos];
        let mut header = None;
        let mut header_at = 0;
        for (offset, line) in line_offsets(before) {
            let t = line.trim();
            if t.starts_with('[') && !t.starts_with("[ ") && t.contains(']') && !t.contains('=') {
                header = Some(t.split('#').next().unwrap_or(t).trim().to_string());
                header_at = offset;
            }
        }
        let Some(header) = header else {
            return String::new();
        };
        if let Some(name) = header.strip_prefix("[[").and_then(|h| h.strip_suffix("]]")) {
            let index = line_offsets(before)
                .filter(|(_, l)| l.trim().starts_with(&format!("[[{name}]]")))
                .count();
            // Name the element by its id or name when it has one, as users know it by that.
            let body_end = self.text[header_at..]
                .find("\n[")
                .map_or(self.text.len(), |i| header_at + i);
            let label = line_offsets(&self.text[header_at..body_end])
                .filter_map(|(_, l)| {
                    let (k, v) = l.split_once('=')?;
                    let k = k.trim();
                    (k == "id" || k == "name").then(|| v.trim().trim_matches('"').to_string())
                })
                .next();
            match label {
                Some(l) => format!("[[{name}]] #{index} ({l})"),
                None => format!("[[{name}]] #{index}"),
            }
        } else {
            header
        }
    }
}

fn line_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n').scan(0, |offset, line| {
        let start = *offset;
        *offset += line.len() + 1;
        Some((start, line))
    })
}

/// Whether `text` is a bare TOML key such as `rate` or `watch_staff`.
fn is_bare_key(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `prefix` up to and including its innermost unclosed `{` or `[` (empty when none).
fn enclosing(prefix: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in prefix.char_indices().rev() {
        match c {
            '}' | ']' => depth += 1,
            '{' | '[' if depth == 0 => return &prefix[..=i],
            '{' | '[' => depth -= 1,
            _ => {}
        }
    }
    ""
}

/// The dotted key whose value starts right after `prefix` on a line: `rate` for
/// `rate = `, `desk.close` for `desk = { open = "08:00", close = `.
fn key_before(prefix: &str) -> String {
    let mut keys = Vec::new();
    let mut depth = 0i32;
    let bytes: Vec<char> = prefix.chars().collect();
    let mut i = bytes.len();
    let mut want_key = true;
    while i > 0 {
        i -= 1;
        let c = bytes[i];
        match c {
            '}' | ']' => depth += 1,
            '{' | '[' => {
                if depth == 0 {
                    // The value of the key before this bracket holds the position.
                    want_key = true;
                } else {
                    depth -= 1;
                }
            }
            '=' if depth == 0 && want_key => {
                let end = i;
                let mut j = end;
                while j > 0 && bytes[j - 1] == ' ' {
                    j -= 1;
                }
                let key_end = j;
                while j > 0 && (bytes[j - 1].is_alphanumeric() || "_-.\"".contains(bytes[j - 1])) {
                    j -= 1;
                }
                let key: String = bytes[j..key_end].iter().collect();
                if !key.is_empty() {
                    keys.push(key.trim_matches('"').to_string());
                }
                want_key = false;
                i = j;
            }
            _ => {}
        }
    }
    keys.reverse();
    keys.join(".")
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The "did you mean" tail of an error message: `; did you mean "rate"?` when one of
/// `candidates` is close to the misspelt `word`, else nothing. Every message that
/// suggests a name uses it (serde's own messages, which quote names in backticks, are
/// completed in the same spirit when the file is parsed).
pub(crate) fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|s| format!("; did you mean \"{s}\"?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_before_values() {
        assert_eq!(key_before("rate = "), "rate");
        assert_eq!(
            key_before("desk = { open = \"08:00\", close = "),
            "desk.close"
        );
        assert_eq!(
            key_before("severity = [ { class = \"a\", share = 0.5 }, { class = \"b\", share = "),
            "severity.share"
        );
        assert_eq!(key_before("weekday = [1, 1, "), "weekday");
        assert_eq!(
            key_before(enclosing("desk = { open = \"08:00\", close = \"18:00\", ")),
            "desk"
        );
        assert_eq!(enclosing("rat"), "");
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(
            did_you_mean("rat", ["rate", "file", "profile"]),
            Some("rate")
        );
        assert_eq!(
            did_you_mean("Europe/Londn", ["Europe/London", "Asia/Tokyo"]),
            Some("Europe/London")
        );
        assert_eq!(did_you_mean("zzz", ["rate"]), None);
        assert_eq!(hint("uk ", ["us", "uk"]), "; did you mean \"uk\"?");
        assert_eq!(hint("zzz", ["rate"]), "");
    }
}
