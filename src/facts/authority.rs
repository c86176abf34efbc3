//! Which local authority a document is about, named as in `data/authorities.txt`.

use std::collections::HashMap;

use regex::Regex;
use std::sync::LazyLock;

/// The list of authorities and their aliases (format described in the file).
const AUTHORITY_LIST: &str = include_str!("../../data/authorities.txt");

/// Finds authority names in text.
struct AuthorityMatcher {
    /// Every name, alias and blocked place, longest first so that "North Lincolnshire"
    /// wins over "Lincolnshire" where both start at the same place.
    any_name: Regex,
    /// Match key → canonical name; `None` for places that are not authorities.
    canonical: HashMap<String, Option<String>>,
}

static MATCHER: LazyLock<AuthorityMatcher> =
    LazyLock::new(|| AuthorityMatcher::parse(AUTHORITY_LIST));

/// The form names are compared in: "&" as "and", apostrophes and full stops dropped, any
/// other punctuation a space, single spaces. Case is kept; see [`AuthorityMatcher::find`].
fn match_form(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        let is_apostrophe = matches!(ch, '\'' | '\u{2019}' | '\u{2018}');
        if is_apostrophe && matches!(chars.peek(), Some('s' | 'S')) {
            // A possessive "Kent's" names Kent; "St Helen's" is listed as "St Helen".
            let mut after = chars.clone();
            after.next();
            if after.peek().is_none_or(|c| !c.is_alphanumeric()) {
                chars.next();
                continue;
            }
        }
        match ch {
            '\'' | '\u{2019}' | '\u{2018}' | '.' => {}
            '&' => out.push_str(" and "),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn key(name: &str) -> String {
    match_form(name).to_lowercase()
}

impl AuthorityMatcher {
    fn parse(list: &str) -> AuthorityMatcher {
        let mut canonical = HashMap::new();
        for line in list.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(place) = line.strip_prefix('!') {
                canonical.insert(key(place), None);
                continue;
            }
            let mut names = line.split('|').map(str::trim).filter(|n| !n.is_empty());
            let Some(name) = names.next() else { continue };
            canonical.insert(key(name), Some(name.to_string()));
            for alias in names {
                canonical.insert(key(alias), Some(name.to_string()));
            }
        }
        let mut keys: Vec<&String> = canonical.keys().collect();
        keys.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let alternatives: Vec<String> = keys.iter().map(|k| regex::escape(k)).collect();
        let any_name = Regex::new(&format!(r"(?i)\b(?:{})\b", alternatives.join("|")))
            .expect("authority names make a valid regex");
        AuthorityMatcher {
            any_name,
            canonical,
        }
    }

    /// Every authority named in `text`, in order. A name must start with a capital letter:
    /// "Reading", "Bury" and "Slough" are also ordinary words.
    fn find(&self, text: &str) -> Vec<String> {
        let text = match_form(text);
        self.any_name
            .find_iter(&text)
            .filter(|m| m.as_str().starts_with(|c: char| c.is_uppercase()))
            .filter_map(|m| self.canonical.get(&m.as_str().to_lowercase())?.clone())
            .collect()
    }
}

/// The canonical name for a whole name given in any case or listed spelling
/// ("telford & wrekin", "COUNTY DURHAM", "Hull"): for names typed by people or read
/// from other datasets, where the capital-letter rule of running text does not apply.
pub fn canonical(name: &str) -> Option<String> {
    MATCHER.canonical.get(&key(name))?.clone()
}

/// Every authority named in `text`, in order of appearance.
pub fn all_named(text: &str) -> Vec<String> {
    MATCHER.find(text)
}

/// The canonical name of the authority named first in `text` ("London Borough of Barnet",
/// "St. Helens Council", "Hull"), or `None` if it names none.
pub fn first_named(text: &str) -> Option<String> {
    MATCHER.find(text).into_iter().next()
}

/// Of the authorities named in `candidates_text`, the one named most often in
/// `whole_text` (the earliest in `candidates_text` on a tie). A letter's address block
/// names Ofsted's own office town once; the authority it is about, many times.
pub fn most_named(candidates_text: &str, whole_text: &str) -> Option<String> {
    let candidates = MATCHER.find(candidates_text);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for name in MATCHER.find(whole_text) {
        if let Some(c) = candidates.iter().find(|c| **c == name) {
            *counts.entry(c.as_str()).or_default() += 1;
        }
    }
    let mut best: Option<(&str, usize)> = None;
    for c in &candidates {
        let n = counts.get(c.as_str()).copied().unwrap_or(0);
        if best.is_none_or(|(_, most)| n > most) {
            best = Some((c, n));
        }
    }
    best.map(|(name, _)| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_every_authority_with_childrens_services() {
        let current = AUTHORITY_LIST
            .lines()
            .take_while(|l| !l.starts_with("# Former"))
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .count();
        assert_eq!(current, 153);
    }

    /// Every canonical name, as the list spells it.
    fn canonical_names() -> Vec<String> {
        MATCHER.canonical.values().flatten().cloned().collect()
    }

    #[test]
    fn every_authority_is_found_in_every_kind_of_title() {
        for name in canonical_names() {
            for title in [
                format!("Inspection of {name} local authority children's services"),
                format!("Focused visit to {name} children\u{2019}s services"),
                format!("London Borough of {name}"),
                format!("{name} Metropolitan Borough Council"),
                format!("INSPECTION OF {} COUNCIL", name.to_uppercase()),
            ] {
                assert_eq!(
                    first_named(&title).as_deref(),
                    Some(name.as_str()),
                    "{title}"
                );
            }
        }
    }

    #[test]
    fn official_titles_reduce_to_the_authority() {
        let cases = [
            ("London Borough of Barnet", "Barnet"),
            ("Barnet Council", "Barnet"),
            ("Kent County Council", "Kent"),
            (
                "Royal Borough of Kensington and Chelsea",
                "Kensington and Chelsea",
            ),
            ("City of Bradford Metropolitan District Council", "Bradford"),
            ("St. Helens Metropolitan Borough Council", "St Helens"),
            ("Leaders at St Helen's have gained", "St Helens"),
            ("Ofsted rated Kent\u{2019}s children's services", "Kent"),
            ("Brighton & Hove's services", "Brighton and Hove"),
            ("Telford & Wrekin Council", "Telford and Wrekin"),
            (
                "BOURNEMOUTH, CHRISTCHURCH AND POOLE COUNCIL",
                "Bournemouth, Christchurch and Poole",
            ),
            (
                "Bath and North East Somerset Council",
                "Bath and North East Somerset",
            ),
            (
                "Royal Borough of Kingston upon Thames",
                "Kingston upon Thames",
            ),
            ("Inspection of Hull local authority", "Kingston upon Hull"),
            ("City of London Corporation", "City of London"),
            ("Council of the Isles of Scilly", "Isles of Scilly"),
            ("Herefordshire Council", "Herefordshire"),
            ("Southend-on-Sea City Council", "Southend-on-Sea"),
            ("North East Lincolnshire Council", "North East Lincolnshire"),
            ("Stoke-on-Trent City Council", "Stoke-on-Trent"),
            ("Durham County Council", "Durham"),
        ];
        for (text, want) in cases {
            assert_eq!(first_named(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn whole_names_in_any_case_have_a_canonical_form() {
        assert_eq!(
            canonical("telford & wrekin").as_deref(),
            Some("Telford and Wrekin")
        );
        assert_eq!(canonical("COUNTY DURHAM").as_deref(), Some("Durham"));
        assert_eq!(
            canonical("kingston upon hull").as_deref(),
            Some("Kingston upon Hull")
        );
        assert_eq!(canonical("st. helens").as_deref(), Some("St Helens"));
        assert_eq!(canonical("reading").as_deref(), Some("Reading"));
        assert_eq!(canonical("London Borough of Barnet"), None);
        assert_eq!(canonical("newcastle-under-lyme"), None);
    }

    #[test]
    fn ordinary_words_and_lookalike_places_are_not_authorities() {
        assert_eq!(first_named("children's reading and writing"), None);
        assert_eq!(first_named("a school in Newcastle-under-Lyme"), None);
        assert_eq!(
            first_named("North Yorkshire").as_deref(),
            Some("North Yorkshire")
        );
        assert_eq!(first_named("Yorkshire and the Humber"), None);
    }

    #[test]
    fn the_most_named_candidate_wins_over_an_address_line() {
        let header = "Ofsted Piccadilly Gate Store Street Manchester M1 2WD Bury Council";
        let whole = "Ofsted Piccadilly Gate Store Street Manchester Bury Council. Bury is. Bury.";
        assert_eq!(most_named(header, whole).as_deref(), Some("Bury"));
    }
}
