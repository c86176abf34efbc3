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

/// The text of `<body>` (or the whole document when there is none). List items are written
/// as "- item" so the cleaner sees them as bullets; headings are kept on lines of their own.
pub fn body_text(html: &str) -> String {
    let doc = Html::parse_document(html);
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

fn walk(element: ElementRef, out: &mut String) {
    for child in element.children() {
        match child.value() {
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
                let child_ref = ElementRef::wrap(child).expect("element node");
                let is_block = BLOCKS.contains(&name);
                let is_heading = matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
                if is_block {
                    out.push_str("\n\n");
                }
                if name == "li" {
                    out.push_str("- ");
                }
                walk(child_ref, out);
                if is_block || is_heading {
                    out.push_str("\n\n");
                }
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
}
