//! The visible text of an HTML page, read as a browser renders it: one block per line, no
//! markup.
//!
//! Read: the page's `<main>` (or `role="main"`) when it has one, else its `<article>`s, else
//! its `<body>`, so the site's chrome around the report is left out. Skipped: what a
//! browser never shows ([`NEVER_SHOWN`], elements with the `hidden` attribute,
//! `aria-hidden="true"`, an inline `display: none` or `visibility: hidden`, a `<dialog>`
//! that is not open, the visually-hidden classes of [`VISUALLY_HIDDEN_CLASSES`]), form
//! controls and their labels, and navigation and footers. A `<br>` is a soft line break
//! inside its block, so the sentence it falls in stays whole; table cells are kept apart
//! by a tab, so minified `<td>a</td><td>b</td>` never glues into one word.

use scraper::{ElementRef, Html, Node};

/// Elements whose content is never visible text, or is page furniture: scripts and
/// styles, fallback content, form controls and their labels, pictures (SVG and MathML
/// titles are tooltips), embedded documents, navigation and footers.
const NEVER_SHOWN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "nav", "footer", "svg", "math",
    "canvas", "iframe", "object", "embed", "audio", "video", "img", "picture", "button", "select",
    "option", "optgroup", "datalist", "input", "textarea", "label", "meter", "progress", "output",
];

/// Classes that hide text from sight and leave it to screen readers (GOV.UK's and the
/// common frameworks'): "Change<span class=govuk-visually-hidden> name</span>".
const VISUALLY_HIDDEN_CLASSES: &[&str] = &[
    "govuk-visually-hidden",
    "visually-hidden",
    "sr-only",
    "screen-reader-text",
];

/// Elements that start a new line of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "header",
    "blockquote",
    "ul",
    "ol",
    "table",
    "caption",
    "dl",
    "dt",
    "dd",
    "main",
    "aside",
    "figure",
    "figcaption",
    "details",
    "summary",
    "address",
    "fieldset",
    "legend",
    "form",
    "pre",
    "hr",
    "center",
];

/// Elements that sit side by side on one line, each apart from the next: table cells.
const CELLS: &[&str] = &["td", "th"];

/// Whether a browser leaves `element` (and everything in it) unseen.
fn is_hidden(element: &scraper::node::Element) -> bool {
    let name = element.name();
    if NEVER_SHOWN.contains(&name) {
        return true;
    }
    if name == "dialog" && element.attr("open").is_none() {
        return true;
    }
    // `hidden="until-found"` is content a reader finds by searching or opening an
    // accordion: it is read.
    if element
        .attr("hidden")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("until-found"))
    {
        return true;
    }
    if element
        .attr("aria-hidden")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return true;
    }
    if element.attr("style").is_some_and(style_hides) {
        return true;
    }
    element.classes().any(|c| {
        VISUALLY_HIDDEN_CLASSES
            .iter()
            .any(|h| c.eq_ignore_ascii_case(h))
    })
}

/// Whether an inline style hides its element: `display: none`, `visibility: hidden` or
/// `collapse` (any case and spacing, `!important` or not).
fn style_hides(style: &str) -> bool {
    style.split(';').any(|declaration| {
        let Some((property, value)) = declaration.split_once(':') else {
            return false;
        };
        let property = property.trim().to_ascii_lowercase();
        let value = value
            .trim()
            .trim_end_matches("!important")
            .trim()
            .to_ascii_lowercase();
        (property == "display" && value == "none")
            || (property == "visibility" && matches!(value.as_str(), "hidden" | "collapse"))
    })
}

/// The deepest nesting of elements kept. Real pages nest a few dozen deep; the HTML parser's
/// work grows with the square of the depth, so a page nested 100,000 deep would take hours.
pub const MAX_DEPTH: usize = 256;

/// Elements that close themselves (void) or are closed by their next sibling (`<li>`,
/// `<p>`, `<td>` ...): they never nest deeply by themselves, so they are not counted.
const UNCOUNTED: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "p", "li", "dt", "dd", "td", "th", "tr", "tbody", "thead", "tfoot", "option",
    "optgroup", "caption", "colgroup", "rb", "rt", "rp",
];

