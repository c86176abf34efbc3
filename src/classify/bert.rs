//! A BERT encoder whose linear layers can hold quantised weights (candle's `QMatMul`), for
//! measuring what int8 weights gain over candle's own f32 `BertModel` (benches/encoder.rs).
//! Same computation as `candle_transformers::models::bert::BertModel` for absolute
//! positions and GELU (erf), with the query, key and value projections fused into one.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{embedding, layer_norm, Embedding, LayerNorm, VarBuilder};
use candle_transformers::models::bert::Config;

use crate::classify::int8::Int8Linear;

/// How the linear layers' weights are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinearWeights {
    /// f32, as given.
    F32,
    /// Quantised by candle (`QMatMul`).
    Ggml(GgmlDType),
    /// s8 per output channel, inputs u8 per row, on this crate's kernel ([`Int8Linear`]).
    Int8,
}

/// The weights and biases of the linear layers `names` under `vb`, stacked in that order
/// into one layer's (the query, key and value projections run as one product).
pub fn fused_weights(vb: &VarBuilder, names: &[&str]) -> Result<(Tensor, Tensor)> {
    let mut weights = Vec::new();
    let mut biases = Vec::new();
    for name in names {
        weights.push(vb.pp(name).get_unchecked("weight")?);
        biases.push(vb.pp(name).get_unchecked("bias")?);
    }
    Ok((Tensor::cat(&weights, 0)?, Tensor::cat(&biases, 0)?))
}

/// A linear layer, its weight as given (f32) or quantised.
enum Linear {
    Candle { weight: QMatMul, bias: Tensor },
    Int8(Int8Linear),
}

impl Linear {
    fn load(vb: &VarBuilder, names: &[&str], kind: LinearWeights) -> Result<Linear> {
        let (weight, bias) = fused_weights(vb, names)?;
        let weight = match kind {
            LinearWeights::F32 => QMatMul::Tensor(weight),
            LinearWeights::Ggml(dtype) => {
                QMatMul::from_qtensor(QTensor::quantize(&weight, dtype)?)?
            }
            LinearWeights::Int8 => {
                let (n, k) = weight.dims2()?;
                let w = weight.flatten_all()?.to_vec1::<f32>()?;
                let b = bias.to_vec1::<f32>()?;
                return Ok(Linear::Int8(Int8Linear::new(&w, &b, n, k)));
            }
        };
        Ok(Linear::Candle { weight, bias })
    }
}

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let (weight, bias) = match self {
            Linear::Candle { weight, bias } => (weight, bias),
            Linear::Int8(layer) => {
                let (b, s, _) = xs.dims3()?;
                let x = xs.flatten_all()?.to_vec1::<f32>()?;
                let y = layer.forward(&x, b * s);
                return Tensor::from_vec(y, (b, s, layer.outputs()), xs.device());
            }
        };
        match weight {
            // QMatMul's f32 path multiplies by the transposed weight without broadcasting
            // over the batch; flatten to 2-D so it is one matrix product.
            QMatMul::Tensor(w) => {
                let (b, s, k) = xs.dims3()?;
                let out = xs.reshape((b * s, k))?.matmul(&w.t()?)?;
                out.reshape((b, s, ()))?.broadcast_add(bias)
            }
            q => q.forward(xs)?.broadcast_add(bias),
        }
    }
}

/// One transformer layer of BERT and MPNet (post-norm): fused query/key/value attention with
/// an additive bias, then the feed-forward block. `L` is the linear layer (this module's,
/// which may be quantised, MPNet's, or candle's trainable one).
pub struct Layer<L> {
    /// Query, key and value projections, their outputs concatenated in that order.
    pub qkv: L,
    pub attention_out: L,
    pub attention_norm: LayerNorm,
    pub intermediate: L,
    pub output: L,
    pub output_norm: LayerNorm,
}

impl<L: Module> Layer<L> {
    /// The layer on `x` (batch, tokens, hidden) with `bias` added to every head's attention
    /// scores (padding, and MPNet's relative positions).
    pub fn forward(
        &self,
        x: &Tensor,
        bias: &Tensor,
        heads: usize,
        head_dim: usize,
    ) -> Result<Tensor> {
        self.forward_with(x, bias, heads, head_dim, Ops::Fast)
    }

