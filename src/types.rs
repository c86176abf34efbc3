//! The data that flows between the pipeline's stages.
//!
//! ingest → [`RawDocument`] → clean → [`Block`]s → facts → [`ReportFacts`]
//!        → segment → [`Sentence`]s → classify → [`Label`]s → [`LabelledReport`]
//!        → aggregate → summaries → write.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The file formats ofsted-themes reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    Pdf,
    Text,
    Html,
}

/// A file read and decoded to text, one string per page (text and HTML files are one page).
#[derive(Debug, Clone)]
pub struct RawDocument {
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the file's bytes: the report's identity.
    pub sha256: String,
    pub format: InputFormat,
    pub pages: Vec<String>,
}

/// What a piece of cleaned text is in the document's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    Heading,
    Paragraph,
    Bullet,
    /// A numbered paragraph ("12. Children are seen...") with its number removed.
    Numbered,
}

/// The judgement area of an inspection report that a sentence falls under.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum JudgementArea {
    HelpAndProtection,
    ChildrenInCare,
    CareLeavers,
    Leaders,
    #[default]
    None,
}

impl JudgementArea {
    pub fn as_str(self) -> &'static str {
        match self {
            JudgementArea::HelpAndProtection => "help and protection",
            JudgementArea::ChildrenInCare => "children in care",
            JudgementArea::CareLeavers => "care leavers",
            JudgementArea::Leaders => "leaders",
            JudgementArea::None => "",
        }
    }
}

/// A unit of cleaned text: a heading, a paragraph or a list item, with where it sits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    /// Text with page furniture removed, lines re-joined and whitespace normalised.
    pub text: String,
    /// The heading of the section this block is in ("" before the first heading).
    pub section: String,
    pub judgement_area: JudgementArea,
    /// True for items under "What needs to improve?", "Areas for priority action",
    /// "Recommendations" and similar headings.
    pub in_improvement_list: bool,
}

/// The kind of document a report is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Inspection,
    FocusedVisit,
    MonitoringVisit,
    JointTargetedAreaInspection,
    NewsArticle,
    #[default]
    Other,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Inspection => "inspection",
            DocumentKind::FocusedVisit => "focused visit",
            DocumentKind::MonitoringVisit => "monitoring visit",
            DocumentKind::JointTargetedAreaInspection => "joint targeted area inspection",
            DocumentKind::NewsArticle => "news article",
            DocumentKind::Other => "other",
        }
    }
}

/// An Ofsted grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Outstanding,
    Good,
    RequiresImprovement,
    Inadequate,
}

impl Grade {
    /// The grades, best first.
    pub const ALL: [Grade; 4] = [
        Grade::Outstanding,
        Grade::Good,
        Grade::RequiresImprovement,
        Grade::Inadequate,
    ];

    /// The grade lexicon: every phrase that names a grade, longest first so "requires
    /// improvement to be good" is read whole, each marked `true` where it is Ofsted's own
    /// wording (grade tables, headings) rather than a variant of news and letters
    /// ("requiring improvement").
    pub const PHRASES: [(&'static str, Grade, bool); 9] = [
        (
            "requires improvement to be good",
            Grade::RequiresImprovement,
            true,
        ),
        (
            "requiring improvement to be good",
            Grade::RequiresImprovement,
            false,
        ),
        (
            "require improvement to be good",
            Grade::RequiresImprovement,
            false,
        ),
        ("requires improvement", Grade::RequiresImprovement, true),
        ("requiring improvement", Grade::RequiresImprovement, false),
        ("require improvement", Grade::RequiresImprovement, false),
        ("outstanding", Grade::Outstanding, true),
        ("inadequate", Grade::Inadequate, true),
        ("good", Grade::Good, true),
    ];

    /// Ofsted's own grade phrases, longest first (see [`Grade::PHRASES`]).
    pub fn ofsted_phrases() -> impl Iterator<Item = &'static str> {
        Grade::PHRASES
            .iter()
            .filter(|(_, _, ofsted)| *ofsted)
            .map(|(phrase, _, _)| *phrase)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Outstanding => "outstanding",
            Grade::Good => "good",
            Grade::RequiresImprovement => "requires improvement",
            Grade::Inadequate => "inadequate",
        }
    }

    /// 1 (outstanding) to 4 (inadequate), Ofsted's own numbering.
    pub fn number(self) -> u8 {
        match self {
            Grade::Outstanding => 1,
            Grade::Good => 2,
            Grade::RequiresImprovement => 3,
            Grade::Inadequate => 4,
        }
    }
}

