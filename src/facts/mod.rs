//! Report facts: authority, kind of document, dates, lead inspector and grades.
//!
//! Contract: read what the text states; leave a fact `None` rather than guess.
//!
//! The facts are read from the raw pages, not the cleaned blocks: the title, the
//! "Inspection dates" line and the letter's date and address are page furniture the
//! cleaner may strip. Blocks are used only when the pages hold no text.
//!
//! | fact | where it is read |
//! |---|---|
//! | kind | the earliest title on the opening pages ("Inspection of", "Focused visit to", "Monitoring visit to", "Joint targeted area inspection"); a text or HTML file with no report furniture is a news article |
//! | authority | the title ("Inspection of Barnet local authority"), else the name above it ("London Borough of Bexley"), else the authority named most often |
//! | start, end | "Inspection dates:" and like labels, else "…visit to … on 25 and 26 July 2018" |
//! | published | "Report published:", else a letter's date line |
//! | lead inspector | "Lead inspector:", else the signature under "Yours sincerely" or above "His Majesty's Inspector" |
//! | grades | inspections: the judgement table, else body headings, the LSCB from its section ([`grades`]); news: the verdicts the article states ([`grades::from_prose`]); visits: none |

pub mod authority;
pub mod dates;
pub mod grades;
pub mod subject;

use regex::Regex;
use std::sync::LazyLock;

use crate::types::{Block, Date, DocumentKind, Grades, InputFormat, RawDocument, ReportFacts};

/// How far into the opening pages a report's title is looked for: letters open with
/// Ofsted's address and the recipient's before the title.
const TITLE_REGION_CHARS: usize = 2000;

/// Extracts the facts of a report from its raw pages and cleaned blocks.
pub fn extract(doc: &RawDocument, blocks: &[Block]) -> ReportFacts {
    let mut raw_pages: Vec<String> = doc.pages.clone();
    if raw_pages.iter().all(|p| p.trim().is_empty()) {
        raw_pages = vec![blocks
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")];
    }
    let pages: Vec<String> = raw_pages.iter().map(|p| crate::text::flatten(p)).collect();
    let whole = pages.join(" ");
    let opening = pages.iter().take(2).cloned().collect::<Vec<_>>().join(" ");

    // A cover page may hold little or nothing: the title is looked for in the opening.
    let kind = document_kind(doc.format, &opening, &whole);
    let (start_date, end_date) = match kind {
        DocumentKind::NewsArticle | DocumentKind::Other => (None, None),
        _ => visit_dates(&opening).unzip(),
    };
    let published = match kind {
        DocumentKind::NewsArticle | DocumentKind::Other => None,
        _ => published_date(&raw_pages, &opening),
    };
    let lead_inspector = match kind {
        DocumentKind::NewsArticle | DocumentKind::Other => None,
        _ => lead_inspector(&raw_pages),
    };
    let grades = match kind {
        DocumentKind::Inspection => inspection_grades(&opening, &whole),
        DocumentKind::NewsArticle => grades::from_prose(&raw_pages.join("\n")),
        // Visits and joint inspections are not graded; what they say of grades is
        // about an earlier inspection.
        _ => Grades::default(),
    };
    ReportFacts {
        local_authority: local_authority(kind, &opening, &whole),
        kind,
        start_date,
        end_date,
        published,
        lead_inspector,
        grades,
    }
}

/// SIF reports that include the review of the Local Safeguarding Children Board say so
/// in their title.
static LSCB_REVIEW_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)review of the effectiveness of the local safeguarding children'?s? board")
        .expect("valid regex")
});

/// An inspection's grades: the judgement table on the opening pages, else the table
/// anywhere; a judgement the table does not give is taken from its heading in the body.
/// The LSCB's grade heads its own section, further in.
fn inspection_grades(opening: &str, whole: &str) -> Grades {
    let mut graded = grades::from_report(opening);
    if graded == Grades::default() {
        graded = grades::from_report(whole);
    }
    let headings = grades::from_headings(whole);
    for (slot, heading) in [
        (&mut graded.impact_of_leaders, headings.impact_of_leaders),
        (
            &mut graded.help_and_protection,
            headings.help_and_protection,
        ),
        (&mut graded.children_in_care, headings.children_in_care),
        (&mut graded.care_leavers, headings.care_leavers),
    ] {
        if slot.is_none() {
            *slot = heading;
        }
    }
    // Only SIF reports (the only ones grading adoption) reviewed an LSCB.
    let is_sif = LSCB_REVIEW_TITLE.is_match(opening) || graded.adoption.is_some();
    if graded.lscb.is_none() && is_sif {
        graded.lscb = grades::from_report(whole).lscb;
    }
    graded
}

