//! The theme taxonomy and the rules' cue phrases, loaded from one editable TOML file.
//!
//! The default, `taxonomy.toml` at the project root, is compiled in; `--taxonomy FILE`
//! loads a user's copy. A bad file is an error naming the file and the line, both for
//! TOML syntax and for semantic mistakes (unknown field, empty cue, duplicate theme id,
//! a theme with no cues, a threshold out of range).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;
use toml::Spanned;

use crate::text::normalise_text;

/// The bundled taxonomy file.
pub const DEFAULT_TOML: &str = include_str!("../taxonomy.toml");

/// A checked taxonomy: themes, stance cue lists, grade words, weights and thresholds.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// The `version` the file states (kept in the heads' card).
    pub version: String,
    /// The stated version and the first 12 hex digits of the SHA-256 of the file's bytes:
    /// changes whenever the file does, whether or not anyone raised `version`, so that
    /// stored labels are redone (see `store`).
    pub fingerprint: String,
    pub thresholds: Thresholds,
    pub weights: StanceWeights,
    pub stance: StanceCues,
    pub grades: GradeWords,
    pub themes: Vec<Theme>,
}

/// Numbers that shape the rules' decisions (see the comments in taxonomy.toml).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// A theme is given only when its score reaches this, in [0, 1].
    pub min_theme_score: f32,
    /// The summed cue weight at which a theme's score is 1 - 1/e (about 0.63).
    pub theme_saturation: f32,
    /// Weight of a theme's `weak_cues` relative to its `cues` (which weigh 1).
    pub weak_cue_weight: f32,
    /// Theme cues in the neighbouring sentences count this much of their weight.
    pub neighbour_theme_weight: f32,
    /// How many words before a strength cue a negation may stand and still turn it round.
    pub negation_window: usize,
    /// At most this many strength cues count towards strength.
    pub max_strength_cues: usize,
    /// A text of at most this many words, or with no final full stop and few words, is a
    /// fragment (heading, table cell): `context`, no themes.
    pub fragment_max_words: usize,
    /// The stance of a sentence on which no cue fires.
    pub default_stance: String,
}

/// How much each kind of evidence adds to a stance's score.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StanceWeights {
    pub strength_cue: f32,
    pub weakness_cue: f32,
    pub hedge: f32,
    pub negated_strength: f32,
    pub reversed_weakness: f32,
    pub recommendation_cue: f32,
    pub improvement_list: f32,
    pub improvement_section: f32,
    pub recommendation_opener: f32,
    pub improvement_item: f32,
    pub heading_before: f32,
    pub no_full_stop: f32,
    pub context_cue: f32,
    pub history: f32,
    pub grade_positive: f32,
    pub grade_negative: f32,
    pub default_stance: f32,
}

/// Cue lists for stance, all lower case, matched on word boundaries.
#[derive(Debug, Clone, Default)]
pub struct StanceCues {
    pub strength: Vec<String>,
    pub weakness: Vec<String>,
    pub recommendation: Vec<String>,
    pub context: Vec<String>,
    /// Qualifiers that turn a positive finding into a weakness ("not always", "most").
    pub hedges: Vec<String>,
    /// Words that turn round a strength cue that follows them closely ("not", "no").
    pub negations: Vec<String>,
    /// Words that turn round a weakness cue that follows them closely ("avoid", "reduce").
    pub reversers: Vec<String>,
    /// Phrases that only mask the shorter cues inside them ("as well as").
    pub neutral: Vec<String>,
    /// Markers of a past inspection's findings ("at the last inspection", "was judged").
    pub history: Vec<String>,
    /// Heading words that start an improvement list ("what needs to improve").
    pub improvement_headings: Vec<String>,
    /// Imperatives that open a recommendation; count only at the start of a sentence.
    pub recommendation_openers: Vec<String>,
    /// Noun phrases that open an improvement-list item; count only at the start of a
    /// sentence whose main clause holds no finite verb.
    pub item_openers: Vec<String>,
    /// Finite verbs: their presence in the main clause makes a sentence a statement.
    pub finite_verbs: Vec<String>,
    /// Where the main clause ends (",", "which", "to ensure").
    pub clause_breaks: Vec<String>,
}

