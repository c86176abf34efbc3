//! `ofsted-themes eval`: score the classifier against hand-labelled sentences.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd::{exit, load_taxonomy, EXIT_OK};
use ofsted_themes::classify::ModelArgs;
use ofsted_themes::classify::{Classifier, CombinedClassifier, RulesClassifier};
use ofsted_themes::eval;

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

    /// Print the metrics as JSON (an array, one object per classifier scored, each with
    /// `in_sample`: true when the heads were trained on this file) instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Score the rules only, not the model and combined classifiers beside them.
    #[arg(long)]
    pub rules_only: bool,

    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn execute(args: EvalArgs) -> Result<ExitCode> {
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    let rows = eval::read_labelled(&args.labels)?;
    let rules = RulesClassifier::new(taxonomy.clone());
    let mut reports = vec![eval::evaluate(&rules, &rows)?];
    let mut in_sample_note = None;
    if !args.rules_only {
        // Model and combined beside the rules; if the model cannot be loaded, say why and
        // score the rules alone.
        match args.model.load(taxonomy) {
            Ok(model) => {
                let card = model.card().clone();
                // On the heads' own training file the model's figures are in-sample; the
                // honest ones are the cross-validated figures in the heads' card.
                let in_sample = ofsted_themes::files::sha256_file(&args.labels).ok()
                    == Some(card.training_sha256.clone());
                let combined = CombinedClassifier::new(model);
                for classifier in [combined.model() as &dyn Classifier, &combined] {
                    let mut report = eval::evaluate(classifier, &rows)?;
                    report.in_sample = in_sample;
                    reports.push(report);
                }
                if in_sample {
                    in_sample_note =
                        Some(ofsted_themes::train::figures_table(&card.cross_validation));
                }
            }
            Err(e) => eprintln!("note: model not scored: {e:#}"),
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(exit(EXIT_OK));
    }
    println!("labels: {}", args.labels.display());
    for (i, report) in reports.iter().enumerate() {
        print!("{}{report}", if i > 0 { "\n" } else { "" });
    }
    if let Some(table) = in_sample_note {
        println!(
            "\nnote: the heads were trained on this file, so model and combined figures above are in-sample; grouped cross-validation (models/heads.json):\n{table}"
        );
    }
    Ok(exit(EXIT_OK))
}
