//! The visible text of an HTML page's body, one block per line, no markup.

use scraper::{ElementRef, Html, Node};

/// Elements whose content is never visible text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "head", "nav", "footer",
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
    "br",
    "tr",
    "section",
    "article",
    "header",
    "blockquote",
    "ul",
    "ol",
    "table",
    "dt",
    "dd",
    "main",
    "aside",
    "figure",
];

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

/// The text of `<body>` (or the whole document when there is none). List items are written
/// as "- item" so the cleaner sees them as bullets; headings are kept on lines of their own.
/// Elements nested deeper than [`MAX_DEPTH`] lose their tags, not their text.
pub fn body_text(html: &str) -> String {
    let html = limit_nesting(html);
    let doc = Html::parse_document(&html);
    let body = scraper::Selector::parse("body").expect("valid selector");
    let root = doc
        .select(&body)
        .next()
        .unwrap_or_else(|| doc.root_element());
    let mut out = String::new();
    walk(root, &mut out);
    // Collapse the runs of blank lines that nested blocks leave.
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
                    if !out.ends_with(['\n', ' '])
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
                let name = e.name();
                if SKIPPED.contains(&name) {
                    continue;
                }
                let is_block = BLOCKS.contains(&name);
                let is_heading = matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
                if is_block {
                    out.push_str("\n\n");
                }
                if name == "li" {
                    out.push_str("- ");
                }
                if is_block || is_heading {
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
