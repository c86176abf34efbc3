//! Experiment (issue 12): does fine-tuning MiniLM itself on stance beat the frozen encoder?
//!
//! Authority-grouped 5-fold cross-validation on the labelled file, the folds `train` uses.
//! Per fold, two classifiers of stance from the mean-pooled sentence vector, same loss
//! (class-weighted cross-entropy):
//! - frozen: a linear head on the pretrained encoder's vectors (logistic regression);
//! - fine-tuned: the top `--layers` layers trained with the head (the layers below frozen,
//!   their outputs computed once).
//!
//! Neither has the rules, neighbours or memory of the shipped heads: this compares encoders,
//! as the side experiment did (frozen MiniLM 0.632, mpnet 0.731 on held-out text).
//! Last, the shipped heads (labels only) on the same folds, alone and with their stance
//! probabilities averaged with the fine-tuned classifier's. With `--unlabelled DIR`, the
//! distilled heads too (the default's: an mpnet teacher per fold, as `train --teacher mpnet
//! --unlabelled DIR` cross-validates them), alone and averaged. Figures: docs/accuracy.md.
//!
//! `--encoder mpnet` does the same on all-mpnet-base-v2 (its heads, no distillation), and
//! `--folds 1,3` runs those of the five folds only (numbered from 1), every figure from their rows.
//!
//! cargo run --release --example finetune_stance -- ../shared/training/labelled.jsonl \
//!     [--layers 2] [--epochs 4] [--lr 1e-4] [--unlabelled ../shared/corpus]
//!     [--encoder minilm|mpnet] [--folds K,...]   (the measured settings are the defaults)

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use candle_core::{DType, Device, Module, Tensor, Var, D};
use candle_nn::{AdamW, LayerNorm, Linear, Optimizer, ParamsAdamW, VarBuilder};
use candle_transformers::models::bert::Config;
use ofsted_themes::classify::bert::{
    fused_weights, padding_bias, var_builder, Layer, LinearWeights, QuantisableBert,
};
use ofsted_themes::classify::encoder::{mean_pool, padded_batch, Encoder};
use ofsted_themes::classify::heads::TrainSettings;
use ofsted_themes::classify::mpnet::{open_dir, MpnetModel};
use ofsted_themes::classify::RulesClassifier;
use ofsted_themes::eval::{doc_kind, read_labelled, LabelledSentence, StanceMetrics};
use ofsted_themes::taxonomy::Taxonomy;
use ofsted_themes::train::{
    grouped_folds, train_heads, unlabelled_sentences, Distillation, GroupBy, SetRecipe,
    TrainingSet, DEFAULT_DISTIL_WEIGHT,
};
use ofsted_themes::types::Stance;
use ofsted_themes::{modelfetch, mpnetfetch};

const FOLDS: usize = 5;
const BATCH: usize = 16;
const HEAD_LR: f64 = 1e-3;
/// The embeddings cache `train --cache` uses, so the heads' figures match the cards'.
const CACHE: &str = "target/embcache";

struct Args {
    labels: String,
    layers: usize,
    epochs: usize,
    lr: f64,
    unlabelled: Option<String>,
    mpnet: bool,
    /// The folds to run, from 0.
    folds: Vec<usize>,
}

fn args() -> Result<Args> {
    let mut out = Args {
        labels: String::new(),
        layers: 2,
        epochs: 4,
        lr: 1e-4,
        unlabelled: None,
        mpnet: false,
        folds: (0..FOLDS).collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().context("missing value");
        match a.as_str() {
            "--layers" => out.layers = value()?.parse()?,
            "--epochs" => out.epochs = value()?.parse()?,
            "--lr" => out.lr = value()?.parse()?,
            "--unlabelled" => out.unlabelled = Some(value()?),
            "--encoder" => out.mpnet = value()? == "mpnet",
            "--folds" => {
                out.folds = value()?
                    .split(',')
                    .map(|k| match k.trim().parse::<usize>() {
                        Ok(k) if (1..=FOLDS).contains(&k) => Ok(k - 1),
                        _ => anyhow::bail!("--folds takes fold numbers 1 to {FOLDS}, not {k:?}"),
                    })
                    .collect::<Result<_>>()?
            }
            _ => out.labels = a,
        }
    }
    anyhow::ensure!(
        !out.labels.is_empty(),
        "usage: finetune_stance LABELS.jsonl"
    );
    anyhow::ensure!(
        !(out.mpnet && out.unlabelled.is_some()),
        "--unlabelled distils mpnet into MiniLM; it has no meaning with --encoder mpnet"
    );
    Ok(out)
}

