//! `ofsted-themes run`: label a folder of reports and write the summaries.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use rayon::prelude::*;

use crate::aggregate::{self, View};
use crate::classify::Classifier;
use crate::cmd::{build_classifier, ClassifierChoice, ModelArgs};
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
    set_jobs(args.jobs);
    let start = Instant::now();
    let taxonomy = match &args.taxonomy {
        Some(path) => Taxonomy::load(path)?,
        None => Taxonomy::bundled(),
    };
    write::prepare_output_dir(&args.out)?;
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| args.out.join(store::DEFAULT_FILE_NAME));
    let store = Store::open(&store_path)?;
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
    if !args.quiet {
        eprintln!("classifier: {}", classifier.name());
    }
    let (store, work) = update_store(store, &files, classifier.as_ref(), &taxonomy, args.quiet)?;
    errors.extend(work.errors.iter().cloned());

    let mut reports = store.load_all()?;
    aggregate::sort_reports(&mut reports);
    let summary = aggregate::summarise(&reports, &taxonomy);
    if !args.quiet {
        announce_comparison_gaps(&summary, args.view);
    }
    write::write_all(
        &args.out,
        &reports,
        &summary,
        &errors,
        &taxonomy,
        args.view,
        args.all_reports,
    )?;
    workbook::write_workbook(
        &args.out,
        &reports,
        &summary,
        &taxonomy,
        args.view,
        args.all_reports,
    )?;
    page::write_page(&args.out, &reports, &summary, &taxonomy)?;
    // Held until every output is written, so two runs never interleave their files.
    drop(store);

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
fn update_store(
    store: Store,
    files: &[PathBuf],
    classifier: &dyn Classifier,
    taxonomy: &Taxonomy,
    quiet: bool,
) -> Result<(Store, StoreWork)> {
    let labeller = Labeller::of(classifier, taxonomy);
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
    let plan = store::plan(&inputs, &store.index()?, &labeller);
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
        let save = |report: LabelledReport| {
            labelled.fetch_add(report.labels.len(), Ordering::Relaxed);
            lock().save(&report, &labeller)
        };
        let failed = pipeline::run_batch_each(&to_read, classifier, quiet, &times, save)?;
        let failed_paths: HashSet<&PathBuf> = failed.iter().map(|e| &e.path).collect();
        let stored = |paths: &[PathBuf]| paths.iter().filter(|p| !failed_paths.contains(p)).count();
        work.new = stored(&plan.new);
        work.reread = stored(&plan.reread);
        work.errors.extend(failed);
    }

    if !plan.relabel.is_empty() {
        let bar = pipeline::progress_bar(plan.relabel.len(), quiet, "re-labelling");
        plan.relabel.par_iter().try_for_each(|sha| -> Result<()> {
            let stored = lock().load(sha)?;
            let relabelled = pipeline::label(stored.report, classifier, &times);
            labelled.fetch_add(relabelled.labels.len(), Ordering::Relaxed);
            lock().save_labels(&relabelled, &labeller)?;
            bar.inc(1);
            Ok(())
        })?;
        bar.finish_and_clear();
        work.relabelled = plan.relabel.len();
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
