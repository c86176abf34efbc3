//! `ofsted-themes compare`: a quick look at an earlier run's results in the terminal.
//!
//! Reads authorities.csv (and reports.csv, for each authority's number of reports) from a
//! results folder, so it works on any earlier run without the reports themselves. With
//! `--all-reports` it reads themes.csv instead, for every report of an authority in date order:
//! how it changed from one inspection or visit to the next.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::cmd::{exit, EXIT_OK};
use crate::write::{AUTHORITIES_CSV, REPORTS_CSV, THEMES_CSV};

/// Print a compact table of authorities × themes from a results folder: the balance of each
/// theme (strengths − weaknesses − recommendations) in each authority's latest report, or in
/// every report with `--all-reports`. "·" marks a theme with no strength, weakness or
/// recommendation.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// A folder written by `ofsted-themes run` (holding authorities.csv).
    #[arg(value_name = "OUTPUT_DIR")]
    pub dir: PathBuf,

    /// Only this authority (case-insensitive; a part of the name also matches). Repeatable.
    #[arg(long = "authority", value_name = "NAME")]
    pub authorities: Vec<String>,

    /// Only this theme, by id (e.g. early_help). Repeatable.
    #[arg(long = "theme", value_name = "ID")]
    pub themes: Vec<String>,

    /// Every report of each authority, oldest first, instead of its latest: how it changed.
    #[arg(long)]
    pub all_reports: bool,

    /// The figure in each cell: the balance, or the number of sentences of one stance
    /// ("recommendations": which authorities were told to improve a theme).
    #[arg(long, value_enum, value_name = "FIGURE", default_value_t = Measure::Balance)]
    pub show: Measure,
}

/// Which reports the table has a row for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Each authority's latest report (authorities.csv).
    #[default]
    Latest,
    /// Every report, by authority then date (themes.csv).
    EveryReport,
}

/// The figure each cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Measure {
    /// Strengths − (weaknesses + recommendations).
    #[default]
    Balance,
    /// Sentences that praise the theme.
    Strengths,
    /// Sentences that criticise it.
    Weaknesses,
    /// Sentences that say what should improve.
    Recommendations,
}

/// What the table shows: which authorities, themes and reports, and which figure.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Authority names (case-insensitive; a part of the name also matches); empty: all.
    pub authorities: Vec<String>,
    /// Theme ids, in the order wanted; empty: all.
    pub themes: Vec<String>,
    pub view: View,
    pub measure: Measure,
}

pub fn execute(args: CompareArgs) -> Result<ExitCode> {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let query = Query {
        authorities: args.authorities,
        themes: args.themes,
        view: if args.all_reports {
            View::EveryReport
        } else {
            View::Latest
        },
        measure: args.show,
    };
    let text = compare(&args.dir, &query, colour)?;
    print!("{text}");
    Ok(exit(EXIT_OK))
}

/// One row of authorities.csv, reduced to what the table shows.
struct Row {
    authority: String,
    date: String,
    kind: String,
    grade: String,
    /// Per theme, in the order of `Results::theme_ids`.
    figures: Vec<Figures>,
}

/// One theme's counts in one report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Figures {
    strengths: i64,
    weaknesses: i64,
    recommendations: i64,
    /// As the results file has it: strengths − (weaknesses + recommendations).
    balance: i64,
}

impl Figures {
    fn new(strengths: i64, weaknesses: i64, recommendations: i64) -> Figures {
        Figures {
            strengths,
            weaknesses,
            recommendations,
            balance: strengths - (weaknesses + recommendations),
        }
    }

    /// The cell's figure, and whether there is anything to show (else "·").
    fn shown(&self, measure: Measure) -> (i64, bool) {
        let any = self.strengths + self.weaknesses + self.recommendations > 0;
        match measure {
            Measure::Balance => (self.balance, any || self.balance != 0),
            Measure::Strengths => (self.strengths, self.strengths > 0),
            Measure::Weaknesses => (self.weaknesses, self.weaknesses > 0),
            Measure::Recommendations => (self.recommendations, self.recommendations > 0),
        }
    }
}

struct Results {
    /// The file the rows came from, named in the table's title.
    source: PathBuf,
    theme_ids: Vec<String>,
    rows: Vec<Row>,
    /// Lower-case authority → number of reports, when reports.csv is there.
    report_counts: Option<BTreeMap<String, usize>>,
}

