//! The sentence encoder: all-MiniLM-L6-v2 (a 6-layer BERT) or all-mpnet-base-v2 (a 12-layer
//! MPNet) on the CPU, mean-pooled over the attention mask and L2-normalised, as
//! sentence-transformers does. Both run by default with int8 dense layers ([`Int8Bert`]);
//! `OFSTED_THEMES_ENCODER=f32` ([`WEIGHTS_ENV`]) runs the f32 reference on candle instead
//! (candle's `BertModel`, or [`MpnetModel`]), whose embeddings carry another version.
//!
//! Speed: sentences are sorted by token count and cut into batches, each padded only to
//! its longest sentence (the packaged tokenizer would pad everything to 128 tokens). The
//! batches of a report run one after another with candle's own matrix-product threads, or
//! in parallel on rayon when asked; docs/speed.md has the measured figures of
//! each (benches/encoder.rs).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use candle_core::quantized::GgmlDType;
use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rayon::prelude::*;
use tokenizers::Tokenizer;

use crate::classify::bert::{LinearWeights, QuantisableBert};
use crate::classify::int8_bert::Int8Bert;
use crate::classify::mpnet::MpnetModel;
use crate::modelfetch;

/// Sentences per forward pass. Sorting by length keeps padding small; 32 measured better
/// than 16 on 2 cores (benches/encoder.rs).
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// Longest input in tokens; longer sentences are truncated (the packaged tokenizer's limit).
pub const MAX_TOKENS: usize = 128;

/// Names the embeddings [`Encoder::load`] gives: the pinned weights (which `load` verifies)
/// and how they are run. Stored beside embeddings so that embeddings from another encoder
/// are never mixed with this one's; known without loading the model.
pub fn pinned_version() -> String {
    version_for(default_weights())
}

/// The version of the embeddings [`Encoder::load_with`] gives with `weights`. The int8
/// kernels (VNNI and portable) give identical embeddings, so the version does not name them.
pub fn version_for(weights: Weights) -> String {
    let sha = modelfetch::MODEL_FILES
        .iter()
        .find(|(name, _)| *name == "model.safetensors")
        .and_then(|(_, sha)| *sha)
        .unwrap_or("unpinned");
    run_as(
        format!("all-MiniLM-L6-v2 {} f32", &sha[..12.min(sha.len())]),
        weights,
    )
}

/// The version of embeddings from the weights `pinned` names (the model's name, its weights'
/// hash, "f32"), run as `weights` says: `pinned` itself for the f32 reference.
pub(crate) fn run_as(pinned: String, weights: Weights) -> String {
    match weights {
        Weights::Candle => pinned,
        Weights::Int8 => format!("{pinned} int8 (s8 weights per channel, u8 rows) v1"),
        other => format!("{pinned} {other:?}"),
    }
}

/// Environment variable choosing how [`Encoder::load`] runs the network: `int8`
/// ([`Weights::Int8`], the default) or `f32` (candle's `BertModel`, the reference).
pub const WEIGHTS_ENV: &str = "OFSTED_THEMES_ENCODER";

/// How [`Encoder::load`] runs the network: as [`WEIGHTS_ENV`] says, else int8. The committed
/// heads are trained on int8 embeddings (docs/speed.md has the measured cost).
pub fn default_weights() -> Weights {
    match std::env::var(WEIGHTS_ENV).as_deref() {
        Ok("f32") => Weights::Candle,
        _ => Weights::Int8,
    }
}

/// The tokenizer.json in `dir`, without padding (batches are padded here, per batch) and
/// truncated at [`MAX_TOKENS`] so no input exceeds the model's limit.
pub(crate) fn load_tokenizer(dir: &Path) -> Result<Tokenizer> {
    let tokenizer_path = dir.join("tokenizer.json");
    let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
        .map_err(|e| anyhow!("cannot read tokenizer {}: {e}", tokenizer_path.display()))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(tokenizers::TruncationParams {
            max_length: MAX_TOKENS,
            ..Default::default()
        }))
        .map_err(|e| anyhow!("cannot set truncation: {e}"))?;
    Ok(tokenizer)
}

/// How the encoder's network is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// candle's `BertModel`, f32 weights.
    Candle,
    /// [`QuantisableBert`] with f32 weights (query, key and value fused).
    Fused,
    /// [`QuantisableBert`] with its linear layers' weights quantised by candle.
    Quantised(GgmlDType),
    /// [`QuantisableBert`] (candle tensors between layers, padded batches) with int8 linear
    /// layers on this crate's kernel ([`crate::classify::int8`]).
    Int8Candle,
    /// [`Int8Bert`]: int8 linear layers, the rest in plain Rust on unpadded sequences (MiniLM
    /// and all-mpnet-base-v2).
    Int8,
}

