//! A Markdown report read as Markdown: the text a reader of the rendered page sees, laid out
//! as [`crate::html::body_text`] lays out a web page (one block per paragraph, blank lines
//! between blocks, headings on lines of their own, list items as "- item", each table row a
//! line of its own with its cells apart), so the cleaner and the fact finders treat the
//! three formats alike.
//!
//! Read: ATX (`# Title`) and setext (underlined) headings, paragraphs, lists (bulleted,
//! numbered, task lists), block quotes, tables, HTML blocks (as HTML). Skipped: fenced and
//! indented code blocks, YAML front matter, thematic breaks, link reference definitions,
//! HTML comments. Inline markup is taken out: emphasis and strike-through marks, code-span
//! backticks, links (their text kept), images (their alt text kept), footnote references,
//! inline HTML tags; backslash escapes and character references are resolved.
//!
//! A small reader written for reports, not a full CommonMark implementation: what it does
//! not know (nested block quotes inside lists, say) comes through as text, never dropped.

/// How deep brackets in link text may nest before a `[` is taken literally: bounds the
/// work on hostile input like `[[[[[[...`.
const MAX_LINK_NESTING: usize = 32;
/// How far a link's text, a link's destination or a code span is looked for before the
/// opening mark is taken literally: keeps a line of thousands of unclosed `[`, `(` or
/// backticks linear.
const MAX_INLINE_SPAN_CHARS: usize = 2000;

/// One block of the rendered page.
#[derive(Debug, PartialEq)]
enum Block {
    Heading(String),
    Paragraph(Vec<String>),
    Item(Vec<String>),
    Row(Vec<String>),
    /// Text already laid out (an HTML block).
    Laid(String),
}

/// The visible text of a Markdown document (see the module's documentation).
pub fn plain_text(markdown: &str) -> String {
    let blocks = blocks(markdown);
    let mut out = String::with_capacity(markdown.len());
    for block in blocks {
        let text = match block {
            Block::Heading(text) => inline(&text),
            // A line break inside a paragraph is a soft one: a space.
            Block::Paragraph(lines) => inline(&lines.join(" ")),
            Block::Item(lines) => format!("- {}", inline(&lines.join(" "))),
            Block::Row(cells) => cells
                .iter()
                .map(|c| inline(c))
                .filter(|c| !c.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\t"),
            Block::Laid(text) => text,
        };
        let text = text.trim();
        if !text.is_empty() {
            out.push_str(text);
            out.push_str("\n\n");
        }
    }
    out.trim_end().to_string()
}

/// The columns a line is indented by (a tab to the next multiple of four).
fn indent_of(line: &str) -> usize {
    let mut columns = 0;
    for c in line.chars() {
        match c {
            ' ' => columns += 1,
            '\t' => columns += 4 - columns % 4,
            _ => break,
        }
    }
    columns
}

/// A code fence's character and length, if `line` opens or closes one.
fn fence(line: &str) -> Option<(char, usize)> {
    if indent_of(line) > 3 {
        return None;
    }
    let t = line.trim_start();
    let c = t.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = t.chars().take_while(|&x| x == c).count();
    // A backtick fence's info string holds no backtick.
    let info_ok = c == '~' || !t[len..].contains('`');
    (len >= 3 && info_ok).then_some((c, len))
}

/// `# Heading ##` → "Heading".
fn atx_heading(line: &str) -> Option<&str> {
    if indent_of(line) > 3 {
        return None;
    }
    let t = line.trim_start();
    let hashes = t.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim();
    let closed = rest.trim_end_matches('#');
    Some(if closed.is_empty() || closed.ends_with([' ', '\t']) {
        closed.trim_end()
    } else {
        rest
    })
}

/// `***`, `---`, `___` (three or more, spaces allowed between).
fn is_thematic_break(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    indent_of(line) <= 3
        && t.len() >= 3
        && ['-', '*', '_'].iter().any(|&m| t.chars().all(|c| c == m))
}

/// The underline of a setext heading: `===` or `---`.
fn is_setext_underline(line: &str) -> bool {
    let t = line.trim();
    indent_of(line) <= 3
        && !t.is_empty()
        && (t.chars().all(|c| c == '=') || t.chars().all(|c| c == '-'))
}

/// A list item's text, if `line` starts one: `- `, `* `, `+ `, `1. `, `1) `, with a task
/// box (`[ ]`, `[x]`) taken off.
fn list_item(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let after = if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        rest
    } else {
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        t[digits..].strip_prefix(['.', ')'])?
    };
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let text = after.trim_start();
    let text = ["[ ] ", "[x] ", "[X] "]
        .iter()
        .find_map(|b| text.strip_prefix(b))
        .unwrap_or(text);
    Some(text)
}

