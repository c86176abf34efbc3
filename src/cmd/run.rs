//! `ofsted-themes run`: label a folder of reports and write the summaries. The work is
//! [`ofsted_themes::pipeline::run`]'s.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd::{exit, load_taxonomy, set_jobs, EXIT_FAILED, EXIT_OK, EXIT_SOME_SKIPPED};
use ofsted_themes::aggregate::View;
use ofsted_themes::classify::{build_classifier, ClassifierChoice, ModelArgs};
use ofsted_themes::pipeline::{self, Reader, RunOptions, RunOutcome};
use ofsted_themes::store;

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
    set_jobs(args.jobs)?;
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    let classifier = build_classifier(args.classifier, &args.model, taxonomy.clone())?;
    let options = RunOptions {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from("seeds")]
        } else {
            args.paths.clone()
        },
        store: args
            .store
            .clone()
            .unwrap_or_else(|| args.out.join(store::DEFAULT_FILE_NAME)),
        out: args.out.clone(),
        taxonomy,
        view: args.view,
        all_reports: args.all_reports,
        quiet: args.quiet,
        // Each document read in a worker process with limits (see pipeline::worker).
        reader: Reader::worker_of_this_executable()?,
    };
    let outcome = pipeline::run(&options, classifier, args.classifier.is_none())?;
    announce(&outcome, &args);
    // Files that were read and refused (a hostile PDF alone) leave a completed run with
    // errors.csv naming them: 2, as for any skipped input. 1 is for a run with nothing to read.
    let work = &outcome.work;
    let tried = work.new + work.reread + work.unchanged + work.errors.len();
    Ok(exit(if outcome.reports == 0 && tried == 0 {
        EXIT_FAILED
    } else if outcome.skipped == 0 {
        EXIT_OK
    } else {
        EXIT_SOME_SKIPPED
    }))
}

/// The run's one-line account on stderr, and a note on stored reports it could not re-read.
fn announce(outcome: &RunOutcome, args: &RunArgs) {
    let work = &outcome.work;
    let seconds = outcome.elapsed.as_secs_f64();
    let reread = if work.reread > 0 {
        format!(", {} re-read (read by another version)", work.reread)
    } else {
        String::new()
    };
    eprintln!(
        "{} new, {} re-labelled, {} unchanged{reread}, {} skipped; the store holds {} reports, \
         {} sentences; {:.1} s, {:.0} sentences/s labelled; results in {}",
        work.new,
        work.relabelled,
        work.unchanged,
        outcome.skipped,
        outcome.reports,
        outcome.sentences,
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
}