/// Titles that say what kind of document this is. The earliest in the title region wins,
/// so a report's later mention of "monitoring visits" does not change its kind.
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(joint targeted area inspection)|(monitoring visit (?:to|of|at)\b)|(focused visit (?:to|of|at)\b)|((?:re-?)?inspection of\b|inspection dates?\s*:|inspection of local authority children'?s services))",
    )
    .expect("valid title regex")
});

/// Furniture of an Ofsted report or letter that a news article does not have. (Not "His
/// Majesty's Inspector": articles quote inspectors by title.)
static REPORT_FURNITURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)inspection dates?\s*:|dates? of (?:the )?(?:inspection|visit)\s*:|lead inspector\s*:|yours sincerely|judgement\s+grade|\bdear (?:mr|mrs|ms|miss|dr)\b",
    )
    .expect("valid furniture regex")
});

/// What a news article about Ofsted and children's services mentions.
static NEWS_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:ofsted|inspector|inspection|inspectorate)").expect("valid news regex")
});

fn document_kind(format: InputFormat, opening: &str, whole: &str) -> DocumentKind {
    let is_plain_text = matches!(format, InputFormat::Text | InputFormat::Html);
    if is_plain_text && !REPORT_FURNITURE.is_match(whole) {
        return if NEWS_SUBJECT.is_match(whole) {
            DocumentKind::NewsArticle
        } else {
            DocumentKind::Other
        };
    }
    let title_region = crate::text::head(opening, TITLE_REGION_CHARS);
    let Some(title) = TITLE.captures(title_region) else {
        return DocumentKind::Other;
    };
    if title.get(1).is_some() {
        DocumentKind::JointTargetedAreaInspection
    } else if title.get(2).is_some() {
        DocumentKind::MonitoringVisit
    } else if title.get(3).is_some() {
        DocumentKind::FocusedVisit
    } else {
        DocumentKind::Inspection
    }
}

/// Where the authority stands in a title: "Inspection of Barnet local authority
/// children's services", "Focused visit to Bury local authority", "Monitoring visit to
/// Bradford children's services".
static TITLE_NAMING_AUTHORITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?:re-?)?inspection of|(?:focused|monitoring) visit (?:to|of|at)|joint targeted area inspection of)\s",
    )
    .expect("valid title regex")
});

/// How far after the title words the authority's name is looked for.
const TITLE_NAME_WINDOW_CHARS: usize = 110;

fn local_authority(kind: DocumentKind, opening: &str, whole: &str) -> Option<String> {
    if kind == DocumentKind::NewsArticle || kind == DocumentKind::Other {
        return authority::most_named(whole, whole);
    }
    let title_region = crate::text::head(opening, TITLE_REGION_CHARS);
    let titles: Vec<regex::Match> = TITLE_NAMING_AUTHORITY.find_iter(title_region).collect();
    for title in &titles {
        let window = crate::text::head(&title_region[title.end()..], TITLE_NAME_WINDOW_CHARS);
        // The title ends where the dates or the letter's first sentence begin.
        let window = window
            .find("Inspection date")
            .or_else(|| window.find(". "))
            .map_or(window, |end| &window[..end]);
        if let Some(name) = authority::first_named(window) {
            return Some(name);
        }
    }
    // Older reports put the authority's name above the title ("London Borough of Bexley",
    // "<Name> Metropolitan Borough Council"); letters put it in the address block.
    let above_title = match titles.first() {
        Some(title) => &title_region[..title.start()],
        None => title_region,
    };
    authority::most_named(above_title, whole).or_else(|| authority::most_named(whole, whole))
}

