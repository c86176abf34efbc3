//! Stage 2, clean: text pages become structured [`Block`]s with page furniture removed.
//!
//! Contract: every block is a heading, paragraph, bullet or numbered paragraph of real
//! report text, carrying its section heading, judgement area and improvement-list flag.
//!
//! The work is done in three passes:
//! 1. `furniture`: lines that are not report text are blanked (headers, footers, page
//!    numbers, footnotes, letterheads, back-page boilerplate, contents);
//! 2. lines are grouped into blocks: a blank line, a bullet glyph or a paragraph number
//!    starts a new one; lines are re-joined (`text`); a short title-like block is a
//!    heading; a paragraph cut by a page break is put back together;
//! 3. structure: each block gets its section, judgement area and improvement-list flag.
//!
//! The phrases all of this looks for are in `phrases`.

mod furniture;
mod phrases;
mod text;

use regex::Regex;
use std::sync::LazyLock;

use crate::types::{Block, BlockKind, Grade, InputFormat, JudgementArea, RawDocument};
use furniture::fold;
use phrases::{
    AREA_CLOSING_HEADINGS, AREA_HEADING_CUES, AREA_KEYWORDS, BULLET_GLYPHS, DASH_BULLETS,
    DOCUMENT_TITLES, IMPROVEMENT_HEADINGS, IMPROVEMENT_SECTION_ENDS, SKIPPED_SECTIONS,
};

/// The most words a heading has.
const MAX_HEADING_WORDS: usize = 20;
/// The most lines a heading wraps over.
const MAX_HEADING_LINES: usize = 3;
/// A paragraph (not a bullet) under an improvement heading counts as an item of the list
/// when it is at most this long; longer ones are commentary.
const MAX_LIST_PARAGRAPH_WORDS: usize = 80;

/// Cleans a document into blocks.
pub fn clean(doc: &RawDocument) -> Vec<Block> {
    let is_pdf = doc.format == InputFormat::Pdf;
    let mut pages: Vec<Vec<String>> = doc
        .pages
        .iter()
        .map(|p| p.lines().map(crate::text::normalise_line).collect())
        .collect();
    furniture::strip(&mut pages, is_pdf);
    let vocabulary = text::vocabulary(pages.iter().flatten().map(String::as_str));
    // Only a plain text file may write one paragraph per line: HTML and Markdown are laid
    // out with blank lines between blocks, and a line break inside a block is a soft one
    // (`<br>`) that keeps its sentence whole.
    let lines_may_be_paragraphs = doc.format == InputFormat::Text;
    let groups = group_lines(&pages, is_pdf, lines_may_be_paragraphs);
    let blocks = assemble(groups, &vocabulary);
    structure(drop_fragments(blocks))
}

/// Lines that belong together, before their text is joined.
#[derive(Debug)]
struct Group {
    kind: BlockKind,
    lines: Vec<String>,
    /// The first group on a page: it may continue the last paragraph of the page before.
    starts_page: bool,
}

/// "12.  Children are seen ..." (the paragraph numbers of inspection reports).
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,3})\.\s+(\S.*)$").expect("valid regex"));

/// A list-item marker at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    Bullet,
    Number(u32),
}

/// What a line starts, if it starts a list item: the marker and the text after it.
fn item_start(line: &str, is_pdf: bool) -> Option<(Marker, &str)> {
    let trimmed = line.trim_start();
    let mut chars = trimmed.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    if BULLET_GLYPHS.contains(&first) {
        return Some((Marker::Bullet, rest.trim_start()));
    }
    if DASH_BULLETS.contains(&first) {
        let wide_gap = rest.starts_with("  ") || rest.starts_with('\t');
        let gap = rest.starts_with(' ') && !rest.trim_start().is_empty();
        if wide_gap || (!is_pdf && gap) {
            return Some((Marker::Bullet, rest.trim_start()));
        }
    }
    let c = NUMBERED.captures(trimmed)?;
    let number = c[1].parse().ok()?;
    Some((Marker::Number(number), c.get(2).map_or("", |m| m.as_str())))
}

