//! Text repairs inside a block: lines re-joined, words re-joined across line-break hyphens,
//! footnote markers removed, whitespace normalised.

use std::collections::HashSet;

use regex::Regex;
use std::sync::LazyLock;

use super::phrases::COMPOUND_PREFIXES;

/// The words of a document in lower case, hyphenated ones whole, for deciding how a
/// hyphen at a line break joins.
pub fn vocabulary<'a>(lines: impl Iterator<Item = &'a str>) -> HashSet<String> {
    let mut words = HashSet::new();
    for line in lines {
        // The last word of a line may be half of a broken word: leave it out.
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for token in tokens.iter().take(tokens.len().saturating_sub(1)) {
            let word = token.trim_matches(|c: char| !c.is_alphanumeric());
            if word.chars().count() > 2 {
                words.insert(word.to_lowercase());
            }
        }
    }
    words
}

/// Joins the lines of one block into a single line of text.
pub fn join_lines(lines: &[&str], vocabulary: &HashSet<String>) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        append_line(&mut out, line, vocabulary);
    }
    close_stray_hyphen_gaps(&collapse_spaces(&strip_footnote_markers(&out)))
}

/// "multi- agency" (a space typed after a compound's hyphen) becomes "multi-agency";
/// a suspended hyphen ("16- and 17-year-olds", "short- to medium-term") stays.
static HYPHEN_GAP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([A-Za-z]{2,})- ([a-z]+)").expect("valid regex"));
const SUSPENDED_HYPHEN_FOLLOWERS: &[&str] =
    &["and", "or", "to", "nor", "as", "but", "rather", "then"];

fn close_stray_hyphen_gaps(text: &str) -> String {
    HYPHEN_GAP
        .replace_all(text, |c: &regex::Captures| {
            if SUSPENDED_HYPHEN_FOLLOWERS.contains(&&c[2]) {
                c[0].to_string()
            } else {
                format!("{}-{}", &c[1], &c[2])
            }
        })
        .into_owned()
}

/// Appends `line` to `text`, deciding what a hyphen at the end of `text` means.
pub fn append_line(text: &mut String, line: &str, vocabulary: &HashSet<String>) {
    let line = line.trim();
    if text.is_empty() {
        text.push_str(line);
        return;
    }
    if let Some(head) = text.strip_suffix('-') {
        let prefix: String = head
            .chars()
            .rev()
            .take_while(|c| c.is_alphabetic())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let next_word = line.split_whitespace().next().unwrap_or("");
        let suspended = matches!(next_word, "and" | "or");
        if !prefix.is_empty() && !suspended {
            if is_broken_word(&prefix, line, vocabulary) {
                text.pop();
            }
            text.push_str(line);
            return;
        }
    }
    text.push(' ');
    text.push_str(line);
}

/// True when "pre-" at a line end and "vention ..." on the next line are one word broken by
/// the layout, not a hyphenated compound. Ofsted's PDFs come from Word, which does not
/// hyphenate, so the hyphen is kept unless the document itself shows the joined word and
/// never the hyphenated one, and the first part is not a common compound's first half.
fn is_broken_word(prefix: &str, next_line: &str, vocabulary: &HashSet<String>) -> bool {
    let suffix: String = next_line
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    if suffix.is_empty() || suffix.starts_with(char::is_uppercase) {
        return false;
    }
    let prefix_lower = prefix.to_lowercase();
    if COMPOUND_PREFIXES.contains(&prefix_lower.as_str()) {
        return false;
    }
    let joined = format!("{prefix_lower}{}", suffix.to_lowercase());
    let hyphenated = format!("{prefix_lower}-{}", suffix.to_lowercase());
    vocabulary.contains(&joined) && !vocabulary.contains(&hyphenated)
}

