//! The phrase tables the cleaner works from: what is page furniture, what is a bullet,
//! which headings open an improvement list or a judgement area. Edit these, not the code,
//! when a new style of report turns up.
//!
//! Every phrase is matched case-insensitively against a whitespace-normalised line,
//! with typographic apostrophes folded to `'`.

use crate::types::JudgementArea;

/// Glyphs that start a bullet item wherever they appear at the start of a line: the
/// black square of 2019+ reports, the private-use glyphs Word's Symbol/Wingdings bullets
/// become in older PDFs (U+F06E, U+F02D, U+F0A7, U+F0B7, ...), the usual bullets, and the
/// combining long stroke one SIF report uses as a bullet.
pub const BULLET_GLYPHS: &[char] = &[
    '◼', '■', '▪', '●', '•', '◦', '○', '‣', '∙', '·', '►', '➢', '✓', '\u{0336}', '\u{F02D}',
    '\u{F06E}', '\u{F076}', '\u{F0A7}', '\u{F0A8}', '\u{F0B7}', '\u{F0D8}', '\u{F0FC}',
];

/// Dashes that start a bullet item only when followed by a wide gap (two spaces or a tab)
/// in a PDF, since a single space after a dash at a line start is usually a wrapped
/// parenthesis ("– Child Abuse and Neglect, and ..."). In plain text "- item" is a bullet.
pub const DASH_BULLETS: &[char] = &['-', '–', '—', '−'];

/// Lines that start the back-page boilerplate (Ofsted's description of itself, the
/// licence, contact details). Everything from such a line to the end of the document is
/// dropped, when it is found on the last pages.
pub const BACK_MATTER_STARTS: &[&str] = &[
    "the office for standards in education, children's services and skills (ofsted) regulates",
    "ofsted has a duty to regulate",
    "if you would like a copy of this document in a different format",
    "you may reuse this information",
    "you may copy all or parts of this document",
    "any complaints about the inspection or the report should be made",
    "interested in our work?",
];

/// Lines of Ofsted's postal address block. The whole run of lines around one of these
/// (up to a blank line) is the address block and goes: its other lines ("Ofsted",
/// "Manchester") mean nothing alone.
pub const ADDRESS_BLOCK_ANCHORS: &[&str] = &[
    "piccadilly gate",
    "m1 2wd",
    "textphone",
    "enquiries@ofsted.gov.uk",
];

/// The most lines an address block runs to.
pub const MAX_ADDRESS_BLOCK_LINES: usize = 12;

/// Lines dropped wherever they appear: licence, contact and letterhead fragments. A line
/// is dropped when it starts with one of these.
pub const FURNITURE_LINE_STARTS: &[&str] = &[
    "© crown copyright",
    "crown copyright",
    "piccadilly gate",
    "store street",
    "manchester m1 2wd",
    "m1 2wd",
    "t: 0300 123 1231",
    "t 0300 123 1231",
    "textphone",
    "e: enquiries@ofsted.gov.uk",
    "enquiries@ofsted.gov.uk",
    "w: www.gov.uk/ofsted",
    "www.gov.uk/ofsted",
    "www.ofsted.gov.uk",
    "this report is available at http",
    "to view this licence, visit",
    "licence, visit www.nationalarchives",
    "email: psi@nationalarchives",
    "psi@nationalarchives",
];

/// Facts lines ("Inspection dates: ...") that the facts stage reads from the raw pages.
/// They are not sentences nor section headings, so they leave the blocks.
pub const METADATA_LINE_STARTS: &[&str] = &[
    "inspection dates:",
    "inspection date:",
    "inspection dates ",
    "dates of inspection:",
    "dates of visit:",
    "report published:",
    "lead inspector:",
    "lead inspector ",
    "deputy lead inspector",
    "team inspectors:",
    "shadow inspectors:",
    "senior data analyst",
    "additional inspector",
    "additional inspectors",
    "social care regulatory inspector",
    "quality assurance manager:",
    "judgement grade",
    "key judgement judgement grade",
    "judgement  grade",
];

/// A document's title ("Inspection of Wirral local authority children's services"): the
/// facts stage reads it from the raw pages; as a heading it would only repeat the running
/// header. (start, end) of the folded heading.
pub const DOCUMENT_TITLES: &[(&str, &str)] = &[
    ("inspection of ", "children's services"),
    ("inspection of ", "children's social care services"),
];

/// Greeting lines of a letter: the letterhead and address block above them are dropped.
pub const LETTER_GREETINGS: &[&str] = &["dear "];

/// Closing lines of a letter: they and everything after them (signature, name, title,
/// copy list) are dropped.
pub const LETTER_CLOSINGS: &[&str] = &["yours sincerely", "yours faithfully", "yours truly"];

