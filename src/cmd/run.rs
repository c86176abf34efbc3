//! `ofsted-themes run`: label a folder of reports and write the summaries.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use rayon::prelude::*;

use crate::aggregate::{self, View};
use crate::classify::{Classifier, SentenceEmbeddings};
use crate::cmd::{build_classifier, fall_back_to_rules, ClassifierChoice, ModelArgs};
use crate::cmd::{exit, set_jobs, EXIT_FAILED, EXIT_OK, EXIT_SOME_SKIPPED};
use crate::codes;
use crate::error::InputError;
use crate::ingest;
use crate::page;
use crate::pipeline;
use crate::store::{self, Labeller, Store};
use crate::taxonomy::Taxonomy;
use crate::types::LabelledReport;
use crate::workbook;
use crate::write;

/// Read reports (PDF, text, HTML), label every sentence by stance and theme, and write
/// sentences.csv, reports.csv, themes.csv, authorities.csv and errors.csv, with the same
/// figures as a workbook (ofsted-themes.xlsx) and a page to read in a browser (report.html).
///
/// Every report is kept in a store (store.sqlite in the output folder), and the summaries
/// cover every report in it: a later run reads only files not seen before, and re-labels
/// stored reports when the classifier or taxonomy has changed.
///
/// Exit status: 0 when every input was used, 2 when some were skipped (see errors.csv),
/// 1 when nothing could be done.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Files or folders (searched recursively) to read. Default: seeds/
    pub paths: Vec<PathBuf>,

    /// Folder to write the results into.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,

    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,

    /// No progress bar and no per-file messages; errors still go to errors.csv.
    #[arg(long)]
    pub quiet: bool,

    /// A taxonomy file to use instead of the bundled one (see taxonomy.toml).
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// authorities.csv gets one row per report instead of one per authority.
    #[arg(long)]
    pub all_reports: bool,

    /// Which report of each authority authorities.csv and the workbook's Authorities sheet
    /// stand on: its latest full inspection (like for like; authorities with none are left
    /// out and named on stderr), or its latest report of any kind. The page has both.
    #[arg(long, value_enum, default_value_t = View::FullInspection)]
    pub view: View,

    /// The results store (SQLite) that keeps every processed report between runs, so only
    /// new or changed inputs are read. Default: store.sqlite in the output folder.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,

    /// Which classifier labels the sentences. Default: combined when the model is
    /// present (fetched if missing), else rules, with a note on stderr.
    #[arg(long, value_enum)]
    pub classifier: Option<ClassifierChoice>,

    #[command(flatten)]
    pub model: ModelArgs,
}

impl Default for RunArgs {
    fn default() -> Self {
        RunArgs {
            paths: Vec::new(),
            out: PathBuf::from("output"),
            jobs: 0,
            quiet: false,
            taxonomy: None,
            all_reports: false,
            view: View::FullInspection,
            store: None,
            classifier: None,
            model: ModelArgs::default(),
        }
    }
}

pub fn execute(args: RunArgs) -> Result<ExitCode> {
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| args.out.join(store::DEFAULT_FILE_NAME));
    execute_with(args, &store_path).map_err(|e| store::advise(e, &store_path))
}

