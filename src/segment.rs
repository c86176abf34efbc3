//! Stage 3, segment: blocks become [`Sentence`]s.
//!
//! Contract: a sentence never spans two blocks; every non-empty block yields at least one.

use crate::types::{Block, Sentence};

/// Splits one block of text into sentences.
pub fn split(text: &str) -> Vec<String> {
    // First cut: split after . ! ? followed by a space and a capital letter.
    let mut sentences = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for w in chars.windows(3) {
        let (_, a) = w[0];
        let (_, b) = w[1];
        let (k, c) = w[2];
        if matches!(a, '.' | '!' | '?') && b == ' ' && c.is_uppercase() {
            sentences.push(text[start..k].trim().to_string());
            start = k;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        sentences.push(rest.to_string());
    }
    sentences
}

/// Splits every block into sentences, numbering them from 1 through the report.
pub fn segment(blocks: &[Block]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    for block in blocks {
        for text in split(&block.text) {
            sentences.push(Sentence {
                no: sentences.len() + 1,
                text,
                section: block.section.clone(),
                judgement_area: block.judgement_area,
                in_improvement_list: block.in_improvement_list,
                block_kind: block.kind,
            });
        }
    }
    sentences
}
