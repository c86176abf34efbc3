//! Training the model's heads: the labelled sentences turned into features once
//! ([`TrainingSet`]), heads fitted with theme thresholds chosen on held-back folds
//! ([`train_heads`]), grouped cross-validation ([`cross_validate`]), and [`train`], which
//! does all of it and describes the result in a [`HeadsCard`]; with a [`Teacher`], the
//! heads are distilled from a stronger encoder's ([`distil`]). `ofsted-themes train` is its
//! command line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::classify::encoder::{Encoder, Weights};
use crate::classify::encoder_kind::EncoderKind;
use crate::classify::heads::{
    best_cut, choose_rule_backed_thresholds, choose_thresholds, HeadScores, Heads, SoftTargets,
    TrainSettings,
};
use crate::classify::memory::{blend, ThemeMemory};
use crate::classify::model::{
    assemble_features, combine, label_from_scores, neighbour_or_self, CrossValidation,
    DistillationCard, Figures, HeadsCard, HeldOutFigures, KindFigures,
};
use crate::classify::RulesClassifier;
use crate::eval::{LabelledSentence, StanceMetrics, ThemeMetrics};
use crate::files;
use crate::taxonomy::Taxonomy;
use crate::types::{Label, SentenceInput, Stance};

pub mod distil;
pub use distil::{unlabelled_sentences, Distillation, SetRecipe, Taught};

/// The labelled sentences with everything training needs computed once: features (the
/// embeddings are the slow part), truth, the rules' labels and the report each is from.
pub struct TrainingSet {
    /// Sentence embedding, previous sentence's if used, rule features.
    pub features: Vec<Vec<f32>>,
    /// The next sentence's embedding, put in the features by [`TrainingSet::with_next`]
    /// when the settings say so.
    pub next_embeddings: Vec<Vec<f32>>,
    /// Width of one sentence embedding.
    pub embedding_dim: usize,
    /// Where the rule features start in a row of `features`.
    pub rule_features_at: usize,
    /// Whether `features` holds the next sentence's embedding (see [`TrainingSet::with_next`]).
    pub next_in_features: bool,
    pub stance: Vec<usize>,
    pub themes: Vec<Vec<bool>>,
    pub rules_labels: Vec<Label>,
    /// Whether the rules' label gives each theme, in taxonomy order.
    pub rules_themes: Vec<Vec<bool>>,
    /// The report each row is from.
    pub docs: Vec<String>,
    /// Whether each row is a hard case ([`crate::eval::is_hard_case`]).
    pub hard_cases: Vec<bool>,
    /// Each row's sentence (the combined classifier reads it).
    pub texts: Vec<String>,
    /// What the folds group rows by (see [`TrainingSet::grouped_by`]).
    pub group_by: GroupBy,
    pub inputs_in_improvement_list: Vec<bool>,
}

