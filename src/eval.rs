//! Scoring a classifier against hand-labelled sentences.
//!
//! The metrics are plain functions of (truth, predicted) pairs, so any classifier
//! ("rules", "model", "combined") can be scored the same way and side by side:
//! [`StanceMetrics::compute`], [`ThemeMetrics::compute`]. [`read_labelled`] reads the
//! JSONL format of `labelled.jsonl`; [`evaluate`] runs a classifier over it.
//!
//! Conventions, chosen to be explicit rather than clever:
//! - precision is 0 when nothing was predicted for a class, recall is 0 when a class has
//!   no support, F1 is 0 when precision + recall is 0;
//! - stance macro-F1 averages the four stances, whatever their support;
//! - theme macro-F1 averages the themes with support (at least one true sentence) in the
//!   scored file, so a theme absent from the file neither helps nor hurts; theme
//!   micro-F1 pools every (sentence, theme) decision;
//! - rows marked `not_a_sentence` (headings, fragments, page furniture) are scored like
//!   any other row, as they are labelled (LABELLING.md: `context`, no themes), because the
//!   pipeline meets such text too and must label it so.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::classify::Classifier;
use crate::taxonomy::Taxonomy;
use crate::types::{Label, SentenceInput, Stance};

/// One hand-labelled sentence (a line of `labelled.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledSentence {
    pub id: String,
    #[serde(default)]
    pub doc: String,
    pub text: String,
    #[serde(default)]
    pub prev: String,
    #[serde(default)]
    pub next: String,
    pub stance: Stance,
    #[serde(default)]
    pub themes: Vec<String>,
    #[serde(default)]
    pub not_a_sentence: bool,
}

impl LabelledSentence {
    /// The classifier's view. The labelled format carries no section or list structure,
    /// so those are empty: the rules are scored on the text and its neighbours alone.
    pub fn input(&self) -> SentenceInput<'_> {
        SentenceInput {
            text: &self.text,
            prev: &self.prev,
            next: &self.next,
            section: "",
            in_improvement_list: false,
        }
    }
}

/// Ids of the labelled file's hard cases start with this: sentences picked from the corpus
/// where two classifiers disagreed on stance or the default was unsure, so harder than a
/// random sample of sentences (`../shared/LABELLING.md`).
pub const HARD_CASE_ID_PREFIX: &str = "v";

/// Whether a labelled row is one of the hard cases (its id starts with
/// [`HARD_CASE_ID_PREFIX`]); cross-validated figures are given with and without them.
pub fn is_hard_case(id: &str) -> bool {
    id.starts_with(HARD_CASE_ID_PREFIX)
}

/// The kind of document a labelled row comes from, for figures split by kind: reports
/// hold different sentences from letters and news write-ups, and a classifier can do well on
/// one and badly on another. Read from the row's `doc`: `ilacs/…` or `…_ilacs.pdf` is a
/// report, `focused-visit/…` or `…_fv.pdf` a letter, `news_train/…` and `seeds/…` news.
pub fn doc_kind(doc: &str) -> &'static str {
    let doc = doc.to_ascii_lowercase();
    let name = doc.rsplit('/').next().unwrap_or(&doc);
    if doc.starts_with("news") || doc.starts_with("seeds/") {
        "news"
    } else if doc.starts_with("focused-visit/") || name.contains("_fv") {
        "letter"
    } else if doc.starts_with("ilacs/") || name.contains("_ilacs") {
        "report"
    } else {
        "other"
    }
}

/// The kinds [`doc_kind`] gives, in the order figures are printed.
pub const DOC_KINDS: [&str; 4] = ["report", "letter", "news", "other"];

/// Rows of each kind of document ([`doc_kind`]), in [`DOC_KINDS`] order, kinds with no row
/// left out.
pub fn rows_by_kind<'a>(
    docs: impl IntoIterator<Item = &'a str>,
) -> Vec<(&'static str, Vec<usize>)> {
    let mut by_kind: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for (i, doc) in docs.into_iter().enumerate() {
        by_kind.entry(doc_kind(doc)).or_default().push(i);
    }
    DOC_KINDS
        .iter()
        .filter_map(|kind| by_kind.remove(kind).map(|rows| (*kind, rows)))
        .collect()
}

/// Reads a labelled JSONL file; a bad line is an error naming the file and line number.
/// Blank lines are skipped.
pub fn read_labelled(path: &Path) -> Result<Vec<LabelledSentence>> {
    read_checked(path, |_| Ok(()))
}

