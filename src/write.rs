//! Stage 6, write: the CSV files, one [`Output`](crate::output::Output) of a run.
//!
//! CSVs are UTF-8 with a byte-order mark: without it Excel reads them as the local code page
//! and curly quotes and "£" come out garbled. LibreOffice and csv readers accept the mark.

use std::io::Write;

use anyhow::Result;

use crate::aggregate::{share_text, Summary, View};
use crate::codes;
use crate::error::InputError;
use crate::output::{Output, Outputs, RunResults};
use crate::taxonomy::Taxonomy;
use crate::types::{Date, Grade, LabelledReport, Stance};

pub const SENTENCES_CSV: &str = "sentences.csv";
pub const REPORTS_CSV: &str = "reports.csv";
pub const THEMES_CSV: &str = "themes.csv";
pub const AUTHORITIES_CSV: &str = "authorities.csv";
pub const ERRORS_CSV: &str = "errors.csv";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Stages a CSV, BOM first, rows from `rows`.
fn write_csv(
    outputs: &mut Outputs,
    name: &str,
    header: &[String],
    rows: impl FnOnce(&mut csv::Writer<&mut dyn Write>) -> Result<()>,
) -> Result<()> {
    outputs.stage(name, |out| {
        out.write_all(UTF8_BOM)?;
        let mut writer = csv::WriterBuilder::new().from_writer(out);
        writer.write_record(header)?;
        rows(&mut writer)?;
        writer.flush()?;
        Ok(())
    })?;
    Ok(())
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The first characters that make a spreadsheet read a cell as a formula (a tab or a
/// carriage return first is read past, to the formula after it).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet would run `text` as a formula.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// A free-text cell that a spreadsheet would run as a formula gets a leading apostrophe.
/// Every cell whose text comes from a report, a file name or a taxonomy goes through here.
pub fn cell(text: &str) -> String {
    if looks_like_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

pub fn date(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

pub fn grade(g: Option<Grade>) -> String {
    g.map(|g| g.as_str().to_string()).unwrap_or_default()
}

pub fn score(s: f32) -> String {
    format!("{s:.3}")
}

/// Stages all five CSVs in `outputs` (see [`Outputs::commit`]).
/// The CSV files: sentences, reports, themes, authorities and errors.
pub struct Csvs;

impl Output for Csvs {
    fn files(&self) -> &'static [&'static str] {
        &[
            SENTENCES_CSV,
            REPORTS_CSV,
            THEMES_CSV,
            AUTHORITIES_CSV,
            ERRORS_CSV,
        ]
    }

    fn render(&self, results: &RunResults, outputs: &mut Outputs) -> Result<()> {
        let RunResults {
            reports,
            summary,
            errors,
            taxonomy,
            view,
            all_reports,
        } = *results;
        write_sentences(outputs, reports, summary)?;
        write_reports(outputs, reports, summary)?;
        write_themes(outputs, reports, summary, taxonomy)?;
        write_authorities(outputs, reports, summary, taxonomy, view, all_reports)?;
        write_errors(outputs, errors)?;
        Ok(())
    }
}

pub const SENTENCE_COLUMNS: &[&str] = &[
    "report_id",
    "local_authority",
    "document_kind",
    "report_date",
    "section",
    "judgement_area",
    "sentence_no",
    "text",
    "stance",
    "stance_score",
    "themes",
    "theme_scores",
    "evidence",
];

fn write_sentences(
    outputs: &mut Outputs,
    reports: &[LabelledReport],
    summary: &Summary,
) -> Result<()> {
    write_csv(outputs, SENTENCES_CSV, &strings(SENTENCE_COLUMNS), |w| {
        for rs in &summary.reports {
            let lr = &reports[rs.index];
            let r = &lr.report;
            for (s, label) in r.sentences.iter().zip(&lr.labels) {
                let themes: Vec<&str> = label.themes.iter().map(|t| t.id.as_str()).collect();
                let theme_scores: Vec<String> = label
                    .themes
                    .iter()
                    .map(|t| format!("{}={}", t.id, score(t.score)))
                    .collect();
                w.write_record([
                    r.id.clone(),
                    cell(&rs.authority),
                    r.facts.kind.as_str().to_string(),
                    date(rs.date),
                    cell(&s.section),
                    s.judgement_area.as_str().to_string(),
                    s.no.to_string(),
                    cell(&s.text),
                    label.stance.as_str().to_string(),
                    score(label.stance_score),
                    cell(&themes.join(";")),
                    cell(&theme_scores.join(";")),
                    cell(&label.evidence.join("; ")),
                ])?;
            }
        }
        Ok(())
    })
}

pub const GRADE_COLUMNS: &[&str] = &[
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "children_in_care",
    "care_leavers",
    "adoption",
    "lscb",
];

pub fn grade_cells(r: &LabelledReport) -> Vec<String> {
    let g = &r.report.facts.grades;
    [
        g.overall_effectiveness,
        g.impact_of_leaders,
        g.help_and_protection,
        g.children_in_care,
        g.care_leavers,
        g.adoption,
        g.lscb,
    ]
    .into_iter()
    .map(grade)
    .collect()
}

/// The first columns of reports.csv (and the workbook's Reports sheet).
pub const REPORT_COLUMNS: &[&str] = &[
    "report_id",
    "source_file",
    "local_authority",
    // codes::CODE_COLUMNS
    "la_code",
    "ons_code",
    "region",
    "document_kind",
    "start_date",
    "end_date",
    "published",
    "report_date",
    "lead_inspector",
    // GRADE_COLUMNS follow, then REPORT_COUNT_COLUMNS.
];
pub const REPORT_COUNT_COLUMNS: &[&str] = &[
    "sentences",
    "strengths",
    "weaknesses",
    "recommendations",
    "context",
    "classifier",
];

fn write_reports(
    outputs: &mut Outputs,
    reports: &[LabelledReport],
    summary: &Summary,
) -> Result<()> {
    let mut header = strings(REPORT_COLUMNS);
    header.extend(strings(GRADE_COLUMNS));
    header.extend(strings(REPORT_COUNT_COLUMNS));
    write_csv(outputs, REPORTS_CSV, &header, |w| {
        for rs in &summary.reports {
            let lr = &reports[rs.index];
            let f = &lr.report.facts;
            let mut row = vec![
                lr.report.id.clone(),
                cell(&lr.report.source.display().to_string()),
                cell(&rs.authority),
            ];
            row.extend(codes::cells(&rs.authority));
            row.extend([
                f.kind.as_str().to_string(),
                date(f.start_date),
                date(f.end_date),
                date(f.published),
                date(rs.date),
                cell(f.lead_inspector.as_deref().unwrap_or("")),
            ]);
            row.extend(grade_cells(lr));
            let c = &rs.stance_counts;
            row.extend(
                [
                    c.total(),
                    c.strengths,
                    c.weaknesses,
                    c.recommendations,
                    c.context,
                ]
                .map(|n| n.to_string()),
            );
            row.push(cell(&lr.classifier));
            w.write_record(&row)?;
        }
        Ok(())
    })
}

/// The leading columns of themes.csv, shared with the workbook's Themes sheet.
pub const THEME_COUNT_COLUMNS: &[&str] = &[
    REPORT_ID,
    LOCAL_AUTHORITY,
    DOCUMENT_KIND,
    REPORT_DATE,
    THEME,
    "theme_name",
    STANCE_COUNT_COLUMNS[0],
    STANCE_COUNT_COLUMNS[1],
    STANCE_COUNT_COLUMNS[2],
    STANCE_COUNT_COLUMNS[3],
    "total",
];

/// Column names that [`crate::results`] reads back, so reader and writer share them.
pub const REPORT_ID: &str = "report_id";
pub const LOCAL_AUTHORITY: &str = "local_authority";
pub const DOCUMENT_KIND: &str = "document_kind";
pub const REPORT_DATE: &str = "report_date";
pub const THEME: &str = "theme";
/// The counts of each stance, in [`Stance::ALL`] order.
pub const STANCE_COUNT_COLUMNS: [&str; 4] =
    ["strengths", "weaknesses", "recommendations", "context"];

fn write_themes(
    outputs: &mut Outputs,
    reports: &[LabelledReport],
    summary: &Summary,
    taxonomy: &Taxonomy,
) -> Result<()> {
    let mut header = strings(THEME_COUNT_COLUMNS);
    header.extend(strings(&[
        "example_strength",
        "example_weakness",
        "example_recommendation",
        "example_context",
    ]));
    write_csv(outputs, THEMES_CSV, &header, |w| {
        for rs in &summary.reports {
            let lr = &reports[rs.index];
            for (theme, ts) in taxonomy.themes.iter().zip(&rs.themes) {
                let c = &ts.counts;
                let mut row = vec![
                    lr.report.id.clone(),
                    cell(&rs.authority),
                    lr.report.facts.kind.as_str().to_string(),
                    date(rs.date),
                    cell(&theme.id),
                    cell(&theme.name),
                ];
                row.extend(
                    [
                        c.strengths,
                        c.weaknesses,
                        c.recommendations,
                        c.context,
                        c.total(),
                    ]
                    .map(|n| n.to_string()),
                );
                for stance in Stance::ALL {
                    let example = ts.examples[stance.index()].as_ref();
                    row.push(example.map(|e| cell(&e.text)).unwrap_or_default());
                }
                w.write_record(&row)?;
            }
        }
        Ok(())
    })
}

/// The per-theme column group of the wide authorities table: the counts, the balance, the
/// number of sentences about the theme (`n`, context included) and the share = balance / n.
pub const THEME_GROUP: &[&str] = &[
    "strengths",
    "weaknesses",
    "recommendations",
    "balance",
    "n",
    "share",
];

/// The leading columns of authorities.csv; GRADE_COLUMNS follow, then THEME_GROUP per theme.
pub const AUTHORITY_COLUMNS: &[&str] = &[
    "local_authority",
    "la_code",
    "ons_code",
    "region",
    "report_id",
    "document_kind",
    "report_date",
];

fn write_authorities(
    outputs: &mut Outputs,
    reports: &[LabelledReport],
    summary: &Summary,
    taxonomy: &Taxonomy,
    view: View,
    all_reports: bool,
) -> Result<()> {
    let mut header = strings(AUTHORITY_COLUMNS);
    header.extend(strings(GRADE_COLUMNS));
    for theme in &taxonomy.themes {
        for part in THEME_GROUP {
            header.push(format!("{}_{part}", theme.id));
        }
    }
    write_csv(outputs, AUTHORITIES_CSV, &header, |w| {
        for rs in summary.authority_rows(view, all_reports) {
            let lr = &reports[rs.index];
            let mut row = vec![cell(&rs.authority)];
            row.extend(codes::cells(&rs.authority));
            row.extend([
                lr.report.id.clone(),
                lr.report.facts.kind.as_str().to_string(),
                date(rs.date),
            ]);
            row.extend(grade_cells(lr));
            for ts in &rs.themes {
                let c = &ts.counts;
                row.push(c.strengths.to_string());
                row.push(c.weaknesses.to_string());
                row.push(c.recommendations.to_string());
                row.push(c.balance().to_string());
                row.push(c.n().to_string());
                row.push(share_text(c.share()));
            }
            w.write_record(&row)?;
        }
        Ok(())
    })
}

fn write_errors(outputs: &mut Outputs, errors: &[InputError]) -> Result<()> {
    write_csv(outputs, ERRORS_CSV, &strings(&["path", "reason"]), |w| {
        for e in errors {
            w.write_record([
                cell(&e.path.display().to_string()),
                cell(&e.problem.to_string()),
            ])?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("-5 children"), "'-5 children");
        assert_eq!(cell("Early help is good."), "Early help is good.");
        assert_eq!(cell("@user"), "'@user");
        assert_eq!(cell("\t=1+1"), "'\t=1+1");
        assert_eq!(cell("\r=1+1"), "'\r=1+1");
        assert_eq!(cell(""), "");
    }
}
