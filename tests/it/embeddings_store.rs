//! Embeddings kept in the store, through the real binary on real PDFs: new heads re-label
//! from stored embeddings without the encoder, with the files a fresh run writes; an
//! unchanged rerun does not load the encoder; a store from before embeddings were kept is
//! upgraded and encoded once.
//!
//! "Without the encoder" is tested by giving `--model` a path that cannot hold a model (a
//! plain file): any attempt to load or fetch the encoder fails the run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::{Device, Tensor};
use ofsted_themes::store::{Store, SCHEMA_VERSION};

use crate::util::{assert_same_csvs, root, BIN};

/// Two short focused-visit letters from the fixtures, relative to the project root.
fn pdfs() -> Vec<String> {
    [
        "tests/fixtures/focused-visit/luton_2019-06-04_fv.pdf",
        "tests/fixtures/focused-visit/walsall_2019-12-18_fv.pdf",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs the binary in the project root; returns its stderr, failing the test if it fails.
fn run_ok(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(root())
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?} failed:\n{stderr}");
    stderr
}

/// Heads as after a retrain: the committed heads with every theme threshold lowered, so
/// labels change, and a card that says so (its hash is part of the classifier's version).
fn retrained_heads(dir: &Path) -> PathBuf {
    let heads = root().join("models/heads.safetensors");
    let mut tensors = candle_core::safetensors::load(&heads, &Device::Cpu).unwrap();
    for name in [
        "themes.threshold",
        "combined.threshold_with_rule",
        "combined.threshold_without_rule",
    ] {
        let lowered: Tensor = (tensors[name].clone() * 0.8).unwrap();
        tensors.insert(name.to_string(), lowered);
    }
    let path = dir.join("heads.safetensors");
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let card = fs::read_to_string(root().join("models/heads.json")).unwrap();
    let card = card.replacen(
        "\"training_file\": \"",
        "\"training_file\": \"thresholds lowered, ",
        1,
    );
    fs::write(dir.join("heads.json"), card).unwrap();
    path
}

#[test]
fn new_heads_relabel_from_stored_embeddings_and_an_old_store_is_encoded_once() {
    let pdfs = pdfs();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let no_model = t.join("not-a-model");
    fs::write(
        &no_model,
        "a file, so no model can be loaded or fetched here",
    )
    .unwrap();
    let no_model = no_model.to_str().unwrap();
    let retrained = retrained_heads(t);
    let retrained = retrained.to_str().unwrap();
    let (old, fresh) = (t.join("old"), t.join("fresh"));
    let (old_out, fresh_out) = (old.to_str().unwrap(), fresh.to_str().unwrap());
    let with = |extra: &[&'static str], out: &str, more: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec!["run".into()];
        args.extend(pdfs.iter().cloned());
        args.extend(["--quiet", "--out", out].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(more.iter().map(|s| s.to_string()));
        args
    };
    let run = |args: Vec<String>| run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // The committed heads, then the retrained ones with no encoder to be had.
    run(with(&[], old_out, &[]));
    let before = fs::read_to_string(old.join("sentences.csv")).unwrap();
    let summary = run(with(
        &[],
        old_out,
        &["--heads", retrained, "--model", no_model],
    ));
    assert!(summary.contains("0 new, 2 re-labelled"), "{summary}");
    let after = fs::read_to_string(old.join("sentences.csv")).unwrap();
    assert_ne!(before, after, "lower thresholds should change some themes");

    // What a fresh store labelled by the retrained heads holds.
    run(with(&[], fresh_out, &["--heads", retrained]));
    assert_same_csvs(&fresh, &old);

    // Nothing changed: the encoder is not needed, and the default classifier stays combined.
    let summary = run(with(
        &[],
        old_out,
        &["--heads", retrained, "--model", no_model],
    ));
    assert!(summary.contains("0 re-labelled, 2 unchanged"), "{summary}");
    let reports = fs::read_to_string(old.join("reports.csv")).unwrap();
    assert!(reports.contains(",combined"), "{reports}");

    // A store from before embeddings were kept (schema version 1) is upgraded, and re-labelled
    // from its sentences by encoding them once.
    let store_path = old.join("store.sqlite");
    {
        let conn = rusqlite::Connection::open(&store_path).unwrap();
        conn.execute_batch(
            "ALTER TABLE reports DROP COLUMN encoder;
             ALTER TABLE sentences DROP COLUMN embedding;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let out = Command::new(BIN)
        .args(with(
            &["--classifier", "combined"],
            old_out,
            &["--model", no_model],
        ))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a store without embeddings cannot be re-labelled without the encoder"
    );
    {
        let store = Store::open(&store_path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(store.embedding_encoders().unwrap().is_empty());
    }
    // Under the committed heads (another version), re-labelled with the encoder...
    let summary = run(with(&[], old_out, &[]));
    assert!(summary.contains("0 new, 2 re-labelled"), "{summary}");
    assert_eq!(
        Store::open(&store_path)
            .unwrap()
            .embedding_encoders()
            .unwrap()
            .len(),
        2
    );
    // ...and from then on without it.
    let summary = run(with(
        &[],
        old_out,
        &["--heads", retrained, "--model", no_model],
    ));
    assert!(summary.contains("0 new, 2 re-labelled"), "{summary}");
    assert_same_csvs(&fresh, &old);
}