/// The encoder being tuned: MiniLM (BERT) or all-mpnet-base-v2, and what differs between
/// them for the top layers.
enum Network {
    Bert(QuantisableBert),
    Mpnet(MpnetModel),
}

impl Network {
    fn hidden_after(&self, ids: &Tensor, mask: &Tensor, layers: usize) -> Result<Tensor> {
        Ok(match self {
            Network::Bert(m) => m.hidden_after(ids, mask, layers)?,
            Network::Mpnet(m) => m.hidden_after(ids, mask, layers)?,
        })
    }

    /// The attention bias of the top layers: padding, and MPNet's relative positions.
    fn bias(&self, mask: &Tensor) -> Result<Tensor> {
        let padding = padding_bias(mask)?;
        Ok(match self {
            Network::Bert(_) => padding,
            Network::Mpnet(m) => m
                .position_bias(mask.dim(1)?, mask.device())?
                .broadcast_add(&padding)?,
        })
    }
}

/// What the top layers need of the encoder's config.
struct Shape {
    hidden: usize,
    heads: usize,
    layers: usize,
    eps: f64,
}

/// A trainable copy of pretrained layer `i`.
fn trainable_layer(
    vb: &VarBuilder,
    i: usize,
    shape: &Shape,
    mpnet: bool,
    vars: &mut Vec<Var>,
) -> Result<Layer<Linear>> {
    let eps = shape.eps;
    let l = vb.pp(format!("encoder.layer.{i}"));
    let mut var = |t: Tensor| -> Result<Tensor> {
        let v = Var::from_tensor(&t)?;
        let t = v.as_tensor().clone();
        vars.push(v);
        Ok(t)
    };
    let mut linear = |vb: &VarBuilder, names: &[&str]| -> Result<Linear> {
        let (weight, bias) = fused_weights(vb, names)?;
        Ok(Linear::new(var(weight)?, Some(var(bias)?)))
    };
    let a = l.pp("attention");
    // Hugging Face's names: BertLayer's, or MPNetLayer's.
    let (qkv, attention_out, attention_norm) = if mpnet {
        (
            linear(&a.pp("attn"), &["q", "k", "v"])?,
            linear(&a.pp("attn"), &["o"])?,
            a.pp("LayerNorm"),
        )
    } else {
        (
            linear(&a.pp("self"), &["query", "key", "value"])?,
            linear(&a.pp("output"), &["dense"])?,
            a.pp("output").pp("LayerNorm"),
        )
    };
    let intermediate = linear(&l.pp("intermediate"), &["dense"])?;
    let output = linear(&l.pp("output"), &["dense"])?;
    let mut norm = |vb: VarBuilder| -> Result<LayerNorm> {
        let w = var(vb.get_unchecked("weight")?)?;
        let b = var(vb.get_unchecked("bias")?)?;
        Ok(LayerNorm::new(w, b, eps))
    };
    Ok(Layer {
        qkv,
        attention_out,
        attention_norm: norm(attention_norm)?,
        intermediate,
        output,
        output_norm: norm(l.pp("output").pp("LayerNorm"))?,
    })
}

/// The frozen bottom's hidden states of one sentence: (tokens, hidden).
struct Frozen {
    hidden: Tensor,
    tokens: usize,
}

/// Pads `rows`' hidden states into one batch: (batch, longest, hidden) and its mask.
fn batch_of(frozen: &[Frozen], rows: &[usize]) -> Result<(Tensor, Tensor)> {
    let width = rows.iter().map(|&r| frozen[r].tokens).max().unwrap_or(1);
    let mut xs = Vec::new();
    let mut mask = Vec::new();
    for &r in rows {
        let f = &frozen[r];
        xs.push(f.hidden.pad_with_zeros(0, 0, width - f.tokens)?);
        mask.extend(std::iter::repeat_n(1f32, f.tokens));
        mask.extend(std::iter::repeat_n(0f32, width - f.tokens));
    }
    Ok((
        Tensor::stack(&xs, 0)?,
        Tensor::from_vec(mask, (rows.len(), width), &Device::Cpu)?,
    ))
}