impl TrainingSet {
    pub fn build(
        rows: &[LabelledSentence],
        encoder: &Encoder,
        rules: &RulesClassifier,
        use_prev: bool,
        cache: Option<&Path>,
    ) -> Result<TrainingSet> {
        let theme_ids: Vec<&str> = rules
            .taxonomy()
            .themes
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        let mut distinct: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for row in rows {
            for text in [row.text.as_str(), row.prev.as_str(), row.next.as_str()] {
                index.entry(text).or_insert_with(|| {
                    distinct.push(text);
                    distinct.len() - 1
                });
            }
        }
        let embeddings = embed_with_cache(encoder, &distinct, cache)?;
        let inputs: Vec<SentenceInput> = rows.iter().map(|r| r.input()).collect();
        let rules_labels = rules.classify_all(&inputs);
        let rules_themes = rules_labels
            .iter()
            .map(|label| {
                theme_ids
                    .iter()
                    .map(|id| label.themes.iter().any(|t| t.id == *id))
                    .collect()
            })
            .collect();
        Ok(TrainingSet {
            features: rows
                .iter()
                .zip(&inputs)
                .map(|(row, input)| {
                    assemble_features(
                        &embeddings[index[row.text.as_str()]],
                        use_prev.then(|| {
                            embeddings[index[neighbour_or_self(&row.text, &row.prev)]].as_slice()
                        }),
                        None,
                        &rules.features(input),
                    )
                })
                .collect(),
            next_embeddings: rows
                .iter()
                .map(|row| embeddings[index[neighbour_or_self(&row.text, &row.next)]].clone())
                .collect(),
            embedding_dim: encoder.dim(),
            rule_features_at: encoder.dim() * (1 + use_prev as usize),
            next_in_features: false,
            stance: rows.iter().map(|r| r.stance.index()).collect(),
            themes: rows
                .iter()
                .map(|r| {
                    theme_ids
                        .iter()
                        .map(|id| r.themes.iter().any(|t| t == id))
                        .collect()
                })
                .collect(),
            rules_labels,
            rules_themes,
            docs: rows.iter().map(|r| r.doc.clone()).collect(),
            hard_cases: rows
                .iter()
                .map(|r| crate::eval::is_hard_case(&r.id))
                .collect(),
            texts: rows.iter().map(|r| r.text.clone()).collect(),
            group_by: GroupBy::Report,
            inputs_in_improvement_list: inputs.iter().map(|i| i.in_improvement_list).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The set with the features the settings ask for: the next sentence's embedding
    /// goes in before the rule features when `use_next` is set.
    pub fn with_next(&self, settings: &TrainSettings) -> TrainingSet {
        let at = self.rule_features_at;
        let add_next = settings.use_next && !self.next_in_features;
        let features = if add_next {
            self.features
                .iter()
                .zip(&self.next_embeddings)
                .map(|(row, next)| [&row[..at], next, &row[at..]].concat())
                .collect()
        } else {
            self.features.clone()
        };
        TrainingSet {
            features,
            next_embeddings: self.next_embeddings.clone(),
            embedding_dim: self.embedding_dim,
            rule_features_at: if add_next {
                at + self.embedding_dim
            } else {
                at
            },
            next_in_features: self.next_in_features || add_next,
            stance: self.stance.clone(),
            themes: self.themes.clone(),
            rules_labels: self.rules_labels.clone(),
            rules_themes: self.rules_themes.clone(),
            docs: self.docs.clone(),
            hard_cases: self.hard_cases.clone(),
            texts: self.texts.clone(),
            group_by: self.group_by,
            inputs_in_improvement_list: self.inputs_in_improvement_list.clone(),
        }
    }

    /// The set with its rows grouped for the folds by `group_by`.
    pub fn grouped_by(mut self, group_by: GroupBy) -> TrainingSet {
        self.group_by = group_by;
        self
    }

    /// The group of each row for the folds: its report, or its authority.
    pub fn groups(&self) -> Vec<String> {
        self.docs
            .iter()
            .map(|d| self.group_by.group_of(d))
            .collect()
    }

    fn subset<T: Clone>(items: &[T], rows: &[usize]) -> Vec<T> {
        rows.iter().map(|&i| items[i].clone()).collect()
    }
}

/// Embeddings of `texts`, read from / written to `cache` when given. The file name is a
/// hash of the texts, so a changed training file never reads stale vectors.
fn embed_with_cache(
    encoder: &Encoder,
    texts: &[&str],
    cache: Option<&Path>,
) -> Result<Vec<Vec<f32>>> {
    let Some(dir) = cache else {
        return encoder.embed(texts);
    };
    let key = cache_key(encoder.version(), encoder.dim(), texts);
    let path = dir.join(format!("embeddings-{}.safetensors", &key[..16]));
    let device = candle_core::Device::Cpu;
    if let Ok(tensors) = candle_core::safetensors::load(&path, &device) {
        if let Some(Ok(rows)) = tensors.get("embeddings").map(|t| t.to_vec2::<f32>()) {
            if rows.len() == texts.len() {
                return Ok(rows);
            }
        }
    }
    let start = std::time::Instant::now();
    let rows = encoder.embed(texts)?;
    let seconds = start.elapsed().as_secs_f64();
    log::info!(
        "encoded {} texts with {} in {seconds:.1} s ({:.1} texts/s); cached in {}",
        texts.len(),
        encoder.version(),
        texts.len() as f64 / seconds.max(1e-9),
        path.display()
    );
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tensor =
        candle_core::Tensor::from_vec(rows.concat(), (rows.len(), encoder.dim()), &device)?;
    let bytes = safetensors::tensor::serialize([("embeddings", &tensor)], None)
        .with_context(|| format!("cannot serialise {}", path.display()))?;
    files::atomic_write(&path, |out| Ok(out.write_all(&bytes)?))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(rows)
}

/// The hash that names the cache file of `texts` embedded by the encoder of `version` and
/// width `dim`.
fn cache_key(version: &str, dim: usize, texts: &[&str]) -> String {
    // The pinned weights' hash names the encoder (MiniLM's when it is a test's model).
    let kind = EncoderKind::of_version(version).unwrap_or_default();
    let mut keyed = format!("{}:{}", kind.weights_sha256(), dim).into_bytes();
    // An encoder run another way than its f32 reference (int8) is keyed apart; the f32 keys
    // are unchanged, so caches from before stay valid.
    if version != kind.version_for(Weights::Candle) {
        keyed.extend_from_slice(version.as_bytes());
    }
    for text in texts {
        keyed.extend_from_slice(text.as_bytes());
        keyed.push(0);
    }
    files::sha256_hex(&keyed)
}

/// Fold of each row: reports sorted by name and dealt round-robin, so no report is in two
/// folds and the split does not depend on file order.
pub fn grouped_folds(docs: &[String], folds: usize) -> Vec<usize> {
    let names: BTreeSet<&str> = docs.iter().map(String::as_str).collect();
    let fold_of: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, i % folds))
        .collect();
    docs.iter().map(|d| fold_of[d.as_str()]).collect()
}

/// What cross-validation folds are grouped by: no group is in both training and test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GroupBy {
    /// The labelled row's `doc`: no report in both.
    #[default]
    Report,
    /// The authority a report is about, taken from its file name up to the first `_`
    /// (`ilacs/leeds_2019-03-22_ilacs.pdf` → `leeds`): no authority in both, as when the
    /// heads meet reports from authorities they never saw.
    Authority,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Report => "doc",
            GroupBy::Authority => "authority",
        }
    }

    /// What the groups are, in messages.
    pub fn plural(self) -> &'static str {
        match self {
            GroupBy::Report => "reports",
            GroupBy::Authority => "authorities",
        }
    }

    /// The group of a labelled row from its `doc`.
    pub fn group_of(self, doc: &str) -> String {
        match self {
            GroupBy::Report => doc.to_string(),
            GroupBy::Authority => {
                let stem = Path::new(doc)
                    .file_stem()
                    .map_or_else(|| doc.into(), |s| s.to_string_lossy());
                stem.split('_').next().unwrap_or_default().to_lowercase()
            }
        }
    }
}

