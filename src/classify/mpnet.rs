//! MPNet (all-mpnet-base-v2's network) in candle: candle-transformers has no MPNet, so it is
//! written here after Hugging Face transformers' `modeling_mpnet.py`. This f32 network is the
//! reference (`OFSTED_THEMES_ENCODER=f32`); by default the encoder runs the same model with
//! int8 dense layers ([`crate::classify::int8_bert::Int8Bert::load_mpnet`]).
//!
//! MPNet is BERT-like (embeddings, then layers of self-attention and a feed-forward block,
//! each followed by a residual connection and layer norm), with two differences:
//! - no token-type embeddings, and RoBERTa-style position ids: real tokens are numbered
//!   from `pad_token_id + 1`, padding gets `pad_token_id`;
//! - every layer's attention scores get a relative-position bias: the distance from query to
//!   key is put into one of 32 buckets (exact up to 8 either way, then logarithmic up to
//!   128), and a table of buckets × heads, shared by all layers, gives each head's bias.

use std::path::Path;

use anyhow::Context;
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{embedding, layer_norm, Embedding, LayerNorm, VarBuilder};
use serde::Deserialize;
use tokenizers::Tokenizer;

use crate::classify::bert::{padding_bias, Layer};
use crate::classify::encoder::load_tokenizer;
use crate::mpnetfetch;

/// Verifies all-mpnet-base-v2 in `dir` (model.safetensors, tokenizer.json, config.json) and
/// opens it: its config, its weights (to load as [`MpnetModel`] or as
/// [`crate::classify::int8_bert::Int8Bert::load_mpnet`]) and its tokenizer, set to truncate at
/// [`crate::classify::encoder::MAX_TOKENS`] (the packaged tokenizer's limit) and not to pad
/// (batches are padded as they are built).
pub fn open_dir(dir: &Path) -> anyhow::Result<(MpnetConfig, VarBuilder<'static>, Tokenizer)> {
    mpnetfetch::verify(dir)?;
    let config_path = dir.join("config.json");
    let config: MpnetConfig = serde_json::from_str(
        &std::fs::read_to_string(&config_path)
            .with_context(|| format!("cannot read {}", config_path.display()))?,
    )
    .with_context(|| format!("{} is not an MPNet config", config_path.display()))?;
    let weights = dir.join("model.safetensors");
    // SAFETY: the file is memory-mapped read-only and verified above; candle copies the
    // tensors out of it on load.
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &Device::Cpu) }
        .with_context(|| format!("cannot read weights {}", weights.display()))?;
    Ok((config, vb, load_tokenizer(dir)?))
}

/// The fields of an MPNet `config.json` the network needs.
#[derive(Debug, Clone, Deserialize)]
pub struct MpnetConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_pad")]
    pub pad_token_id: u32,
    #[serde(default = "default_buckets")]
    pub relative_attention_num_buckets: usize,
    /// Must be "mpnet"; checked on load so a BERT config is refused clearly.
    #[serde(default)]
    pub model_type: String,
}

impl MpnetConfig {
    /// Refuses a config that is not MPNet's (a BERT config has the same sizes).
    pub fn check(&self) -> Result<()> {
        if self.model_type != "mpnet" {
            candle_core::bail!("config model_type is {:?}, not \"mpnet\"", self.model_type);
        }
        Ok(())
    }
}

fn default_eps() -> f64 {
    1e-5
}
fn default_pad() -> u32 {
    1
}
fn default_buckets() -> usize {
    32
}

/// Longest relative distance the buckets tell apart (transformers' `max_distance`).
const MAX_DISTANCE: i64 = 128;

/// A linear layer whose input is flattened to one matrix product.
struct Linear {
    weight_t: Tensor,
    bias: Tensor,
}

impl Linear {
    /// Loads and concatenates the layers `names` under `vb` (q, k, v fused into one).
    fn load(vb: &VarBuilder, names: &[&str], out: usize, inp: usize) -> Result<Linear> {
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for name in names {
            weights.push(vb.pp(name).get((out, inp), "weight")?);
            biases.push(vb.pp(name).get(out, "bias")?);
        }
        Ok(Linear {
            weight_t: Tensor::cat(&weights, 0)?.t()?.contiguous()?,
            bias: Tensor::cat(&biases, 0)?,
        })
    }
}

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let (b, s, k) = xs.dims3()?;
        let out = xs.reshape((b * s, k))?.matmul(&self.weight_t)?;
        out.reshape((b, s, ()))?.broadcast_add(&self.bias)
    }
}

/// The MPNet encoder: token ids and attention mask in, hidden states out.
pub struct MpnetModel {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    embedding_norm: LayerNorm,
    relative_attention_bias: Embedding,
    layers: Vec<Layer<Linear>>,
    heads: usize,
    head_dim: usize,
    buckets: usize,
    pad_token_id: u32,
    pub hidden_size: usize,
}

