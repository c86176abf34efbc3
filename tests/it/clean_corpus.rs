//! Every PDF of a corpus through ingest and clean: no page furniture, no broken words, no
//! footnote markers left in the blocks; judgement areas and improvement lists found where
//! the report has them. Run on the committed fixtures everywhere, and on the 160-PDF shared
//! corpus (`../shared/corpus`) where it is beside the project.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use regex::Regex;
use std::sync::LazyLock;

use ofsted_themes::types::{Block, BlockKind, JudgementArea};
use ofsted_themes::{clean, ingest};

/// The manifest columns this test uses.
struct Entry {
    /// "ilacs" or "focused-visit".
    kind: String,
    /// Empty for the single inspection framework (2014-17); "standard"/"short" for ILACS.
    framework: String,
}

fn manifest(dir: &Path) -> HashMap<String, Entry> {
    let mut reader = csv::Reader::from_path(dir.join("manifest.csv")).expect("manifest.csv");
    let headers = reader.headers().expect("manifest header").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("manifest.csv has no column {name}"))
    };
    let (file, kind, framework) = (
        column("file"),
        column("kind"),
        column("inspection_framework"),
    );
    reader
        .records()
        .map(|r| r.expect("manifest row"))
        .map(|r| {
            (
                r[file].to_string(),
                Entry {
                    kind: r[kind].to_string(),
                    framework: r[framework].to_string(),
                },
            )
        })
        .collect()
}

static RUNNING_HEADER_GLUED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Inspection of [A-Z][^.]{0,100} children['’]s (social care )?services \d{1,2} ")
        .unwrap()
});
static TITLE_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Inspection of .{0,100}children['’]s (social care )?services$").unwrap()
});
static BARE_PAGE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(Page )?\d{1,3}( of \d{1,3})?$").unwrap());
/// A word broken at a line end and joined with a space: "assess- ment". A suspended
/// hyphen ("16- and 17-year-olds", "short- to medium-term") is fine.
static HYPHEN_GAP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Za-z]{2,}- ([a-z]+)").unwrap());
const SUSPENDED_FOLLOWERS: &[&str] = &["and", "or", "to", "nor", "as", "but", "rather", "then"];
/// A footnote number glued to a sentence end or a word: "protection.2", "improve?1",
/// "schools3".
static GLUED_FOOTNOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([a-z]{2}[.?!:;][’”)]?\d{1,2}\b)|(\b[a-z]{4,}\d{1,2}\b)|(^\d{1,2}[A-Z][a-z])")
        .unwrap()
});
const FURNITURE_PHRASES: &[&str] = &[
    "Crown copyright",
    "Piccadilly Gate",
    "nationalarchives.gov.uk",
    "open-government-licence",
    "eepurl.com",
    "reports.ofsted.gov.uk",
    "If you would like a copy of this document",
    "Yours sincerely",
    "Textphone",
    "regulates and inspects to achieve excellence",
    "It assesses council children’s services",
    "Any complaints about the inspection or the report",
    "Lead inspector:",
];
const BULLET_GLYPHS_LEFT: &[char] = &['◼', '\u{F06E}', '\u{F02D}', '\u{F0A7}', '\u{F0B7}', '•'];

/// What one file gave, and what is wrong with it.
struct FileReport {
    name: String,
    blocks: usize,
    areas: [usize; 4],
    improvement_items: usize,
    problems: Vec<String>,
}

impl FileReport {
    fn summary(&self) -> String {
        format!(
            "{}: {} blocks, areas help/care/leavers/leaders {:?}, {} improvement items{}",
            self.name,
            self.blocks,
            self.areas,
            self.improvement_items,
            if self.problems.is_empty() {
                String::new()
            } else {
                format!("\n    {}", self.problems.join("\n    "))
            }
        )
    }
}

fn short(text: &str) -> String {
    text.chars().take(140).collect()
}

/// The furniture, hyphenation and footnote checks every block must pass.
fn text_problems(blocks: &[Block]) -> Vec<String> {
    let mut problems = Vec::new();
    for block in blocks {
        let text = &block.text;
        if TITLE_BLOCK.is_match(text) || RUNNING_HEADER_GLUED.is_match(text) {
            problems.push(format!("running header: {}", short(text)));
        }
        if BARE_PAGE_NUMBER.is_match(text) {
            problems.push(format!("page number: {text}"));
        }
        for phrase in FURNITURE_PHRASES {
            if text.contains(phrase) {
                problems.push(format!("furniture {phrase:?}: {}", short(text)));
            }
        }
        for c in HYPHEN_GAP.captures_iter(text) {
            if !SUSPENDED_FOLLOWERS.contains(&&c[1]) {
                problems.push(format!("broken word {:?}: {}", &c[0], short(text)));
            }
        }
        if let Some(m) = GLUED_FOOTNOTE.find(text) {
            problems.push(format!("footnote marker {:?}: {}", m.as_str(), short(text)));
        }
        if text.contains(BULLET_GLYPHS_LEFT) {
            problems.push(format!("bullet glyph left in text: {}", short(text)));
        }
        if text.trim().is_empty() {
            problems.push("empty block".into());
        }
    }
    problems
}

