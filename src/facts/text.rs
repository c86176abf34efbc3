//! Text shapes the fact finders work on.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