/// Folds used inside a training set to choose theme thresholds on held-back scores.
pub const THRESHOLD_FOLDS: usize = 4;

/// Trains heads on `rows` of the set, with theme thresholds chosen on out-of-fold scores
/// of an inner grouped split of those rows; with `taught`, the teacher's probabilities
/// are learnt beside the labels (each inner fit leaves out those of its held-back groups).
pub fn train_heads(
    set: &TrainingSet,
    rows: &[usize],
    settings: &TrainSettings,
    taught: Option<&Taught>,
) -> Result<Heads> {
    let groups = TrainingSet::subset(&set.groups(), rows);
    let inner = grouped_folds(&groups, THRESHOLD_FOLDS);
    let mut held_back: Vec<Option<HeadScores>> = vec![None; rows.len()];
    for fold in 0..THRESHOLD_FOLDS {
        let fit: Vec<usize> = (0..rows.len())
            .filter(|&i| inner[i] != fold)
            .map(|i| rows[i])
            .collect();
        let held_out: BTreeSet<&str> = (0..rows.len())
            .filter(|&i| inner[i] == fold)
            .map(|i| groups[i].as_str())
            .collect();
        let soft = taught.map(|t| t.targets(&held_out));
        let heads = fit_heads(set, &fit, settings, soft.as_ref())?;
        for i in (0..rows.len()).filter(|&i| inner[i] == fold) {
            held_back[i] = Some(heads.score(&set.features[rows[i]]));
        }
    }
    let held_back: Vec<HeadScores> = held_back
        .into_iter()
        .map(|s| s.expect("every row is in an inner fold"))
        .collect();
    let truth = TrainingSet::subset(&set.themes, rows);
    let soft = taught.map(|t| t.targets(&BTreeSet::new()));
    let mut heads = fit_heads(set, rows, settings, soft.as_ref())?;
    let held_back: Vec<Vec<f32>> = match &mut heads.memory {
        Some(memory) => {
            memory.blend = choose_blends(memory, &held_back, &truth);
            held_back
                .iter()
                .map(|s| memory.blended(&s.logistic_themes, &s.memory_votes))
                .collect()
        }
        None => held_back.into_iter().map(|s| s.themes).collect(),
    };
    heads.theme_threshold = choose_thresholds(&held_back, &truth);
    let (with_rule, without_rule) = choose_rule_backed_thresholds(
        &held_back,
        &TrainingSet::subset(&set.rules_themes, rows),
        &truth,
        &heads.theme_threshold,
    );
    heads.combined_threshold_with_rule = with_rule;
    heads.combined_threshold_without_rule = without_rule;
    Ok(heads)
}

/// Each theme's share of the memory's vote: the one of [`ThemeMemory::blend_grid`] whose
/// held-back scores reach the best F1 (the smaller share on a tie; none for a theme with
/// too few positives to tell).
fn choose_blends(memory: &ThemeMemory, held_back: &[HeadScores], truth: &[Vec<bool>]) -> Vec<f32> {
    (0..memory.blend.len())
        .map(|t| {
            let column: Vec<bool> = truth.iter().map(|r| r[t]).collect();
            let mut best = (f32::MIN, 0.0);
            for share in memory.blend_grid() {
                let scores: Vec<f32> = held_back
                    .iter()
                    .map(|s| blend(share, s.logistic_themes[t], s.memory_votes[t]))
                    .collect();
                match best_cut(&scores, &column) {
                    Some((f1, _)) if f1 > best.0 + 1e-6 => best = (f1, share),
                    Some(_) => {}
                    None => return 0.0,
                }
            }
            best.1
        })
        .collect()
}

/// Logistic heads on `rows` (and `soft` targets when distilling), with a theme memory of
/// the labelled rows when the settings ask for one.
fn fit_heads(
    set: &TrainingSet,
    rows: &[usize],
    settings: &TrainSettings,
    soft: Option<&SoftTargets>,
) -> Result<Heads> {
    let features = TrainingSet::subset(&set.features, rows);
    let themes = TrainingSet::subset(&set.themes, rows);
    let mut heads = Heads::train_with_soft(
        &features,
        &TrainingSet::subset(&set.stance, rows),
        &themes,
        soft,
        settings,
    )?;
    if settings.memory.blend > 0.0 {
        // The embeddings come first in a feature row: the sentence's, then its neighbours'.
        let neighbour_blocks = set.rule_features_at / set.embedding_dim - 1;
        heads.memory = Some(ThemeMemory::build(
            &features,
            &themes,
            set.embedding_dim,
            neighbour_blocks,
            settings.memory,
        )?);
    }
    Ok(heads)
}

/// Grouped cross-validation: for each fold, heads trained on the other folds label it;
/// the figures are over all held-out sentences, for rules, model and combined. With
/// `distillation`, each fold's teacher is trained on that fold's training rows.
pub fn cross_validate(
    set: &TrainingSet,
    theme_ids: &[String],
    folds: usize,
    settings: &TrainSettings,
    distillation: Option<&Distillation>,
) -> Result<CrossValidation> {
    Ok(cross_validate_thinned(set, theme_ids, folds, settings, 1.0, distillation)?.0)
}

