//! `run`, the whole of it: discover the files → hash them → plan against the store →
//! read and label what is new → save → aggregate → write every output. The binary's `run`
//! command and the benchmark both call [`run`].

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::aggregate::{self, Summary, View};
use crate::classify::Classifier;
use crate::codes;
use crate::ingest;
use crate::output::{self, Output, RunResults};
use crate::page::Page;
use crate::pipeline::sync::{sync_store, StoreWork, SyncPolicy};
use crate::pipeline::Reader;
use crate::store::{self, Store};
use crate::taxonomy::Taxonomy;
use crate::workbook::Spreadsheet;
use crate::write::Csvs;

/// The outputs of a run, in the order they are written.
fn outputs() -> Vec<Box<dyn Output>> {
    vec![Box::new(Csvs), Box::new(Spreadsheet), Box::new(Page)]
}

/// What a run reads, where it writes, and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Files or folders (searched recursively).
    pub paths: Vec<PathBuf>,
    /// The output folder.
    pub out: PathBuf,
    /// The results store.
    pub store: PathBuf,
    pub taxonomy: Taxonomy,
    /// Which report of each authority the authority tables stand on.
    pub view: View,
    /// One authority row per report instead of one per authority.
    pub all_reports: bool,
    /// No progress bar and no per-file messages.
    pub quiet: bool,
    /// Where each document is read: the binary reads each in a worker process, so that a
    /// file that crashes or hangs its reader costs that file only.
    pub reader: Reader,
    /// Re-label stored reports even with another kind of classifier than theirs.
    pub relabel: bool,
    /// Keep documents that are not about a children's services inspection.
    pub accept_any_document: bool,
}

/// What a run did.
#[derive(Debug)]
pub struct RunOutcome {
    pub work: StoreWork,
    /// Reports in the store, and so in the outputs.
    pub reports: usize,
    /// Their sentences.
    pub sentences: usize,
    /// Inputs that could not be used (the rows of errors.csv).
    pub skipped: usize,
    pub elapsed: Duration,
}

/// Runs the whole pipeline: the store is brought up to date with the files under
/// `options.paths`, and every output is written from everything the store holds.
/// `may_fall_back`: the rules label when the classifier's encoder cannot be loaded.
pub fn run(
    options: &RunOptions,
    classifier: Box<dyn Classifier>,
    may_fall_back: bool,
) -> Result<RunOutcome> {
    run_unadvised(options, classifier, may_fall_back).map_err(|e| store::advise(e, &options.store))
}

fn run_unadvised(
    options: &RunOptions,
    classifier: Box<dyn Classifier>,
    may_fall_back: bool,
) -> Result<RunOutcome> {
    let start = Instant::now();
    // A mistyped path stops the run before anything is written: outputs with the path's
    // reports silently missing would look like results.
    for path in &options.paths {
        if std::fs::symlink_metadata(path).is_err() {
            bail!(
                "{}: no such file or folder; nothing was written",
                path.display()
            );
        }
    }
    // Held until every output is written, so two runs never write one folder.
    let output_lock = output::prepare_output_dir(&options.out)?;
    let formats = outputs();
    let mut own = own_files(&options.out, &options.store, &formats)?;
    let store = Store::open(&options.store)?;
    own.stores = std::fs::canonicalize(&options.store).into_iter().collect();
    let found = ingest::discover_inputs(&options.paths, &own);
    for e in &found.errors {
        e.announce(options.quiet);
    }
    found.announce(options.quiet);
    let ingest::Discovery {
        files, mut errors, ..
    } = found;
    let (store, work) = sync_store(
        store,
        &files,
        classifier,
        may_fall_back,
        &options.taxonomy,
        &options.reader,
        SyncPolicy {
            relabel: options.relabel,
            accept_any_document: options.accept_any_document,
            quiet: options.quiet,
        },
    )?;
    errors.extend(work.errors.iter().cloned());

    let (reports, sentences) = write_from_store(&store, &errors, options)?;
    drop(store);
    drop(output_lock);
    Ok(RunOutcome {
        work,
        reports,
        sentences,
        skipped: errors.len(),
        elapsed: start.elapsed(),
    })
}

