//! Report facts checked against a corpus's manifest (the committed fixtures everywhere, the
//! 160-PDF `../shared/corpus` where it is beside the project) and the news-article seeds.
//!
//! Run with `cargo test --release --test it facts_corpus -- --nocapture` to see per-field
//! accuracy and every mismatch.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use ofsted_themes::types::{Date, DocumentKind, Grade, ReportFacts};
use ofsted_themes::{clean, facts, ingest};
use rayon::prelude::*;

/// The share of checked fields that must be right across the corpus.
const MIN_ACCURACY: f64 = 0.98;

fn read_facts(path: &Path) -> Result<ReportFacts, String> {
    let doc = ingest::read(path).map_err(|e| e.to_string())?;
    let blocks = clean::clean(&doc);
    Ok(facts::extract(&doc, &blocks))
}

/// Authority names compared case-blind, "&" as "and", punctuation as spaces.
fn comparable_name(name: &str) -> String {
    name.to_lowercase()
        .replace('&', " and ")
        .replace(['\'', '\u{2019}', '.'], "")
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A manifest grade cell; `None` for cells that are not checked (empty, `data_unreadable`,
/// `inspection_pre_dates_judgement`).
fn manifest_grade(cell: &str) -> Option<Grade> {
    let cell = cell.trim().to_lowercase();
    if cell.contains("requires improvement") {
        Some(Grade::RequiresImprovement)
    } else if cell == "outstanding" {
        Some(Grade::Outstanding)
    } else if cell == "good" {
        Some(Grade::Good)
    } else if cell == "inadequate" {
        Some(Grade::Inadequate)
    } else {
        None
    }
}

/// A manifest date, dd/mm/yyyy.
fn manifest_date(cell: &str) -> Option<Date> {
    let mut parts = cell.trim().split('/');
    let day = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    Some(Date { year, month, day })
}

fn show<T: std::fmt::Debug>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or("none".to_string(), |v| format!("{v:?}"))
}

/// A row of manifest.csv: column name → cell.
type ManifestRow = BTreeMap<String, String>;

#[derive(Default)]
struct Tally {
    right: usize,
    checked: usize,
}

#[test]
fn fixture_facts_match_the_manifest() {
    facts_match_the_manifest(&crate::util::fixture(""), 8);
}

#[test]
fn corpus_facts_match_the_manifest() {
    facts_match_the_manifest(&shared_or_skip!("corpus"), 160);
}

/// Reads the facts of every file in `corpus`'s manifest (at least `expected` files) and
/// compares them with the manifest's authority, dates and grades.
fn facts_match_the_manifest(corpus: &Path, expected: usize) {
    let mut reader = csv::Reader::from_path(corpus.join("manifest.csv")).expect("manifest reads");
    let rows: Vec<ManifestRow> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("manifest rows parse");
    assert!(
        rows.len() >= expected,
        "manifest has only {} rows",
        rows.len()
    );

    let results: Vec<(&ManifestRow, Result<ReportFacts, String>)> = rows
        .par_iter()
        .map(|row| (row, read_facts(&corpus.join(&row["file"]))))
        .collect();

    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut mismatches = String::new();
    let mut letter_dates: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut letter_date_differences = String::new();
    let mut unstated = String::new();
    for (row, result) in &results {
        let file = &row["file"];
        let facts = match result {
            Ok(facts) => facts,
            Err(e) => {
                writeln!(mismatches, "{file}: unreadable: {e}").unwrap();
                tallies.entry("readable").or_default().checked += 1;
                continue;
            }
        };
        let mut check = |field: &'static str, ok: bool, want: String, got: String| {
            let tally = tallies.entry(field).or_default();
            tally.checked += 1;
            if ok {
                tally.right += 1;
            } else {
                writeln!(
                    mismatches,
                    "{file}: {field}: manifest {want}, extracted {got}"
                )
                .unwrap();
            }
        };

        // The manifest's spelling, put in canonical form where the list knows it.
        let manifest_name = &row["local_authority"];
        let want_name = comparable_name(
            &facts::authority::canonical(manifest_name).unwrap_or(manifest_name.clone()),
        );
        let got_name = facts.local_authority.as_deref().map(comparable_name);
        check(
            "authority",
            got_name.as_deref() == Some(want_name.as_str()),
            want_name.clone(),
            show(&got_name),
        );

        let want_kind = match row["kind"].as_str() {
            "focused-visit" => DocumentKind::FocusedVisit,
            _ => DocumentKind::Inspection,
        };
        check(
            "kind",
            facts.kind == want_kind,
            format!("{want_kind:?}"),
            format!("{:?}", facts.kind),
        );

        for (field, column, got) in [
            ("start date", "inspection_start_date", facts.start_date),
            ("end date", "inspection_end_date", facts.end_date),
        ] {
            if let Some(want) = manifest_date(&row[column]) {
                check(
                    field,
                    got == Some(want),
                    want.to_string(),
                    show(&got.map(|d| d.to_string())),
                );
            }
        }

        let g = &facts.grades;
        for (field, column, got) in [
            (
                "overall",
                "overall_effectiveness_grade",
                g.overall_effectiveness,
            ),
            ("leaders", "impact_of_leaders_grade", g.impact_of_leaders),
            (
                "help and protection",
                "help_and_protection_grade",
                g.help_and_protection,
            ),
            ("children in care", "in_care_grade", g.children_in_care),
            ("care leavers", "care_leavers_grade", g.care_leavers),
        ] {
            if let Some(want) = manifest_grade(&row[column]) {
                check(field, got == Some(want), format!("{want:?}"), show(&got));
            }
        }

        // Facts the manifest does not hold but every corpus report states.
        let mut missing: Vec<&str> = Vec::new();
        if facts.start_date.is_none() || facts.end_date.is_none() {
            missing.push("visit dates");
        }
        if facts.lead_inspector.is_none() {
            missing.push("lead inspector");
        }
        if want_kind == DocumentKind::FocusedVisit && facts.published.is_none() {
            missing.push("letter date");
        }
        // SIF reports (the manifest's `data_unreadable` rows) still print their grades.
        if row["help_and_protection_grade"] == "data_unreadable" {
            let g = &facts.grades;
            let sif = [
                g.overall_effectiveness,
                g.impact_of_leaders,
                g.help_and_protection,
                g.children_in_care,
                g.adoption,
                g.care_leavers,
            ];
            if sif.iter().any(Option::is_none) {
                missing.push("a SIF grade");
            }
        }
        if !missing.is_empty() {
            writeln!(unstated, "{file}: no {}", missing.join(", no ")).unwrap();
        }

        // A letter's date is usually, not always, its publication date (a letter may be
        // dated after it was published, or carry a typing slip): shown, not counted.
        if want_kind == DocumentKind::FocusedVisit {
            let got = facts.published.map(|d| d.to_string());
            let tally = letter_dates.entry("letter date (info)").or_default();
            tally.checked += 1;
            if got.as_deref() == Some(row["date"].as_str()) {
                tally.right += 1;
            } else {
                writeln!(
                    letter_date_differences,
                    "{file}: publication {}, letter dated {}",
                    row["date"],
                    show(&got)
                )
                .unwrap();
            }
        }
    }

    let (mut right, mut checked) = (0, 0);
    println!("\nfacts accuracy over {} corpus files", results.len());
    for (field, tally) in &tallies {
        println!(
            "  {field:<20} {:>4}/{:<4} {:6.2}%",
            tally.right,
            tally.checked,
            100.0 * tally.right as f64 / tally.checked.max(1) as f64
        );
        right += tally.right;
        checked += tally.checked;
    }
    let accuracy = right as f64 / checked.max(1) as f64;
    println!(
        "  {:<20} {right:>4}/{checked:<4} {:6.2}%",
        "ALL",
        100.0 * accuracy
    );
    for (field, tally) in &letter_dates {
        println!(
            "  {field:<20} {:>4}/{:<4} (not counted)",
            tally.right, tally.checked
        );
    }
    print!("{letter_date_differences}");
    if mismatches.is_empty() {
        println!("no mismatches");
    } else {
        println!("mismatches:\n{mismatches}");
    }
    assert!(
        unstated.is_empty(),
        "facts every corpus report states were not found:\n{unstated}"
    );
    assert!(
        accuracy >= MIN_ACCURACY,
        "facts accuracy {:.2}% is below {:.0}%; mismatches:\n{mismatches}",
        100.0 * accuracy,
        100.0 * MIN_ACCURACY
    );
}