/// [`read_labelled`], also refusing a theme id that `taxonomy` does not have (training
/// needs every theme to be one of the heads').
pub fn read_labelled_for(path: &Path, taxonomy: &Taxonomy) -> Result<Vec<LabelledSentence>> {
    read_checked(path, |row| {
        match row.themes.iter().find(|t| taxonomy.theme(t).is_none()) {
            Some(bad) => bail!("unknown theme {bad:?}"),
            None => Ok(()),
        }
    })
}

fn read_checked(
    path: &Path,
    check: impl Fn(&LabelledSentence) -> Result<()>,
) -> Result<Vec<LabelledSentence>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open labelled file {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line_no = i + 1;
        let line =
            line.with_context(|| format!("{}, line {line_no}: cannot read", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: LabelledSentence = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}, line {line_no}: not a labelled sentence",
                path.display()
            )
        })?;
        check(&row).with_context(|| format!("{}, line {line_no}", path.display()))?;
        rows.push(row);
    }
    if rows.is_empty() {
        bail!("{}: holds no labelled sentences", path.display());
    }
    Ok(rows)
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// True instances of the class.
    pub support: usize,
    /// Instances predicted as the class.
    pub predicted: usize,
}

impl ClassScores {
    /// From true positives, predicted count and support.
    pub fn from_counts(true_positives: usize, predicted: usize, support: usize) -> ClassScores {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(true_positives, predicted);
        let recall = ratio(true_positives, support);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        ClassScores {
            precision,
            recall,
            f1,
            support,
            predicted,
        }
    }
}

/// Stance metrics: per-class scores in [`Stance::ALL`] order, macro-F1, accuracy and the
/// confusion matrix (rows = truth, columns = predicted, both in [`Stance::ALL`] order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StanceMetrics {
    pub per_class: BTreeMap<String, ClassScores>,
    pub macro_f1: f64,
    pub accuracy: f64,
    pub confusion: [[usize; 4]; 4],
    pub n: usize,
}

impl StanceMetrics {
    /// From (truth, predicted) pairs.
    pub fn compute(pairs: &[(Stance, Stance)]) -> StanceMetrics {
        let mut confusion = [[0usize; 4]; 4];
        for &(truth, predicted) in pairs {
            confusion[truth.index()][predicted.index()] += 1;
        }
        let mut per_class = BTreeMap::new();
        let mut f1_sum = 0.0;
        for stance in Stance::ALL {
            let k = stance.index();
            let support: usize = confusion[k].iter().sum();
            let predicted: usize = confusion.iter().map(|row| row[k]).sum();
            let scores = ClassScores::from_counts(confusion[k][k], predicted, support);
            f1_sum += scores.f1;
            per_class.insert(stance.as_str().to_string(), scores);
        }
        let correct: usize = (0..4).map(|k| confusion[k][k]).sum();
        StanceMetrics {
            per_class,
            macro_f1: f1_sum / 4.0,
            accuracy: if pairs.is_empty() {
                0.0
            } else {
                correct as f64 / pairs.len() as f64
            },
            confusion,
            n: pairs.len(),
        }
    }

    pub fn class(&self, stance: Stance) -> ClassScores {
        self.per_class[stance.as_str()]
    }
}

/// Theme metrics: per-theme scores (every theme seen in truth or predictions), micro
/// P/R/F1 over all (sentence, theme) decisions, macro-F1 over themes with support.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeMetrics {
    pub per_theme: BTreeMap<String, ClassScores>,
    pub micro: ClassScores,
    pub macro_f1: f64,
    /// Sentences where the predicted theme set equals the true one.
    pub exact_match: f64,
    pub n: usize,
}

