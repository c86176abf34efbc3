//! BERT-family encoders with int8 dense layers ([`Int8Linear`]): MiniLM's BERT (absolute
//! positions, token-type embeddings) and all-mpnet-base-v2's MPNet (RoBERTa-style positions
//! from `pad_token_id + 1`, no token types, and a relative-position bias on every layer's
//! attention scores; see [`super::mpnet`]), both GELU-erf and post-norm. Run in plain Rust on
//! unpadded sequences: a batch's sentences are laid end to end as one matrix of token rows,
//! each dense layer is one int8 matrix product over all of them, and attention runs per
//! sentence over its own tokens only, so no work is spent on padding. Layer norm, GELU and
//! softmax are vectorisable loops (a rational erf and a polynomial exp), rayon spreading rows
//! and sentences over the pool; candle is used only to read the weights.
//!
//! Returns mean-pooled, L2-normalised sentence embeddings, as [`super::encoder`] does.

use candle_core::Result;
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use rayon::prelude::*;

use crate::classify::int8::Int8Linear;
use crate::classify::mpnet::{relative_position_bucket, MpnetConfig};

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn load(vb: VarBuilder, h: usize, eps: f64) -> Result<Norm> {
        Ok(Norm {
            gamma: vb.get(h, "weight")?.to_vec1()?,
            beta: vb.get(h, "bias")?.to_vec1()?,
            eps: eps as f32,
        })
    }

    /// Normalises each row of `x` (width h) in place.
    fn apply(&self, x: &mut [f32]) {
        let h = self.gamma.len();
        x.par_chunks_mut(h * 64).for_each(|rows| {
            for row in rows.chunks_mut(h) {
                let mean = row.iter().sum::<f32>() / h as f32;
                let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
                let inv = 1.0 / (var + self.eps).sqrt();
                for ((v, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
                    *v = (*v - mean) * inv * g + b;
                }
            }
        });
    }
}

/// The layers `names` (each `n` outputs of `k` inputs) as one int8 layer, outputs stacked.
fn linear(vb: &VarBuilder, names: &[&str], n: usize, k: usize) -> Result<Int8Linear> {
    let mut w = Vec::new();
    let mut b = Vec::new();
    for name in names {
        w.extend(
            vb.pp(name)
                .get((n, k), "weight")?
                .flatten_all()?
                .to_vec1::<f32>()?,
        );
        b.extend(vb.pp(name).get(n, "bias")?.to_vec1::<f32>()?);
    }
    Ok(Int8Linear::new(&w, &b, b.len(), k))
}

struct Layer {
    qkv: Int8Linear,
    attention_out: Int8Linear,
    attention_norm: Norm,
    intermediate: Int8Linear,
    output: Int8Linear,
    output_norm: Norm,
}