fn execute_with(args: RunArgs, store_path: &std::path::Path) -> Result<ExitCode> {
    set_jobs(args.jobs);
    let start = Instant::now();
    let taxonomy = match &args.taxonomy {
        Some(path) => Taxonomy::load(path)?,
        None => Taxonomy::bundled(),
    };
    // Held until every output is written, so two runs never write one folder.
    let output_lock = write::prepare_output_dir(&args.out)?;
    let store = Store::open(store_path)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("seeds")]
    } else {
        args.paths.clone()
    };
    let (files, mut errors) = ingest::discover(&paths);
    for e in &errors {
        e.announce(args.quiet);
    }
    let classifier = build_classifier(args.classifier, &args.model, taxonomy.clone())?;
    let may_fall_back = args.classifier.is_none();
    let (store, work) = update_store(
        store,
        &files,
        classifier,
        may_fall_back,
        &taxonomy,
        args.quiet,
    )?;
    errors.extend(work.errors.iter().cloned());

    let mut reports = store.load_all()?;
    aggregate::sort_reports(&mut reports);
    let summary = aggregate::summarise(&reports, &taxonomy);
    if !args.quiet {
        announce_comparison_gaps(&summary, args.view);
    }
    // Every output is written before any replaces the last run's: all new or all old.
    let mut outputs = write::Outputs::new(&args.out);
    write::write_all(
        &mut outputs,
        &reports,
        &summary,
        &errors,
        &taxonomy,
        args.view,
        args.all_reports,
    )?;
    workbook::write_workbook(
        &mut outputs,
        &reports,
        &summary,
        &taxonomy,
        args.view,
        args.all_reports,
    )?;
    page::write_page(&mut outputs, &reports, &summary, &taxonomy)?;
    outputs.commit()?;
    drop(store);
    drop(output_lock);

    let sentences: usize = reports.iter().map(|r| r.labels.len()).sum();
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "{} new, {} re-labelled, {} unchanged{}, {} skipped; the store holds {} reports, \
         {} sentences; {:.1} s, {:.0} sentences/s labelled; results in {}",
        work.new,
        work.relabelled,
        work.unchanged,
        if work.reread > 0 {
            format!(", {} re-read (read by another version)", work.reread)
        } else {
            String::new()
        },
        errors.len(),
        reports.len(),
        sentences,
        seconds,
        work.labelled_sentences as f64 / seconds.max(1e-9),
        args.out.display()
    );
    if work.stale_not_given > 0 && !args.quiet {
        eprintln!(
            "note: {} stored reports were read by another version of ofsted-themes; give their \
             files again to read them with this one",
            work.stale_not_given
        );
    }
    Ok(exit(if reports.is_empty() {
        EXIT_FAILED
    } else if errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_SKIPPED
    }))
}

/// Says once on stderr which authority names have no codes, and (in the full-inspection
/// view) which authorities are left out of authorities.csv for want of a full inspection.
fn announce_comparison_gaps(summary: &aggregate::Summary, view: View) {
    let no_codes: Vec<&str> = summary
        .latest_by_authority
        .iter()
        .map(|&i| summary.reports[i].authority.as_str())
        .filter(|name| codes::lookup(name).is_none())
        .collect();
    if !no_codes.is_empty() {
        eprintln!(
            "note: no LA code, ONS code or region for {} (not in data/authority_codes.csv); \
             their code columns are empty",
            no_codes.join("; ")
        );
    }
    let without = summary.without_full_inspection();
    if view == View::FullInspection && !without.is_empty() {
        let names: Vec<&str> = without.iter().map(|r| r.authority.as_str()).collect();
        eprintln!(
            "note: {} of {} authorities have no full inspection among these reports and are not in \
             authorities.csv: {} (--view latest-report puts each one's latest report there)",
            without.len(),
            summary.latest_by_authority.len(),
            names.join(", ")
        );
    }
}

/// What [`update_store`] did.
#[derive(Debug, Default)]
struct StoreWork {
    /// Reports read and labelled for the first time.
    new: usize,
    /// Stored reports read again because another version had read them.
    reread: usize,
    /// Stored reports re-labelled from their stored sentences.
    relabelled: usize,
    /// Inputs already stored with current labels.
    unchanged: usize,
    stale_not_given: usize,
    /// Sentences classified in this run (new, re-read and re-labelled reports).
    labelled_sentences: usize,
    /// Inputs that could not be used.
    errors: Vec<InputError>,
}

