//! Reading a results folder that `run` wrote, for the views that compare authorities
//! (`compare`): every report with its facts, codes and each theme's counts, from themes.csv
//! and reports.csv, so any view (latest full inspection, latest report, every report) can be
//! drawn from any earlier run without the reports themselves. [`query`] says what a
//! comparison shows and [`table`] draws it for the terminal.

pub mod query;
pub mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::aggregate::{StanceCounts, View};
use crate::codes;
use crate::write::{
    DOCUMENT_KIND, LOCAL_AUTHORITY, REPORTS_CSV, REPORT_DATE, REPORT_ID, STANCE_COUNT_COLUMNS,
    THEME, THEMES_CSV,
};

/// One report of a results folder.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub id: String,
    pub authority: String,
    /// As the CSVs write it: "inspection", "focused visit", ...
    pub kind: String,
    /// ISO 8601, or "" when undated.
    pub date: String,
    /// The grades of reports.csv by column name (empty when reports.csv is absent).
    pub grades: BTreeMap<String, String>,
    pub la_code: String,
    pub ons_code: String,
    pub region: String,
    /// Per theme, in the order of [`Results::theme_ids`].
    pub themes: Vec<StanceCounts>,
}

impl ReportRow {
    /// The overall-effectiveness grade, or "".
    pub fn overall_grade(&self) -> &str {
        self.grades
            .get("overall_effectiveness")
            .map_or("", String::as_str)
    }

    pub fn is_full_inspection(&self) -> bool {
        self.kind == crate::types::DocumentKind::Inspection.as_str()
    }
}

/// Every report of a results folder, by authority (case-blind) then date then id.
#[derive(Debug, Clone)]
pub struct Results {
    /// The file the counts came from, for titles and errors.
    pub source: PathBuf,
    pub theme_ids: Vec<String>,
    pub reports: Vec<ReportRow>,
}

impl Results {
    /// Indices of each authority's report in `view`, in authority order, and the latest
    /// report of each authority left out of it (no full inspection).
    pub fn in_view(&self, view: View) -> (Vec<usize>, Vec<usize>) {
        let mut chosen = Vec::new();
        let mut left_out = Vec::new();
        for group in self.by_authority() {
            let latest = *group.last().expect("groups are never empty");
            let full = group
                .iter()
                .rev()
                .copied()
                .find(|&i| self.reports[i].is_full_inspection());
            match (view, full) {
                (View::LatestReport, _) => chosen.push(latest),
                (View::FullInspection, Some(f)) => chosen.push(f),
                (View::FullInspection, None) => left_out.push(latest),
            }
        }
        (chosen, left_out)
    }

    /// Indices of each authority's reports, oldest first, authorities in order.
    pub fn by_authority(&self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, r) in self.reports.iter().enumerate() {
            match groups.last_mut() {
                Some(g)
                    if self.reports[g[0]].authority.to_lowercase()
                        == r.authority.to_lowercase() =>
                {
                    g.push(i)
                }
                _ => groups.push(vec![i]),
            }
        }
        groups
    }
}

/// Reads a CSV written by `run`, dropping its byte-order mark.
pub fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
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
pub fn results_file(dir: &Path, name: &str) -> Result<PathBuf> {
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
pub fn column_of(header: &[String], name: &str, path: &Path) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("{}: no column {name:?}", path.display()))
}

/// A count cell, or an error naming the file, row and column.
fn count_in(
    row: &[String],
    col: usize,
    line: usize,
    header: &[String],
    path: &Path,
) -> Result<usize> {
    let cell = row.get(col).map(String::as_str).unwrap_or("");
    cell.trim().parse::<usize>().with_context(|| {
        format!(
            "{}, row {line}, column {}: {cell:?} is not a count",
            path.display(),
            header[col]
        )
    })
}

const GRADE_NAMES: &[&str] = crate::write::GRADE_COLUMNS;

/// Grades and codes by report id.
type ReportFacts = BTreeMap<String, (BTreeMap<String, String>, [String; 3])>;

