//! `ofsted-themes eval`: score the classifier against hand-labelled sentences.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::classify::{Classifier, CombinedClassifier, ModelClassifier, RulesClassifier};
use crate::cmd::ModelArgs;
use crate::cmd::{exit, EXIT_OK};
use crate::eval;
use crate::taxonomy::Taxonomy;

/// Score classifiers against a labelled JSONL file (the format of labelled.jsonl):
/// per-class precision, recall and F1, stance macro-F1 and confusion matrix, theme
/// micro- and macro-F1.
///
/// Rows marked not_a_sentence are scored as labelled (context, no themes).
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The labelled sentences (JSONL: id, doc, text, prev, next, stance, themes, not_a_sentence).
    #[arg(long, value_name = "FILE.jsonl")]
    pub labels: PathBuf,

    /// A taxonomy file to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// Print the metrics as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Score the rules only, not the model and combined classifiers beside them.
    #[arg(long)]
    pub rules_only: bool,

    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn execute(args: EvalArgs) -> Result<ExitCode> {
    let taxonomy = match &args.taxonomy {
        Some(path) => Taxonomy::load(path)?,
        None => Taxonomy::bundled(),
    };
    let rows = eval::read_labelled(&args.labels)?;
    let classifier = RulesClassifier::new(taxonomy.clone());
    let report = eval::evaluate(&classifier, &rows);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("labels: {}", args.labels.display());
        print!("{report}");
    }
    if args.json || args.rules_only {
        return Ok(exit(EXIT_OK));
    }
    // Model and combined beside the rules. On the heads' own training file these figures
    // are in-sample; the honest ones are the cross-validated figures in the heads' card.
    let loaded = args
        .model
        .ensure_model()
        .and_then(|dir| ModelClassifier::load(&dir, &args.model.heads_path(), taxonomy));
    match loaded {
        Ok(model) => {
            let card = model.card().clone();
            let combined = CombinedClassifier::new(model);
            for classifier in [combined.model() as &dyn Classifier, &combined] {
                print!("\n{}", eval::evaluate(classifier, &rows));
            }
            if crate::modelfetch::sha256_file(&args.labels).ok() == Some(card.training_sha256) {
                println!(
                    "\nnote: the heads were trained on this file, so model and combined figures above are in-sample; grouped cross-validation (models/heads.json):\n{}",
                    crate::cmd::train::figures_table(&card.cross_validation)
                );
            }
        }
        Err(e) => eprintln!("note: model not scored: {e:#}"),
    }
    Ok(exit(EXIT_OK))
}
