//! `ofsted-themes run`: label a folder of reports and write the summaries.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::aggregate;
use crate::classify::{build_classifier, ClassifierChoice};
use crate::cmd::train::ModelArgs;
use crate::cmd::{exit, set_jobs, EXIT_FAILED, EXIT_OK, EXIT_SOME_SKIPPED};
use crate::ingest;
use crate::pipeline;
use crate::taxonomy::Taxonomy;
use crate::write;

/// Read reports (PDF, text, HTML), label every sentence by stance and theme, and write
/// sentences.csv, reports.csv, themes.csv, authorities.csv and errors.csv.
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

    /// authorities.csv gets one row per report instead of each authority's latest.
    #[arg(long)]
    pub all_reports: bool,

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
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("seeds")]
    } else {
        args.paths.clone()
    };
    let (files, mut errors) = ingest::discover(&paths);
    for e in &errors {
        if !args.quiet {
            eprintln!("skipped {e}");
        }
    }
    let classifier = build_classifier(args.classifier, &args.model, taxonomy.clone())?;
    if !args.quiet {
        eprintln!("classifier: {}", classifier.name());
    }
    let outcome = pipeline::run_batch(&files, classifier.as_ref(), args.quiet);
    errors.extend(outcome.errors.iter().cloned());
    let mut reports = outcome.reports;
    aggregate::sort_reports(&mut reports);
    let summary = aggregate::summarise(&reports, &taxonomy);
    write::write_all(
        &args.out,
        &reports,
        &summary,
        &errors,
        &taxonomy,
        args.all_reports,
    )?;

    let sentences: usize = reports.iter().map(|r| r.labels.len()).sum();
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "{} reports, {} sentences, {} skipped, {:.1} s, {:.0} sentences/s; results in {}",
        reports.len(),
        sentences,
        errors.len(),
        seconds,
        sentences as f64 / seconds.max(1e-9),
        args.out.display()
    );
    Ok(exit(if reports.is_empty() {
        EXIT_FAILED
    } else if errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_SKIPPED
    }))
}