/// Groups the lines of all pages into blocks' worth of lines.
fn group_lines(pages: &[Vec<String>], is_pdf: bool, lines_may_be_paragraphs: bool) -> Vec<Group> {
    // Plain text with (almost) no blank lines writes one paragraph per line.
    let filled = pages
        .iter()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .count();
    let blank = pages
        .iter()
        .flatten()
        .filter(|l| l.trim().is_empty())
        .count();
    let line_per_paragraph = lines_may_be_paragraphs && blank * 4 < filled;

    let mut groups: Vec<Group> = Vec::new();
    let mut last_number: Option<u32> = None;
    // The last line of text, across page breaks.
    let mut previous: Option<&str> = None;
    for page in pages {
        let mut open = false;
        let mut page_start = true;
        // A blank line between two lines of this page (the blank lines that page
        // furniture leaves around a page break do not count).
        let mut blank_before = false;
        for line in page {
            if line.trim().is_empty() {
                open = false;
                blank_before = !page_start;
                continue;
            }
            let mut marker = item_start(line, is_pdf);
            if let Some((Marker::Number(n), _)) = marker {
                // "... when they turn\n21. A significant number": a number that wraps to
                // a line start is not a paragraph number unless it follows a sentence end
                // or continues the report's numbering.
                let after_break = blank_before || previous.is_none_or(ends_sentence);
                let in_sequence = n == 1 || last_number.is_some_and(|last| n == last + 1);
                if after_break || in_sequence {
                    last_number = Some(n);
                } else {
                    marker = None;
                }
            }
            previous = Some(line.as_str());
            blank_before = false;
            match marker {
                None if open && !line_per_paragraph => {
                    if let Some(g) = groups.last_mut() {
                        g.lines.push(line.trim().to_string());
                    }
                }
                _ => {
                    let (kind, text) = match marker {
                        Some((Marker::Bullet, text)) => (BlockKind::Bullet, text),
                        Some((Marker::Number(_), text)) => (BlockKind::Numbered, text),
                        None => (BlockKind::Paragraph, line.as_str()),
                    };
                    groups.push(Group {
                        kind,
                        lines: vec![text.to_string()],
                        starts_page: page_start,
                    });
                    open = true;
                    page_start = false;
                }
            }
        }
    }
    groups
}

/// True when the text ends a sentence (or introduces a list).
fn ends_sentence(text: &str) -> bool {
    text.trim_end()
        .trim_end_matches(['’', '”', '"', '\'', ')'])
        .ends_with(['.', '!', '?', ':'])
}

/// A short, title-like piece of text with no closing full stop.
fn looks_like_heading(text: &str, lines: usize) -> bool {
    let words = text.split_whitespace().count();
    let first = text.chars().next().unwrap_or(' ');
    lines <= MAX_HEADING_LINES
        && (1..=MAX_HEADING_WORDS).contains(&words)
        && (first.is_uppercase() || first.is_ascii_digit())
        && !text.ends_with(['.', ',', ';', ':', '-', '–'])
        && !text.contains(". ")
        && !text
            .rsplit(' ')
            .next()
            .is_some_and(|last| DANGLING_WORDS.contains(&last))
}

/// Words a heading does not end with: text ending so runs on in the next block.
const DANGLING_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or",
    "that", "the", "their", "to", "which", "who", "with",
];

/// Headings that look like sentences: an area heading with its grade and a full stop
/// ("The experiences and progress of children who need help and protection requires
/// improvement to be good."), or an improvement heading with a colon ("What needs to
/// improve:").
fn is_labelled_heading(text: &str) -> bool {
    let folded = fold(text);
    let bare = folded.trim_end_matches(['.', ':', '?', ' ']);
    let words = text.split_whitespace().count();
    let graded_area = area_of_heading(bare).is_some()
        && Grade::ofsted_phrases().any(|g| bare.ends_with(g))
        && words <= MAX_GRADE_ROW_WORDS + 5
        && !bare.contains(". ");
    let improvement =
        starts_with_any(bare, IMPROVEMENT_HEADINGS) && words <= 12 && !bare.contains(". ");
    graded_area || improvement
}

