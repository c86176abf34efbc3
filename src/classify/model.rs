//! The learned classifiers: [`ModelClassifier`] (sentence embeddings + rule features →
//! trained heads) and [`CombinedClassifier`] (the model, with the rules' structural
//! knowledge on top). The heads' card, `models/heads.json`, says what they were trained
//! on and how well they did.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::classify::encoder::Encoder;
use crate::classify::encoder_kind::{check_card_encoder, EncoderKind};
use crate::classify::heads::{HeadScores, Heads, TrainSettings};
use crate::classify::rules::{states_what_should_happen, RULES_REVISION};
use crate::classify::{Classifier, RulesClassifier, SentenceEmbeddings, MAX_THEMES};
use crate::taxonomy::Taxonomy;
use crate::types::{Label, SentenceInput, Stance, ThemeScore};

/// The committed heads, relative to the project root.
pub const DEFAULT_HEADS: &str = "models/heads.safetensors";

/// The heads' card: everything needed to use and to judge the heads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeadsCard {
    /// The sentence encoder the heads were trained on.
    pub encoder: String,
    pub embedding_dim: usize,
    /// Whether the previous sentence's embedding is part of the features.
    pub use_prev: bool,
    /// Rule feature names (RulesClassifier::feature_names) in feature order.
    pub rule_features: Vec<String>,
    /// Stance labels in the stance head's output order.
    pub stances: Vec<String>,
    /// Theme ids in the theme head's output order.
    pub themes: Vec<String>,
    /// Decision threshold per theme id.
    pub thresholds: std::collections::BTreeMap<String, f32>,
    /// The combined classifier's cuts per theme id: when the rules also give the theme,
    /// and when they do not.
    pub combined_thresholds_with_rule: std::collections::BTreeMap<String, f32>,
    pub combined_thresholds_without_rule: std::collections::BTreeMap<String, f32>,
    /// Each theme's share of the theme memory's vote (empty for heads without a memory).
    #[serde(default)]
    pub memory_blend: std::collections::BTreeMap<String, f32>,
    pub taxonomy_version: String,
    pub training_file: String,
    pub training_sha256: String,
    pub training_sentences: usize,
    pub settings: TrainSettings,
    /// How the heads were distilled from a stronger encoder's, when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distillation: Option<DistillationCard>,
    /// Grouped cross-validation figures, per classifier.
    pub cross_validation: CrossValidation,
}

/// A distilled card's teacher: whose heads labelled how many unlabelled sentences, and how
/// much each counted beside a hand-labelled one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DistillationCard {
    /// The teacher's encoder; its heads were trained on the same labelled file, with
    /// `teacher_settings` (in cross-validation, on each fold's training rows only).
    pub teacher: String,
    pub teacher_settings: TrainSettings,
    pub unlabelled_sentences: usize,
    pub unlabelled_reports: usize,
    pub weight: f32,
    /// The same heads cross-validated on the same folds without the teacher: what
    /// distillation gains.
    pub without_teacher: CrossValidation,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CrossValidation {
    pub folds: usize,
    /// What the folds are grouped by: no group is in both train and test.
    pub grouped_by: String,
    pub rules: Figures,
    pub model: Figures,
    pub combined: Figures,
    /// The same figures on the held-out rows of each kind of document (report, letter,
    /// news: [`crate::eval::doc_kind`]), in that order. Empty on cards from before they
    /// were recorded.
    #[serde(default)]
    pub by_kind: Vec<KindFigures>,
    /// The same heads' figures on the held-out rows that are not hard cases
    /// ([`crate::eval::is_hard_case`]): harder than a random sample, they lower the figures
    /// above, so these are the ones to compare with cards from before them. `None` when the
    /// file has no hard cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_hard_cases: Option<HeldOutFigures>,
}

/// Cross-validated figures on a subset of the held-out rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeldOutFigures {
    pub sentences: usize,
    pub rules: Figures,
    pub model: Figures,
    pub combined: Figures,
    pub by_kind: Vec<KindFigures>,
}

/// Cross-validated figures on the rows of one kind of document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KindFigures {
    pub kind: String,
    pub sentences: usize,
    pub rules: Figures,
    pub model: Figures,
    pub combined: Figures,
}

