//! The sentence encoder with the real all-MiniLM-L6-v2 (fetched on first use).

use ofsted_themes::classify::encoder::Encoder;

use crate::util::model_dir;

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn matches_the_sentence_transformers_reference_vector() {
    let encoder = Encoder::load(&model_dir()).unwrap();
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

#[test]
fn batched_and_one_at_a_time_agree() {
    let encoder = Encoder::load(&model_dir()).unwrap().with_batch_size(4);
    let texts = [
        "This is an example sentence",
        "Children are seen alone and their views inform plans.",
        "Short.",
        "Leaders have a clear understanding of the strengths and weaknesses of services, \
         and the quality of practice has improved since the last inspection in most areas.",
        "",
        "Managers oversee cases.",
        "Care leavers are supported well by personal advisers who know them.",
    ];
    let together = encoder.embed(&texts).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let alone = &encoder.embed(&[text]).unwrap()[0];
        let diff = max_diff(&together[i], alone);
        assert!(diff < 1e-5, "sentence {i} differs by {diff}");
    }
    assert!(max_diff(&together[0], &together[1]) > 0.01);
}

#[test]
fn a_model_folder_without_the_files_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Encoder::load(tmp.path()).err().expect("no model there");
    assert!(format!("{err:#}").contains("is missing"), "{err:#}");
}