/// Labels of the visit's dates: "Inspection dates:", "Dates of visit:", "Fieldwork dates".
static DATES_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?:inspection|visit|fieldwork|on-?site)\s+dates?|dates?\s+of\s+(?:the\s+)?(?:inspection|visit|fieldwork|on-?site (?:work|visit)))\s*:?\s*",
    )
    .expect("valid dates label regex")
});

/// Where a letter gives the visit's dates in a sentence: "…focused visit to Bury local
/// authority children's services on 25 and 26 July 2018", "Between 10 and 14 June 2019".
static ON_OR_BETWEEN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:on|between|from)\s+(?:the\s+)?\d").expect("valid regex")
});
static VISIT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:visit|inspection|inspected|inspectors|took place|carried out)")
        .expect("valid regex")
});

/// How much text after a dates label may hold the dates.
const DATES_AFTER_LABEL_CHARS: usize = 80;
/// How far before "on <date>" a word about the visit must be, in the same sentence.
const VISIT_WORD_BEFORE_CHARS: usize = 250;

/// The first and last day of the visit.
fn visit_dates(opening: &str) -> Option<(Date, Date)> {
    let labelled = DATES_LABEL.find_iter(opening).find_map(|label| {
        let after = crate::text::head(&opening[label.end()..], DATES_AFTER_LABEL_CHARS);
        dates::range_at(after).or_else(|| dates::date_at(after).map(|d| (d, d)))
    });
    if labelled.is_some() {
        return labelled;
    }
    ON_OR_BETWEEN_DATE.find_iter(opening).find_map(|m| {
        let date_start = m.end() - 1;
        let before = &opening[..m.start()];
        let sentence_start = before.rfind(". ").map_or(0, |i| i + 2);
        let context_start =
            sentence_start.max(before.len().saturating_sub(VISIT_WORD_BEFORE_CHARS));
        let context_start = (context_start..=before.len())
            .find(|&i| before.is_char_boundary(i))
            .unwrap_or(before.len());
        if !VISIT_WORD.is_match(&before[context_start..]) {
            return None;
        }
        let rest = &opening[date_start..];
        dates::range_at(rest).or_else(|| dates::date_at(rest).map(|d| (d, d)))
    })
}

static PUBLISHED_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(?:(?:report published|publication date|date of publication|date published)",
        r"\s*:?|published\s*:)\s*",
    ))
    .expect("valid published label regex")
});

/// A line that is nothing but a date: the date of a letter.
static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?,?\s+\d{4}\s*$")
        .expect("valid date line regex")
});

/// The date the report was published or the letter sent.
fn published_date(raw_pages: &[String], opening: &str) -> Option<Date> {
    let labelled = PUBLISHED_LABEL
        .find_iter(opening)
        .find_map(|label| dates::date_at(&opening[label.end()..]));
    if labelled.is_some() {
        return labelled;
    }
    let first_page = raw_pages.first()?;
    first_page
        .lines()
        .take_while(|line| !line.trim_start().starts_with("Dear "))
        .filter(|line| DATE_LINE.is_match(line))
        .find_map(|line| dates::date_at(line.trim()))
}

static LEAD_INSPECTOR_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\blead (?:social care )?inspectors?\s*:\s*").expect("valid regex")
});

/// A person's name as reports print it: "Jane Smith", "Fiona J Hart",
/// "Paula Grant-Jones", "Siobhán O'Neill", "Ian McDonald", "Ana de Souza".
static PERSON_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\p{Lu}[\p{L}'’\-]*\.?(?:\s+(?:(?:de|del|della|di|da|du|van|von|der|den|le|la|bin|al)\s+)?\p{Lu}[\p{L}'’\-]*\.?){1,4}$",
    )
    .expect("valid regex")
});

