//! `ofsted-themes forget`: take reports out of the results store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use crate::cmd::{exit, load_taxonomy, EXIT_FAILED, EXIT_OK};
use ofsted_themes::aggregate::View;
use ofsted_themes::ingest;
use ofsted_themes::pipeline::{self, RunOptions};
use ofsted_themes::store::{self, Store};

/// Remove reports from the results store and rewrite the outputs without them.
///
/// Each PATH may be a file (its report is found by the file's bytes, or by its last-seen path
/// if the file is gone), a folder (every stored report last seen under it, and every file in
/// it), or a report id from reports.csv.
///
/// Exit status: 0 when every PATH matched a stored report, 1 when one did not.
#[derive(Debug, Clone, Args)]
pub struct ForgetArgs {
    /// Files, folders or report ids to forget.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The output folder whose store to use (its store.sqlite).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,

    /// The store file, when it is not in the output folder.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,

    /// The taxonomy the outputs were made with, when not the bundled one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// Which report of each authority the authority tables stand on (as `run --view`).
    #[arg(long, value_enum, default_value_t = View::FullInspection)]
    pub view: View,

    /// authorities.csv gets one row per report (as `run --all-reports`).
    #[arg(long)]
    pub all_reports: bool,
}

pub fn execute(args: ForgetArgs) -> Result<ExitCode> {
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| args.out.join(store::DEFAULT_FILE_NAME));
    forget(&args, &store_path).map_err(|e| store::advise(e, &store_path))
}

fn forget(args: &ForgetArgs, store_path: &Path) -> Result<ExitCode> {
    if !store_path.is_file() {
        bail!("there is no store at {}", store_path.display());
    }
    // Read before the store changes, so a bad --taxonomy stops here with nothing forgotten.
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    let mut store = Store::open(store_path)?;
    let mut forgotten = 0;
    let mut unmatched = Vec::new();
    for path in &args.paths {
        let mut matched = false;
        for sha in matching_reports(&store, path)? {
            matched = true;
            if store.forget(&sha)? {
                forgotten += 1;
            }
        }
        if !matched {
            unmatched.push(path);
        }
    }
    for path in &unmatched {
        eprintln!("not in the store: {}", path.display());
    }
    let remaining = store.report_count()?;
    // The store is held exclusively: let it go before the outputs are rewritten from it.
    drop(store);
    if forgotten > 0 {
        pipeline::rewrite_outputs(&RunOptions {
            paths: Vec::new(),
            out: args.out.clone(),
            store: store_path.to_path_buf(),
            taxonomy,
            view: args.view,
            all_reports: args.all_reports,
            quiet: true,
            relabel: false,
            accept_any_document: false,
            // Nothing is read: the outputs are written from the store.
            reader: Default::default(),
        })?;
    }
    eprintln!(
        "forgot {forgotten} reports; the store holds {remaining}{}",
        if forgotten > 0 {
            format!("; outputs in {} rewritten without them", args.out.display())
        } else {
            String::new()
        }
    );
    Ok(exit(if unmatched.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }))
}

/// The stored reports (SHA-256s) that `path` names: by the bytes of the files at or under it,
/// by last-seen path, or by report id.
fn matching_reports(store: &Store, path: &Path) -> Result<Vec<String>> {
    let index = store.index()?;
    let mut found = store.find(path)?;
    if path.exists() {
        let (files, _) = ingest::discover(&[path.to_path_buf()]);
        for file in files {
            // An unreadable file can still be matched by its path, above.
            if let Ok(sha) = ingest::hash_file(&file) {
                if index.contains_key(&sha) {
                    found.push(sha);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}