/// The cells of a table row: `| a | b |` → ["a", "b"]. A pipe escaped with a backslash or
/// inside a code span is not a separator.
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = if t.ends_with('|') && !t.ends_with("\\|") {
        &t[..t.len() - 1]
    } else {
        t
    };
    let mut cells = vec![String::new()];
    let mut in_code = false;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().expect("one cell").push('|');
                chars.next();
            }
            '`' => {
                in_code = !in_code;
                cells.last_mut().expect("one cell").push(c);
            }
            '|' if !in_code => cells.push(String::new()),
            c => cells.last_mut().expect("one cell").push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// `|---|:--:|`: the line under a table's header row.
fn is_table_delimiter(line: &str) -> bool {
    let t = line.trim();
    if !t.contains('-') || !t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t')) {
        return false;
    }
    let cells = cells(t);
    (t.contains('|') || cells.len() > 1)
        && cells.iter().all(|c| {
            let c = c.trim_matches(':');
            !c.is_empty() && c.chars().all(|x| x == '-')
        })
}

/// `[label]: https://...`: a link reference definition, which renders as nothing.
fn is_reference_definition(line: &str) -> bool {
    let t = line.trim_start();
    indent_of(line) <= 3
        && t.starts_with('[')
        && t.find("]:")
            .is_some_and(|end| end > 1 && !t[1..end].contains(['[', ']']))
}

/// An HTML block's first line: `<div ...>`, `<table>`, `</details>`, a comment...
fn starts_html_block(line: &str) -> bool {
    const BLOCK_TAGS: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "dialog",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "ul",
        "script",
        "style",
        "svg",
        "template",
        "noscript",
    ];
    if indent_of(line) > 3 {
        return false;
    }
    let t = line.trim_start();
    let Some(tag) = t.strip_prefix("</").or_else(|| t.strip_prefix('<')) else {
        return false;
    };
    let name: String = tag
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let ends = tag[name.len()..]
        .chars()
        .next()
        .is_none_or(|c| matches!(c, ' ' | '>' | '/' | '\t'));
    ends && BLOCK_TAGS.contains(&name.as_str())
}

/// Takes the `>` markers of a block quote off a line: a quote reads as its text.
fn unquote(line: &str) -> &str {
    let mut line = line;
    loop {
        let t = line.trim_start();
        if indent_of(line) <= 3 {
            if let Some(rest) = t.strip_prefix('>') {
                line = rest.strip_prefix(' ').unwrap_or(rest);
                continue;
            }
        }
        return line;
    }
}

