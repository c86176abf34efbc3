//! Stage 4, classify: each sentence gets a [`Label`]: a stance and up to three themes,
//! each with a score in [0, 1] and the evidence behind it.

pub mod encoder;
pub mod heads;
pub mod memory;
pub mod model;
pub mod rules;
pub mod train;

use anyhow::Result;

use crate::types::{Label, SentenceInput, Stance};

pub use model::{CombinedClassifier, ModelClassifier};
pub use rules::RulesClassifier;

/// Most themes a sentence may carry (LABELLING.md).
pub const MAX_THEMES: usize = 3;

/// Labels sentences. Contract: one [`Label`] per input, in input order, deterministic.
pub trait Classifier: Sync {
    /// The name recorded in outputs: "rules", "model" or "combined".
    fn name(&self) -> &str;

    /// Identifies the labelling logic, so that stored labels from another version are redone
    /// (see `store`): a revision number raised whenever the labels change, and for a model
    /// the identity of its weights.
    fn version(&self) -> String;

    /// Labels a batch of sentences (a report's). Fails as a whole when the classifier cannot
    /// label them (the encoder failed): never labels them some other way, so a stored label
    /// always comes from the classifier recorded beside it.
    fn classify_batch(&self, inputs: &[SentenceInput]) -> Result<Vec<Label>>;
}

/// Words that make a heading a finding ("The experiences and progress of children in care:
/// good"); LABELLING.md rule 6 labels such a heading by its grade.
const GRADE_WORDS: [&str; 4] = ["outstanding", "good", "requires improvement", "inadequate"];

/// The label of a heading that states no grade: `context`, with no themes (LABELLING.md,
/// rule 6). `None` for a heading that gives a grade, which the classifier labels as usual.
///
/// Classifiers see a sentence's text and neighbours but not the document's structure, so
/// the pipeline applies this to every block the cleaner marked as a heading.
pub fn heading_label(text: &str) -> Option<Label> {
    // The heading's words, space-separated with a space at each end, so a grade matches
    // whole words only.
    let lower = text.to_lowercase();
    let mut words = String::from(" ");
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words.push_str(word);
        words.push(' ');
    }
    let states_grade = GRADE_WORDS
        .iter()
        .any(|grade| words.contains(&format!(" {grade} ")));
    (!states_grade).then(|| Label {
        stance: Stance::Context,
        stance_score: 1.0,
        themes: Vec::new(),
        evidence: vec!["structure: heading".to_string()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_is_context_unless_it_states_a_grade() {
        let plain = heading_label("What needs to improve in this area of social work practice")
            .expect("no grade");
        assert_eq!(plain.stance, Stance::Context);
        assert!(plain.themes.is_empty());
        assert!(heading_label("The experiences and progress of children in care: good").is_none());
        assert!(heading_label("Overall effectiveness: Requires improvement to be good").is_none());
        // "good" inside another word is no grade.
        assert!(heading_label("Goodwill and partnership").is_some());
    }
}