fn area_index(area: JudgementArea) -> Option<usize> {
    match area {
        JudgementArea::HelpAndProtection => Some(0),
        JudgementArea::ChildrenInCare => Some(1),
        JudgementArea::CareLeavers => Some(2),
        JudgementArea::Leaders => Some(3),
        JudgementArea::None => None,
    }
}

/// A line of the raw text that starts a care-leavers judgement (a heading or a row of the
/// grade table), as opposed to care leavers mentioned in a sentence.
fn has_care_leavers_judgement(raw_lower: &str) -> bool {
    raw_lower.lines().any(|line| {
        let line = line
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ');
        [
            "the experiences and progress of care",
            "experiences and progress of care leavers",
            "the experiences of care leavers",
        ]
        .iter()
        .any(|p| line.starts_with(p))
            || (line.starts_with("the graded judg") && line.contains("care leavers"))
    })
}

fn check_file(dir: &Path, relative: &str, entry: &Entry) -> FileReport {
    let path = dir.join(relative);
    let mut report = FileReport {
        name: relative.to_string(),
        blocks: 0,
        areas: [0; 4],
        improvement_items: 0,
        problems: Vec::new(),
    };
    let doc = match ingest::read(&path) {
        Ok(doc) => doc,
        Err(e) => {
            report.problems.push(format!("could not be read: {e}"));
            return report;
        }
    };
    let blocks = clean::clean(&doc);
    report.blocks = blocks.len();
    for block in &blocks {
        if let Some(i) = area_index(block.judgement_area) {
            report.areas[i] += 1;
        }
        if block.in_improvement_list {
            report.improvement_items += 1;
        }
    }
    report.problems = text_problems(&blocks);
    let paragraphs = blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Heading)
        .count();
    if paragraphs < 15 {
        report
            .problems
            .push(format!("only {paragraphs} paragraphs and items"));
    }

    let raw = doc.pages.join("\n").to_lowercase();
    let is_inspection = entry.kind == "ilacs";
    if is_inspection {
        // Both frameworks judge these three; care leavers have their own judgement (and
        // heading) in SIF reports and in ILACS reports from 2023.
        let mut expected = vec![
            (0, "help and protection"),
            (1, "children in care"),
            (3, "leaders"),
        ];
        if has_care_leavers_judgement(&raw) {
            expected.push((2, "care leavers"));
        }
        for (i, name) in expected {
            if report.areas[i] == 0 {
                report
                    .problems
                    .push(format!("no blocks in the {name} area"));
            }
        }
        if report.improvement_items == 0 {
            report.problems.push("no improvement-list items".into());
        }
        let framework = if entry.framework.is_empty() {
            "SIF"
        } else {
            "ILACS"
        };
        report.name = format!("{} [{framework}]", report.name);
    }
    report
}

#[test]
fn every_fixture_pdf_cleans_without_furniture_and_with_its_structure() {
    check_every_pdf(&crate::util::fixture(""), 8);
}

#[test]
fn every_corpus_pdf_cleans_without_furniture_and_with_its_structure() {
    check_every_pdf(&shared_or_skip!("corpus"), 160);
}