/// Rewrites every output from what the store holds, reading and labelling nothing (after
/// `forget`, say). errors.csv is left empty: no input was given.
pub fn rewrite_outputs(options: &RunOptions) -> Result<RunOutcome> {
    let start = Instant::now();
    let rewrite = || -> Result<RunOutcome> {
        let output_lock = output::prepare_output_dir(&options.out)?;
        let store = Store::open(&options.store)?;
        let (reports, sentences) = write_from_store(&store, &[], options)?;
        drop(store);
        drop(output_lock);
        Ok(RunOutcome {
            work: StoreWork::default(),
            reports,
            sentences,
            skipped: 0,
            elapsed: start.elapsed(),
        })
    };
    rewrite().map_err(|e| store::advise(e, &options.store))
}

/// Writes every output from the reports in `store` and the run's `errors`: (reports,
/// sentences) written.
fn write_from_store(
    store: &Store,
    errors: &[crate::error::InputError],
    options: &RunOptions,
) -> Result<(usize, usize)> {
    let mut reports = store.load_all()?;
    aggregate::sort_reports(&mut reports);
    let summary = aggregate::summarise(&reports, &options.taxonomy);
    if !options.quiet {
        announce_comparison_gaps(&summary, options.view);
    }
    let results = RunResults {
        reports: &reports,
        summary: &summary,
        errors,
        taxonomy: &options.taxonomy,
        view: options.view,
        all_reports: options.all_reports,
    };
    output::write_outputs(&options.out, &outputs(), &results)?;
    Ok((reports.len(), reports.iter().map(|r| r.labels.len()).sum()))
}

/// The files a run writes in `out` (never read as inputs), after checking that `store` is
/// none of them: a store named like an output would be overwritten by it.
fn own_files(
    out: &std::path::Path,
    store: &std::path::Path,
    formats: &[Box<dyn Output>],
) -> Result<ingest::OwnFiles> {
    let out_dir = std::fs::canonicalize(out)
        .with_context(|| format!("cannot find the output folder {}", out.display()))?;
    let mut out_names: Vec<String> = formats
        .iter()
        .flat_map(|f| f.files())
        .map(|n| n.to_string())
        .collect();
    out_names.push(output::OUTPUT_LOCK.to_string());
    let own = ingest::OwnFiles {
        out_dir: Some(out_dir.clone()),
        out_names,
        out_prefixes: vec![crate::files::TEMP_PREFIX.to_string()],
        stores: Vec::new(),
    };
    let store_dir = store
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let store_name = store.file_name().and_then(|n| n.to_str());
    if std::fs::canonicalize(store).is_ok_and(|s| s == out_dir) {
        anyhow::bail!(
            "--store {} is the output folder itself: give a file, such as {}",
            store.display(),
            out.join(store::DEFAULT_FILE_NAME).display()
        );
    }
    if let (Ok(dir), Some(name)) = (std::fs::canonicalize(store_dir), store_name) {
        if dir == out_dir
            && (own.out_names.iter().any(|n| n == name)
                || own
                    .out_prefixes
                    .iter()
                    .any(|p| name.starts_with(p.as_str())))
        {
            anyhow::bail!(
                "--store {} names a file that the run writes in the output folder {}: give \
                 another name, such as {}",
                store.display(),
                out.display(),
                out.join(store::DEFAULT_FILE_NAME).display()
            );
        }
    }
    Ok(own)
}

/// Says once on stderr which authority names have no codes, and (in the full-inspection
/// view) which authorities are left out of authorities.csv for want of a full inspection.
fn announce_comparison_gaps(summary: &Summary, view: View) {
    let no_codes: Vec<&str> = summary
        .latest_by_authority
        .iter()
        .map(|&i| summary.reports[i].authority.as_str())
        .filter(|name| codes::lookup(name).is_none())
        .collect();
    if !no_codes.is_empty() {
        log::warn!(
            "note: no LA code, ONS code or region for {} (not in data/authority_codes.csv); \
             their code columns are empty",
            no_codes.join("; ")
        );
    }
    let without = summary.without_full_inspection();
    if view == View::FullInspection && !without.is_empty() {
        let names: Vec<&str> = without.iter().map(|r| r.authority.as_str()).collect();
        log::warn!(
            "note: {} of {} authorities have no full inspection among these reports and are not in \
             authorities.csv: {} (--view latest-report puts each one's latest report there)",
            without.len(),
            summary.latest_by_authority.len(),
            names.join(", ")
        );
    }
}