/// The graded judgements of a report. ILACS (2018 on) uses the first five; the older
/// single inspection framework (SIF, 2013-2018) also graded adoption and the LSCB.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grades {
    pub overall_effectiveness: Option<Grade>,
    pub impact_of_leaders: Option<Grade>,
    pub help_and_protection: Option<Grade>,
    pub children_in_care: Option<Grade>,
    pub care_leavers: Option<Grade>,
    /// SIF: "Adoption performance".
    pub adoption: Option<Grade>,
    /// SIF: "The effectiveness of the Local Safeguarding Children Board".
    pub lscb: Option<Grade>,
}

/// A calendar date. Ofsted reports give dates as "12 March 2024"; we write ISO 8601.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The facts of a report, read from its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportFacts {
    /// Normalised name ("Barnet", "Bournemouth, Christchurch and Poole").
    pub local_authority: Option<String>,
    pub kind: DocumentKind,
    /// First and last day inspectors were on site.
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    /// Date of publication or of the letter, where the document states one.
    pub published: Option<Date>,
    pub lead_inspector: Option<String>,
    pub grades: Grades,
}

impl ReportFacts {
    /// The date a report is placed at in time: the end of the visit, else publication.
    pub fn report_date(&self) -> Option<Date> {
        self.end_date.or(self.published).or(self.start_date)
    }
}

/// One sentence of a report, with the structure it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// 1-based position in the report.
    pub no: usize,
    pub text: String,
    pub section: String,
    pub judgement_area: JudgementArea,
    pub in_improvement_list: bool,
    pub block_kind: BlockKind,
}

/// What a classifier sees of a sentence: its text and its surroundings.
#[derive(Debug, Clone, Copy, Default)]
pub struct SentenceInput<'a> {
    pub text: &'a str,
    pub prev: &'a str,
    pub next: &'a str,
    pub section: &'a str,
    pub in_improvement_list: bool,
}

/// The stance of a sentence (see LABELLING.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    Strength,
    Weakness,
    Recommendation,
    Context,
}

impl Stance {
    pub const ALL: [Stance; 4] = [
        Stance::Strength,
        Stance::Weakness,
        Stance::Recommendation,
        Stance::Context,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Strength => "strength",
            Stance::Weakness => "weakness",
            Stance::Recommendation => "recommendation",
            Stance::Context => "context",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn parse(s: &str) -> Option<Stance> {
        Stance::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A theme given to a sentence, with the classifier's confidence in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeScore {
    /// A theme id from the taxonomy ("early_help").
    pub id: String,
    /// Confidence in [0, 1].
    pub score: f32,
}

/// A classifier's verdict on one sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub stance: Stance,
    /// Confidence in the stance, in [0, 1].
    pub stance_score: f32,
    /// At most three themes, highest score first.
    pub themes: Vec<ThemeScore>,
    /// Why: the cues that fired, or the model's top features, short and human-readable.
    pub evidence: Vec<String>,
}

/// A report read, cleaned, segmented and given its facts: everything but the labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Content-derived: the first 12 hex digits of the file's SHA-256.
    pub id: String,
    pub source: PathBuf,
    pub sha256: String,
    pub format: InputFormat,
    pub facts: ReportFacts,
    pub sentences: Vec<Sentence>,
}

impl Report {
    /// The classifier's view of sentence `i`, with its neighbours as context.
    pub fn input(&self, i: usize) -> SentenceInput<'_> {
        let s = &self.sentences[i];
        let text_at = |j: Option<usize>| {
            j.and_then(|j| self.sentences.get(j))
                .map_or("", |s| s.text.as_str())
        };
        SentenceInput {
            text: &s.text,
            prev: text_at(i.checked_sub(1)),
            next: text_at(Some(i + 1)),
            section: &s.section,
            in_improvement_list: s.in_improvement_list,
        }
    }
}

/// A report with a label for every sentence, and the classifier that gave them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledReport {
    pub report: Report,
    /// One per sentence, in the same order.
    pub labels: Vec<Label>,
    /// "rules", "model" or "combined".
    pub classifier: String,
}
