//! Bringing the store up to date with the input files: read and label the new ones,
//! re-label stored reports whose labeller changed, note moved files.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use rayon::prelude::*;

use crate::classify::{fall_back_to_rules, Classifier, SentenceEmbeddings};
use crate::error::{InputError, InputProblem};
use crate::facts::subject;
use crate::ingest;
use crate::pipeline::{self, Reader, StageTimes};
use crate::store::{self, Labeller, Store};
use crate::taxonomy::Taxonomy;
use crate::types::{DocumentKind, LabelledReport, Report};

/// How many of the new reports the run's summary names ("new: Halton inspection
/// 2024-05-24, …"); the rest are counted.
pub const NEW_REPORTS_NAMED: usize = 4;

/// What a sync may do beyond reading and labelling new files.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncPolicy {
    /// Re-label stored reports with a classifier of another kind than the one that labelled
    /// them (rules instead of the model, another encoder). Without it such a run is refused.
    pub relabel: bool,
    /// Keep documents that are not about a children's services inspection.
    pub accept_any_document: bool,
    pub quiet: bool,
}

/// What [`sync_store`] did.
#[derive(Debug, Default)]
pub struct StoreWork {
    /// Reports read and labelled for the first time.
    pub new: usize,
    /// Stored reports read again because another version had read them.
    pub reread: usize,
    /// Stored reports re-labelled from their stored sentences.
    pub relabelled: usize,
    /// Inputs already stored with current labels.
    pub unchanged: usize,
    pub stale_not_given: usize,
    /// Sentences classified in this run (new, re-read and re-labelled reports).
    pub labelled_sentences: usize,
    /// Time spent reading and labelling (loading the encoder excluded).
    pub labelling_time: Duration,
    /// The new reports, each as "Halton inspection 2024-05-24", in input order.
    pub new_reports: Vec<String>,
    /// Inputs that could not be used.
    pub errors: Vec<InputError>,
}

/// Brings the store up to date with `files`: reads and labels the new ones, re-labels stored
/// reports from another labeller, records moved files. Each report is committed as soon as it
/// is done, so an interrupted run keeps its finished work.
///
/// The classifier's encoder is loaded only when some sentence has no stored embedding from
/// it; if it cannot be and `may_fall_back` (no classifier was asked for), the rules label.
pub fn sync_store(
    store: Store,
    files: &[PathBuf],
    classifier: Box<dyn Classifier>,
    may_fall_back: bool,
    taxonomy: &Taxonomy,
    reader: &Reader,
    policy: SyncPolicy,
) -> Result<(Store, StoreWork)> {
    let quiet = policy.quiet;
    let mut work = StoreWork::default();
    let inputs = hash_inputs(files, quiet, &mut work.errors);
    let index = store.index()?;
    let (classifier, labeller, plan) = make_plan(
        &store,
        &index,
        &inputs,
        classifier,
        may_fall_back,
        taxonomy,
        quiet,
    )?;
    if !policy.relabel {
        refuse_another_classifier(&store, &index, &plan, &labeller)?;
    }
    if !quiet {
        log::info!("classifier: {}", classifier.name());
    }
    let classifier = classifier.as_ref();
    work.unchanged = plan.unchanged;
    work.stale_not_given = plan.stale_not_given;

    let job = Job {
        store: Mutex::new(store),
        classifier,
        labeller: &labeller,
        times: StageTimes::default(),
        labelled: AtomicUsize::new(0),
        reader,
        quiet,
        accept_any_document: policy.accept_any_document,
        new_reports: Mutex::new(Vec::new()),
    };
    for (sha, path) in &plan.moved {
        job.lock().set_source(sha, path)?;
    }
    let labelling = Instant::now();
    job.read_new(&plan, &inputs, &mut work)?;
    job.relabel(&plan, &mut work)?;
    work.labelling_time = labelling.elapsed();

    work.labelled_sentences = job.labelled.into_inner();
    let mut new_reports = job.new_reports.into_inner().expect("a worker panicked");
    new_reports.sort();
    work.new_reports = new_reports.into_iter().map(|(_, name)| name).collect();
    // Input order, whichever step found the problem, so errors.csv does not depend on
    // what earlier runs had already stored.
    work.errors.sort_by(|a, b| a.path.cmp(&b.path));
    let store = job
        .store
        .into_inner()
        .expect("a thread saving to the store panicked");
    Ok((store, work))
}

