//! The terminal table of `compare`: authorities × themes from a results folder, one figure
//! per cell, coloured by stance, with the change between inspections and notes underneath.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use crate::aggregate::{share_text, StanceCounts, MIN_SENTENCES_TO_COMPARE};
use crate::results::query::{Measure, Query, Selection, View};
use crate::results::{self, ReportRow, Results};

/// The table as text. `colour`: ANSI colours, green for praise (a positive share or balance,
/// strengths) and red for criticism (a negative one, weaknesses, recommendations).
pub fn compare(dir: &Path, query: &Query, colour: bool) -> Result<String> {
    let results = results::load(dir)?;
    if results.reports.is_empty() {
        bail!(
            "{} has no authorities: {} has no rows (the run found no report)",
            dir.display(),
            results.source.display()
        );
    }
    let selection = query.select(&results, dir)?;
    let table = Table::new(&results, &selection, query, colour);
    let mut out = table.title();
    out += &table.header();
    for &i in &selection.rows {
        out += &table.row(i);
    }
    out += &table.key();
    if query.view == View::EveryReport && query.measure == Measure::Share {
        out += &table.changes();
    }
    out += &left_out_note(&results, &selection.left_out);
    if table.one_per_authority && selection.rows.iter().any(|&i| table.report_count(i) > 1) {
        out.push_str(
            "Some authorities have several reports: --all-reports shows each, oldest first.\n",
        );
    }
    Ok(out)
}

/// The table's layout: columns, headers and widths.
struct Table<'a> {
    results: &'a Results,
    selection: &'a Selection,
    query: &'a Query,
    colour: bool,
    /// Reports of each authority, as indices.
    groups: Vec<Vec<usize>>,
    one_per_authority: bool,
    /// The theme ids of the columns.
    ids: Vec<&'a str>,
    /// Full ids as headers when they fit, else abbreviations with a key underneath.
    use_ids: bool,
    headers: Vec<String>,
    widths: Vec<usize>,
    name_width: usize,
}

impl<'a> Table<'a> {
    fn new(results: &'a Results, selection: &'a Selection, query: &'a Query, colour: bool) -> Self {
        let ids: Vec<&str> = selection
            .themes
            .iter()
            .map(|&i| results.theme_ids[i].as_str())
            .collect();
        let full_width: usize = ids.iter().map(|id| id.len() + 2).sum();
        let use_ids = full_width <= 100;
        let headers: Vec<String> = if use_ids {
            ids.iter().map(|s| s.to_string()).collect()
        } else {
            abbreviations(&ids)
        };
        let widths = headers.iter().map(|h| h.len().max(5)).collect();
        let name_width = selection
            .rows
            .iter()
            .map(|&i| results.reports[i].authority.chars().count())
            .max()
            .unwrap_or(9)
            .clamp(9, 36);
        Table {
            results,
            selection,
            query,
            colour,
            groups: results.by_authority(),
            one_per_authority: matches!(query.view, View::OnePerAuthority(_)),
            ids,
            use_ids,
            headers,
            widths,
            name_width,
        }
    }

    /// How many reports the authority of report `i` has.
    fn report_count(&self, i: usize) -> usize {
        self.groups
            .iter()
            .find(|g| g.contains(&i))
            .map_or(1, |g| g.len())
    }

    fn title(&self) -> String {
        let measure = self.query.measure;
        format!(
            "{} in {}; · = none{}. From {}\n",
            match measure {
                Measure::Share =>
                    "Share of each theme ((strengths − weaknesses − recommendations) / sentences about it)",
                Measure::N => "Sentences about each theme (n)",
                Measure::Balance => "Balance of each theme (strengths − weaknesses − recommendations)",
                Measure::Strengths => "Strengths about each theme (sentences)",
                Measure::Weaknesses => "Weaknesses about each theme (sentences)",
                Measure::Recommendations => "Recommendations about each theme (sentences)",
            },
            match self.query.view {
                View::OnePerAuthority(v) => v.describe(),
                View::EveryReport => "every report, oldest first",
            },
            if measure == Measure::Share {
                format!(", few = fewer than {MIN_SENTENCES_TO_COMPARE} sentences")
            } else {
                String::new()
            },
            self.results.source.display()
        )
    }

