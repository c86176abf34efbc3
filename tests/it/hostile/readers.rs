//! Text, HTML and Markdown read as a reader sees them (issue 27: cases 10, 11, 12, 14, 15, 16, 23).
//! Each case runs the release binary on files written here and reads its outputs back; the
//! finer points (every escape sequence, every hidden-element rule) are unit tests beside
//! the code, in `text`, `ingest`, `html` and `markdown`.

use super::*;

/// A letter as Ofsted sends it, with its letterhead, lead inspector and short paragraphs:
/// gluing its lines together loses the lead inspector.
const LETTER: &str = "Ofsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\n4 June 2019\n\n\
    Dear Ms Lewis\n\nFocused visit to Luton Borough Council children\u{2019}s services\n\n\
    This letter summarises the findings of a focused visit to Luton Borough Council \
    children\u{2019}s services on 9 and 10 May 2019.\n\n\
    Lead inspector: Margaret Burke, Her Majesty\u{2019}s Inspector\n\n\
    Leaders have improved the quality of practice for children in care.\n\n\
    Management oversight of casework is not always effective.\n\n\
    What needs to improve in this area of social work practice\n\n\
    The quality of plans for children in care.\n";

/// The rows of a CSV, each column by name.
type Rows = Vec<BTreeMap<String, String>>;

/// Runs the rules over one folder holding `files` and returns (reports.csv, sentences.csv).
fn run_one(dir: &Path, name: &str, files: &[(&str, &[u8])]) -> (Rows, Rows) {
    let input = dir.join(name);
    fs::create_dir(&input).unwrap();
    for (file, bytes) in files {
        write(&input, file, bytes);
    }
    let out = dir.join(format!("out_{name}"));
    run_rules(&[&input], &out, &[]).expect_code(0);
    (
        csv_rows(&out.join("reports.csv")),
        csv_rows(&out.join("sentences.csv")),
    )
}

fn texts(sentences: &[BTreeMap<String, String>]) -> Vec<String> {
    column(sentences, "text")
}

/// Case 10: a CR-only file was one line, its letterhead glued into the first sentence and
/// its lead inspector lost. Every line-ending convention now reads as LF does.
#[test]
fn case_10_every_line_ending_convention_reads_as_lf() {
    let dir = tempfile::tempdir().unwrap();
    let (lf_reports, lf_sentences) = run_one(dir.path(), "lf", &[("luton.txt", LETTER.as_bytes())]);
    assert_eq!(lf_reports[0]["lead_inspector"], "Margaret Burke");
    assert!(texts(&lf_sentences).len() >= 4);
    // Mixed: each paragraph's lines end in a different convention, in turn.
    let mixed: String = LETTER
        .trim_end()
        .split("\n\n")
        .enumerate()
        .map(|(i, paragraph)| {
            let end = ["\r\n", "\r", "\n"][i % 3];
            format!("{}{end}{end}", paragraph.replace('\n', end))
        })
        .collect();
    for (name, text) in [
        ("cr", LETTER.replace('\n', "\r")),
        ("crlf", LETTER.replace('\n', "\r\n")),
        ("mixed", mixed),
        ("nel", LETTER.replace('\n', "\u{85}")),
        (
            "unicode",
            LETTER.replace("\n\n", "\u{2029}").replace('\n', "\u{2028}"),
        ),
    ] {
        let (reports, sentences) = run_one(dir.path(), name, &[("luton.txt", text.as_bytes())]);
        assert_eq!(
            reports[0]["lead_inspector"], "Margaret Burke",
            "{name} line endings"
        );
        assert_eq!(
            texts(&sentences),
            texts(&lf_sentences),
            "{name} line endings"
        );
    }
}

/// Case 11: one invalid byte made the whole UTF-8 file Windows-1252 ("childrenâ€™s").
/// Now only that byte is read otherwise, and a real Windows-1252 file still reads.
#[test]
fn case_11_one_bad_byte_costs_that_byte_not_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Focused visit to Luton Borough Council children\u{2019}s services\n\n\
        Leaders\u{2019} plans for children\u{2019}s services are effective.\n\n\
        The local authority\u{2019}s leaders know their services well.\n\n\
        Care leavers\u{2019} accommodation is not always suitable. Costs were \u{a3}5 million.\n";
    let mut utf8 = text.as_bytes().to_vec();
    utf8.extend_from_slice(b"\xff\n");
    // The same report in Windows-1252: 0x92 is the curly apostrophe, 0xA3 the pound sign.
    let cp1252: Vec<u8> = text
        .chars()
        .map(|c| match c {
            '\u{2019}' => 0x92,
            '\u{a3}' => 0xA3,
            c => u8::try_from(c).unwrap(),
        })
        .collect();
    for (name, bytes) in [("utf8", utf8), ("cp1252", cp1252)] {
        let (_, sentences) = run_one(dir.path(), name, &[("luton.txt", &bytes)]);
        let all = texts(&sentences);
        assert!(all.len() >= 5, "{name}: {all:?}");
        for s in &all {
            assert!(
                !s.contains("\u{e2}\u{20ac}") && !s.contains('\u{c2}'),
                "{name}: {s:?}"
            );
        }
        assert!(
            all.contains(&"The local authority\u{2019}s leaders know their services well.".into()),
            "{name}: {all:?}"
        );
        assert!(
            all.iter().any(|s| s.contains("\u{a3}5 million")),
            "{name}: {all:?}"
        );
    }
}