impl MpnetModel {
    /// Loads the weights under `vb` (names as in Hugging Face's `MPNetModel`).
    pub fn load(vb: VarBuilder, config: &MpnetConfig) -> Result<MpnetModel> {
        config.check()?;
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = vb.pp("embeddings");
        let mut layers = Vec::new();
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let attention = l.pp("attention");
            layers.push(Layer {
                qkv: Linear::load(&attention.pp("attn"), &["q", "k", "v"], h, h)?,
                attention_out: Linear::load(&attention.pp("attn"), &["o"], h, h)?,
                attention_norm: layer_norm(h, eps, attention.pp("LayerNorm"))?,
                intermediate: Linear::load(
                    &l.pp("intermediate"),
                    &["dense"],
                    config.intermediate_size,
                    h,
                )?,
                output: Linear::load(&l.pp("output"), &["dense"], h, config.intermediate_size)?,
                output_norm: layer_norm(h, eps, l.pp("output").pp("LayerNorm"))?,
            });
        }
        Ok(MpnetModel {
            word_embeddings: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            position_embeddings: embedding(
                config.max_position_embeddings,
                h,
                e.pp("position_embeddings"),
            )?,
            embedding_norm: layer_norm(h, eps, e.pp("LayerNorm"))?,
            relative_attention_bias: embedding(
                config.relative_attention_num_buckets,
                config.num_attention_heads,
                vb.pp("encoder").pp("relative_attention_bias"),
            )?,
            layers,
            heads: config.num_attention_heads,
            head_dim: h / config.num_attention_heads,
            buckets: config.relative_attention_num_buckets,
            pad_token_id: config.pad_token_id,
            hidden_size: h,
        })
    }

    /// Hidden states (batch, tokens, hidden) of `input_ids` (batch, tokens) under `mask`
    /// (1 for a token, 0 for padding).
    pub fn forward(&self, input_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        self.hidden_after(input_ids, mask, self.layers.len())
    }

    /// [`MpnetModel::forward`] stopped after the first `layers` layers (to train the ones
    /// above on what these give).
    pub fn hidden_after(&self, input_ids: &Tensor, mask: &Tensor, layers: usize) -> Result<Tensor> {
        let (b, s) = input_ids.dims2()?;
        let device = input_ids.device();
        // RoBERTa-style positions: counted over real tokens from pad + 1; padding gets pad.
        // Taken from the mask (not the ids), so the padding id we fill with does not matter.
        let mask_rows = mask.to_dtype(DType::U32)?.to_vec2::<u32>()?;
        let mut positions = Vec::with_capacity(b * s);
        for row in &mask_rows {
            let mut count = 0u32;
            for &m in row {
                count += m;
                positions.push(if m > 0 {
                    count + self.pad_token_id
                } else {
                    self.pad_token_id
                });
            }
        }
        let positions = Tensor::from_vec(positions, (b, s), device)?;
        let mut x = self
            .word_embeddings
            .forward(input_ids)?
            .add(&self.position_embeddings.forward(&positions)?)?;
        x = self.embedding_norm.forward(&x)?;
        let mask_bias = padding_bias(mask)?;
        // (1, heads, tokens, tokens), shared by every layer.
        let position_bias = self.position_bias(s, device)?;
        let bias = position_bias.broadcast_add(&mask_bias)?;
        for layer in self.layers.iter().take(layers) {
            x = layer.forward(&x, &bias, self.heads, self.head_dim)?;
        }
        Ok(x)
    }

    /// Each head's bias for every (query, key) pair of a `tokens`-long input:
    /// (1, heads, tokens, tokens).
    pub fn position_bias(&self, tokens: usize, device: &Device) -> Result<Tensor> {
        let mut buckets = Vec::with_capacity(tokens * tokens);
        for query in 0..tokens as i64 {
            for key in 0..tokens as i64 {
                buckets.push(relative_position_bucket(key - query, self.buckets));
            }
        }
        let buckets = Tensor::from_vec(buckets, (tokens, tokens), device)?;
        self.relative_attention_bias
            .forward(&buckets)?
            .permute((2, 0, 1))?
            .unsqueeze(0)?
            .contiguous()
    }
}