/// The headline figures of one classifier on held-out sentences.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Figures {
    pub stance_accuracy: f64,
    pub stance_macro_f1: f64,
    /// F1 of each stance, in [`Stance::ALL`] order.
    pub stance_f1: Vec<f64>,
    pub theme_micro_f1: f64,
    pub theme_macro_f1: f64,
}

impl HeadsCard {
    /// The card beside a heads file: `heads.safetensors` → `heads.json`.
    pub fn path_for(heads: &Path) -> PathBuf {
        heads.with_extension("json")
    }

    pub fn load(path: &Path) -> Result<HeadsCard> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read heads card {}", path.display()))?;
        let card: HeadsCard = serde_json::from_str(&text)
            .with_context(|| format!("heads card {} is not valid", path.display()))?;
        let cuts = [
            ("thresholds", &card.thresholds),
            (
                "combined_thresholds_with_rule",
                &card.combined_thresholds_with_rule,
            ),
            (
                "combined_thresholds_without_rule",
                &card.combined_thresholds_without_rule,
            ),
            ("memory_blend", &card.memory_blend),
        ];
        for (key, values) in cuts {
            if let Some((theme, value)) = values.iter().find(|(_, v)| !v.is_finite()) {
                bail!(
                    "heads card {}: {key}.{theme} is {value}, not a finite number; retrain the \
                     heads or restore the card",
                    path.display()
                );
            }
        }
        Ok(card)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The text whose embedding stands for a neighbour: the neighbour, or the sentence itself when
/// there is none (a report's first or last sentence; in `explain`, the next sentence always and
/// the previous one without `--prev`).
/// A missing neighbour must carry no signal: in the labelled data the only sentences with no
/// next one are end-of-report furniture, and heads fed the embedding of "" learnt to call any
/// lone sentence context.
pub fn neighbour_or_self<'a>(text: &'a str, neighbour: &'a str) -> &'a str {
    if neighbour.trim().is_empty() {
        text
    } else {
        neighbour
    }
}

/// Where the features come from, in order: the sentence's embedding, optionally the
/// previous sentence's and the next sentence's, then the rule features.
pub fn assemble_features(
    text: &[f32],
    prev: Option<&[f32]>,
    next: Option<&[f32]>,
    rules: &[f32],
) -> Vec<f32> {
    let mut out = Vec::with_capacity(text.len() * 3 + rules.len());
    out.extend_from_slice(text);
    for neighbour in [prev, next].into_iter().flatten() {
        out.extend_from_slice(neighbour);
    }
    out.extend_from_slice(rules);
    out
}

/// The model's label from its scores: the likeliest stance, and the themes whose
/// probability reaches their threshold, highest first, at most [`MAX_THEMES`].
pub fn label_from_scores(scores: &HeadScores, heads: &Heads, theme_ids: &[String]) -> Label {
    let (stance, stance_score) = scores.best_stance();
    let mut themes: Vec<ThemeScore> = scores
        .themes
        .iter()
        .zip(&heads.theme_threshold)
        .zip(theme_ids)
        .filter(|((p, cut), _)| *p >= *cut)
        .map(|((p, _), id)| ThemeScore {
            id: id.clone(),
            score: *p,
        })
        .collect();
    themes.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    themes.truncate(MAX_THEMES);
    let mut evidence = vec![format!("model: {} p={stance_score:.2}", stance.as_str())];
    evidence.extend(themes.iter().map(|t| {
        format!(
            "model: theme {} p={:.2}{}",
            t.id,
            t.score,
            memory_note(scores, heads, theme_ids, &t.id)
        )
    }));
    Label {
        stance,
        stance_score,
        themes,
        evidence,
    }
}

/// Raised whenever [`label_from_scores`] or [`combine`] label the same scores differently,
/// so the store re-labels its reports (the card's hash covers only what was trained).
/// 2: a strength whose main clause says what should happen is a recommendation.
/// 3: embeddings rounded to half precision, as stored.
/// 4: a sentence under an improvement heading that states a finding is the model's.
const LABELLING_REVISION: u32 = 4;

/// The confidence of a stance that a LABELLING.md rule sets over the model's choice.
const RULE_STANCE_SCORE: f32 = 0.9;

/// Combines the model's scores with the rules' label for the same sentence.
///
/// Themes: the rules' cue phrases and the model's probability vote together. Each theme
/// has two cuts chosen on held-back scores in training: a lower one when the rules also
/// give the theme (a cue phrase agrees with the model) and one when they do not; the
/// themes that pass are kept highest probability first, at most [`MAX_THEMES`].
///
/// Stance: an item in an improvement list that names what should improve (`list_item`:
/// [`RulesClassifier::names_what_should_improve`]) is a recommendation (LABELLING.md rule
/// 10), which the model cannot see from the text alone (the labelled sentences carry no
/// structure); a sentence under an improvement heading that states a finding instead
/// ("Personal advisers are allocated late.") is the model's to label, by what it says. A sentence the model calls a strength whose main clause says what should
/// happen ([`states_what_should_happen`]) is a recommendation (rule 3): the labelled
/// sentences hold too few such sentences outside lists for the model to learn it, so a
/// lone "Leaders should ensure ..." came out a strength. No labelled sentence is changed
/// by this in cross-validation. Otherwise the model decides: the rules' cue counts and stance probabilities
/// are already among its features, and in cross-validation letting any rules cue
/// override an unsure model lowered recommendation F1 (0.80 → 0.73).
///
/// The rules' evidence is listed beside the model's.
pub fn combine(
    scores: &HeadScores,
    heads: &Heads,
    theme_ids: &[String],
    rules_label: &Label,
    input: &SentenceInput,
    list_item: bool,
) -> Label {
    let mut label = label_from_scores(scores, heads, theme_ids);
    let mut themes: Vec<(ThemeScore, bool)> = scores
        .themes
        .iter()
        .zip(theme_ids)
        .enumerate()
        .filter_map(|(t, (p, id))| {
            let backed = rules_label.themes.iter().any(|r| r.id == *id);
            let cut = if backed {
                heads.combined_threshold_with_rule[t]
            } else {
                heads.combined_threshold_without_rule[t]
            };
            (*p >= cut).then(|| {
                (
                    ThemeScore {
                        id: id.clone(),
                        score: *p,
                    },
                    backed,
                )
            })
        })
        .collect();
    themes.sort_by(|a, b| {
        b.0.score
            .total_cmp(&a.0.score)
            .then_with(|| a.0.id.cmp(&b.0.id))
    });
    themes.truncate(MAX_THEMES);
    label.evidence.retain(|e| !e.starts_with("model: theme "));
    label.evidence.extend(themes.iter().map(|(t, backed)| {
        format!(
            "combined: theme {} p={:.2}{}{}",
            t.id,
            t.score,
            memory_note(scores, heads, theme_ids, &t.id),
            if *backed { " with a rules cue" } else { "" }
        )
    }));
    label.themes = themes.into_iter().map(|(t, _)| t).collect();
    if list_item {
        label.stance = Stance::Recommendation;
        label.stance_score = label.stance_score.max(RULE_STANCE_SCORE);
        label
            .evidence
            .push("combined: in an improvement list → recommendation".to_string());
    } else if input.in_improvement_list {
        label.evidence.push(
            "combined: under an improvement heading but states a finding → the model's stance"
                .to_string(),
        );
    } else if label.stance == Stance::Strength && states_what_should_happen(input.text) {
        label.stance = Stance::Recommendation;
        label.stance_score = RULE_STANCE_SCORE;
        label
            .evidence
            .push("combined: says what should happen → recommendation, not strength".to_string());
    }
    label.evidence.extend(rules_label.evidence.iter().cloned());
    label
}

/// " (similar labelled sentences 0.95)" when the theme memory has a share in the theme's
/// probability, so the evidence says how much of it came from sentences like this one.
fn memory_note(scores: &HeadScores, heads: &Heads, theme_ids: &[String], id: &str) -> String {
    let (Some(memory), Some(t)) = (&heads.memory, theme_ids.iter().position(|x| x == id)) else {
        return String::new();
    };
    match (memory.blend.get(t), scores.memory_votes.get(t)) {
        (Some(&share), Some(vote)) if share > 0.0 => {
            format!(" (similar labelled sentences {vote:.2})")
        }
        _ => String::new(),
    }
}

/// The encoder, loaded when first needed, so a run whose reports are all labelled, or whose
/// embeddings are all stored, never loads (or fetches) the model.
struct LazyEncoder {
    /// What [`Encoder::load`] would give, known without loading it ([`EncoderKind::pinned_version`]).
    version: String,
    loaded: OnceLock<Encoder>,
    load: Box<dyn Fn() -> Result<Encoder> + Send + Sync>,
    /// Held while loading, so two reports labelled at once load the model once.
    loading: Mutex<()>,
}

impl LazyEncoder {
    fn get(&self, embedding_dim: usize) -> Result<&Encoder> {
        if let Some(encoder) = self.loaded.get() {
            return Ok(encoder);
        }
        let _guard = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(encoder) = self.loaded.get() {
            return Ok(encoder);
        }
        let encoder = (self.load)()?;
        if encoder.dim() != embedding_dim {
            bail!(
                "the heads expect a {embedding_dim}-wide encoder; the model gives {}",
                encoder.dim()
            );
        }
        Ok(self.loaded.get_or_init(|| encoder))
    }
}

/// Sentence embeddings + rule features → trained heads.
pub struct ModelClassifier {
    encoder: LazyEncoder,
    heads: Heads,
    card: HeadsCard,
    rules: RulesClassifier,
}

impl ModelClassifier {
    /// Loads the encoder from `model_dir` and the heads (with their card) from `heads`,
    /// and checks they fit the taxonomy and the rule features.
    pub fn load(model_dir: &Path, heads: &Path, taxonomy: Taxonomy) -> Result<ModelClassifier> {
        let encoder = Encoder::load(model_dir)?;
        let card = HeadsCard::load(&HeadsCard::path_for(heads))?;
        let heads_weights = Heads::load(heads)?;
        let rules = RulesClassifier::new(taxonomy);
        ModelClassifier::from_parts(encoder, heads_weights, card, rules)
            .with_context(|| format!("heads {} do not fit", heads.display()))
    }

