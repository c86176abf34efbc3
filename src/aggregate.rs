//! Stage 5, aggregate: labelled reports become the tables people compare.
//!
//! Contract: pure and deterministic; every count here can be recomputed from `sentences.csv`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::taxonomy::Taxonomy;
use crate::types::{Date, LabelledReport, Stance};

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
}

impl Summary {
    /// The rows of the authorities table: the latest report of each authority, or every
    /// report when `all_reports` is set.
    pub fn authority_rows(&self, all_reports: bool) -> Vec<&ReportSummary> {
        if all_reports {
            self.reports.iter().collect()
        } else {
            self.latest_by_authority
                .iter()
                .map(|&i| &self.reports[i])
                .collect()
        }
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
    let mut latest: BTreeMap<String, usize> = BTreeMap::new();
    for (i, summary) in summaries.iter().enumerate() {
        // Reports are sorted by date within an authority, so the last one seen is the latest.
        latest.insert(summary.authority.to_lowercase(), i);
    }
    Summary {
        reports: summaries,
        latest_by_authority: latest.into_values().collect(),
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
        stance_counts,
        themes,
    }
}
