//! `ofsted-themes run`: label a folder of reports and write the summaries. The work is
//! [`ofsted_themes::pipeline::run`]'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use crate::cmd::{exit, load_taxonomy, set_jobs, EXIT_FAILED, EXIT_OK, EXIT_SOME_SKIPPED};
use ofsted_themes::aggregate::View;
use ofsted_themes::classify::{build_classifier, ClassifierChoice, ModelArgs};
use ofsted_themes::pipeline::sync::NEW_REPORTS_NAMED;
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
    /// Files or folders (searched recursively) to read. With none: when --out holds a store,
    /// the outputs are rewritten from it and nothing is added; else the bundled seeds/.
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

    /// Re-label the stored reports when this run's classifier is of another kind than the
    /// one that labelled them (rules instead of the model, another encoder). Without it
    /// such a run stops and changes nothing.
    #[arg(long)]
    pub relabel: bool,

    /// Read documents that do not look like an Ofsted inspection of a local authority's
    /// children's services (or a write-up of one); by default they are named in errors.csv.
    #[arg(long)]
    pub accept_any_document: bool,

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
            relabel: false,
            accept_any_document: false,
            model: ModelArgs::default(),
        }
    }
}

pub fn execute(args: RunArgs) -> Result<ExitCode> {
    set_jobs(args.jobs)?;
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| args.out.join(store::DEFAULT_FILE_NAME));
    let paths = inputs(&args, &store_path)?;
    let classifier = build_classifier(args.classifier, &args.model, taxonomy.clone())?;
    let options = RunOptions {
        paths,
        store: store_path,
        out: args.out.clone(),
        taxonomy,
        view: args.view,
        all_reports: args.all_reports,
        quiet: args.quiet,
        // Each document read in a worker process with limits (see pipeline::worker).
        reader: Reader::worker_of_this_executable()?,
        relabel: args.relabel,
        accept_any_document: args.accept_any_document,
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

/// What the run reads: the paths given; with none, nothing new when the store exists (the
/// outputs are rewritten from it), else the bundled seeds.
fn inputs(args: &RunArgs, store_path: &Path) -> Result<Vec<PathBuf>> {
    if !args.paths.is_empty() {
        return Ok(args.paths.clone());
    }
    if store_path.is_file() {
        eprintln!(
            "no files given: rewriting the outputs in {} from the store {} (nothing is added; \
             give files or folders to add reports)",
            args.out.display(),
            store_path.display()
        );
        return Ok(Vec::new());
    }
    match seeds() {
        Some(seeds) => {
            eprintln!(
                "no files given: reading the bundled examples in {}",
                seeds.display()
            );
            Ok(vec![seeds])
        }
        None => bail!(
            "no files given and no store in {}: give the reports to read, e.g. \
             `ofsted-themes run reports/ --out {}`",
            args.out.display(),
            args.out.display()
        ),
    }
}

/// The bundled example reports (`seeds/` of the project the binary was built in), when they
/// are there: found from the executable, never from the current folder.
fn seeds() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    exe.ancestors()
        .skip(1)
        .take(4)
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .map(|dir| dir.join("seeds"))
        .find(|seeds| seeds.is_dir())
}

/// The run's one-line account on stderr, and a note on stored reports it could not re-read.
fn announce(outcome: &RunOutcome, args: &RunArgs) {
    let work = &outcome.work;
    let reread = if work.reread > 0 {
        format!(", {} re-read (read by another version)", work.reread)
    } else {
        String::new()
    };
    // Over the labelling alone: loading the encoder and writing the outputs are not in it.
    let labelling = work.labelling_time.as_secs_f64();
    let rate = if work.labelled_sentences > 0 && labelling > 0.0 {
        format!(
            ", {:.0} sentences/s labelled",
            work.labelled_sentences as f64 / labelling
        )
    } else {
        String::new()
    };
    eprintln!(
        "{} new, {} re-labelled, {} unchanged{reread}, {} skipped; the store holds {} reports, \
         {} sentences; {:.1} s{rate}; results in {}",
        work.new,
        work.relabelled,
        work.unchanged,
        outcome.skipped,
        outcome.reports,
        outcome.sentences,
        outcome.elapsed.as_secs_f64(),
        args.out.display()
    );
    if !work.new_reports.is_empty() && !args.quiet {
        eprintln!("{}", new_reports_line(&work.new_reports));
    }
    if work.stale_not_given > 0 && !args.quiet {
        eprintln!(
            "note: {} stored reports were read by another version of ofsted-themes; give their \
             files again to read them with this one",
            work.stale_not_given
        );
    }
}

/// "new: Halton inspection 2024-05-24, Bury focused visit 2019-05-10 and 3 more".
fn new_reports_line(names: &[String]) -> String {
    let shown = &names[..names.len().min(NEW_REPORTS_NAMED)];
    let rest = names.len() - shown.len();
    if rest == 0 {
        format!("new: {}", shown.join(", "))
    } else {
        format!("new: {} and {rest} more", shown.join(", "))
    }
}