/// Whether `text` holds a control character other than a line break or tab, or a bidi or
/// other format character.
fn has_invisible(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    })
}

/// Case 12: NUL, ESC (with its colour codes), DEL and bidi overrides were copied into
/// sentences.csv, the store and the page. They are taken out as text enters, from text
/// files and from HTML (where character references can spell them) alike.
#[test]
fn case_12_control_and_bidi_characters_never_reach_the_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Focused visit to Luton Borough Council children\u{2019}s services\n\n\
        The virtual school maint\0\0ains close oversight of children in care.\n\n\
        Inspectors\u{1b}[31m looked\u{1b}[0m at a range of evidence.\n\n\
        They\u{7f} met young people from the children\u{9b} in care council.\n\n\
        Marg\u{202e}aret\u{202c} Burke led the visit and leaders know the \u{2066}service\u{2069} well.\n\n"
        .to_string()
        + &"Leaders have improved the quality of practice for children in care.\n\n".repeat(5);
    let html =
        "<html><body><h1>Focused visit to Luton Borough Council children&rsquo;s services</h1>\
        <p>Social workers&#x202E; visit&#x7f; children &#27;regularly&#x200F;.</p></body></html>";
    let input = dir.path().join("r");
    fs::create_dir(&input).unwrap();
    write(&input, "luton.txt", &text);
    write(&input, "page.html", html);
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(0);
    let all = texts(&csv_rows(&out.join("sentences.csv")));
    for s in &all {
        assert!(!has_invisible(s), "{s:?}");
    }
    for wanted in [
        "The virtual school maintains close oversight of children in care.",
        "Inspectors looked at a range of evidence.",
        "They met young people from the children in care council.",
        "Margaret Burke led the visit and leaders know the service well.",
        "Social workers visit children regularly.",
    ] {
        assert!(
            all.contains(&wanted.to_string()),
            "{wanted:?} not in {all:?}"
        );
    }
    // The page and the store hold the same text.
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("maintains close oversight"));
    assert!(!has_invisible(&page.replace(['\n', '\r', '\t'], "")));
    for escaped in [
        "\\u0000", "\\u001b", "\\u007f", "\\u202e", "\\u001B", "\\u202E",
    ] {
        assert!(!page.contains(escaped), "{escaped} in the page");
    }
    let store = rusqlite::Connection::open(out.join(store::DEFAULT_FILE_NAME)).unwrap();
    let stored: Vec<String> = store
        .prepare("SELECT text FROM sentences")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored.len(), all.len());
    assert!(stored.iter().all(|s| !has_invisible(s)));
}

/// Case 14: a `hidden` cookie banner, button and option labels and SVG titles became
/// labelled sentences. What a browser never shows is not read, and the page's chrome
/// around `<main>` is left out.
#[test]
fn case_14_text_a_browser_never_shows_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let page = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Focused visit</title></head><body>
<div class="govuk-cookie-banner" role="region" aria-label="Cookies on GOV.UK" hidden><p class="govuk-body">We use some essential cookies to make this website work.</p><button type="button">Accept additional cookies</button></div>
<header><p>Skip to main content. Search the service guidance.</p></header>
<main>
<h1>Focused visit to Luton Borough Council children&rsquo;s services</h1>
<p>Leaders have improved the quality of practice for children in care.</p>
<form><label for="r">Region</label><select id="r"><option>Choose a region</option></select><button>Print this page</button><input type="text" value="Search text"><textarea>Draft feedback is poor.</textarea></form>
<svg><title>Chart shows plans are weak</title></svg>
<div aria-hidden="true">Decorative text is weak.</div><div style="display: none">Old paragraph is weak.</div>
<dialog><p>Are you sure you want to leave?</p></dialog><template><p>Template text is weak.</p></template>
<p>Management oversight of casework is not always effective.</p>
</main><footer><p>All content is available under the Open Government Licence.</p></footer></body></html>"#;
    let (_, sentences) = run_one(dir.path(), "r", &[("page.html", page.as_bytes())]);
    let all = texts(&sentences);
    assert_eq!(
        all,
        [
            "Focused visit to Luton Borough Council children\u{2019}s services",
            "Leaders have improved the quality of practice for children in care.",
            "Management oversight of casework is not always effective."
        ],
        "only the report's visible paragraphs are sentences"
    );
}

