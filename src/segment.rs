//! Stage 3, segment: blocks become [`Sentence`]s.
//!
//! Contract: a sentence never spans two blocks; every non-empty block yields at least one.
//!
//! [`split`] works on one block in three passes:
//! 1. blank lines are hard breaks;
//! 2. list items run together in one piece of text ("1. … 2. …", "a) … b) …", "• … • …")
//!    are separated (`list_items`);
//! 3. each item is scanned once for sentence-final punctuation (`.` `!` `?` `…`), and each
//!    candidate is judged by the word before it and the text after it (`judge`).
//!
//! The word lists behind the judgement (titles, abbreviations, sentence starters) are data,
//! in `src/segment/abbreviations.toml`. Everything is compiled once; a call is linear in the
//! length of its text.

use std::collections::HashSet;

use regex::Regex;
use serde::Deserialize;
use std::sync::LazyLock;

use crate::types::{Block, Sentence};

/// Splits one block of text into trimmed, non-empty sentences. Nothing but whitespace
/// is lost: the sentences, joined, hold every other character of `text` in order.
pub fn split(text: &str) -> Vec<String> {
    let lexicon = &*LEXICON;
    let mut sentences = Vec::new();
    for paragraph in BLANK_LINE.split(text) {
        for item in list_items(paragraph) {
            split_item(item, lexicon, &mut sentences);
        }
    }
    sentences
}

/// The longest sentence kept whole, in characters. Longer "sentences" are tables or lists
/// run together without full stops (an HTML table of 1,500 cells); no spreadsheet cell
/// holds them (Excel's limit is 32,767) and no classifier reads them whole.
pub const MAX_SENTENCE_CHARS: usize = 1_000;

/// Marks where an overlong sentence was cut: the end of every piece but the last and the
/// start of every piece but the first.
pub const CUT_MARK: &str = "[…]";

/// Whether a sentence is a piece of an overlong one (see [`cut_overlong`]).
pub fn is_cut(text: &str) -> bool {
    text.strip_prefix(CUT_MARK)
        .is_some_and(|rest| rest.starts_with(' '))
        || text
            .strip_suffix(CUT_MARK)
            .is_some_and(|rest| rest.ends_with(' '))
}

/// A sentence longer than [`MAX_SENTENCE_CHARS`] cut into pieces no longer than that, at
/// spaces where there are any, each marked with [`CUT_MARK`] where it was cut. Every
/// character but the whitespace at the cuts is kept, in order.
pub fn cut_overlong(text: String) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX_SENTENCE_CHARS {
        return vec![text];
    }
    // Room for a mark and a space at each end.
    let budget = MAX_SENTENCE_CHARS - 2 * (CUT_MARK.chars().count() + 1);
    let mut pieces: Vec<String> = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut end = (start + budget).min(chars.len());
        if end < chars.len() {
            // Cut at the last space in the piece's second half; with none, mid-word.
            if let Some(space) = (start + budget / 2..end)
                .rev()
                .find(|&i| chars[i].is_whitespace())
            {
                end = space;
            }
        }
        let piece: String = chars[start..end].iter().collect();
        let piece = piece.trim();
        if !piece.is_empty() {
            pieces.push(piece.to_string());
        }
        start = end;
        while start < chars.len() && chars[start].is_whitespace() {
            start += 1;
        }
    }
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut marked = String::with_capacity(piece.len() + 2 * CUT_MARK.len() + 2);
            if i > 0 {
                marked.push_str(CUT_MARK);
                marked.push(' ');
            }
            marked.push_str(&piece);
            if i < last {
                marked.push(' ');
                marked.push_str(CUT_MARK);
            }
            marked
        })
        .collect()
}

/// Splits every block into sentences, numbering them from 1 through the report. A sentence
/// over [`MAX_SENTENCE_CHARS`] is cut into marked pieces ([`cut_overlong`]).
pub fn segment(blocks: &[Block]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    for block in blocks {
        for text in split(&block.text).into_iter().flat_map(cut_overlong) {
            sentences.push(Sentence {
                no: sentences.len() + 1,
                text,
                section: block.section.clone(),
                judgement_area: block.judgement_area,
                in_improvement_list: block.in_improvement_list,
                block_kind: block.kind,
            });
        }
    }
    sentences
}

// ---------------------------------------------------------------------------------------
// Word lists
// ---------------------------------------------------------------------------------------

/// The word lists, as written in `abbreviations.toml` (see that file for what each means).
#[derive(Deserialize)]
struct WordLists {
    titles: Vec<String>,
    never_final: Vec<String>,
    before_numbers: Vec<String>,
    usually_final: Vec<String>,
    ambiguous: Vec<String>,
    sentence_starters: Vec<String>,
    fragment_openers: Vec<String>,
    max_fragment_words: usize,
}