/// The blocks of a document, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks = Vec::new();
    // The open paragraph or list item, whose lines a following line may continue.
    let mut open: Option<Block> = None;
    // Whether the line before was blank, and whether a list is under way (its items'
    // indented lines are its content, not code).
    let mut after_blank = true;
    let mut in_list = false;
    let mut i = front_matter_end(&lines);
    let close = |open: &mut Option<Block>, blocks: &mut Vec<Block>| {
        if let Some(block) = open.take() {
            blocks.push(block);
        }
    };
    while i < lines.len() {
        let line = unquote(lines[i]);
        i += 1;
        if line.trim().is_empty() {
            close(&mut open, &mut blocks);
            after_blank = true;
            continue;
        }
        let indent = indent_of(line);
        let was_blank = std::mem::replace(&mut after_blank, false);
        if indent >= 4 && open.is_none() && !in_list {
            // Indented code: skipped up to the next line that is not indented or blank.
            while i < lines.len() && {
                let next = unquote(lines[i]);
                next.trim().is_empty() || indent_of(next) >= 4
            } {
                i += 1;
            }
            after_blank = true;
            continue;
        }
        if let Some((mark, len)) = fence(line) {
            close(&mut open, &mut blocks);
            while i < lines.len() {
                let closing = fence(unquote(lines[i]));
                i += 1;
                if closing.is_some_and(|(m, l)| m == mark && l >= len)
                    && unquote(lines[i - 1])
                        .trim()
                        .trim_start_matches(mark)
                        .is_empty()
                {
                    break;
                }
            }
            continue;
        }
        if line.trim_start().starts_with("<!--") {
            close(&mut open, &mut blocks);
            i -= 1;
            while i < lines.len() {
                i += 1;
                if lines[i - 1].contains("-->") {
                    break;
                }
            }
            continue;
        }
        if let Some(Block::Paragraph(para)) = &open {
            if is_setext_underline(line) && !(was_blank) {
                let text = para.join(" ");
                open = None;
                blocks.push(Block::Heading(text));
                continue;
            }
        }
        if let Some(text) = atx_heading(line) {
            close(&mut open, &mut blocks);
            blocks.push(Block::Heading(text.to_string()));
            in_list = false;
            continue;
        }
        if is_thematic_break(line) {
            close(&mut open, &mut blocks);
            in_list = false;
            continue;
        }
        if line.contains('|')
            && lines
                .get(i)
                .is_some_and(|next| is_table_delimiter(unquote(next)))
        {
            close(&mut open, &mut blocks);
            blocks.push(Block::Row(cells(line)));
            i += 1;
            while i < lines.len() {
                let row = unquote(lines[i]);
                if row.trim().is_empty() || !row.contains('|') {
                    break;
                }
                blocks.push(Block::Row(cells(row)));
                i += 1;
            }
            in_list = false;
            continue;
        }
        if open.is_none() && is_reference_definition(line) {
            continue;
        }
        if open.is_none() && starts_html_block(line) {
            let start = i - 1;
            while i < lines.len() && !lines[i].trim().is_empty() {
                i += 1;
            }
            let html = lines[start..i].join("\n");
            blocks.push(Block::Laid(crate::html::body_text(&html)));
            in_list = false;
            continue;
        }
        if let Some(text) = list_item(line) {
            // "-" alone after a paragraph line would be a setext underline, handled above.
            close(&mut open, &mut blocks);
            open = Some(Block::Item(vec![text.to_string()]));
            in_list = true;
            continue;
        }
        match &mut open {
            // A line straight after a paragraph or item continues it.
            Some(Block::Paragraph(lines) | Block::Item(lines)) => {
                lines.push(line.trim().to_string())
            }
            _ => {
                // After a blank line, only an indented line stays in the list.
                if was_blank && indent < 2 {
                    in_list = false;
                }
                open = Some(Block::Paragraph(vec![line.trim().to_string()]));
            }
        }
    }
    close(&mut open, &mut blocks);
    blocks
}

/// The first line after YAML front matter (`---` on the first line, up to `---` or `...`),
/// or 0 when there is none.
fn front_matter_end(lines: &[&str]) -> usize {
    if lines.first().is_none_or(|l| l.trim_end() != "---") {
        return 0;
    }
    lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| matches!(l.trim_end(), "---" | "..."))
        .map_or(0, |(end, _)| end + 1)
}

/// A character of inline text, and whether it is literal (escaped, or inside a code span),
/// so that it is never taken for emphasis.
type Marked = (char, bool);

/// One line or cell of inline Markdown as plain text.
fn inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut marked = Vec::with_capacity(chars.len());
    inline_into(&chars, &mut marked, 0);
    let text = drop_emphasis(&marked);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn inline_into(chars: &[char], out: &mut Vec<Marked>, depth: usize) {
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) => {
                out.push((chars[i + 1], true));
                i += 2;
            }
            '`' => {
                let run = chars[i..].iter().take_while(|&&x| x == '`').count();
                match find_backtick_run(chars, i + run, run) {
                    Some(end) => {
                        let code: String = chars[i + run..end].iter().collect();
                        out.extend(code.trim().chars().map(|c| (c, true)));
                        i = end + run;
                    }
                    None => {
                        out.extend(chars[i..i + run].iter().map(|&c| (c, true)));
                        i += run;
                    }
                }
            }
            '!' if chars.get(i + 1) == Some(&'[') => match link(chars, i + 1, depth) {
                Some((alt, end)) => {
                    inline_into(&alt, out, depth + 1);
                    i = end;
                }
                None => {
                    out.push((c, false));
                    i += 1;
                }
            },
            '[' => {
                if chars.get(i + 1) == Some(&'^') {
                    // A footnote reference, "[^1]": no text of its own.
                    if let Some(close) = chars[i..].iter().position(|&x| x == ']') {
                        if !chars[i..i + close].contains(&' ') {
                            i += close + 1;
                            continue;
                        }
                    }
                }
                match link(chars, i, depth) {
                    Some((label, end)) => {
                        inline_into(&label, out, depth + 1);
                        i = end;
                    }
                    None => {
                        out.push((c, false));
                        i += 1;
                    }
                }
            }
            '<' => match angle(chars, i) {
                Some((shown, end)) => {
                    out.extend(shown.chars().map(|c| (c, true)));
                    i = end;
                }
                None => {
                    out.push((c, false));
                    i += 1;
                }
            },
            '&' => match entity(chars, i) {
                Some((decoded, end)) => {
                    out.push((decoded, true));
                    i = end;
                }
                None => {
                    out.push((c, false));
                    i += 1;
                }
            },
            c => {
                out.push((c, false));
                i += 1;
            }
        }
    }
}

