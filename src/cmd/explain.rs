//! `ofsted-themes explain "a sentence"`: why a sentence gets its labels (the work is
//! [`ofsted_themes::classify::explain`]'s).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd::{exit, load_taxonomy, EXIT_OK};
use ofsted_themes::classify::explain::explain;
use ofsted_themes::classify::ModelArgs;
use ofsted_themes::types::SentenceInput;

/// Print a sentence's stance and theme scores from rules, model and combined, with the
/// evidence: the cues that fired and the features that pushed the model's scores most.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The sentence to explain.
    pub sentence: String,

    /// The sentence before it, as context.
    #[arg(long, default_value = "")]
    pub prev: String,

    /// Treat the sentence as an item under an improvement heading ("What needs to improve?").
    #[arg(long)]
    pub in_improvement_list: bool,

    #[command(flatten)]
    pub model: ModelArgs,

    /// A taxonomy file to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
}

pub fn execute(args: ExplainArgs) -> Result<ExitCode> {
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    let input = SentenceInput {
        text: &args.sentence,
        prev: &args.prev,
        next: "",
        section: "",
        in_improvement_list: args.in_improvement_list,
    };
    let model = args.model.load(taxonomy)?;
    print!("{}", explain(&model, &input)?);
    Ok(exit(EXIT_OK))
}