    /// Like [`ModelClassifier::load`], but the encoder is loaded by `load_encoder` only when
    /// a sentence must be encoded (see [`Classifier::prepare`]). The heads are loaded and
    /// checked now.
    pub fn load_lazily(
        load_encoder: impl Fn() -> Result<Encoder> + Send + Sync + 'static,
        heads: &Path,
        taxonomy: Taxonomy,
    ) -> Result<ModelClassifier> {
        ModelClassifier::load_lazily_for(EncoderKind::Minilm, load_encoder, heads, taxonomy)
    }

    /// [`ModelClassifier::load_lazily`] for the encoder `kind` (which `load_encoder` must
    /// load): heads trained on another encoder are refused now.
    pub fn load_lazily_for(
        kind: EncoderKind,
        load_encoder: impl Fn() -> Result<Encoder> + Send + Sync + 'static,
        heads: &Path,
        taxonomy: Taxonomy,
    ) -> Result<ModelClassifier> {
        let card = HeadsCard::load(&HeadsCard::path_for(heads))?;
        let heads_weights = Heads::load(heads)?;
        let rules = RulesClassifier::new(taxonomy);
        let encoder = LazyEncoder {
            version: kind.pinned_version(),
            loaded: OnceLock::new(),
            load: Box::new(load_encoder),
            loading: Mutex::new(()),
        };
        ModelClassifier::checked(encoder, heads_weights, card, rules)
            .with_context(|| format!("heads {} do not fit", heads.display()))
    }