    /// [`Layer::forward`] with every step differentiable, for training: candle's fused
    /// softmax and layer norm record no gradient, so they are spelt out here.
    pub fn forward_differentiable(
        &self,
        x: &Tensor,
        bias: &Tensor,
        heads: usize,
        head_dim: usize,
    ) -> Result<Tensor> {
        self.forward_with(x, bias, heads, head_dim, Ops::Differentiable)
    }

    fn forward_with(
        &self,
        x: &Tensor,
        bias: &Tensor,
        heads: usize,
        head_dim: usize,
        ops: Ops,
    ) -> Result<Tensor> {
        let (b, s, _) = x.dims3()?;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let qkv = self.qkv.forward(x)?;
        let split = |i: usize| -> Result<Tensor> {
            qkv.narrow(D::Minus1, i * heads * head_dim, heads * head_dim)?
                .reshape((b, s, heads, head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (split(0)?, split(1)?, split(2)?);
        let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(bias)?;
        let probs = ops.softmax(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, s, ()))?;
        let attended = ops.norm(
            &self.attention_norm,
            &(self.attention_out.forward(&context)? + x)?,
        )?;
        let inner = self.intermediate.forward(&attended)?.gelu_erf()?;
        ops.norm(
            &self.output_norm,
            &(self.output.forward(&inner)? + attended)?,
        )
    }
}

/// How [`Layer`] runs softmax and layer norm: candle's fused kernels, or ops that record
/// gradients.
#[derive(Clone, Copy)]
enum Ops {
    Fast,
    Differentiable,
}

impl Ops {
    fn softmax(self, scores: &Tensor) -> Result<Tensor> {
        match self {
            Ops::Fast => candle_nn::ops::softmax_last_dim(scores),
            Ops::Differentiable => candle_nn::ops::softmax(scores, D::Minus1),
        }
    }

    fn norm(self, norm: &LayerNorm, x: &Tensor) -> Result<Tensor> {
        let Ops::Differentiable = self else {
            return norm.forward(x);
        };
        let hidden = x.dim(D::Minus1)? as f64;
        let centred = x.broadcast_sub(&(x.sum_keepdim(D::Minus1)? / hidden)?)?;
        let variance = (centred.sqr()?.sum_keepdim(D::Minus1)? / hidden)?;
        let normed = centred.broadcast_div(&(variance + norm.eps())?.sqrt()?)?;
        let scaled = normed.broadcast_mul(norm.weight())?;
        match norm.bias() {
            Some(bias) => scaled.broadcast_add(bias),
            None => Ok(scaled),
        }
    }
}

/// BERT with optionally quantised linear layers.
pub struct QuantisableBert {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    embedding_norm: LayerNorm,
    layers: Vec<Layer<Linear>>,
    heads: usize,
    head_dim: usize,
}

impl QuantisableBert {
    /// `dtype`: how the linear layers' weights are held.
    pub fn load(vb: VarBuilder, config: &Config, dtype: LinearWeights) -> Result<Self> {
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = vb.pp("embeddings");
        let mut layers = Vec::new();
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let attention = l.pp("attention");
            layers.push(Layer {
                qkv: Linear::load(&attention.pp("self"), &["query", "key", "value"], dtype)?,
                attention_out: Linear::load(&attention.pp("output"), &["dense"], dtype)?,
                attention_norm: layer_norm(h, eps, attention.pp("output").pp("LayerNorm"))?,
                intermediate: Linear::load(&l.pp("intermediate"), &["dense"], dtype)?,
                output: Linear::load(&l.pp("output"), &["dense"], dtype)?,
                output_norm: layer_norm(h, eps, l.pp("output").pp("LayerNorm"))?,
            });
        }
        Ok(QuantisableBert {
            word_embeddings: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            position_embeddings: embedding(
                config.max_position_embeddings,
                h,
                e.pp("position_embeddings"),
            )?,
            token_type_embeddings: embedding(
                config.type_vocab_size,
                h,
                e.pp("token_type_embeddings"),
            )?,
            embedding_norm: layer_norm(h, eps, e.pp("LayerNorm"))?,
            layers,
            heads: config.num_attention_heads,
            head_dim: h / config.num_attention_heads,
        })
    }

    /// Hidden states (batch, tokens, hidden) of `input_ids` (batch, tokens) under `mask`.
    pub fn forward(&self, input_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        self.hidden_after(input_ids, mask, self.layers.len())
    }

    /// Hidden states after the first `layers` layers (all of them at most).
    pub fn hidden_after(&self, input_ids: &Tensor, mask: &Tensor, layers: usize) -> Result<Tensor> {
        let (_, s) = input_ids.dims2()?;
        let positions = Tensor::arange(0u32, s as u32, input_ids.device())?;
        let token_types = input_ids.zeros_like()?;
        let mut x = self
            .word_embeddings
            .forward(input_ids)?
            .add(&self.token_type_embeddings.forward(&token_types)?)?
            .broadcast_add(&self.position_embeddings.forward(&positions)?)?;
        x = self.embedding_norm.forward(&x)?;
        let bias = padding_bias(mask)?;
        for layer in self.layers.iter().take(layers) {
            x = layer.forward(&x, &bias, self.heads, self.head_dim)?;
        }
        Ok(x)
    }
}

/// The attention bias of a padding `mask` (batch, tokens): 0 where attended, a large
/// negative number on padding, shaped (batch, 1, 1, tokens) to broadcast over heads and
/// queries.
pub fn padding_bias(mask: &Tensor) -> Result<Tensor> {
    ((mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?
        .unsqueeze(1)?
        .unsqueeze(1)
}

/// Loads the model in `weights` with candle's f32 loader semantics.
pub fn var_builder(weights: &std::path::Path, device: &Device) -> Result<VarBuilder<'static>> {
    // SAFETY: the file is memory-mapped read-only; candle copies the tensors out of it.
    unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// A layer of width 8 (2 heads, inner width 16) with random weights held in `Var`s.
    fn random_layer() -> Result<(Layer<candle_nn::Linear>, Vec<Var>)> {
        let mut vars = Vec::new();
        let mut var = |shape: (usize, usize)| -> Result<Tensor> {
            let v = Var::randn(0f32, 0.3, shape, &Device::Cpu)?;
            let t = v.as_tensor().clone();
            vars.push(v);
            Ok(t)
        };
        let mut linear = |n: usize, k: usize| -> Result<candle_nn::Linear> {
            let weight = var((n, k))?;
            let bias = var((1, n))?.squeeze(0)?;
            Ok(candle_nn::Linear::new(weight, Some(bias)))
        };
        let layer = Layer {
            qkv: linear(24, 8)?,
            attention_out: linear(8, 8)?,
            attention_norm: LayerNorm::new(
                Tensor::ones(8, DType::F32, &Device::Cpu)?,
                Tensor::zeros(8, DType::F32, &Device::Cpu)?,
                1e-12,
            ),
            intermediate: linear(16, 8)?,
            output: linear(8, 16)?,
            output_norm: LayerNorm::new(
                Tensor::ones(8, DType::F32, &Device::Cpu)?,
                Tensor::zeros(8, DType::F32, &Device::Cpu)?,
                1e-12,
            ),
        };
        Ok((layer, vars))
    }

    #[test]
    fn the_differentiable_layer_computes_the_same_and_has_gradients() -> Result<()> {
        let (layer, vars) = random_layer()?;
        let x = Tensor::randn(0f32, 1.0, (2, 5, 8), &Device::Cpu)?;
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 0, 0]], &Device::Cpu)?;
        let bias = padding_bias(&mask)?;
        let fast = layer.forward(&x, &bias, 2, 4)?;
        let slow = layer.forward_differentiable(&x, &bias, 2, 4)?;
        let diff = (fast - &slow)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "the two paths differ by {diff}");
        // Every weight, the query/key/value ones included, gets a gradient.
        let grads = slow.sqr()?.sum_all()?.backward()?;
        for var in &vars {
            let grad = grads.get(var).expect("a gradient for every weight");
            assert!(grad.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0);
        }
        // The fast path records none through its fused norm.
        let grads = layer
            .forward(&x, &bias, 2, 4)?
            .sqr()?
            .sum_all()?
            .backward()?;
        assert!(grads.get(&vars[0]).is_none());
        Ok(())
    }
}
