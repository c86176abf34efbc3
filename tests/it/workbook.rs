//! The workbook `ofsted-themes.xlsx` read back with calamine and checked, cell by cell,
//! against the CSVs of the same run; plus its sheet structure and reproducibility.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use calamine::{open_workbook, Data, Reader, Xlsx};
use ofsted_themes::taxonomy::Taxonomy;

use crate::util::{project, BIN};

/// Runs `ofsted-themes run INPUT --out TEMP` and returns the folder.
fn run(input: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(BIN)
        .arg("run")
        .arg(input)
        .arg("--out")
        .arg(out.path())
        .arg("--quiet")
        // The workbook is what is tested here; the rules keep 160 reports quick.
        .args(["--classifier", "rules"])
        // The seeds and the focused visits have no full inspection, so the default
        // (like-for-like) Authorities sheet would be empty.
        .args(["--view", "latest-report"])
        .status()
        .expect("the binary runs");
    assert!(
        status.code() == Some(0),
        "run on {} failed: {status}",
        input.display()
    );
    out
}

/// A CSV written by `run`: header and rows, byte-order mark dropped.
fn csv_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("CSVs start with a BOM");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(uncell).collect())
        .collect();
    (header, rows)
}

/// Undoes the CSVs' formula guard: the workbook writes text cells as text, unguarded.
fn uncell(text: &str) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '@', '-']) => rest.to_string(),
        _ => text.to_string(),
    }
}

/// A sheet as strings: whole numbers without ".0", empty cells as "".
fn sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(name).unwrap();
    assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    other => panic!("{name}: unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Checks every sheet of the workbook in `dir` against the CSVs there.
fn check_against_csvs(dir: &Path) {
    let xlsx = dir.join("ofsted-themes.xlsx");
    let taxonomy = Taxonomy::bundled();
    let book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Reports", "Authorities", "Themes", "Sentences"]
    );

    // Reports: the same table as reports.csv.
    let (header, rows) = csv_table(&dir.join("reports.csv"));
    let sheet_rows = sheet(&xlsx, "Reports");
    assert_eq!(sheet_rows[0], header, "Reports has reports.csv's columns");
    assert_eq!(sheet_rows.len() - 1, rows.len(), "one row per report");
    assert!(!rows.is_empty());
    for (got, want) in sheet_rows[1..].iter().zip(&rows) {
        assert_eq!(got, want);
    }

    // Authorities: name, date, kind, id, grades as in authorities.csv, then each theme's balance.
    let (header, rows) = csv_table(&dir.join("authorities.csv"));
    let sheet_rows = sheet(&xlsx, "Authorities");
    assert_eq!(sheet_rows.len() - 1, rows.len(), "one row per authority");
    let sheet_header = &sheet_rows[0];
    let leading = [
        "local_authority",
        "overall_effectiveness",
        "impact_of_leaders",
        "help_and_protection",
        "children_in_care",
        "care_leavers",
        "adoption",
        "lscb",
        "report_date",
        "document_kind",
        "report_id",
        "la_code",
        "ons_code",
        "region",
    ];
    assert_eq!(&sheet_header[..leading.len()], leading);
    let theme_names: Vec<&str> = taxonomy.themes.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        &sheet_header[leading.len()..],
        theme_names,
        "themes across, by name"
    );
    let mut balances_seen = 0;
    for (got, want) in sheet_rows[1..].iter().zip(&rows) {
        for (c, name) in leading.iter().enumerate() {
            assert_eq!(got[c], want[column(&header, name)], "{name} of {}", want[0]);
        }
        for (t, theme) in taxonomy.themes.iter().enumerate() {
            let want_balance = &want[column(&header, &format!("{}_balance", theme.id))];
            assert_eq!(
                &got[leading.len() + t],
                want_balance,
                "{} of {}",
                theme.id,
                want[0]
            );
            balances_seen += usize::from(want_balance != "0");
        }
    }
    assert!(
        balances_seen > 0,
        "some balance is not zero, so the check means something"
    );

    // Themes: themes.csv's counts, with the balance.
    let (header, rows) = csv_table(&dir.join("themes.csv"));
    let sheet_rows = sheet(&xlsx, "Themes");
    assert_eq!(
        sheet_rows.len() - 1,
        rows.len(),
        "one row per report and theme"
    );
    let sheet_header = sheet_rows[0].clone();
    for (got, want) in sheet_rows[1..].iter().zip(&rows) {
        for name in [
            "report_id",
            "local_authority",
            "report_date",
            "theme",
            "strengths",
            "weaknesses",
            "recommendations",
            "context",
            "total",
        ] {
            assert_eq!(
                got[column(&sheet_header, name)],
                want[column(&header, name)],
                "{name}"
            );
        }
        let n = |name: &str| want[column(&header, name)].parse::<i64>().unwrap();
        let balance = n("strengths") - n("weaknesses") - n("recommendations");
        assert_eq!(got[column(&sheet_header, "balance")], balance.to_string());
    }

    // Sentences: full text, stance and themes, and each theme's column holds the stance.
    let (header, rows) = csv_table(&dir.join("sentences.csv"));
    let sheet_rows = sheet(&xlsx, "Sentences");
    assert_eq!(sheet_rows.len() - 1, rows.len(), "one row per sentence");
    let sheet_header = sheet_rows[0].clone();
    let theme_column: BTreeMap<&str, usize> = taxonomy
        .themes
        .iter()
        .map(|t| (t.id.as_str(), column(&sheet_header, &t.name)))
        .collect();
    let mut themed = 0;
    for (got, want) in sheet_rows[1..].iter().zip(&rows) {
        for name in [
            "local_authority",
            "report_date",
            "report_id",
            "sentence_no",
            "section",
            "text",
            "stance",
            "themes",
        ] {
            assert_eq!(
                got[column(&sheet_header, name)],
                want[column(&header, name)],
                "{name}"
            );
        }
        let stance = &want[column(&header, "stance")];
        let themes: Vec<&str> = want[column(&header, "themes")]
            .split(';')
            .filter(|s| !s.is_empty())
            .collect();
        for (id, &c) in &theme_column {
            let expected = if themes.contains(id) {
                stance.as_str()
            } else {
                ""
            };
            assert_eq!(got[c], expected, "column {id} of sentence {:?}", want[7]);
        }
        themed += usize::from(!themes.is_empty());
    }
    assert!(themed > 0, "some sentences have themes");
}

