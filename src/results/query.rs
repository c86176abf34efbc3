//! What a comparison shows: which authorities, themes and reports, and which figure; and
//! the rows and columns of a results folder that answer it.

use std::path::Path;

use anyhow::{anyhow, bail, Result};

use crate::aggregate::View as ReportsView;
use crate::codes;
use crate::results::{ReportRow, Results};

/// Which reports the table has a row for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// One per authority: its latest full inspection, or its latest report.
    OnePerAuthority(ReportsView),
    /// Every report, by authority then date.
    EveryReport,
}

impl Default for View {
    fn default() -> Self {
        View::OnePerAuthority(ReportsView::FullInspection)
    }
}

/// The figure each cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Measure {
    /// (Strengths − weaknesses − recommendations) / every sentence about the theme, −1 to +1.
    #[default]
    Share,
    /// Sentences about the theme, of every stance.
    N,
    /// Strengths − (weaknesses + recommendations).
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
    /// A region as typed ("london"); `None`: all.
    pub region: Option<String>,
    pub view: View,
    pub measure: Measure,
}

/// The rows and columns of a results folder that answer a [`Query`].
pub struct Selection {
    /// Theme columns, as indices of [`Results::theme_ids`], in the order asked.
    pub themes: Vec<usize>,
    /// Report rows, as indices of [`Results::reports`].
    pub rows: Vec<usize>,
    /// Authorities that match but have no report in the view (no full inspection): the
    /// latest report of each.
    pub left_out: Vec<usize>,
    /// Whether each report passes the authority and region filters.
    pub kept: Vec<bool>,
}

impl Query {
    /// The rows and columns of `results` (read from `dir`) that this query asks for, or an
    /// error naming what the folder has.
    pub fn select(&self, results: &Results, dir: &Path) -> Result<Selection> {
        let themes = self.theme_columns(results, dir)?;
        let (rows, left_out): (Vec<usize>, Vec<usize>) = match self.view {
            View::OnePerAuthority(v) => results.in_view(v),
            View::EveryReport => ((0..results.reports.len()).collect(), Vec::new()),
        };
        let by_name = matching_authorities(&results.reports, &self.authorities, dir)?;
        let region = match &self.region {
            Some(text) => Some(codes::region_named(text).map_err(|e| anyhow!(e))?),
            None => None,
        };
        let kept: Vec<bool> = (0..results.reports.len())
            .map(|i| by_name[i] && region.is_none_or(|r| results.reports[i].region == r))
            .collect();
        let rows: Vec<usize> = rows.into_iter().filter(|&i| kept[i]).collect();
        let left_out: Vec<usize> = left_out.into_iter().filter(|&i| kept[i]).collect();
        if rows.is_empty() && left_out.is_empty() {
            bail!(
                "no authority in {} is in the region {}",
                dir.display(),
                region.unwrap_or("asked for")
            );
        }
        Ok(Selection {
            themes,
            rows,
            left_out,
            kept,
        })
    }

    /// Themes: all, or those asked for, in the order asked.
    fn theme_columns(&self, results: &Results, dir: &Path) -> Result<Vec<usize>> {
        if self.themes.is_empty() {
            return Ok((0..results.theme_ids.len()).collect());
        }
        let mut columns: Vec<usize> = Vec::new();
        for id in &self.themes {
            match results.theme_ids.iter().position(|t| t == id) {
                Some(i) if !columns.contains(&i) => columns.push(i),
                Some(_) => {}
                None => bail!(
                    "unknown theme id {id:?}; the themes in {} are: {}",
                    dir.display(),
                    results.theme_ids.join(", ")
                ),
            }
        }
        Ok(columns)
    }
}

/// Indices of the reports whose authority matches one of `wanted` (whole name first, else
/// part of it), or an error naming what the folder has.
fn matching_authorities(reports: &[ReportRow], wanted: &[String], dir: &Path) -> Result<Vec<bool>> {
    let mut chosen = vec![wanted.is_empty(); reports.len()];
    for want in wanted {
        let want_lc = want.trim().to_lowercase();
        let exact: Vec<usize> = (0..reports.len())
            .filter(|&i| reports[i].authority.to_lowercase() == want_lc)
            .collect();
        let found: Vec<usize> = if exact.is_empty() {
            (0..reports.len())
                .filter(|&i| reports[i].authority.to_lowercase().contains(&want_lc))
                .collect()
        } else {
            exact
        };
        if found.is_empty() {
            let mut names: Vec<&str> = reports.iter().map(|r| r.authority.as_str()).collect();
            names.dedup();
            let shown = names.len().min(20);
            bail!(
                "no authority in {} matches {want:?}; it has: {}{}",
                dir.display(),
                names[..shown].join(", "),
                if names.len() > shown { ", ..." } else { "" }
            );
        }
        for i in found {
            chosen[i] = true;
        }
    }
    Ok(chosen)
}
