//! The stages composed: ingest → clean → facts → segment → classify, in parallel across
//! reports, with a progress bar and per-stage timings; [`sync`] brings the store up to date
//! with them, and [`run()`] is the whole of `ofsted-themes run`.

mod run;
pub mod sync;
pub mod worker;

pub use run::{rewrite_outputs, run, RunOptions, RunOutcome};
pub use worker::Reader;

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::classify::{self, Classifier, SentenceEmbeddings};
use crate::error::{InputError, InputProblem};
use crate::types::{BlockKind, LabelledReport, Report, SentenceInput};
use crate::{clean, facts, ingest, segment};

/// Time spent in each stage, summed over reports (so across threads it can exceed wall time).
#[derive(Debug, Default)]
pub struct StageTimes {
    nanos: [AtomicU64; 5],
}

impl StageTimes {
    pub const NAMES: [&'static str; 5] = ["ingest", "clean", "facts", "segment", "classify"];

    fn time<T>(&self, stage: usize, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.nanos[stage].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    /// Adds nanoseconds per stage, in [`Self::NAMES`] order (a worker process's times).
    fn add_nanos(&self, nanos: &[u64]) {
        for (total, n) in self.nanos.iter().zip(nanos) {
            total.fetch_add(*n, Ordering::Relaxed);
        }
    }

    /// (stage name, total time) in pipeline order.
    pub fn totals(&self) -> Vec<(&'static str, Duration)> {
        Self::NAMES
            .iter()
            .zip(&self.nanos)
            .map(|(name, n)| (*name, Duration::from_nanos(n.load(Ordering::Relaxed))))
            .collect()
    }
}

/// Reads a file into a [`Report`]: every stage but classification.
///
/// A panic in any stage is caught and reported against the file, so one bad input can never
/// take the batch down with it.
pub fn prepare(path: &Path, times: &StageTimes) -> Result<Report, InputError> {
    InputError::guard(path, || prepare_unguarded(path, times))
}

fn prepare_unguarded(path: &Path, times: &StageTimes) -> Result<Report, InputError> {
    let doc = times.time(0, || ingest::read(path))?;
    let blocks = times.time(1, || clean::clean(&doc));
    let facts = times.time(2, || facts::extract(&doc, &blocks));
    let sentences = times.time(3, || segment::segment(&blocks));
    if sentences.is_empty() {
        return Err(InputError::new(path, InputProblem::NoSentences));
    }
    Ok(Report {
        id: doc.sha256[..12].to_string(),
        source: doc.path,
        sha256: doc.sha256,
        format: doc.format,
        facts,
        sentences,
    })
}

/// Labels every sentence of a report; headings that state no grade are `context`
/// whatever their words (see [`classify::heading_label`]), and a piece of an overlong
/// sentence says so in its evidence. When the classifier fails, the report is not labelled
/// at all: the error names its file.
pub fn label(
    report: Report,
    classifier: &dyn Classifier,
    times: &StageTimes,
) -> Result<LabelledReport, InputError> {
    label_with_embeddings(report, classifier, None, times).map(|(labelled, _)| labelled)
}

/// [`label`], taking the sentences' `stored` embeddings where the classifier can use them,
/// and returning the embeddings the labels came from, for the store.
pub fn label_with_embeddings(
    report: Report,
    classifier: &dyn Classifier,
    stored: Option<&SentenceEmbeddings>,
    times: &StageTimes,
) -> Result<(LabelledReport, Option<SentenceEmbeddings>), InputError> {
    let labelled = times.time(4, || -> anyhow::Result<_> {
        let inputs: Vec<SentenceInput> = (0..report.sentences.len())
            .map(|i| report.input(i))
            .collect();
        let (mut labels, embeddings) = classifier.classify_report(&inputs, stored)?;
        if labels.len() != inputs.len() {
            anyhow::bail!("{} labels for {} sentences", labels.len(), inputs.len());
        }
        for (label, sentence) in labels.iter_mut().zip(&report.sentences) {
            if sentence.block_kind == BlockKind::Heading {
                if let Some(heading) = classify::heading_label(&sentence.text) {
                    *label = heading;
                }
            }
            if segment::is_cut(&sentence.text) {
                label.evidence.insert(
                    0,
                    format!(
                        "text: a piece of a sentence over {} characters, cut at {}",
                        segment::MAX_SENTENCE_CHARS,
                        segment::CUT_MARK
                    ),
                );
            }
        }
        Ok((labels, embeddings))
    });
    match labelled {
        Ok((labels, embeddings)) => Ok((
            LabelledReport {
                report,
                labels,
                classifier: classifier.name().to_string(),
            },
            embeddings,
        )),
        Err(e) => Err(InputError::new(
            &report.source,
            InputProblem::ClassifierFailed {
                classifier: classifier.name().to_string(),
                why: format!("{e:#}"),
            },
        )),
    }
}

/// What a batch produced: the reports that could be used and the inputs that could not.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// In the order of the input files.
    pub reports: Vec<LabelledReport>,
    pub errors: Vec<InputError>,
    pub times: StageTimes,
    pub wall: Duration,
}

impl BatchOutcome {
    pub fn sentence_count(&self) -> usize {
        self.reports.iter().map(|r| r.labels.len()).sum()
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or `quiet` is set.
pub fn progress_bar(len: usize, quiet: bool, message: &'static str) -> ProgressBar {
    let target = if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} reports ({elapsed}, {honest_eta})",
        )
        .expect("valid template")
        .progress_chars("=> ")
        // indicatif's own ETA reads "0s" before the first report is done.
        .with_key(
            "honest_eta",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = if state.pos() == 0 {
                    write!(w, "eta: after the first report")
                } else {
                    write!(w, "eta {}", indicatif::HumanDuration(state.eta()))
                };
            },
        ),
    );
    bar.set_message(message);
    bar
}