fn find_backtick_run(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut j = from;
    let end = chars.len().min(from + MAX_INLINE_SPAN_CHARS);
    while j < end {
        if chars[j] == '`' {
            let len = chars[j..].iter().take_while(|&&x| x == '`').count();
            if len == run {
                return Some(j);
            }
            j += len;
        } else {
            j += 1;
        }
    }
    None
}

/// A link or image starting at the `[` at `open`: its text and the index after it. The
/// destination (`(url "title")`, `[ref]`, `[]`) is dropped; `[text]` alone is left as
/// written, since it is a link only when a definition names it.
fn link(chars: &[char], open: usize, depth: usize) -> Option<(Vec<char>, usize)> {
    if depth > MAX_LINK_NESTING {
        return None;
    }
    let mut level = 0usize;
    let mut close = None;
    let mut j = open;
    let end = chars.len().min(open + MAX_INLINE_SPAN_CHARS);
    while j < end {
        match chars[j] {
            '\\' => j += 1,
            '[' => level += 1,
            ']' => {
                level -= 1;
                if level == 0 {
                    close = Some(j);
                    break;
                }
            }
            _ => {}
        }
        if level > MAX_LINK_NESTING {
            return None;
        }
        j += 1;
    }
    let close = close?;
    let label = chars[open + 1..close].to_vec();
    match chars.get(close + 1) {
        Some('(') => {
            let mut parens = 0usize;
            let scanned = chars.iter().enumerate().skip(close + 1);
            for (k, &c) in scanned.take(MAX_INLINE_SPAN_CHARS) {
                match c {
                    '(' => parens += 1,
                    ')' => {
                        parens -= 1;
                        if parens == 0 {
                            return Some((label, k + 1));
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        Some('[') => {
            let end = chars[close + 1..]
                .iter()
                .take(MAX_INLINE_SPAN_CHARS)
                .position(|&c| c == ']')?;
            Some((label, close + 1 + end + 1))
        }
        _ => None,
    }
}

/// `<https://...>` or `<name@example.org>` (an autolink: its address is its text), or an
/// inline HTML tag (no text; `<br>` a space).
fn angle(chars: &[char], open: usize) -> Option<(String, usize)> {
    let close = open
        + chars[open..]
            .iter()
            .take(MAX_INLINE_SPAN_CHARS)
            .position(|&c| c == '>')?;
    let inner: String = chars[open + 1..close].iter().collect();
    let end = close + 1;
    if inner.contains(char::is_whitespace) || inner.is_empty() {
        // A tag with attributes: `<span class="x">`.
        let name = inner.trim_start_matches('/');
        let is_tag = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .take_while(|c| !c.is_whitespace())
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        return is_tag.then(|| (String::new(), end));
    }
    if inner.contains(':') && !inner.starts_with('/') || inner.contains('@') {
        return Some((inner, end));
    }
    let name = inner.trim_start_matches('/').trim_end_matches('/');
    let is_tag = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    is_tag.then(|| {
        let shown = if name.eq_ignore_ascii_case("br") {
            " "
        } else {
            ""
        };
        (shown.to_string(), end)
    })
}

/// `&amp;`, `&#8217;`, `&#x2019;` and the named references reports use.
fn entity(chars: &[char], at: usize) -> Option<(char, usize)> {
    let semi = at + chars[at..].iter().take(12).position(|&c| c == ';')?;
    let name: String = chars[at + 1..semi].iter().collect();
    let decoded = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code).filter(|&c| c != '\0')?
    } else {
        match name.as_str() {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{A0}',
            "lsquo" => '\u{2018}',
            "rsquo" => '\u{2019}',
            "ldquo" => '\u{201C}',
            "rdquo" => '\u{201D}',
            "ndash" => '\u{2013}',
            "mdash" => '\u{2014}',
            "hellip" => '\u{2026}',
            "pound" => '£',
            "euro" => '€',
            "copy" => '©',
            _ => return None,
        }
    };
    Some((decoded, semi + 1))
}

/// Takes out the marks of emphasis and strike-through (`*`, `_`, `~~`): a run of them that
/// touches a word on one side. An underscore inside a word (`snake_case`) and a star with
/// spaces on both sides (`2 * 3`) are text.
fn drop_emphasis(marked: &[Marked]) -> String {
    let mut out = String::with_capacity(marked.len());
    let mut i = 0;
    while i < marked.len() {
        let (c, literal) = marked[i];
        if literal || !matches!(c, '*' | '_' | '~') {
            out.push(c);
            i += 1;
            continue;
        }
        let run = marked[i..]
            .iter()
            .take_while(|&&(x, lit)| x == c && !lit)
            .count();
        let before = i.checked_sub(1).map(|j| marked[j].0);
        let after = marked.get(i + run).map(|m| m.0);
        let touches_before = before.is_some_and(|b| !b.is_whitespace());
        let touches_after = after.is_some_and(|a| !a.is_whitespace());
        let inside_word =
            before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric);
        let is_mark = match c {
            '_' => !inside_word && (touches_before || touches_after),
            '~' => run >= 2 && (touches_before || touches_after),
            _ => touches_before || touches_after,
        };
        if !is_mark {
            out.extend(std::iter::repeat_n(c, run));
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_and_tables_are_structure() {
        let md = "# Inspection of Luton\n\n**Lead inspector:** Margaret Burke\n\n\
                  | Judgement | Grade |\n|---|:---:|\n| Overall effectiveness | Good |\n\n\
                  What needs to improve?\n----------------------\n\n\
                  * Management *oversight*.\n2. [Plans](https://x.org/a_(b)) for\n   children.\n\
                  - [ ] Task\n";
        assert_eq!(
            plain_text(md),
            "Inspection of Luton\n\nLead inspector: Margaret Burke\n\nJudgement\tGrade\n\n\
             Overall effectiveness\tGood\n\nWhat needs to improve?\n\n- Management oversight.\n\n\
             - Plans for children.\n\n- Task"
        );
    }

    #[test]
    fn code_front_matter_comments_and_definitions_are_skipped() {
        let md =
            "---\ntitle: x\n---\nText one.\n\n```rust\nlet a = 1;\n\n```\n\n    indented code\n\n\
                  ~~~\nunclosed\n";
        assert_eq!(plain_text(md), "Text one.");
        let md =
            "Before.\n\n<!-- a\ncomment -->\n[ref]: https://x.org\n***\nAfter `a|b` and\n    more.";
        assert_eq!(plain_text(md), "Before.\n\nAfter a|b and more.");
    }

    #[test]
    fn inline_markup_is_taken_out() {
        assert_eq!(
            inline("**Bold**, __strong__, _em_, ~~gone~~ ![chart of plans](c.png) [^1]"),
            "Bold, strong, em, gone chart of plans"
        );
        assert_eq!(
            inline("snake_case and 2 * 3 and \\*literal\\*"),
            "snake_case and 2 * 3 and *literal*"
        );
        assert_eq!(
            inline("See <https://gov.uk> &amp; <b>this</b>&rsquo;s"),
            "See https://gov.uk & this\u{2019}s"
        );
        assert_eq!(
            inline("[a [nested] link][ref] and [plain]"),
            "a [nested] link and [plain]"
        );
        assert_eq!(inline("line<br>break"), "line break");
    }

    #[test]
    fn html_blocks_are_read_as_html_and_quotes_as_text() {
        let md = "<div hidden>Cookies.</div>\n\n<table><tr><td>a</td><td>b</td></tr></table>\n\n> Quoted *text*.";
        let text = plain_text(md);
        assert!(!text.contains("Cookies"), "{text}");
        assert!(text.contains("Quoted text."), "{text}");
        assert!(!text.contains("ab"), "{text}");
    }

    #[test]
    fn hostile_brackets_take_linear_time() {
        let md = format!("{}x{}", "[".repeat(50_000), "](".repeat(50_000));
        let start = std::time::Instant::now();
        let text = plain_text(&md);
        assert!(text.ends_with("]("));
        assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    }
}
