//! The Excel workbook `ofsted-themes.xlsx`, written next to the CSVs from the same data.
//!
//! Four sheets, each with a frozen header row, an autofilter and set column widths:
//! - **Reports**: reports.csv, one row per report;
//! - **Authorities**: authorities.csv's rows (each authority's latest full inspection by
//!   default, its latest report with `--view latest-report`, or every report with
//!   `--all-reports`), the grades beside the name, the report's date, kind and id, the
//!   authority's codes and region, then one
//!   column per theme holding its balance, coloured as a heat map by conditional formatting;
//! - **Themes**: themes.csv without the example sentences, plus the balance;
//! - **Sentences**: sentences.csv's rows, plus one column per theme that holds the sentence's
//!   stance when the sentence is about that theme, so "all recommendations about permanence"
//!   is one filter on the Permanence column.
//!
//! A sheet holds at most [`MAX_SHEET_ROWS`] rows (Excel's limit): a longer table (the
//! Sentences of a very large store) goes on over "Sentences 2", "Sentences 3"…, each with the
//! header, with a note on stderr.
//!
//! Cells are written as strings or numbers, never formulas; free text that a spreadsheet
//! would read as a formula once edited (see [`write::looks_like_formula`]) is written with
//! Excel's quote prefix, the workbook's form of the CSVs' leading `'`. The creation date in
//! the document properties is fixed so the same input gives a byte-identical file.

use std::io::Write;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Color, ConditionalFormat3ColorScale, ConditionalFormatCell, ConditionalFormatCellRule,
    ConditionalFormatType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    Workbook, Worksheet, XlsxError,
};

use crate::aggregate::{Summary, View};
use crate::codes;
use crate::output::{Output, Outputs, RunResults};
use crate::taxonomy::Taxonomy;
use crate::types::{LabelledReport, Stance};
use crate::write::{self, GRADE_COLUMNS, REPORT_COLUMNS, REPORT_COUNT_COLUMNS};

pub const WORKBOOK_FILE: &str = "ofsted-themes.xlsx";

pub const REPORTS_SHEET: &str = "Reports";
pub const AUTHORITIES_SHEET: &str = "Authorities";
pub const THEMES_SHEET: &str = "Themes";
pub const SENTENCES_SHEET: &str = "Sentences";

/// The Authorities sheet: the name, GRADE_COLUMNS beside it, then these, then one column per
/// theme (its name).
pub const AUTHORITY_NAME_COLUMN: &str = "local_authority";
pub const AUTHORITY_REPORT_COLUMNS: &[&str] = &[
    "report_date",
    "document_kind",
    "report_id",
    "la_code",
    "ons_code",
    "region",
];

/// The most rows an Excel sheet holds, the header row included.
pub const MAX_SHEET_ROWS: usize = 1_048_576;

/// An environment variable that lowers [`MAX_SHEET_ROWS`], so that tests can split a sheet
/// without a million sentences. Not for users: Excel's limit is the only one that matters.
pub const SHEET_ROWS_VARIABLE: &str = "OFSTED_THEMES_SHEET_ROWS";

