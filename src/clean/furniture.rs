//! Page furniture: the lines of a page that are not report text. Running headers and
//! footers, page numbers, footnotes, a letter's letterhead and signature, the back-page
//! licence boilerplate, tables of contents and the facts lines of a title page.
//!
//! Works on pages of lines; a removed line becomes blank, so paragraph breaks survive.

use std::collections::{HashMap, HashSet};

use regex::Regex;
use std::sync::LazyLock;

use super::phrases::{
    ADDRESS_BLOCK_ANCHORS, BACK_MATTER_STARTS, FURNITURE_LINE_STARTS, LETTER_CLOSINGS,
    LETTER_GREETINGS, MAX_ADDRESS_BLOCK_LINES, METADATA_LINE_STARTS,
};

/// A line folded for matching: lower case, single spaces, straight apostrophes.
pub fn fold(line: &str) -> String {
    // One pass: this runs on every line of every page several times.
    let mut out = String::with_capacity(line.len());
    let mut gap = false;
    for c in line.chars() {
        if c.is_whitespace() {
            gap = !out.is_empty();
            continue;
        }
        if gap {
            out.push(' ');
            gap = false;
        }
        match c {
            '’' | '‘' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Lines examined at the top and bottom of each page for running headers and footers.
const HEADER_ZONE_LINES: usize = 5;
const FOOTER_ZONE_LINES: usize = 3;
/// The most lines a page's footnotes take.
const MAX_FOOTNOTE_LINES: usize = 14;

static PAGE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(page )?\d{1,3}( of \d{1,3})?$").expect("valid regex"));
/// "18 to 29 September 2023  2": the visit dates and page number of a running header.
static DATED_PAGE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(19|20)\d\d\s{2,}\d{1,3}\s*$").expect("valid regex"));
/// "Summary of key findings  3", "Recommendations ......... 7": a contents line.
static CONTENTS_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\S.{2,120}?(\s{2,}|\.{4,}\s*)\d{1,3}\s*$").expect("valid regex")
});
static DOT_LEADER_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\.{6,}\s*\d{1,3}\s*$").expect("valid regex"));
/// "1 The areas for improvement have been ...": the first line of a footnote.
static FOOTNOTE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\[\d{1,2}\]|\(\d{1,2}\)|\d{1,2})\s*([A-Z][\w’']*)").expect("valid regex")
});
/// The rule above a block of notes.
static NOTE_RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*_{10,}\s*$").expect("valid regex"));
static URL_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(https?://|www\.)\S+$").expect("valid regex"));

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Removes page furniture from `pages` in place. `is_pdf` turns on the rules that only
/// make sense for paginated text (running headers, page numbers, footnotes, contents).
pub fn strip(pages: &mut [Vec<String>], is_pdf: bool) {
    if is_pdf {
        remove_running_lines(pages);
        for page in pages.iter_mut() {
            remove_page_numbers(page);
            remove_ruled_notes(page);
            remove_footnotes(page);
            remove_contents(page);
        }
    }
    remove_letterhead(pages);
    remove_after_letter_closing(pages);
    remove_back_matter(pages);
    for page in pages.iter_mut() {
        remove_address_blocks(page);
        remove_furniture_lines(page);
    }
}

/// Ofsted's address block, wherever it appears (letterheads, page feet, back pages).
fn remove_address_blocks(page: &mut [String]) {
    let mut start = 0;
    while start < page.len() {
        if page[start].trim().is_empty() {
            start += 1;
            continue;
        }
        let end = (start..page.len())
            .find(|&i| page[i].trim().is_empty())
            .unwrap_or(page.len());
        let has_anchor = page[start..end].iter().any(|l| {
            let f = fold(l);
            ADDRESS_BLOCK_ANCHORS.iter().any(|a| f.starts_with(a))
        });
        if has_anchor && end - start <= MAX_ADDRESS_BLOCK_LINES {
            for line in &mut page[start..end] {
                line.clear();
            }
        }
        start = end;
    }
}

/// Licence, contact and facts lines. A facts line takes the lines wrapped under it
/// ("Team inspectors: A, B,\nC and D") with it, up to the next blank line, but only while it
/// is unfinished: after a line that ends with a full stop, or at a line that is itself a
/// sentence, report text begins again (plain text writes a paragraph per line, with no
/// blank line to end the facts). A label without a colon ("lead inspector ") starts a facts
/// line only where no sentence is running on into it ("... The\nlead inspector and the
/// director agreed ...").
fn remove_furniture_lines(page: &mut [String]) {
    let mut in_metadata = false;
    // Whether the last line, as it was before this pass, ended mid-sentence and was kept.
    let mut sentence_runs_on = false;
    for line in page.iter_mut() {
        let folded = fold(line);
        if folded.is_empty() {
            in_metadata = false;
            sentence_runs_on = false;
            continue;
        }
        let is_metadata = METADATA_LINE_STARTS
            .iter()
            .any(|s| folded.starts_with(s) && (s.ends_with(':') || !sentence_runs_on));
        let is_furniture = FURNITURE_LINE_STARTS.iter().any(|s| folded.starts_with(s))
            || URL_ONLY.is_match(&folded);
        let continues_metadata = in_metadata && !is_furniture && !is_sentence_line(line);
        in_metadata = is_metadata || continues_metadata;
        if in_metadata || is_furniture {
            line.clear();
            // A finished facts line takes nothing more with it.
            in_metadata = in_metadata && !folded.ends_with(['.', '!', '?']);
            sentence_runs_on = false;
        } else {
            sentence_runs_on = !folded.ends_with(['.', '!', '?', ':', ';']);
        }
    }
}

/// The fewest words, and the fewest in lower case, of a line that reads as a sentence of
/// report text rather than the wrapped end of a facts line ("Her Majesty's Inspector",
/// "Rob\nHackeson, Dominic Stevens, John Gregg.").
const MIN_SENTENCE_LINE_WORDS: usize = 5;
const MIN_SENTENCE_LINE_LOWER_WORDS: usize = 3;

/// A line that is a sentence on its own: it ends with a full stop, question or exclamation
/// mark, and has enough words in lower case not to be a list of names.
fn is_sentence_line(line: &str) -> bool {
    let line = line.trim();
    let words = line.split_whitespace();
    line.ends_with(['.', '!', '?'])
        && words.clone().count() >= MIN_SENTENCE_LINE_WORDS
        && words.filter(|w| w.starts_with(char::is_lowercase)).count()
            >= MIN_SENTENCE_LINE_LOWER_WORDS
}

/// Indices of the non-blank lines at the top and at the bottom of a page.
fn zone_indices(page: &[String]) -> Vec<usize> {
    let filled: Vec<usize> = (0..page.len())
        .filter(|&i| !page[i].trim().is_empty())
        .collect();
    let mut zone: Vec<usize> = filled.iter().take(HEADER_ZONE_LINES).copied().collect();
    zone.extend(filled.iter().rev().take(FOOTER_ZONE_LINES).copied());
    zone.sort_unstable();
    zone.dedup();
    zone
}

/// Running headers and footers: a line at the top or bottom of many pages that is the
/// same but for its digits ("Inspection of Wirral local authority children's services",
/// "18 to 29 September 2023  4").
fn remove_running_lines(pages: &mut [Vec<String>]) {
    if pages.len() < 3 {
        return;
    }
    // Digits become '#', and page numbers at either end go: odd and even pages put the
    // number on different sides.
    let key = |line: &str| -> String {
        fold(line)
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect::<String>()
            .trim_matches(['#', ' '])
            .to_string()
    };
    let mut pages_with: HashMap<String, usize> = HashMap::new();
    for page in pages.iter() {
        let keys: HashSet<String> = zone_indices(page).iter().map(|&i| key(&page[i])).collect();
        for k in keys {
            *pages_with.entry(k).or_default() += 1;
        }
    }
    // A quarter of the pages: files that hold two reports have two sets of headers.
    let threshold = (pages.len() / 4).max(3);
    for page in pages.iter_mut() {
        for (n, i) in zone_indices(page).into_iter().enumerate() {
            let k = key(&page[i]);
            let repeated = !k.is_empty() && pages_with.get(&k).is_some_and(|&c| c >= threshold);
            let dated_number = n < HEADER_ZONE_LINES && DATED_PAGE_NUMBER.is_match(&page[i]);
            if repeated || dated_number {
                page[i].clear();
            }
        }
    }
}

fn remove_page_numbers(page: &mut [String]) {
    for line in page.iter_mut() {
        if PAGE_NUMBER.is_match(&fold(line)) {
            line.clear();
        }
    }
}

/// Footnotes sit at the bottom of a page, after a blank line, each starting with its
/// number ("1 The areas for improvement have been cross-referenced ...").
fn remove_footnotes(page: &mut [String]) {
    let filled: Vec<usize> = (0..page.len())
        .filter(|&i| !page[i].trim().is_empty())
        .collect();
    if filled.len() < 3 {
        return;
    }
    // The earliest footnote start within the bottom lines of the page.
    let bottom = &filled[filled.len().saturating_sub(MAX_FOOTNOTE_LINES)..];
    // Every paragraph from the first note to the page foot must be a note too.
    let only_notes_after = |start: usize| {
        (start..page.len()).all(|i| {
            let opens_paragraph = page[i - 1].trim().is_empty() && !page[i].trim().is_empty();
            !opens_paragraph || is_footnote_start(&page[i])
        })
    };
    let start = bottom.iter().copied().find(|&i| {
        let after_gap = i > 0 && page[i - 1].trim().is_empty();
        let has_text_above = filled[0] < i;
        after_gap && has_text_above && is_footnote_start(&page[i]) && only_notes_after(i)
    });
    if let Some(start) = start {
        for line in &mut page[start..] {
            line.clear();
        }
    }
}

/// Notes under a rule ("________") in the middle of a page: the rule and the numbered
/// notes after it go, up to the first line that is not a note.
fn remove_ruled_notes(page: &mut [String]) {
    let mut i = 0;
    while i < page.len() {
        if !NOTE_RULE.is_match(&page[i]) {
            i += 1;
            continue;
        }
        page[i].clear();
        i += 1;
        let mut in_note = false;
        while i < page.len() {
            let blank = page[i].trim().is_empty();
            if is_footnote_start(&page[i]) {
                in_note = true;
            } else if blank {
                in_note = false;
            } else if !in_note {
                break;
            }
            page[i].clear();
            i += 1;
        }
    }
}

fn is_footnote_start(line: &str) -> bool {
    FOOTNOTE_START.captures(line).is_some_and(|c| {
        let number = c[1]
            .trim_matches(['[', ']', '(', ')'])
            .parse::<u32>()
            .unwrap_or(0);
        (1..=30).contains(&number) && !MONTHS.contains(&&c[2])
    })
}

/// A page headed "Contents" loses its contents entries, including those wrapped over two
/// lines (a run of lines whose last line ends in a page number); dot-leader lines go
/// anywhere.
fn remove_contents(page: &mut [String]) {
    let is_contents_title = |l: &str| l.trim().eq_ignore_ascii_case("contents");
    let has_contents = page.iter().any(|l| is_contents_title(l));
    let mut run_start = 0;
    for i in 0..page.len() {
        if page[i].trim().is_empty() {
            run_start = i + 1;
            continue;
        }
        let is_entry = (has_contents && CONTENTS_LINE.is_match(page[i].trim_start()))
            || DOT_LEADER_LINE.is_match(&page[i]);
        if is_entry {
            for line in &mut page[run_start..=i] {
                line.clear();
            }
            run_start = i + 1;
        } else if is_contents_title(&page[i]) {
            page[i].clear();
            run_start = i + 1;
        }
    }
}

/// A letter's letterhead, date and address block: everything before "Dear ...".
fn remove_letterhead(pages: &mut [Vec<String>]) {
    let Some(first) = pages.first_mut() else {
        return;
    };
    let greeting = first.iter().take(80).position(|l| {
        let f = fold(l);
        f.split(' ').count() <= 8 && LETTER_GREETINGS.iter().any(|g| f.starts_with(g))
    });
    if let Some(at) = greeting {
        for line in &mut first[..=at] {
            line.clear();
        }
    }
}

/// "Yours sincerely" and the signature, name and title after it.
fn remove_after_letter_closing(pages: &mut [Vec<String>]) {
    let closing = locate(pages, 0, |f| {
        f.split(' ').count() <= 4 && LETTER_CLOSINGS.iter().any(|c| f.starts_with(c))
    });
    if let Some((p, i)) = closing {
        truncate_from(pages, p, i);
    }
}

/// The back page: Ofsted's self-description, the licence, addresses. It runs from its
/// first line to the end of its page; it is usually the last page, but reports published
/// together in one file each have their own.
fn remove_back_matter(pages: &mut [Vec<String>]) {
    for page in pages.iter_mut() {
        // A start phrase may wrap, so each line is read with the start of the next.
        let start = (0..page.len()).find(|&i| {
            // Cheap first-letter test before folding two lines.
            let first = page[i]
                .trim_start()
                .chars()
                .next()
                .map(|c| c.to_ascii_lowercase());
            let could_start = BACK_MATTER_STARTS.iter().any(|s| s.chars().next() == first);
            if !could_start {
                return false;
            }
            let next = page[i + 1..].iter().find(|l| !l.trim().is_empty());
            let f = fold(&format!("{} {}", page[i], next.map_or("", |l| l.as_str())));
            !page[i].trim().is_empty() && BACK_MATTER_STARTS.iter().any(|s| f.starts_with(s))
        });
        if let Some(start) = start {
            for line in &mut page[start..] {
                line.clear();
            }
        }
    }
}

/// The first line, from page `from_page` on, whose folded text satisfies `is_match`.
fn locate(
    pages: &[Vec<String>],
    from_page: usize,
    is_match: impl Fn(&str) -> bool,
) -> Option<(usize, usize)> {
    pages
        .iter()
        .enumerate()
        .skip(from_page)
        .find_map(|(p, page)| page.iter().position(|l| is_match(&fold(l))).map(|i| (p, i)))
}

fn truncate_from(pages: &mut [Vec<String>], page: usize, line: usize) {
    for l in &mut pages[page][line..] {
        l.clear();
    }
    for later in &mut pages[page + 1..] {
        later.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn kept(pages: &[Vec<String>]) -> Vec<String> {
        pages
            .iter()
            .flatten()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .collect()
    }

    #[test]
    fn running_headers_and_page_numbers_go() {
        let bodies = [
            "Early help is good.",
            "Plans are clear.",
            "Leaders lead.",
            "Care is good.",
            "Staff stay.",
        ];
        let mut pages: Vec<Vec<String>> = (2..=6)
            .zip(bodies)
            .map(|(n, body)| {
                page(&format!(
                    "\nInspection of Anytown local authority children’s services \n\
                     1 to 12 May 2023  {n}\n\n{body}\n\n {n} \n"
                ))
            })
            .collect();
        strip(&mut pages, true);
        let kept = kept(&pages);
        assert_eq!(kept.len(), 5, "{kept:?}");
        assert_eq!(kept, bodies);
    }

    #[test]
    fn footnote_at_page_bottom_goes_but_numbered_paragraph_stays() {
        let mut pages = vec![page(
            "What needs to improve?1\n\n3. Children are seen.\n\n \n\
             1 The areas for improvement have been cross-referenced with the\nNational Framework.",
        )];
        strip(&mut pages, true);
        let kept = kept(&pages);
        assert_eq!(kept, ["What needs to improve?1", "3. Children are seen."]);
    }

    #[test]
    fn a_footnote_without_a_space_after_its_number_goes() {
        let mut pages = vec![page(
            "Practice is strong, from apprenticeships through to\n\n \n1The areas for improvement have been\ncross-referenced.",
        )];
        strip(&mut pages, true);
        assert_eq!(
            kept(&pages),
            ["Practice is strong, from apprenticeships through to"]
        );
    }

    #[test]
    fn bracketed_source_notes_are_footnotes() {
        let mut pages = vec![page(
            "Children living in this area\n\nAbout 22,800 children live here.\n\n(1) ONS 2015 mid-year population estimate\n(2) Census 2011",
        )];
        strip(&mut pages, true);
        assert_eq!(kept(&pages).len(), 2);
    }

    #[test]
    fn notes_under_a_rule_mid_page_go() {
        let mut pages = vec![page(
            "Children are 22% of the population (1).\n\n__________________\n\n(1) ONS 2015 estimate\n\n\
             (2) Census 2011\n\nChild protection in this area\n\nAt 31 August 2016, 854 children.",
        )];
        strip(&mut pages, true);
        assert_eq!(
            kept(&pages),
            [
                "Children are 22% of the population (1).",
                "Child protection in this area",
                "At 31 August 2016, 854 children."
            ]
        );
    }

    #[test]
    fn a_date_at_a_line_start_is_not_a_footnote() {
        let mut pages = vec![page(
            "Heading\n\nThe plan was agreed on\n\n1 April 2015 and reviewed later.",
        )];
        strip(&mut pages, true);
        assert_eq!(kept(&pages).len(), 3);
    }

    #[test]
    fn letterhead_and_signature_go() {
        let mut pages = vec![
            page(
                "Ofsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\n18 December 2019\n\n\
                 Jane Doe\nDirector\nCivic Centre\n\nDear Ms Doe\n\nFocused visit to Anytown\n\nThis letter summarises.",
            ),
            page("Findings.\n\nYours sincerely\n\nJohn Smith\nHis Majesty’s Inspector"),
        ];
        strip(&mut pages, false);
        assert_eq!(
            kept(&pages),
            [
                "Focused visit to Anytown",
                "This letter summarises.",
                "Findings."
            ]
        );
    }

    #[test]
    fn an_address_block_goes_whole() {
        let mut pages = vec![page(
            "Experiences and progress.\n\nOfsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\nWhat needs to improve",
        )];
        strip(&mut pages, true);
        assert_eq!(
            kept(&pages),
            ["Experiences and progress.", "What needs to improve"]
        );
    }

    #[test]
    fn back_matter_goes() {
        let mut pages = vec![
            page("Real text."),
            page(
                "Last paragraph.\n\nThe Office for Standards in Education, Children’s Services and Skills (Ofsted)\n\
                 regulates and inspects.\n\nIf you would like a copy of this document in a different format\n\n\
                 Piccadilly Gate\n© Crown copyright 2023",
            ),
        ];
        strip(&mut pages, true);
        assert_eq!(kept(&pages), ["Real text.", "Last paragraph."]);
    }

    #[test]
    fn contents_lines_go() {
        let mut pages = vec![page(
            "Contents\n\nSummary of key findings  3\n\nWhat does the local authority need to improve?  6\n\n\
             The experiences and progress of children who need help and \nprotection  11 \n",
        )];
        strip(&mut pages, true);
        assert!(kept(&pages).is_empty());
    }

    #[test]
    fn metadata_lines_go() {
        let mut pages = vec![page(
            "Inspection dates: 18 to 29 September 2023\n\nLead inspector: Jane Doe\nHis Majesty’s Inspector\n\nText.",
        )];
        strip(&mut pages, true);
        assert_eq!(kept(&pages), ["Text."]);
    }

    #[test]
    fn a_facts_line_takes_no_sentence_with_it() {
        let mut pages = vec![page(
            "Social workers do not always visit children.\n\
             Inspection dates: 1 to 5 March 2021.\n\
             Leaders should ensure that plans are reviewed.\n\
             Care leavers are well supported.\n\
             Lead inspector: Jane Doe\n\
             Children are seen alone by their social workers.\n\
             Visits are timely. The\n\
             lead inspector and the director agreed the arrangements.\n\
             \n\
             Team inspectors: Sheena Doyle, Ali Mekki, Rob\n\
             Hackeson, Dominic Stevens, John Gregg.",
        )];
        strip(&mut pages, false);
        assert_eq!(
            kept(&pages),
            [
                "Social workers do not always visit children.",
                "Leaders should ensure that plans are reviewed.",
                "Care leavers are well supported.",
                "Children are seen alone by their social workers.",
                "Visits are timely. The",
                "lead inspector and the director agreed the arrangements.",
            ]
        );
    }
}
