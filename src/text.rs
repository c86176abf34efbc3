//! Text in normal forms: the one home for which characters count as spaces, apostrophes or
//! nothing at all. Three forms, one per use:
//! - [`normalise_line`]: a line of a PDF page with its odd spaces made plain (clean);
//! - [`flatten`]: one line, single spaces, plain quotes, for the fact finders (facts);
//! - [`normalise_text`]: lower case, hyphens as spaces, contractions expanded: the form in
//!   which cue phrases and sentences are matched (taxonomy, rules).
//!
//! And one form for text as it enters (ingest): [`as_read`], every line-ending convention
//! made `\n` and every character a reader never sees (controls, bidi controls, terminal
//! escape sequences) taken out, so none of them reaches a sentence, the store or a page.

/// Characters that the PDFs use as spaces, or that carry nothing: no-break spaces, the
/// narrow no-break space Word puts after full stops, soft hyphens, zero-width spaces.
pub fn normalise_line(line: &str) -> String {
    line.chars()
        .filter(|&c| !matches!(c, '\u{AD}' | '\u{200B}' | '\u{FEFF}'))
        .map(|c| match c {
            '\u{A0}' | '\u{202F}' | '\u{2007}' | '\u{2009}' | '\u{2002}' | '\u{2003}' => ' ',
            '\t' => ' ',
            other => other,
        })
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Text as a reader sees it: line endings made `\n` (CRLF, CR alone, NEL, U+2028 and
/// vertical tab as a line break; U+2029 and form feed as a paragraph break, a blank line),
/// tabs kept, and every other control or format character removed: NUL, ESC (with the
/// terminal escape sequence it starts: `ESC[31m` would otherwise leave `[31m` in a
/// sentence), DEL, the C1 controls, the bidi embeddings, overrides, isolates and marks,
/// zero-width characters, soft hyphens and byte-order marks.
pub fn as_read(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\u{85}' | '\u{2028}' | '\u{B}' => out.push('\n'),
            '\u{2029}' | '\u{C}' => out.push_str("\n\n"),
            '\u{1B}' => skip_escape_sequence(&mut chars),
            c if is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Characters with no glyph that a reader never sees: the controls (Unicode category Cc)
/// and the format characters (Cf: bidi controls, zero-width spaces and joiners, soft
/// hyphen, byte-order mark, tag characters). Line breaks and tabs are handled before this.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}'
            | '\u{890}' | '\u{891}' | '\u{8E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// Passes over the terminal escape sequence an ESC starts: a CSI sequence (`[`,
/// parameters, one final byte) or an OSC or other string sequence (up to BEL or ESC `\`).
/// After a lone ESC nothing is passed over: the next character may be text (an ESC from
/// an HTML character reference before a word).
fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            // Parameter and intermediate bytes, then one final byte in @..~.
            while let Some(c) = chars.next_if(|c| (' '..='~').contains(c)) {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\u{7}' || (c == '\u{1B}' && chars.next_if_eq(&'\\').is_some()) {
                    break;
                }
            }
        }
        _ => {}
    }
}

/// One line of text: typographic quotes made plain, every run of whitespace (line breaks
/// included) made one space. Labels and values that PDF extraction splits over lines
/// ("The experiences and progress of children who need help and\nprotection  Good") come
/// back together this way.
pub fn flatten(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        let ch = match ch {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{00AD}' | '\u{200B}' | '\u{FEFF}' => continue,
            c => c,
        };
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(ch);
        }
    }
    out
}

/// The first `max_chars` characters of `text` (whole characters, never a split one).
pub fn head(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Lower case, straight apostrophes, hyphens and dashes as spaces, single spaces: the form
/// in which both cues and sentences are matched, so "pre-proceedings" in a cue matches
/// "pre proceedings" and "Pre-proceedings" in a report, and "children’s" matches
/// "children's".
pub fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '/' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.extend(c.to_lowercase());
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    expand_negative_contractions(out)
}

/// "don't" → "do not", "can't" → "can not", "won't" → "will not": a contraction negates
/// as "not" does. Works on normalised text (straight apostrophes, lower case).
fn expand_negative_contractions(text: String) -> String {
    if !text.contains("n't") {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text.as_str();
    while let Some(at) = rest.find("n't") {
        let (before, after) = (&rest[..at], &rest[at + 3..]);
        let ends_word = !after.starts_with(char::is_alphanumeric);
        let stem_start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let stem = &before[stem_start..];
        if ends_word && !stem.is_empty() {
            out.push_str(&before[..stem_start]);
            out.push_str(match stem {
                "ca" => "can",
                "wo" => "will",
                "sha" => "shall",
                other => other,
            });
            out.push_str(" not");
        } else {
            out.push_str(&rest[..at + 3]);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_ending_is_a_line_feed() {
        assert_eq!(as_read("a\r\nb\rc\nd\u{85}e\u{2028}f"), "a\nb\nc\nd\ne\nf");
        assert_eq!(as_read("a\r\rb"), "a\n\nb");
        assert_eq!(as_read("a\u{2029}b\u{C}c"), "a\n\nb\n\nc");
        assert_eq!(as_read("tab\tkept"), "tab\tkept");
    }

    #[test]
    fn controls_bidi_and_escape_sequences_are_removed() {
        assert_eq!(as_read("maint\0\0ains"), "maintains");
        assert_eq!(
            as_read("Inspectors\u{1B}[31m looked\u{1B}[0m at"),
            "Inspectors looked at"
        );
        assert_eq!(as_read("\u{1B}]0;title\u{7}They\u{7F} met"), "They met");
        assert_eq!(as_read("a \u{1B}regularly \u{1B}[1;"), "a regularly ");
        assert_eq!(
            as_read("Marg\u{202E}aret\u{202C} \u{2066}B\u{2069}\u{200F}"),
            "Margaret B"
        );
        assert_eq!(
            as_read("\u{FEFF}C1\u{9B}\u{80} co\u{AD}ordinated"),
            "C1 coordinated"
        );
        // Letters of every script, and the odd spaces a later stage makes plain, stay.
        assert_eq!(as_read("café £5 “q” \u{A0}x"), "café £5 “q” \u{A0}x");
        let all: String = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
        let left = as_read(&all);
        assert!(!left
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t')));
    }

    #[test]
    fn flatten_joins_lines_and_plain_quotes() {
        assert_eq!(
            flatten("  Children\u{2019}s services \n\n in  Barnet\u{a0}are good "),
            "Children's services in Barnet are good"
        );
    }

    #[test]
    fn head_never_splits_a_character() {
        assert_eq!(head("Ofsted’s report", 7), "Ofsted’");
        assert_eq!(head("short", 99), "short");
    }

    #[test]
    fn odd_spaces_become_plain_spaces() {
        assert_eq!(
            normalise_line("risk.\u{202F}A range\u{A0}of  "),
            "risk. A range of"
        );
        assert_eq!(normalise_line("co\u{AD}ordinated"), "coordinated");
    }

    #[test]
    fn negative_contractions_read_as_not() {
        assert_eq!(
            normalise_text("Social workers don\u{2019}t always visit."),
            "social workers do not always visit."
        );
        assert_eq!(
            normalise_text("It can't, won't and isn't; n't alone"),
            "it can not, will not and is not; n't alone"
        );
        assert_eq!(normalise_text("Don'tcha"), "don'tcha");
    }
}