    pub fn from_parts(
        encoder: Encoder,
        heads: Heads,
        card: HeadsCard,
        rules: RulesClassifier,
    ) -> Result<ModelClassifier> {
        if encoder.dim() != card.embedding_dim {
            bail!(
                "they expect a {}-wide encoder; got an encoder of {}",
                card.embedding_dim,
                encoder.dim()
            );
        }
        let lazy = LazyEncoder {
            version: encoder.version().to_string(),
            loaded: OnceLock::from(encoder),
            load: Box::new(|| bail!("the encoder is already loaded")),
            loading: Mutex::new(()),
        };
        ModelClassifier::checked(lazy, heads, card, rules)
    }

    fn checked(
        encoder: LazyEncoder,
        heads: Heads,
        card: HeadsCard,
        rules: RulesClassifier,
    ) -> Result<ModelClassifier> {
        if let Some(kind) = EncoderKind::of_version(&encoder.version) {
            check_card_encoder(&card.encoder, kind)?;
        }
        let theme_ids: Vec<String> = rules
            .taxonomy()
            .themes
            .iter()
            .map(|t| t.id.clone())
            .collect();
        if card.themes != theme_ids {
            bail!("they were trained on other themes than the taxonomy's: retrain with `ofsted-themes train`");
        }
        if card.rule_features != rules.feature_names() {
            bail!("they were trained on other rule features than the rules give now: retrain with `ofsted-themes train`");
        }
        let embeddings = 1 + card.use_prev as usize + card.settings.use_next as usize;
        let expected = card.embedding_dim * embeddings + card.rule_features.len();
        if heads.feature_count() != expected {
            bail!(
                "they expect {expected} features of a {}-wide encoder; got heads of {}",
                card.embedding_dim,
                heads.feature_count(),
            );
        }
        if let Some(memory) = &heads.memory {
            if memory.dim != card.embedding_dim || memory.context_blocks != embeddings - 1 {
                bail!(
                    "their theme memory is of {}-wide embeddings with {} neighbours; the card says {}-wide with {}",
                    memory.dim,
                    memory.context_blocks,
                    card.embedding_dim,
                    embeddings - 1
                );
            }
        }
        Ok(ModelClassifier {
            encoder,
            heads,
            card,
            rules,
        })
    }

