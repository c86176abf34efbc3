//! `run`, the whole of it: discover the files → hash them → plan against the store →
//! read and label what is new → save → aggregate → write every output. The binary's `run`
//! command and the benchmark both call [`run`].

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::aggregate::{self, Summary, View};
use crate::classify::Classifier;
use crate::codes;
use crate::ingest;
use crate::output::{self, Output, RunResults};
use crate::page::Page;
use crate::pipeline::sync::{sync_store, StoreWork, SyncPolicy};
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
    let store = Store::open(&options.store)?;
    let (files, mut errors) = ingest::discover(&options.paths);
    for e in &errors {
        e.announce(options.quiet);
    }
    let (store, work) = sync_store(
        store,
        &files,
        classifier,
        may_fall_back,
        &options.taxonomy,
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
