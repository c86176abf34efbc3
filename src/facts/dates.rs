//! Dates as Ofsted writes them: "18 March 2024", ranges such as "18 to 22 March 2024",
//! "27 November 2017 – 7 December 2017", "25 and 26 July 2018", "12/09/2016 to 06/10/2016".
//!
//! All functions take flattened text (see `crate::text::flatten`): one line, single spaces.

use regex::Regex;
use std::sync::LazyLock;

use crate::types::Date;

/// Month names and the abbreviations reports use, lower case.
const MONTHS: [(&str, u8); 24] = [
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

fn month_number(word: &str) -> Option<u8> {
    let word = word.trim_end_matches('.').to_ascii_lowercase();
    MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|&(_, n)| n)
}

/// A date if the day exists in that month and the year is plausible for a report.
pub fn make_date(year: u32, month: u8, day: u32) -> Option<Date> {
    if !(1990..=2100).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (day <= days_in_month).then_some(Date {
        year: year as u16,
        month,
        day: day as u8,
    })
}

const DAY: &str = r"(\d{1,2})(?:st|nd|rd|th)?";
const MONTH: &str = r"([A-Za-z]{3,9})\.?";
const YEAR: &str = r"(\d{4})";
/// Between day and month: "15 May", "15 of May".
const OF: &str = r"\s+(?:of\s+)?";
/// What stands between the two ends of a range.
const RANGE_JOIN: &str = r"\s*(?:to|until|till|and|[-–—‒])\s*";

/// "18 to 22 March 2024", "18 March to 22 March 2024", "27 November 2017 – 7 December 2017".
static WORD_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^{DAY}(?:{OF}{MONTH}(?:,?\s+{YEAR})?)?{RANGE_JOIN}(?:the\s+)?{DAY}{OF}{MONTH},?\s+{YEAR}\b"
    ))
    .expect("valid date range regex")
});

/// "12/09/2016 to 06/10/2016".
static NUMERIC_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(\d{{1,2}})/(\d{{1,2}})/{YEAR}{RANGE_JOIN}(\d{{1,2}})/(\d{{1,2}})/{YEAR}\b"
    ))
    .expect("valid numeric range regex")
});

/// "18 March 2024", "18th March, 2024".
static WORD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^{DAY}{OF}{MONTH},?\s+{YEAR}\b")).expect("valid date regex")
});

static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,2})/(\d{1,2})/(\d{4})\b").expect("valid numeric date regex")
});

/// Where a date could start: a digit not preceded by another digit.
static DATE_START: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d").expect("valid regex"));

fn num(caps: &regex::Captures, i: usize) -> Option<u32> {
    caps.get(i)?.as_str().parse().ok()
}

/// A date range that starts exactly at the beginning of `text`.
pub fn range_at(text: &str) -> Option<(Date, Date)> {
    if let Some(c) = WORD_RANGE.captures(text) {
        let end_year = num(&c, 6)?;
        let end_month = month_number(c.get(5)?.as_str())?;
        let end = make_date(end_year, end_month, num(&c, 4)?)?;
        let start_month = match c.get(2) {
            Some(m) => month_number(m.as_str())?,
            None => end_month,
        };
        let start_year = match num(&c, 3) {
            Some(y) => y,
            // "28 December to 3 January 2020": the start is in the year before.
            None if start_month > end_month => end_year - 1,
            None => end_year,
        };
        let start = make_date(start_year, start_month, num(&c, 1)?)?;
        return (start <= end).then_some((start, end));
    }
    if let Some(c) = NUMERIC_RANGE.captures(text) {
        let start = make_date(num(&c, 3)?, num(&c, 2)? as u8, num(&c, 1)?)?;
        let end = make_date(num(&c, 6)?, num(&c, 5)? as u8, num(&c, 4)?)?;
        return (start <= end).then_some((start, end));
    }
    None
}

/// A single date that starts exactly at the beginning of `text`.
pub fn date_at(text: &str) -> Option<Date> {
    if let Some(c) = WORD_DATE.captures(text) {
        return make_date(num(&c, 3)?, month_number(c.get(2)?.as_str())?, num(&c, 1)?);
    }
    let c = NUMERIC_DATE.captures(text)?;
    make_date(num(&c, 3)?, num(&c, 2)? as u8, num(&c, 1)?)
}

/// The first range or single date (as a one-day range) in `text`, whichever starts first.
pub fn first_range_or_date(text: &str) -> Option<(Date, Date)> {
    DATE_START.find_iter(text).find_map(|m| {
        let rest = &text[m.start()..];
        range_at(rest).or_else(|| date_at(rest).map(|d| (d, d)))
    })
}

/// The first single date in `text`.
pub fn first_date(text: &str) -> Option<Date> {
    DATE_START
        .find_iter(text)
        .find_map(|m| date_at(&text[m.start()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn ranges_in_every_form_reports_use() {
        let cases = [
            ("18 to 22 March 2024", (d(2024, 3, 18), d(2024, 3, 22))),
            (
                "18 March to 29 March 2024",
                (d(2024, 3, 18), d(2024, 3, 29)),
            ),
            (
                "27 November 2017 – 7 December 2017",
                (d(2017, 11, 27), d(2017, 12, 7)),
            ),
            (
                "14 January – 5 February 2014",
                (d(2014, 1, 14), d(2014, 2, 5)),
            ),
            ("4 July 2016–28 July 2016", (d(2016, 7, 4), d(2016, 7, 28))),
            (
                "8 July 2014 - 30 July 2014",
                (d(2014, 7, 8), d(2014, 7, 30)),
            ),
            ("25 and 26 July 2018", (d(2018, 7, 25), d(2018, 7, 26))),
            ("3 to 4 December 2025", (d(2025, 12, 3), d(2025, 12, 4))),
            ("12/09/2016 to 06/10/2016", (d(2016, 9, 12), d(2016, 10, 6))),
            (
                "28 December to 3 January 2020",
                (d(2019, 12, 28), d(2020, 1, 3)),
            ),
            ("1st to 5th Sept 2019", (d(2019, 9, 1), d(2019, 9, 5))),
            ("15 and 16 of May 2018", (d(2018, 5, 15), d(2018, 5, 16))),
        ];
        for (text, want) in cases {
            assert_eq!(range_at(text), Some(want), "{text}");
        }
    }

    #[test]
    fn impossible_dates_and_backwards_ranges_are_refused() {
        assert_eq!(range_at("30 to 31 February 2024"), None);
        assert_eq!(range_at("22 to 18 March 2024"), None);
        assert_eq!(date_at("31 April 2024"), None);
        assert_eq!(date_at("29 February 2024"), Some(d(2024, 2, 29)));
        assert_eq!(date_at("29 February 2023"), None);
        assert_eq!(date_at("12 Smarch 2024"), None);
    }

    #[test]
    fn a_single_date_stands_for_a_one_day_visit() {
        assert_eq!(
            first_range_or_date("on 18 September 2018. The inspectors were"),
            Some((d(2018, 9, 18), d(2018, 9, 18)))
        );
        assert_eq!(
            first_range_or_date("on 5 to 9 December 2022 and 14 to 15 February 2023"),
            Some((d(2022, 12, 5), d(2022, 12, 9)))
        );
    }
}
