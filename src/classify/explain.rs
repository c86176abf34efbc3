//! Why a sentence gets its labels: the model's stance and theme scores with the features
//! that pushed them most, and the labels of rules, model and combined with the evidence.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::classify::heads::HeadScores;
use crate::classify::ModelClassifier;
use crate::types::{SentenceInput, Stance};

/// How many of the model's strongest contributions to list per score.
const TOP_CONTRIBUTIONS: usize = 4;

/// The explanation of `input`'s labels, as text to print.
pub fn explain(model: &ModelClassifier, input: &SentenceInput) -> Result<String> {
    let (scores, features) = model.scores(std::slice::from_ref(input))?.remove(0);
    let groups = model.feature_groups();
    let top = |contributions: Vec<f32>| strongest(&groups, contributions);
    let heads = model.heads();
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
        out += &theme_line(
            model,
            &scores,
            t,
            top(heads.contributions(&features, None, Some(t))),
        );
    }
    out += &labels_section(model, input)?;
    Ok(out)
}

/// The strongest contributions, embedding dimensions summed into one figure each and rule
/// features apart: "sentence embedding +1.20, cue weakness +0.80".
fn strongest(groups: &[String], contributions: Vec<f32>) -> String {
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
}

/// One theme's line: its probability against its threshold and, with a memory, the two parts
/// of the blend.
fn theme_line(model: &ModelClassifier, scores: &HeadScores, t: usize, top: String) -> String {
    let heads = model.heads();
    let given = scores.themes[t] >= heads.theme_threshold[t];
    let parts = match &heads.memory {
        Some(memory) => format!(
            " = logistic {:.2}, similar labelled sentences {:.2} at {:.0}%",
            scores.logistic_themes[t],
            scores.memory_votes[t],
            memory.blend[t] * 100.0
        ),
        None => String::new(),
    };
    format!(
        "  {} {:<22} {:.3} / {:.2}{parts}   [logistic: {top}]\n",
        if given { "*" } else { " " },
        model.card().themes[t],
        scores.themes[t],
        heads.theme_threshold[t],
    )
}

/// The labels of rules, model and combined, and the combined label's evidence.
fn labels_section(model: &ModelClassifier, input: &SentenceInput) -> Result<String> {
    let rules_label = model.rules().classify(input);
    let model_label = model.classify(input)?;
    let combined = model
        .combined_labels(std::slice::from_ref(input))?
        .remove(0);
    let mut out = String::from("\nlabels:\n");
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