/// Brings the store up to date with `files`: reads and labels the new ones, re-labels stored
/// reports from another labeller, records moved files. Each report is committed as soon as it
/// is done, so an interrupted run keeps its finished work.
///
/// The classifier's encoder is loaded only when some sentence has no stored embedding from
/// it; if it cannot be and `may_fall_back` (no classifier was asked for), the rules label.
fn update_store(
    store: Store,
    files: &[PathBuf],
    classifier: Box<dyn Classifier>,
    may_fall_back: bool,
    taxonomy: &Taxonomy,
    quiet: bool,
) -> Result<(Store, StoreWork)> {
    let mut classifier = classifier;
    let mut work = StoreWork::default();
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
                work.errors.push(e);
            }
        }
    }
    let index = store.index()?;
    let mut labeller = Labeller::of(classifier.as_ref(), taxonomy);
    let mut plan = store::plan(&inputs, &index, &labeller);
    if needs_encoder(&plan, &store, classifier.as_ref())? {
        if let Err(e) = classifier.prepare() {
            if !may_fall_back {
                return Err(e);
            }
            classifier = fall_back_to_rules(&e, taxonomy.clone());
            labeller = Labeller::of(classifier.as_ref(), taxonomy);
            plan = store::plan(&inputs, &index, &labeller);
        }
    }
    if !quiet {
        eprintln!("classifier: {}", classifier.name());
    }
    let classifier = classifier.as_ref();
    work.unchanged = plan.unchanged;
    work.stale_not_given = plan.stale_not_given;

    let store = Mutex::new(store);
    let lock = || store.lock().expect("a thread saving to the store panicked");
    for (sha, path) in &plan.moved {
        lock().set_source(sha, path)?;
    }

    let times = pipeline::StageTimes::default();
    let labelled = AtomicUsize::new(0);
    let to_read: Vec<PathBuf> = plan.new.iter().chain(&plan.reread).cloned().collect();
    if !to_read.is_empty() {
        let save = |report: LabelledReport, embeddings: Option<SentenceEmbeddings>| {
            labelled.fetch_add(report.labels.len(), Ordering::Relaxed);
            lock().save_with_embeddings(&report, &labeller, embeddings.as_ref())
        };
        let failed = pipeline::run_batch_each(&to_read, classifier, quiet, &times, save)?;
        let failed_paths: HashSet<&PathBuf> = failed.iter().map(|e| &e.path).collect();
        let stored = |paths: &[PathBuf]| paths.iter().filter(|p| !failed_paths.contains(p)).count();
        work.new = stored(&plan.new);
        work.reread = stored(&plan.reread);
        // Only the first of several files with the same bytes was read. When it failed, each
        // copy is tried in turn (the same bytes may read under another extension) and each
        // that fails is named, so every input is accounted for.
        let mut paths_with: HashMap<&str, Vec<&PathBuf>> = HashMap::new();
        for (path, sha) in &inputs {
            paths_with.entry(sha.as_str()).or_default().push(path);
        }
        let sha_of: HashMap<&PathBuf, &str> =
            inputs.iter().map(|(p, sha)| (p, sha.as_str())).collect();
        let mut copies_failed = Vec::new();
        for error in &failed {
            let Some(sha) = sha_of.get(&error.path) else {
                continue;
            };
            for copy in paths_with[sha].iter().filter(|p| ***p != error.path) {
                let outcome = pipeline::prepare(copy, &times).and_then(|report| {
                    pipeline::label_with_embeddings(report, classifier, None, &times)
                });
                match outcome {
                    Ok((report, embeddings)) => {
                        save(report, embeddings)?;
                        if plan.new.contains(&error.path) {
                            work.new += 1;
                        } else {
                            work.reread += 1;
                        }
                        break;
                    }
                    Err(e) => {
                        e.announce(quiet);
                        copies_failed.push(e);
                    }
                }
            }
        }
        work.errors.extend(failed);
        work.errors.extend(copies_failed);
    }

    if !plan.relabel.is_empty() {
        let bar = pipeline::progress_bar(plan.relabel.len(), quiet, "re-labelling");
        // A report the classifier fails on keeps its stored labels, recorded with the
        // classifier that made them, and is named in errors.
        let failed: Vec<Option<InputError>> = plan
            .relabel
            .par_iter()
            .map(|sha| -> Result<Option<InputError>> {
                let (stored, stored_embeddings) = {
                    let store = lock();
                    (store.load(sha)?, store.load_embeddings(sha)?)
                };
                let relabelled = pipeline::label_with_embeddings(
                    stored.report,
                    classifier,
                    stored_embeddings.as_ref(),
                    &times,
                );
                let outcome = match relabelled {
                    Ok((relabelled, embeddings)) => {
                        labelled.fetch_add(relabelled.labels.len(), Ordering::Relaxed);
                        // Embeddings are written only when they are new (an older store,
                        // another encoder).
                        let new_embeddings =
                            embeddings.filter(|e| Some(e) != stored_embeddings.as_ref());
                        lock().save_labels_with_embeddings(
                            &relabelled,
                            &labeller,
                            new_embeddings.as_ref(),
                        )?;
                        None
                    }
                    Err(e) => {
                        bar.suspend(|| e.announce(quiet));
                        Some(e)
                    }
                };
                bar.inc(1);
                Ok(outcome)
            })
            .collect::<Result<_>>()?;
        bar.finish_and_clear();
        let failed: Vec<InputError> = failed.into_iter().flatten().collect();
        work.relabelled = plan.relabel.len() - failed.len();
        work.errors.extend(failed);
    }

    work.labelled_sentences = labelled.into_inner();
    // Input order, whichever step found the problem, so errors.csv does not depend on
    // what earlier runs had already stored.
    work.errors.sort_by(|a, b| a.path.cmp(&b.path));
    let store = store
        .into_inner()
        .expect("a thread saving to the store panicked");
    Ok((store, work))
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