/// Cuts the title that follows an inspector's name: ", His Majesty's Inspector", "HMI".
fn strip_inspector_title(text: &str) -> &str {
    let lower = text.to_lowercase();
    let cut = [
        ",",
        " her majesty",
        " his majesty",
        " hmi",
        " (hmi",
        " ofsted inspector",
        " social care regulatory",
        " and ",
    ]
    .iter()
    .filter_map(|t| lower.find(t))
    .min()
    .unwrap_or(text.len());
    // `lower` may differ in byte length from `text` for some letters; stay on a boundary.
    let cut = (0..=cut.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[..cut].trim()
}

/// Words in the names of bodies, not people: a joint letter is signed by "Ofsted", "Care
/// Quality Commission", "HMI Constabulary".
const NOT_IN_A_PERSONS_NAME: &[&str] = &[
    "ofsted",
    "commission",
    "constabulary",
    "inspectorate",
    "inspector",
    "inspectors",
    "majesty",
    "majesty's",
    "council",
    "police",
    "probation",
    "services",
    "service",
    "children",
    "children's",
    "borough",
    "county",
    "director",
    "yours",
];

fn as_person_name(text: &str) -> Option<String> {
    let name = crate::text::flatten(strip_inspector_title(text.trim()));
    let names_a_body = name
        .split_whitespace()
        .any(|w| NOT_IN_A_PERSONS_NAME.contains(&w.to_lowercase().as_str()));
    (PERSON_NAME.is_match(&name) && !names_a_body).then_some(name)
}

/// A letter's sign-off, typing slips included ("Your sincerely").
static SIGN_OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*yours?\s+(?:sincerely|faithfully|truly)\b").expect("valid regex")
});

/// The title under a signature.
static INSPECTOR_TITLE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:(?:her|his) majesty'?s\s+(?:\w+\s+)?inspector|hmi|ofsted inspector|senior hmi)\b")
        .expect("valid regex")
});