/// Where a layer's attention weights are, under `encoder.layer.{i}.attention` (the
/// feed-forward block is named alike in BERT and MPNet).
struct AttentionNames {
    /// Query, key and value.
    qkv: [&'static str; 3],
    /// The projection after attention.
    output: &'static str,
    /// The layer norm after it.
    norm: &'static str,
}

const BERT_ATTENTION: AttentionNames = AttentionNames {
    qkv: ["self.query", "self.key", "self.value"],
    output: "output.dense",
    norm: "output.LayerNorm",
};

const MPNET_ATTENTION: AttentionNames = AttentionNames {
    qkv: ["attn.q", "attn.k", "attn.v"],
    output: "attn.o",
    norm: "LayerNorm",
};

impl Layer {
    /// Layer `i` of `vb` (the whole model), `h` wide with `inner` in the feed-forward block.
    fn load(
        vb: &VarBuilder,
        i: usize,
        names: &AttentionNames,
        (h, inner): (usize, usize),
        eps: f64,
    ) -> Result<Layer> {
        let l = vb.pp(format!("encoder.layer.{i}"));
        let attention = l.pp("attention");
        Ok(Layer {
            qkv: linear(&attention, &names.qkv, h, h)?,
            attention_out: linear(&attention, &[names.output], h, h)?,
            attention_norm: Norm::load(attention.pp(names.norm), h, eps)?,
            intermediate: linear(&l.pp("intermediate"), &["dense"], inner, h)?,
            output: linear(&l.pp("output"), &["dense"], h, inner)?,
            output_norm: Norm::load(l.pp("output").pp("LayerNorm"), h, eps)?,
        })
    }
}

/// MPNet's relative-position bias: a table of buckets × heads, shared by all layers.
struct RelativeBias {
    table: Vec<f32>,
    buckets: usize,
}

/// A BERT-family encoder (MiniLM's BERT or all-mpnet-base-v2's MPNet) with int8 dense layers.
pub struct Int8Bert {
    word: Vec<f32>,
    position: Vec<f32>,
    /// BERT's token-type embeddings (type 0 only is used); MPNet has none.
    token_type: Option<Vec<f32>>,
    /// Position row of a sentence's first token: 0 for BERT, `pad_token_id + 1` for MPNet.
    first_position: usize,
    /// MPNet's relative-position bias on the attention scores; BERT has none.
    relative_bias: Option<RelativeBias>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    max_positions: usize,
    vocab: usize,
}

/// The embedding table `name` under `e`: `rows` rows of `h`.
fn table(e: &VarBuilder, name: &str, rows: usize, h: usize) -> Result<Vec<f32>> {
    e.pp(name)
        .get((rows, h), "weight")?
        .flatten_all()?
        .to_vec1::<f32>()
}

impl Int8Bert {
    /// A BERT model (MiniLM), weights named as in Hugging Face's `BertModel`.
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Int8Bert> {
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&vb, i, &BERT_ATTENTION, (h, config.intermediate_size), eps))
            .collect::<Result<_>>()?;
        Ok(Int8Bert {
            word: table(&e, "word_embeddings", config.vocab_size, h)?,
            position: table(&e, "position_embeddings", config.max_position_embeddings, h)?,
            token_type: Some(table(
                &e,
                "token_type_embeddings",
                config.type_vocab_size,
                h,
            )?),
            first_position: 0,
            relative_bias: None,
            embedding_norm: Norm::load(e.pp("LayerNorm"), h, eps)?,
            layers,
            hidden: h,
            heads: config.num_attention_heads,
            max_positions: config.max_position_embeddings,
            vocab: config.vocab_size,
        })
    }

    /// An MPNet model (all-mpnet-base-v2), weights named as in Hugging Face's `MPNetModel`.
    pub fn load_mpnet(vb: VarBuilder, config: &MpnetConfig) -> Result<Int8Bert> {
        config.check()?;
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&vb, i, &MPNET_ATTENTION, (h, config.intermediate_size), eps))
            .collect::<Result<_>>()?;
        let buckets = config.relative_attention_num_buckets;
        let heads = config.num_attention_heads;
        Ok(Int8Bert {
            word: table(&e, "word_embeddings", config.vocab_size, h)?,
            position: table(&e, "position_embeddings", config.max_position_embeddings, h)?,
            token_type: None,
            first_position: config.pad_token_id as usize + 1,
            relative_bias: Some(RelativeBias {
                table: vb
                    .pp("encoder.relative_attention_bias")
                    .get((buckets, heads), "weight")?
                    .flatten_all()?
                    .to_vec1()?,
                buckets,
            }),
            embedding_norm: Norm::load(e.pp("LayerNorm"), h, eps)?,
            layers,
            hidden: h,
            heads,
            max_positions: config.max_position_embeddings,
            vocab: config.vocab_size,
        })
    }

    /// Unit-length mean-pooled embeddings of token-id sequences (no padding needed).
    pub fn embed(&self, inputs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let mut starts = Vec::with_capacity(inputs.len() + 1);
        let mut total = 0;
        for input in inputs {
            if input.is_empty() || self.first_position + input.len() > self.max_positions {
                candle_core::bail!("an input of {} tokens", input.len());
            }
            if let Some(&id) = input.iter().find(|&&id| id as usize >= self.vocab) {
                candle_core::bail!("token id {id} beyond the vocabulary");
            }
            starts.push(total);
            total += input.len();
        }
        starts.push(total);
        let mut x = vec![0f32; total * h];
        for (s, input) in inputs.iter().enumerate() {
            for (p, &id) in input.iter().enumerate() {
                let row = &mut x[(starts[s] + p) * h..(starts[s] + p + 1) * h];
                let word = &self.word[id as usize * h..(id as usize + 1) * h];
                let p = self.first_position + p;
                let position = &self.position[p * h..(p + 1) * h];
                match &self.token_type {
                    Some(token_type) => {
                        for (i, v) in row.iter_mut().enumerate() {
                            *v = word[i] + token_type[i] + position[i];
                        }
                    }
                    None => {
                        for (i, v) in row.iter_mut().enumerate() {
                            *v = word[i] + position[i];
                        }
                    }
                }
            }
        }
        self.embedding_norm.apply(&mut x);
        let longest = inputs.iter().map(|input| input.len()).max().unwrap_or(0);
        let position_bias = self.position_bias(longest);
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x, total);
            let context = self.attention(&qkv, &starts, position_bias.as_ref());
            let mut attended = layer.attention_out.forward(&context, total);
            add_in_place(&mut attended, &x);
            layer.attention_norm.apply(&mut attended);
            let mut inner = layer.intermediate.forward(&attended, total);
            inner.par_chunks_mut(4096).for_each(gelu_in_place);
            let mut out = layer.output.forward(&inner, total);
            add_in_place(&mut out, &attended);
            layer.output_norm.apply(&mut out);
            x = out;
        }
        Ok((0..inputs.len())
            .map(|s| {
                let mut mean = vec![0f32; h];
                for row in x[starts[s] * h..starts[s + 1] * h].chunks(h) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                let count = (starts[s + 1] - starts[s]) as f32;
                mean.iter_mut().for_each(|m| *m /= count);
                let norm = mean.iter().map(|m| m * m).sum::<f32>().sqrt().max(1e-12);
                mean.iter_mut().for_each(|m| *m /= norm);
                mean
            })
            .collect())
    }

    /// MPNet's relative-position bias for sentences of up to `longest` tokens, the same in
    /// every layer (None for BERT): each relative distance's bucket is found once here.
    fn position_bias(&self, longest: usize) -> Option<PositionBias> {
        let relative = self.relative_bias.as_ref()?;
        let width = (2 * longest).saturating_sub(1);
        // Distance key - query from -(longest - 1) to longest - 1.
        let buckets: Vec<usize> = (0..width as i64)
            .map(|i| relative_position_bucket(i + 1 - longest as i64, relative.buckets) as usize)
            .collect();
        let mut values = Vec::with_capacity(self.heads * width);
        for head in 0..self.heads {
            values.extend(
                buckets
                    .iter()
                    .map(|&b| relative.table[b * self.heads + head]),
            );
        }
        Some(PositionBias {
            values,
            width,
            longest,
        })
    }

    /// Self-attention of each sentence over its own tokens: `qkv` rows are
    /// [query | key | value] (3h wide), `position_bias` (MPNet's) is added to the scores;
    /// returns the (tokens, h) context.
    fn attention(
        &self,
        qkv: &[f32],
        starts: &[usize],
        position_bias: Option<&PositionBias>,
    ) -> Vec<f32> {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let total = starts[starts.len() - 1];
        let mut context = vec![0f32; total * h];
        // Split the output by sentence so each task owns its rows.
        let mut pieces = Vec::with_capacity(starts.len() - 1);
        let mut rest = context.as_mut_slice();
        for w in starts.windows(2) {
            let (piece, tail) = rest.split_at_mut((w[1] - w[0]) * h);
            pieces.push((w[0], w[1] - w[0], piece));
            rest = tail;
        }
        pieces.into_par_iter().for_each(|(start, len, out)| {
            let mut scores = vec![0f32; len];
            for head in 0..self.heads {
                for i in 0..len {
                    let q = &qkv[(start + i) * 3 * h + head * d..][..d];
                    for (j, score) in scores.iter_mut().enumerate() {
                        let k = &qkv[(start + j) * 3 * h + h + head * d..][..d];
                        *score = dot(q, k) * scale;
                    }
                    if let Some(bias) = position_bias {
                        for (score, b) in scores.iter_mut().zip(bias.row(head, i)) {
                            *score += b;
                        }
                    }
                    softmax_in_place(&mut scores);
                    let o = &mut out[i * h + head * d..][..d];
                    o.iter_mut().for_each(|v| *v = 0.0);
                    for (j, &p) in scores.iter().enumerate() {
                        let v = &qkv[(start + j) * 3 * h + 2 * h + head * d..][..d];
                        for (o, v) in o.iter_mut().zip(v) {
                            *o += p * v;
                        }
                    }
                }
            }
        });
        context
    }
}