/// Joins each group's lines into a block, finds headings, and puts paragraphs cut by a
/// page break (or by a stray blank line) back together.
fn assemble(groups: Vec<Group>, vocabulary: &std::collections::HashSet<String>) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for group in groups {
        let lines: Vec<&str> = group.lines.iter().map(String::as_str).collect();
        let joined = text::join_lines(&lines, vocabulary);
        if joined.is_empty() {
            continue;
        }
        if group.kind == BlockKind::Paragraph {
            if let Some(previous) = blocks.last_mut() {
                let lower_start = joined.starts_with(char::is_lowercase);
                let previous_open =
                    previous.kind != BlockKind::Heading && !ends_sentence(&previous.text);
                let continues =
                    lower_start || (group.starts_page && !looks_like_heading(&joined, lines.len()));
                // The first lines of a paragraph alone at a page foot look like a heading.
                let cut_heading =
                    previous.kind == BlockKind::Heading && group.starts_page && lower_start;
                if (previous_open && continues) || cut_heading {
                    if cut_heading {
                        previous.kind = BlockKind::Paragraph;
                    }
                    text::append_line(&mut previous.text, &joined, vocabulary);
                    continue;
                }
            }
        }
        let kind = if group.kind == BlockKind::Paragraph
            && (looks_like_heading(&joined, lines.len()) || is_labelled_heading(&joined))
        {
            BlockKind::Heading
        } else {
            group.kind
        };
        blocks.push(Block {
            kind,
            text: joined,
            section: String::new(),
            judgement_area: JudgementArea::None,
            in_improvement_list: false,
        });
    }
    blocks
}

/// The most words in a row of a judgement table ("The experiences and progress of
/// children in care  Requires improvement to be good").
const MAX_GRADE_ROW_WORDS: usize = 20;

/// A judgement with its grade and nothing else: a row of the grade table or a heading.
fn is_grade_row(block: &Block) -> bool {
    let folded = fold(&block.text);
    block.kind != BlockKind::Bullet
        && block.text.split_whitespace().count() <= MAX_GRADE_ROW_WORDS
        && !block.text.ends_with('.')
        && !block.text.contains(". ")
        && Grade::ofsted_phrases().any(|g| folded.ends_with(&format!(" {g}")))
}

/// Drops what is left of the title page's tables and title lines: runs of two or more
/// judgement-and-grade rows (the grade table; a single one is a heading), and stray
/// lower-case fragments ("and" between two title lines).
fn drop_fragments(blocks: Vec<Block>) -> Vec<Block> {
    let grade_row: Vec<bool> = blocks.iter().map(is_grade_row).collect();
    let in_table = |i: usize| {
        grade_row[i]
            && ((i > 0 && grade_row[i - 1]) || grade_row.get(i + 1).copied().unwrap_or(false))
    };
    blocks
        .into_iter()
        .enumerate()
        .filter(|(i, block)| {
            let fragment = block.text.split_whitespace().count() <= 2
                && !block.text.chars().any(char::is_uppercase)
                && !ends_sentence(&block.text);
            !in_table(*i) && !fragment
        })
        .map(|(_, block)| block)
        .collect()
}

/// The judgement area a heading opens, if it is an area heading.
fn area_of_heading(folded: &str) -> Option<JudgementArea> {
    if !AREA_HEADING_CUES.iter().any(|cue| folded.contains(cue)) {
        return None;
    }
    AREA_KEYWORDS
        .iter()
        .find(|(keyword, _)| folded.contains(keyword))
        .map(|&(_, area)| area)
}

fn starts_with_any(folded: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| folded.starts_with(p))
}