fn top_forward(
    layers: &[Layer<Linear>],
    x: &Tensor,
    mask: &Tensor,
    network: &Network,
    shape: &Shape,
) -> Result<Tensor> {
    let bias = network.bias(mask)?;
    let head_dim = shape.hidden / shape.heads;
    let mut x = x.clone();
    for layer in layers {
        x = layer.forward_differentiable(&x, &bias, shape.heads, head_dim)?;
    }
    Ok(mean_pool(&x, mask)?)
}

/// Class-weighted cross-entropy of `logits` (batch, 4) against `targets`.
fn loss(logits: &Tensor, targets: &[usize], class_weights: &[f32]) -> Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let idx = Tensor::from_vec(
        targets.iter().map(|&t| t as u32).collect::<Vec<_>>(),
        (targets.len(), 1),
        &Device::Cpu,
    )?;
    let picked = logp.gather(&idx, 1)?.squeeze(1)?;
    let w: Vec<f32> = targets.iter().map(|&t| class_weights[t]).collect();
    let total: f32 = w.iter().sum();
    let w = Tensor::from_vec(w, targets.len(), &Device::Cpu)?;
    Ok((picked.mul(&w)?.sum_all()?.neg()? / total as f64)?)
}

fn class_weights(stance: &[usize], rows: &[usize]) -> Vec<f32> {
    let mut counts = [0usize; 4];
    for &r in rows {
        counts[stance[r]] += 1;
    }
    counts
        .iter()
        .map(|&c| rows.len() as f32 / (4.0 * c.max(1) as f32))
        .collect()
}