#[test]
fn workbook_on_the_seeds_agrees_with_the_csvs() {
    let out = run(&project("seeds"));
    check_against_csvs(out.path());
}

#[test]
fn workbook_on_real_reports_agrees_with_the_csvs() {
    let out = run(&crate::util::fixture(""));
    check_against_csvs(out.path());
}

#[test]
fn workbook_on_the_whole_corpus_agrees_with_the_csvs() {
    let out = run(&shared_or_skip!("corpus"));
    check_against_csvs(out.path());
}

/// The XML of one sheet of the workbook.
fn sheet_xml(xlsx: &Path, n: usize) -> String {
    let file = std::fs::File::open(xlsx).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut xml = String::new();
    zip.by_name(&format!("xl/worksheets/sheet{n}.xml"))
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn every_sheet_has_a_frozen_header_an_autofilter_and_column_widths() {
    let out = run(&project("seeds"));
    let xlsx = out.path().join("ofsted-themes.xlsx");
    for n in 1..=4 {
        let xml = sheet_xml(&xlsx, n);
        assert!(xml.contains("state=\"frozen\""), "sheet {n}: frozen panes");
        assert!(
            xml.contains("ySplit=\"1\""),
            "sheet {n}: the header row is frozen"
        );
        assert!(
            xml.contains("<autoFilter ref=\"A1:"),
            "sheet {n}: autofilter"
        );
        assert!(
            xml.contains("<col ") && xml.contains("customWidth=\"1\""),
            "sheet {n}: widths"
        );
    }
    // Authorities: the balances are a red-white-green colour scale centred on zero.
    let xml = sheet_xml(&xlsx, 2);
    assert!(xml.contains("<colorScale>"), "heat map on Authorities");
    assert!(
        xml.contains("<cfvo type=\"num\" val=\"0\"/>"),
        "midpoint at zero"
    );
}

#[test]
fn workbook_and_page_are_byte_identical_across_runs() {
    let first = run(&project("seeds"));
    let second = run(&project("seeds"));
    for name in ["ofsted-themes.xlsx", "report.html"] {
        let a = std::fs::read(first.path().join(name)).unwrap();
        let b = std::fs::read(second.path().join(name)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{name} differs between two runs on the same input");
    }
}