/// Runs every file through the pipeline in parallel. Files that fail are reported in
/// `errors`; the rest of the batch always completes.
pub fn run_batch(files: &[PathBuf], classifier: &dyn Classifier, quiet: bool) -> BatchOutcome {
    let start = Instant::now();
    let times = StageTimes::default();
    let done = Mutex::new(Vec::new());
    let collect = |report: LabelledReport, _: Option<SentenceEmbeddings>| {
        done.lock().expect("a worker panicked").push(report);
        Ok::<(), Infallible>(())
    };
    let errors = match run_batch_each(
        files,
        &Reader::InProcess,
        classifier,
        quiet,
        &times,
        |_| Ok(()),
        collect,
    ) {
        Ok(errors) => errors,
        Err(never) => match never {},
    };
    // Workers finish in any order; put the reports back in the order of the inputs.
    let position: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, path)| (path.as_path(), i))
        .collect();
    let mut reports = done.into_inner().expect("a worker panicked");
    reports.sort_by_key(|r| position.get(r.report.source.as_path()).copied());
    BatchOutcome {
        reports,
        errors,
        times,
        wall: start.elapsed(),
    }
}

/// Like [`run_batch`], reading each file with `reader`, but hands each labelled report to `sink` as soon as it is ready, on the
/// worker thread that made it, so the caller can save it before the batch ends (the store
/// commits each report this way), with the embeddings its labels came from. Returns the
/// inputs that could not be used, in input order;
/// stops at the first error from `sink` and returns it. A report that `admit` refuses is one
/// of those inputs, and is never labelled.
pub fn run_batch_each<E: Send>(
    files: &[PathBuf],
    reader: &Reader,
    classifier: &dyn Classifier,
    quiet: bool,
    times: &StageTimes,
    admit: impl Fn(&Report) -> Result<(), InputError> + Sync,
    sink: impl Fn(LabelledReport, Option<SentenceEmbeddings>) -> Result<(), E> + Sync,
) -> Result<Vec<InputError>, E> {
    let bar = progress_bar(files.len(), quiet, "labelling");
    let results: Result<Vec<Option<InputError>>, E> = files
        .par_iter()
        .map(|path| {
            let labelled = read_admitted(reader, path, times, &admit)
                .and_then(|report| label_with_embeddings(report, classifier, None, times));
            let outcome = match labelled {
                Ok((labelled, embeddings)) => sink(labelled, embeddings).map(|()| None),
                Err(e) => {
                    bar.suspend(|| e.announce(quiet));
                    Ok(Some(e))
                }
            };
            bar.inc(1);
            outcome
        })
        .collect();
    bar.finish_and_clear();
    Ok(results?.into_iter().flatten().collect())
}

/// Reads `path` with `reader`, then asks `admit` whether the report is one to label.
pub fn read_admitted(
    reader: &Reader,
    path: &Path,
    times: &StageTimes,
    admit: impl Fn(&Report) -> Result<(), InputError>,
) -> Result<Report, InputError> {
    let report = reader.read(path, times)?;
    admit(&report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::RulesClassifier;
    use crate::taxonomy::Taxonomy;

    #[test]
    fn run_batch_keeps_input_order_and_lists_bad_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (i, text) in ["Early help is good.", "", "Plans are not always reviewed."]
            .iter()
            .enumerate()
        {
            // Names sort against the order given, so input order is what is tested.
            let path = dir.path().join(format!("{}.txt", 9 - i));
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
        let classifier = RulesClassifier::new(Taxonomy::bundled());
        let outcome = run_batch(&files, &classifier, true);
        let sources: Vec<&PathBuf> = outcome.reports.iter().map(|r| &r.report.source).collect();
        assert_eq!(sources, [&files[0], &files[2]]);
        assert_eq!(outcome.errors.len(), 1);
        assert_eq!(outcome.errors[0].path, files[1]);
        assert_eq!(outcome.errors[0].problem, InputProblem::Empty);
        assert_eq!(outcome.sentence_count(), 2);
    }
}
