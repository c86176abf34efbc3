//! `ofsted-themes eval`: score the classifier against hand-labelled sentences.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

/// Score classifiers against a labelled JSONL file (the format of labelled.jsonl):
/// per-class precision, recall and F1, stance macro-F1 and confusion matrix, theme
/// micro- and macro-F1.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The labelled sentences (JSONL: id, doc, text, prev, next, stance, themes, not_a_sentence).
    #[arg(long, value_name = "FILE.jsonl")]
    pub labels: PathBuf,

    /// A taxonomy file to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
}

pub fn execute(_args: EvalArgs) -> Result<ExitCode> {
    anyhow::bail!("eval is not built yet")
}