    fn header(&self) -> String {
        let name_width = self.name_width;
        let mut out = format!(
            "{:<name_width$}  {:<10}  {:<14}  {:<11}",
            "authority", "date", "kind", "grade"
        );
        if self.one_per_authority {
            out.push_str("  reps");
        }
        for (h, w) in self.headers.iter().zip(&self.widths) {
            let _ = write!(out, " {h:>w$}");
        }
        out.push('\n');
        out
    }

    /// Report `i`'s line.
    fn row(&self, i: usize) -> String {
        let row = &self.results.reports[i];
        let kind: String = row.kind.chars().take(14).collect();
        let name_width = self.name_width;
        let mut out = format!(
            "{:<name_width$}  {:<10}  {kind:<14}  {:<11}",
            self.short_name(&row.authority),
            if row.date.is_empty() { "-" } else { &row.date },
            short_grade(row.overall_grade())
        );
        if self.one_per_authority {
            let _ = write!(out, "  {:>4}", self.report_count(i));
        }
        for (&t, w) in self.selection.themes.iter().zip(&self.widths) {
            let (text, praise) = cell(&row.themes[t], self.query.measure);
            out.push_str(&self.paint(&text, praise, *w));
        }
        out.push('\n');
        out
    }

    /// The abbreviations' key, when the headers are abbreviated.
    fn key(&self) -> String {
        if self.use_ids {
            return String::new();
        }
        let mut out = String::from("Key:");
        for (h, id) in self.headers.iter().zip(&self.ids) {
            let _ = write!(out, " {h}={id}");
        }
        out.push('\n');
        out
    }

    /// Between the last two full inspections of each authority: each theme's change of
    /// share, grades beside.
    fn changes(&self) -> String {
        let mut changes = String::new();
        for group in &self.groups {
            let fulls: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&i| self.results.reports[i].is_full_inspection() && self.selection.kept[i])
                .collect();
            let [.., before, latest] = fulls[..] else {
                continue;
            };
            changes += &self.change(&self.results.reports[before], &self.results.reports[latest]);
        }
        if changes.is_empty() {
            return changes;
        }
        format!(
            "Change of share between the last two full inspections (latest − previous; overall \
             grade before → after; few = fewer than {MIN_SENTENCES_TO_COMPARE} sentences in either):\n{changes}"
        )
    }

    fn change(&self, old: &ReportRow, new: &ReportRow) -> String {
        let mut out = format!(
            "Δ {:<w$}  {} → {}  {} → {}",
            self.short_name(&new.authority),
            old.date,
            new.date,
            short_grade(old.overall_grade()),
            short_grade(new.overall_grade()),
            w = self.name_width.saturating_sub(2)
        );
        for (&t, w) in self.selection.themes.iter().zip(&self.widths) {
            let (c0, c1) = (&old.themes[t], &new.themes[t]);
            let (text, praise) = match (c0.share(), c1.share()) {
                (Some(s0), Some(s1)) if !c0.too_few() && !c1.too_few() => {
                    let d = s1 - s0;
                    (share_text(Some(d)), (d != 0.0).then_some(d > 0.0))
                }
                (None, None) => ("·".to_string(), None),
                _ => ("few".to_string(), None),
            };
            out.push_str(&self.paint(&text, praise, *w));
        }
        out.push('\n');
        out
    }

    /// A cell right-aligned in `width`, green for praise and red for criticism.
    fn paint(&self, text: &str, praise: Option<bool>, width: usize) -> String {
        let pad = width.saturating_sub(text.chars().count());
        let (on, off) = match (self.colour, praise) {
            (true, Some(true)) => ("\x1b[32m", "\x1b[0m"),
            (true, Some(false)) => ("\x1b[31m", "\x1b[0m"),
            _ => ("", ""),
        };
        format!(" {}{on}{text}{off}", " ".repeat(pad))
    }

    /// The name, cut with "…" to the name column.
    fn short_name(&self, name: &str) -> String {
        if name.chars().count() > self.name_width {
            let cut: String = name.chars().take(self.name_width - 1).collect();
            format!("{cut}…")
        } else {
            name.to_string()
        }
    }
}

