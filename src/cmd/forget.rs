//! `ofsted-themes forget`: take reports out of the results store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use crate::cmd::{exit, EXIT_FAILED, EXIT_OK};
use ofsted_themes::ingest;
use ofsted_themes::store::{self, Store};

/// Remove reports from the results store, so the next `run` leaves them out of the summaries.
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
    eprintln!(
        "forgot {forgotten} reports; the store holds {} (the next `run` rewrites the summaries)",
        store.report_count()?
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
