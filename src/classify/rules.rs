//! The rules classifier: cue phrases from the taxonomy, negation, hedges and structure.
//! Transparent by design: every label's evidence lists the cues that fired.

use crate::classify::{Classifier, MAX_THEMES};
use crate::taxonomy::Taxonomy;
use crate::types::{Label, SentenceInput, Stance, ThemeScore};

pub struct RulesClassifier {
    taxonomy: Taxonomy,
}

impl RulesClassifier {
    pub fn new(taxonomy: Taxonomy) -> RulesClassifier {
        RulesClassifier { taxonomy }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// Placeholder rule features for the learned model until the rules rewrite lands:
    /// stance cue counts, one cue count per theme, and "in an improvement list".
    /// Order matches [`RulesClassifier::feature_names`].
    pub fn features(&self, input: &SentenceInput) -> Vec<f32> {
        let text = input.text.to_lowercase();
        let hits =
            |cues: &[String]| cues.iter().filter(|c| text.contains(c.as_str())).count() as f32;
        let cues = &self.taxonomy.stance;
        let mut out = vec![
            hits(&cues.strength),
            hits(&cues.weakness),
            hits(&cues.recommendation),
        ];
        out.extend(self.taxonomy.themes.iter().map(|t| hits(&t.cues)));
        out.push(if input.in_improvement_list { 1.0 } else { 0.0 });
        out
    }

    /// Names of the values [`RulesClassifier::features`] returns, in the same order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = vec![
            "cues:strength".to_string(),
            "cues:weakness".to_string(),
            "cues:recommendation".to_string(),
        ];
        names.extend(
            self.taxonomy
                .themes
                .iter()
                .map(|t| format!("theme_cues:{}", t.id)),
        );
        names.push("in_improvement_list".to_string());
        names
    }
}

impl Classifier for RulesClassifier {
    fn name(&self) -> &str {
        "rules"
    }

    fn classify(&self, input: &SentenceInput) -> Label {
        let text = input.text.to_lowercase();
        let mut evidence = Vec::new();
        let count = |cues: &[String], stance: Stance, evidence: &mut Vec<String>| {
            let hits: Vec<&String> = cues.iter().filter(|c| text.contains(c.as_str())).collect();
            for hit in &hits {
                evidence.push(format!("{}: \"{hit}\"", stance.as_str()));
            }
            hits.len()
        };
        let cues = &self.taxonomy.stance;
        let strength = count(&cues.strength, Stance::Strength, &mut evidence);
        let weakness = count(&cues.weakness, Stance::Weakness, &mut evidence);
        let recommendation = count(&cues.recommendation, Stance::Recommendation, &mut evidence);
        let (stance, score) = if input.in_improvement_list || recommendation > 0 {
            (Stance::Recommendation, 0.8)
        } else if weakness > 0 {
            (Stance::Weakness, 0.7)
        } else if strength > 0 {
            (Stance::Strength, 0.6)
        } else {
            (Stance::Context, 0.5)
        };
        let mut themes: Vec<ThemeScore> = self
            .taxonomy
            .themes
            .iter()
            .filter_map(|theme| {
                let hits = theme
                    .cues
                    .iter()
                    .filter(|c| text.contains(c.as_str()))
                    .count();
                (hits > 0).then(|| ThemeScore {
                    id: theme.id.clone(),
                    score: (0.5 + 0.2 * hits as f32).min(1.0),
                })
            })
            .collect();
        themes.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        themes.truncate(MAX_THEMES);
        Label {
            stance,
            stance_score: score,
            themes,
            evidence,
        }
    }
}