/// Case 15: a `<br>` inside a paragraph cut its sentence in two, each half labelled.
#[test]
fn case_15_a_br_inside_a_sentence_keeps_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let page =
        "<html><body><h1>Focused visit to Luton Borough Council children&rsquo;s services</h1>\n\
        <p>Social workers visit children<br>regularly and know them well.</p>\n\
        <p>Plans for children are not always<br/>reviewed in a timely way.</p>\n\
        <p>Leaders are ambitious.<br><br>Partners are engaged.</p></body></html>";
    let (_, sentences) = run_one(dir.path(), "r", &[("page.html", page.as_bytes())]);
    let all = texts(&sentences);
    for whole in [
        "Social workers visit children regularly and know them well.",
        "Plans for children are not always reviewed in a timely way.",
        "Leaders are ambitious.",
        "Partners are engaged.",
    ] {
        assert!(all.contains(&whole.to_string()), "{whole:?} not in {all:?}");
    }
    // The heading and the four sentences, no halves.
    assert_eq!(all.len(), 5, "{all:?}");
}

/// Case 16: minified table cells were glued ("Overall effectivenessRequires improvement");
/// each cell is kept apart, and the grade table still gives the grade.
#[test]
fn case_16_table_cells_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let page = "<html><body><h1>Inspection of Luton local authority children&rsquo;s services</h1>\
        <p>Inspection dates: 9 to 20 May 2022</p><table><tr><th>Judgement</th><th>Grade</th></tr>\
        <tr><td>Overall effectiveness</td><td>Requires improvement to be good</td></tr></table>\
        <dl><dt>Published</dt><dd>4 June 2022</dd></dl>\
        <p>Leaders have improved the quality of practice.</p></body></html>";
    let (reports, sentences) = run_one(dir.path(), "r", &[("page.html", page.as_bytes())]);
    for s in texts(&sentences) {
        assert!(
            !s.contains("JudgementGrade")
                && !s.contains("effectivenessRequires")
                && !s.contains("Published4"),
            "{s:?}"
        );
    }
    assert_eq!(reports[0]["overall_effectiveness"], "requires improvement");
}

/// Case 23: a `.md` report was read as plain text: "**Lead inspector:**" hid the lead
/// inspector, "# " headings were sentences, the table and code blocks were labelled.
/// Markdown is now read as Markdown, giving the facts the same report gives as text.
#[test]
fn case_23_markdown_is_read_as_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let md = "---\ntitle: Luton\n---\n\
        # Inspection of Luton local authority children\u{2019}s services\n\n\
        **Inspection dates:** 9 to 20 May 2022\n\n\
        **Lead inspector:** Margaret Burke, His Majesty\u{2019}s Inspector\n\n\
        | Judgement | Grade |\n|---|---|\n| Overall effectiveness | Good |\n\n\
        Leaders have *improved* the [quality of practice](https://example.org/practice).\n\n\
        ```\nlet plans = weak_and_poor();\n```\n\n\
        ## What needs to improve?\n\n\
        * Management oversight of casework.\n";
    let txt = "Inspection of Luton local authority children\u{2019}s services\n\n\
        Inspection dates: 9 to 20 May 2022\n\n\
        Lead inspector: Margaret Burke, His Majesty\u{2019}s Inspector\n\n\
        Overall effectiveness: Good\n\n\
        Leaders have improved the quality of practice.\n\n\
        What needs to improve?\n\n\
        - Management oversight of casework.\n";
    let (md_reports, md_sentences) = run_one(dir.path(), "md", &[("luton.md", md.as_bytes())]);
    let (txt_reports, txt_sentences) = run_one(dir.path(), "txt", &[("luton.txt", txt.as_bytes())]);
    for fact in ["end_date", "lead_inspector", "overall_effectiveness"] {
        assert_eq!(md_reports[0][fact], txt_reports[0][fact], "{fact}");
    }
    assert_eq!(md_reports[0]["lead_inspector"], "Margaret Burke");
    assert_eq!(md_reports[0]["overall_effectiveness"], "good");
    let item = |sentences: &[BTreeMap<String, String>]| {
        sentences
            .iter()
            .find(|r| r["text"].ends_with("Management oversight of casework."))
            .map(|r| (r["stance"].clone(), r["section"].clone()))
    };
    assert_eq!(item(&md_sentences), item(&txt_sentences));
    let all = texts(&md_sentences);
    assert!(
        all.contains(&"Leaders have improved the quality of practice.".to_string()),
        "{all:?}"
    );
    for s in &all {
        assert!(
            !s.contains(['#', '*', '|', '`', '[']) && !s.contains("weak_and_poor"),
            "markup or code in {s:?}"
        );
    }
}