/// Grade words: positive ones add to strength, negative ones to weakness.
#[derive(Debug, Clone, Default)]
pub struct GradeWords {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Phrases that on their own say the sentence is about the theme.
    pub cues: Vec<String>,
    /// Phrases that hint at the theme; weigh `weak_cue_weight` each.
    pub weak_cues: Vec<String>,
}

// The file as written, with spans so that semantic errors can name a line.

type Cues = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxonomy {
    version: Spanned<String>,
    thresholds: Spanned<Thresholds>,
    weights: StanceWeights,
    stance: RawStanceCues,
    grades: RawGradeWords,
    #[serde(rename = "theme")]
    themes: Vec<RawTheme>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStanceCues {
    strength: Cues,
    weakness: Cues,
    recommendation: Cues,
    context: Cues,
    hedges: Cues,
    neutral: Cues,
    reversers: Cues,
    negations: Cues,
    history: Cues,
    improvement_headings: Cues,
    recommendation_openers: Cues,
    item_openers: Cues,
    finite_verbs: Cues,
    clause_breaks: Cues,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGradeWords {
    positive: Cues,
    negative: Cues,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    id: Spanned<String>,
    name: String,
    description: String,
    cues: Cues,
    #[serde(default)]
    weak_cues: Option<Cues>,
}

/// Turns byte offsets into "origin, line N: message" errors.
struct Checker<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Checker<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text[..end].matches('\n').count() + 1
    }

    fn error(&self, offset: usize, message: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{}, line {}: {message}", self.origin, self.line_of(offset))
    }

    /// Checks a cue list and returns it normalised the way sentences are (see
    /// [`normalise_text`](crate::text::normalise_text)). `allow_empty_list` is for lists a user may leave empty.
    fn cues(&self, what: &str, cues: &Cues, allow_empty_list: bool) -> Result<Vec<String>> {
        if cues.get_ref().is_empty() && !allow_empty_list {
            return Err(self.error(cues.span().start, format!("{what} has no cues")));
        }
        let mut seen = BTreeMap::new();
        let mut out = Vec::with_capacity(cues.get_ref().len());
        for cue in cues.get_ref() {
            let normalised = normalise_text(cue.get_ref());
            let start = cue.span().start;
            if normalised.trim_end_matches('*').is_empty() {
                return Err(self.error(start, format!("{what} has an empty cue")));
            }
            if normalised.contains('*') && !normalised.ends_with('*') || normalised.ends_with("**")
            {
                return Err(self.error(
                    start,
                    format!(
                        "cue {:?} in {what}: '*' is allowed only once, at the end",
                        cue.get_ref()
                    ),
                ));
            }
            if let Some(first) = seen.insert(normalised.clone(), start) {
                return Err(self.error(
                    start,
                    format!(
                        "cue {:?} in {what} repeats the cue on line {}",
                        cue.get_ref(),
                        self.line_of(first)
                    ),
                ));
            }
            out.push(normalised);
        }
        Ok(out)
    }

    /// The thresholds, checked: scores in range, a known default stance.
    fn thresholds(&self, raw: Spanned<Thresholds>) -> Result<Thresholds> {
        let thresholds_at = raw.span().start;
        let thresholds = raw.into_inner();
        if !(0.0..=1.0).contains(&thresholds.min_theme_score) {
            return Err(self.error(thresholds_at, "min_theme_score must be in [0, 1]"));
        }
        if thresholds.theme_saturation <= 0.0 {
            return Err(self.error(thresholds_at, "theme_saturation must be above 0"));
        }
        if crate::types::Stance::parse(&thresholds.default_stance).is_none() {
            return Err(self.error(
                thresholds_at,
                format!(
                    "default_stance {:?} is not strength, weakness, recommendation or context",
                    thresholds.default_stance
                ),
            ));
        }
        Ok(thresholds)
    }

    /// The stance cue lists, each checked.
    fn stance_cues(&self, s: &RawStanceCues) -> Result<StanceCues> {
        Ok(StanceCues {
            strength: self.cues("stance.strength", &s.strength, false)?,
            weakness: self.cues("stance.weakness", &s.weakness, false)?,
            recommendation: self.cues("stance.recommendation", &s.recommendation, false)?,
            context: self.cues("stance.context", &s.context, true)?,
            hedges: self.cues("stance.hedges", &s.hedges, true)?,
            negations: self.cues("stance.negations", &s.negations, true)?,
            reversers: self.cues("stance.reversers", &s.reversers, true)?,
            neutral: self.cues("stance.neutral", &s.neutral, true)?,
            history: self.cues("stance.history", &s.history, true)?,
            improvement_headings: self.cues(
                "stance.improvement_headings",
                &s.improvement_headings,
                true,
            )?,
            recommendation_openers: self.cues(
                "stance.recommendation_openers",
                &s.recommendation_openers,
                true,
            )?,
            item_openers: self.cues("stance.item_openers", &s.item_openers, true)?,
            finite_verbs: self.cues("stance.finite_verbs", &s.finite_verbs, true)?,
            clause_breaks: self.cues("stance.clause_breaks", &s.clause_breaks, true)?,
        })
    }

    /// The themes, checked: well-formed, unique ids and non-empty cue lists.
    fn themes(&self, raw: &[RawTheme]) -> Result<Vec<Theme>> {
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut themes = Vec::with_capacity(raw.len());
        for raw_theme in raw {
            let id = raw_theme.id.get_ref();
            let at = raw_theme.id.span().start;
            let well_formed = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_formed {
                return Err(self.error(
                    at,
                    format!("theme id {id:?} must be lower-case letters, digits and '_'"),
                ));
            }
            if let Some(first) = ids.insert(id.clone(), at) {
                return Err(self.error(
                    at,
                    format!(
                        "theme id {id:?} appears twice (first on line {})",
                        self.line_of(first)
                    ),
                ));
            }
            let what = format!("theme {id}");
            let cues = self.cues(&format!("{what} cues"), &raw_theme.cues, false)?;
            let weak_cues = match &raw_theme.weak_cues {
                Some(list) => self.cues(&format!("{what} weak_cues"), list, true)?,
                None => Vec::new(),
            };
            themes.push(Theme {
                id: id.clone(),
                name: raw_theme.name.clone(),
                description: raw_theme.description.clone(),
                cues,
                weak_cues,
            });
        }
        Ok(themes)
    }
}