enum Network {
    Candle(BertModel),
    Quantisable(QuantisableBert),
    /// all-mpnet-base-v2 in f32 ([`crate::classify::mpnet`]).
    Mpnet(MpnetModel),
    /// MiniLM or all-mpnet-base-v2 with int8 linear layers ([`crate::classify::int8_bert`]).
    Int8(Int8Bert),
}

/// A BERT sentence encoder: text in, unit-length embedding out.
pub struct Encoder {
    model: Network,
    /// None for a model built from token ids only (the tests' tiny random BERT).
    tokenizer: Option<Tokenizer>,
    hidden_size: usize,
    batch_size: usize,
    /// Sort inputs by token count before batching (off only to measure what it saves).
    sort_by_length: bool,
    /// Run batches in parallel on rayon's pool; off, batches run one after another and
    /// only candle's own matrix-product threads are used.
    parallel_batches: bool,
    device: Device,
    /// Names the embeddings this encoder gives (see [`pinned_version`]).
    version: String,
}

impl Encoder {
    /// Loads and verifies the model in `dir` (model.safetensors, tokenizer.json, config.json).
    pub fn load(dir: &Path) -> Result<Encoder> {
        Encoder::load_with(dir, default_weights())
    }

    /// [`Encoder::load`], running the network as `weights` says.
    pub fn load_with(dir: &Path, weights_kind: Weights) -> Result<Encoder> {
        modelfetch::verify(dir)?;
        let device = Device::Cpu;
        let config_path = dir.join("config.json");
        let config: Config = serde_json::from_str(
            &std::fs::read_to_string(&config_path)
                .with_context(|| format!("cannot read {}", config_path.display()))?,
        )
        .with_context(|| format!("{} is not a BERT config", config_path.display()))?;
        let weights = dir.join("model.safetensors");
        // SAFETY: the file is memory-mapped read-only and verified above; the mapping lives
        // as long as the tensors, which candle copies out of it on load.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .with_context(|| format!("cannot read weights {}", weights.display()))?;
        let model = match weights_kind {
            Weights::Candle => BertModel::load(vb, &config).map(Network::Candle),
            Weights::Fused => {
                QuantisableBert::load(vb, &config, LinearWeights::F32).map(Network::Quantisable)
            }
            Weights::Quantised(dtype) => {
                QuantisableBert::load(vb, &config, LinearWeights::Ggml(dtype))
                    .map(Network::Quantisable)
            }
            Weights::Int8Candle => {
                QuantisableBert::load(vb, &config, LinearWeights::Int8).map(Network::Quantisable)
            }
            Weights::Int8 => Int8Bert::load(vb, &config).map(Network::Int8),
        }
        .with_context(|| format!("{} does not hold a BERT model", weights.display()))?;
        let tokenizer = load_tokenizer(dir)?;
        Ok(Encoder {
            model,
            tokenizer: Some(tokenizer),
            hidden_size: config.hidden_size,
            batch_size: DEFAULT_BATCH_SIZE,
            sort_by_length: true,
            parallel_batches: false,
            device,
            version: version_for(weights_kind),
        })
    }

    /// all-mpnet-base-v2 from `dir`, verified against its pinned hashes
    /// ([`crate::classify::mpnet::open_dir`]), run as [`WEIGHTS_ENV`] says (else int8).
    pub fn load_mpnet(dir: &Path) -> Result<Encoder> {
        Encoder::load_mpnet_with(dir, default_weights())
    }

    /// [`Encoder::load_mpnet`], run as `weights_kind` says: [`Weights::Int8`] ([`Int8Bert`])
    /// or [`Weights::Candle`] (the f32 [`MpnetModel`], the reference); the other ways are
    /// MiniLM's only.
    pub fn load_mpnet_with(dir: &Path, weights_kind: Weights) -> Result<Encoder> {
        if !matches!(weights_kind, Weights::Candle | Weights::Int8) {
            bail!("all-mpnet-base-v2 runs as Candle (f32) or Int8, not as {weights_kind:?}");
        }
        let (config, vb, tokenizer) = crate::classify::mpnet::open_dir(dir)?;
        let model = match weights_kind {
            Weights::Int8 => Int8Bert::load_mpnet(vb, &config).map(Network::Int8),
            _ => MpnetModel::load(vb, &config).map(Network::Mpnet),
        }
        .with_context(|| {
            format!(
                "{} does not hold an MPNet model",
                dir.join("model.safetensors").display()
            )
        })?;
        Ok(Encoder {
            hidden_size: config.hidden_size,
            model,
            tokenizer: Some(tokenizer),
            batch_size: DEFAULT_BATCH_SIZE,
            sort_by_length: true,
            parallel_batches: false,
            device: Device::Cpu,
            version: crate::mpnetfetch::version_for(weights_kind),
        })
    }