/// The rows a sheet may hold in this run: [`MAX_SHEET_ROWS`], or less when
/// [`SHEET_ROWS_VARIABLE`] says so (at least 2: the header and one row).
pub fn sheet_rows() -> usize {
    std::env::var(SHEET_ROWS_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(MAX_SHEET_ROWS, |n| n.clamp(2, MAX_SHEET_ROWS))
}

/// The heat map's colour scale saturates at this balance either side of zero, as the page's does.
const HEAT_SATURATION: i32 = 5;

/// The Themes sheet: themes.csv's counts ([`write::THEME_COUNT_COLUMNS`]), then this.
pub const THEME_BALANCE_COLUMN: &str = "balance";

/// The Sentences sheet's leading columns; one column per theme (its name) follows.
pub const SENTENCE_COLUMNS: &[&str] = &[
    "local_authority",
    "report_date",
    "document_kind",
    "report_id",
    "sentence_no",
    "section",
    "stance",
    "themes",
    "text",
];

/// Heat-map and grade colours, shared in spirit with report.html's legend.
mod colours {
    pub const NEGATIVE: u32 = 0xD7301F;
    pub const NEUTRAL: u32 = 0xFFFFFF;
    pub const POSITIVE: u32 = 0x1A9850;
    pub const HEADER: u32 = 0xE8EEF4;
    /// Grade fills: outstanding, good, requires improvement, inadequate.
    pub const GRADES: [(&str, u32); 4] = [
        ("outstanding", 0x1A9850),
        ("good", 0x91CF60),
        ("requires improvement", 0xFEE08B),
        ("inadequate", 0xF46D43),
    ];
    /// Stance fills in the Sentences sheet, indexed by `Stance::index`.
    pub const STANCES: [u32; 4] = [0xC7E9C0, 0xFCBBA1, 0xFDD49E, 0xEEEEEE];
}

/// The fixed creation date written into the document properties, for reproducible files.
const FIXED_CREATION_DATE: (u16, u8, u8) = (2024, 1, 1);

/// The workbook, `ofsted-themes.xlsx`: the CSVs' figures as sheets, coloured.
pub struct Spreadsheet;

impl Output for Spreadsheet {
    fn files(&self) -> &'static [&'static str] {
        &[WORKBOOK_FILE]
    }

    fn render(&self, results: &RunResults, outputs: &mut Outputs) -> Result<()> {
        let bytes = build(
            results.reports,
            results.summary,
            results.taxonomy,
            results.view,
            results.all_reports,
            sheet_rows(),
        )
        .with_context(|| format!("cannot build the workbook {WORKBOOK_FILE}"))?;
        outputs.stage(WORKBOOK_FILE, |out: &mut dyn Write| {
            out.write_all(&bytes)?;
            Ok(())
        })?;
        Ok(())
    }
}

/// The workbook's bytes, no sheet longer than `sheet_rows` rows (header included).
pub fn build(
    reports: &[LabelledReport],
    summary: &Summary,
    taxonomy: &Taxonomy,
    view: View,
    all_reports: bool,
    sheet_rows: usize,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let (year, month, day) = FIXED_CREATION_DATE;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("Ofsted themes: children's social care reports compared")
            .set_author("ofsted-themes")
            .set_creation_datetime(&ExcelDateTime::from_ymd(year, month, day)?),
    );
    let styles = Styles::new();
    reports_sheet(workbook.add_worksheet(), reports, summary, &styles)?;
    authorities_sheet(
        workbook.add_worksheet(),
        reports,
        summary,
        taxonomy,
        view,
        all_reports,
        &styles,
    )?;
    let theme_rows: Vec<(usize, usize)> = (0..summary.reports.len())
        .flat_map(|r| (0..taxonomy.themes.len()).map(move |t| (r, t)))
        .collect();
    for (name, part) in sheet_parts(THEMES_SHEET, theme_rows.len(), sheet_rows) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&name)?;
        themes_sheet(
            sheet,
            reports,
            summary,
            taxonomy,
            &theme_rows[part],
            &styles,
        )?;
    }
    let sentence_rows: Vec<(usize, usize)> = summary
        .reports
        .iter()
        .enumerate()
        .flat_map(|(r, rs)| (0..reports[rs.index].labels.len()).map(move |s| (r, s)))
        .collect();
    for (name, part) in sheet_parts(SENTENCES_SHEET, sentence_rows.len(), sheet_rows) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&name)?;
        sentences_sheet(
            sheet,
            reports,
            summary,
            taxonomy,
            &sentence_rows[part],
            &styles,
        )?;
    }
    workbook.save_to_buffer()
}

/// The sheets a table of `rows` data rows goes on, `sheet_rows` rows each (header
/// included): its name ("Sentences", then "Sentences 2"…) and its rows. One sheet, however
/// few rows. More than one is said on stderr.
fn sheet_parts(
    base: &str,
    rows: usize,
    sheet_rows: usize,
) -> Vec<(String, std::ops::Range<usize>)> {
    let per_sheet = sheet_rows.clamp(2, MAX_SHEET_ROWS) - 1;
    let sheets = rows.div_ceil(per_sheet).max(1);
    if sheets > 1 {
        log::warn!(
            "note: the workbook's {base} table has {rows} rows, more than a sheet holds \
             ({per_sheet} and the header): it goes on over {sheets} sheets, {base} to {base} \
             {sheets}"
        );
    }
    (0..sheets)
        .map(|k| {
            let name = if k == 0 {
                base.to_string()
            } else {
                format!("{base} {}", k + 1)
            };
            (name, k * per_sheet..((k + 1) * per_sheet).min(rows))
        })
        .collect()
}