/// Gives every block its section, judgement area and improvement-list flag, and drops the
/// sections that are generic text.
fn structure(blocks: Vec<Block>) -> Vec<Block> {
    let mut out = Vec::with_capacity(blocks.len());
    let mut section = String::new();
    let mut area = JudgementArea::None;
    let mut skipping = false;
    let mut improvement_section = false;
    let mut items_seen = false;
    let mut list_closed = false;
    for mut block in blocks {
        if block.kind == BlockKind::Heading {
            let folded = fold(&block.text);
            let is_title = DOCUMENT_TITLES
                .iter()
                .any(|(start, end)| folded.starts_with(start) && folded.ends_with(end));
            if is_title {
                continue;
            }
            skipping = SKIPPED_SECTIONS.iter().any(|p| folded.contains(p));
            if skipping {
                continue;
            }
            let new_area = area_of_heading(&folded);
            let closes_area = starts_with_any(&folded, AREA_CLOSING_HEADINGS);
            if let Some(new_area) = new_area {
                area = new_area;
            } else if closes_area {
                area = JudgementArea::None;
            }
            let opens_list = starts_with_any(&folded, IMPROVEMENT_HEADINGS);
            let ends_list = new_area.is_some()
                || closes_area
                || starts_with_any(&folded, IMPROVEMENT_SECTION_ENDS);
            // Any other heading inside an improvement section is a topic sub-heading, unless
            // the list has already ended in a paragraph: the section ends with its list.
            improvement_section = opens_list || (improvement_section && !ends_list && !list_closed);
            items_seen = false;
            list_closed = false;
            section = block.text.clone();
            block.section = section.clone();
            block.judgement_area = area;
            out.push(block);
            continue;
        }
        if skipping {
            continue;
        }
        block.in_improvement_list = improvement_section
            && !list_closed
            && match block.kind {
                BlockKind::Bullet | BlockKind::Numbered => {
                    items_seen = true;
                    true
                }
                _ if items_seen => {
                    // A paragraph after the items: the list has ended.
                    list_closed = true;
                    false
                }
                _ => {
                    block.text.split_whitespace().count() <= MAX_LIST_PARAGRAPH_WORDS
                        && !block.text.ends_with(':')
                }
            };
        block.section = section.clone();
        block.judgement_area = area;
        out.push(block);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn doc(format: InputFormat, pages: &[&str]) -> RawDocument {
        RawDocument {
            path: PathBuf::from("test"),
            sha256: String::new(),
            format,
            pages: pages.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn pdf(pages: &[&str]) -> Vec<Block> {
        clean(&doc(InputFormat::Pdf, pages))
    }

    fn texts(blocks: &[Block]) -> Vec<&str> {
        blocks.iter().map(|b| b.text.as_str()).collect()
    }

    #[test]
    fn lines_of_a_paragraph_are_joined() {
        let blocks = pdf(&["Children are seen \nregularly and alone. \n\nA second paragraph."]);
        assert_eq!(
            texts(&blocks),
            [
                "Children are seen regularly and alone.",
                "A second paragraph."
            ]
        );
        assert!(blocks.iter().all(|b| b.kind == BlockKind::Paragraph));
    }

    #[test]
    fn bullets_of_every_glyph_are_recognised() {
        for glyph in ['◼', '\u{F06E}', '•', '\u{F02D}', '\u{F0B7}'] {
            let page = format!(
                "What needs to improve\n\n{glyph}  The quality of plans and\nreviews.\n{glyph}  Supervision.\n"
            );
            let blocks = pdf(&[&page]);
            let bullets: Vec<&Block> = blocks
                .iter()
                .filter(|b| b.kind == BlockKind::Bullet)
                .collect();
            assert_eq!(bullets.len(), 2, "glyph {glyph:?}: {blocks:?}");
            assert_eq!(bullets[0].text, "The quality of plans and reviews.");
        }
    }

    #[test]
    fn a_dash_with_one_space_in_a_pdf_is_not_a_bullet() {
        let blocks =
            pdf(&["The service works with the Department\n– Child Abuse and Neglect team."]);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].kind, BlockKind::Paragraph);
        let text = clean(&doc(
            InputFormat::Text,
            &["Intro:\n- First item.\n- Second item."],
        ));
        assert_eq!(text[1].kind, BlockKind::Bullet);
        assert_eq!(text[2].text, "Second item.");
    }

    #[test]
    fn numbered_paragraphs_lose_their_numbers() {
        let blocks = pdf(&["  12.  Children are seen \nregularly.\n13. Plans are clear."]);
        assert_eq!(
            texts(&blocks),
            ["Children are seen regularly.", "Plans are clear."]
        );
        assert!(blocks.iter().all(|b| b.kind == BlockKind::Numbered));
    }

    #[test]
    fn a_number_wrapped_to_a_line_start_is_not_a_paragraph_number() {
        let blocks = pdf(&[
            "40.  Support has deteriorated. Some are lost when they turn \n21. A number are closed too early. \n41.  Next paragraph.",
        ]);
        assert_eq!(
            texts(&blocks),
            [
                "Support has deteriorated. Some are lost when they turn 21. A number are closed too early.",
                "Next paragraph."
            ]
        );
        // The same across a page break.
        let blocks = pdf(&[
            "40.  Some are lost when they turn \n\n 12 \n",
            " 13 \n\n21. A number are closed too early. \n41.  Next paragraph.",
        ]);
        assert_eq!(blocks.len(), 2, "{blocks:?}");
    }

    #[test]
    fn a_paragraph_cut_by_a_page_break_is_joined() {
        let blocks = pdf(&[
            "Heading one\n\nPeople who want to adopt receive a careful assessment of \n\n 4 \n",
            "\n 5 \n\ntheir suitability. Children are matched quickly.",
        ]);
        assert_eq!(
            texts(&blocks),
            [
                "Heading one",
                "People who want to adopt receive a careful assessment of their suitability. Children are matched quickly."
            ]
        );
        let blocks = pdf(&[
            "Intro.\n\nPerformance data is widely scrutinised by managers and elected\n\n 7 ",
            "members, who use it well.",
        ]);
        assert_eq!(blocks.len(), 2, "{blocks:?}");
        assert_eq!(blocks[1].kind, BlockKind::Paragraph);
        assert_eq!(
            blocks[1].text,
            "Performance data is widely scrutinised by managers and elected members, who use it well."
        );
        let blocks = pdf(&[
            "◼  Partners engage well with the\n",
            "Multi-Agency Safeguarding Hub (MASH), which responds well to referrals and contacts.",
        ]);
        assert_eq!(blocks.len(), 1, "{blocks:?}");
        assert_eq!(blocks[0].kind, BlockKind::Bullet);
    }

    #[test]
    fn headings_are_found_and_carried() {
        let blocks = pdf(&["Overview\n\nCare leavers are a priority.\n\nFindings\n\n◼  Leaders know their services."]);
        assert_eq!(blocks[0].kind, BlockKind::Heading);
        assert_eq!(blocks[1].section, "Overview");
        assert_eq!(blocks[3].section, "Findings");
        assert_eq!(blocks[3].kind, BlockKind::Bullet);
    }

    #[test]
    fn judgement_areas_follow_their_headings() {
        let blocks = pdf(&["What needs to improve?\n\n◼  Plans.\n\n\
             The experiences and progress of children who need help and \nprotection: good \n\
             1.  Early help is good.\n\n\
             The experiences and progress of children in care: good\n\n2.  Care is good.\n\n\
             The experiences and progress of care leavers: good\n\n3.  Leavers are helped.\n\n\
             The impact of leaders on social work practice with children and \nfamilies: good\n\n\
             4.  Leaders lead.\n\nSummary\n\n5.  Still leaders."]);
        let area_of = |t: &str| blocks.iter().find(|b| b.text == t).unwrap().judgement_area;
        assert_eq!(area_of("Plans."), JudgementArea::None);
        assert_eq!(
            area_of("Early help is good."),
            JudgementArea::HelpAndProtection
        );
        assert_eq!(area_of("Care is good."), JudgementArea::ChildrenInCare);
        assert_eq!(area_of("Leavers are helped."), JudgementArea::CareLeavers);
        assert_eq!(area_of("Leaders lead."), JudgementArea::Leaders);
        assert_eq!(area_of("Still leaders."), JudgementArea::Leaders);
        let heading = blocks
            .iter()
            .find(|b| {
                b.text
                    .starts_with("The experiences and progress of children who")
            })
            .unwrap();
        assert_eq!(heading.kind, BlockKind::Heading);
        assert_eq!(
            heading.text,
            "The experiences and progress of children who need help and protection: good"
        );
    }

    #[test]
    fn an_area_heading_with_a_full_stop_is_a_heading() {
        let blocks = pdf(&[
            "The experiences and progress of children who need help and \nprotection requires improvement to be good. \n\n\
             1.  Children are seen.",
        ]);
        assert_eq!(blocks[0].kind, BlockKind::Heading);
        assert_eq!(blocks[1].judgement_area, JudgementArea::HelpAndProtection);
    }

    #[test]
    fn sif_area_names_map_to_areas() {
        for (heading, area) in [
            ("The experiences and progress of children looked after and achieving permanence  Requires improvement", JudgementArea::ChildrenInCare),
            ("The graded judgement for adoption performance is that it is good", JudgementArea::ChildrenInCare),
            ("The graded judgement about the experience and progress of care leavers is that it requires improvement", JudgementArea::CareLeavers),
            ("Leadership, management and governance  Inadequate", JudgementArea::Leaders),
            ("The experiences and progress of children in care and care leavers is good", JudgementArea::ChildrenInCare),
        ] {
            assert_eq!(area_of_heading(&fold(heading)), Some(area), "{heading}");
        }
        assert_eq!(area_of_heading("information about this inspection"), None);
    }

    #[test]
    fn improvement_items_are_flagged_until_the_list_ends() {
        let blocks = pdf(&[
            "Overview\n\nThings are good.\n\nWhat needs to improve in this area of social work practice\n\n\
             ◼  The timeliness of plans.\n\n◼  Supervision.\n\nFindings\n\n◼  Leaders are strong.",
        ]);
        let flagged: Vec<&str> = blocks
            .iter()
            .filter(|b| b.in_improvement_list)
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(flagged, ["The timeliness of plans.", "Supervision."]);

        // Paragraph items (no glyph in the text layer) count; a paragraph after bullets does not.
        let blocks = pdf(&[
            "Areas for improvement\n\n21.  Ensure that plans are reviewed.\n\n\
             22.  Improve supervision.\n\nThe local authority has made a good start on all of these and leaders are aware of them.",
        ]);
        assert!(blocks[1].in_improvement_list && blocks[2].in_improvement_list);
        assert!(!blocks[3].in_improvement_list);
        let blocks =
            pdf(&["Recommendations\n\nImprove the quality of plans.\n\nImprove supervision."]);
        assert!(blocks[1].in_improvement_list && blocks[2].in_improvement_list);
    }

    /// The single-framework reports' LSCB section: its list of improvements ends at the
    /// LSCB's strengths and at the inspection judgement about the LSCB, whose numbered
    /// paragraphs are findings (466 sentences of the corpus were recommendations by structure).
    #[test]
    fn an_lscb_list_ends_at_its_strengths_and_its_judgement() {
        let blocks = pdf(&[
            "What does the LSCB need to improve\n\nAreas for improvement\n\nGovernance\n\n\
             42.  Strengthen the scrutiny of public protection arrangements.\n\n\
             The LSCB\u{2019}s strengths\n\n43.  Formal governance arrangements are clear.\n\n\
             Inspection judgement about the LSCB\n\n44.  Board minutes are of poor quality.",
        ]);
        let flagged: Vec<&str> = blocks
            .iter()
            .filter(|b| b.in_improvement_list)
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(
            flagged,
            ["Strengthen the scrutiny of public protection arrangements."]
        );
        // A list that ended in a paragraph is not reopened by the next sub-heading.
        let blocks = pdf(&["Recommendations\n\n\u{25fc}  Improve supervision.\n\n\
             The board has made a good start on this and leaders know it well.\n\n\
             Partnership\n\n\u{25fc}  The board demonstrates effective challenge to partners."]);
        let last = blocks.last().unwrap();
        assert!(last.text.starts_with("The board demonstrates") && !last.in_improvement_list);
    }

    #[test]
    fn the_grade_table_goes_but_a_graded_heading_stays() {
        let blocks = pdf(&[
            "The impact of leaders on social work \npractice with children and families  Good \n\n\
             The experiences and progress of \nchildren in care  Requires improvement to be good \n\n\
             Overall effectiveness  Good \n\nServices are good.\n\n\
             The experiences and progress of children in care: requires improvement to be good\n\n\
             1.  Children are seen.",
        ]);
        assert_eq!(blocks.len(), 3, "{blocks:?}");
        assert_eq!(blocks[0].text, "Services are good.");
        assert_eq!(blocks[1].kind, BlockKind::Heading);
        assert_eq!(blocks[2].judgement_area, JudgementArea::ChildrenInCare);
    }

    #[test]
    fn generic_sections_are_dropped() {
        let blocks = pdf(&[
            "What the inspection judgements mean: the local \nauthority\n\n\
             An outstanding local authority leads highly effective services.\n\n\
             Section 2: The effectiveness of the LSCB\n\nThe LSCB is good.",
        ]);
        assert_eq!(
            texts(&blocks),
            [
                "Section 2: The effectiveness of the LSCB",
                "The LSCB is good."
            ]
        );
    }

    #[test]
    fn html_headings_and_list_items_keep_their_structure() {
        let html = "<html><body><h2>What needs to improve?</h2><ul><li>The quality of plans.</li>\
            <li>Supervision.</li></ul><h2>The experiences and progress of care leavers: good</h2>\
            <p>Care leavers are well supported.</p><footer>© Crown copyright</footer></body></html>";
        let page = crate::html::body_text(html);
        let blocks = clean(&doc(InputFormat::Html, &[&page]));
        let kinds: Vec<BlockKind> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Heading,
                BlockKind::Bullet,
                BlockKind::Bullet,
                BlockKind::Heading,
                BlockKind::Paragraph
            ]
        );
        assert!(blocks[1].in_improvement_list && blocks[2].in_improvement_list);
        assert_eq!(blocks[4].judgement_area, JudgementArea::CareLeavers);
    }

    #[test]
    fn news_text_keeps_one_paragraph_per_line_and_dash_bullets() {
        let blocks = clean(&doc(
            InputFormat::Text,
            &["Services were rated good.\nInspectors highlighted:\n- Early help is good.\n- Plans are clear.\nPerformance is much improved."],
        ));
        let kinds: Vec<BlockKind> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Paragraph,
                BlockKind::Paragraph,
                BlockKind::Bullet,
                BlockKind::Bullet,
                BlockKind::Paragraph
            ]
        );
    }
}