/// Names the authorities the view left out for want of a full inspection.
fn left_out_note(results: &Results, left_out: &[usize]) -> String {
    if left_out.is_empty() {
        return String::new();
    }
    let names: Vec<String> = left_out
        .iter()
        .map(|&i| {
            let r = &results.reports[i];
            format!("{} ({} {})", r.authority, r.kind, r.date)
        })
        .collect();
    format!(
        "No full inspection, so not in this table: {} (--view latest-report shows their latest report).\n",
        names.join(", ")
    )
}

/// One cell: its text, and whether it praises (true), criticises (false) or is neutral (None).
fn cell(c: &StanceCounts, measure: Measure) -> (String, Option<bool>) {
    let none = || ("·".to_string(), None);
    match measure {
        Measure::Share => match c.share() {
            None => none(),
            Some(_) if c.too_few() => ("few".to_string(), None),
            Some(s) => (share_text(Some(s)), (s != 0.0).then_some(s > 0.0)),
        },
        Measure::N => match c.n() {
            0 => none(),
            n => (n.to_string(), None),
        },
        Measure::Balance => {
            let b = c.balance();
            if c.strengths + c.weaknesses + c.recommendations == 0 && b == 0 {
                none()
            } else if b > 0 {
                (format!("+{b}"), Some(true))
            } else {
                (b.to_string(), (b != 0).then_some(false))
            }
        }
        Measure::Strengths | Measure::Weaknesses | Measure::Recommendations => {
            let n = match measure {
                Measure::Strengths => c.strengths,
                Measure::Weaknesses => c.weaknesses,
                _ => c.recommendations,
            };
            if n == 0 {
                none()
            } else {
                (n.to_string(), Some(measure == Measure::Strengths))
            }
        }
    }
}

/// Short column headers for theme ids: the initials of their words ("early_help" → "EH"),
/// or the first two letters of a one-word id, made unique with a digit.
fn abbreviations(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let words: Vec<&str> = id.split('_').filter(|w| !w.is_empty()).collect();
        let base: String = if words.len() > 1 {
            words
                .iter()
                .filter_map(|w| w.chars().next())
                .collect::<String>()
        } else {
            id.chars().take(2).collect::<String>()
        }
        .to_uppercase();
        let mut abbr = base.clone();
        let mut n = 2;
        while out.contains(&abbr) {
            abbr = format!("{base}{n}");
            n += 1;
        }
        out.push(abbr);
    }
    out
}

