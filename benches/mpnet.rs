//! all-mpnet-base-v2's speed, f32 (candle, the reference) against int8 (`Int8Bert`, the
//! default), on the first N texts of a labelled JSONL file, and how close their embeddings are.
//!
//! `cargo bench --bench mpnet` (BENCH_LABELS=FILE, default ../shared/training/labelled.jsonl;
//! BENCH_SENTENCES=N, default 500). The two encoders run one after another, each over the same
//! texts in the encoder's default sorted batches of 32. Prints figures; asserts nothing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ofsted_themes::classify::encoder::{Encoder, Weights};
use ofsted_themes::mpnetfetch;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let labels = std::env::var_os("BENCH_LABELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/training/labelled.jsonl"));
    let wanted: usize = std::env::var("BENCH_SENTENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let text = std::fs::read_to_string(&labels)
        .unwrap_or_else(|e| panic!("{} is needed for the benchmark: {e}", labels.display()));
    let texts: Vec<String> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|row| row["text"].as_str().map(str::to_string))
        .take(wanted)
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let dir = mpnetfetch::ensure(&root.join(mpnetfetch::DEFAULT_MODEL_DIR)).expect("mpnet");
    println!(
        "{} texts from {}, {} threads",
        texts.len(),
        labels.display(),
        rayon::current_num_threads()
    );
    let mut vectors = Vec::new();
    for weights in [Weights::Candle, Weights::Int8] {
        let encoder = Encoder::load_mpnet_with(&dir, weights).expect("encoder");
        let start = Instant::now();
        vectors.push(encoder.embed(&texts).expect("embed"));
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "mpnet {:<6} {:>7.1} sentences/s ({} in {seconds:.1} s)",
            format!("{weights:?}"),
            texts.len() as f64 / seconds,
            texts.len()
        );
    }
    let cosines: Vec<f32> = vectors[0]
        .iter()
        .zip(&vectors[1])
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum())
        .collect();
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    let min = cosines.iter().copied().fold(f32::MAX, f32::min);
    println!("cosine int8 to f32: mean {mean:.5}, min {min:.5}");
}