/// Each file with the SHA-256 of its bytes; files that cannot be read go to `errors`.
fn hash_inputs(
    files: &[PathBuf],
    quiet: bool,
    errors: &mut Vec<InputError>,
) -> Vec<(PathBuf, String)> {
    let hashed: Vec<Result<(PathBuf, String), InputError>> = files
        .par_iter()
        .map(|path| ingest::hash_file(path).map(|sha| (path.clone(), sha)))
        .collect();
    let mut inputs = Vec::new();
    for result in hashed {
        match result {
            Ok(input) => inputs.push(input),
            Err(e) => {
                e.announce(quiet);
                errors.push(e);
            }
        }
    }
    inputs
}

/// The plan against the store, with the classifier that will carry it out: the one given,
/// its encoder loaded if the plan needs it, or the rules when that fails and `may_fall_back`.
fn make_plan(
    store: &Store,
    index: &HashMap<String, store::StoredEntry>,
    inputs: &[(PathBuf, String)],
    classifier: Box<dyn Classifier>,
    may_fall_back: bool,
    taxonomy: &Taxonomy,
    quiet: bool,
) -> Result<(Box<dyn Classifier>, Labeller, store::Plan)> {
    let mut classifier = classifier;
    let mut labeller = Labeller::of(classifier.as_ref(), taxonomy);
    let mut plan = store::plan(inputs, index, &labeller);
    if needs_encoder(&plan, store, classifier.as_ref())? {
        // Before the progress bar, so the bar's clock and ETA count labelling only.
        let loading = Instant::now();
        if !quiet {
            log::info!("loading the encoder…");
        }
        let prepared = classifier.prepare();
        if !quiet && prepared.is_ok() {
            log::info!(
                "loading the encoder: done in {:.1} s",
                loading.elapsed().as_secs_f64()
            );
        }
        if let Err(e) = prepared {
            if !may_fall_back {
                return Err(e);
            }
            classifier = fall_back_to_rules(&e, taxonomy.clone());
            labeller = Labeller::of(classifier.as_ref(), taxonomy);
            plan = store::plan(inputs, index, &labeller);
        }
    }
    Ok((classifier, labeller, plan))
}

/// What the steps of [`sync_store`] share.
struct Job<'a> {
    store: Mutex<Store>,
    classifier: &'a dyn Classifier,
    labeller: &'a Labeller,
    times: StageTimes,
    /// Sentences labelled so far.
    labelled: AtomicUsize,
    reader: &'a Reader,
    quiet: bool,
    accept_any_document: bool,
    /// (source, "Halton inspection 2024-05-24") of each new report saved.
    new_reports: Mutex<Vec<(PathBuf, String)>>,
}

