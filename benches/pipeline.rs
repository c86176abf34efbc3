//! Throughput of the whole pipeline over the shared corpus: the rules path with time per
//! stage, then the default `run` (combined classifier) into a fresh store, re-labelling that
//! store after new heads (from its stored embeddings), and an unchanged rerun.
//!
//! `cargo bench --bench pipeline` (add `-- PATH` to time another folder; BENCH_FILES=N takes
//! N files spread over it; BENCH_RULES_ONLY=1 stops after the rules path;
//! OFSTED_THEMES_ENCODER=f32 or int8 picks the encoder, as for `run`). Prints figures;
//! it asserts nothing, since speed depends on the machine.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ofsted_themes::classify::model::DEFAULT_HEADS;
use ofsted_themes::classify::{build_classifier, Classifier, ModelArgs, RulesClassifier};
use ofsted_themes::pipeline::RunOptions;
use ofsted_themes::taxonomy::Taxonomy;
use ofsted_themes::{aggregate, ingest, pipeline, store};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let (mut files, _) = ingest::discover(std::slice::from_ref(&target));
    if let Some(wanted) = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let step = (files.len() / wanted.max(1)).max(1);
        files = files.into_iter().step_by(step).take(wanted).collect();
    }
    let taxonomy = Taxonomy::bundled();
    let classifier = RulesClassifier::new(taxonomy.clone());

    let start = Instant::now();
    let outcome = pipeline::run_batch(&files, &classifier, true);
    let mut reports = outcome.reports;
    aggregate::sort_reports(&mut reports);
    let _summary = aggregate::summarise(&reports, &taxonomy);
    let wall = start.elapsed().as_secs_f64();

    let sentences: usize = reports.iter().map(|r| r.labels.len()).sum();
    println!("pipeline benchmark: {}", target.display());
    println!(
        "  {} files, {} reports, {} skipped, {} sentences, {} threads",
        files.len(),
        reports.len(),
        outcome.errors.len(),
        sentences,
        rayon::current_num_threads()
    );
    println!(
        "  rules path: wall {:.2} s: {:.1} reports/s, {:.0} sentences/s (classifier: {})",
        wall,
        reports.len() as f64 / wall,
        sentences as f64 / wall,
        classifier.name()
    );
    println!("  time per stage (summed over threads):");
    for (stage, time) in outcome.times.totals() {
        println!("    {stage:<9} {:>8.2} s", time.as_secs_f64());
    }
    println!("  load average: {}", load_average());
    if std::env::var("BENCH_RULES_ONLY").is_ok() {
        return;
    }

    // The default `run`, end to end (reading, labelling, storing, writing every output).
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let out = tmp.path().join("out");
    // What `run FILES --out OUT --quiet --heads HEADS` does: the same library call.
    let run_with = |heads: &Path| {
        let options = RunOptions {
            paths: files.clone(),
            out: out.clone(),
            store: out.join(store::DEFAULT_FILE_NAME),
            taxonomy: taxonomy.clone(),
            view: Default::default(),
            all_reports: false,
            quiet: true,
            // In-process: the binary reads in worker processes (see docs/reliability.md).
            reader: Default::default(),
            relabel: false,
            accept_any_document: false,
        };
        let model = ModelArgs {
            heads: Some(heads.to_path_buf()),
            ..ModelArgs::default()
        };
        let start = Instant::now();
        let classifier = build_classifier(None, &model, taxonomy.clone()).expect("classifier");
        pipeline::run(&options, classifier, true).expect("run");
        start.elapsed().as_secs_f64()
    };
    let heads = root.join(DEFAULT_HEADS);
    let first = run_with(&heads);
    println!(
        "  default run (combined), fresh store: wall {first:.1} s, {:.0} sentences/s (encoder: {})",
        sentences as f64 / first,
        ofsted_themes::classify::encoder::pinned_version()
    );
    println!("  load average: {}", load_average());

    // New heads: the committed ones under another card, which is what a retrain changes
    // as far as the store can tell (the classifier's version covers the card).
    let retrained = tmp.path().join("heads.safetensors");
    std::fs::copy(&heads, &retrained).expect("copy heads");
    let card = std::fs::read_to_string(heads.with_extension("json")).expect("card");
    let card = card.replacen("\"training_file\": \"", "\"training_file\": \"bench, ", 1);
    std::fs::write(retrained.with_extension("json"), card).expect("write card");
    let relabel = run_with(&retrained);
    println!(
        "  re-label the store after new heads (stored embeddings): wall {relabel:.1} s, {:.0} sentences/s",
        sentences as f64 / relabel
    );
    let unchanged = run_with(&retrained);
    println!("  unchanged rerun: wall {unchanged:.2} s");
    println!("  load average: {}", load_average());
}

/// The 1, 5 and 15 minute load averages, to read the figures by.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}