/// The dotted key of the first NaN or infinite number in `table` (thresholds, weights or any
/// other), with the value: such a number makes every score NaN, so no theme is ever given.
fn first_non_finite(table: &toml::Table, prefix: &str) -> Option<(String, f64)> {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let found = match value {
            toml::Value::Float(f) if !f.is_finite() => Some((path, *f)),
            toml::Value::Table(inner) => first_non_finite(inner, &path),
            toml::Value::Array(items) => items.iter().find_map(|item| match item {
                toml::Value::Float(f) if !f.is_finite() => Some((path.clone(), *f)),
                toml::Value::Table(inner) => first_non_finite(inner, &path),
                _ => None,
            }),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The byte offset of the first line that sets `key` to a NaN or infinite number (for the
/// error's line number), or 0.
fn offset_of_key(text: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((name, value)) = line.split_once('=') {
            let value = value.trim().to_ascii_lowercase();
            let names_key = name.trim().trim_matches('"') == key;
            if names_key && (value.contains("nan") || value.contains("inf")) {
                return offset;
            }
        }
        offset += line.len();
    }
    0
}

impl Taxonomy {
    /// The bundled taxonomy.
    pub fn bundled() -> Taxonomy {
        Taxonomy::parse(DEFAULT_TOML, "taxonomy.toml").expect("the bundled taxonomy is valid")
    }

    pub fn load(path: &Path) -> Result<Taxonomy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read taxonomy file {}", path.display()))?;
        Taxonomy::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a taxonomy; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Taxonomy> {
        let check = Checker { text, origin };
        let raw: RawTaxonomy = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => check.error(span.start, e.message()),
            None => anyhow::anyhow!("{origin}: {}", e.message()),
        })?;

        if let Some((key, value)) = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|table| first_non_finite(&table, ""))
        {
            let leaf = key.rsplit('.').next().unwrap_or(&key);
            return Err(check.error(
                offset_of_key(text, leaf),
                format!("{key} is {value}, not a finite number"),
            ));
        }
        if raw.version.get_ref().trim().is_empty() {
            return Err(check.error(raw.version.span().start, "version is empty"));
        }
        let thresholds = check.thresholds(raw.thresholds)?;

        let stance = check.stance_cues(&raw.stance)?;
        let grades = GradeWords {
            positive: check.cues("grades.positive", &raw.grades.positive, true)?,
            negative: check.cues("grades.negative", &raw.grades.negative, true)?,
        };

        let themes = check.themes(&raw.themes)?;
        if themes.is_empty() {
            return Err(anyhow::anyhow!("{origin}: the file defines no [[theme]]"));
        }

        let version = raw.version.into_inner();
        let fingerprint = format!(
            "{version} sha256:{}",
            &crate::files::sha256_hex(text.as_bytes())[..12]
        );
        Ok(Taxonomy {
            version,
            fingerprint,
            thresholds,
            weights: raw.weights,
            stance,
            grades,
            themes,
        })
    }

    pub fn theme_ids(&self) -> impl Iterator<Item = &str> {
        self.themes.iter().map(|t| t.id.as_str())
    }

    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }

    /// The stance of a sentence on which no cue fires.
    pub fn default_stance(&self) -> crate::types::Stance {
        crate::types::Stance::parse(&self.thresholds.default_stance)
            .expect("checked when the taxonomy was parsed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with the value of `key` in `[section]` replaced by `value`.
    fn with_value(text: &str, section: &str, key: &str, value: &str) -> (String, usize) {
        let start = text.find(&format!("\n[{section}]")).expect("section") + 1;
        let mut offset = start;
        for line in text[start..].split_inclusive('\n') {
            if line.split('=').next().unwrap().trim() == key {
                let edited = format!(
                    "{}{key} = {value}\n{}",
                    &text[..offset],
                    &text[offset + line.len()..]
                );
                return (edited, text[..offset].matches('\n').count() + 1);
            }
            offset += line.len();
        }
        panic!("no {key} in [{section}]");
    }

    #[test]
    fn every_nan_or_infinite_number_is_refused_naming_its_key_and_line() {
        let table: toml::Table = DEFAULT_TOML.parse().unwrap();
        let mut checked = 0;
        for section in ["thresholds", "weights"] {
            for (key, value) in table[section].as_table().unwrap() {
                if !value.is_float() {
                    continue;
                }
                for bad in ["nan", "inf", "-inf"] {
                    let (text, line) = with_value(DEFAULT_TOML, section, key, bad);
                    let err = format!("{:#}", Taxonomy::parse(&text, "my.toml").unwrap_err());
                    let expected = format!("my.toml, line {line}: {section}.{key} is");
                    assert!(err.contains(&expected), "{expected}: {err}");
                    assert!(err.contains("not a finite number"), "{err}");
                }
                checked += 1;
            }
        }
        assert!(checked > 15, "{checked} numbers checked");
    }
}