/// Headings whose items are what the authority must improve. Matched at the start of
/// the heading.
pub const IMPROVEMENT_HEADINGS: &[&str] = &[
    "what needs to improve",
    "what does the local authority need to improve",
    "what does the lscb need to improve",
    "what the local authority needs to improve",
    "areas for priority action",
    "areas for improvement",
    "areas for development",
    "priority and immediate action",
    "priority action",
    "recommendations",
    "recommendation",
];

/// Headings that open a judgement area: a heading is an area heading when it contains one
/// of the `AREA_HEADING_CUES`; its area is the first `AREA_KEYWORDS` entry it contains.
pub const AREA_HEADING_CUES: &[&str] = &[
    "experiences and progress of",
    "experience and progress of",
    "the experiences of children",
    "the experiences of care leavers",
    "impact of leaders on social work practice",
    "leadership, management and governance",
    "children who need help and protection",
    "children looked after and achieving permanence",
    "graded judgement for adoption",
    "graded judgment for adoption",
    "graded judgement about the experience",
    "graded judgment about the experience",
    "graded judgement for the experiences",
    "graded judgment for the experiences",
];

/// The area an area heading names, most specific phrase first: a 2018-19 heading "children
/// in care and care leavers" is one area, children in care.
pub const AREA_KEYWORDS: &[(&str, JudgementArea)] = &[
    ("help and protection", JudgementArea::HelpAndProtection),
    (
        "children in care and care leavers",
        JudgementArea::ChildrenInCare,
    ),
    (
        "children looked after and care leavers",
        JudgementArea::ChildrenInCare,
    ),
    ("care leavers", JudgementArea::CareLeavers),
    ("children in care", JudgementArea::ChildrenInCare),
    ("children looked after", JudgementArea::ChildrenInCare),
    ("adoption", JudgementArea::ChildrenInCare),
    ("impact of leaders", JudgementArea::Leaders),
    ("leadership, management", JudgementArea::Leaders),
];

/// Headings that close the current judgement area (the report moves on to something that
/// is not one of the four areas). Matched at the start of the heading.
pub const AREA_CLOSING_HEADINGS: &[&str] = &[
    "what needs to improve",
    "what does the",
    "information about",
    "summary of key findings",
    "summary for children",
    "executive summary",
    "contents",
    "section 1",
    "section 2",
    "the local authority",
    "the local safeguarding children board",
    "the effectiveness of the local safeguarding",
    "the effectiveness of the lscb",
    "local safeguarding children board",
    "inspection findings – the local safeguarding",
    "inspection findings - the local safeguarding",
    "key strengths and weaknesses of the lscb",
    "recommendations",
    "overall effectiveness",
    "inspection judgements about",
    "inspection judgments about",
    // The single-framework reports' LSCB section: "Inspection judgement about the LSCB".
    "inspection judgement about",
    "inspection judgment about",
    "what the inspection judg",
    "the inspection team",
    "previous ofsted inspections",
    "other ofsted inspections",
    "local leadership",
    "children living in this area",
    "child protection in this area",
    "children looked after in this area",
    "other information about this area",
    "next steps",
];

/// Headings that end an improvement list's section. Any other heading met inside it is a
/// topic sub-heading ("Care leavers", "Missing children") and the list goes on. Area
/// headings and `AREA_CLOSING_HEADINGS` end it too.
pub const IMPROVEMENT_SECTION_ENDS: &[&str] = &[
    "findings",
    "main findings",
    "headline findings",
    "inspection findings",
    "summary",
    "overview",
    "key strengths",
    "the local authority's strengths",
    "the lscb's strengths",
    "progress since the last inspection",
    "ofsted will take",
];

/// Sections of generic text that describe Ofsted's grades, not the authority ("What the
/// inspection judgements mean", "What the LSCB inspection judgements mean"): their blocks
/// are dropped up to the next heading. Matched anywhere in the heading.
pub const SKIPPED_SECTIONS: &[&str] = &["judgements mean", "judgments mean"];

/// Word parts that are hyphenated compounds' first halves ("multi-agency",
/// "child-centred"): a line ending "multi-" joins the next line keeping its hyphen.
pub const COMPOUND_PREFIXES: &[&str] = &[
    "multi", "co", "non", "pre", "post", "re", "self", "well", "child", "long", "short", "high",
    "low", "full", "part", "semi", "cross", "inter", "out", "over", "under", "sub", "anti", "ex",
    "pan", "tri", "bi", "mid", "extra", "wide", "far", "up", "on", "in", "of", "to", "by",
    "decision", "family", "care", "life", "age", "year", "day", "face", "first", "second", "third",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "all", "ill",
    "de", "e", "x",
];