impl Job<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .expect("a thread saving to the store panicked")
    }

    /// Saves a newly read report.
    fn save(&self, report: LabelledReport, embeddings: Option<SentenceEmbeddings>) -> Result<()> {
        self.labelled
            .fetch_add(report.labels.len(), Ordering::Relaxed);
        self.lock()
            .save_with_embeddings(&report, self.labeller, embeddings.as_ref())?;
        self.new_reports
            .lock()
            .expect("a worker panicked")
            .push((report.report.source.clone(), describe(&report)));
        Ok(())
    }

    /// The error naming `report` when it is not about a children's services inspection:
    /// checked once it is read, before it is labelled.
    fn admit(&self, report: &Report) -> Result<(), InputError> {
        if self.accept_any_document {
            return Ok(());
        }
        match subject::not_about_childrens_services(
            &report.facts,
            report.sentences.iter().map(|s| s.text.as_str()),
        ) {
            Some(why) => Err(InputError::new(
                &report.source,
                InputProblem::NotChildrensServicesDocument(why.to_string()),
            )),
            None => Ok(()),
        }
    }

    /// Reads, labels and saves the plan's new and re-read files.
    fn read_new(
        &self,
        plan: &store::Plan,
        inputs: &[(PathBuf, String)],
        work: &mut StoreWork,
    ) -> Result<()> {
        let to_read: Vec<PathBuf> = plan.new.iter().chain(&plan.reread).cloned().collect();
        if to_read.is_empty() {
            return Ok(());
        }
        let failed = pipeline::run_batch_each(
            &to_read,
            self.reader,
            self.classifier,
            self.quiet,
            &self.times,
            |report| self.admit(report),
            |report, embeddings| self.save(report, embeddings),
        )?;
        let failed_paths: HashSet<&PathBuf> = failed.iter().map(|e| &e.path).collect();
        let stored = |paths: &[PathBuf]| paths.iter().filter(|p| !failed_paths.contains(p)).count();
        work.new = stored(&plan.new);
        work.reread = stored(&plan.reread);
        let copies_failed = self.try_copies(plan, inputs, &failed, work)?;
        work.errors.extend(failed);
        work.errors.extend(copies_failed);
        Ok(())
    }

    /// Only the first of several files with the same bytes was read. When it failed, each
    /// copy is tried in turn (the same bytes may read under another extension) and each
    /// that fails is named, so every input is accounted for.
    fn try_copies(
        &self,
        plan: &store::Plan,
        inputs: &[(PathBuf, String)],
        failed: &[InputError],
        work: &mut StoreWork,
    ) -> Result<Vec<InputError>> {
        let mut paths_with: HashMap<&str, Vec<&PathBuf>> = HashMap::new();
        for (path, sha) in inputs {
            paths_with.entry(sha.as_str()).or_default().push(path);
        }
        let sha_of: HashMap<&PathBuf, &str> =
            inputs.iter().map(|(p, sha)| (p, sha.as_str())).collect();
        let mut copies_failed = Vec::new();
        for error in failed {
            let Some(sha) = sha_of.get(&error.path) else {
                continue;
            };
            for copy in paths_with[sha].iter().filter(|p| ***p != error.path) {
                let outcome =
                    pipeline::read_admitted(self.reader, copy, &self.times, |r| self.admit(r))
                        .and_then(|report| {
                            pipeline::label_with_embeddings(
                                report,
                                self.classifier,
                                None,
                                &self.times,
                            )
                        });
                match outcome {
                    Ok((report, embeddings)) => {
                        self.save(report, embeddings)?;
                        if plan.new.contains(&error.path) {
                            work.new += 1;
                        } else {
                            work.reread += 1;
                        }
                        break;
                    }
                    Err(e) => {
                        e.announce(self.quiet);
                        copies_failed.push(e);
                    }
                }
            }
        }
        Ok(copies_failed)
    }

    /// Re-labels the plan's stored reports from their stored sentences (and embeddings).
    /// A report the classifier fails on keeps its stored labels, recorded with the
    /// classifier that made them, and is named in errors.
    fn relabel(&self, plan: &store::Plan, work: &mut StoreWork) -> Result<()> {
        if plan.relabel.is_empty() {
            return Ok(());
        }
        let bar = pipeline::progress_bar(plan.relabel.len(), self.quiet, "re-labelling");
        let failed: Vec<Option<InputError>> = plan
            .relabel
            .par_iter()
            .map(|sha| -> Result<Option<InputError>> {
                let outcome = self.relabel_one(sha)?;
                if let Some(e) = &outcome {
                    bar.suspend(|| e.announce(self.quiet));
                }
                bar.inc(1);
                Ok(outcome)
            })
            .collect::<Result<_>>()?;
        bar.finish_and_clear();
        let failed: Vec<InputError> = failed.into_iter().flatten().collect();
        work.relabelled = plan.relabel.len() - failed.len();
        work.errors.extend(failed);
        Ok(())
    }

    fn relabel_one(&self, sha: &str) -> Result<Option<InputError>> {
        let (stored, stored_embeddings) = {
            let store = self.lock();
            (store.load(sha)?, store.load_embeddings(sha)?)
        };
        let relabelled = pipeline::label_with_embeddings(
            stored.report,
            self.classifier,
            stored_embeddings.as_ref(),
            &self.times,
        );
        match relabelled {
            Ok((relabelled, embeddings)) => {
                self.labelled
                    .fetch_add(relabelled.labels.len(), Ordering::Relaxed);
                // Embeddings are written only when they are new (an older store, another
                // encoder).
                let new_embeddings = embeddings.filter(|e| Some(e) != stored_embeddings.as_ref());
                self.lock().save_labels_with_embeddings(
                    &relabelled,
                    self.labeller,
                    new_embeddings.as_ref(),
                )?;
                Ok(None)
            }
            Err(e) => Ok(Some(e)),
        }
    }
}