    pub fn card(&self) -> &HeadsCard {
        &self.card
    }

    /// Identifies the encoder, the heads and the labelling logic, so the store re-labels its
    /// reports when any of them changes. The encoder's weights are checked against pinned
    /// hashes when loaded, and the card records everything the heads were trained from.
    fn version_of(&self, name: &str) -> String {
        let card = serde_json::to_vec(&self.card).expect("the card serialises");
        let card_hash = crate::files::sha256_hex(&card);
        format!(
            "{name} labelling {LABELLING_REVISION} rules r{RULES_REVISION} encoder {} heads {}",
            self.card.encoder,
            &card_hash[..12]
        )
    }

    pub fn heads(&self) -> &Heads {
        &self.heads
    }

    pub fn rules(&self) -> &RulesClassifier {
        &self.rules
    }

    /// The encoder, loaded (and fetched, if the loader does) on first use.
    pub fn encoder(&self) -> Result<&Encoder> {
        self.encoder.get(self.card.embedding_dim)
    }

    /// Names the encoder's embeddings (see [`EncoderKind::pinned_version`]) without loading it.
    pub fn encoder_version(&self) -> &str {
        &self.encoder.version
    }

    /// The texts whose embeddings an input's features need: its own, and its neighbours'
    /// (or its own again where it has none) when the heads use them.
    fn texts_needed<'a>(&self, input: &SentenceInput<'a>) -> impl Iterator<Item = &'a str> {
        let text = input.text;
        [
            Some(text),
            self.card
                .use_prev
                .then(|| neighbour_or_self(text, input.prev)),
            self.card
                .settings
                .use_next
                .then(|| neighbour_or_self(text, input.next)),
        ]
        .into_iter()
        .flatten()
    }

    /// Embeddings of every text the inputs' features need, each distinct text encoded once;
    /// texts in `known` are taken from there. Every embedding is rounded to half precision,
    /// as the store keeps them, so labels from stored embeddings equal labels from fresh ones.
    fn embeddings_for<'a>(
        &self,
        inputs: &[SentenceInput<'a>],
        mut known: HashMap<&'a str, Vec<f32>>,
    ) -> Result<HashMap<&'a str, Vec<f32>>> {
        let mut missing: Vec<&'a str> = Vec::new();
        let mut queued: HashSet<&'a str> = HashSet::new();
        for input in inputs {
            for text in self.texts_needed(input) {
                if !known.contains_key(text) && queued.insert(text) {
                    missing.push(text);
                }
            }
        }
        if !missing.is_empty() {
            let encoded = self.encoder()?.embed(&missing)?;
            for (text, mut vector) in missing.into_iter().zip(encoded) {
                round_to_half(&mut vector);
                known.insert(text, vector);
            }
        }
        Ok(known)
    }

    fn features_from(
        &self,
        inputs: &[SentenceInput],
        embeddings: &HashMap<&str, Vec<f32>>,
    ) -> Vec<Vec<f32>> {
        inputs
            .par_iter()
            .map(|input| {
                let mut texts = self.texts_needed(input);
                let text = &embeddings[texts.next().expect("the sentence itself")];
                let prev = self
                    .card
                    .use_prev
                    .then(|| embeddings[texts.next().expect("previous")].as_slice());
                let next = self
                    .card
                    .settings
                    .use_next
                    .then(|| embeddings[texts.next().expect("next")].as_slice());
                assemble_features(text, prev, next, &self.rules.features(input))
            })
            .collect()
    }

    /// Features of each input. In a report the neighbouring sentences are usually also
    /// inputs, so each distinct text is encoded once.
    pub fn features(&self, inputs: &[SentenceInput]) -> Result<Vec<Vec<f32>>> {
        let embeddings = self.embeddings_for(inputs, HashMap::new())?;
        Ok(self.features_from(inputs, &embeddings))
    }

    /// Head scores of a report's sentences (in order, as [`Classifier::classify_report`]
    /// takes them) and each sentence's embedding, taking those in `stored` when they are
    /// this encoder's.
    pub fn report_scores(
        &self,
        inputs: &[SentenceInput],
        stored: Option<&SentenceEmbeddings>,
    ) -> Result<(Vec<HeadScores>, SentenceEmbeddings)> {
        let mut known = HashMap::new();
        if let Some(stored) = stored.filter(|s| {
            s.encoder == self.encoder.version
                && s.dim == self.card.embedding_dim
                && s.len() == inputs.len()
        }) {
            for (i, input) in inputs.iter().enumerate() {
                known.insert(input.text, stored.row(i));
            }
        }
        let embeddings = self.embeddings_for(inputs, known)?;
        let rows: Vec<&[f32]> = inputs
            .iter()
            .map(|input| embeddings[input.text].as_slice())
            .collect();
        let sentence_embeddings =
            SentenceEmbeddings::from_rows(&self.encoder.version, self.card.embedding_dim, &rows);
        let scores = self
            .features_from(inputs, &embeddings)
            .into_par_iter()
            .map(|f| self.heads.score(&f))
            .collect();
        Ok((scores, sentence_embeddings))
    }

    /// Head scores of each input, with the features they came from.
    pub fn scores(&self, inputs: &[SentenceInput]) -> Result<Vec<(HeadScores, Vec<f32>)>> {
        Ok(self
            .features(inputs)?
            .into_par_iter()
            .map(|f| (self.heads.score(&f), f))
            .collect())
    }

    /// The names of the features, grouped for explanations: embedding dimensions are one
    /// group each ("sentence embedding", "previous sentence embedding").
    pub fn feature_groups(&self) -> Vec<String> {
        let dim = self.card.embedding_dim;
        let mut names = vec!["sentence embedding".to_string(); dim];
        if self.card.use_prev {
            names.extend(std::iter::repeat_n(
                "previous sentence embedding".to_string(),
                dim,
            ));
        }
        if self.card.settings.use_next {
            names.extend(std::iter::repeat_n(
                "next sentence embedding".to_string(),
                dim,
            ));
        }
        names.extend(self.card.rule_features.iter().map(|n| format!("rule {n}")));
        names
    }

    /// The combined classifier's labels (see [`combine`]).
    pub fn combined_labels(&self, inputs: &[SentenceInput]) -> Result<Vec<Label>> {
        Ok(self.combined_report_labels(inputs, None)?.0)
    }

    /// [`ModelClassifier::combined_labels`] of a report's sentences (see
    /// [`Classifier::classify_report`]), with their embeddings.
    pub fn combined_report_labels(
        &self,
        inputs: &[SentenceInput],
        stored: Option<&SentenceEmbeddings>,
    ) -> Result<(Vec<Label>, Option<SentenceEmbeddings>)> {
        self.labels_from_scores(inputs, stored, |scores, input| {
            let rules_label = self.rules.classify(input);
            let list_item =
                input.in_improvement_list && self.rules.names_what_should_improve(input.text);
            combine(
                scores,
                &self.heads,
                &self.card.themes,
                &rules_label,
                input,
                list_item,
            )
        })
    }

    /// The model's label of one sentence.
    pub fn classify(&self, input: &SentenceInput) -> Result<Label> {
        Ok(self.classify_batch(std::slice::from_ref(input))?.remove(0))
    }

    /// Labels from the heads' scores, with the embeddings they came from, or the encoder's
    /// error: never another classifier's labels in their place, since the store records who
    /// labelled what.
    fn labels_from_scores(
        &self,
        inputs: &[SentenceInput],
        stored: Option<&SentenceEmbeddings>,
        make: impl Fn(&HeadScores, &SentenceInput) -> Label + Sync,
    ) -> Result<(Vec<Label>, Option<SentenceEmbeddings>)> {
        let (scores, embeddings) = self
            .report_scores(inputs, stored)
            .context("the model failed")?;
        let labels = scores
            .par_iter()
            .zip(inputs)
            .map(|(s, input)| make(s, input))
            .collect();
        Ok((labels, Some(embeddings)))
    }

    fn model_labels(
        &self,
        inputs: &[SentenceInput],
        stored: Option<&SentenceEmbeddings>,
    ) -> Result<(Vec<Label>, Option<SentenceEmbeddings>)> {
        self.labels_from_scores(inputs, stored, |scores, _| {
            label_from_scores(scores, &self.heads, &self.card.themes)
        })
    }
}

