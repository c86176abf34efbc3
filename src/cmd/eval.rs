//! `ofsted-themes eval`: score the classifier against hand-labelled sentences.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::classify::RulesClassifier;
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
}

pub fn execute(args: EvalArgs) -> Result<ExitCode> {
    let taxonomy = match &args.taxonomy {
        Some(path) => Taxonomy::load(path)?,
        None => Taxonomy::bundled(),
    };
    let rows = eval::read_labelled(&args.labels)?;
    let classifier = RulesClassifier::new(taxonomy);
    let report = eval::evaluate(&classifier, &rows);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("labels: {}", args.labels.display());
        print!("{report}");
    }
    Ok(exit(EXIT_OK))
}