/// Reads a CSV written by `run`, dropping its byte-order mark.
fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}, row {}", path.display(), i + 2))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// The path of a results file, or an error saying how to make it.
fn results_file(dir: &Path, name: &str) -> Result<PathBuf> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let path = dir.join(name);
    if !path.is_file() {
        bail!(
            "{} holds no results: there is no {name} (make one with `ofsted-themes run REPORTS --out {}`)",
            dir.display(),
            dir.display()
        );
    }
    Ok(path)
}

/// The position of a named column, or an error naming the file.
fn column_of(header: &[String], name: &str, path: &Path) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("{}: no column {name:?}", path.display()))
}

/// A count or balance cell, or an error naming the file, row and column.
fn number_in(
    row: &[String],
    col: usize,
    line: usize,
    header: &[String],
    path: &Path,
) -> Result<i64> {
    let cell = row.get(col).map(String::as_str).unwrap_or("");
    cell.trim().parse::<i64>().with_context(|| {
        format!(
            "{}, row {line}, column {}: {cell:?} is not a number",
            path.display(),
            header[col]
        )
    })
}

fn load(dir: &Path, view: View) -> Result<Results> {
    match view {
        View::Latest => load_latest(dir),
        View::EveryReport => load_every_report(dir),
    }
}

/// One row per authority, from authorities.csv.
fn load_latest(dir: &Path) -> Result<Results> {
    let path = results_file(dir, AUTHORITIES_CSV)?;
    let (header, records) = read_csv(&path)?;
    let column = |name: &str| column_of(&header, name, &path);
    let authority = column("local_authority")?;
    let date = column("report_date")?;
    let kind = column("document_kind")?;
    let grade = column("overall_effectiveness")?;
    // Themes are whatever the run's taxonomy had: every THEME_balance column, with its
    // THEME_strengths, THEME_weaknesses and THEME_recommendations.
    let mut theme_ids = Vec::new();
    let mut theme_columns = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(id) = h.strip_suffix("_balance") {
            let [s, w, r] = ["strengths", "weaknesses", "recommendations"]
                .map(|p| column(&format!("{id}_{p}")));
            theme_ids.push(id.to_string());
            theme_columns.push((i, [s?, w?, r?]));
        }
    }
    let number =
        |row: &[String], col: usize, line: usize| number_in(row, col, line, &header, &path);
    let mut rows = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let line = i + 2;
        let mut figures = Vec::new();
        for (balance, [s, w, r]) in &theme_columns {
            figures.push(Figures {
                strengths: number(record, *s, line)?,
                weaknesses: number(record, *w, line)?,
                recommendations: number(record, *r, line)?,
                balance: number(record, *balance, line)?,
            });
        }
        let cell = |c: usize| record.get(c).cloned().unwrap_or_default();
        rows.push(Row {
            authority: cell(authority),
            date: cell(date),
            kind: cell(kind),
            grade: cell(grade),
            figures,
        });
    }
    let reports_path = dir.join(REPORTS_CSV);
    let report_counts = if reports_path.is_file() {
        let (header, records) = read_csv(&reports_path)?;
        let col = column_of(&header, "local_authority", &reports_path)?;
        let mut counts = BTreeMap::new();
        for r in &records {
            let name = r.get(col).map(|s| s.to_lowercase()).unwrap_or_default();
            *counts.entry(name).or_insert(0) += 1;
        }
        Some(counts)
    } else {
        None
    };
    Ok(Results {
        source: path,
        theme_ids,
        rows,
        report_counts,
    })
}

