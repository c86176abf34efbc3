//! The rules classifier: cue phrases from the taxonomy, negation, hedges, grade words,
//! past-inspection history and structure (improvement lists and their headings).
//!
//! Transparent by design: every label's evidence lists the cues that fired, and every
//! number that shapes a decision lives in `taxonomy.toml`.
//!
//! How a sentence is labelled:
//! 1. The text is normalised ([`normalise_text`]) and every cue of the taxonomy is found in
//!    one pass of a single Aho-Corasick automaton, compiled once in [`RulesClassifier::new`].
//!    A hit counts only on word boundaries; a cue also matches its plural or possessive,
//!    and a cue ending in '*' matches any word ending.
//! 2. Among stance cues, a hit inside a longer stance hit is dropped ("good" inside
//!    "requires improvement to be good", "should" inside "should have").
//! 3. A strength cue with a negation a few words before it counts for weakness.
//! 4. Each stance gets a raw score, the weighted sum of its evidence (`[weights]`); the
//!    highest wins and the softmax of the raw scores gives `stance_score`.
//! 5. Each theme's score is `1 - exp(-hits / theme_saturation)`, where hits add the
//!    sentence's own cue weights and `neighbour_theme_weight` times its neighbours'; themes
//!    at or above
//!    `min_theme_score` are kept, at most three, highest first.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::classify::{Classifier, MAX_THEMES};
use crate::taxonomy::Taxonomy;
use crate::text::normalise_text;
use crate::types::{Label, SentenceInput, Stance, ThemeScore};

/// What a cue is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueKind {
    Strength,
    Weakness,
    Recommendation,
    Context,
    Hedge,
    Negation,
    /// Turns round a weakness cue that follows it ("avoid delay").
    Reverser,
    /// Masks the shorter cues inside it and counts for nothing ("as well as").
    Neutral,
    History,
    ImprovementHeading,
    /// An imperative opening a recommendation; counts only as the first words.
    RecommendationOpener,
    /// A noun phrase opening an improvement item; counts only as the first words of a
    /// sentence with no finite verb in its main clause.
    ItemOpener,
    GradePositive,
    GradeNegative,
    /// A theme's full cue, by theme index.
    Theme(usize),
    /// A theme's weak cue, by theme index.
    WeakTheme(usize),
}

impl CueKind {
    /// Stance evidence: a hit of one masks stance hits inside it.
    fn masks_stance(self) -> bool {
        !matches!(
            self,
            CueKind::Theme(_)
                | CueKind::WeakTheme(_)
                | CueKind::Negation
                | CueKind::Hedge
                | CueKind::Reverser
        )
    }

    /// Can be masked by a longer stance hit around it. Negations and reversers are
    /// modifiers: "not" inside "are not" must still turn round "are not effective".
    fn is_stance(self) -> bool {
        !matches!(
            self,
            CueKind::Theme(_) | CueKind::WeakTheme(_) | CueKind::Negation | CueKind::Reverser
        )
    }

    /// The evidence prefix ("weakness", "hedge").
    fn label(self) -> &'static str {
        match self {
            CueKind::Strength => "strength",
            CueKind::Weakness => "weakness",
            CueKind::Recommendation => "recommendation",
            CueKind::Context => "context",
            CueKind::Hedge => "hedge",
            CueKind::Negation => "negation",
            CueKind::Reverser => "reverser",
            CueKind::Neutral => "neutral",
            CueKind::History => "history",
            CueKind::ImprovementHeading => "improvement heading",
            CueKind::RecommendationOpener => "recommendation: opener",
            CueKind::ItemOpener => "recommendation: improvement item",
            CueKind::GradePositive => "grade",
            CueKind::GradeNegative => "grade",
            CueKind::Theme(_) => "theme",
            CueKind::WeakTheme(_) => "theme (weak)",
        }
    }
}

/// One cue of the taxonomy.
#[derive(Debug, Clone)]
struct Cue {
    /// The cue as written in the taxonomy, normalised, '*' included.
    text: String,
    kind: CueKind,
    /// Ends in '*': the last word may continue.
    prefix: bool,
}

/// One distinct needle in the automaton and the cues that share it.
#[derive(Debug, Clone)]
struct Needle {
    cues: Vec<usize>,
}

/// A cue found in a text.
#[derive(Debug, Clone, Copy)]
struct Hit {
    cue: usize,
    kind: CueKind,
    start: usize,
    end: usize,
    /// 0-based index of the word the hit starts on.
    word: usize,
}