/// The word lists as lookup sets of lower-case words without their final full stop.
struct Lexicon {
    titles: HashSet<String>,
    never_final: HashSet<String>,
    before_numbers: HashSet<String>,
    usually_final: HashSet<String>,
    ambiguous: HashSet<String>,
    sentence_starters: HashSet<String>,
    fragment_openers: HashSet<String>,
    max_fragment_words: usize,
}

impl Lexicon {
    fn parse(toml_text: &str) -> Result<Lexicon, toml::de::Error> {
        let lists: WordLists = toml::from_str(toml_text)?;
        let set = |words: Vec<String>| -> HashSet<String> {
            words.iter().map(|w| lookup_key(w.trim())).collect()
        };
        Ok(Lexicon {
            titles: set(lists.titles),
            never_final: set(lists.never_final),
            before_numbers: set(lists.before_numbers),
            usually_final: set(lists.usually_final),
            ambiguous: set(lists.ambiguous),
            sentence_starters: set(lists.sentence_starters),
            fragment_openers: set(lists.fragment_openers),
            max_fragment_words: lists.max_fragment_words,
        })
    }
}

/// How a word is looked up in the lists: lower case, without a final full stop.
fn lookup_key(word: &str) -> String {
    word.trim_end_matches('.').to_lowercase()
}

const WORD_LISTS_TOML: &str = include_str!("segment/abbreviations.toml");

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    // The file is compiled in and a unit test parses it, so this cannot fail at run time.
    Lexicon::parse(WORD_LISTS_TOML).expect("src/segment/abbreviations.toml must parse")
});

static BLANK_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n[^\S\n]*\n\s*").unwrap());

/// An enumerated list label at the start of an item: "1.", "1)", "1.)", "a.", "b)".
/// Capital letters are left out: "J. K. Rowling" is not a list.
static LIST_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,3}|[a-z])(\.\)|\)|\.)\s").unwrap());

// ---------------------------------------------------------------------------------------
// Characters
// ---------------------------------------------------------------------------------------

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

/// Quotes and brackets that may close a sentence after its final punctuation.
fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '}' | '»' | '›')
}