/// Each report's grades and codes from reports.csv, when it is there; codes missing from an
/// older reports.csv are looked up by name.
/// reports.csv's grades and codes by report id. Required: without it every grade would be
/// shown as "-", as if no report had one.
fn report_facts(dir: &Path) -> Result<ReportFacts> {
    let mut facts = BTreeMap::new();
    let reports_path = results_file(dir, REPORTS_CSV)?;
    {
        let (header, records) = read_csv(&reports_path)?;
        let id = column_of(&header, REPORT_ID, &reports_path)?;
        let name = column_of(&header, LOCAL_AUTHORITY, &reports_path)?;
        let code_cols: Vec<Option<usize>> = codes::CODE_COLUMNS
            .iter()
            .map(|c| header.iter().position(|h| h == c))
            .collect();
        for record in &records {
            let cell = |c: usize| record.get(c).cloned().unwrap_or_default();
            let grades = GRADE_NAMES
                .iter()
                .filter_map(|g| {
                    header
                        .iter()
                        .position(|h| h == g)
                        .map(|c| (g.to_string(), cell(c)))
                })
                .collect();
            let looked_up = codes::cells(&cell(name));
            let codes: [String; 3] = std::array::from_fn(|k| match code_cols[k] {
                Some(c) => cell(c),
                None => looked_up[k].clone(),
            });
            if facts.insert(cell(id), (grades, codes)).is_some() {
                bail!(
                    "{}: report {} has two rows: the folder does not hold one run's results; \
                     run ofsted-themes again to rewrite it",
                    reports_path.display(),
                    cell(id)
                );
            }
        }
    }
    Ok(facts)
}

/// Reads every report of a results folder: themes.csv for the counts (one line per report
/// and theme), reports.csv, when it is there, for the grades and codes. Codes missing from
/// an older reports.csv are looked up by name.
/// themes.csv and reports.csv must name the same reports: a folder whose files disagree (one
/// cut short, or left from another run) would give wrong grades without a word.
fn check_reports_agree(
    dir: &Path,
    themes_path: &Path,
    reports: &[ReportRow],
    facts: &ReportFacts,
) -> Result<()> {
    let reports_path = dir.join(REPORTS_CSV);
    if let Some(missing) = reports.iter().find(|r| !facts.contains_key(&r.id)) {
        bail!(
            "{} has no row for report {} ({}), which {} has: the folder does not hold one \
             run's whole results; run ofsted-themes again to rewrite it",
            reports_path.display(),
            missing.id,
            missing.authority,
            themes_path.display()
        );
    }
    if let Some(extra) = facts
        .keys()
        .find(|id| !reports.iter().any(|r| &r.id == *id))
    {
        bail!(
            "{} has report {extra}, which {} lacks: the folder does not hold one run's whole \
             results; run ofsted-themes again to rewrite it",
            reports_path.display(),
            themes_path.display()
        );
    }
    Ok(())
}

pub fn load(dir: &Path) -> Result<Results> {
    let path = results_file(dir, THEMES_CSV)?;
    let (header, records) = read_csv(&path)?;
    let column = |name: &str| column_of(&header, name, &path);
    let [report, authority, kind, date, theme] = [
        REPORT_ID,
        LOCAL_AUTHORITY,
        DOCUMENT_KIND,
        REPORT_DATE,
        THEME,
    ]
    .map(column);
    let (report, authority, kind, date, theme) = (report?, authority?, kind?, date?, theme?);
    let [s, w, r, c] = STANCE_COUNT_COLUMNS.map(column);
    let counts = [s?, w?, r?, c?];

    let facts = report_facts(dir)?;

    let mut theme_ids: Vec<String> = Vec::new();
    let mut reports: Vec<ReportRow> = Vec::new();
    let mut by_theme: Vec<BTreeMap<String, StanceCounts>> = Vec::new();
    let mut position: BTreeMap<String, usize> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let line = i + 2;
        let cell = |c: usize| record.get(c).cloned().unwrap_or_default();
        let [s, w, r, c] = counts.map(|col| count_in(record, col, line, &header, &path));
        let stance_counts = StanceCounts {
            strengths: s?,
            weaknesses: w?,
            recommendations: r?,
            context: c?,
        };
        let id = cell(theme);
        if !theme_ids.contains(&id) {
            theme_ids.push(id.clone());
        }
        let at = *position.entry(cell(report)).or_insert_with(|| {
            let (grades, [la_code, ons_code, region]) = facts
                .get(&cell(report))
                .cloned()
                .unwrap_or_else(|| (BTreeMap::new(), codes::cells(&cell(authority))));
            reports.push(ReportRow {
                id: cell(report),
                authority: cell(authority),
                kind: cell(kind),
                date: cell(date),
                grades,
                la_code,
                ons_code,
                region,
                themes: Vec::new(),
            });
            by_theme.push(BTreeMap::new());
            reports.len() - 1
        });
        by_theme[at].insert(id, stance_counts);
    }
    check_reports_agree(dir, &path, &reports, &facts)?;
    for (report, counts) in reports.iter_mut().zip(by_theme) {
        report.themes = theme_ids
            .iter()
            .map(|t| counts.get(t).cloned().unwrap_or_default())
            .collect();
    }
    // `run` writes themes.csv in this order already; sorting keeps the views right for a file
    // that was re-sorted in a spreadsheet.
    reports.sort_by_cached_key(|r| (r.authority.to_lowercase(), r.date.clone(), r.id.clone()));
    Ok(Results {
        source: path,
        theme_ids,
        reports,
    })
}