/// `html` with the tags of elements nested deeper than [`MAX_DEPTH`] taken out (each
/// replaced by a line break, so words either side stay apart); their text is kept. The
/// contents of `<script>`, `<style>` and comments are passed over, not read as tags.
pub fn limit_nesting(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut kept_to = 0;
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(offset) = memchr_lt(&bytes[i..]) {
        let at = i + offset;
        let rest = &html[at..];
        // Comments, and the raw text of scripts and styles, hold no tags.
        let skip_to = if rest.starts_with("<!--") {
            Some(rest.find("-->").map_or(html.len(), |e| at + e + 3))
        } else {
            ["script", "style"]
                .iter()
                .find(|t| starts_with_tag(rest, t))
                .map(|t| {
                    // Past the end tag, which is not counted since the start tag was not.
                    find_ascii_ci(rest, &format!("</{t}"))
                        .and_then(|e| rest[e..].find('>').map(|g| at + e + g + 1))
                        .unwrap_or(html.len())
                })
        };
        if let Some(skip_to) = skip_to {
            i = skip_to.max(at + 1);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_start = if closing { 2 } else { 1 };
        let name_len = rest[name_start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        let Some(end) = rest.find('>') else { break };
        if name_len == 0 || !rest.as_bytes()[name_start].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        let name = rest[name_start..name_start + name_len].to_ascii_lowercase();
        let self_closing = rest[..end].ends_with('/');
        let counted = !UNCOUNTED.contains(&name.as_str()) && !self_closing;
        let drop = counted
            && if closing {
                let dropped = depth > MAX_DEPTH;
                depth = depth.saturating_sub(1);
                dropped
            } else {
                depth += 1;
                depth > MAX_DEPTH
            };
        if drop {
            let text = out.get_or_insert_with(|| String::with_capacity(html.len()));
            text.push_str(&html[kept_to..at]);
            text.push('\n');
            kept_to = at + end + 1;
        }
        i = at + end + 1;
    }
    match out {
        None => std::borrow::Cow::Borrowed(html),
        Some(mut text) => {
            text.push_str(&html[kept_to..]);
            std::borrow::Cow::Owned(text)
        }
    }
}

fn memchr_lt(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'<')
}

/// Whether `text` starts with the start tag `<name` (any case), whole name.
fn starts_with_tag(text: &str, name: &str) -> bool {
    let b = text.as_bytes();
    b.len() > name.len() + 1
        && b[1..=name.len()].eq_ignore_ascii_case(name.as_bytes())
        && !b[name.len() + 1].is_ascii_alphanumeric()
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The visible text of the page (see the module's documentation). List items are written
/// as "- item" so the cleaner sees them as bullets; headings are kept on lines of their
/// own; blocks are apart by a blank line. Elements nested deeper than [`MAX_DEPTH`] lose
/// their tags, not their text.
pub fn body_text(html: &str) -> String {
    let html = limit_nesting(html);
    let doc = Html::parse_document(&html);
    let mut out = String::new();
    for root in content_roots(&doc) {
        walk(root, &mut out);
        out.push_str("\n\n");
    }
    let text = tidy(&out);
    if !text.is_empty() {
        return text;
    }
    // An empty <main> (the report may stand beside it): the whole body after all.
    out.clear();
    walk(body(&doc), &mut out);
    tidy(&out)
}

fn body(doc: &Html) -> ElementRef<'_> {
    let body = scraper::Selector::parse("body").expect("valid selector");
    doc.select(&body)
        .next()
        .unwrap_or_else(|| doc.root_element())
}

/// Where the report's text is: the first visible `<main>`, else the outermost visible
/// `<article>`s, else the body.
fn content_roots(doc: &Html) -> Vec<ElementRef<'_>> {
    let visible = |e: &ElementRef| {
        !std::iter::once(**e)
            .chain(e.ancestors())
            .any(|n| n.value().as_element().is_some_and(is_hidden))
    };
    let main = scraper::Selector::parse(r#"main, [role="main"]"#).expect("valid selector");
    if let Some(main) = doc.select(&main).find(visible) {
        return vec![main];
    }
    let article = scraper::Selector::parse("article").expect("valid selector");
    let articles: Vec<ElementRef> = doc
        .select(&article)
        .filter(visible)
        .filter(|a| {
            !a.ancestors().any(|n| {
                n.value()
                    .as_element()
                    .is_some_and(|e| e.name() == "article")
            })
        })
        .collect();
    if !articles.is_empty() {
        return articles;
    }
    vec![body(doc)]
}

/// Lines trimmed, runs of blank lines made one.
fn tidy(out: &str) -> String {
    let mut text = String::new();
    let mut blank = 0;
    for line in out.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank += 1;
            if blank == 1 {
                text.push('\n');
            }
        } else {
            blank = 0;
            text.push_str(line);
            text.push('\n');
        }
    }
    text.trim().to_string()
}