/// "Halton inspection 2024-05-24": who, what and when, as the run's summary names a report.
fn describe(report: &LabelledReport) -> String {
    let facts = &report.report.facts;
    let who = facts
        .local_authority
        .clone()
        .unwrap_or_else(|| file_name(&report.report.source));
    let what = match facts.kind {
        DocumentKind::Other => "document",
        kind => kind.as_str(),
    };
    match facts.report_date() {
        Some(date) => format!("{who} {what} {date}"),
        None => format!("{who} {what}"),
    }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The kind of classifier a stored classifier version names: its name and, for a model, its
/// encoder ("combined sentence-transformers/all-MiniLM-L6-v2", "rules"). Versions of one kind
/// differ only in revisions (new heads, a rules revision), which re-label without asking.
fn classifier_kind(version: &str) -> String {
    let name = version.split_whitespace().next().unwrap_or("");
    match version.split_once(" encoder ") {
        Some((_, rest)) => {
            let encoder = rest.split_whitespace().next().unwrap_or("");
            format!("{name} {encoder}")
        }
        None => name.to_string(),
    }
}

/// Refuses a plan that re-labels stored reports with a classifier of another kind than the
/// one that labelled them (the rules because the model could not be loaded, another
/// `--classifier` or `--encoder`), before anything is written: the labels of shared results
/// must not depend on where or how a run was started. `--relabel` allows it.
fn refuse_another_classifier(
    store: &Store,
    index: &HashMap<String, store::StoredEntry>,
    plan: &store::Plan,
    labeller: &Labeller,
) -> Result<()> {
    let current = classifier_kind(&labeller.classifier_version);
    let mut others: Vec<String> = plan
        .relabel
        .iter()
        .filter_map(|sha| index.get(sha))
        .map(|entry| classifier_kind(&entry.classifier_version))
        .filter(|kind| *kind != current)
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let count = others.len();
    others.sort();
    others.dedup();
    bail!(
        "the store {} holds {count} reports labelled by the {} classifier; this run would \
         re-label them with the {current} classifier. Nothing was changed. Give --relabel to \
         re-label them, or run with the classifier that labelled them (see the note above if \
         the model could not be loaded)",
        store.path().display(),
        others.join(" and the ")
    )
}

/// Whether carrying out `plan` needs the classifier's encoder: a report is to be read, or
/// one to be re-labelled has no stored embeddings from this encoder.
fn needs_encoder(plan: &store::Plan, store: &Store, classifier: &dyn Classifier) -> Result<bool> {
    let Some(encoder) = classifier.encoder_version() else {
        return Ok(false);
    };
    if !plan.new.is_empty() || !plan.reread.is_empty() {
        return Ok(true);
    }
    if plan.relabel.is_empty() {
        return Ok(false);
    }
    let stored = store.embedding_encoders()?;
    Ok(plan
        .relabel
        .iter()
        .any(|sha| stored.get(sha).map(String::as_str) != Some(encoder)))
}
