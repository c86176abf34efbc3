//! Stage 5, aggregate: labelled reports become the tables people compare.
//!
//! Contract: pure and deterministic; every count here can be recomputed from `sentences.csv`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::taxonomy::Taxonomy;
use crate::types::{Date, DocumentKind, LabelledReport, Stance};

/// Sentences of one stance about one theme.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StanceCounts {
    pub strengths: usize,
    pub weaknesses: usize,
    pub recommendations: usize,
    pub context: usize,
}

impl StanceCounts {
    pub fn add(&mut self, stance: Stance) {
        match stance {
            Stance::Strength => self.strengths += 1,
            Stance::Weakness => self.weaknesses += 1,
            Stance::Recommendation => self.recommendations += 1,
            Stance::Context => self.context += 1,
        }
    }

    pub fn get(&self, stance: Stance) -> usize {
        match stance {
            Stance::Strength => self.strengths,
            Stance::Weakness => self.weaknesses,
            Stance::Recommendation => self.recommendations,
            Stance::Context => self.context,
        }
    }

    pub fn total(&self) -> usize {
        self.strengths + self.weaknesses + self.recommendations + self.context
    }

    /// Strengths minus weaknesses and recommendations: above zero, a theme the report
    /// praises on balance; below, one it criticises.
    pub fn balance(&self) -> i64 {
        self.strengths as i64 - (self.weaknesses + self.recommendations) as i64
    }

    /// The sentences about the theme, of every stance: the `n` behind [`StanceCounts::share`].
    pub fn n(&self) -> usize {
        self.total()
    }

    /// The balance as a share of every sentence about the theme, in [−1, +1]: +1 when every
    /// sentence praises it, −1 when every one criticises it or asks for improvement, near 0
    /// when they are mixed or mostly context. `None` with no sentence.
    pub fn share(&self) -> Option<f64> {
        (self.n() > 0).then(|| self.balance() as f64 / self.n() as f64)
    }

    /// Whether [`StanceCounts::share`] rests on too few sentences to compare authorities by.
    pub fn too_few(&self) -> bool {
        self.n() < MIN_SENTENCES_TO_COMPARE
    }
}

/// Below this many sentences about a theme, its share is shown but marked as too few to
/// compare (one sentence makes a share of ±1).
pub const MIN_SENTENCES_TO_COMPARE: usize = 3;

/// A share as the outputs write it: two decimals, sign always shown ("+0.45", "-1.00",
/// "+0.00"); empty for no sentences.
pub fn share_text(share: Option<f64>) -> String {
    match share {
        Some(s) => {
            // Two decimals, rounded half away from zero, with no "-0.00".
            let hundredths = (s * 100.0).round() as i64;
            let sign = if hundredths < 0 { '-' } else { '+' };
            let h = hundredths.unsigned_abs();
            format!("{sign}{}.{:02}", h / 100, h % 100)
        }
        None => String::new(),
    }
}

/// Which report of each authority the comparison views (authorities.csv, the workbook's
/// Authorities sheet, the page's heat map, `compare`) stand on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum View {
    /// Each authority's latest full inspection, so like is compared with like; authorities
    /// with none are listed apart, never mixed in.
    #[default]
    FullInspection,
    /// Each authority's latest report of any kind (a focused visit may stand beside a full
    /// inspection).
    LatestReport,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::FullInspection => "full-inspection",
            View::LatestReport => "latest-report",
        }
    }

    /// How a title names the rows: "each authority's latest full inspection".
    pub fn describe(self) -> &'static str {
        match self {
            View::FullInspection => "each authority's latest full inspection",
            View::LatestReport => "each authority's latest report of any kind",
        }
    }
}

/// The kind of report the full-inspection view stands on.
pub fn is_full_inspection(kind: DocumentKind) -> bool {
    kind == DocumentKind::Inspection
}

/// The sentence that best shows a theme's stance in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub sentence_no: usize,
    pub text: String,
}

/// One report × one theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeSummary {
    pub theme: String,
    pub counts: StanceCounts,
    /// Best example of each stance, indexed by [`Stance::index`].
    pub examples: [Option<Example>; 4],
}

/// One report: its facts, counts and a summary of every theme of the taxonomy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    /// Index of the report in the slice given to [`summarise`].
    pub index: usize,
    /// Authority name, or a stand-in built from the file name when the text names none.
    pub authority: String,
    pub date: Option<Date>,
    pub kind: DocumentKind,
    pub stance_counts: StanceCounts,
    /// One per taxonomy theme, in taxonomy order.
    pub themes: Vec<ThemeSummary>,
}

/// Everything the writers need, computed once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// In output order: authority, then date, then report id.
    pub reports: Vec<ReportSummary>,
    /// Indices into `reports` of each authority's latest report, in authority order.
    pub latest_by_authority: Vec<usize>,
    /// Per authority, in the same order: its latest full inspection, if it has one.
    pub latest_full_by_authority: Vec<Option<usize>>,
}

impl Summary {
    /// The rows of the authorities table: each authority's report in `view` (authorities
    /// with no full inspection have no row in that view), or every report when `all_reports`
    /// is set.
    pub fn authority_rows(&self, view: View, all_reports: bool) -> Vec<&ReportSummary> {
        if all_reports {
            return self.reports.iter().collect();
        }
        self.rows_in(view)
            .into_iter()
            .map(|i| &self.reports[i])
            .collect()
    }

