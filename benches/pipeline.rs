//! Throughput of the whole pipeline over the shared corpus, with time per stage.
//!
//! `cargo bench --bench pipeline` (add `-- PATH` to time another folder). Prints figures; it
//! asserts nothing, since speed depends on the machine.

use std::path::PathBuf;
use std::time::Instant;

use ofsted_themes::classify::{Classifier, RulesClassifier};
use ofsted_themes::taxonomy::Taxonomy;
use ofsted_themes::{aggregate, ingest, pipeline};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let (files, _) = ingest::discover(std::slice::from_ref(&target));
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
        "  wall {:.2} s: {:.1} reports/s, {:.0} sentences/s (classifier: {})",
        wall,
        reports.len() as f64 / wall,
        sentences as f64 / wall,
        classifier.name()
    );
    println!("  time per stage (summed over threads):");
    for (stage, time) in outcome.times.totals() {
        println!("    {stage:<9} {:>8.2} s", time.as_secs_f64());
    }
}