    /// An encoder over an already-built model, fed token ids (see [`Encoder::embed_ids`]).
    pub fn from_model(model: BertModel, hidden_size: usize) -> Encoder {
        Encoder {
            model: Network::Candle(model),
            tokenizer: None,
            hidden_size,
            batch_size: DEFAULT_BATCH_SIZE,
            sort_by_length: true,
            parallel_batches: false,
            device: Device::Cpu,
            version: format!("unpinned BERT of width {hidden_size}"),
        }
    }

    pub fn with_batch_size(mut self, batch_size: usize) -> Encoder {
        self.batch_size = batch_size.max(1);
        self
    }

    pub fn with_sort_by_length(mut self, sort: bool) -> Encoder {
        self.sort_by_length = sort;
        self
    }

    pub fn with_parallel_batches(mut self, parallel: bool) -> Encoder {
        self.parallel_batches = parallel;
        self
    }

    /// Names the embeddings this encoder gives, as stored beside them.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Length of an embedding.
    pub fn dim(&self) -> usize {
        self.hidden_size
    }

    /// Token ids of each text (`[CLS] ... [SEP]`, truncated to [`MAX_TOKENS`]).
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let tokenizer = self
            .tokenizer
            .as_ref()
            .ok_or_else(|| anyhow!("this encoder has no tokenizer"))?;
        texts
            .iter()
            .map(|text| {
                tokenizer
                    .encode(*text, true)
                    .map(|e| e.get_ids().to_vec())
                    .map_err(|e| anyhow!("cannot tokenize {text:?}: {e}"))
            })
            .collect()
    }

    /// Unit-length embeddings of `texts`, in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = self.tokenize(texts)?;
        self.embed_ids(&ids)
    }

    /// Embeddings of tokenized inputs, in input order: sorted by length into batches, each
    /// padded to its longest; the batches run one after another, or on rayon when
    /// `parallel_batches` is set.
    pub fn embed_ids(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        if self.sort_by_length {
            order.sort_by_key(|&i| (ids[i].len(), i));
        }
        let batches: Vec<&[usize]> = order.chunks(self.batch_size).collect();
        let run = |batch: &&[usize]| {
            let inputs: Vec<&[u32]> = batch.iter().map(|&i| ids[i].as_slice()).collect();
            self.embed_padded_batch(&inputs)
        };
        let embedded: Vec<Vec<Vec<f32>>> = if self.parallel_batches {
            batches.par_iter().map(run).collect::<Result<_>>()?
        } else {
            batches.iter().map(run).collect::<Result<_>>()?
        };
        let mut out = vec![Vec::new(); ids.len()];
        for (batch, vectors) in batches.iter().zip(embedded) {
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// One forward pass over inputs padded (with id 0, mask 0) to the longest of them.
    pub fn embed_padded_batch(&self, inputs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        if let Network::Int8(model) = &self.model {
            return Ok(model.embed(inputs)?);
        }
        let (input_ids, mask) = padded_batch(inputs, &self.device)?;
        let hidden = match &self.model {
            Network::Candle(model) => {
                let token_type_ids = input_ids.zeros_like()?;
                model.forward(&input_ids, &token_type_ids, Some(&mask))?
            }
            Network::Quantisable(model) => model.forward(&input_ids, &mask)?,
            Network::Mpnet(model) => model.forward(&input_ids, &mask)?,
            Network::Int8(_) => unreachable!("handled above"),
        };
        let pooled = mean_pool_normalised(&hidden, &mask)?;
        Ok(pooled.to_vec2::<f32>()?)
    }
}

/// Token ids (batch, longest) padded with id 0 to the longest input, and the mask that is 1
/// on each input's own tokens and 0 on the padding.
pub fn padded_batch(inputs: &[&[u32]], device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
    let width = inputs.iter().map(|x| x.len()).max().unwrap_or(0).max(1);
    let mut id_data = Vec::with_capacity(inputs.len() * width);
    let mut mask_data = Vec::with_capacity(inputs.len() * width);
    for input in inputs {
        id_data.extend_from_slice(input);
        id_data.extend(std::iter::repeat_n(0u32, width - input.len()));
        mask_data.extend(std::iter::repeat_n(1u32, input.len()));
        mask_data.extend(std::iter::repeat_n(0u32, width - input.len()));
    }
    let shape = (inputs.len(), width);
    Ok((
        Tensor::from_vec(id_data, shape, device)?,
        Tensor::from_vec(mask_data, shape, device)?,
    ))
}

/// Mean of the token vectors where the mask is 1: (batch, dim), not normalised.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(hidden.dtype())?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    summed.broadcast_div(&counts)
}