/// Each head's bias by relative distance, for sentences of up to `longest` tokens.
struct PositionBias {
    /// heads × `width`: the bias of distance key - query at `distance + longest - 1`.
    values: Vec<f32>,
    width: usize,
    longest: usize,
}

impl PositionBias {
    /// The bias of query `query` to keys 0, 1, ... (as many as the sentence has) in `head`.
    fn row(&self, head: usize, query: usize) -> &[f32] {
        &self.values[head * self.width + self.longest - 1 - query..][..self.longest]
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums so the loop vectorises.
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        for l in 0..8 {
            acc[l] += a[c * 8 + l] * b[c * 8 + l];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for i in chunks * 8..a.len() {
        sum += a[i] * b[i];
    }
    sum
}

fn add_in_place(a: &mut [f32], b: &[f32]) {
    a.par_chunks_mut(8192)
        .zip(b.par_chunks(8192))
        .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(x, y)| *x += y));
}

fn softmax_in_place(x: &mut [f32]) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = fast_exp(*v - max);
        sum += *v;
    }
    let inv = 1.0 / sum;
    x.iter_mut().for_each(|v| *v *= inv);
}

/// Rounds to the nearest integer (ties to even) for |x| < 2^22, without a libm call.
#[inline(always)]
fn round_nearest(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    (x + MAGIC) - MAGIC
}

/// e^x to about 2 ulp for x in [-87, 88] (Cephes' expf polynomial); vectorisable.
#[inline(always)]
pub fn fast_exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = round_nearest(x * std::f32::consts::LOG2_E);
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let r2 = r * r;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r2 + r + 1.0;
    f32::from_bits(((n as i32 + 127) as u32) << 23) * e
}