/// [`cross_validate`] with each fold's training groups thinned to `fraction` of them
/// ([`kept_groups`]; the held-out folds stay whole), and the mean count of training
/// sentences per fold: how the figures grow with labelled data.
pub fn cross_validate_thinned(
    set: &TrainingSet,
    theme_ids: &[String],
    folds: usize,
    settings: &TrainSettings,
    fraction: f64,
    distillation: Option<&Distillation>,
) -> Result<(CrossValidation, f64)> {
    let set = &set.with_next(settings);
    let groups = set.groups();
    let fold_of = grouped_folds(&groups, folds);
    let kept = kept_groups(&groups, fraction);
    let mut model_labels: Vec<Option<Label>> = vec![None; set.len()];
    let mut combined_labels: Vec<Option<Label>> = vec![None; set.len()];
    let mut trained_on = 0usize;
    for fold in 0..folds {
        log::info!("  fold {}/{folds}", fold + 1);
        let train: Vec<usize> = (0..set.len())
            .filter(|&i| fold_of[i] != fold && kept[i])
            .collect();
        let training_groups: BTreeSet<&str> = train.iter().map(|&i| groups[i].as_str()).collect();
        if training_groups.len() < THRESHOLD_FOLDS {
            bail!(
                "training on {:.0}% of the {} leaves fold {} with {} to train on; the thresholds' inner folds need at least {THRESHOLD_FOLDS}",
                fraction * 100.0,
                set.group_by.plural(),
                fold + 1,
                training_groups.len()
            );
        }
        trained_on += train.len();
        let test_groups: BTreeSet<&str> = (0..set.len())
            .filter(|&i| fold_of[i] == fold)
            .map(|i| groups[i].as_str())
            .collect();
        let taught = match distillation {
            Some(d) => Some(d.teach(&train, &test_groups)?),
            None => None,
        };
        let heads = train_heads(set, &train, settings, taught.as_ref())?;
        for i in (0..set.len()).filter(|&i| fold_of[i] == fold) {
            let scores: HeadScores = heads.score(&set.features[i]);
            model_labels[i] = Some(label_from_scores(&scores, &heads, theme_ids));
            let input = SentenceInput {
                text: &set.texts[i],
                in_improvement_list: set.inputs_in_improvement_list[i],
                ..Default::default()
            };
            combined_labels[i] = Some(combine(
                &scores,
                &heads,
                theme_ids,
                &set.rules_labels[i],
                &input,
                // Labelled rows carry no list structure (false for every row).
                set.inputs_in_improvement_list[i],
            ));
        }
    }
    let unwrap = |labels: Vec<Option<Label>>| -> Vec<Label> {
        labels
            .into_iter()
            .map(|l| l.expect("every row is in a fold"))
            .collect()
    };
    let (model_labels, combined_labels) = (unwrap(model_labels), unwrap(combined_labels));
    let figures = |labels: &[Label], rows: &[usize]| {
        let pick = |i: &usize| (labels[*i].clone(), set.stance[*i], set.themes[*i].clone());
        let (labels, stance, themes): (Vec<Label>, Vec<usize>, Vec<Vec<bool>>) =
            rows.iter().map(pick).collect();
        metrics::figures(&labels, &stance, &themes, theme_ids)
    };
    // Every figure over `rows` of the held-out labels, then over each kind of document.
    let held_out = |rows: &[usize]| {
        let by_kind = crate::eval::rows_by_kind(rows.iter().map(|&i| set.docs[i].as_str()))
            .into_iter()
            .map(|(kind, of_rows)| {
                let kind_rows: Vec<usize> = of_rows.iter().map(|&k| rows[k]).collect();
                KindFigures {
                    kind: kind.to_string(),
                    sentences: kind_rows.len(),
                    rules: figures(&set.rules_labels, &kind_rows),
                    model: figures(&model_labels, &kind_rows),
                    combined: figures(&combined_labels, &kind_rows),
                }
            })
            .collect();
        HeldOutFigures {
            sentences: rows.len(),
            rules: figures(&set.rules_labels, rows),
            model: figures(&model_labels, rows),
            combined: figures(&combined_labels, rows),
            by_kind,
        }
    };
    let all = held_out(&(0..set.len()).collect::<Vec<_>>());
    let sampled: Vec<usize> = (0..set.len()).filter(|&i| !set.hard_cases[i]).collect();
    let without_hard_cases = (sampled.len() < set.len()).then(|| held_out(&sampled));
    let cv = CrossValidation {
        folds,
        grouped_by: set.group_by.as_str().to_string(),
        rules: all.rules,
        model: all.model,
        combined: all.combined,
        by_kind: all.by_kind,
        without_hard_cases,
    };
    Ok((cv, trained_on as f64 / folds as f64))
}

/// The shares of the training groups that `train --learning-curve` trains on.
pub const CURVE_FRACTIONS: [f64; 4] = [0.25, 0.5, 0.75, 1.0];

/// Which rows are kept when training on `fraction` of the groups (reports or authorities):
/// groups are taken in an order fixed by a hash of their names, so a smaller fraction keeps
/// a subset of a larger one and the choice does not depend on the file's order.
pub fn kept_groups(groups: &[String], fraction: f64) -> Vec<bool> {
    let names: BTreeSet<&str> = groups.iter().map(String::as_str).collect();
    let mut order: Vec<(String, &str)> = names
        .into_iter()
        .map(|g| (files::sha256_hex(g.as_bytes()), g))
        .collect();
    order.sort();
    let keep = ((order.len() as f64 * fraction).round() as usize).min(order.len());
    let kept: BTreeSet<&str> = order[..keep].iter().map(|(_, g)| *g).collect();
    groups.iter().map(|g| kept.contains(g.as_str())).collect()
}

