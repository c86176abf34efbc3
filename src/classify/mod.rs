//! Stage 4, classify: each sentence gets a [`Label`]: a stance and up to three themes,
//! each with a score in [0, 1] and the evidence behind it.

pub mod bert;
mod choice;
pub mod encoder;
pub mod encoder_kind;
pub mod explain;
pub mod heads;
pub mod int8;
pub mod int8_bert;
pub mod locate;
pub mod memory;
pub mod model;
pub mod mpnet;
pub mod rules;

use anyhow::Result;
use half::f16;

use crate::types::{Grade, Label, SentenceInput, Stance};

pub use choice::{build_classifier, fall_back_to_rules, ClassifierChoice, ModelArgs};
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

    /// Labels a report's sentences, given in order (each input's `prev` and `next` are the
    /// sentences beside it). `stored`: the sentences' embeddings kept from an earlier run,
    /// used instead of encoding again when they are this classifier's encoder's. Returns the
    /// labels and, for classifiers with an encoder, every sentence's embedding, to store.
    /// Fails as [`Classifier::classify_batch`] does.
    fn classify_report(
        &self,
        inputs: &[SentenceInput],
        _stored: Option<&SentenceEmbeddings>,
    ) -> Result<(Vec<Label>, Option<SentenceEmbeddings>)> {
        Ok((self.classify_batch(inputs)?, None))
    }

    /// Names the embeddings this classifier's encoder gives (None: it has no encoder), known
    /// without loading the encoder.
    fn encoder_version(&self) -> Option<&str> {
        None
    }

    /// Loads what labelling needs that is loaded only on demand (the encoder), so that a run
    /// can say at the start that it is unavailable rather than in the middle.
    fn prepare(&self) -> Result<()> {
        Ok(())
    }
}

/// One embedding per sentence of a report, in half precision (as stored), with the
/// encoder that made them.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceEmbeddings {
    /// [`Classifier::encoder_version`] of the encoder that made them.
    pub encoder: String,
    pub dim: usize,
    /// Sentence after sentence, `dim` values each.
    values: Vec<f16>,
}

impl SentenceEmbeddings {
    /// From one row per sentence, each `dim` long.
    pub fn from_rows(encoder: &str, dim: usize, rows: &[&[f32]]) -> SentenceEmbeddings {
        assert!(rows.iter().all(|r| r.len() == dim), "embedding width");
        SentenceEmbeddings {
            encoder: encoder.to_string(),
            dim,
            values: rows
                .iter()
                .flat_map(|r| r.iter().map(|&v| f16::from_f32(v)))
                .collect(),
        }
    }

    /// The number of sentences.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Sentence `i`'s embedding.
    pub fn row(&self, i: usize) -> Vec<f32> {
        self.values[i * self.dim..(i + 1) * self.dim]
            .iter()
            .map(|v| v.to_f32())
            .collect()
    }

    /// Sentence `i`'s embedding as stored: `dim` little-endian half-precision numbers.
    pub fn row_bytes(&self, i: usize) -> Vec<u8> {
        self.values[i * self.dim..(i + 1) * self.dim]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    /// From stored rows ([`SentenceEmbeddings::row_bytes`]); None when a row is missing or
    /// not `dim` wide, so the sentences are encoded again.
    pub fn from_row_bytes(encoder: &str, rows: &[Option<Vec<u8>>]) -> Option<SentenceEmbeddings> {
        let dim = rows.first()?.as_ref()?.len() / 2;
        let mut values = Vec::with_capacity(dim * rows.len());
        for row in rows {
            let row = row.as_ref().filter(|r| r.len() == dim * 2 && dim > 0)?;
            values.extend(
                row.chunks_exact(2)
                    .map(|b| f16::from_le_bytes([b[0], b[1]])),
            );
        }
        Some(SentenceEmbeddings {
            encoder: encoder.to_string(),
            dim,
            values,
        })
    }
}

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
    // A grade's name makes the heading a finding ("The experiences and progress of children
    // in care: good").
    let states_grade = Grade::ALL
        .iter()
        .any(|grade| words.contains(&format!(" {} ", grade.as_str())));
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
    fn embeddings_round_trip_through_their_stored_bytes() {
        let rows: Vec<Vec<f32>> = vec![vec![0.5, -0.25, 0.1], vec![1.0, 0.0, -0.333]];
        let refs: Vec<&[f32]> = rows.iter().map(|r| r.as_slice()).collect();
        let e = SentenceEmbeddings::from_rows("enc", 3, &refs);
        assert_eq!(e.len(), 2);
        assert_eq!(e.row(0)[..2], [0.5, -0.25]);
        assert!((e.row(1)[2] + 0.333).abs() < 1e-3);
        let bytes: Vec<Option<Vec<u8>>> = (0..2).map(|i| Some(e.row_bytes(i))).collect();
        assert_eq!(SentenceEmbeddings::from_row_bytes("enc", &bytes), Some(e));
        // A sentence stored without its embedding means the report is encoded again.
        let gap = vec![bytes[0].clone(), None];
        assert_eq!(SentenceEmbeddings::from_row_bytes("enc", &gap), None);
    }

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
