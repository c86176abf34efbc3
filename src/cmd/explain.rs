//! `ofsted-themes explain "a sentence"`: why a sentence gets its labels.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::classify::ModelClassifier;
use crate::cmd::ModelArgs;
use crate::cmd::{exit, EXIT_OK};
use crate::taxonomy::Taxonomy;
use crate::types::{SentenceInput, Stance};

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

/// How many of the model's strongest contributions to list per score.
const TOP_CONTRIBUTIONS: usize = 4;

pub fn execute(args: ExplainArgs) -> Result<ExitCode> {
    let taxonomy = match &args.taxonomy {
        Some(path) => Taxonomy::load(path)?,
        None => Taxonomy::bundled(),
    };
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

/// The explanation as text (separate from printing so it can be tested).
pub fn explain(model: &ModelClassifier, input: &SentenceInput) -> Result<String> {
    let rules_label = model.rules().classify(input);
    let (scores, features) = model.scores(std::slice::from_ref(input))?.remove(0);
    let heads = model.heads();
    let groups = model.feature_groups();
    let top = |contributions: Vec<f32>| -> String {
        // Embedding dimensions are summed into one figure each; rule features stay apart.
        let mut by_group: BTreeMap<&str, f32> = BTreeMap::new();
        for (name, c) in groups.iter().zip(contributions) {
            *by_group.entry(name.as_str()).or_default() += c;
        }
        let mut items: Vec<(&str, f32)> = by_group
            .into_iter()
            .filter(|(_, c)| c.abs() > 0.005)
            .collect();
        items.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        items
            .iter()
            .take(TOP_CONTRIBUTIONS)
            .map(|(name, c)| format!("{name} {c:+.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    let mut out = format!(
        "sentence: {}\n\nstance (model probabilities):\n",
        input.text
    );
    for stance in Stance::ALL {
        let i = stance.index();
        out += &format!(
            "  {:<15} {:.3}   [{}]\n",
            stance.as_str(),
            scores.stance[i],
            top(heads.contributions(&features, Some(i), None))
        );
    }
    out += "\nthemes (model probability / threshold; * = given):\n";
    let mut order: Vec<usize> = (0..scores.themes.len()).collect();
    order.sort_by(|&a, &b| scores.themes[b].total_cmp(&scores.themes[a]));
    for &t in order.iter().take(6) {
        let given = scores.themes[t] >= heads.theme_threshold[t];
        // With a memory, the probability is a blend: show both parts and the memory's share.
        let parts = match &heads.memory {
            Some(memory) => format!(
                " = logistic {:.2}, similar labelled sentences {:.2} at {:.0}%",
                scores.logistic_themes[t],
                scores.memory_votes[t],
                memory.blend[t] * 100.0
            ),
            None => String::new(),
        };
        out += &format!(
            "  {} {:<22} {:.3} / {:.2}{parts}   [logistic: {}]\n",
            if given { "*" } else { " " },
            model.card().themes[t],
            scores.themes[t],
            heads.theme_threshold[t],
            top(heads.contributions(&features, None, Some(t)))
        );
    }
    let model_label = model.classify(input)?;
    let combined = model
        .combined_labels(std::slice::from_ref(input))?
        .remove(0);
    out += "\nlabels:\n";
    for (name, label) in [
        ("rules", &rules_label),
        ("model", &model_label),
        ("combined", &combined),
    ] {
        let themes: Vec<&str> = label.themes.iter().map(|t| t.id.as_str()).collect();
        out += &format!(
            "  {name:<9} {} ({:.2}) themes [{}]\n",
            label.stance.as_str(),
            label.stance_score,
            themes.join(", ")
        );
    }
    out += "\nevidence (combined):\n";
    for e in &combined.evidence {
        out += &format!("  - {e}\n");
    }
    Ok(out)
}