struct Styles {
    header: Format,
    /// Rotated header for the narrow theme columns.
    header_rotated: Format,
    wrap: Format,
    /// `wrap` with Excel's quote prefix, for text that looks like a formula.
    wrap_quoted: Format,
}

impl Styles {
    fn new() -> Styles {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(colours::HEADER))
            .set_border_bottom(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        Styles {
            header_rotated: header.clone().set_rotation(60),
            header,
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            wrap_quoted: Format::new()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_quote_prefix(),
        }
    }
}

/// Writes the header row, freezes it (and `frozen_columns` columns) and sets the autofilter
/// over `rows` data rows.
fn header(
    sheet: &mut Worksheet,
    columns: &[String],
    rotated_from: Option<usize>,
    frozen_columns: u16,
    rows: usize,
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (c, name) in columns.iter().enumerate() {
        let format = match rotated_from {
            Some(first) if c >= first => &styles.header_rotated,
            _ => &styles.header,
        };
        if write::looks_like_formula(name) {
            let quoted = format.clone().set_quote_prefix();
            sheet.write_string_with_format(0, c as u16, name, &quoted)?;
        } else {
            sheet.write_string_with_format(0, c as u16, name, format)?;
        }
    }
    sheet.set_freeze_panes(1, frozen_columns)?;
    let last_col = columns.len().saturating_sub(1) as u16;
    sheet.autofilter(0, 0, rows as u32, last_col)?;
    Ok(())
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn reports_sheet(
    sheet: &mut Worksheet,
    reports: &[LabelledReport],
    summary: &Summary,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name(REPORTS_SHEET)?;
    let mut columns = strings(REPORT_COLUMNS);
    columns.extend(strings(GRADE_COLUMNS));
    columns.extend(strings(REPORT_COUNT_COLUMNS));
    header(sheet, &columns, None, 0, summary.reports.len(), styles)?;
    for (i, rs) in summary.reports.iter().enumerate() {
        let row = i as u32 + 1;
        let lr = &reports[rs.index];
        let f = &lr.report.facts;
        let [la_code, ons_code, region] = codes::cells(&rs.authority);
        let texts = [
            lr.report.id.clone(),
            lr.report.source.display().to_string(),
            rs.authority.clone(),
            la_code,
            ons_code,
            region,
            f.kind.as_str().to_string(),
            write::date(f.start_date),
            write::date(f.end_date),
            write::date(f.published),
            write::date(rs.date),
            f.lead_inspector.clone().unwrap_or_default(),
        ];
        let mut col = 0u16;
        for text in texts.iter().chain(&write::grade_cells(lr)) {
            write_text(sheet, row, col, text)?;
            col += 1;
        }
        let c = &rs.stance_counts;
        for n in [
            c.total(),
            c.strengths,
            c.weaknesses,
            c.recommendations,
            c.context,
        ] {
            sheet.write_number(row, col, n as f64)?;
            col += 1;
        }
        write_text(sheet, row, col, &lr.classifier)?;
    }
    let widths = [
        14.0, 40.0, 26.0, 8.0, 11.0, 22.0, 16.0, 11.0, 11.0, 11.0, 11.0, 22.0,
    ];
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    let first_grade = REPORT_COLUMNS.len() as u16;
    sheet.set_column_range_width(
        first_grade,
        first_grade + GRADE_COLUMNS.len() as u16 - 1,
        14,
    )?;
    grade_colours(
        sheet,
        summary.reports.len(),
        first_grade,
        first_grade + GRADE_COLUMNS.len() as u16 - 1,
    )?;
    Ok(())
}

fn authorities_sheet(
    sheet: &mut Worksheet,
    reports: &[LabelledReport],
    summary: &Summary,
    taxonomy: &Taxonomy,
    view: View,
    all_reports: bool,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name(AUTHORITIES_SHEET)?;
    let rows = summary.authority_rows(view, all_reports);
    let mut columns = vec![AUTHORITY_NAME_COLUMN.to_string()];
    columns.extend(strings(GRADE_COLUMNS));
    columns.extend(strings(AUTHORITY_REPORT_COLUMNS));
    let first_theme = columns.len();
    columns.extend(taxonomy.themes.iter().map(|t| t.name.clone()));
    header(sheet, &columns, Some(first_theme), 1, rows.len(), styles)?;
    sheet.set_row_height(0, 120)?;
    for (i, rs) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let lr = &reports[rs.index];
        let [la_code, ons_code, region] = codes::cells(&rs.authority);
        let report = [
            write::date(rs.date),
            lr.report.facts.kind.as_str().to_string(),
            lr.report.id.clone(),
            la_code,
            ons_code,
            region,
        ];
        let mut col = 0u16;
        let name = std::slice::from_ref(&rs.authority);
        for text in name.iter().chain(&write::grade_cells(lr)).chain(&report) {
            write_text(sheet, row, col, text)?;
            col += 1;
        }
        for ts in &rs.themes {
            sheet.write_number(row, col, ts.counts.balance() as f64)?;
            col += 1;
        }
    }
    sheet.set_column_width(0, 30)?;
    let last_grade = GRADE_COLUMNS.len() as u16;
    sheet.set_column_range_width(1, last_grade, 12)?;
    grade_colours(sheet, rows.len(), 1, last_grade)?;
    for (c, width) in [11, 15, 14, 8, 11, 22].into_iter().enumerate() {
        sheet.set_column_width(last_grade + 1 + c as u16, width)?;
    }
    if !taxonomy.themes.is_empty() && !rows.is_empty() {
        let first = first_theme as u16;
        let last = (columns.len() - 1) as u16;
        sheet.set_column_range_width(first, last, 6)?;
        // Red below zero, white at zero, green above: the balance's sign is what matters.
        let heat = ConditionalFormat3ColorScale::new()
            .set_minimum(ConditionalFormatType::Number, -HEAT_SATURATION)
            .set_midpoint(ConditionalFormatType::Number, 0)
            .set_maximum(ConditionalFormatType::Number, HEAT_SATURATION)
            .set_minimum_color(Color::RGB(colours::NEGATIVE))
            .set_midpoint_color(Color::RGB(colours::NEUTRAL))
            .set_maximum_color(Color::RGB(colours::POSITIVE));
        sheet.add_conditional_format(1, first, rows.len() as u32, last, &heat)?;
    }
    Ok(())
}