/// Rounds each value to the nearest half-precision number, the precision embeddings are
/// stored in.
fn round_to_half(values: &mut [f32]) {
    for v in values {
        *v = half::f16::from_f32(*v).to_f32();
    }
}

impl Classifier for ModelClassifier {
    fn name(&self) -> &str {
        "model"
    }

    fn version(&self) -> String {
        self.version_of(self.name())
    }

    fn classify_batch(&self, inputs: &[SentenceInput]) -> Result<Vec<Label>> {
        Ok(self.model_labels(inputs, None)?.0)
    }

    fn classify_report(
        &self,
        inputs: &[SentenceInput],
        stored: Option<&SentenceEmbeddings>,
    ) -> Result<(Vec<Label>, Option<SentenceEmbeddings>)> {
        self.model_labels(inputs, stored)
    }

    fn encoder_version(&self) -> Option<&str> {
        Some(self.encoder_version())
    }

    fn prepare(&self) -> Result<()> {
        self.encoder().map(|_| ())
    }
}

/// The model with the rules' structural knowledge on top (see [`combine`]).
pub struct CombinedClassifier {
    model: ModelClassifier,
}

impl CombinedClassifier {
    pub fn new(model: ModelClassifier) -> CombinedClassifier {
        CombinedClassifier { model }
    }

    pub fn model(&self) -> &ModelClassifier {
        &self.model
    }
}

impl Classifier for CombinedClassifier {
    fn name(&self) -> &str {
        "combined"
    }

    fn version(&self) -> String {
        self.model.version_of(self.name())
    }

    fn classify_batch(&self, inputs: &[SentenceInput]) -> Result<Vec<Label>> {
        self.model.combined_labels(inputs)
    }

    fn classify_report(
        &self,
        inputs: &[SentenceInput],
        stored: Option<&SentenceEmbeddings>,
    ) -> Result<(Vec<Label>, Option<SentenceEmbeddings>)> {
        self.model.combined_report_labels(inputs, stored)
    }

    fn encoder_version(&self) -> Option<&str> {
        Some(self.model.encoder_version())
    }

    fn prepare(&self) -> Result<()> {
        self.model.prepare()
    }
}
