//! Stage 4, classify: each sentence gets a [`Label`]: a stance and up to three themes,
//! each with a score in [0, 1] and the evidence behind it.

pub mod rules;

use rayon::prelude::*;

use crate::types::{Label, SentenceInput};

pub use rules::RulesClassifier;

/// Most themes a sentence may carry (LABELLING.md).
pub const MAX_THEMES: usize = 3;

/// Labels sentences. Contract: one [`Label`] per input, in input order, deterministic.
pub trait Classifier: Sync {
    /// The name recorded in outputs: "rules", "model" or "combined".
    fn name(&self) -> &str;

    /// Identifies the labelling logic, so that stored labels from another version are redone
    /// (see `store`). Classifiers that load a model should include the model's identity (a
    /// hash of its weights) so a new model re-labels stored sentences.
    fn version(&self) -> String {
        format!("{} {}", self.name(), env!("CARGO_PKG_VERSION"))
    }

    /// Labels one sentence.
    fn classify(&self, input: &SentenceInput) -> Label;

    /// Labels many; the default is [`Classifier::classify`] under `par_iter`. Classifiers
    /// that gain from batching (the encoder) override it.
    fn classify_batch(&self, inputs: &[SentenceInput]) -> Vec<Label> {
        inputs
            .par_iter()
            .map(|input| self.classify(input))
            .collect()
    }
}