impl ThemeMetrics {
    /// From (true themes, predicted themes) pairs, one per sentence. Duplicate ids within
    /// one set count once.
    pub fn compute<S: AsRef<str>>(pairs: &[(Vec<S>, Vec<S>)]) -> ThemeMetrics {
        // id -> (true positives, predicted, support)
        let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        let mut exact = 0;
        for (truth, predicted) in pairs {
            let truth: std::collections::BTreeSet<&str> =
                truth.iter().map(|s| s.as_ref()).collect();
            let predicted: std::collections::BTreeSet<&str> =
                predicted.iter().map(|s| s.as_ref()).collect();
            if truth == predicted {
                exact += 1;
            }
            for &id in &truth {
                let c = counts.entry(id.to_string()).or_default();
                c.2 += 1;
                if predicted.contains(id) {
                    c.0 += 1;
                }
            }
            for &id in &predicted {
                counts.entry(id.to_string()).or_default().1 += 1;
            }
        }
        let per_theme: BTreeMap<String, ClassScores> = counts
            .iter()
            .map(|(id, &(tp, predicted, support))| {
                (id.clone(), ClassScores::from_counts(tp, predicted, support))
            })
            .collect();
        let (tp, predicted, support) = counts
            .values()
            .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
        let supported: Vec<f64> = per_theme
            .values()
            .filter(|s| s.support > 0)
            .map(|s| s.f1)
            .collect();
        ThemeMetrics {
            per_theme,
            micro: ClassScores::from_counts(tp, predicted, support),
            macro_f1: if supported.is_empty() {
                0.0
            } else {
                supported.iter().sum::<f64>() / supported.len() as f64
            },
            exact_match: if pairs.is_empty() {
                0.0
            } else {
                exact as f64 / pairs.len() as f64
            },
            n: pairs.len(),
        }
    }
}

/// A classifier's scores on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub classifier: String,
    /// Whether the classifier was trained on these very sentences (the model's heads on their
    /// own training file), so its figures flatter it.
    pub in_sample: bool,
    pub stance: StanceMetrics,
    pub themes: ThemeMetrics,
    /// The headline figures on the rows of each kind of document ([`doc_kind`]).
    pub by_kind: Vec<KindScores>,
}

/// Headline figures on the rows of one kind of document, with what the stance errors are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindScores {
    pub kind: String,
    pub sentences: usize,
    pub stance_accuracy: f64,
    pub stance_macro_f1: f64,
    pub theme_micro_f1: f64,
    /// Rows = truth, columns = predicted, both in [`Stance::ALL`] order.
    pub confusion: [[usize; 4]; 4],
    /// The most frequent stance errors, most first (at most [`SHOWN_CONFUSIONS`]).
    pub top_confusions: Vec<Confusion>,
}

/// How many of a kind's stance errors `eval` shows, and how many sentences of each: enough
/// to see what the figures hide without drowning the table.
pub const SHOWN_CONFUSIONS: usize = 4;
pub const EXAMPLES_PER_CONFUSION: usize = 3;

/// One kind of stance error: sentences labelled `truth` that the classifier called
/// `predicted`, with the ones it was surest of as examples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    pub truth: Stance,
    pub predicted: Stance,
    pub count: usize,
    /// (row id, the classifier's stance score, text), surest first.
    pub examples: Vec<(String, f32, String)>,
}