/// All cues of a taxonomy, compiled into one automaton.
struct CueMatcher {
    automaton: AhoCorasick,
    needles: Vec<Needle>,
    cues: Vec<Cue>,
}

impl CueMatcher {
    fn new(taxonomy: &Taxonomy) -> CueMatcher {
        let mut cues = Vec::new();
        let mut add = |list: &[String], kind: CueKind| {
            for text in list {
                cues.push(Cue {
                    prefix: text.ends_with('*'),
                    text: text.clone(),
                    kind,
                });
            }
        };
        let s = &taxonomy.stance;
        add(&s.strength, CueKind::Strength);
        add(&s.weakness, CueKind::Weakness);
        add(&s.recommendation, CueKind::Recommendation);
        add(&s.context, CueKind::Context);
        add(&s.hedges, CueKind::Hedge);
        add(&s.negations, CueKind::Negation);
        add(&s.reversers, CueKind::Reverser);
        add(&s.neutral, CueKind::Neutral);
        add(&s.history, CueKind::History);
        add(&s.improvement_headings, CueKind::ImprovementHeading);
        add(&s.recommendation_openers, CueKind::RecommendationOpener);
        add(&s.item_openers, CueKind::ItemOpener);
        add(&taxonomy.grades.positive, CueKind::GradePositive);
        add(&taxonomy.grades.negative, CueKind::GradeNegative);
        for (i, theme) in taxonomy.themes.iter().enumerate() {
            add(&theme.cues, CueKind::Theme(i));
            add(&theme.weak_cues, CueKind::WeakTheme(i));
        }

        // Cues that share a needle ("not always" as weakness and hedge) share one pattern.
        let mut patterns: Vec<String> = Vec::new();
        let mut needles: Vec<Needle> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (i, cue) in cues.iter().enumerate() {
            let needle = cue.text.trim_end_matches('*').to_string();
            let n = *index.entry(needle.clone()).or_insert_with(|| {
                patterns.push(needle);
                needles.push(Needle { cues: Vec::new() });
                patterns.len() - 1
            });
            needles[n].cues.push(i);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("cue patterns are plain strings");
        CueMatcher {
            automaton,
            needles,
            cues,
        }
    }

    /// Every cue hit in `text` (already normalised), on word boundaries.
    fn hits(&self, text: &str) -> Vec<Hit> {
        let bytes = text.as_bytes();
        let mut hits = Vec::new();
        for m in self.automaton.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !starts_word(text, start) {
                continue;
            }
            let word = bytes[..start].iter().filter(|&&b| b == b' ').count();
            for &cue in &self.needles[m.pattern().as_usize()].cues {
                let c = &self.cues[cue];
                let end = if c.prefix {
                    word_end(text, end)
                } else {
                    match whole_word_end(text, end) {
                        Some(end) => end,
                        None => continue,
                    }
                };
                hits.push(Hit {
                    cue,
                    kind: c.kind,
                    start,
                    end,
                    word,
                });
            }
        }
        drop_covered_hits(&mut hits);
        hits
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A match may start here: at the start, or after a character that is not a letter or
/// digit (or the match itself starts with punctuation).
fn starts_word(text: &str, start: usize) -> bool {
    let before = text[..start].chars().next_back();
    let first = text[start..].chars().next();
    match (before, first) {
        (Some(b), Some(f)) => !(is_word_char(b) && is_word_char(f)),
        _ => true,
    }
}

/// Where the word that a match ends inside ends.
fn word_end(text: &str, end: usize) -> usize {
    text[end..]
        .char_indices()
        .find(|&(_, c)| !is_word_char(c) && c != '\'')
        .map_or(text.len(), |(i, _)| end + i)
}

/// Where a whole-word match ends, allowing a plural or possessive ending ("s", "es",
/// "'s", "s'"); None when the match ends inside a longer word.
fn whole_word_end(text: &str, end: usize) -> Option<usize> {
    let last = text[..end].chars().next_back();
    if !last.is_some_and(is_word_char) {
        return Some(end);
    }
    let rest = &text[end..];
    // Longest ending first, so the evidence shows "care leaver's", not "care leaver".
    for ending in ["'s", "s'", "es", "s", ""] {
        if let Some(after) = rest.strip_prefix(ending) {
            if !after.chars().next().is_some_and(is_word_char) {
                return Some(end + ending.len());
            }
        }
    }
    None
}

/// Drops a hit that lies inside a longer one of its own family, so that the longer, more
/// specific cue decides:
/// - a stance hit inside a longer stance hit ("requires improvement to be good" is not
///   also "good"); negations, hedges and reversers modify other cues and mask nothing;
/// - a theme hit inside a longer hit of another theme ("return home interviews" is
///   exploitation, not also "return home" for permanence).
fn drop_covered_hits(hits: &mut Vec<Hit>) {
    let theme_of = |kind: CueKind| match kind {
        CueKind::Theme(i) | CueKind::WeakTheme(i) => Some(i),
        _ => None,
    };
    let spans: Vec<(usize, usize, CueKind)> =
        hits.iter().map(|h| (h.start, h.end, h.kind)).collect();
    hits.retain(|h| {
        !spans.iter().any(|&(start, end, kind)| {
            let covers = start <= h.start && end >= h.end && (end - start) > (h.end - h.start);
            let same_family = match (theme_of(h.kind), theme_of(kind)) {
                (Some(mine), Some(theirs)) => mine != theirs,
                (None, None) => h.kind.is_stance() && kind.masks_stance(),
                _ => false,
            };
            covers && same_family
        })
    });
}

/// The evidence counted from one text.
#[derive(Debug, Clone, Default)]
struct Tally {
    strength: f32,
    weakness: f32,
    recommendation: f32,
    context: f32,
    hedge: f32,
    negation: f32,
    negated_strength: f32,
    reversed_weakness: f32,
    history: f32,
    improvement_heading: f32,
    recommendation_opener: f32,
    improvement_item: f32,
    grade_positive: f32,
    grade_negative: f32,
    /// Summed cue weight per theme, in taxonomy order.
    themes: Vec<f32>,
    words: usize,
    should: bool,
    should_have: bool,
    ends_with_stop: bool,
    evidence: Vec<String>,
}

/// Names of the features [`RulesClassifier::features`] returns after the per-theme ones,
/// in order. Append new ones at the end: trained models depend on the order.
const FIXED_FEATURES: [&str; 28] = [
    "stance_cue:strength",
    "stance_cue:weakness",
    "stance_cue:recommendation",
    "stance_cue:context",
    "hedge",
    "negation",
    "negated_strength",
    "reversed_weakness",
    "history",
    "grade_positive",
    "grade_negative",
    "improvement_list",
    "improvement_section",
    "heading_before",
    "recommendation_opener",
    "improvement_item",
    "modal_should",
    "modal_should_have",
    "fragment",
    "words_div_40",
    "ends_with_full_stop",
    "prev:strength",
    "prev:weakness",
    "prev:recommendation",
    "rules_p:strength",
    "rules_p:weakness",
    "rules_p:recommendation",
    "rules_p:context",
];

pub struct RulesClassifier {
    taxonomy: Taxonomy,
    matcher: CueMatcher,
    finite_verbs: std::collections::HashSet<String>,
    /// Each clause break as words; a break of punctuation only ends the word before it.
    clause_breaks: Vec<Vec<String>>,
}

impl RulesClassifier {
    /// Compiles the taxonomy's cues once; [`Classifier::classify`] is then cheap.
    pub fn new(taxonomy: Taxonomy) -> RulesClassifier {
        let matcher = CueMatcher::new(&taxonomy);
        let finite_verbs = taxonomy.stance.finite_verbs.iter().cloned().collect();
        let clause_breaks = taxonomy
            .stance
            .clause_breaks
            .iter()
            .map(|b| b.split(' ').map(str::to_string).collect())
            .collect();
        RulesClassifier {
            taxonomy,
            matcher,
            finite_verbs,
            clause_breaks,
        }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The names of [`RulesClassifier::features`], in the same order: first
    /// `theme:<id>` for every theme of the taxonomy (taxonomy order), then the fixed
    /// features (stance cue counts, hedges, negations, grade words, structure, modals,
    /// shape, the previous sentence's stance cues, and the rules' own stance
    /// probabilities).
    pub fn feature_names(&self) -> Vec<String> {
        self.taxonomy
            .themes
            .iter()
            .map(|t| format!("theme:{}", t.id))
            .chain(FIXED_FEATURES.iter().map(|s| s.to_string()))
            .collect()
    }

    /// The rule features of a sentence, for a learned model to use beside embeddings.
    /// Stable order, given by [`RulesClassifier::feature_names`]; length
    /// `themes + 28`. `theme:<id>` is the summed weight of the sentence's own cue hits
    /// for that theme (weak cues weigh `weak_cue_weight`; neighbours are not included).
    /// Stance counts are raw (not normalised); flags are 0 or 1; `words_div_40` is the
    /// word count / 40; `prev:*` count the previous sentence's stance cues; `rules_p:*`
    /// are the rules' own stance probabilities (they sum to 1). Cheap: no evidence
    /// strings are built.
    pub fn features(&self, input: &SentenceInput) -> Vec<f32> {
        let tally = self.tally(input.text, false);
        let prev = self.tally(input.prev, false);
        let structure = self.structure(input, &prev);
        let fragment = self.is_fragment(&tally);
        let scores = self.stance_scores(&tally, &structure, fragment);
        let probabilities = softmax(&scores);
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let mut out = tally.themes.clone();
        out.extend_from_slice(&[
            tally.strength,
            tally.weakness,
            tally.recommendation,
            tally.context,
            tally.hedge,
            tally.negation,
            tally.negated_strength,
            tally.reversed_weakness,
            tally.history,
            tally.grade_positive,
            tally.grade_negative,
            flag(structure.in_list),
            flag(structure.in_section),
            flag(structure.heading_before),
            tally.recommendation_opener,
            tally.improvement_item,
            flag(tally.should),
            flag(tally.should_have),
            flag(fragment),
            tally.words as f32 / 40.0,
            flag(tally.ends_with_stop),
            prev.strength,
            prev.weakness,
            prev.recommendation,
        ]);
        out.extend_from_slice(&probabilities);
        debug_assert_eq!(out.len(), self.taxonomy.themes.len() + FIXED_FEATURES.len());
        out
    }

    /// Counts the cues in `text`; `with_evidence` also writes the evidence strings.
    fn tally(&self, text: &str, with_evidence: bool) -> Tally {
        let text = normalise_text(text);
        let hits = self.matcher.hits(&text);
        let thresholds = &self.taxonomy.thresholds;
        let mut t = Tally {
            themes: vec![0.0; self.taxonomy.themes.len()],
            words: if text.is_empty() {
                0
            } else {
                text.matches(' ').count() + 1
            },
            ends_with_stop: text.ends_with('.') || text.ends_with(".\"") || text.ends_with(".'"),
            ..Tally::default()
        };
        let mut tokens = text.split(' ');
        t.should = tokens.clone().any(|w| w == "should" || w == "must");
        t.should_have = {
            let words: Vec<&str> = tokens.by_ref().collect();
            words
                .windows(2)
                .any(|w| matches!(w[0], "should" | "must" | "could") && w[1] == "have")
        };

        let words_of = |kind: CueKind| -> Vec<usize> {
            hits.iter()
                .filter(|h| h.kind == kind)
                .map(|h| h.word)
                .collect()
        };
        let negation_words = words_of(CueKind::Negation);
        let reverser_words = words_of(CueKind::Reverser);
        let window = thresholds.negation_window;
        let shortly_after =
            |words: &[usize], word: usize| words.iter().any(|&w| w < word && word - w <= window);
        // Each theme cue counts once however often it appears.
        let mut theme_cues_seen: Vec<usize> = Vec::new();
        let mut evidence = Vec::new();
        for hit in &hits {
            let after_negation = shortly_after(&negation_words, hit.word);
            let after_reverser = shortly_after(&reverser_words, hit.word);
            let label = self.count_hit(
                &mut t,
                hit,
                &text,
                after_negation,
                after_reverser,
                &mut theme_cues_seen,
            );
            if let (true, Some(label)) = (with_evidence, label) {
                evidence.push(format!("{label}: '{}'", &text[hit.start..hit.end]));
            }
        }
        t.evidence = evidence;
        t
    }

    /// Adds one cue hit to the tally; returns the evidence label it earns, if any.
    /// `after_negation`/`after_reverser`: a negation or reverser came shortly before it.
    fn count_hit(
        &self,
        t: &mut Tally,
        hit: &Hit,
        text: &str,
        after_negation: bool,
        after_reverser: bool,
        theme_cues_seen: &mut Vec<usize>,
    ) -> Option<String> {
        let at_start = !text[..hit.start].chars().any(is_word_char);
        let (count, label) = match hit.kind {
            CueKind::Strength if after_negation => (&mut t.negated_strength, "weakness: negated"),
            CueKind::Strength => (&mut t.strength, "strength"),
            CueKind::Weakness if after_reverser => (&mut t.reversed_weakness, "strength: reversed"),
            CueKind::Weakness => (&mut t.weakness, "weakness"),
            CueKind::Recommendation => (&mut t.recommendation, "recommendation"),
            CueKind::Context => (&mut t.context, "context"),
            CueKind::Hedge => (&mut t.hedge, "hedge"),
            CueKind::Negation => {
                t.negation += 1.0;
                return None;
            }
            CueKind::Reverser | CueKind::Neutral => return None,
            CueKind::History => (&mut t.history, "context: history"),
            CueKind::ImprovementHeading => (
                &mut t.improvement_heading,
                "recommendation: improvement heading",
            ),
            CueKind::RecommendationOpener if at_start => {
                (&mut t.recommendation_opener, "recommendation: opener")
            }
            CueKind::RecommendationOpener => return None,
            CueKind::ItemOpener
                if at_start && t.ends_with_stop && !self.main_clause_has_finite_verb(text) =>
            {
                (&mut t.improvement_item, "recommendation: improvement item")
            }
            CueKind::ItemOpener => return None,
            CueKind::GradePositive => (&mut t.grade_positive, "strength: grade"),
            CueKind::GradeNegative => (&mut t.grade_negative, "weakness: grade"),
            CueKind::Theme(i) | CueKind::WeakTheme(i) => {
                return self.count_theme_hit(t, hit, i, theme_cues_seen)
            }
        };
        *count += 1.0;
        Some(label.to_string())
    }

    /// A theme cue: counts once however often it appears, a weak cue at its lesser weight.
    fn count_theme_hit(
        &self,
        t: &mut Tally,
        hit: &Hit,
        theme: usize,
        theme_cues_seen: &mut Vec<usize>,
    ) -> Option<String> {
        if theme_cues_seen.contains(&hit.cue) {
            return None;
        }
        theme_cues_seen.push(hit.cue);
        t.themes[theme] += if matches!(hit.kind, CueKind::Theme(_)) {
            1.0
        } else {
            self.taxonomy.thresholds.weak_cue_weight
        };
        let id = &self.taxonomy.themes[theme].id;
        Some(format!("{} {id}", hit.kind.label()))
    }

    /// Whether `text`, an item under an improvement heading, names what should improve
    /// (LABELLING.md rule 10) rather than stating a finding: it opens with an imperative or
    /// an item's noun phrase, says what should happen, or its main clause holds no finite
    /// verb ("Social work capacity in all teams.", "Review the audit process, to ensure
    /// ..."). "Personal advisers are allocated late." states a finding.
    pub fn names_what_should_improve(&self, text: &str) -> bool {
        let tally = self.tally(text, false);
        tally.recommendation_opener > 0.0
            || tally.improvement_item > 0.0
            || tally.recommendation > 0.0
            || tally.should
            || !self.main_clause_has_finite_verb(&normalise_text(text))
    }

    /// True when the words of `text` up to the first clause break include a finite verb:
    /// then the sentence states something rather than naming an item to improve.
    fn main_clause_has_finite_verb(&self, text: &str) -> bool {
        let words: Vec<&str> = text.split(' ').collect();
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                let at_break = self.clause_breaks.iter().any(|b| {
                    let first = &b[0];
                    if !first.chars().any(is_word_char) {
                        words[i - 1].ends_with(first.as_str())
                    } else {
                        words.len() >= i + b.len()
                            && words[i..i + b.len()].iter().zip(b).all(|(w, b)| *w == b)
                    }
                });
                if at_break {
                    return false;
                }
            }
            let bare = word.trim_matches(|c: char| !is_word_char(c) && c != '\'');
            if self.finite_verbs.contains(bare) {
                return true;
            }
        }
        false
    }

    /// The structure around a sentence: its list, its section heading, the heading
    /// just before it.
    fn structure(&self, input: &SentenceInput, prev: &Tally) -> Structure {
        let in_section = !input.section.is_empty()
            && self
                .matcher
                .hits(&normalise_text(input.section))
                .iter()
                .any(|h| h.kind == CueKind::ImprovementHeading);
        Structure {
            in_list: input.in_improvement_list,
            in_section,
            heading_before: prev.improvement_heading > 0.0,
        }
    }

    fn is_fragment(&self, t: &Tally) -> bool {
        t.words <= self.taxonomy.thresholds.fragment_max_words
    }

    /// Raw score per stance, in [`Stance::ALL`] order.
    fn stance_scores(&self, t: &Tally, structure: &Structure, fragment: bool) -> [f32; 4] {
        let w = &self.taxonomy.weights;
        let flag = |b: bool, weight: f32| if b { weight } else { 0.0 };
        let mut scores = [
            w.strength_cue
                * t.strength
                    .min(self.taxonomy.thresholds.max_strength_cues as f32)
                + w.reversed_weakness * t.reversed_weakness
                + w.grade_positive * t.grade_positive,
            w.weakness_cue * t.weakness
                + w.hedge * t.hedge
                + w.negated_strength * t.negated_strength
                + w.grade_negative * t.grade_negative,
            w.recommendation_cue * t.recommendation
                + w.recommendation_opener * t.recommendation_opener
                + w.improvement_item * t.improvement_item
                + flag(structure.in_list, w.improvement_list)
                + flag(structure.in_section, w.improvement_section)
                + flag(structure.heading_before, w.heading_before),
            w.context_cue * t.context
                + w.history * t.history
                + flag(!t.ends_with_stop, w.no_full_stop),
        ];
        if fragment && !structure.in_list && !structure.in_section {
            // Headings, table cells, page furniture: context, whatever words they hold.
            scores[Stance::Context.index()] += w.improvement_list;
        }
        scores[self.taxonomy.default_stance().index()] += w.default_stance;
        scores
    }
}

/// Where a sentence sits in the report's structure.
#[derive(Debug, Clone, Copy, Default)]
struct Structure {
    /// An item under an improvement heading (from segmentation).
    in_list: bool,
    /// Its section heading is an improvement heading.
    in_section: bool,
    /// The sentence before it is an improvement heading.
    heading_before: bool,
}

fn softmax(scores: &[f32; 4]) -> [f32; 4] {
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    let exp = scores.map(|s| (s - max).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

/// Words that open a subordinate clause. A "should" after one of them describes something
/// ("how enquiries should be undertaken", "whether children should come into care", "who
/// should not have done so") rather than saying what should happen.
const SUBORDINATORS: [&str; 20] = [
    "who", "whom", "whose", "which", "that", "whether", "how", "when", "where", "what", "why",
    "if", "than", "because", "although", "though", "while", "whereas", "unless", "until",
];

/// Words that, right after "should", make it a condition ("should they wish to", "should
/// the placement end", "should a child go missing") rather than an obligation.
const CONDITION_SUBJECTS: [&str; 16] = [
    "they", "he", "she", "it", "we", "you", "i", "a", "an", "the", "their", "his", "her", "its",
    "this", "any",
];

/// Finite verbs: one before "should" means the main clause already has its verb and the
/// "should" opens a condition ("Accommodation is sufficient should placements break down",
/// "This will help should children read their records").
const FINITE_VERBS: [&str; 16] = [
    "is", "are", "was", "were", "will", "would", "can", "could", "has", "have", "had", "does",
    "do", "did", "may", "might",
];

/// A recommendation's "should" follows its subject closely ("The local authority should",
/// "In order to improve practice, Calderdale should"); in the corpus every "should" further
/// into a sentence than this many words was a condition or a quotation.
const LATEST_OBLIGATION_WORD: usize = 12;

/// Whether the sentence's main clause says what should happen: a "should" among its first
/// 12 words (`LATEST_OBLIGATION_WORD`), with no subordinating word or finite verb before
/// it, not "should have" (a shortfall in the past) and not a condition ("should they wish
/// to"). LABELLING.md rule 3 makes such a sentence a recommendation, never a strength
/// ("Leaders should ensure that plans are reviewed"). "Must" is left out: in reports it
/// more often states a requirement that is met ("All provision must meet the standard").
pub fn states_what_should_happen(text: &str) -> bool {
    let text = normalise_text(text);
    let words: Vec<&str> = text
        .split(' ')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    let Some(at) = words.iter().position(|w| *w == "should") else {
        return false;
    };
    let next = words.get(at + 1).copied().unwrap_or("");
    at > 0
        && at < LATEST_OBLIGATION_WORD
        && !words[..at]
            .iter()
            .any(|w| SUBORDINATORS.contains(w) || FINITE_VERBS.contains(w))
        && next != "have"
        && !CONDITION_SUBJECTS.contains(&next)
}
/// Raised whenever a change to this file (or to the cues' matching) changes any label, so
/// that stored reports are re-labelled. `tests/hostile.rs` fails when the rules' labels of
/// the fixture reports change and this did not.
pub const RULES_REVISION: u32 = 2;

impl Classifier for RulesClassifier {
    fn name(&self) -> &str {
        "rules"
    }

    fn version(&self) -> String {
        format!("rules r{RULES_REVISION}")
    }

    fn classify_batch(&self, inputs: &[SentenceInput]) -> anyhow::Result<Vec<Label>> {
        Ok(self.classify_all(inputs))
    }
}

impl RulesClassifier {
    /// Labels many sentences, in parallel; never fails.
    pub fn classify_all(&self, inputs: &[SentenceInput]) -> Vec<Label> {
        use rayon::prelude::*;
        inputs
            .par_iter()
            .map(|input| self.classify(input))
            .collect()
    }

    /// Labels one sentence.
    pub fn classify(&self, input: &SentenceInput) -> Label {
        let mut tally = self.tally(input.text, true);
        let prev = self.tally(input.prev, false);
        let neighbour_weight = self.taxonomy.thresholds.neighbour_theme_weight;
        if neighbour_weight > 0.0 {
            // A sentence often continues its neighbours' subject ("This improves outcomes.").
            let next = self.tally(input.next, false);
            for (i, own) in tally.themes.iter_mut().enumerate() {
                *own += neighbour_weight * (prev.themes[i] + next.themes[i]);
            }
        }
        let structure = self.structure(input, &prev);
        let in_section = structure.in_section;
        let fragment = self.is_fragment(&tally);
        let scores = self.stance_scores(&tally, &structure, fragment);
        let probabilities = softmax(&scores);
        let best = (0..4)
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
            .expect("four stances");
        let stance = Stance::ALL[best];
        let mut evidence = std::mem::take(&mut tally.evidence);
        // A cue that appears twice ("recording ... the recording of") is one piece of evidence.
        let mut seen = std::collections::HashSet::new();
        evidence.retain(|e| seen.insert(e.clone()));
        if input.in_improvement_list {
            evidence.push("structure: improvement list".to_string());
        }
        if in_section {
            evidence.push(format!("structure: section '{}'", input.section.trim()));
        }
        if structure.heading_before {
            evidence.push("structure: after an improvement heading".to_string());
        }
        if fragment && !input.in_improvement_list && !in_section {
            evidence.push(format!("structure: fragment of {} words", tally.words));
        }
        if scores
            .iter()
            .all(|&s| s <= self.taxonomy.weights.default_stance)
        {
            evidence.push(format!("default: {}", stance.as_str()));
        }

        let thresholds = &self.taxonomy.thresholds;
        let mut themes: Vec<ThemeScore> = if fragment {
            Vec::new()
        } else {
            self.taxonomy
                .themes
                .iter()
                .zip(&tally.themes)
                .filter_map(|(theme, &hits)| {
                    let score = 1.0 - (-hits / thresholds.theme_saturation).exp();
                    (score >= thresholds.min_theme_score).then(|| ThemeScore {
                        id: theme.id.clone(),
                        score,
                    })
                })
                .collect()
        };
        themes.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        themes.truncate(MAX_THEMES);
        if fragment {
            evidence.retain(|e| !e.starts_with("theme"));
        }
        Label {
            stance,
            stance_score: probabilities[best],
            themes,
            evidence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_that_name_what_should_improve_and_findings_under_the_same_heading() {
        let rules = RulesClassifier::new(Taxonomy::bundled());
        for item in [
            "Ensure that plans are reviewed.",
            "Review all cases where children are exposed to domestic abuse, to ensure that their needs are met.",
            "Social work capacity and allocation of caseloads.",
            "The quality of child protection plans.",
            "Leaders should ensure that supervision is regular.",
            "Work with partners to ensure that there is a single strategic plan.",
        ] {
            assert!(rules.names_what_should_improve(item), "{item}");
        }
        for finding in [
            "Personal advisers are allocated late.",
            "Senior leaders have an accurate understanding of the service.",
            "The board does not have a serious case review sub-group.",
            "There are no priority or immediate actions.",
        ] {
            assert!(!rules.names_what_should_improve(finding), "{finding}");
        }
    }

    fn rules() -> RulesClassifier {
        RulesClassifier::new(Taxonomy::bundled())
    }

    #[test]
    fn whole_words_with_plural_and_possessive_endings() {
        // "good|bye": the match ends inside a longer word.
        assert_eq!(whole_word_end("goodbye", 4), None);
        assert_eq!(whole_word_end("good.", 4), Some(4));
        assert_eq!(whole_word_end("care leavers are", 11), Some(12));
        assert_eq!(whole_word_end("care leaver's plan", 11), Some(13));
        assert_eq!(whole_word_end("care leavers' plans", 11), Some(13));
        assert!(starts_word("a good", 2));
        assert!(!starts_word("agood", 1));
        assert_eq!(word_end("recruitment of staff", 7), 11);
    }

    #[test]
    fn longer_stance_cues_mask_shorter_ones() {
        let c = rules();
        let label = c.classify(&SentenceInput {
            text: "Help and protection requires improvement to be good.",
            ..SentenceInput::default()
        });
        assert_eq!(label.stance, Stance::Weakness, "{:?}", label.evidence);
        assert!(!label.evidence.iter().any(|e| e == "strength: 'good'"));
    }

    #[test]
    fn negation_and_reversal_turn_cues_round() {
        let c = rules();
        let negated = c.classify(&SentenceInput {
            text: "Plans are not always robust.",
            ..SentenceInput::default()
        });
        assert_eq!(negated.stance, Stance::Weakness, "{:?}", negated.evidence);
        assert!(negated
            .evidence
            .iter()
            .any(|e| e.starts_with("weakness: negated")));
        let reversed = c.classify(&SentenceInput {
            text: "Regular reviews help to avoid drift for children.",
            ..SentenceInput::default()
        });
        assert_eq!(reversed.stance, Stance::Strength, "{:?}", reversed.evidence);
    }

    #[test]
    fn main_clause_finite_verbs_separate_items_from_statements() {
        let c = rules();
        assert!(!c.main_clause_has_finite_verb("the quality of plans for children in need."));
        assert!(c.main_clause_has_finite_verb("the quality of plans is variable."));
        // A verb after a clause break does not make the item a statement.
        assert!(!c.main_clause_has_finite_verb(
            "the quality of assessments, so that they are effective."
        ));
        let item = c.classify(&SentenceInput {
            text: "The quality of plans for children in need.",
            ..SentenceInput::default()
        });
        assert_eq!(item.stance, Stance::Recommendation, "{:?}", item.evidence);
        let heading = c.classify(&SentenceInput {
            text: "Ensure that",
            ..SentenceInput::default()
        });
        assert_eq!(
            heading.stance,
            Stance::Context,
            "a two-word fragment is context"
        );
    }

    #[test]
    fn fragments_and_furniture_are_context_without_themes() {
        let c = rules();
        for text in [
            "Children in care",
            "T: 0300 123 1231",
            "© Crown copyright 2024",
        ] {
            let label = c.classify(&SentenceInput {
                text,
                ..SentenceInput::default()
            });
            assert_eq!(
                label.stance,
                Stance::Context,
                "{text}: {:?}",
                label.evidence
            );
            assert!(label.themes.is_empty(), "{text}: {:?}", label.themes);
        }
    }

    #[test]
    fn what_should_happen_is_a_should_in_the_main_clause() {
        for text in [
            "Leaders should ensure that plans are reviewed.",
            "In order to improve, Calderdale should focus on children's experiences.",
            "There should be meaningful analysis of children's views.",
            "More should be done to ensure that assessments are timely.",
        ] {
            assert!(states_what_should_happen(text), "{text}");
        }
        for text in [
            "Should leaders act, plans would improve.",
            "Strategy meetings do not record how enquiries should be undertaken.",
            "Decisions about whether children should come into care are sound.",
            "Children who should have been seen were not.",
            "Managers should have acted sooner.",
            "Plans are reviewed regularly.",
            "Care leavers receive support until they are 25 should they wish to.",
            "Records are written so that children can read them, should they wish.",
            "The service quickly offers help to families should the placement end.",
            "Lessons are shared through learning events, seminars and guides called 'things you should know'.",
            "All provision must meet the standard.",
            "Emergency accommodation is sufficient should placements break down.",
            "This will help should children read their records later in life.",
        ] {
            assert!(!states_what_should_happen(text), "{text}");
        }
    }
}