/// Quotes and brackets that may open a sentence.
fn is_opener(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[' | '{' | '«' | '‹')
}

/// Bullet glyphs, including the private-use symbol-font glyphs PDFs give for bullets.
fn is_bullet(c: char) -> bool {
    const BULLETS: &str = "•◦▪▫‣⁃∙●○■□◼◻◆◇❖➢➤►▶✓✔";
    // Every bullet lies above U+2000: most characters are ruled out by one comparison.
    c >= '\u{2000}' && (BULLETS.contains(c) || ('\u{F000}'..='\u{F0FF}').contains(&c))
}

// ---------------------------------------------------------------------------------------
// Pass 2: list items
// ---------------------------------------------------------------------------------------

/// Separates list items that share one piece of text: before every bullet glyph that
/// follows a space, and before each successor of an enumerated label the text starts with
/// ("1. … 2. … 3. …", "a) … b) …"). Only the exact successor label counts, so a stray
/// number in a sentence ("aged 9. The") is left to the sentence scanner.
fn list_items(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut item_start = 0;
    let mut previous: Option<char> = None;
    for (offset, c) in text.char_indices() {
        if is_bullet(c) && previous.is_some_and(char::is_whitespace) {
            items.push(&text[item_start..offset]);
            item_start = offset;
        }
        previous = Some(c);
    }
    items.push(&text[item_start..]);
    items
        .into_iter()
        .flat_map(split_enumerated)
        .filter(|item| !item.trim().is_empty())
        .collect()
}

/// Splits "1. first 2. second" (or "a) first b) second") before each successive label.
fn split_enumerated(item: &str) -> Vec<&str> {
    let body_start = item.len()
        - item
            .trim_start_matches(|c: char| is_bullet(c) || c.is_whitespace())
            .len();
    let Some(label) = LIST_LABEL.captures(&item[body_start..]) else {
        return vec![item];
    };
    let mut current = label[1].to_string();
    let separator = label[2].to_string();
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut search_from = body_start + label[0].len();
    while let Some(next) = successor_label(&current) {
        let needle = format!("{next}{separator}");
        let found = item[search_from..]
            .match_indices(needle.as_str())
            .map(|(at, _)| search_from + at)
            .find(|&at| {
                let before = item[..at].chars().next_back();
                let after = item[at + needle.len()..].chars().next();
                before.is_some_and(char::is_whitespace) && after.is_some_and(char::is_whitespace)
            });
        let Some(at) = found else { break };
        pieces.push(&item[piece_start..at]);
        piece_start = at;
        search_from = at + needle.len();
        current = next;
    }
    pieces.push(&item[piece_start..]);
    pieces
}

/// The label after `label` in an enumerated list: "9" → "10", "a" → "b".
fn successor_label(label: &str) -> Option<String> {
    if let Ok(number) = label.parse::<u32>() {
        return Some((number + 1).to_string());
    }
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_lowercase() && c != 'z' => {
            Some(char::from(c as u8 + 1).to_string())
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Pass 3: sentences
// ---------------------------------------------------------------------------------------

/// A run of sentence-final punctuation: "." "?!" "..." "…" ". . . .".
struct Cluster {
    /// Index of its first character.
    start: usize,
    /// Index just after its last punctuation mark.
    end: usize,
    /// Full stops in it, "…" counting three.
    dots: usize,
    /// It holds a "!" or "?".
    exclaims: bool,
    /// Its dots are spaced (". . .").
    spaced: bool,
}

impl Cluster {
    fn scan(chars: &[char], start: usize) -> Cluster {
        let mut cluster = Cluster {
            start,
            end: start,
            dots: 0,
            exclaims: false,
            spaced: false,
        };
        let mut k = start;
        while k < chars.len() {
            match chars[k] {
                '.' => cluster.dots += 1,
                '…' => cluster.dots += 3,
                '!' | '?' => cluster.exclaims = true,
                _ => break,
            }
            k += 1;
            // A spaced ellipsis continues a run of dots: "word . . . ."
            if chars[k - 1] == '.' && chars.get(k) == Some(&' ') && chars.get(k + 1) == Some(&'.') {
                cluster.spaced = true;
                k += 1;
            }
        }
        cluster.end = k;
        cluster
    }
}

/// What to do at a cluster of final punctuation.
enum Verdict {
    Continue,
    /// The sentence ends just before this char index.
    EndBefore(usize),
}

/// One item of text being scanned, with the current sentence's start.
struct Scan<'a> {
    chars: &'a [char],
    /// Char index where the current sentence starts.
    sentence_start: usize,
    lexicon: &'a Lexicon,
}

fn split_item(text: &str, lexicon: &Lexicon, out: &mut Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(offset, _)| offset)
        .chain(std::iter::once(text.len()))
        .collect();
    let mut push = |from: usize, to: usize| {
        let sentence = text[offsets[from]..offsets[to]].trim();
        if !sentence.is_empty() {
            out.push(sentence.to_string());
        }
    };
    let mut scan = Scan {
        chars: &chars,
        sentence_start: 0,
        lexicon,
    };
    let mut i = 0;
    while i < chars.len() {
        if !is_terminal(chars[i]) {
            i += 1;
            continue;
        }
        let cluster = Cluster::scan(&chars, i);
        if let Verdict::EndBefore(end) = judge(&scan, &cluster) {
            push(scan.sentence_start, end);
            scan.sentence_start = end;
        }
        i = cluster.end;
    }
    push(scan.sentence_start, chars.len());
}

/// Decides whether a cluster of final punctuation ends the current sentence.
fn judge(scan: &Scan, cluster: &Cluster) -> Verdict {
    let chars = scan.chars;
    let at = cluster.start;
    let close_end = skip_closers(chars, cluster.end);
    let space_end = skip(chars, close_end, char::is_whitespace);
    let ends_here = Verdict::EndBefore(close_end);

    // An elision in square brackets, "[...]", is never an end.
    if cluster.dots >= 3
        && !cluster.exclaims
        && at > 0
        && chars[at - 1] == '['
        && chars.get(cluster.end) == Some(&']')
    {
        return Verdict::Continue;
    }
    // Nothing follows: the rest of the text is the last sentence anyway.
    if space_end == chars.len() {
        return Verdict::Continue;
    }
    // No space after: decimals, URLs, e-mail addresses, "U.S.A", "Jr.'s" - or a missing space.
    if space_end == close_end {
        return if missing_space_end(scan, cluster) {
            ends_here
        } else {
            Verdict::Continue
        };
    }

    let next_at = skip(chars, space_end, is_opener).min(chars.len() - 1);
    let next = chars[next_at];

    if cluster.dots >= 3 && !cluster.exclaims {
        return judge_ellipsis(chars, cluster, next, close_end);
    }
    if cluster.exclaims {
        // "Hello!? Is that you?" ends; "Yahoo! in the accounting department" and
        // "and -- voila! -- you have cake" do not.
        return if next.is_lowercase() || matches!(next, '-' | '–' | '—') {
            Verdict::Continue
        } else {
            ends_here
        };
    }

    judge_full_stop(scan, cluster, next_at, close_end)
}

/// A full stop followed by a space and `chars[next_at]`: an end unless it closes an
/// abbreviation, a title, a list label or an initial.
fn judge_full_stop(scan: &Scan, cluster: &Cluster, next_at: usize, close_end: usize) -> Verdict {
    let chars = scan.chars;
    let at = cluster.start;
    let next = chars[next_at];
    let ends_here = Verdict::EndBefore(close_end);
    // Followed by lower case it is not an end.
    if next.is_lowercase() {
        return Verdict::Continue;
    }
    let word = word_before(chars, scan.sentence_start, at);
    // A list or paragraph label opening the sentence: "1.) The first item", "12. Children".
    if is_first_word(chars, scan.sentence_start, at, word.len()) && is_list_label(&word) {
        return Verdict::Continue;
    }
    // Closed inside quotes or brackets, or after them: "stop." Then', "(CHUB). The".
    if close_end > cluster.end || word.last().is_some_and(|&c| is_closer(c)) {
        return ends_here;
    }
    // Of "Jan.-Dec" or "a.m./p.m" the lists need only the last part.
    let word = last_part(&word);
    let word_text: String = word.iter().collect();
    let key = lookup_key(&word_text);
    let lexicon = scan.lexicon;
    if lexicon.titles.contains(&key) || lexicon.never_final.contains(&key) {
        return Verdict::Continue;
    }
    if next.is_numeric() {
        // "p. 55", "No. 3", "para. 12" - but "She has $100.00. 45 of it".
        let single_lower = word.len() == 1 && word[0].is_lowercase();
        return if lexicon.before_numbers.contains(&key) || single_lower {
            Verdict::Continue
        } else {
            ends_here
        };
    }
    if lexicon.usually_final.contains(&key) {
        return if is_fragment(scan, at, lexicon) {
            Verdict::Continue
        } else {
            ends_here
        };
    }
    if lexicon.ambiguous.contains(&key) || is_initial_or_acronym(word) {
        let next_word = lookup_key(&word_at(chars, next_at));
        if !lexicon.sentence_starters.contains(&next_word) || is_fragment(scan, at, lexicon) {
            return Verdict::Continue;
        }
    }
    ends_here
}

/// Ellipses: three dots are an omission, four a sentence end with an omission.
fn judge_ellipsis(chars: &[char], cluster: &Cluster, next: char, close_end: usize) -> Verdict {
    let at = cluster.start;
    let attached = at > 0 && !chars[at - 1].is_whitespace();
    if !next.is_uppercase() {
        return Verdict::Continue;
    }
    // "compounds. . . . The practice": the full stop ends the sentence and the spaced
    // ellipsis opens the next one.
    if attached && cluster.dots >= 4 && chars.get(at + 1) == Some(&' ') {
        return Verdict::EndBefore(at + 1);
    }
    // A spaced three-dot ellipsis is an omission within a sentence: "the thing is . . . I".
    if cluster.dots == 3 && cluster.spaced {
        return Verdict::Continue;
    }
    // "that.... She", "period . . . . Next", "I never meant that... She".
    Verdict::EndBefore(close_end)
}

/// A sentence end with no space after it, as PDF text often has: "services.The". Only a
/// word of two or more letters (or a closing bracket) before a capitalised word counts,
/// and never inside an e-mail address, a URL or a dotted abbreviation.
fn missing_space_end(scan: &Scan, cluster: &Cluster) -> bool {
    let chars = scan.chars;
    let at = cluster.start;
    // One stop, or a doubled one from a PDF (". .It", "..It"); never "?!" or an ellipsis.
    if (cluster.exclaims && cluster.end != at + 1) || cluster.dots > 2 {
        return false;
    }
    let capitalised_next = chars.get(cluster.end).is_some_and(|c| c.is_uppercase())
        && chars.get(cluster.end + 1).is_some_and(|c| c.is_lowercase());
    if !capitalised_next {
        return false;
    }
    let letters_before = chars[..at]
        .iter()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .count();
    let word_like = letters_before >= 2
        && chars[at - letters_before..at]
            .iter()
            .any(|c| c.is_lowercase());
    let after_bracket = at > 0 && chars[at - 1] == ')';
    // "bought 1,000.That", but not a paragraph number opening the sentence ("12.Children").
    let after_number = at > 0
        && chars[at - 1].is_ascii_digit()
        && chars[scan.sentence_start..at]
            .iter()
            .skip_while(|c| c.is_whitespace() || is_bullet(**c) || is_opener(**c))
            .any(|c| c.is_whitespace());
    if !(word_like || after_bracket || after_number) {
        return false;
    }
    // The whole token around the stop, looked at no further than MAX_TOKEN chars each
    // way so that a huge run of text with no spaces stays linear.
    const MAX_TOKEN: usize = 256;
    let window_start = at.saturating_sub(MAX_TOKEN);
    let window_end = (cluster.end + MAX_TOKEN).min(chars.len());
    let token_start = chars[window_start..at]
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(window_start, |p| window_start + p + 1);
    let token_end = chars[at..window_end]
        .iter()
        .position(|c| c.is_whitespace())
        .map_or(window_end, |p| at + p);
    let token: String = chars[token_start..token_end].iter().collect();
    let lower = token.to_lowercase();
    if lower.contains('@') || lower.contains("://") || lower.contains("www.") {
        return false;
    }
    let word: String = chars[token_start..at].iter().collect();
    let key = lookup_key(word.trim_start_matches(is_opener));
    !(scan.lexicon.titles.contains(&key)
        || scan.lexicon.never_final.contains(&key)
        || scan.lexicon.ambiguous.contains(&key))
}

/// Index just after the quotes, brackets and reference marks ("[12]") that close a
/// sentence after its final punctuation.
fn skip_closers(chars: &[char], from: usize) -> usize {
    let mut k = from;
    loop {
        k = skip(chars, k, is_closer);
        let digits = chars.get(k + 1..).map_or(0, |rest| {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        });
        let reference = chars.get(k) == Some(&'[')
            && (1..=3).contains(&digits)
            && chars.get(k + 1 + digits) == Some(&']');
        if !reference {
            return k;
        }
        k += digits + 2;
    }
}

/// Index of the first char from `from` that is not `skipped`.
fn skip(chars: &[char], from: usize, skipped: impl Fn(char) -> bool) -> usize {
    chars[from..]
        .iter()
        .position(|&c| !skipped(c))
        .map_or(chars.len(), |p| from + p)
}

/// The token just before `at` (back to a space, but not before the sentence's start),
/// without leading bullets, quotes or brackets: "(U.S" → "U.S".
fn word_before(chars: &[char], sentence_start: usize, at: usize) -> Vec<char> {
    let start = chars[sentence_start..at]
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(sentence_start, |p| sentence_start + p + 1);
    let token = &chars[start..at];
    let lead = token
        .iter()
        .take_while(|&&c| is_opener(c) || is_bullet(c))
        .count();
    token[lead..].to_vec()
}

/// The part of a compound token after its last hyphen, dash or slash: "Jan.-Dec" → "Dec".
fn last_part(word: &[char]) -> &[char] {
    match word
        .iter()
        .rposition(|c| matches!(c, '-' | '–' | '—' | '/'))
    {
        Some(p) if p + 1 < word.len() => &word[p + 1..],
        _ => word,
    }
}

/// Whether the word of length `len` ending at `at` is the sentence's first, bullets aside.
fn is_first_word(chars: &[char], sentence_start: usize, at: usize, len: usize) -> bool {
    let first = skip(chars, sentence_start, |c| {
        c.is_whitespace() || is_bullet(c) || is_opener(c)
    });
    first + len == at
}

/// "1", "12", "2.1", "a", "iv", "IV": labels of list items and numbered paragraphs. A
/// single capital is left out: at a sentence's start it is more often an initial
/// ("J. K. Rowling") than a label.
fn is_list_label(word: &[char]) -> bool {
    let text: String = word.iter().collect();
    let numbered = !text.is_empty()
        && text
            .split('.')
            .all(|part| (1..=3).contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit()));
    let lettered = word.len() == 1 && word[0].is_lowercase();
    let roman = (word.len() >= 2 || word.first().is_some_and(|c| c.is_lowercase()))
        && matches!(
            text.to_lowercase().as_str(),
            "i" | "ii" | "iii" | "iv" | "v" | "vi" | "vii" | "viii" | "ix" | "x" | "xi" | "xii"
        );
    numbered || lettered || roman
}

/// A single letter ("E" in "Jonas E. Smith") or a dotted acronym ("U.S", "a.m", "Ph.D").
fn is_initial_or_acronym(word: &[char]) -> bool {
    if word.len() == 1 {
        return word[0].is_alphabetic();
    }
    let text: String = word.iter().collect();
    text.contains('.')
        && text.split('.').all(|part| {
            (1..=2).contains(&part.chars().count()) && part.chars().all(char::is_alphabetic)
        })
}

/// The letters (and apostrophes) of the word starting at `at`.
fn word_at(chars: &[char], at: usize) -> String {
    chars[at..]
        .iter()
        .take_while(|c| c.is_alphabetic() || matches!(c, '\'' | '’'))
        .collect()
}

/// Whether the sentence so far is a short phrase opened by a preposition ("At 5 a.m."),
/// which is not a sentence on its own.
fn is_fragment(scan: &Scan, at: usize, lexicon: &Lexicon) -> bool {
    // A handful of words is never this long; the bound keeps odd input linear.
    const MAX_FRAGMENT_CHARS: usize = 80;
    if at - scan.sentence_start > MAX_FRAGMENT_CHARS {
        return false;
    }
    let mut words = scan.chars[scan.sentence_start..at]
        .split(|c| c.is_whitespace())
        .filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return false;
    };
    let first: String = first.iter().filter(|c| !is_opener(**c)).collect();
    let word_count = 1 + words.take(lexicon.max_fragment_words).count();
    word_count <= lexicon.max_fragment_words
        && lexicon.fragment_openers.contains(&lookup_key(&first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &[&str]) {
        assert_eq!(split(text), expected, "splitting {text:?}");
    }

    #[test]
    fn word_lists_parse() {
        let lexicon = Lexicon::parse(WORD_LISTS_TOML).expect("abbreviations.toml parses");
        assert!(lexicon.titles.contains("mr"));
        assert!(lexicon.never_final.contains("e.g"));
        assert!(lexicon.sentence_starters.contains("the"));
        assert!(lexicon.max_fragment_words > 0);
    }

    #[test]
    fn plain_ends() {
        check(
            "Plans are clear. Are they reviewed? Yes! They are.",
            &[
                "Plans are clear.",
                "Are they reviewed?",
                "Yes!",
                "They are.",
            ],
        );
        check("", &[]);
        check("   ", &[]);
        check("A heading with no stop", &["A heading with no stop"]);
    }

    #[test]
    fn repeated_marks_stay_together() {
        check("Really?! Yes.", &["Really?!", "Yes."]);
        check("Wait!! Now.", &["Wait!!", "Now."]);
    }

    #[test]
    fn lower_case_after_a_stop_is_no_end() {
        check(
            "It was sent to the co. for review.",
            &["It was sent to the co. for review."],
        );
        check("‘Why now?’ she asked.", &["‘Why now?’ she asked."]);
        check(
            "He works at Acme! in the city.",
            &["He works at Acme! in the city."],
        );
    }

    #[test]
    fn titles_never_end_a_sentence() {
        check(
            "Mr. Jones and Dr. Patel met Cllr. Ahmed in St. Albans.",
            &["Mr. Jones and Dr. Patel met Cllr. Ahmed in St. Albans."],
        );
    }

    #[test]
    fn latin_abbreviations_never_end_a_sentence() {
        check(
            "Some partners, e.g. Schools and GPs, refer late, i.e. After harm.",
            &["Some partners, e.g. Schools and GPs, refer late, i.e. After harm."],
        );
        check(
            "Support, e.g. children's centres, is good.",
            &["Support, e.g. children's centres, is good."],
        );
        check(
            "Caseloads are approx. Twenty.",
            &["Caseloads are approx. Twenty."],
        );
    }

    #[test]
    fn months_versus_and_dates() {
        check(
            "Figures for Jan.-Dec. 2023 show Leeds vs. Bradford. Both improved.",
            &[
                "Figures for Jan.-Dec. 2023 show Leeds vs. Bradford.",
                "Both improved.",
            ],
        );
        check(
            "The visit ran from 4 Sept. to 15 Sept. Inspectors met staff.",
            &[
                "The visit ran from 4 Sept. to 15 Sept.",
                "Inspectors met staff.",
            ],
        );
    }

    #[test]
    fn etc_ends_a_sentence_before_a_capital() {
        check(
            "They cover housing, health etc. Leaders know this.",
            &["They cover housing, health etc.", "Leaders know this."],
        );
    }

    #[test]
    fn abbreviations_before_numbers() {
        check(
            "See p. 12 and para. 4 of No. 7.",
            &["See p. 12 and para. 4 of No. 7."],
        );
        check(
            "It started in Jan. 2024 and ended.",
            &["It started in Jan. 2024 and ended."],
        );
        check(
            "The total was 12. 45 more were seen.",
            &["The total was 12.", "45 more were seen."],
        );
    }

    #[test]
    fn initials_and_the_pronoun_i() {
        check("J. K. Rowling wrote it.", &["J. K. Rowling wrote it."]);
        check(
            "It was you and I. Did you see Mary B. Cole?",
            &["It was you and I.", "Did you see Mary B. Cole?"],
        );
        check(
            "They chose Plan B. The rest waited.",
            &["They chose Plan B.", "The rest waited."],
        );
    }

    #[test]
    fn dotted_acronyms_end_only_before_a_sentence_starter() {
        check(
            "She moved to the U.K. Government service.",
            &["She moved to the U.K. Government service."],
        );
        check(
            "She moved to the U.K. It was cold.",
            &["She moved to the U.K.", "It was cold."],
        );
        check("He holds a Ph.D. in law.", &["He holds a Ph.D. in law."]);
        check(
            "They trade as Hart & Co. They are new.",
            &["They trade as Hart & Co.", "They are new."],
        );
    }

    #[test]
    fn times_of_day() {
        check(
            "By 9 a.m. Mrs. Khan had called. The duty team replied at 5 p.m. Mrs. Khan was told.",
            &[
                "By 9 a.m. Mrs. Khan had called.",
                "The duty team replied at 5 p.m.",
                "Mrs. Khan was told.",
            ],
        );
    }

    #[test]
    fn compound_abbreviations_are_judged_by_their_last_part() {
        check(
            "Figures cover Apr.-Dec. Leaders agree.",
            &["Figures cover Apr.-Dec.", "Leaders agree."],
        );
        check(
            "Figures cover Apr.-Dec. 2023 only.",
            &["Figures cover Apr.-Dec. 2023 only."],
        );
    }

    #[test]
    fn times_usually_end_a_sentence() {
        check(
            "The panel meets at 3 p.m. Bring the plans.",
            &["The panel meets at 3 p.m.", "Bring the plans."],
        );
        check("By 9 a.m. Staff had met.", &["By 9 a.m. Staff had met."]);
    }

    #[test]
    fn numbers_money_and_decimals() {
        check(
            "Spending rose by £1.2m. It is now 3.5% of the budget.",
            &["Spending rose by £1.2m.", "It is now 3.5% of the budget."],
        );
        check(
            "Visits were made under section 47. Most were timely.",
            &["Visits were made under section 47.", "Most were timely."],
        );
        check(
            "The visit ended on 12 March 2024. Leaders were told.",
            &["The visit ended on 12 March 2024.", "Leaders were told."],
        );
    }

    #[test]
    fn ends_inside_quotes_and_brackets() {
        check(
            "He said \"stop.\" Then he left.",
            &["He said \"stop.\"", "Then he left."],
        );
        check(
            "Staff call it ‘the hub.’ It is busy.",
            &["Staff call it ‘the hub.’", "It is busy."],
        );
        check(
            "It was reviewed (see the plan.) at the panel.",
            &["It was reviewed (see the plan.) at the panel."],
        );
        check(
            "Contacts go to the hub (CHUB). Decisions are quick.",
            &["Contacts go to the hub (CHUB).", "Decisions are quick."],
        );
        check(
            "Practice is ‘good’. Staff agree.",
            &["Practice is ‘good’.", "Staff agree."],
        );
    }

    #[test]
    fn reference_marks_after_the_stop() {
        check(
            "It was founded in 1901.[1] The council grew.[12][13] Then it merged.",
            &[
                "It was founded in 1901.[1]",
                "The council grew.[12][13]",
                "Then it merged.",
            ],
        );
    }

    #[test]
    fn a_dash_after_an_exclamation_goes_on() {
        check(
            "Mix it and -- voila! -- you have cake.",
            &["Mix it and -- voila! -- you have cake."],
        );
    }

    #[test]
    fn next_sentence_opening_with_a_quote_or_bracket() {
        check(
            "Leaders agreed. “We will act,” they said.",
            &["Leaders agreed.", "“We will act,” they said."],
        );
        check(
            "Leaders agreed. (The plan is new.)",
            &["Leaders agreed.", "(The plan is new.)"],
        );
    }

    #[test]
    fn emails_and_urls() {
        check(
            "Write to help.desk@council.gov.uk. Staff reply.",
            &["Write to help.desk@council.gov.uk.", "Staff reply."],
        );
        check(
            "See www.gov.uk/Guidance.Page today. Or https://a.example.org/X.Html now.",
            &[
                "See www.gov.uk/Guidance.Page today.",
                "Or https://a.example.org/X.Html now.",
            ],
        );
    }

    #[test]
    fn missing_space_after_a_stop() {
        check(
            "Plans are reviewed.They are shared.Children know them.",
            &[
                "Plans are reviewed.",
                "They are shared.",
                "Children know them.",
            ],
        );
        check(
            "It is in place. .It helps.",
            &["It is in place. .", "It helps."],
        );
        check(
            "Thresholds (MASH).Most are right.",
            &["Thresholds (MASH).", "Most are right."],
        );
        check(
            "It cost 1,000.That is a lot. 12.Children are seen.",
            &["It cost 1,000.", "That is a lot.", "12.Children are seen."],
        );
        // Not a missing space: a decimal, a name, an abbreviation.
        check(
            "Rates were 3.5 and Jane.Doe@x.org wrote e.g.Nothing.",
            &["Rates were 3.5 and Jane.Doe@x.org wrote e.g.Nothing."],
        );
    }

    #[test]
    fn ellipses() {
        check(
            "I never said that... She left.",
            &["I never said that...", "She left."],
        );
        check(
            "I never said that…. She left.",
            &["I never said that….", "She left."],
        );
        check("It was … well, fine.", &["It was … well, fine."]);
        check("Wait . . . I see.", &["Wait . . . I see."]);
        check(
            "It ended. . . . Then more.",
            &["It ended.", ". . . Then more."],
        );
        check(
            "\"It [...] helps\" (Smith 3).",
            &["\"It [...] helps\" (Smith 3)."],
        );
    }

    #[test]
    fn enumerated_lists_in_one_block() {
        check(
            "1) Plans 2) Reviews 3) Visits",
            &["1) Plans", "2) Reviews", "3) Visits"],
        );
        check("a. Plans. b. Reviews.", &["a. Plans.", "b. Reviews."]);
        check("9.) Plans 10.) Reviews", &["9.) Plans", "10.) Reviews"]);
        // Only the successor of the opening label starts an item.
        check("1. Plans cover 3. Things", &["1. Plans cover 3.", "Things"]);
    }

    #[test]
    fn paragraph_numbers_stay_with_their_sentence() {
        check(
            "12. Children are seen. They are safe.",
            &["12. Children are seen.", "They are safe."],
        );
        check(
            "2.1. Leaders know. Staff know.",
            &["2.1. Leaders know.", "Staff know."],
        );
        check("iv. Leaders know.", &["iv. Leaders know."]);
    }

    #[test]
    fn bullets_run_together_are_separated() {
        check(
            "• Plans are clear • Reviews are timely",
            &["• Plans are clear", "• Reviews are timely"],
        );
        check(
            "\u{F06E} One item \u{F06E} Another",
            &["\u{F06E} One item", "\u{F06E} Another"],
        );
        check("◼ 1. First ◼ 2. Second", &["◼ 1. First", "◼ 2. Second"]);
    }

    #[test]
    fn blank_lines_are_hard_breaks() {
        check(
            "A heading\n\nA paragraph follows",
            &["A heading", "A paragraph follows"],
        );
        check("One line\nruns on.", &["One line\nruns on."]);
    }

    #[test]
    fn sentences_never_span_blocks() {
        let block = |text: &str| Block {
            kind: crate::types::BlockKind::Bullet,
            text: text.to_string(),
            section: "What needs to improve".to_string(),
            judgement_area: crate::types::JudgementArea::Leaders,
            in_improvement_list: true,
        };
        let blocks = [
            block("The quality of plans for"),
            block("children in need. Reviews."),
        ];
        let sentences = segment(&blocks);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            ["The quality of plans for", "children in need.", "Reviews."]
        );
        assert_eq!(
            sentences.iter().map(|s| s.no).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(sentences.iter().all(|s| s.in_improvement_list));
    }

    /// Splitting never loses, adds or reorders text, and never panics, whatever the input:
    /// checked on many pseudo-random strings built from the characters the rules look at.
    #[test]
    fn splitting_keeps_every_character_of_odd_input() {
        const PIECES: &[&str] = &[
            "a", "B", "I", "word", "Mr", "e.g", "U.S", "p", "12", "3", " ", " ", "  ", ".", ".",
            "!", "?", "…", ". . .", "\"", "'", "“", "”", "‘", "’", "(", ")", "[", "]", "•",
            "\u{F06E}", "\n", "\n\n", "@", "://", "1.)", "a)", "The", "Leaders", "é", "£1.2m",
        ];
        let mut seed: u64 = 0x5eed_1234_abcd_ef01;
        let mut next = |bound: usize| {
            // xorshift64: deterministic, no dependency.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        let without_space = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        for _ in 0..20_000 {
            let len = next(24);
            let text: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            let sentences = split(&text);
            for sentence in &sentences {
                assert!(!sentence.is_empty(), "empty sentence from {text:?}");
                assert_eq!(
                    sentence,
                    sentence.trim(),
                    "untrimmed sentence from {text:?}"
                );
            }
            assert_eq!(
                without_space(&sentences.concat()),
                without_space(&text),
                "text lost or changed splitting {text:?} into {sentences:?}"
            );
        }
    }

    #[test]
    fn a_stop_with_no_word_before_it() {
        check(". Leaders know.", &[".", "Leaders know."]);
        check(
            "It is in place . Leaders know.",
            &["It is in place .", "Leaders know."],
        );
    }

    #[test]
    fn long_text_without_spaces_is_handled() {
        let text = "a.".repeat(50_000) + " End.";
        assert_eq!(split(&text).len(), 1);
        let many = "Children are safe. ".repeat(20_000);
        assert_eq!(split(&many).len(), 20_000);
    }

    #[test]
    fn overlong_sentences_are_cut_into_marked_pieces() {
        let cells: String = (0..1500)
            .map(|i| format!("cell {i} children in care "))
            .collect();
        let pieces = cut_overlong(cells.trim().to_string());
        assert!(pieces.len() > 30, "{}", pieces.len());
        for (i, piece) in pieces.iter().enumerate() {
            assert!(piece.chars().count() <= MAX_SENTENCE_CHARS, "{piece}");
            assert!(is_cut(piece));
            assert_eq!(piece.starts_with(CUT_MARK), i > 0);
            assert_eq!(piece.ends_with(CUT_MARK), i + 1 < pieces.len());
        }
        // Nothing but the marks and the whitespace at the cuts is lost.
        let rejoined: String = pieces
            .iter()
            .map(|p| p.replace(CUT_MARK, ""))
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            rejoined,
            cells.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        // A word longer than a piece is cut mid-word rather than kept whole.
        let word = "x".repeat(3 * MAX_SENTENCE_CHARS);
        let pieces = cut_overlong(word);
        assert!(pieces
            .iter()
            .all(|p| p.chars().count() <= MAX_SENTENCE_CHARS));
        // A usual sentence is untouched and unmarked.
        let plain = "Care leavers are well supported [and seen] […].".to_string();
        assert_eq!(cut_overlong(plain.clone()), vec![plain.clone()]);
        assert!(!is_cut("Care leavers are well supported."));
    }
}