/// The training set of `rows` as `options` ask (encoded, grouped), with the rules that gave
/// its rule features and the taxonomy's theme ids.
fn encoded_set(
    rows: &[LabelledSentence],
    encoder: &Encoder,
    taxonomy: &Taxonomy,
    options: &TrainOptions,
) -> Result<(TrainingSet, RulesClassifier, Vec<String>)> {
    let rules = RulesClassifier::new(taxonomy.clone());
    let theme_ids: Vec<String> = taxonomy.themes.iter().map(|t| t.id.clone()).collect();
    log::info!("encoding {} labelled sentences...", rows.len());
    let set = TrainingSet::build(
        rows,
        encoder,
        &rules,
        options.use_prev,
        options.cache.as_deref(),
    )?
    .grouped_by(options.group_by);
    Ok((set, rules, theme_ids))
}

/// One point of a learning curve: cross-validated figures with the training folds thinned
/// to `fraction` of their reports.
pub struct CurvePoint {
    pub fraction: f64,
    /// Mean training sentences per fold.
    pub training_sentences: f64,
    pub cv: CrossValidation,
}

/// Cross-validation repeated with the training folds thinned to each of `fractions` (the
/// held-out folds always whole): whether more labelled reports would raise the figures,
/// and by about how much.
pub fn learning_curve(
    rows: &[LabelledSentence],
    encoder: &Encoder,
    taxonomy: &Taxonomy,
    options: &TrainOptions,
    fractions: &[f64],
    teacher: Option<&Teacher>,
) -> Result<Vec<CurvePoint>> {
    let (set, rules, theme_ids) = encoded_set(rows, encoder, taxonomy, options)?;
    let distillation = distillation_for(rows, encoder, &rules, options, teacher)?;
    fractions
        .iter()
        .map(|&fraction| {
            log::info!("training on {:.0}% of the reports...", fraction * 100.0);
            let (cv, training_sentences) = cross_validate_thinned(
                &set,
                &theme_ids,
                options.folds,
                &options.settings,
                fraction,
                distillation.as_ref(),
            )?;
            Ok(CurvePoint {
                fraction,
                training_sentences,
                cv,
            })
        })
        .collect()
}

/// How [`train`] trains and measures.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Cross-validation folds.
    pub folds: usize,
    /// What the folds (and the inner folds that choose thresholds) are grouped by.
    pub group_by: GroupBy,
    /// Put the previous sentence's embedding in the features.
    pub use_prev: bool,
    pub settings: TrainSettings,
    /// Folder that keeps the sentence embeddings between runs.
    pub cache: Option<PathBuf>,
}

/// A teacher-labelled sentence's weight beside a hand-labelled one's, unless `train` is
/// told otherwise.
pub const DEFAULT_DISTIL_WEIGHT: f32 = 0.3;

/// What distillation takes (see [`Distillation`]): the teacher's encoder and heads
/// settings, the unlabelled sentences it labels, and their weight beside a labelled one.
pub struct Teacher<'a> {
    pub encoder: &'a Encoder,
    pub settings: TrainSettings,
    pub unlabelled: &'a [LabelledSentence],
    pub weight: f32,
}

/// The sentences encoded for distilling from `teacher`, when there is one.
fn distillation_for(
    rows: &[LabelledSentence],
    student: &Encoder,
    rules: &RulesClassifier,
    options: &TrainOptions,
    teacher: Option<&Teacher>,
) -> Result<Option<Distillation>> {
    let Some(teacher) = teacher else {
        return Ok(None);
    };
    let recipe = SetRecipe {
        rules,
        use_prev: options.use_prev,
        cache: options.cache.as_deref(),
        group_by: options.group_by,
        student_settings: &options.settings,
    };
    Distillation::build(
        rows,
        teacher.unlabelled,
        teacher.encoder,
        student,
        &recipe,
        teacher.settings.clone(),
        teacher.weight,
    )
    .map(Some)
}

/// Heads trained on every labelled sentence, with the card that describes them.
pub struct Trained {
    pub heads: Heads,
    pub card: HeadsCard,
}

/// Cross-validates on `rows` (read from `labels`), then trains heads on all of them and
/// records in the card what they were trained from and how they measured. With a
/// `teacher`, the heads are distilled from it (see [`Distillation`]).
pub fn train(
    rows: &[LabelledSentence],
    labels: &Path,
    encoder: &Encoder,
    taxonomy: &Taxonomy,
    options: &TrainOptions,
    teacher: Option<&Teacher>,
) -> Result<Trained> {
    let (set, rules, theme_ids) = encoded_set(rows, encoder, taxonomy, options)?;
    let distillation = distillation_for(rows, encoder, &rules, options, teacher)?;
    log::info!(
        "cross-validating ({} folds, grouped by {})...",
        options.folds,
        options.group_by.as_str()
    );
    let settings = &options.settings;
    let cv = cross_validate(
        &set,
        &theme_ids,
        options.folds,
        settings,
        distillation.as_ref(),
    )?;
    let all: Vec<usize> = (0..set.len()).collect();
    let taught = match &distillation {
        Some(d) => Some(d.teach(&all, &BTreeSet::new())?),
        None => None,
    };
    let heads = train_heads(&set.with_next(settings), &all, settings, taught.as_ref())?;
    let distillation_card = match (teacher, &distillation) {
        (Some(teacher), Some(d)) => {
            log::info!("cross-validating the same heads without the teacher, to compare...");
            let plain = cross_validate(&set, &theme_ids, options.folds, settings, None)?;
            Some(distillation_card(teacher, d, plain))
        }
        _ => None,
    };
    let by_theme = |cuts: &[f32]| -> BTreeMap<String, f32> {
        theme_ids
            .iter()
            .cloned()
            .zip(cuts.iter().copied())
            .collect()
    };
    let card = HeadsCard {
        encoder: EncoderKind::of_version(encoder.version())
            .unwrap_or_default()
            .card_name(),
        embedding_dim: encoder.dim(),
        use_prev: options.use_prev,
        rule_features: rules.feature_names(),
        stances: Stance::ALL.iter().map(|s| s.as_str().to_string()).collect(),
        themes: theme_ids.clone(),
        thresholds: by_theme(&heads.theme_threshold),
        combined_thresholds_with_rule: by_theme(&heads.combined_threshold_with_rule),
        combined_thresholds_without_rule: by_theme(&heads.combined_threshold_without_rule),
        memory_blend: heads
            .memory
            .as_ref()
            .map_or_else(BTreeMap::new, |m| by_theme(&m.blend)),
        taxonomy_version: taxonomy.version.clone(),
        training_file: labels
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        training_sha256: crate::files::sha256_file(labels)?,
        training_sentences: rows.len(),
        settings: settings.clone(),
        distillation: distillation_card,
        cross_validation: cv,
    };
    Ok(Trained { heads, card })
}