/// A footnote number glued to the end of a word or sentence ("improve?1", "protection.2",
/// "schools3", "area[2]"). Needs two lower-case letters before it, so "S47", "M1" and
/// "COVID-19" are left alone.
static GLUED_FOOTNOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([a-z][a-z][)’”'\x22]?[.?!:;,]?[)’”'\x22]?)(\d{1,2}|\[\d{1,2}\])([\s,.;:)]|$)")
        .expect("valid regex")
});
static BRACKETED_FOOTNOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\S)\[\d{1,2}\]").expect("valid regex"));

pub fn strip_footnote_markers(text: &str) -> String {
    let text = BRACKETED_FOOTNOTE.replace_all(text, "$1");
    GLUED_FOOTNOTE.replace_all(&text, "$1$3").into_owned()
}

pub fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(text: &str) -> HashSet<String> {
        vocabulary(text.lines())
    }

    #[test]
    fn compound_hyphens_at_line_breaks_are_kept() {
        let v = vocab("");
        assert_eq!(
            join_lines(&["effective multi-", "agency working"], &v),
            "effective multi-agency working"
        );
        assert_eq!(
            join_lines(&["decisions are too adult-", "focused, which"], &v),
            "decisions are too adult-focused, which"
        );
        assert_eq!(
            join_lines(&["the Multi-", "Agency Safeguarding Hub"], &v),
            "the Multi-Agency Safeguarding Hub"
        );
        assert_eq!(
            join_lines(&["COVID-", "19 pandemic"], &v),
            "COVID-19 pandemic"
        );
    }

    #[test]
    fn broken_words_are_rejoined_when_the_document_shows_the_whole_word() {
        let v = vocab("a good assessment was done today\n");
        assert_eq!(
            join_lines(&["the assess-", "ment of risk"], &v),
            "the assessment of risk"
        );
        // "child-centred" is a compound prefix even if "childcentred" appeared.
        let v = vocab("childcentred work\n");
        assert_eq!(
            join_lines(&["practice is child-", "centred"], &v),
            "practice is child-centred"
        );
    }

    #[test]
    fn a_spaced_dash_at_a_line_end_keeps_its_space() {
        let v = vocab("");
        assert_eq!(
            join_lines(&["for 16- and 17-year-olds –", "including"], &v),
            "for 16- and 17-year-olds – including"
        );
        assert_eq!(join_lines(&["for 16-", "and 17"], &v), "for 16- and 17");
        // A suspended hyphen: "medium- or standard-risk".
        assert_eq!(
            join_lines(&["assessed as medium-", "or standard-risk"], &v),
            "assessed as medium- or standard-risk"
        );
    }

    #[test]
    fn a_space_typed_after_a_compound_hyphen_is_closed() {
        let v = vocab("");
        assert_eq!(
            join_lines(
                &["funding multi- agency training for short- to medium-term work"],
                &v
            ),
            "funding multi-agency training for short- to medium-term work"
        );
    }

    #[test]
    fn footnote_markers_are_removed() {
        assert_eq!(
            strip_footnote_markers("What needs to improve?1"),
            "What needs to improve?"
        );
        assert_eq!(
            strip_footnote_markers("good help, care and protection.2 Next"),
            "good help, care and protection. Next"
        );
        assert_eq!(
            strip_footnote_markers("live in residential special schools3"),
            "live in residential special schools"
        );
        assert_eq!(
            strip_footnote_markers("two live in special schools3, both of whom"),
            "two live in special schools, both of whom"
        );
        assert_eq!(
            strip_footnote_markers("three live in schools[1], of whom"),
            "three live in schools, of whom"
        );
    }

    #[test]
    fn numbers_that_are_not_footnotes_stay() {
        for text in [
            "Section 47 enquiries",
            "S47 enquiries",
            "COVID-19 pandemic",
            "aged 16 and 17",
            "2.2 Adoption performance",
            "£1.5 million",
            "Manchester M1 2WD",
        ] {
            assert_eq!(strip_footnote_markers(text), text);
        }
    }
}