/// erf(x), a rational approximation (as in Eigen and XLA), error about 1e-7; vectorisable.
#[inline(always)]
pub fn fast_erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_6e-3;
    p = p * x2 + -1.609_603_3e-2;
    let p = p * x;
    let mut q = -1.456_607_2e-5f32;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329_2e-3;
    q = q * x2 + -1.426_473_9e-2;
    p / q
}

fn gelu_in_place(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + fast_erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Taylor series (exact enough in f64 for |x| ≤ 4 with many terms).
    fn erf_reference(x: f64) -> f64 {
        let mut term = x;
        let mut sum = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn close_to_candle_bert_on_a_tiny_random_model() {
        use candle_core::{DType, Device, Tensor};
        use candle_transformers::models::bert::BertModel;
        let config = crate::classify::encoder::tests::tiny_bert_config(32, 64);
        let varmap = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let reference = BertModel::load(vb.clone(), &config).unwrap();
        let int8 = Int8Bert::load(vb, &config).unwrap();
        let inputs: [&[u32]; 3] = [&[1, 5, 7, 9, 2], &[1, 3, 2], &[1, 8, 8, 4, 11, 12, 2]];
        let got = int8.embed(&inputs).unwrap();
        for (input, got) in inputs.iter().zip(&got) {
            let ids = Tensor::new(*input, &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let hidden = reference
                .forward(&ids, &ids.zeros_like().unwrap(), None)
                .unwrap();
            let mask = ids.ones_like().unwrap();
            let want = crate::classify::encoder::mean_pool_normalised(&hidden, &mask)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            let cosine: f32 = got.iter().zip(&want[0]).map(|(a, b)| a * b).sum();
            assert!(cosine > 0.99, "cosine {cosine}");
        }
    }

    /// MPNet: positions from pad + 1, no token types, and the relative-position bias. The
    /// weights are random (a VarMap gives zeros to weights loaded without an initialiser), the
    /// bias table large enough to matter, and one input is long enough (30 tokens) for the
    /// logarithmic buckets; the inputs are embedded together, so the shorter ones use part of
    /// the longest one's bias rows.
    #[test]
    fn close_to_candle_mpnet_on_a_tiny_random_model() {
        use crate::classify::mpnet::MpnetModel;
        use candle_core::{DType, Device, Tensor};
        let config = crate::classify::mpnet::tests::tiny_mpnet_config(32, 64);
        let varmap = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        MpnetModel::load(vb.clone(), &config).unwrap();
        for (name, var) in varmap.data().lock().unwrap().iter() {
            let (mean, std) = if name.contains("relative_attention_bias") {
                (0f32, 2f32)
            } else if name.ends_with("LayerNorm.weight") {
                (1.0, 0.1)
            } else {
                (0.0, 0.2)
            };
            var.set(&Tensor::randn(mean, std, var.shape(), &Device::Cpu).unwrap())
                .unwrap();
        }
        let reference = MpnetModel::load(vb.clone(), &config).unwrap();
        let int8 = Int8Bert::load_mpnet(vb, &config).unwrap();
        let long: Vec<u32> = (0..30).map(|i| (i * 7 + 3) % 50).collect();
        let inputs: [&[u32]; 4] = [
            &[0, 5, 7, 9, 2],
            &long,
            &[0, 3, 2],
            &[0, 8, 8, 4, 11, 12, 2],
        ];
        let got = int8.embed(&inputs).unwrap();
        for (input, got) in inputs.iter().zip(&got) {
            let ids = Tensor::new(*input, &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let mask = ids.ones_like().unwrap();
            let hidden = reference.forward(&ids, &mask).unwrap();
            let want = crate::classify::encoder::mean_pool_normalised(&hidden, &mask)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            let cosine: f32 = got.iter().zip(&want[0]).map(|(a, b)| a * b).sum();
            assert!(cosine > 0.99, "{} tokens: cosine {cosine}", input.len());
        }
    }

    #[test]
    fn fast_erf_is_accurate() {
        let mut worst = 0f64;
        for i in -600..=600 {
            let x = i as f32 / 100.0;
            let want = erf_reference(x.clamp(-4.5, 4.5) as f64).clamp(-1.0, 1.0);
            worst = worst.max((fast_erf(x) as f64 - want).abs());
        }
        assert!(worst < 2e-6, "worst {worst}");
    }

    #[test]
    fn fast_exp_is_accurate() {
        for i in -8000..=8000 {
            let x = i as f32 / 100.0;
            let want = (x as f64).exp();
            let got = fast_exp(x) as f64;
            assert!(((got - want) / want).abs() < 1e-6, "{x}: {got} vs {want}");
        }
    }
}