/// A small deterministic shuffle (xorshift), so runs repeat.
fn shuffle(rows: &mut [usize], seed: &mut u64) {
    for i in (1..rows.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        rows.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

/// A trainable linear head, from zeros or from `start`'s weights.
fn head(dim: usize, start: Option<&Linear>, vars: &mut Vec<Var>) -> Result<Linear> {
    let (w, b) = match start {
        Some(l) => (
            Var::from_tensor(&l.weight().copy()?)?,
            Var::from_tensor(&l.bias().unwrap().copy()?)?,
        ),
        None => (
            Var::zeros((4, dim), DType::F32, &Device::Cpu)?,
            Var::zeros(4, DType::F32, &Device::Cpu)?,
        ),
    };
    let out = Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
    vars.push(w);
    vars.push(b);
    Ok(out)
}

fn predict(logits: &Tensor) -> Result<Vec<usize>> {
    Ok(logits
        .argmax(D::Minus1)?
        .to_vec1::<u32>()?
        .into_iter()
        .map(|x| x as usize)
        .collect())
}

fn report(name: &str, docs: &[String], truth: &[usize], predicted: &[Option<usize>]) {
    let mut by_kind: BTreeMap<&str, Vec<(Stance, Stance)>> = BTreeMap::new();
    for i in 0..truth.len() {
        if let Some(p) = predicted[i] {
            let pair = (Stance::ALL[truth[i]], Stance::ALL[p]);
            by_kind.entry("all").or_default().push(pair);
            by_kind.entry(doc_kind(&docs[i])).or_default().push(pair);
        }
    }
    let cell = |k: &str| by_kind.get(k).map(|p| StanceMetrics::compute(p));
    let mut line = format!("{name:<28}");
    for k in ["all", "report", "letter", "news"] {
        if let Some(m) = cell(k) {
            line += &format!(" {k} {:.3} (acc {:.3}, n {})", m.macro_f1, m.accuracy, m.n);
        }
    }
    println!("{line}");
}

fn main() -> Result<()> {
    let args = args()?;
    let rows = read_labelled(Path::new(&args.labels))?;
    let dir = if args.mpnet {
        mpnetfetch::ensure(Path::new(mpnetfetch::DEFAULT_MODEL_DIR))?
    } else {
        modelfetch::ensure(Path::new(modelfetch::DEFAULT_MODEL_DIR))?
    };
    let dir = dir.as_path();
    let (encoder, vb, network, shape) = if args.mpnet {
        let (config, vb, _) = open_dir(dir)?;
        let shape = Shape {
            hidden: config.hidden_size,
            heads: config.num_attention_heads,
            layers: config.num_hidden_layers,
            eps: config.layer_norm_eps,
        };
        let model = MpnetModel::load(vb.clone(), &config)?;
        (Encoder::load_mpnet(dir)?, vb, Network::Mpnet(model), shape)
    } else {
        let config: Config =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json"))?)?;
        let shape = Shape {
            hidden: config.hidden_size,
            heads: config.num_attention_heads,
            layers: config.num_hidden_layers,
            eps: config.layer_norm_eps,
        };
        let vb = var_builder(&dir.join("model.safetensors"), &Device::Cpu)?;
        let model = QuantisableBert::load(vb.clone(), &config, LinearWeights::F32)?;
        (Encoder::load(dir)?, vb, Network::Bert(model), shape)
    };
    let bottom = shape.layers - args.layers;

    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let ids = encoder.tokenize(&texts)?;
    let start = Instant::now();
    let mut frozen: Vec<Option<Frozen>> = (0..rows.len()).map(|_| None).collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| ids[i].len());
    for chunk in order.chunks(32) {
        let inputs: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
        let (id_t, mask_t) = padded_batch(&inputs, &Device::Cpu)?;
        let hidden = network.hidden_after(&id_t, &mask_t, bottom)?;
        for (j, &i) in chunk.iter().enumerate() {
            let tokens = ids[i].len();
            frozen[i] = Some(Frozen {
                hidden: hidden.get(j)?.narrow(0, 0, tokens)?.contiguous()?,
                tokens,
            });
        }
    }
    let frozen: Vec<Frozen> = frozen.into_iter().map(Option::unwrap).collect();
    eprintln!(
        "bottom {bottom} layers of {} sentences in {:.1} s",
        rows.len(),
        start.elapsed().as_secs_f64()
    );

    let stance: Vec<usize> = rows.iter().map(|r| r.stance.index()).collect();
    let docs: Vec<String> = rows.iter().map(|r| r.doc.clone()).collect();
    let groups: Vec<String> = docs
        .iter()
        .map(|d| GroupBy::Authority.group_of(d))
        .collect();
    let fold_of = grouped_folds(&groups, FOLDS);
    let all: Vec<usize> = (0..rows.len()).collect();
    let mut frozen_pred = vec![None; rows.len()];
    let mut tuned_pred: Vec<Vec<Option<usize>>> = vec![vec![None; rows.len()]; args.epochs];
    // The last epoch's probabilities, to blend with the shipped heads'.
    let mut tuned_probs: Vec<Option<Vec<f32>>> = vec![None; rows.len()];
    let folds = &args.folds;
    // The heads on the same folds, built once (their embeddings from the cache `train` uses).
    let settings = TrainSettings::default();
    let rules = RulesClassifier::new(Taxonomy::bundled());
    let set = TrainingSet::build(&rows, &encoder, &rules, true, Some(Path::new(CACHE)))?
        .grouped_by(GroupBy::Authority)
        .with_next(&settings);
    let heads_probs = heads_out_of_fold(&set, &settings, &fold_of, folds, None)?;
    let distilled_probs = match &args.unlabelled {
        Some(dir) => {
            let d = distillation(&rows, Path::new(dir), &encoder, &rules, &settings)?;
            Some(heads_out_of_fold(
                &set,
                &settings,
                &fold_of,
                folds,
                Some(&d),
            )?)
        }
        None => None,
    };

    // The pretrained top's pooled vectors, for the frozen baseline.
    let base_layers: Vec<Layer<Linear>> = (bottom..shape.layers)
        .map(|i| trainable_layer(&vb, i, &shape, args.mpnet, &mut Vec::new()))
        .collect::<Result<_>>()?;
    let mut pooled = vec![None; rows.len()];
    for chunk in order.chunks(64) {
        // Detached: the baseline's head must not backpropagate into these layers.
        let (x, m) = batch_of(&frozen, chunk)?;
        let p = top_forward(&base_layers, &x, &m, &network, &shape)?;
        for (j, &i) in chunk.iter().enumerate() {
            pooled[i] = Some(p.get(j)?.detach());
        }
    }
    let pooled: Vec<Tensor> = pooled.into_iter().map(Option::unwrap).collect();

    for &fold in folds {
        let train: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| fold_of[i] != fold)
            .collect();
        let test: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| fold_of[i] == fold)
            .collect();
        let weights = class_weights(&stance, &train);
        let train_targets: Vec<usize> = train.iter().map(|&i| stance[i]).collect();

        // Frozen: full-batch AdamW on the pooled vectors.
        let x_train = Tensor::stack(
            &train.iter().map(|&i| pooled[i].clone()).collect::<Vec<_>>(),
            0,
        )?;
        let x_test = Tensor::stack(
            &test.iter().map(|&i| pooled[i].clone()).collect::<Vec<_>>(),
            0,
        )?;
        let mut hv = Vec::new();
        let h = head(shape.hidden, None, &mut hv)?;
        let mut opt = AdamW::new(
            hv,
            ParamsAdamW {
                lr: 1e-2,
                weight_decay: 1e-4,
                ..Default::default()
            },
        )?;
        for _ in 0..300 {
            opt.backward_step(&loss(&h.forward(&x_train)?, &train_targets, &weights)?)?;
        }
        for (&i, p) in test.iter().zip(predict(&h.forward(&x_test)?)?) {
            frozen_pred[i] = Some(p);
        }

        // Fine-tuned: the top layers and a head, minibatches.
        let mut layer_vars = Vec::new();
        let layers: Vec<Layer<Linear>> = (bottom..shape.layers)
            .map(|i| trainable_layer(&vb, i, &shape, args.mpnet, &mut layer_vars))
            .collect::<Result<_>>()?;
        // The head starts from the frozen one, so the layers' first steps are not spent
        // undoing a random head.
        let frozen_head = h;
        let mut head_vars = Vec::new();
        let h = head(shape.hidden, Some(&frozen_head), &mut head_vars)?;
        let mut layer_opt = AdamW::new(
            layer_vars,
            ParamsAdamW {
                lr: args.lr,
                weight_decay: 0.01,
                ..Default::default()
            },
        )?;
        let mut head_opt = AdamW::new(
            head_vars,
            ParamsAdamW {
                lr: HEAD_LR,
                weight_decay: 1e-4,
                ..Default::default()
            },
        )?;
        let mut seed = 0x9e3779b97f4a7c15u64 ^ fold as u64;
        let started = Instant::now();
        for (epoch, epoch_pred) in tuned_pred.iter_mut().enumerate() {
            let mut shuffled = train.clone();
            shuffle(&mut shuffled, &mut seed);
            let mut total = 0.0;
            for batch in shuffled.chunks(BATCH) {
                let (x, m) = batch_of(&frozen, batch)?;
                let targets: Vec<usize> = batch.iter().map(|&i| stance[i]).collect();
                let l = loss(
                    &h.forward(&top_forward(&layers, &x, &m, &network, &shape)?)?,
                    &targets,
                    &weights,
                )?;
                total += l.to_scalar::<f32>()? as f64 * batch.len() as f64;
                let grads = l.backward()?;
                layer_opt.step(&grads)?;
                head_opt.step(&grads)?;
            }
            let mut sorted_test = test.clone();
            sorted_test.sort_by_key(|&i| frozen[i].tokens);
            for chunk in sorted_test.chunks(64) {
                let (x, m) = batch_of(&frozen, chunk)?;
                let logits = h.forward(&top_forward(&layers, &x, &m, &network, &shape)?)?;
                let probs = candle_nn::ops::softmax(&logits, D::Minus1)?.to_vec2::<f32>()?;
                for ((&i, p), probs) in chunk.iter().zip(predict(&logits)?).zip(probs) {
                    epoch_pred[i] = Some(p);
                    tuned_probs[i] = Some(probs);
                }
            }
            eprintln!(
                "fold {fold} epoch {epoch}: loss {:.4}, {:.0} s ({:.1} sentences/s)",
                total / train.len() as f64,
                started.elapsed().as_secs_f64(),
                (train.len() * (epoch + 1)) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "stance macro-F1, {}, folds grouped by authority ({} of {FOLDS}), {} sentences",
        encoder.version(),
        folds
            .iter()
            .map(|f| (f + 1).to_string())
            .collect::<Vec<_>>()
            .join(","),
        rows.len()
    );
    let name = if args.mpnet { "mpnet" } else { "MiniLM" };
    report(
        &format!("frozen {name} + linear head"),
        &docs,
        &stance,
        &frozen_pred,
    );
    for (epoch, pred) in tuned_pred.iter().enumerate() {
        report(
            &format!("top {} layers tuned, epoch {}", args.layers, epoch + 1),
            &docs,
            &stance,
            pred,
        );
    }
    report(
        "heads + tuned, half each",
        &docs,
        &stance,
        &blended(&heads_probs, &tuned_probs),
    );
    if let Some(distilled) = &distilled_probs {
        report(
            "distilled + tuned, half each",
            &docs,
            &stance,
            &blended(distilled, &tuned_probs),
        );
    }
    Ok(())
}

/// Each row's class from `heads` and `tuned` stance probabilities averaged half each.
fn blended(heads: &[Option<Vec<f32>>], tuned: &[Option<Vec<f32>>]) -> Vec<Option<usize>> {
    heads
        .iter()
        .zip(tuned)
        .map(|(h, t)| {
            let blend: Vec<f32> = h
                .as_ref()?
                .iter()
                .zip(t.as_ref()?)
                .map(|(a, b)| 0.5 * a + 0.5 * b)
                .collect();
            Some(argmax(&blend))
        })
        .collect()
}

/// The distillation `train --teacher mpnet --unlabelled DIR` cross-validates: the labelled
/// rows and the sentences of the reports under `dir` on an mpnet teacher.
fn distillation(
    rows: &[LabelledSentence],
    dir: &Path,
    student: &Encoder,
    rules: &RulesClassifier,
    settings: &TrainSettings,
) -> Result<Distillation> {
    let (sentences, errors) = unlabelled_sentences(dir, rows);
    anyhow::ensure!(errors.is_empty(), "unreadable: {errors:?}");
    let teacher_dir = mpnetfetch::ensure(Path::new(mpnetfetch::DEFAULT_MODEL_DIR))?;
    let teacher = Encoder::load_mpnet(&teacher_dir)?;
    let recipe = SetRecipe {
        rules,
        use_prev: true,
        cache: Some(Path::new(CACHE)),
        group_by: GroupBy::Authority,
        student_settings: settings,
    };
    Distillation::build(
        rows,
        &sentences,
        &teacher,
        student,
        &recipe,
        TrainSettings::default(),
        DEFAULT_DISTIL_WEIGHT,
    )
}

/// The heads' stance probabilities, each row of `folds` scored by the heads of the fold that
/// held it out, and the figures they give alone: labels only, or distilled as `train`
/// cross-validates them (a teacher trained in each fold).
fn heads_out_of_fold(
    set: &TrainingSet,
    settings: &TrainSettings,
    fold_of: &[usize],
    folds: &[usize],
    distillation: Option<&Distillation>,
) -> Result<Vec<Option<Vec<f32>>>> {
    let groups = set.groups();
    let mut probs = vec![None; set.len()];
    for &fold in folds {
        let train: Vec<usize> = (0..set.len()).filter(|&i| fold_of[i] != fold).collect();
        let taught = match distillation {
            Some(d) => {
                let held_out = (0..set.len())
                    .filter(|&i| fold_of[i] == fold)
                    .map(|i| groups[i].as_str())
                    .collect();
                Some(d.teach(&train, &held_out)?)
            }
            None => None,
        };
        let heads = train_heads(set, &train, settings, taught.as_ref())?;
        for i in (0..set.len()).filter(|&i| fold_of[i] == fold) {
            probs[i] = Some(heads.score(&set.features[i]).stance);
        }
    }
    let predicted: Vec<Option<usize>> = probs.iter().map(|p| Some(argmax(p.as_ref()?))).collect();
    let name = match distillation {
        Some(_) => "distilled heads (mpnet teacher)",
        None => "heads (no teacher)",
    };
    report(name, &set.docs, &set.stance, &predicted);
    Ok(probs)
}

fn argmax(p: &[f32]) -> usize {
    (0..p.len())
        .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}