/// One row per report, from themes.csv (one line per report and theme), by authority then
/// date, with each report's overall grade from reports.csv when it is there.
fn load_every_report(dir: &Path) -> Result<Results> {
    let path = results_file(dir, THEMES_CSV)?;
    let (header, records) = read_csv(&path)?;
    let column = |name: &str| column_of(&header, name, &path);
    let [report, authority, kind, date, theme, strengths, weaknesses, recommendations] = [
        "report_id",
        "local_authority",
        "document_kind",
        "report_date",
        "theme",
        "strengths",
        "weaknesses",
        "recommendations",
    ]
    .map(column);
    let (report, authority, kind, date, theme) = (report?, authority?, kind?, date?, theme?);
    let counts = [strengths?, weaknesses?, recommendations?];

    let grades: BTreeMap<String, String> = {
        let reports_path = dir.join(REPORTS_CSV);
        if reports_path.is_file() {
            let (header, records) = read_csv(&reports_path)?;
            let id = column_of(&header, "report_id", &reports_path)?;
            let grade = column_of(&header, "overall_effectiveness", &reports_path)?;
            records
                .iter()
                .map(|r| (r[id].clone(), r.get(grade).cloned().unwrap_or_default()))
                .collect()
        } else {
            BTreeMap::new()
        }
    };

    /// One report while its lines of themes.csv are gathered.
    struct Gathered {
        id: String,
        row: Row,
        /// Theme id → its counts.
        by_theme: BTreeMap<String, Figures>,
    }
    let mut theme_ids: Vec<String> = Vec::new();
    let mut reports: Vec<Gathered> = Vec::new();
    let mut position: BTreeMap<String, usize> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let line = i + 2;
        let cell = |c: usize| record.get(c).cloned().unwrap_or_default();
        let [s, w, r] = counts.map(|c| number_in(record, c, line, &header, &path));
        let (s, w, r) = (s?, w?, r?);
        let id = cell(theme);
        if !theme_ids.contains(&id) {
            theme_ids.push(id.clone());
        }
        let at = *position.entry(cell(report)).or_insert_with(|| {
            reports.push(Gathered {
                id: cell(report),
                row: Row {
                    authority: cell(authority),
                    date: cell(date),
                    kind: cell(kind),
                    grade: grades.get(&cell(report)).cloned().unwrap_or_default(),
                    figures: Vec::new(),
                },
                by_theme: BTreeMap::new(),
            });
            reports.len() - 1
        });
        reports[at].by_theme.insert(id, Figures::new(s, w, r));
    }
    // `run` writes themes.csv in this order already; sorting keeps the view right for a file
    // that was re-sorted in a spreadsheet.
    reports.sort_by_cached_key(|g| {
        (
            g.row.authority.to_lowercase(),
            g.row.date.clone(),
            g.id.clone(),
        )
    });
    let rows = reports
        .into_iter()
        .map(|mut g| {
            g.row.figures = theme_ids
                .iter()
                .map(|t| g.by_theme.get(t).copied().unwrap_or_default())
                .collect();
            g.row
        })
        .collect();
    Ok(Results {
        source: path,
        theme_ids,
        rows,
        report_counts: None,
    })
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