/// The bucket of a key `relative` tokens after the query (negative: before), as
/// transformers' `MPNetEncoder.relative_position_bucket` (bidirectional, max distance 128):
/// half the buckets for keys after the query; in each half, distances below a quarter of
/// the buckets exactly, longer ones on a log scale up to 128.
pub fn relative_position_bucket(relative: i64, num_buckets: usize) -> u32 {
    let half = (num_buckets / 2) as i64;
    let n = -relative;
    let mut bucket = if n < 0 { half } else { 0 };
    let n = n.abs();
    let max_exact = half / 2;
    if n < max_exact {
        bucket += n;
    } else {
        // In f32, as torch computes it, so the bucket edges fall where the reference's do.
        let scaled = (n as f32 / max_exact as f32).ln()
            / ((MAX_DISTANCE as f32) / (max_exact as f32)).ln()
            * (half - max_exact) as f32;
        bucket += (max_exact + scaled as i64).min(half - 1);
    }
    bucket as u32
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_nn::VarMap;

    #[test]
    fn buckets_are_exact_near_and_logarithmic_far() {
        // Keys before the query (n > 0) take the low half, keys after it the high half.
        assert_eq!(relative_position_bucket(0, 32), 0);
        assert_eq!(relative_position_bucket(-1, 32), 1);
        assert_eq!(relative_position_bucket(-7, 32), 7);
        assert_eq!(relative_position_bucket(1, 32), 17);
        assert_eq!(relative_position_bucket(7, 32), 23);
        // 8 → 8, 16 → 10, 32 → 12, 64 → 14, beyond 128 → 15.
        assert_eq!(relative_position_bucket(-8, 32), 8);
        assert_eq!(relative_position_bucket(-16, 32), 10);
        assert_eq!(relative_position_bucket(-32, 32), 12);
        assert_eq!(relative_position_bucket(-64, 32), 14);
        assert_eq!(relative_position_bucket(-500, 32), 15);
        assert_eq!(relative_position_bucket(500, 32), 31);
    }

    /// A 2-layer MPNet of width `hidden_size` (2 heads, 50 tokens, 32 buckets): small
    /// enough to build in a test.
    pub(crate) fn tiny_mpnet_config(hidden_size: usize, intermediate_size: usize) -> MpnetConfig {
        MpnetConfig {
            vocab_size: 50,
            hidden_size,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size,
            max_position_embeddings: 64,
            layer_norm_eps: 1e-5,
            pad_token_id: 1,
            relative_attention_num_buckets: 32,
            model_type: "mpnet".into(),
        }
    }

    /// The tiny MPNet with random weights (a fresh VarMap's linear layers are zeros, under
    /// which attention and padding would change nothing).
    fn tiny() -> MpnetModel {
        let config = tiny_mpnet_config(16, 32);
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        MpnetModel::load(vb.clone(), &config).unwrap();
        for var in varmap.all_vars() {
            let random = Tensor::randn(0f32, 0.5, var.shape(), &Device::Cpu).unwrap();
            var.set(&random).unwrap();
        }
        MpnetModel::load(vb, &config).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn padding_changes_nothing_on_the_real_tokens() {
        let model = tiny();
        let alone_ids = Tensor::new(&[[0u32, 5, 9, 2]], &Device::Cpu).unwrap();
        let alone_mask = Tensor::new(&[[1u32, 1, 1, 1]], &Device::Cpu).unwrap();
        let alone = model.forward(&alone_ids, &alone_mask).unwrap();
        let ids = Tensor::new(&[[0u32, 5, 9, 2, 1, 1]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 0, 0]], &Device::Cpu).unwrap();
        let padded = model.forward(&ids, &mask).unwrap().narrow(1, 0, 4).unwrap();
        let diff = max_diff(&alone, &padded);
        assert!(diff < 1e-5, "{diff}");
    }

    /// Runs the last layer by hand on what the layers below give, with the bias the model
    /// would use: what training the top layers alone relies on.
    #[test]
    fn the_top_layer_on_hidden_after_gives_forward() {
        let model = tiny();
        let ids = Tensor::new(&[[0u32, 5, 9, 2, 1]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 0]], &Device::Cpu).unwrap();
        let below = model.hidden_after(&ids, &mask, 1).unwrap();
        let bias = model
            .position_bias(5, &Device::Cpu)
            .unwrap()
            .broadcast_add(&padding_bias(&mask).unwrap())
            .unwrap();
        let top = model.layers[1]
            .forward(&below, &bias, model.heads, model.head_dim)
            .unwrap();
        let whole = model.forward(&ids, &mask).unwrap();
        assert!(max_diff(&top, &whole) < 1e-5);
        // The layer's output is not its input: stopping early really stopped.
        assert!(max_diff(&below, &whole) > 1e-2);
        // Without the position bias the top layer computes something else.
        let without = model.layers[1]
            .forward(
                &below,
                &padding_bias(&mask).unwrap(),
                model.heads,
                model.head_dim,
            )
            .unwrap();
        assert!(max_diff(&without, &whole) > 1e-3);
    }

    #[test]
    fn a_bert_config_is_refused() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let config: MpnetConfig = serde_json::from_str(
            r#"{"vocab_size":4,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":1,
                "intermediate_size":4,"max_position_embeddings":8,"model_type":"bert"}"#,
        )
        .unwrap();
        let err = MpnetModel::load(vb, &config).err().expect("refused");
        assert!(err.to_string().contains("not \"mpnet\""), "{err}");
    }
}
