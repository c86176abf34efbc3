//! Whether a document is what ofsted-themes reads: an Ofsted inspection of an English local
//! authority's children's services (a report, a letter, or a news write-up of one). A
//! README, a web page on something else or an unrelated PDF would otherwise become "a news
//! article" about whichever authority it happens to name, and its sentences would be counted
//! in that authority's figures.
//!
//! The test is deliberately lenient toward real reports (every corpus PDF, fixture and seed
//! passes): it refuses documents with no Ofsted subject, documents that hardly speak of
//! children, and the tool's own files and other software documentation.

use std::sync::LazyLock;

use regex::Regex;

use crate::types::{DocumentKind, ReportFacts};

/// A document's sentences must mention children, social care or families at least once in
/// this many sentences (reports do so in nearly every paragraph; a document that mentions
/// children once in passing is about something else).
const SENTENCES_PER_CHILDREN_CUE: usize = 40;

/// A document is software documentation when at least this share of its sentences (and at
/// least [`MIN_CODE_SENTENCES`] of them) hold commands, options, file names or code fences.
const MAX_CODE_SHARE: f64 = 0.15;
const MIN_CODE_SENTENCES: usize = 3;

/// A document with fewer sentences than this is too short to judge by its subject and is
/// read (a letter's extract, a test's few lines); the tool's own files are refused whatever
/// their length.
const MIN_SENTENCES_TO_JUDGE: usize = 5;

/// What an inspection (or a write-up of one) speaks of: Ofsted, inspectors, visits.
static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bofsted\b|\binspect(?:ors?|ions?|orate)\b|\b(?:focused|monitoring) visits?\b")
        .expect("valid subject regex")
});

/// What children's services are about.
static CHILDREN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bchildren|\bchild\b|\bsocial (?:care|work)|\bcare leavers?\b|\byoung people\b|\bfamilies\b")
        .expect("valid children regex")
});

/// The tool's own words: its name (README, docs) and the headline of its report.html, which
/// quotes report sentences and so would otherwise pass for a write-up; Ofsted never says them.
static TOOL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bofsted-themes\b|\bofsted themes in children'?s social care\b|\blabelled by stance and theme\b")
        .expect("valid tool-name regex")
});

/// Marks of software documentation: code fences, shell commands, command-line options,
/// source and data file names.
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"```|\bcargo (?:run|build|test|install|bench)\b|\bpip install\b|(?:^|\s)--[a-z][a-z-]{2,}|\b[\w/-]+\.(?:rs|toml|json|py|sh|yml|yaml|csv|xlsx|sqlite)\b|\bsrc/",
    )
    .expect("valid code regex")
});

/// Why a document is not an Ofsted children's services document, or None when it is one.
pub fn not_about_childrens_services<'a>(
    facts: &ReportFacts,
    sentences: impl IntoIterator<Item = &'a str>,
) -> Option<&'static str> {
    let sentences: Vec<&str> = sentences.into_iter().collect();
    let count = |re: &Regex| sentences.iter().filter(|s| re.is_match(s)).count();
    if count(&TOOL_NAME) > 0 {
        return Some("it is a file of ofsted-themes itself (its documentation or its output)");
    }
    let code = count(&CODE);
    if code >= MIN_CODE_SENTENCES && code as f64 >= MAX_CODE_SHARE * sentences.len() as f64 {
        return Some("it reads as software documentation");
    }
    if sentences.len() < MIN_SENTENCES_TO_JUDGE {
        return None;
    }
    let is_report = !matches!(facts.kind, DocumentKind::NewsArticle | DocumentKind::Other);
    if !is_report && count(&SUBJECT) == 0 {
        return Some("it does not mention Ofsted or an inspection");
    }
    let children = count(&CHILDREN);
    if children == 0 || children * SENTENCES_PER_CHILDREN_CUE < sentences.len() {
        return Some("it hardly mentions children or social care");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: DocumentKind, text: &[&str]) -> Option<&'static str> {
        let facts = ReportFacts {
            kind,
            ..Default::default()
        };
        not_about_childrens_services(&facts, text.iter().copied())
    }

    #[test]
    fn a_write_up_of_an_inspection_is_taken() {
        let text = [
            "Ofsted has rated Halton's children's services as good.",
            "Inspectors found that social workers know the children well.",
            "The council said it was delighted.",
            "Leaders were praised for their work.",
            "The last inspection was in 2019.",
        ];
        assert_eq!(check(DocumentKind::NewsArticle, &text), None);
        let letter = [
            "Focused visit to Luton Borough Council children's services",
            "Leaders have improved the quality of practice for children in care.",
            "Management oversight is not always effective.",
            "Plans are reviewed regularly.",
            "Social workers know the families well.",
        ];
        assert_eq!(check(DocumentKind::Other, &letter), None);
    }

    #[test]
    fn documents_on_other_subjects_are_refused() {
        let recipe = [
            "Whisk the eggs.",
            "Add the flour.",
            "Stir in the milk.",
            "Pour into a tin.",
            "Bake for twenty minutes.",
        ];
        assert!(check(DocumentKind::Other, &recipe).is_some());
        // Too short to judge: read.
        assert_eq!(check(DocumentKind::Other, &recipe[..2]), None);
        let readme = ["ofsted-themes reads Ofsted reports on children's services."];
        assert!(check(DocumentKind::NewsArticle, &readme).is_some());
        let own_page = [
            "Ofsted themes in children's social care",
            "Click any number to read the sentences behind it.",
            "Heat map: themes × authorities",
            "86 authorities, 166 reports, 44269 sentences labelled by stance and theme.",
            "Inspectors found that children in care are well supported.",
        ];
        assert!(check(DocumentKind::NewsArticle, &own_page).is_some());
        let docs = [
            "Inspection reports on children are read from the folder.",
            "Pass --classifier rules to skip the model.",
            "The settings live in config.toml and the output in out.csv.",
            "Run it with --jobs 4.",
            "Children's services reports are labelled by sentence.",
        ];
        assert!(check(DocumentKind::NewsArticle, &docs).is_some());
        // A long document that names children once in passing.
        let mut manual = vec!["Keep the inspection hatch clear of children."];
        manual.extend(std::iter::repeat_n("Tighten the bolts on the frame.", 80));
        assert!(check(DocumentKind::Other, &manual).is_some());
    }
}