    /// Indices into `reports` of each authority's report in `view`, in authority order.
    pub fn rows_in(&self, view: View) -> Vec<usize> {
        match view {
            View::LatestReport => self.latest_by_authority.clone(),
            View::FullInspection => self
                .latest_full_by_authority
                .iter()
                .flatten()
                .copied()
                .collect(),
        }
    }

    /// The latest report of each authority that has no full inspection, in authority order.
    pub fn without_full_inspection(&self) -> Vec<&ReportSummary> {
        self.latest_by_authority
            .iter()
            .zip(&self.latest_full_by_authority)
            .filter(|(_, full)| full.is_none())
            .map(|(&i, _)| &self.reports[i])
            .collect()
    }

    /// Indices of an authority's full inspections, oldest first (by its lower-cased name).
    pub fn full_inspections_of(&self, authority: &str) -> Vec<usize> {
        let key = authority.to_lowercase();
        (0..self.reports.len())
            .filter(|&i| {
                let r = &self.reports[i];
                r.authority.to_lowercase() == key && is_full_inspection(r.kind)
            })
            .collect()
    }
}

/// The authority a report is filed under: its name, or "(unknown: FILE)".
pub fn authority_of(report: &LabelledReport) -> String {
    match &report.report.facts.local_authority {
        Some(name) => name.clone(),
        None => {
            let file = report
                .report
                .source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("(unknown: {file})")
        }
    }
}

/// Sorts reports into output order: authority, date, id.
pub fn sort_reports(reports: &mut [LabelledReport]) {
    reports.sort_by(|a, b| {
        authority_of(a)
            .to_lowercase()
            .cmp(&authority_of(b).to_lowercase())
            .then_with(|| {
                a.report
                    .facts
                    .report_date()
                    .cmp(&b.report.facts.report_date())
            })
            .then_with(|| a.report.id.cmp(&b.report.id))
    });
}

/// Summarises reports, which must already be in output order (see [`sort_reports`]).
pub fn summarise(reports: &[LabelledReport], taxonomy: &Taxonomy) -> Summary {
    let summaries: Vec<ReportSummary> = reports
        .iter()
        .enumerate()
        .map(|(index, report)| summarise_report(index, report, taxonomy))
        .collect();
    // Per authority: (latest report, latest full inspection).
    let mut latest: BTreeMap<String, (usize, Option<usize>)> = BTreeMap::new();
    for (i, summary) in summaries.iter().enumerate() {
        // Reports are sorted by date within an authority, so the last one seen is the latest.
        let entry = latest
            .entry(summary.authority.to_lowercase())
            .or_insert((i, None));
        entry.0 = i;
        if is_full_inspection(summary.kind) {
            entry.1 = Some(i);
        }
    }
    Summary {
        reports: summaries,
        latest_by_authority: latest.values().map(|&(l, _)| l).collect(),
        latest_full_by_authority: latest.values().map(|&(_, f)| f).collect(),
    }
}

fn summarise_report(index: usize, report: &LabelledReport, taxonomy: &Taxonomy) -> ReportSummary {
    let mut stance_counts = StanceCounts::default();
    let mut themes: Vec<ThemeSummary> = taxonomy
        .themes
        .iter()
        .map(|t| ThemeSummary {
            theme: t.id.clone(),
            counts: StanceCounts::default(),
            examples: Default::default(),
        })
        .collect();
    // Best example so far per theme and stance: (score, sentence index).
    let mut best: Vec<[Option<(f32, usize)>; 4]> = vec![[None; 4]; themes.len()];
    for (i, label) in report.labels.iter().enumerate() {
        stance_counts.add(label.stance);
        for theme_score in &label.themes {
            let Some(t) = themes.iter().position(|t| t.theme == theme_score.id) else {
                continue;
            };
            themes[t].counts.add(label.stance);
            let score = label.stance_score * theme_score.score;
            let slot = &mut best[t][label.stance.index()];
            // Strictly greater keeps the earliest sentence on ties: deterministic.
            if slot.is_none_or(|(s, _)| score > s) {
                *slot = Some((score, i));
            }
        }
    }
    for (theme, best) in themes.iter_mut().zip(best) {
        for (stance, slot) in best.into_iter().enumerate() {
            theme.examples[stance] = slot.map(|(_, i)| {
                let sentence = &report.report.sentences[i];
                Example {
                    sentence_no: sentence.no,
                    text: sentence.text.clone(),
                }
            });
        }
    }
    ReportSummary {
        index,
        authority: authority_of(report),
        date: report.report.facts.report_date(),
        kind: report.report.facts.kind,
        stance_counts,
        themes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_the_balance_over_every_sentence() {
        let c = StanceCounts {
            strengths: 3,
            weaknesses: 1,
            recommendations: 1,
            context: 5,
        };
        assert_eq!(c.n(), 10);
        assert_eq!(c.share(), Some(0.1));
        assert!(!c.too_few());
        assert_eq!(StanceCounts::default().share(), None);
        let one = StanceCounts {
            weaknesses: 1,
            ..Default::default()
        };
        assert_eq!(one.share(), Some(-1.0));
        assert!(one.too_few());
    }

    #[test]
    fn share_text_has_two_decimals_and_a_sign() {
        assert_eq!(share_text(Some(0.1)), "+0.10");
        assert_eq!(share_text(Some(-1.0)), "-1.00");
        assert_eq!(share_text(Some(2.0 / 3.0)), "+0.67");
        assert_eq!(share_text(Some(-0.001)), "+0.00");
        assert_eq!(share_text(Some(0.0)), "+0.00");
        assert_eq!(share_text(None), "");
    }
}
