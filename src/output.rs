//! The outputs of a run, behind one trait: each format (the CSVs, the workbook, the page)
//! implements [`Output`], and a run renders each of its list (`outputs()` in `pipeline::run`)
//! into [`Outputs`]. A new output format is one new module and one line in that list.
//!
//! Every output is written to a temporary file in the output folder and, once all are
//! written, renamed into place together ([`Outputs::commit`]), so a run that fails part-way
//! (a full disk) leaves the old outputs, never a mix. The next run removes temporary files
//! a killed run left. A run holds [`OUTPUT_LOCK`] in the folder while it writes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::aggregate::{Summary, View};
use crate::error::InputError;
use crate::files::{persist, temp_file_in, write_temporary, TEMP_PREFIX};
use crate::taxonomy::Taxonomy;
use crate::types::LabelledReport;

/// What every output is made from: the stored reports, their summary and the inputs that
/// could not be used, with the choices of the run.
#[derive(Clone, Copy)]
pub struct RunResults<'a> {
    /// Sorted as [`crate::aggregate::sort_reports`] sorts them.
    pub reports: &'a [LabelledReport],
    pub summary: &'a Summary,
    pub errors: &'a [InputError],
    pub taxonomy: &'a Taxonomy,
    /// Which report of each authority the authority tables stand on.
    pub view: View,
    /// One authority row per report instead of one per authority.
    pub all_reports: bool,
}

/// One output format: stages its files in `outputs`.
pub trait Output {
    fn render(&self, results: &RunResults, outputs: &mut Outputs) -> Result<()>;

    /// The names of the files it writes in the output folder (never read as inputs).
    fn files(&self) -> &'static [&'static str];
}

/// Renders every output of `formats` into `dir` and commits them together: all new or all
/// old.
pub fn write_outputs(dir: &Path, formats: &[Box<dyn Output>], results: &RunResults) -> Result<()> {
    let mut outputs = Outputs::new(dir);
    for format in formats {
        format.render(results, &mut outputs)?;
    }
    outputs.commit()?;
    Ok(())
}

/// The lock file a run holds in its output folder, so two runs never write one folder.
pub const OUTPUT_LOCK: &str = ".ofsted-themes.lock";

/// Creates the output folder, checks that files can be written in it, takes its lock (held
/// until the returned file is dropped; the OS drops it if the process dies) and removes the
/// temporary files a killed run left behind.
pub fn prepare_output_dir(dir: &Path) -> Result<fs::File> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    temp_file_in(dir)
        .with_context(|| format!("output folder {} is not writable", dir.display()))?;
    let lock_path = dir.join(OUTPUT_LOCK);
    let lock = fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot create lock file {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => anyhow::bail!(
            "output folder {} is in use by another run: wait for it to finish, or give \
             another --out",
            dir.display()
        ),
        Err(fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
    remove_stale_temporaries(dir)?;
    Ok(lock)
}

/// Removes temporary files that a run killed while writing left in `dir`: ours, and those of
/// earlier versions, which used tempfile's default names (".tmp" and six letters or digits).
/// Only safe while the folder's lock is held.
fn remove_stale_temporaries(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list output folder {}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let old_style = name.len() == 10
            && name.starts_with(".tmp")
            && name[4..].bytes().all(|b| b.is_ascii_alphanumeric());
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && (name.starts_with(TEMP_PREFIX) || old_style) {
            fs::remove_file(entry.path()).with_context(|| {
                format!(
                    "cannot remove {}, left by an interrupted run",
                    entry.path().display()
                )
            })?;
        }
    }
    Ok(())
}

/// The outputs of one run: each is written to a temporary file as it is staged, and all are
/// renamed into place by [`Outputs::commit`]. Dropped without committing, the temporary files
/// are removed and every output is left as it was.
pub struct Outputs {
    dir: PathBuf,
    staged: Vec<(tempfile::NamedTempFile, PathBuf)>,
}

impl Outputs {
    pub fn new(dir: &Path) -> Outputs {
        Outputs {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
        }
    }

    /// Writes the output `name` (a file name in the folder) to a temporary file.
    pub fn stage(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<PathBuf> {
        let path = self.dir.join(name);
        let tmp = write_temporary(&self.dir, &path, fill)?;
        self.staged.push((tmp, path.clone()));
        Ok(path)
    }

    /// Renames every staged output into place, in the order staged, and returns their paths.
    /// First checks that each can replace what is there, so that a folder in an output's
    /// place stops the run before any output is replaced.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        for (_, path) in &self.staged {
            if let Ok(meta) = fs::symlink_metadata(path) {
                if meta.is_dir() {
                    anyhow::bail!(
                        "cannot replace {}: a folder is in its place; move the folder away \
                         and run again (no output was changed)",
                        path.display()
                    );
                }
            }
        }
        let mut paths = Vec::with_capacity(self.staged.len());
        for (tmp, path) in self.staged {
            persist(tmp, &path)?;
            paths.push(path);
        }
        Ok(paths)
    }
}