/// Short grade names that fit a column.
fn short_grade(grade: &str) -> &str {
    match grade {
        "requires improvement" => "req. impr.",
        "" => "-",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::View as ReportsView;
    use crate::write::{AUTHORITIES_CSV, REPORTS_CSV, THEMES_CSV};

    /// The last `n` cells of a table line, last first.
    fn last_cells(line: &str, n: usize) -> Vec<&str> {
        line.split_whitespace().rev().take(n).collect()
    }

    /// A results folder in the shape `run` writes, with made-up figures: Northshire has two
    /// full inspections and a focused visit since; Bournemouth, Christchurch and Poole only a
    /// focused visit.
    fn results_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let themes = "\u{feff}report_id,local_authority,document_kind,report_date,theme,theme_name,\
strengths,weaknesses,recommendations,context,total\n\
bbb,\"Bournemouth, Christchurch and Poole\",focused visit,2024-01-10,early_help,Early help,0,0,0,0,0\n\
bbb,\"Bournemouth, Christchurch and Poole\",focused visit,2024-01-10,management_oversight,Management oversight,1,1,0,0,2\n\
yyy,Northshire,inspection,2017-01-01,early_help,Early help,0,3,1,0,4\n\
yyy,Northshire,inspection,2017-01-01,management_oversight,Management oversight,0,1,0,0,1\n\
zzz,Northshire,focused visit,2024-02-01,management_oversight,Management oversight,0,0,0,4,4\n\
aaa,Northshire,inspection,2023-05-04,early_help,Early help,3,1,0,0,4\n\
zzz,Northshire,focused visit,2024-02-01,early_help,Early help,0,2,1,0,3\n\
aaa,Northshire,inspection,2023-05-04,management_oversight,Management oversight,0,2,1,0,3\n";
        // Out of order, as after a sort in a spreadsheet.
        std::fs::write(dir.path().join(THEMES_CSV), themes).unwrap();
        let reports =
            "\u{feff}report_id,local_authority,la_code,ons_code,region,overall_effectiveness\n\
yyy,Northshire,,,,inadequate\naaa,Northshire,,,,good\nzzz,Northshire,,,,\n\
bbb,\"Bournemouth, Christchurch and Poole\",839,E06000058,South West,\n";
        std::fs::write(dir.path().join(REPORTS_CSV), reports).unwrap();
        dir
    }

    fn rows_of<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(name)).collect()
    }

    #[test]
    fn shares_of_the_latest_full_inspection_by_default() {
        let dir = results_dir();
        let text = compare(dir.path(), &Query::default(), false).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("Share of each theme"), "{text}");
        assert!(lines[0].contains("latest full inspection"), "{text}");
        assert!(lines[1].contains("early_help") && lines[1].contains("management_oversight"));
        let north = rows_of(&text, "Northshire");
        assert_eq!(north.len(), 1, "{text}");
        // aaa: early help (3 - 1 - 0) / 4; management oversight (0 - 2 - 1) / 3.
        assert!(north[0].contains("2023-05-04") && north[0].contains("inspection"));
        assert!(north[0].contains("good"), "{text}");
        assert_eq!(last_cells(north[0], 3), ["-1.00", "+0.50", "3"], "{text}");
        // A focused visit never stands beside a full inspection: named under the table.
        assert!(rows_of(&text, "Bournemouth").is_empty(), "{text}");
        assert!(
            text.contains("No full inspection, so not in this table: Bournemouth, Christchurch and Poole (focused visit 2024-01-10)"),
            "{text}"
        );
        assert!(text.contains("--all-reports shows each"), "{text}");
    }

    #[test]
    fn latest_report_view_and_other_measures() {
        let dir = results_dir();
        let latest = |measure| Query {
            view: View::OnePerAuthority(ReportsView::LatestReport),
            measure,
            ..Default::default()
        };
        let text = compare(dir.path(), &latest(Measure::Share), false).unwrap();
        let north = rows_of(&text, "Northshire");
        assert!(north[0].contains("2024-02-01") && north[0].contains("focused visit"));
        // zzz: early help (0 - 2 - 1) / 3; management oversight only context: 0 / 4.
        assert_eq!(last_cells(north[0], 2), ["+0.00", "-1.00"], "{text}");
        // BCP's management oversight rests on 2 sentences: too few; early help has none.
        let bcp = rows_of(&text, "Bournemouth");
        assert_eq!(last_cells(bcp[0], 2), ["few", "·"], "{text}");
        assert!(!text.contains("No full inspection"), "{text}");

        let text = compare(dir.path(), &latest(Measure::Balance), false).unwrap();
        assert_eq!(last_cells(rows_of(&text, "Northshire")[0], 2), ["·", "-3"]);
        assert_eq!(last_cells(rows_of(&text, "Bournemouth")[0], 2), ["0", "·"]);
        let text = compare(dir.path(), &latest(Measure::N), false).unwrap();
        assert_eq!(last_cells(rows_of(&text, "Northshire")[0], 2), ["4", "3"]);
        let text = compare(dir.path(), &latest(Measure::Recommendations), false).unwrap();
        assert!(
            text.starts_with("Recommendations about each theme"),
            "{text}"
        );
        assert_eq!(last_cells(rows_of(&text, "Northshire")[0], 2), ["·", "1"]);
    }

    #[test]
    fn filters_authorities_themes_and_regions() {
        let dir = results_dir();
        let text = compare(
            dir.path(),
            &Query {
                authorities: vec!["NORTHSHIRE".to_string()],
                themes: vec!["management_oversight".to_string()],
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert!(text.contains("Northshire"));
        assert!(!text.contains("Bournemouth"));
        assert!(!text.contains("early_help"));
        assert!(text.lines().nth(2).unwrap().trim_end().ends_with("-1.00"));
        // Part of a name matches too; the region comes from reports.csv's codes.
        let query = |authority: &str, region: Option<&str>| Query {
            authorities: if authority.is_empty() {
                vec![]
            } else {
                vec![authority.to_string()]
            },
            region: region.map(str::to_string),
            view: View::OnePerAuthority(ReportsView::LatestReport),
            ..Default::default()
        };
        let text = compare(dir.path(), &query("christchurch", None), false).unwrap();
        assert!(text.contains("Bournemouth") && !text.contains("Northshire"));
        let text = compare(dir.path(), &query("", Some("south west")), false).unwrap();
        assert!(
            text.contains("Bournemouth") && !text.contains("Northshire"),
            "{text}"
        );
        let e = compare(dir.path(), &query("", Some("London")), false).unwrap_err();
        assert!(e.to_string().contains("region London"), "{e}");
        let e = compare(dir.path(), &query("", Some("Wales")), false).unwrap_err();
        assert!(e.to_string().contains("unknown region"), "{e}");
    }

    #[test]
    fn clear_errors_for_unknown_theme_authority_and_empty_folder() {
        let dir = results_dir();
        let e = compare(
            dir.path(),
            &Query {
                themes: vec!["permanance".to_string()],
                ..Default::default()
            },
            false,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("unknown theme id \"permanance\""),
            "{e}"
        );
        assert!(
            e.to_string().contains("early_help"),
            "lists the known ids: {e}"
        );
        let e = compare(
            dir.path(),
            &Query {
                authorities: vec!["Westshire".to_string()],
                ..Default::default()
            },
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no authority"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        let e = compare(empty.path(), &Query::default(), false).unwrap_err();
        assert!(e.to_string().contains("holds no results"), "{e}");
        assert!(e.to_string().contains("there is no themes.csv"), "{e}");
        let e = compare(&empty.path().join("missing"), &Query::default(), false).unwrap_err();
        assert!(e.to_string().contains("is not a folder"), "{e}");
    }

    #[test]
    fn every_report_view_has_a_row_per_report_and_the_change_between_inspections() {
        let dir = results_dir();
        let every = Query {
            view: View::EveryReport,
            ..Default::default()
        };
        let text = compare(dir.path(), &every, false).unwrap();
        let rows = rows_of(&text, "Northshire");
        assert_eq!(rows.len(), 3, "{text}");
        assert!(rows[0].contains("2017-01-01") && rows[0].contains("inadequate"));
        assert!(rows[2].contains("2024-02-01") && rows[2].contains("focused visit"));
        assert!(
            !text.contains("reps"),
            "one row per report needs no count: {text}"
        );
        // Between the 2017 and 2023 inspections: early help -1.00 → +0.50; management
        // oversight rested on one sentence in 2017.
        let change = text
            .lines()
            .find(|l| l.starts_with("Δ Northshire"))
            .unwrap();
        assert!(change.contains("2017-01-01 → 2023-05-04"), "{change}");
        assert!(change.contains("inadequate → good"), "{change}");
        assert_eq!(last_cells(change, 2), ["few", "+1.50"], "{text}");
        assert!(!text.contains("Δ Bournemouth"), "one report only: {text}");
        // Other measures have no change rows.
        let counts = Query {
            view: View::EveryReport,
            measure: Measure::Recommendations,
            ..Default::default()
        };
        let text = compare(dir.path(), &counts, false).unwrap();
        assert!(!text.contains('Δ'), "{text}");

        // Without reports.csv the grades are unknown: refused, not shown as "-".
        std::fs::remove_file(dir.path().join(REPORTS_CSV)).unwrap();
        let err = format!("{:#}", compare(dir.path(), &every, false).unwrap_err());
        assert!(err.contains("there is no reports.csv"), "{err}");
    }

    /// A reports.csv cut short, or with a report themes.csv lacks, is refused naming the
    /// file and the report.
    #[test]
    fn a_reports_csv_that_disagrees_with_themes_csv_is_refused() {
        let dir = results_dir();
        let path = dir.path().join(REPORTS_CSV);
        let full = std::fs::read_to_string(&path).unwrap();
        let short: String = full.lines().take(4).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, short).unwrap();
        let err = format!(
            "{:#}",
            compare(dir.path(), &Query::default(), false).unwrap_err()
        );
        assert!(
            err.contains("reports.csv has no row for report bbb"),
            "{err}"
        );
        std::fs::write(&path, format!("{full}ccc,Elsewhere,,,,good\n")).unwrap();
        let err = format!(
            "{:#}",
            compare(dir.path(), &Query::default(), false).unwrap_err()
        );
        assert!(err.contains("has report ccc, which"), "{err}");
    }

    /// On a real run over the seeds, every figure printed, of each measure, is the one in
    /// authorities.csv (both in the latest-report view: the seeds have no full inspection).
    #[test]
    fn figures_agree_with_a_real_run() {
        let out = tempfile::tempdir().unwrap();
        let options = crate::pipeline::RunOptions {
            paths: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")],
            out: out.path().to_path_buf(),
            store: out.path().join(crate::store::DEFAULT_FILE_NAME),
            taxonomy: crate::taxonomy::Taxonomy::bundled(),
            // The seeds are news articles: no full inspection.
            view: ReportsView::LatestReport,
            all_reports: false,
            quiet: true,
            reader: Default::default(),
            relabel: false,
            accept_any_document: false,
        };
        // The rules label: what is tested is the table, against the CSVs of the same run.
        let rules = crate::classify::RulesClassifier::new(options.taxonomy.clone());
        crate::pipeline::run(&options, Box::new(rules), false).unwrap();
        let (header, records) = results::read_csv(&out.path().join(AUTHORITIES_CSV)).unwrap();
        assert!(!records.is_empty());
        let value = |record: &[String], name: &str| -> String {
            let col = header.iter().position(|h| h == name).unwrap();
            record[col].clone()
        };
        let number =
            |record: &[String], name: &str| -> i64 { value(record, name).parse().unwrap() };
        let theme_ids: Vec<&str> = header
            .iter()
            .filter_map(|h| h.strip_suffix("_share"))
            .collect();
        let mut non_zero = 0;
        for (measure, part) in [
            (Measure::Share, "share"),
            (Measure::N, "n"),
            (Measure::Balance, "balance"),
            (Measure::Strengths, "strengths"),
            (Measure::Weaknesses, "weaknesses"),
            (Measure::Recommendations, "recommendations"),
        ] {
            let query = Query {
                measure,
                view: View::OnePerAuthority(ReportsView::LatestReport),
                ..Default::default()
            };
            let text = compare(out.path(), &query, false).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines.len() >= records.len() + 2, "{text}");
            for (record, line) in records.iter().zip(&lines[2..]) {
                assert!(
                    line.starts_with(&value(record, "local_authority")),
                    "{line}"
                );
                let cells: Vec<&str> = line.split_whitespace().collect();
                let figures = &cells[cells.len() - theme_ids.len()..];
                for (id, figure) in theme_ids.iter().zip(figures) {
                    let v = value(record, &format!("{id}_{part}"));
                    let n = number(record, &format!("{id}_n"));
                    let counted: i64 = ["strengths", "weaknesses", "recommendations"]
                        .iter()
                        .map(|p| number(record, &format!("{id}_{p}")))
                        .sum();
                    let expected = match measure {
                        Measure::Share if n == 0 => "·".to_string(),
                        Measure::Share if n < 3 => "few".to_string(),
                        Measure::Balance if counted == 0 => "·".to_string(),
                        Measure::Balance if !v.starts_with('-') && v != "0" => format!("+{v}"),
                        Measure::Share | Measure::Balance => v.clone(),
                        _ if v == "0" => "·".to_string(),
                        _ => v.clone(),
                    };
                    assert_eq!(*figure, expected, "{measure:?} {id}: {line}");
                    non_zero += usize::from(!v.is_empty() && v != "0" && v != "+0.00");
                }
            }
        }
        assert!(
            non_zero > 0,
            "some figure is not zero, so the check means something"
        );
    }

    #[test]
    fn abbreviations_are_unique() {
        let a = abbreviations(&["early_help", "education", "exploitation_missing", "edu"]);
        assert_eq!(a, ["EH", "ED", "EM", "ED2"]);
    }
}
