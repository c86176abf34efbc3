//! The stages composed: ingest → clean → facts → segment → classify, in parallel across
//! reports, with a progress bar and per-stage timings.

use std::io::IsTerminal;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::classify::{self, Classifier};
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
    panic::catch_unwind(AssertUnwindSafe(|| prepare_unguarded(path, times))).unwrap_or_else(
        |panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unexpected panic".to_string());
            Err(InputError::new(path, InputProblem::Internal(why)))
        },
    )
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
/// whatever their words (see [`classify::heading_label`]).
pub fn label(report: Report, classifier: &dyn Classifier, times: &StageTimes) -> LabelledReport {
    let labels = times.time(4, || {
        let inputs: Vec<SentenceInput> = (0..report.sentences.len())
            .map(|i| report.input(i))
            .collect();
        let mut labels = classifier.classify_batch(&inputs);
        for (label, sentence) in labels.iter_mut().zip(&report.sentences) {
            if sentence.block_kind == BlockKind::Heading {
                if let Some(heading) = classify::heading_label(&sentence.text) {
                    *label = heading;
                }
            }
        }
        labels
    });
    LabelledReport {
        report,
        labels,
        classifier: classifier.name().to_string(),
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
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} reports ({elapsed}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Runs every file through the pipeline in parallel. Files that fail are reported in
/// `errors`; the rest of the batch always completes.
pub fn run_batch(files: &[PathBuf], classifier: &dyn Classifier, quiet: bool) -> BatchOutcome {
    let start = Instant::now();
    let times = StageTimes::default();
    let bar = progress_bar(files.len(), quiet, "labelling");
    let results: Vec<Result<LabelledReport, InputError>> = files
        .par_iter()
        .map(|path| {
            let result = prepare(path, &times).map(|report| label(report, classifier, &times));
            if let Err(e) = &result {
                bar.suspend(|| {
                    if !quiet {
                        eprintln!("skipped {e}");
                    }
                });
            }
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();
    let mut outcome = BatchOutcome {
        times,
        ..BatchOutcome::default()
    };
    for result in results {
        match result {
            Ok(report) => outcome.reports.push(report),
            Err(e) => outcome.errors.push(e),
        }
    }
    outcome.wall = start.elapsed();
    outcome
}

/// Like [`run_batch`], but hands each labelled report to `sink` as soon as it is ready, on the
/// worker thread that made it, so the caller can save it before the batch ends (the store
/// commits each report this way). Returns the inputs that could not be used, in input order;
/// stops at the first error from `sink` and returns it.
pub fn run_batch_each<E: Send>(
    files: &[PathBuf],
    classifier: &dyn Classifier,
    quiet: bool,
    times: &StageTimes,
    sink: impl Fn(LabelledReport) -> Result<(), E> + Sync,
) -> Result<Vec<InputError>, E> {
    let bar = progress_bar(files.len(), quiet, "labelling");
    let results: Result<Vec<Option<InputError>>, E> = files
        .par_iter()
        .map(|path| {
            let outcome = match prepare(path, times) {
                Ok(report) => sink(label(report, classifier, times)).map(|()| None),
                Err(e) => {
                    bar.suspend(|| {
                        if !quiet {
                            eprintln!("skipped {e}");
                        }
                    });
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