/// What the card says of a distillation from `teacher`; `plain`: the same heads'
/// cross-validation without it.
fn distillation_card(
    teacher: &Teacher,
    d: &Distillation,
    plain: CrossValidation,
) -> DistillationCard {
    DistillationCard {
        teacher: EncoderKind::of_version(teacher.encoder.version())
            .unwrap_or_default()
            .card_name(),
        teacher_settings: teacher.settings.clone(),
        unlabelled_sentences: d.unlabelled_len(),
        unlabelled_reports: teacher
            .unlabelled
            .iter()
            .map(|r| r.doc.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        weight: teacher.weight,
        without_teacher: plain,
    }
}

/// The cross-validated figures side by side, as printed by `train` and put in docs/accuracy.md:
/// all held-out sentences, then those of each kind of document.
pub fn figures_table(cv: &CrossValidation) -> String {
    let mut out = format!(
        "grouped {}-fold cross-validation (by {}), all held-out rows\n{}",
        cv.folds,
        cv.grouped_by,
        figures_rows(&[
            ("rules", &cv.rules),
            ("model", &cv.model),
            ("combined", &cv.combined)
        ])
    );
    out += &kinds_table(&cv.by_kind);
    if let Some(sampled) = &cv.without_hard_cases {
        out += &format!(
            "the same heads scored on the {} held-out rows that are not hard cases (comparable with cards before them)\n{}",
            sampled.sentences,
            figures_rows(&[
                ("rules", &sampled.rules),
                ("model", &sampled.model),
                ("combined", &sampled.combined)
            ])
        );
        out += &kinds_table(&sampled.by_kind);
    }
    out
}

fn kinds_table(by_kind: &[KindFigures]) -> String {
    let mut out = String::new();
    for k in by_kind {
        out += &format!(
            "{}: {} sentences\n{}",
            k.kind,
            k.sentences,
            figures_rows(&[
                ("rules", &k.rules),
                ("model", &k.model),
                ("combined", &k.combined)
            ])
        );
    }
    out
}

/// The learning curve: per share of the training reports, the mean training sentences
/// per fold and the model's and combined classifier's headline figures.
pub fn curve_table(curve: &[CurvePoint], group_by: GroupBy) -> String {
    let groups = group_by.plural();
    let mut out = format!(
        "learning curve: each fold trained on a share of its {groups} (held-out folds whole)\n{:>6} {:>10} {:>14} {:>14} {:>14} {:>14}\n",
        "share", "sentences", "model stance", "comb. stance", "model themes", "comb. themes"
    );
    for p in curve {
        out += &format!(
            "{:>5.0}% {:>10.0} {:>14.3} {:>14.3} {:>14.3} {:>14.3}\n",
            p.fraction * 100.0,
            p.training_sentences,
            p.cv.model.stance_macro_f1,
            p.cv.combined.stance_macro_f1,
            p.cv.model.theme_micro_f1,
            p.cv.combined.theme_micro_f1
        );
    }
    out
}

/// Figures as aligned rows: accuracy, macro-F1 and per-stance F1, theme micro/macro-F1.
pub fn figures_rows(rows: &[(&str, &Figures)]) -> String {
    let mut out = format!(
        "{:<10} {:>6} {:>8} {:>6} {:>6} {:>6} {:>6} {:>8} {:>8}\n",
        "classifier", "acc", "stanceF1", "str", "weak", "rec", "ctx", "themeF1", "thmMacro"
    );
    for (name, f) in rows {
        out += &format!(
            "{name:<10} {:>6.3} {:>8.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>8.3} {:>8.3}\n",
            f.stance_accuracy,
            f.stance_macro_f1,
            f.stance_f1[0],
            f.stance_f1[1],
            f.stance_f1[2],
            f.stance_f1[3],
            f.theme_micro_f1,
            f.theme_macro_f1
        );
    }
    out
}

/// The card's figures from the project's metrics (the eval module's).
mod metrics {
    use super::*;

    /// The card's figures, computed with the same metrics as `ofsted-themes eval`.
    pub fn figures(
        labels: &[Label],
        stance: &[usize],
        themes: &[Vec<bool>],
        theme_ids: &[String],
    ) -> Figures {
        let stance_pairs: Vec<(Stance, Stance)> = labels
            .iter()
            .zip(stance)
            .map(|(label, &truth)| (Stance::ALL[truth], label.stance))
            .collect();
        let theme_pairs: Vec<(Vec<&str>, Vec<&str>)> = labels
            .iter()
            .zip(themes)
            .map(|(label, truth)| {
                let true_ids = theme_ids
                    .iter()
                    .zip(truth)
                    .filter(|(_, &given)| given)
                    .map(|(id, _)| id.as_str())
                    .collect();
                (
                    true_ids,
                    label.themes.iter().map(|t| t.id.as_str()).collect(),
                )
            })
            .collect();
        let stance_metrics = StanceMetrics::compute(&stance_pairs);
        let theme_metrics = ThemeMetrics::compute(&theme_pairs);
        let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
        Figures {
            stance_accuracy: round(stance_metrics.accuracy),
            stance_macro_f1: round(stance_metrics.macro_f1),
            stance_f1: Stance::ALL
                .iter()
                .map(|&s| round(stance_metrics.class(s).f1))
                .collect(),
            theme_micro_f1: round(theme_metrics.micro.f1),
            theme_macro_f1: round(theme_metrics.macro_f1),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::types::ThemeScore;

        fn label(stance: Stance, themes: &[&str]) -> Label {
            Label {
                stance,
                stance_score: 1.0,
                themes: themes
                    .iter()
                    .map(|id| ThemeScore {
                        id: id.to_string(),
                        score: 1.0,
                    })
                    .collect(),
                evidence: vec![],
            }
        }

        #[test]
        fn figures_on_a_hand_computed_example() {
            let ids = vec!["a".to_string(), "b".to_string()];
            let labels = vec![
                label(Stance::Strength, &["a"]),
                label(Stance::Strength, &["a", "b"]),
                label(Stance::Weakness, &[]),
                label(Stance::Context, &["b"]),
            ];
            let stance = vec![0, 1, 1, 3];
            let themes = vec![
                vec![true, false],
                vec![true, true],
                vec![false, true],
                vec![false, false],
            ];
            let f = figures(&labels, &stance, &themes, &ids);
            assert_eq!(f.stance_accuracy, 0.75);
            // strength 2/3, weakness 2/3, recommendation 0, context 1 → 7/3 / 4.
            assert_eq!(f.stance_macro_f1, 0.5833);
            // tp 3 (a, a, b), fp 1 (b on row 4), fn 1 (b on row 3): 6/8.
            assert_eq!(f.theme_micro_f1, 0.75);
            // a: 1.0; b: tp1 fp1 fn1 → 0.5.
            assert_eq!(f.theme_macro_f1, 0.75);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::memory::MemorySettings;
    use crate::eval::read_labelled_for;

    /// f32 caches keep the keys they had (the weights' hash, the width, the texts), MiniLM's
    /// int8 key adds its version as before, and mpnet's int8 embeddings get a key of their own.
    #[test]
    fn cache_keys_tell_encoders_and_their_ways_apart() {
        let texts = ["Plans are reviewed.", "Leaders know their services well."];
        let old_key = |kind: EncoderKind, dim: usize, version: Option<&str>| {
            let mut keyed = format!("{}:{dim}", kind.weights_sha256()).into_bytes();
            keyed.extend_from_slice(version.unwrap_or("").as_bytes());
            for text in texts {
                keyed.extend_from_slice(text.as_bytes());
                keyed.push(0);
            }
            files::sha256_hex(&keyed)
        };
        let (minilm, mpnet) = (EncoderKind::Minilm, EncoderKind::Mpnet);
        let key = |kind: EncoderKind, dim: usize, weights: Weights| {
            cache_key(&kind.version_for(weights), dim, &texts)
        };
        assert_eq!(
            key(minilm, 384, Weights::Candle),
            old_key(minilm, 384, None)
        );
        let minilm_int8 = minilm.version_for(Weights::Int8);
        assert_eq!(
            key(minilm, 384, Weights::Int8),
            old_key(minilm, 384, Some(&minilm_int8))
        );
        assert_eq!(key(mpnet, 768, Weights::Candle), old_key(mpnet, 768, None));
        let mpnet_int8 = key(mpnet, 768, Weights::Int8);
        assert_ne!(mpnet_int8, key(mpnet, 768, Weights::Candle));
        assert_ne!(mpnet_int8, key(minilm, 384, Weights::Int8));
    }

    #[test]
    fn folds_never_split_a_report() {
        let docs: Vec<String> = ["b", "a", "c", "a", "d", "b", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let folds = grouped_folds(&docs, 2);
        for i in 0..docs.len() {
            for j in 0..docs.len() {
                if docs[i] == docs[j] {
                    assert_eq!(folds[i], folds[j]);
                }
            }
        }
        assert_eq!(folds[1], 0, "a is the first report by name");
        assert!(folds.contains(&1));
    }

    #[test]
    fn authority_groups_put_every_visit_to_an_authority_together() {
        let docs = [
            "ilacs/leeds_2019-03-22_ilacs.pdf",
            "fv/leeds_2023-01-10_fv.pdf",
            "ilacs/north-yorkshire_2019-05-01_ilacs.pdf",
            "seeds/ofsted-praises-leeds.txt",
        ];
        let groups: Vec<String> = docs
            .iter()
            .map(|d| GroupBy::Authority.group_of(d))
            .collect();
        assert_eq!(
            groups,
            ["leeds", "leeds", "north-yorkshire", "ofsted-praises-leeds"]
        );
        assert_eq!(GroupBy::Report.group_of(docs[1]), docs[1]);
        let folds = grouped_folds(&groups, 2);
        assert_eq!(folds[0], folds[1]);
    }

    #[test]
    fn thinned_groups_are_whole_nested_and_of_the_asked_share() {
        let groups: Vec<String> = (0..40).map(|i| format!("report-{}", i % 20)).collect();
        let half = kept_groups(&groups, 0.5);
        let quarter = kept_groups(&groups, 0.25);
        let kept_names = |kept: &[bool]| -> BTreeSet<&str> {
            groups
                .iter()
                .zip(kept)
                .filter(|(_, &k)| k)
                .map(|(g, _)| g.as_str())
                .collect()
        };
        assert_eq!(kept_names(&half).len(), 10);
        assert_eq!(kept_names(&quarter).len(), 5);
        assert!(kept_names(&quarter).is_subset(&kept_names(&half)));
        // Both rows of a report go together.
        for i in 0..20 {
            assert_eq!(half[i], half[i + 20]);
        }
        assert!(kept_groups(&groups, 1.0).iter().all(|&k| k));
    }

    /// A small set whose first feature gives theme 0 and whose second gives the stance.
    pub(super) fn toy_set() -> TrainingSet {
        let n = 80;
        let value = |i: usize, k: usize| ((i * 7 + k * 13) % 11) as f32 / 11.0 - 0.5;
        let themes: Vec<Vec<bool>> = (0..n).map(|i| vec![i % 3 == 0, i % 5 == 0]).collect();
        let stance: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let features = (0..n)
            .map(|i| {
                let mut row: Vec<f32> = (0..6).map(|k| value(i, k)).collect();
                row[0] += if themes[i][0] { 2.0 } else { 0.0 };
                row[1] += stance[i] as f32;
                row
            })
            .collect();
        TrainingSet {
            features,
            next_embeddings: vec![vec![0.0; 2]; n],
            embedding_dim: 2,
            rule_features_at: 4,
            next_in_features: true,
            stance,
            themes,
            rules_labels: vec![
                Label {
                    stance: Stance::Context,
                    stance_score: 1.0,
                    themes: vec![],
                    evidence: vec![],
                };
                n
            ],
            rules_themes: vec![vec![false, false]; n],
            docs: (0..n).map(|i| format!("report-{}", i % 16)).collect(),
            hard_cases: (0..n).map(|i| i % 10 == 3).collect(),
            texts: vec![String::new(); n],
            group_by: GroupBy::Report,
            inputs_in_improvement_list: vec![false; n],
        }
    }

    #[test]
    fn a_thinned_cross_validation_trains_on_fewer_reports_and_all_of_them_is_the_plain_one() {
        let set = toy_set();
        let ids = vec!["a".to_string(), "b".to_string()];
        let settings = TrainSettings {
            memory: MemorySettings::off(),
            ..Default::default()
        };
        let plain = cross_validate(&set, &ids, 4, &settings, None).unwrap();
        let (all, trained_on) =
            cross_validate_thinned(&set, &ids, 4, &settings, 1.0, None).unwrap();
        assert_eq!(all, plain);
        assert_eq!(trained_on, 60.0, "three of four folds of 80 sentences");
        let (half, half_trained_on) =
            cross_validate_thinned(&set, &ids, 4, &settings, 0.5, None).unwrap();
        assert!(half_trained_on < trained_on && half_trained_on > 0.0);
        // The held-out folds stay whole: the rules' figures, over every row, are the same.
        assert_eq!(half.rules, plain.rules);
        assert!(plain.model.theme_micro_f1 > 0.5, "{:?}", plain.model);
        // The hard cases (one row in ten) are scored apart as well: the rest, then by kind.
        let sampled = plain
            .without_hard_cases
            .as_ref()
            .expect("the set has hard cases");
        assert_eq!(sampled.sentences, 72);
        assert_eq!(
            sampled.by_kind.iter().map(|k| k.sentences).sum::<usize>(),
            72
        );
        assert_ne!(sampled.combined, plain.combined);
        // Too few reports left to choose thresholds on: said, not a panic or a bad figure.
        let err = cross_validate_thinned(&set, &ids, 4, &settings, 0.2, None).unwrap_err();
        assert!(err.to_string().contains("to train on"), "{err}");
    }

    #[test]
    fn a_bad_labelled_line_names_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("l.jsonl");
        std::fs::write(
            &path,
            "{\"id\":\"x\",\"doc\":\"d\",\"text\":\"t\",\"stance\":\"strength\"}\n{\"id\":\"y\",\"doc\":\"d\",\"text\":\"t\",\"stance\":\"great\"}\n",
        )
        .unwrap();
        let err = read_labelled_for(&path, &Taxonomy::bundled()).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("l.jsonl, line 2"), "{message}");
        assert!(message.contains("great"), "{message}");
        std::fs::write(
            &path,
            "{\"id\":\"x\",\"doc\":\"d\",\"text\":\"t\",\"stance\":\"strength\",\"themes\":[\"cats\"]}\n",
        )
        .unwrap();
        let message = format!(
            "{:#}",
            read_labelled_for(&path, &Taxonomy::bundled()).unwrap_err()
        );
        assert!(
            message.contains("l.jsonl, line 1") && message.contains("cats"),
            "{message}"
        );
    }
}