/// Ingest and clean every PDF in `dir`'s manifest (at least `expected` of them), and check
/// each one's blocks.
fn check_every_pdf(dir: &Path, expected: usize) {
    let manifest = manifest(dir);
    let mut files: Vec<(&String, &Entry)> = manifest.iter().collect();
    files.sort_by_key(|(name, _)| name.as_str());
    assert!(
        files.len() >= expected,
        "the manifest lists only {} files",
        files.len()
    );

    let start = Instant::now();
    let reports: Vec<FileReport> = files
        .par_iter()
        .map(|(name, entry)| check_file(dir, name, entry))
        .collect();
    eprintln!(
        "ingest + clean of {} PDFs: {:.1?} (wall, in parallel)",
        reports.len(),
        start.elapsed()
    );

    let (visits, inspections): (Vec<&FileReport>, Vec<&FileReport>) = reports
        .iter()
        .partition(|r| manifest[r.name.split(' ').next().unwrap()].kind == "focused-visit");
    // A focused visit may find nothing to improve; most do.
    let visits_with_list = visits.iter().filter(|r| r.improvement_items > 0).count();
    eprintln!(
        "{} inspections; {}/{} focused visits have an improvement list",
        inspections.len(),
        visits_with_list,
        visits.len()
    );
    let failing: Vec<&FileReport> = reports.iter().filter(|r| !r.problems.is_empty()).collect();
    if !failing.is_empty() {
        for report in &failing {
            eprintln!("{}", report.summary());
        }
    }
    assert!(
        failing.is_empty(),
        "{} of {} files have problems (listed above)",
        failing.len(),
        reports.len()
    );
    assert!(
        visits_with_list * 10 >= visits.len() * 9,
        "only {visits_with_list} of {} focused visits have an improvement list",
        visits.len()
    );
}

/// Times `ingest::read` and `clean::clean` over the whole corpus, one file after another.
/// Run it in release for figures worth quoting:
/// `cargo test --release --test it clean_corpus::time -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check"]
fn time_ingest_and_clean_over_the_corpus() {
    let dir = shared_or_skip!("corpus");
    let mut files: Vec<String> = manifest(&dir).into_keys().collect();
    files.sort();
    let (mut ingest_total, mut clean_total) = (Duration::ZERO, Duration::ZERO);
    let mut pages = 0;
    let mut slowest = (Duration::ZERO, String::new());
    for name in &files {
        let start = Instant::now();
        let doc = ingest::read(&dir.join(name)).expect("corpus PDFs read");
        let read = start.elapsed();
        let start = Instant::now();
        let blocks = clean::clean(&doc);
        let cleaned = start.elapsed();
        assert!(!blocks.is_empty());
        pages += doc.pages.len();
        ingest_total += read;
        clean_total += cleaned;
        if read + cleaned > slowest.0 {
            slowest = (read + cleaned, name.clone());
        }
    }
    eprintln!(
        "{} files, {pages} pages: ingest {ingest_total:.2?} ({:.1?}/file), clean {clean_total:.2?} \
         ({:.1?}/file); slowest {} in {:.1?}",
        files.len(),
        ingest_total / files.len() as u32,
        clean_total / files.len() as u32,
        slowest.1,
        slowest.0
    );
}

/// The hand-labelled sentences (../shared/training/labelled.jsonl) are real report text:
/// nearly every one must appear, word for word, in the blocks of its report. What may be
/// missing: grade-table cells ("Requires improvement to be good") and footnote text,
/// which the cleaner removes on purpose, and the labeller's own copy slips.
#[test]
fn labelled_sentences_survive_cleaning_word_for_word() {
    let training = shared_or_skip!("training/labelled.jsonl");
    let dir = shared_or_skip!("corpus");
    let text = std::fs::read_to_string(&training)
        .unwrap_or_else(|e| panic!("cannot read {} ({e})", training.display()));
    let mut by_doc: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let item: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let doc = item["doc"].as_str().unwrap_or("");
        let is_sentence = !item["not_a_sentence"].as_bool().unwrap_or(false);
        if doc.ends_with(".pdf") && is_sentence {
            let sentence = item["text"].as_str().unwrap_or("");
            let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
            by_doc.entry(doc.to_string()).or_default().push(sentence);
        }
    }
    assert!(!by_doc.is_empty(), "no labelled sentences from PDFs");
    let results: Vec<(usize, Vec<String>)> = by_doc
        .par_iter()
        .map(|(doc, sentences)| {
            let raw = ingest::read(&dir.join(doc)).expect("labelled report reads");
            let blocks = clean::clean(&raw);
            let all: String = blocks
                .iter()
                .map(|b| b.text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let missing: Vec<String> = sentences
                .iter()
                .filter(|s| !all.contains(s.as_str()))
                .map(|s| format!("{doc}: {}", short(s)))
                .collect();
            (sentences.len(), missing)
        })
        .collect();
    let total: usize = results.iter().map(|(n, _)| n).sum();
    let missing: Vec<&String> = results.iter().flat_map(|(_, m)| m).collect();
    let found = total - missing.len();
    eprintln!(
        "labelled sentences found in their report's blocks: {found}/{total} ({:.2}%)",
        100.0 * found as f64 / total as f64
    );
    for m in &missing {
        eprintln!("  missing: {m}");
    }
    assert!(
        found * 100 >= total * 99,
        "only {found} of {total} labelled sentences survive cleaning"
    );
}
