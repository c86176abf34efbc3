//! The sentence encoder with the real all-MiniLM-L6-v2 (fetched on first use).

use ofsted_themes::classify::encoder::{Encoder, Weights};

use crate::util::{assert_batching_changes_nothing, max_diff, model_dir, BATCH_TEXTS};

#[test]
fn matches_the_sentence_transformers_reference_vector() {
    // The f32 network: the reference the default int8 one is measured against.
    let encoder = Encoder::load_with(&model_dir(), Weights::Candle).unwrap();
    assert_eq!(encoder.dim(), 384);
    let v = &encoder.embed(&["This is an example sentence"]).unwrap()[0];
    let reference = [0.06766f32, 0.06350, 0.04871, 0.07930, 0.03745];
    assert!(
        max_diff(&v[..5], &reference) < 1e-4,
        "first five dimensions {:?}, reference {reference:?}",
        &v[..5]
    );
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
}

/// The default encoder runs int8 linear layers; its embeddings stay within the issue's
/// bound of candle's f32 ones (cosine 0.995), and are what `Encoder::load` gives.
#[test]
fn the_default_int8_encoder_stays_close_to_f32() {
    let f32 = Encoder::load_with(&model_dir(), Weights::Candle).unwrap();
    let int8 = Encoder::load(&model_dir()).unwrap();
    assert!(int8.version().contains("int8"), "{}", int8.version());
    let texts: Vec<&str> = BATCH_TEXTS
        .iter()
        .copied()
        .filter(|t| !t.is_empty())
        .collect();
    let (a, b) = (f32.embed(&texts).unwrap(), int8.embed(&texts).unwrap());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let cosine: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
        assert!(cosine > 0.995, "sentence {i}: cosine {cosine}");
    }
}

#[test]
fn batched_and_one_at_a_time_agree() {
    for weights in [Weights::Candle, Weights::Int8] {
        batched_and_one_at_a_time_agree_with(weights);
    }
}

fn batched_and_one_at_a_time_agree_with(weights: Weights) {
    let encoder = Encoder::load_with(&model_dir(), weights)
        .unwrap()
        .with_batch_size(4);
    assert_batching_changes_nothing(&encoder, &format!("{weights:?}"));
}

#[test]
fn a_model_folder_without_the_files_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Encoder::load(tmp.path()).err().expect("no model there");
    assert!(format!("{err:#}").contains("is missing"), "{err:#}");
}