/// The stance errors among `rows` (indices into `labelled` and `labels`), most frequent
/// first (ties in [`Stance::ALL`] order), each with its surest examples.
fn top_confusions(
    labelled: &[LabelledSentence],
    labels: &[Label],
    rows: &[usize],
) -> Vec<Confusion> {
    let mut errors: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for &i in rows {
        let (truth, predicted) = (labelled[i].stance, labels[i].stance);
        if truth != predicted {
            errors
                .entry((truth.index(), predicted.index()))
                .or_default()
                .push(i);
        }
    }
    let mut confusions: Vec<Confusion> = errors
        .into_iter()
        .map(|((truth, predicted), mut of)| {
            // Surest first; the file's order breaks ties, so the choice is deterministic.
            of.sort_by(|&a, &b| {
                labels[b]
                    .stance_score
                    .total_cmp(&labels[a].stance_score)
                    .then(a.cmp(&b))
            });
            Confusion {
                truth: Stance::ALL[truth],
                predicted: Stance::ALL[predicted],
                count: of.len(),
                examples: of
                    .iter()
                    .take(EXAMPLES_PER_CONFUSION)
                    .map(|&i| {
                        (
                            labelled[i].id.clone(),
                            labels[i].stance_score,
                            labelled[i].text.clone(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
    confusions.truncate(SHOWN_CONFUSIONS);
    confusions
}

/// Labels every row with `classifier` and scores the labels against the rows' own.
pub fn evaluate(classifier: &dyn Classifier, rows: &[LabelledSentence]) -> Result<EvalReport> {
    let inputs: Vec<SentenceInput> = rows.iter().map(LabelledSentence::input).collect();
    let labels = classifier.classify_batch(&inputs)?;
    Ok(score(classifier.name(), rows, &labels))
}

/// Scores labels (one per row, in order) against the rows' own.
pub fn score(classifier: &str, rows: &[LabelledSentence], labels: &[Label]) -> EvalReport {
    assert_eq!(rows.len(), labels.len(), "one label per labelled row");
    let stance_pairs: Vec<(Stance, Stance)> = rows
        .iter()
        .zip(labels)
        .map(|(row, label)| (row.stance, label.stance))
        .collect();
    let theme_pairs: Vec<(Vec<&str>, Vec<&str>)> = rows
        .iter()
        .zip(labels)
        .map(|(row, label)| {
            (
                row.themes.iter().map(String::as_str).collect(),
                label.themes.iter().map(|t| t.id.as_str()).collect(),
            )
        })
        .collect();
    let by_kind = rows_by_kind(rows.iter().map(|r| r.doc.as_str()))
        .into_iter()
        .map(|(kind, of_kind)| {
            let stance = StanceMetrics::compute(&pick(&stance_pairs, &of_kind));
            let themes = ThemeMetrics::compute(&pick(&theme_pairs, &of_kind));
            KindScores {
                kind: kind.to_string(),
                sentences: of_kind.len(),
                stance_accuracy: stance.accuracy,
                stance_macro_f1: stance.macro_f1,
                theme_micro_f1: themes.micro.f1,
                confusion: stance.confusion,
                top_confusions: top_confusions(rows, labels, &of_kind),
            }
        })
        .collect();
    EvalReport {
        classifier: classifier.to_string(),
        in_sample: false,
        stance: StanceMetrics::compute(&stance_pairs),
        themes: ThemeMetrics::compute(&theme_pairs),
        by_kind,
    }
}

/// The items at `rows`, in that order.
fn pick<T: Clone>(items: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| items[i].clone()).collect()
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stance;
        writeln!(f, "classifier: {}   sentences: {}", self.classifier, s.n)?;
        writeln!(f)?;
        writeln!(f, "STANCE")?;
        writeln!(
            f,
            "{:<16}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "class", "precision", "recall", "f1", "support", "predicted"
        )?;
        for stance in Stance::ALL {
            let c = s.class(stance);
            writeln!(
                f,
                "{:<16}{:>10.3}{:>10.3}{:>10.3}{:>10}{:>10}",
                stance.as_str(),
                c.precision,
                c.recall,
                c.f1,
                c.support,
                c.predicted
            )?;
        }
        writeln!(f, "macro-F1 {:.3}   accuracy {:.3}", s.macro_f1, s.accuracy)?;
        writeln!(f)?;
        writeln!(f, "confusion (rows = truth, columns = predicted)")?;
        write_confusion(f, &s.confusion)?;
        writeln!(f)?;
        let t = &self.themes;
        writeln!(f, "THEMES")?;
        writeln!(
            f,
            "micro P {:.3}  R {:.3}  F1 {:.3}   macro-F1 {:.3} (themes with support)   exact set match {:.3}",
            t.micro.precision, t.micro.recall, t.micro.f1, t.macro_f1, t.exact_match
        )?;
        writeln!(
            f,
            "{:<24}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "theme", "precision", "recall", "f1", "support", "predicted"
        )?;
        for (id, c) in &t.per_theme {
            writeln!(
                f,
                "{:<24}{:>10.3}{:>10.3}{:>10.3}{:>10}{:>10}",
                id, c.precision, c.recall, c.f1, c.support, c.predicted
            )?;
        }
        writeln!(f)?;
        writeln!(f, "BY KIND OF DOCUMENT")?;
        writeln!(
            f,
            "{:<10}{:>10}{:>10}{:>12}{:>12}",
            "kind", "sentences", "accuracy", "stance F1", "theme F1"
        )?;
        for k in &self.by_kind {
            writeln!(
                f,
                "{:<10}{:>10}{:>10.3}{:>12.3}{:>12.3}",
                k.kind, k.sentences, k.stance_accuracy, k.stance_macro_f1, k.theme_micro_f1
            )?;
        }
        for k in &self.by_kind {
            writeln!(f)?;
            writeln!(
                f,
                "{}: stance confusion (rows = truth, columns = predicted)",
                k.kind
            )?;
            write_confusion(f, &k.confusion)?;
            if k.top_confusions.is_empty() {
                continue;
            }
            writeln!(
                f,
                "{}: most frequent stance errors, with the sentences the classifier was surest of",
                k.kind
            )?;
            for c in &k.top_confusions {
                writeln!(
                    f,
                    "  {} called {}: {} sentence{}",
                    c.truth.as_str(),
                    c.predicted.as_str(),
                    c.count,
                    if c.count == 1 { "" } else { "s" }
                )?;
                for (id, score, text) in &c.examples {
                    writeln!(f, "    {id} ({score:.2}) {}", crate::text::head(text, 140))?;
                }
            }
        }
        Ok(())
    }
}

/// A stance confusion matrix as aligned rows, truth down and predictions across.
fn write_confusion(f: &mut fmt::Formatter<'_>, confusion: &[[usize; 4]; 4]) -> fmt::Result {
    write!(f, "{:<16}", "")?;
    for stance in Stance::ALL {
        write!(f, "{:>16}", stance.as_str())?;
    }
    writeln!(f)?;
    for truth in Stance::ALL {
        write!(f, "{:<16}", truth.as_str())?;
        for predicted in Stance::ALL {
            write!(f, "{:>16}", confusion[truth.index()][predicted.index()])?;
        }
        writeln!(f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, doc: &str, text: &str, stance: Stance) -> LabelledSentence {
        LabelledSentence {
            id: id.into(),
            doc: doc.into(),
            text: text.into(),
            prev: String::new(),
            next: String::new(),
            stance,
            themes: vec![],
            not_a_sentence: false,
        }
    }

    fn label(stance: Stance, stance_score: f32) -> Label {
        Label {
            stance,
            stance_score,
            themes: vec![],
            evidence: vec![],
        }
    }

    #[test]
    fn each_kind_has_its_confusion_matrix_and_its_commonest_errors_with_examples() {
        use Stance::*;
        let rows = [
            row(
                "n1",
                "news_train/A_2020_x",
                "Inspectors said it was good.",
                Strength,
            ),
            row(
                "n2",
                "news_train/A_2020_x",
                "The report says it improved.",
                Strength,
            ),
            row(
                "n3",
                "news_train/B_2021_y",
                "Ofsted told the trust it was better.",
                Strength,
            ),
            row(
                "n4",
                "news_train/B_2021_y",
                "It was rated inadequate in 2017.",
                Context,
            ),
            row(
                "r1",
                "ilacs/c_2019-01-01_ilacs.pdf",
                "Plans are weak.",
                Weakness,
            ),
        ];
        let labels = [
            label(Context, 0.6),
            label(Context, 0.9),
            label(Context, 0.7),
            label(Weakness, 0.8),
            label(Weakness, 0.9),
        ];
        let report = score("test", &rows, &labels);
        let news = report.by_kind.iter().find(|k| k.kind == "news").unwrap();
        assert_eq!(news.confusion[Strength.index()][Context.index()], 3);
        assert_eq!(news.confusion[Context.index()][Weakness.index()], 1);
        let top = &news.top_confusions[0];
        assert_eq!(
            (top.truth, top.predicted, top.count),
            (Strength, Context, 3)
        );
        // The surest first.
        let ids: Vec<&str> = top.examples.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(ids, ["n2", "n3", "n1"]);
        assert_eq!(news.top_confusions.len(), 2);
        assert!(report
            .to_string()
            .contains("context called weakness: 1 sentence\n"));
        let reports = report.by_kind.iter().find(|k| k.kind == "report").unwrap();
        assert!(reports.top_confusions.is_empty());
        let printed = report.to_string();
        assert!(
            printed.contains("news: most frequent stance errors"),
            "{printed}"
        );
        assert!(
            printed.contains("strength called context: 3 sentences"),
            "{printed}"
        );
        assert!(
            printed.contains("n2 (0.90) The report says it improved."),
            "{printed}"
        );
    }

    #[test]
    fn documents_are_sorted_into_reports_letters_and_news() {
        assert_eq!(doc_kind("ilacs/walsall_2025-07-08_ilacs.pdf"), "report");
        assert_eq!(doc_kind("focused-visit/luton_2019-06-04_fv.pdf"), "letter");
        assert_eq!(doc_kind("news_train/LEEDS_2019_x"), "news");
        assert_eq!(doc_kind("seeds/000_0acf5d652a6d567f.txt"), "news");
        assert_eq!(doc_kind("elsewhere/kent_2022_ilacs.pdf"), "report");
        assert_eq!(doc_kind("d"), "other");
        let docs = ["seeds/a.txt", "ilacs/b.pdf", "x", "ilacs/c.pdf"];
        assert_eq!(
            rows_by_kind(docs),
            vec![
                ("report", vec![1, 3]),
                ("news", vec![0]),
                ("other", vec![2])
            ]
        );
    }
}