/// The lead inspector: "Lead inspector: Jane Smith", else the letter's signature (the
/// name under "Yours sincerely", or above "His Majesty's Inspector" at the end).
fn lead_inspector(raw_pages: &[String]) -> Option<String> {
    let lines: Vec<String> = raw_pages
        .iter()
        .flat_map(|p| p.lines())
        .map(crate::text::flatten)
        .filter(|l| !l.is_empty())
        .collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(label) = LEAD_INSPECTOR_LABEL.find(line) {
            let rest = line[label.end()..].trim();
            let candidate = if rest.is_empty() {
                lines.get(i + 1).map_or("", String::as_str)
            } else {
                rest
            };
            if let Some(name) = as_person_name(candidate) {
                return Some(name);
            }
        }
    }
    let signed = lines
        .iter()
        .rposition(|l| SIGN_OFF.is_match(l))
        .and_then(|i| as_person_name(lines.get(i + 1)?));
    signed.or_else(|| {
        let title = lines
            .iter()
            .rposition(|l| INSPECTOR_TITLE_LINE.is_match(l))?;
        as_person_name(lines.get(title.checked_sub(1)?)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Grade;
    use std::path::PathBuf;

    fn doc(format: InputFormat, pages: &[&str]) -> RawDocument {
        RawDocument {
            path: PathBuf::from("synthetic"),
            sha256: String::new(),
            format,
            pages: pages.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn d(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn ilacs_report_front_page() {
        let page = "Inspection of Northumberland local authority\nchildren\u{2019}s services\n\
            Inspection dates: 18 to 22 March 2024\n\
            Lead inspector: Jane Smith, His Majesty\u{2019}s Inspector\n\
            Judgement  Grade\n\
            The impact of leaders on social work\npractice with children and families  Good\n\
            Overall effectiveness  Good\n";
        let f = extract(&doc(InputFormat::Pdf, &[page]), &[]);
        assert_eq!(f.kind, DocumentKind::Inspection);
        assert_eq!(f.local_authority.as_deref(), Some("Northumberland"));
        assert_eq!(f.start_date, Some(d(2024, 3, 18)));
        assert_eq!(f.end_date, Some(d(2024, 3, 22)));
        assert_eq!(f.lead_inspector.as_deref(), Some("Jane Smith"));
        assert_eq!(f.grades.impact_of_leaders, Some(Grade::Good));
        assert_eq!(f.grades.overall_effectiveness, Some(Grade::Good));
    }

    #[test]
    fn sif_report_front_page() {
        let page = "  1 \n\nLondon Borough of Lewisham \n\nInspection of services for children in need of help and \n\
            protection, children looked after and care leavers \n\nInspection date: 27 November 2017 \u{2013} 7 December 2017 \n\n\
            Report published: 30 January 2018 \n\nChildren\u{2019}s services in Lewisham are good \n\n\
            2.1 Adoption performance  Outstanding \n";
        let narrative = "Children in care and care leavers are good at sport. The board met.";
        let lscb = "The Local Safeguarding Children Board is inadequate \n\nExecutive summary";
        let f = extract(&doc(InputFormat::Pdf, &[page, narrative, lscb]), &[]);
        assert_eq!(f.kind, DocumentKind::Inspection);
        assert_eq!(f.local_authority.as_deref(), Some("Lewisham"));
        assert_eq!(f.start_date, Some(d(2017, 11, 27)));
        assert_eq!(f.end_date, Some(d(2017, 12, 7)));
        assert_eq!(f.published, Some(d(2018, 1, 30)));
        assert_eq!(f.grades.overall_effectiveness, Some(Grade::Good));
        assert_eq!(f.grades.adoption, Some(Grade::Outstanding));
        assert_eq!(f.grades.lscb, Some(Grade::Inadequate));
        assert_eq!(f.grades.children_in_care, None);
    }

    #[test]
    fn focused_visit_letter() {
        let page1 = "Ofsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\n14 November 2025\n\n\
            A Director\nDirector of Children\u{2019}s Services\nSomerset Council\n\nDear Ms Director\n\n\
            Focused visit to Somerset local authority children\u{2019}s services\n\n\
            This letter summarises the findings of the focused visit to Somerset local authority \
            children\u{2019}s services on 9 to 10 October 2025. His Majesty\u{2019}s Inspectors were \
            Ann Other and Joe Bloggs.\nAt the last inspection, services were judged to be good.";
        let page2 = "Somerset leaders are ambitious.\n\nYours sincerely\n\nAnn Other\nHis Majesty\u{2019}s Inspector\n";
        let f = extract(&doc(InputFormat::Pdf, &[page1, page2]), &[]);
        assert_eq!(f.kind, DocumentKind::FocusedVisit);
        assert_eq!(f.local_authority.as_deref(), Some("Somerset"));
        assert_eq!(f.start_date, Some(d(2025, 10, 9)));
        assert_eq!(f.end_date, Some(d(2025, 10, 10)));
        assert_eq!(f.published, Some(d(2025, 11, 14)));
        assert_eq!(f.lead_inspector.as_deref(), Some("Ann Other"));
        assert_eq!(f.grades, Grades::default());
    }

    #[test]
    fn monitoring_visit_and_jtai_titles() {
        let mv = "Dear Mr Jones\nMonitoring visit to Sandwell children\u{2019}s services\n\
            This letter summarises the findings of the monitoring visit to Sandwell children\u{2019}s \
            services on 18 September 2018.";
        let f = extract(&doc(InputFormat::Pdf, &[mv]), &[]);
        assert_eq!(f.kind, DocumentKind::MonitoringVisit);
        assert_eq!(f.local_authority.as_deref(), Some("Sandwell"));
        assert_eq!(f.start_date, Some(d(2018, 9, 18)));
        assert_eq!(f.end_date, Some(d(2018, 9, 18)));

        let jtai = "Joint targeted area inspection of the multi-agency response to children \
            in Wigan\nBetween 10 and 14 June 2019, Ofsted carried out a joint inspection.";
        let f = extract(&doc(InputFormat::Pdf, &[jtai]), &[]);
        assert_eq!(f.kind, DocumentKind::JointTargetedAreaInspection);
        assert_eq!(f.local_authority.as_deref(), Some("Wigan"));
        assert_eq!(f.start_date, Some(d(2019, 6, 10)));
        assert_eq!(f.end_date, Some(d(2019, 6, 14)));
    }

    #[test]
    fn news_article_text() {
        let article = "Children's services in Sefton have been rated by Ofsted as 'inadequate'.\n\
            \"Leaders have been too slow,\" said the report.\n\
            The experiences and progress of care leavers was rated as requires improvement to be good.";
        let f = extract(&doc(InputFormat::Text, &[article]), &[]);
        assert_eq!(f.kind, DocumentKind::NewsArticle);
        assert_eq!(f.local_authority.as_deref(), Some("Sefton"));
        assert_eq!(f.grades.overall_effectiveness, Some(Grade::Inadequate));
        assert_eq!(f.grades.care_leavers, Some(Grade::RequiresImprovement));
        assert_eq!(f.start_date, None);
    }

    #[test]
    fn a_news_article_quoting_an_inspector_is_still_news() {
        let article = "Following an inspection of Kent County Council's children's services, \
            His Majesty's Inspector Jo Bloggs said leaders were ambitious. Ofsted rated the \
            council's children's services as outstanding.";
        let f = extract(&doc(InputFormat::Html, &[article]), &[]);
        assert_eq!(f.kind, DocumentKind::NewsArticle);
        assert_eq!(f.local_authority.as_deref(), Some("Kent"));
        assert_eq!(f.grades.overall_effectiveness, Some(Grade::Outstanding));
        assert_eq!(f.lead_inspector, None);
    }

    #[test]
    fn unrelated_text_is_other_and_states_nothing() {
        let f = extract(
            &doc(InputFormat::Text, &["Shopping list: milk, eggs."]),
            &[],
        );
        assert_eq!(f.kind, DocumentKind::Other);
        assert_eq!(
            f,
            ReportFacts {
                kind: DocumentKind::Other,
                ..ReportFacts::default()
            }
        );
        let empty = extract(&doc(InputFormat::Pdf, &[]), &[]);
        assert_eq!(empty.kind, DocumentKind::Other);
    }

    #[test]
    fn odd_input_reads_as_nothing_without_panicking() {
        let odd = [
            "",
            "on 3",
            "Inspection dates: ",
            "Inspection of \u{130}stanbul \u{e4}\u{f6} on the 31 of",
            "Lead inspector: \u{130}I\u{307}, HMI",
            "Children's services in",
            "Focused visit to on 12/13/2020 to 40/02/2021",
            "Yours sincerely",
            "\u{2019}\u{2019} – — on between from 1 2 3",
        ];
        for text in odd {
            for format in [InputFormat::Pdf, InputFormat::Text] {
                let f = extract(&doc(format, &[text, text]), &[]);
                assert_eq!(f.start_date, None, "{text:?}");
                assert_eq!(f.grades, Grades::default(), "{text:?}");
            }
        }
    }

    #[test]
    fn lead_inspector_forms() {
        for (line, want) in [
            ("Lead inspector: Jane Gray", "Jane Gray"),
            ("Lead inspector: Amir Patel HMI", "Amir Patel"),
            ("Lead inspector: Karen Lowe (HMI)", "Karen Lowe"),
            ("Lead inspector: Fiona J Hart", "Fiona J Hart"),
            ("Lead inspector: Ana de Souza, HMI", "Ana de Souza"),
            (
                "Lead inspectors: Ruth Hale, His Majesty's Inspector, and Matt Cole",
                "Ruth Hale",
            ),
            (
                "Lead inspector:\nPaula Grant-Jones\nHer Majesty's Inspector",
                "Paula Grant-Jones",
            ),
        ] {
            assert_eq!(
                lead_inspector(&[line.to_string()]).as_deref(),
                Some(want),
                "{line}"
            );
        }
        let narrative = "keep in touch meetings with the lead inspector: attended by the director";
        assert_eq!(lead_inspector(&[narrative.to_string()]), None);
        let slip =
            "next inspection or visit.\n\nYour sincerely\n\nLynn Ford\nHer Majesty's Inspector\n";
        assert_eq!(
            lead_inspector(&[slip.to_string()]).as_deref(),
            Some("Lynn Ford")
        );
        let joint = "Yours sincerely\n\nOfsted Care Quality Commission HMI Constabulary\n";
        assert_eq!(lead_inspector(&[joint.to_string()]), None);
        let unsigned = "visit.\nKim Jones\nHis Majesty's Inspector\n";
        assert_eq!(
            lead_inspector(&[unsigned.to_string()]).as_deref(),
            Some("Kim Jones")
        );
    }
}