/// Mean of the token vectors where the mask is 1, then L2 normalisation (sentence-transformers'
/// `Pooling(mean)` + `Normalize`). `hidden`: (batch, tokens, dim); `mask`: (batch, tokens).
pub fn mean_pool_normalised(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mean = mean_pool(hidden, mask)?;
    let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    mean.broadcast_div(&norms)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_nn::VarMap;

    /// A 2-layer BERT of width `hidden_size` (2 heads, 50 tokens, GELU): small enough to
    /// build in a test.
    pub(crate) fn tiny_bert_config(hidden_size: usize, intermediate_size: usize) -> Config {
        Config {
            vocab_size: 50,
            hidden_size,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size,
            hidden_act: candle_transformers::models::bert::HiddenAct::Gelu,
            hidden_dropout_prob: 0.0,
            max_position_embeddings: 64,
            type_vocab_size: 2,
            initializer_range: 0.02,
            layer_norm_eps: 1e-12,
            pad_token_id: 0,
            position_embedding_type: Default::default(),
            use_cache: false,
            classifier_dropout: None,
            model_type: None,
        }
    }

    /// A 2-layer BERT with random weights: small enough to build in a test.
    pub(crate) fn tiny_encoder() -> Encoder {
        let config = tiny_bert_config(16, 32);
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &config).unwrap();
        Encoder::from_model(model, config.hidden_size)
    }

    fn sample_ids() -> Vec<Vec<u32>> {
        vec![
            vec![1, 5, 7, 9, 2],
            vec![1, 3, 2],
            vec![1, 8, 8, 8, 8, 8, 8, 4, 2],
            vec![1, 6, 2],
            vec![1, 10, 11, 12, 13, 2],
        ]
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn embeddings_have_the_model_width_and_unit_length() {
        let encoder = tiny_encoder();
        let out = encoder.embed_ids(&sample_ids()).unwrap();
        assert_eq!(out.len(), 5);
        for v in &out {
            assert_eq!(v.len(), 16);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        }
        assert!(
            max_diff(&out[0], &out[1]) > 1e-3,
            "different inputs, same vector"
        );
    }

    #[test]
    fn padding_does_not_change_an_embedding() {
        let encoder = tiny_encoder();
        let short: &[u32] = &[1, 3, 4, 2];
        let long: &[u32] = &[1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 2];
        let alone = encoder.embed_padded_batch(&[short]).unwrap();
        let padded = encoder.embed_padded_batch(&[short, long]).unwrap();
        assert!(max_diff(&alone[0], &padded[0]) < 1e-5);
    }

    #[test]
    fn batched_equals_one_at_a_time_in_input_order() {
        let ids = sample_ids();
        let batched = tiny_encoder().with_batch_size(2);
        let together = batched.embed_ids(&ids).unwrap();
        for (i, input) in ids.iter().enumerate() {
            let single = batched.embed_padded_batch(&[input.as_slice()]).unwrap();
            assert!(max_diff(&together[i], &single[0]) < 1e-5, "sentence {i}");
        }
    }

    #[test]
    fn mean_pooling_ignores_masked_tokens() {
        let hidden = Tensor::new(&[[[3f32, 4.0], [100.0, -7.0]]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[1u32, 0]], &Device::Cpu).unwrap();
        let pooled = mean_pool_normalised(&hidden, &mask).unwrap();
        let v = pooled.to_vec2::<f32>().unwrap();
        assert!(max_diff(&v[0], &[0.6, 0.8]) < 1e-6);
    }

    #[test]
    fn an_encoder_without_tokenizer_says_so() {
        let err = tiny_encoder().embed(&["text"]).unwrap_err();
        assert!(err.to_string().contains("no tokenizer"));
    }
}
