//! Where the model files live, the same wherever the user stands: one place per user, never
//! the current folder.
//!
//! The encoder (tens of megabytes, fetched once) is looked for, in order:
//! 1. `--model DIR`, when given;
//! 2. `$OFSTED_THEMES_HOME/models/<name>`, when that variable is set (then the only place,
//!    and where a fetch writes);
//! 3. beside the executable: `<exe dir>/models/<name>`, and for a cargo build
//!    (`target/release/ofsted-themes`) the project's own `models/<name>`, so a developer's
//!    copy serves `cargo run`, the tests and the binary alike;
//! 4. the user cache, `$XDG_CACHE_HOME/ofsted-themes/models/<name>` or
//!    `~/.cache/ofsted-themes/models/<name>`, where a fetch writes (for a binary built in a
//!    cargo project, the fetch fills the project's `models/<name>` instead).
//!
//! The committed heads are compiled into the binary: the heads a build was made with are the
//! heads it labels with, wherever it runs. `--heads FILE` still overrides them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::classify::encoder_kind::EncoderKind;

/// The environment variable naming the folder that holds `models/` (the encoder's home).
pub const HOME_VARIABLE: &str = "OFSTED_THEMES_HOME";

/// The folder under the user cache (and under `$OFSTED_THEMES_HOME`) that holds the models.
const MODELS_FOLDER: &str = "models";

/// How many folders above the executable a cargo project root is looked for:
/// `target/release/ofsted-themes` is two below it, a test binary in `target/release/deps/`
/// three.
const PROJECT_ROOT_DEPTH: usize = 3;

/// The MiniLM heads and card the binary was built with.
const MINILM_HEADS: &[u8] = include_bytes!("../../models/heads.safetensors");
const MINILM_CARD: &[u8] = include_bytes!("../../models/heads.json");
/// The mpnet heads and card the binary was built with.
const MPNET_HEADS: &[u8] = include_bytes!("../../models/heads-mpnet.safetensors");
const MPNET_CARD: &[u8] = include_bytes!("../../models/heads-mpnet.json");

/// The user cache of ofsted-themes: `$XDG_CACHE_HOME/ofsted-themes`, else
/// `~/.cache/ofsted-themes`; None when neither variable is set.
pub fn user_cache() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    non_empty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|cache| cache.join("ofsted-themes"))
}

/// `$OFSTED_THEMES_HOME`, when set.
fn home() -> Option<PathBuf> {
    std::env::var_os(HOME_VARIABLE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The folders beside the executable that may hold `models/`: the executable's own folder,
/// and the cargo project it was built in (a folder above it holding Cargo.toml).
fn beside_executable() -> Vec<PathBuf> {
    let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.canonicalize().ok())
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    else {
        return Vec::new();
    };
    let mut folders = vec![exe_dir.clone()];
    folders.extend(
        exe_dir
            .ancestors()
            .skip(1)
            .take(PROJECT_ROOT_DEPTH)
            .filter(|dir| dir.join("Cargo.toml").is_file())
            .map(Path::to_path_buf),
    );
    folders
}

/// Whether `dir` holds the encoder `kind`'s files (not verified: loading verifies them).
fn holds_model(kind: EncoderKind, dir: &Path) -> bool {
    match kind {
        EncoderKind::Minilm => crate::modelfetch::is_present(dir),
        EncoderKind::Mpnet => crate::mpnetfetch::is_present(dir),
    }
}

/// The encoder `kind`'s folder when `--model` is not given (see the module's order). When
/// no copy is found, the folder a fetch should fill.
pub fn model_dir(kind: EncoderKind) -> PathBuf {
    let name = kind.model_name();
    if let Some(home) = home() {
        return home.join(MODELS_FOLDER).join(name);
    }
    let beside: Vec<PathBuf> = beside_executable()
        .into_iter()
        .map(|dir| dir.join(MODELS_FOLDER).join(name))
        .collect();
    if let Some(dir) = beside.iter().find(|dir| holds_model(kind, dir)) {
        return dir.clone();
    }
    // A build inside a cargo project (`cargo run`, the tests) fetches into the project's
    // models/, where the tests keep their copy; an installed binary into the user cache.
    if let Some(project) = beside.get(1) {
        return project.clone();
    }
    match user_cache() {
        Some(cache) => cache.join(MODELS_FOLDER).join(name),
        // No home at all (a bare service account): the temporary folder, never the cwd.
        None => std::env::temp_dir()
            .join("ofsted-themes")
            .join(MODELS_FOLDER)
            .join(name),
    }
}

/// The heads compiled into this binary for `kind`, written out once (per content) into the
/// user cache so they load like any heads file: returns the heads file (its card beside it).
pub fn bundled_heads(kind: EncoderKind) -> Result<PathBuf> {
    let (heads, card, file_name) = match kind {
        EncoderKind::Minilm => (MINILM_HEADS, MINILM_CARD, "heads.safetensors"),
        EncoderKind::Mpnet => (MPNET_HEADS, MPNET_CARD, "heads-mpnet.safetensors"),
    };
    // Named by content, so two builds with different heads never share (or race on) a file.
    let mut both = heads.to_vec();
    both.extend_from_slice(card);
    let digest = crate::files::sha256_hex(&both);
    let base = home()
        .map(|home| home.join(MODELS_FOLDER))
        .or_else(|| user_cache().map(|cache| cache.join(MODELS_FOLDER)))
        .unwrap_or_else(|| std::env::temp_dir().join("ofsted-themes"));
    let dir = base.join("bundled-heads").join(&digest[..16]);
    let heads_path = dir.join(file_name);
    let card_path = crate::classify::model::HeadsCard::path_for(&heads_path);
    let written = |path: &Path, bytes: &[u8]| std::fs::read(path).is_ok_and(|b| b == bytes);
    if !written(&heads_path, heads) || !written(&card_path, card) {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {} for the bundled heads", dir.display()))?;
        for (path, bytes) in [(&card_path, card), (&heads_path, heads)] {
            crate::files::atomic_write(path, |out| Ok(out.write_all(bytes)?))
                .with_context(|| format!("cannot write the bundled heads to {}", path.display()))?;
        }
    }
    Ok(heads_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_heads_are_the_committed_ones() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heads.safetensors");
        assert_eq!(std::fs::read(committed).unwrap(), MINILM_HEADS);
    }

    #[test]
    fn the_model_is_never_looked_for_in_the_current_folder() {
        for kind in EncoderKind::ALL {
            let dir = model_dir(kind);
            assert!(dir.is_absolute(), "{}", dir.display());
            assert!(dir.ends_with(Path::new(MODELS_FOLDER).join(kind.model_name())));
        }
    }
}
