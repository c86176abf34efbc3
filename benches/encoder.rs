//! Sentences per second of the model path on real reports from ../shared/corpus, with the
//! rules path beside it, and the encoder's batching options compared.
//!
//! `cargo bench --bench encoder` (BENCH_REPORTS=N sets how many reports; default 6;
//! BENCH_WEIGHTS=Candle,Int8 times only those encoders; BENCH_ENCODER_ONLY=1 stops after them).
//! Reports are read and segmented first, outside the timings: only labelling is timed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::quantized::GgmlDType;
use ofsted_themes::classify::encoder::{Encoder, Weights};
use ofsted_themes::classify::heads::Heads;
use ofsted_themes::classify::model::{HeadsCard, DEFAULT_HEADS};
use ofsted_themes::classify::{Classifier, CombinedClassifier, ModelClassifier, RulesClassifier};
use ofsted_themes::modelfetch;
use ofsted_themes::pipeline::{self, StageTimes};
use ofsted_themes::taxonomy::Taxonomy;
use ofsted_themes::types::{Report, SentenceInput};
use rayon::prelude::*;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus/ilacs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("{} is needed for the benchmark: {e}", corpus.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    let wanted: usize = std::env::var("BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    // Spread over the corpus rather than the first few alphabetically.
    let step = (files.len() / wanted.max(1)).max(1);
    let files: Vec<PathBuf> = files.into_iter().step_by(step).take(wanted).collect();
    let times = StageTimes::default();
    let reports: Vec<Report> = files
        .par_iter()
        .filter_map(|p| pipeline::prepare(p, &times).ok())
        .collect();
    let sentences: usize = reports.iter().map(|r| r.sentences.len()).sum();
    println!(
        "{} reports, {sentences} sentences, {} threads",
        reports.len(),
        rayon::current_num_threads()
    );

    let model_dir = modelfetch::ensure(&root.join(modelfetch::DEFAULT_MODEL_DIR)).expect("model");
    let heads_path = root.join(DEFAULT_HEADS);
    let taxonomy = Taxonomy::bundled();
    let build = |encoder: Encoder| {
        ModelClassifier::from_parts(
            encoder,
            Heads::load(&heads_path).expect("heads"),
            HeadsCard::load(&HeadsCard::path_for(&heads_path)).expect("card"),
            RulesClassifier::new(taxonomy.clone()),
        )
        .expect("heads fit")
    };

    // Reports in parallel, each labelled as one batch: what `run` does.
    let measure = |name: &str, classifier: &dyn Classifier| {
        let start = Instant::now();
        let labelled: usize = reports
            .par_iter()
            .map(|r| {
                let inputs: Vec<SentenceInput> =
                    (0..r.sentences.len()).map(|i| r.input(i)).collect();
                classifier.classify_batch(&inputs).expect("labels").len()
            })
            .sum();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{name:<44} {:>8.1} sentences/s  ({labelled} in {seconds:.1} s)",
            labelled as f64 / seconds
        );
    };

    // The encoder alone on the reports' distinct sentences, each way of running it, with the
    // cosine of its embeddings to candle's f32 BertModel's (the reference) on the first 2,000.
    let mut texts: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.sentences.iter().map(|s| s.text.as_str()))
        .collect();
    texts.sort_unstable();
    texts.dedup();
    let reference = Encoder::load_with(&model_dir, Weights::Candle).expect("encoder");
    let sample: Vec<&str> = texts.iter().copied().take(2000).collect();
    let reference_vectors = reference.embed(&sample).expect("embed");
    let only: Option<String> = std::env::var("BENCH_WEIGHTS").ok();
    for weights in [
        Weights::Candle,
        Weights::Fused,
        Weights::Quantised(GgmlDType::Q8_0),
        Weights::Int8Candle,
        Weights::Int8,
    ] {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|w| w == format!("{weights:?}")))
        {
            continue;
        }
        let encoder = Encoder::load_with(&model_dir, weights).expect("encoder");
        let start = Instant::now();
        encoder.embed(&texts).expect("embed");
        let seconds = start.elapsed().as_secs_f64();
        let vectors = encoder.embed(&sample).expect("embed");
        let cosines: Vec<f32> = vectors
            .iter()
            .zip(&reference_vectors)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum())
            .collect();
        let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
        let min = cosines.iter().copied().fold(f32::MAX, f32::min);
        println!(
            "encoder {weights:<30?} {:>8.1} sentences/s  ({} distinct in {seconds:.1} s); \
             cosine to f32 on {}: mean {mean:.5}, min {min:.5}",
            texts.len() as f64 / seconds,
            texts.len(),
            sample.len()
        );
    }
    if std::env::var("BENCH_ENCODER_ONLY").is_ok() {
        return;
    }

    measure("rules", &RulesClassifier::new(taxonomy.clone()));
    let load = || Encoder::load(&model_dir).expect("encoder");
    measure(
        "model: unsorted batches of 32, candle threads",
        &build(
            load()
                .with_sort_by_length(false)
                .with_parallel_batches(false),
        ),
    );
    measure(
        "model: sorted batches of 32, candle threads (default)",
        &build(load()),
    );
    for batch in [16, 32] {
        measure(
            &format!("model: sorted batches of {batch}, rayon batches"),
            &build(load().with_batch_size(batch).with_parallel_batches(true)),
        );
    }
    measure(
        "combined (default settings)",
        &CombinedClassifier::new(build(load())),
    );
}