/// Writes the text under `root`. Iterative, with its own stack: pages nested thousands of
/// elements deep must not overflow the thread's stack.
fn walk(root: ElementRef, out: &mut String) {
    enum Step<'a> {
        Enter(ego_tree::NodeRef<'a, Node>),
        /// After an element's children: the blank line that ends a block.
        Leave,
    }
    let mut stack: Vec<Step> = root.children().rev().map(Step::Enter).collect();
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Enter(node) => node,
            Step::Leave => {
                out.push_str("\n\n");
                continue;
            }
        };
        match node.value() {
            Node::Text(t) => {
                let collapsed = t.split_whitespace().collect::<Vec<_>>().join(" ");
                if !collapsed.is_empty() {
                    if !out.ends_with(['\n', ' ', '\t'])
                        && !out.is_empty()
                        && t.starts_with(char::is_whitespace)
                    {
                        out.push(' ');
                    }
                    out.push_str(&collapsed);
                    if t.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                }
            }
            Node::Element(e) => {
                if is_hidden(e) {
                    continue;
                }
                let name = e.name();
                if name == "br" {
                    // A soft break: a new line in the same block, not a new paragraph.
                    out.push('\n');
                    continue;
                }
                if CELLS.contains(&name) && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\t');
                }
                let is_block = BLOCKS.contains(&name);
                if is_block {
                    out.push_str("\n\n");
                }
                if name == "li" {
                    out.push_str("- ");
                }
                if is_block {
                    stack.push(Step::Leave);
                }
                stack.extend(node.children().rev().map(Step::Enter));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_drops_markup_and_scripts() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
            <h2>What needs to improve?</h2><ul><li>The quality of plans.</li><li>Supervision.</li></ul>\
            <p>Early help is <b>good</b> &amp; timely.</p><script>var x = 1;</script></body></html>";
        let text = body_text(html);
        assert!(text.contains("What needs to improve?\n"));
        assert!(text.contains("- The quality of plans.\n"));
        assert!(text.contains("- Supervision."));
        assert!(text.contains("Early help is good & timely."));
        assert!(!text.contains("var x"));
        assert!(!text.contains("p{}"));
        assert!(!text.contains('<'));
    }

    #[test]
    fn text_a_browser_never_shows_is_skipped() {
        let html = r#"<body><div hidden><p>We use cookies.</p><button>Accept</button></div>
            <p>Kept one.</p><p aria-hidden="true">Icon text.</p><p aria-hidden="false">Kept two.</p>
            <div style="color: red; DISPLAY : none !important">Styled away.</div>
            <div style="visibility:hidden">Invisible.</div>
            <form><label for="r">Region</label><select id="r"><option>Choose a region</option></select>
            <input value="Search"><textarea>Typed.</textarea><button>Print this page</button></form>
            <svg><title>Chart shows plans are weak</title><text>42</text></svg>
            <template><p>Template.</p></template><dialog><p>Closed dialog.</p></dialog>
            <dialog open><p>Kept three.</p></dialog>
            <p>Change<span class="govuk-visually-hidden"> the name</span></p>
            <section hidden="until-found"><p>Kept four.</p></section></body>"#;
        assert_eq!(
            body_text(html),
            "Kept one.\n\nKept two.\n\nKept three.\n\nChange\n\nKept four."
        );
    }

    #[test]
    fn main_or_article_is_preferred_to_the_chrome_around_it() {
        let html = "<body><header><p>GOV.UK</p></header><aside>Related</aside>\
            <main><header><h1>Focused visit</h1></header><p>Leaders are good.</p></main>\
            <footer>Contact</footer></body>";
        assert_eq!(body_text(html), "Focused visit\n\nLeaders are good.");
        let articles =
            "<body><p>Menu</p><article><p>One.</p><article><p>Inner.</p></article></article>\
            <article><p>Two.</p></article></body>";
        assert_eq!(body_text(articles), "One.\n\nInner.\n\nTwo.");
        // An empty <main> does not hide the report beside it.
        assert_eq!(body_text("<main></main><p>Report.</p>"), "Report.");
        // A hidden <main> (a template for another view) is not the content.
        assert_eq!(
            body_text("<main hidden><p>No.</p></main><main><p>Yes.</p></main>"),
            "Yes."
        );
    }

    #[test]
    fn br_is_a_soft_break_and_cells_stay_apart() {
        assert_eq!(
            body_text("<p>Social workers visit children<br>regularly.</p><p>a<br><br>b</p>"),
            "Social workers visit children\nregularly.\n\na\n\nb"
        );
        assert_eq!(
            body_text("<table><tr><th>Judgement</th><th>Grade</th></tr><tr><td>Overall effectiveness</td><td><b>Good</b></td></tr></table>"),
            "Judgement\tGrade\n\nOverall effectiveness\tGood"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 100_000;
        let start = std::time::Instant::now();
        let html = format!(
            "<p>First.</p>{}<p>Leaders are good.</p>{}<p>Last.</p>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        // A small stack, as a worker thread might have: recursion would overflow it.
        let text = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || body_text(&html))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(text, "First.\n\nLeaders are good.\n\nLast.");
        assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    }

    #[test]
    fn nesting_is_limited_but_text_and_shallow_pages_are_kept() {
        let shallow = "<div><ul><li>One<li>Two</ul><script>if (a<b) {}</script></div>";
        assert!(matches!(
            limit_nesting(shallow),
            std::borrow::Cow::Borrowed(_)
        ));
        let deep = format!("{}x{}", "<span>".repeat(1000), "</span>".repeat(1000));
        let limited = limit_nesting(&deep);
        assert_eq!(limited.matches("<span>").count(), MAX_DEPTH);
        assert_eq!(limited.matches("</span>").count(), MAX_DEPTH);
        assert!(limited.contains('x'));
        // Many siblings that close themselves are not nesting.
        let cells = format!("<table><tr>{}</tr></table>", "<td>c".repeat(2000));
        assert!(matches!(
            limit_nesting(&cells),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