/// The Themes sheet (one of them, when split): `rows` are (report, theme) positions in
/// `summary.reports` and `taxonomy.themes`.
fn themes_sheet(
    sheet: &mut Worksheet,
    reports: &[LabelledReport],
    summary: &Summary,
    taxonomy: &Taxonomy,
    rows: &[(usize, usize)],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let mut columns = strings(write::THEME_COUNT_COLUMNS);
    columns.push(THEME_BALANCE_COLUMN.to_string());
    header(sheet, &columns, None, 0, rows.len(), styles)?;
    // Row 0 is the header.
    for (row, &(r, t)) in (1u32..).zip(rows) {
        let rs = &summary.reports[r];
        let lr = &reports[rs.index];
        let (theme, ts) = (&taxonomy.themes[t], &rs.themes[t]);
        let texts = [
            lr.report.id.as_str(),
            rs.authority.as_str(),
            lr.report.facts.kind.as_str(),
            &write::date(rs.date),
            theme.id.as_str(),
            theme.name.as_str(),
        ];
        let mut col = 0u16;
        for text in texts {
            write_text(sheet, row, col, text)?;
            col += 1;
        }
        let c = &ts.counts;
        for n in [
            c.strengths as f64,
            c.weaknesses as f64,
            c.recommendations as f64,
            c.context as f64,
            c.total() as f64,
            c.balance() as f64,
        ] {
            sheet.write_number(row, col, n)?;
            col += 1;
        }
    }
    let widths = [
        14.0, 26.0, 15.0, 11.0, 20.0, 30.0, 10.0, 11.0, 15.0, 9.0, 7.0, 8.0,
    ];
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    Ok(())
}