/// The seeds are news articles; each test reads the article and states what it says.
#[test]
fn seed_news_articles() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let expected: [(&str, &str, [Option<Grade>; 4]); 5] = [
        // [overall, leaders, help and protection, children in care]
        (
            "000_0acf5d652a6d567f.txt",
            "Hartlepool",
            [
                Some(Grade::Good),
                Some(Grade::Good),
                Some(Grade::Good),
                Some(Grade::Outstanding),
            ],
        ),
        // A focused visit: no grades.
        ("001_031019ef66a062c8.txt", "Hampshire", [None; 4]),
        (
            "002_b1a73bd0b7f72ad9.txt",
            "Calderdale",
            [
                Some(Grade::Good),
                Some(Grade::Good),
                Some(Grade::RequiresImprovement),
                Some(Grade::Outstanding),
            ],
        ),
        // "Leaders at St Helen's": a focused visit, no grades.
        ("003_1fa2a546be10e564.txt", "St Helens", [None; 4]),
        // A focused visit; "judged to be good overall" is the previous inspection's grade.
        ("004_a5defbb08fc3c8b4.txt", "South Tyneside", [None; 4]),
    ];
    for (file, authority, [overall, leaders, help, in_care]) in expected {
        let path = seeds.join(file);
        assert!(path.is_file(), "seed missing: {}", path.display());
        let f = read_facts(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(f.kind, DocumentKind::NewsArticle, "{file}");
        assert_eq!(f.local_authority.as_deref(), Some(authority), "{file}");
        let g = &f.grades;
        assert_eq!(g.overall_effectiveness, overall, "{file} overall");
        assert_eq!(g.impact_of_leaders, leaders, "{file} leaders");
        assert_eq!(g.help_and_protection, help, "{file} help and protection");
        assert_eq!(g.children_in_care, in_care, "{file} children in care");
        assert_eq!(g.care_leavers, None, "{file} care leavers");
        assert_eq!((f.start_date, f.end_date), (None, None), "{file} dates");
    }
}
