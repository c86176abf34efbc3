//! Stage 2, clean: text pages become structured [`Block`]s with page furniture removed.
//!
//! Contract: every block is a heading, paragraph, bullet or numbered paragraph of real
//! report text, carrying its section heading, judgement area and improvement-list flag.

use crate::types::{Block, BlockKind, JudgementArea, RawDocument};

/// Cleans a document into blocks.
pub fn clean(doc: &RawDocument) -> Vec<Block> {
    // First cut: blank lines separate paragraphs; bullets and numbers are recognised.
    let mut blocks = Vec::new();
    let mut section = String::new();
    let mut paragraph = String::new();
    let text = doc.pages.join("\n\n");
    let flush = |paragraph: &mut String, blocks: &mut Vec<Block>, section: &str| {
        let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            blocks.push(Block {
                kind: BlockKind::Paragraph,
                text,
                section: section.to_string(),
                judgement_area: JudgementArea::None,
                in_improvement_list: false,
            });
        }
        paragraph.clear();
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            flush(&mut paragraph, &mut blocks, &section);
            continue;
        }
        if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("• ")) {
            flush(&mut paragraph, &mut blocks, &section);
            blocks.push(Block {
                kind: BlockKind::Bullet,
                text: item.trim().to_string(),
                section: section.clone(),
                judgement_area: JudgementArea::None,
                in_improvement_list: false,
            });
            continue;
        }
        if !line.ends_with(['.', '!', '?', ':', '"', '”'])
            && line.split_whitespace().count() <= 12
            && paragraph.is_empty()
        {
            section = line.to_string();
            blocks.push(Block {
                kind: BlockKind::Heading,
                text: line.to_string(),
                section: section.clone(),
                judgement_area: JudgementArea::None,
                in_improvement_list: false,
            });
            continue;
        }
        paragraph.push(' ');
        paragraph.push_str(line);
    }
    flush(&mut paragraph, &mut blocks, &section);
    blocks
}