/// The Sentences sheet (one of them, when split): `rows` are (report, sentence) positions,
/// the report in `summary.reports`.
fn sentences_sheet(
    sheet: &mut Worksheet,
    reports: &[LabelledReport],
    summary: &Summary,
    taxonomy: &Taxonomy,
    rows: &[(usize, usize)],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let mut columns = strings(SENTENCE_COLUMNS);
    let first_theme = columns.len();
    columns.extend(taxonomy.themes.iter().map(|t| t.name.clone()));
    header(sheet, &columns, Some(first_theme), 0, rows.len(), styles)?;
    sheet.set_row_height(0, 120)?;
    // Row 0 is the header.
    for (row, &(k, i)) in (1u32..).zip(rows) {
        let rs = &summary.reports[k];
        let lr = &reports[rs.index];
        let r = &lr.report;
        let date = write::date(rs.date);
        let (s, label) = (&r.sentences[i], &lr.labels[i]);
        write_text(sheet, row, 0, &rs.authority)?;
        write_text(sheet, row, 1, &date)?;
        write_text(sheet, row, 2, r.facts.kind.as_str())?;
        write_text(sheet, row, 3, &r.id)?;
        sheet.write_number(row, 4, s.no as f64)?;
        write_text(sheet, row, 5, &s.section)?;
        write_text(sheet, row, 6, label.stance.as_str())?;
        let themes: Vec<&str> = label.themes.iter().map(|t| t.id.as_str()).collect();
        write_text(sheet, row, 7, &themes.join(";"))?;
        let text_format = if write::looks_like_formula(&s.text) {
            &styles.wrap_quoted
        } else {
            &styles.wrap
        };
        write_text_with_format(sheet, row, 8, &s.text, text_format)?;
        for theme in &label.themes {
            if let Some(t) = taxonomy.themes.iter().position(|x| x.id == theme.id) {
                sheet.write_string(row, (first_theme + t) as u16, label.stance.as_str())?;
            }
        }
    }
    let widths = [24.0, 11.0, 13.0, 14.0, 6.0, 24.0, 14.0, 22.0, 90.0];
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    if !taxonomy.themes.is_empty() {
        let first = first_theme as u16;
        let last = (columns.len() - 1) as u16;
        sheet.set_column_range_width(first, last, 6)?;
        if !rows.is_empty() {
            let stance_rule = |stance: Stance| {
                let fill = colours::STANCES[stance.index()];
                ConditionalFormatCell::new()
                    .set_rule(ConditionalFormatCellRule::EqualTo(stance.as_str()))
                    .set_format(Format::new().set_background_color(Color::RGB(fill)))
            };
            for stance in Stance::ALL {
                let rule = stance_rule(stance);
                // The stance column and the theme columns alike.
                sheet.add_conditional_format(1, 6, rows.len() as u32, 6, &rule)?;
                sheet.add_conditional_format(1, first, rows.len() as u32, last, &rule)?;
            }
        }
    }
    Ok(())
}

/// Colours grade cells by grade.
fn grade_colours(
    sheet: &mut Worksheet,
    rows: usize,
    first_col: u16,
    last_col: u16,
) -> Result<(), XlsxError> {
    if rows == 0 {
        return Ok(());
    }
    for (grade, fill) in colours::GRADES {
        let rule = ConditionalFormatCell::new()
            .set_rule(ConditionalFormatCellRule::EqualTo(grade))
            .set_format(Format::new().set_background_color(Color::RGB(fill)));
        sheet.add_conditional_format(1, first_col, rows as u32, last_col, &rule)?;
    }
    Ok(())
}

/// The most characters an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// Writes a text cell, leaving empty strings as empty cells (so filters show "(Blanks)"),
/// with the quote prefix when it looks like a formula.
fn write_text(sheet: &mut Worksheet, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
    if write::looks_like_formula(text) {
        write_text_with_format(sheet, row, col, text, &Format::new().set_quote_prefix())
    } else if text.chars().count() > MAX_CELL_CHARS {
        sheet.write_string(row, col, cut_to_cell(text))?;
        Ok(())
    } else {
        if !text.is_empty() {
            sheet.write_string(row, col, text)?;
        }
        Ok(())
    }
}

/// Text cut to Excel's cell limit, ending with "…".
fn cut_to_cell(text: &str) -> String {
    let mut cut: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// [`write_text`] in `format`. Text over Excel's limit is cut, ending with "…" (segmenting
/// keeps sentences far shorter; this keeps a store from older versions writable).
fn write_text_with_format(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if text.chars().count() > MAX_CELL_CHARS {
        sheet.write_string_with_format(row, col, cut_to_cell(text), format)?;
    } else if !text.is_empty() {
        sheet.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}