/// The table as text. `colour`: ANSI colours, green for praise (a positive balance,
/// strengths) and red for criticism (a negative balance, weaknesses, recommendations).
pub fn compare(dir: &Path, query: &Query, colour: bool) -> Result<String> {
    let Query {
        authorities,
        themes,
        view,
        measure,
    } = query;
    let (view, measure) = (*view, *measure);
    let results = load(dir, view)?;
    if results.rows.is_empty() {
        bail!(
            "{} has no authorities: {} has no rows (the run found no report)",
            dir.display(),
            results.source.display()
        );
    }

    // Themes: all, or those asked for, in the order asked.
    let mut theme_columns: Vec<usize> = Vec::new();
    for id in themes {
        match results.theme_ids.iter().position(|t| t == id) {
            Some(i) if !theme_columns.contains(&i) => theme_columns.push(i),
            Some(_) => {}
            None => bail!(
                "unknown theme id {id:?}; the themes in {} are: {}",
                dir.display(),
                results.theme_ids.join(", ")
            ),
        }
    }
    if themes.is_empty() {
        theme_columns = (0..results.theme_ids.len()).collect();
    }

    // Authorities: all, or those matching a name (whole name first, else part of it).
    let rows: Vec<&Row> = if authorities.is_empty() {
        results.rows.iter().collect()
    } else {
        let mut chosen: Vec<bool> = vec![false; results.rows.len()];
        for wanted in authorities {
            let wanted_lc = wanted.trim().to_lowercase();
            let exact: Vec<usize> = (0..results.rows.len())
                .filter(|&i| results.rows[i].authority.to_lowercase() == wanted_lc)
                .collect();
            let found = if exact.is_empty() {
                (0..results.rows.len())
                    .filter(|&i| {
                        results.rows[i]
                            .authority
                            .to_lowercase()
                            .contains(&wanted_lc)
                    })
                    .collect()
            } else {
                exact
            };
            if found.is_empty() {
                let mut names: Vec<&str> =
                    results.rows.iter().map(|r| r.authority.as_str()).collect();
                names.dedup();
                let shown = names.len().min(20);
                bail!(
                    "no authority in {} matches {wanted:?}; it has: {}{}",
                    dir.display(),
                    names[..shown].join(", "),
                    if names.len() > shown { ", ..." } else { "" }
                );
            }
            for i in found {
                chosen[i] = true;
            }
        }
        results
            .rows
            .iter()
            .zip(chosen)
            .filter_map(|(r, c)| c.then_some(r))
            .collect()
    };

    let several_reports = results.report_counts.as_ref().is_some_and(|counts| {
        rows.iter().any(|r| {
            counts
                .get(&r.authority.to_lowercase())
                .is_some_and(|&n| n > 1)
        })
    });
    let ids: Vec<&str> = theme_columns
        .iter()
        .map(|&i| results.theme_ids[i].as_str())
        .collect();
    // Full ids as headers when they fit, else abbreviations with a key underneath.
    let full_width: usize = ids.iter().map(|id| id.len() + 2).sum();
    let use_ids = full_width <= 100;
    let headers: Vec<String> = if use_ids {
        ids.iter().map(|s| s.to_string()).collect()
    } else {
        abbreviations(&ids)
    };
    let widths: Vec<usize> = headers.iter().map(|h| h.len().max(3)).collect();
    let name_width = rows
        .iter()
        .map(|r| r.authority.chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 36);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} in {}; · = none. From {}",
        match measure {
            Measure::Balance => "Balance of each theme (strengths − weaknesses − recommendations)",
            Measure::Strengths => "Strengths about each theme (sentences)",
            Measure::Weaknesses => "Weaknesses about each theme (sentences)",
            Measure::Recommendations => "Recommendations about each theme (sentences)",
        },
        match view {
            View::Latest => "each authority's latest report",
            View::EveryReport => "every report, oldest first",
        },
        results.source.display()
    );
    let _ = write!(
        out,
        "{:<name_width$}  {:<10}  {:<14}  {:<11}",
        "authority", "date", "kind", "grade"
    );
    if results.report_counts.is_some() {
        out.push_str("  reps");
    }
    for (h, w) in headers.iter().zip(&widths) {
        let _ = write!(out, " {h:>w$}");
    }
    out.push('\n');
    for row in rows {
        let name: String = if row.authority.chars().count() > name_width {
            let cut: String = row.authority.chars().take(name_width - 1).collect();
            format!("{cut}…")
        } else {
            row.authority.clone()
        };
        let kind: String = row.kind.chars().take(14).collect();
        let _ = write!(
            out,
            "{name:<name_width$}  {:<10}  {kind:<14}  {:<11}",
            if row.date.is_empty() { "-" } else { &row.date },
            short_grade(&row.grade)
        );
        if let Some(counts) = &results.report_counts {
            let n = counts
                .get(&row.authority.to_lowercase())
                .copied()
                .unwrap_or(0);
            let _ = write!(out, "  {n:>4}");
        }
        for (&t, w) in theme_columns.iter().zip(&widths) {
            let (figure, any) = row.figures[t].shown(measure);
            let cell = if !any {
                "·".to_string()
            } else if measure == Measure::Balance && figure > 0 {
                format!("+{figure}")
            } else {
                figure.to_string()
            };
            let pad = w.saturating_sub(cell.chars().count());
            let praise = match measure {
                Measure::Balance => figure > 0,
                Measure::Strengths => true,
                Measure::Weaknesses | Measure::Recommendations => false,
            };
            let paint = match (colour, any && figure != 0, praise) {
                (true, true, true) => "\x1b[32m",
                (true, true, false) => "\x1b[31m",
                _ => "",
            };
            let reset = if paint.is_empty() { "" } else { "\x1b[0m" };
            let _ = write!(out, " {}{paint}{cell}{reset}", " ".repeat(pad));
        }
        out.push('\n');
    }
    if !use_ids {
        out.push_str("Key:");
        for (h, id) in headers.iter().zip(&ids) {
            let _ = write!(out, " {h}={id}");
        }
        out.push('\n');
    }
    if several_reports {
        out.push_str(
            "Some authorities have several reports: --all-reports shows each, oldest first.\n",
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last `n` cells of a table line, last first.
    fn last_cells(line: &str, n: usize) -> Vec<&str> {
        line.split_whitespace().rev().take(n).collect()
    }

    /// A results folder in the shape `run` writes, with made-up figures.
    fn results_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let authorities = "\u{feff}local_authority,report_id,document_kind,report_date,\
overall_effectiveness,early_help_strengths,early_help_weaknesses,early_help_recommendations,early_help_balance,\
management_oversight_strengths,management_oversight_weaknesses,management_oversight_recommendations,management_oversight_balance\n\
Northshire,aaa,inspection,2023-05-04,good,3,1,0,2,0,2,1,-3\n\
\"Bournemouth, Christchurch and Poole\",bbb,focused visit,2024-01-10,,0,0,0,0,1,1,0,0\n";
        std::fs::write(dir.path().join(AUTHORITIES_CSV), authorities).unwrap();
        let reports = "\u{feff}report_id,local_authority\nzzz,Northshire\naaa,Northshire\nbbb,\"Bournemouth, Christchurch and Poole\"\n";
        std::fs::write(dir.path().join(REPORTS_CSV), reports).unwrap();
        dir
    }

    #[test]
    fn prints_balances_grades_and_report_counts() {
        let dir = results_dir();
        let text = compare(dir.path(), &Query::default(), false).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains("early_help") && lines[1].contains("management_oversight"));
        let north = lines.iter().find(|l| l.starts_with("Northshire")).unwrap();
        assert!(north.contains("good"), "{north}");
        assert!(
            north.ends_with("+2   -3") || last_cells(north, 2) == ["-3", "+2"],
            "{north}"
        );
        assert_eq!(
            north.split_whitespace().nth(4),
            Some("2"),
            "two reports: {north}"
        );
        // Zero balance with sentences is 0; no sentences at all is "·".
        let bcp = lines.iter().find(|l| l.starts_with("Bournemouth")).unwrap();
        assert_eq!(last_cells(bcp, 2), ["0", "·"], "{bcp}");
    }

    #[test]
    fn filters_authorities_case_insensitively_and_themes_by_id() {
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
        assert!(text.lines().nth(2).unwrap().trim_end().ends_with("-3"));
        // Part of a name matches too.
        let text = compare(
            dir.path(),
            &Query {
                authorities: vec!["christchurch".to_string()],
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert!(text.contains("Bournemouth") && !text.contains("Northshire"));
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
        let e = compare(&empty.path().join("missing"), &Query::default(), false).unwrap_err();
        assert!(e.to_string().contains("is not a folder"), "{e}");
    }

    /// On a real run over the seeds, every figure printed, of each measure, is the one in
    /// authorities.csv.
    #[test]
    fn figures_agree_with_a_real_run() {
        let out = tempfile::tempdir().unwrap();
        let args = crate::cmd::run::RunArgs {
            paths: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")],
            out: out.path().to_path_buf(),
            quiet: true,
            ..Default::default()
        };
        crate::cmd::run::execute(args).unwrap();
        // The expected figures come straight from authorities.csv's columns.
        let (header, records) = read_csv(&out.path().join(AUTHORITIES_CSV)).unwrap();
        assert!(!records.is_empty());
        let value = |record: &[String], name: &str| -> i64 {
            let col = header.iter().position(|h| h == name).unwrap();
            record[col].parse().unwrap()
        };
        let theme_ids: Vec<&str> = header
            .iter()
            .filter_map(|h| h.strip_suffix("_balance"))
            .collect();
        let mut non_zero = 0;
        for (measure, part) in [
            (Measure::Balance, "balance"),
            (Measure::Strengths, "strengths"),
            (Measure::Weaknesses, "weaknesses"),
            (Measure::Recommendations, "recommendations"),
        ] {
            let query = Query {
                measure,
                ..Default::default()
            };
            let text = compare(out.path(), &query, false).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), records.len() + 3, "title, header, rows, key");
            for (record, line) in records.iter().zip(&lines[2..]) {
                let cells: Vec<&str> = line.split_whitespace().collect();
                let figures = &cells[cells.len() - theme_ids.len()..];
                for (id, figure) in theme_ids.iter().zip(figures) {
                    let v = value(record, &format!("{id}_{part}"));
                    let counted: i64 = ["strengths", "weaknesses", "recommendations"]
                        .iter()
                        .map(|p| value(record, &format!("{id}_{p}")))
                        .sum();
                    // A balance of 0 with sentences is "0"; a count of 0 is "·".
                    let nothing = match measure {
                        Measure::Balance => counted == 0,
                        _ => v == 0,
                    };
                    let expected = if nothing {
                        "·".to_string()
                    } else if measure == Measure::Balance && v > 0 {
                        format!("+{v}")
                    } else {
                        v.to_string()
                    };
                    assert_eq!(*figure, expected, "{measure:?} {id}: {line}");
                    non_zero += usize::from(v != 0);
                }
            }
        }
        assert!(
            non_zero > 0,
            "some figure is not zero, so the check means something"
        );
    }

    #[test]
    fn every_report_view_has_a_row_per_report_oldest_first() {
        let dir = results_dir();
        let themes =
            "\u{feff}report_id,local_authority,document_kind,report_date,theme,theme_name,\
strengths,weaknesses,recommendations,context,total\n\
aaa,Northshire,inspection,2023-05-04,early_help,Early help,3,1,0,0,4\n\
zzz,Northshire,focused visit,2019-02-01,early_help,Early help,0,2,1,0,3\n\
zzz,Northshire,focused visit,2019-02-01,management_oversight,Management oversight,0,0,0,4,4\n\
aaa,Northshire,inspection,2023-05-04,management_oversight,Management oversight,0,2,1,0,3\n";
        // Out of order, as after a sort in a spreadsheet.
        std::fs::write(dir.path().join(THEMES_CSV), themes).unwrap();
        let reports = "\u{feff}report_id,local_authority,overall_effectiveness\n\
zzz,Northshire,\naaa,Northshire,good\n";
        std::fs::write(dir.path().join(REPORTS_CSV), reports).unwrap();
        let every = Query {
            view: View::EveryReport,
            ..Default::default()
        };
        let text = compare(dir.path(), &every, false).unwrap();
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Northshire"))
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(
            rows[0].contains("2019-02-01") && rows[0].contains("focused visit"),
            "{text}"
        );
        // Early help -3; management oversight only context, so "·"; no grade, so "-".
        assert_eq!(last_cells(rows[0], 3), ["·", "-3", "-"], "{text}");
        assert_eq!(last_cells(rows[1], 3), ["-3", "+2", "good"], "{text}");
        assert!(
            !text.contains("reps"),
            "one row per report needs no count: {text}"
        );
        assert!(!text.contains("--all-reports"), "{text}");
        // Counts of one stance instead of the balance.
        let query = Query {
            view: View::EveryReport,
            measure: Measure::Recommendations,
            ..Default::default()
        };
        let text = compare(dir.path(), &query, false).unwrap();
        assert!(
            text.starts_with("Recommendations about each theme"),
            "{text}"
        );
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Northshire"))
            .collect();
        assert_eq!(last_cells(rows[0], 3), ["·", "1", "-"], "{text}");
        assert_eq!(last_cells(rows[1], 3), ["1", "·", "good"], "{text}");
        // The latest view of the same folder points to this one.
        let latest = compare(dir.path(), &Query::default(), false).unwrap();
        assert!(latest.contains("--all-reports shows each"), "{latest}");

        // Without reports.csv the grades are "-"; without themes.csv the error says what to do.
        std::fs::remove_file(dir.path().join(REPORTS_CSV)).unwrap();
        let text = compare(dir.path(), &every, false).unwrap();
        let last = text.lines().find(|l| l.contains("2023-05-04")).unwrap();
        assert_eq!(last_cells(last, 3), ["-3", "+2", "-"], "{text}");
        std::fs::remove_file(dir.path().join(THEMES_CSV)).unwrap();
        let e = compare(dir.path(), &every, false).unwrap_err();
        assert!(e.to_string().contains("there is no themes.csv"), "{e}");
    }

    #[test]
    fn abbreviations_are_unique() {
        let a = abbreviations(&["early_help", "education", "exploitation_missing", "edu"]);
        assert_eq!(a, ["EH", "ED", "EM", "ED2"]);
    }
}
