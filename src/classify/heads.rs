//! The learned heads on top of the sentence features: a 4-way stance classifier (softmax
//! regression) and one-vs-rest theme classifiers (logistic regression), each theme with
//! its own decision threshold. Trained in Rust on candle tensors with hand-written
//! gradients and Adam, full batch, no randomness, so the same data gives the same heads.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};

use crate::classify::memory::{MemorySettings, ThemeMemory};
use crate::types::Stance;

/// How the heads are fitted. The defaults are the settings the committed heads use.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainSettings {
    /// Full-batch Adam steps.
    pub steps: usize,
    pub learning_rate: f64,
    /// L2 penalty on the weights (not the biases). Chosen from 0.001, 0.01, 0.1, 0.3 on the
    /// grouped cross-validation (0.1 best for both heads); features are standardised, so
    /// strong shrinkage suits 800-1,200 features on under 2,000 sentences.
    pub l2: f64,
    /// Stance class weights are (n / (classes * count))^power: 0 is unweighted, 1 fully
    /// balanced. Between the two, so the rare `recommendation` is not drowned out but
    /// the frequent `strength` keeps its precision. The same power weights each theme's
    /// positives by (negatives / positives)^power, so rare themes are learnt at all.
    pub class_weight_power: f64,
    /// Whether the features include the next sentence's embedding (after the previous
    /// sentence's). A recommendation or a list item is often known by its neighbours on
    /// both sides; in cross-validation it raised recommendation F1 (0.82 → 0.86).
    #[serde(default)]
    pub use_next: bool,
    /// The theme memory blended into the theme probabilities (see [`ThemeMemory`]).
    /// Cards from before the memory have none.
    #[serde(default = "MemorySettings::off")]
    pub memory: MemorySettings,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            steps: 300,
            learning_rate: 0.01,
            l2: 0.1,
            class_weight_power: 0.5,
            use_next: true,
            memory: MemorySettings::default(),
        }
    }
}

impl TrainSettings {
    /// The default settings with those given (`train`'s options) put in their place.
    pub fn overridden(
        l2: Option<f64>,
        class_weight_power: Option<f64>,
        steps: Option<usize>,
        use_next: bool,
        memory_blend: Option<f32>,
    ) -> TrainSettings {
        let defaults = TrainSettings::default();
        TrainSettings {
            l2: l2.unwrap_or(defaults.l2),
            class_weight_power: class_weight_power.unwrap_or(defaults.class_weight_power),
            steps: steps.unwrap_or(defaults.steps),
            use_next,
            memory: MemorySettings {
                blend: memory_blend.unwrap_or(defaults.memory.blend),
                ..defaults.memory
            },
            ..defaults
        }
    }
}

/// The trained heads: feature scaling, stance and theme weights, theme thresholds.
#[derive(Debug, Clone)]
pub struct Heads {
    /// Per-feature mean and scale for standardisation (x - mean) / scale.
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    /// (features, 4), rows in feature order, columns in [`Stance::ALL`] order.
    pub stance_weight: Vec<Vec<f32>>,
    pub stance_bias: Vec<f32>,
    /// (features, themes).
    pub theme_weight: Vec<Vec<f32>>,
    pub theme_bias: Vec<f32>,
    /// A theme is given when its probability reaches its threshold.
    pub theme_threshold: Vec<f32>,
    /// For the combined classifier, per theme: the cut when the rules also give the theme
    /// and the cut when they do not (see [`choose_rule_backed_thresholds`]).
    pub combined_threshold_with_rule: Vec<f32>,
    pub combined_threshold_without_rule: Vec<f32>,
    /// The labelled sentences' themes, blended into the theme probabilities.
    pub memory: Option<ThemeMemory>,
}

/// What the heads say about one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadScores {
    /// Probabilities in [`Stance::ALL`] order, summing to 1.
    pub stance: Vec<f32>,
    /// Independent probabilities, one per theme: the logistic head's, blended with the
    /// memory's votes when the heads have a memory.
    pub themes: Vec<f32>,
    /// The logistic head's own theme probabilities.
    pub logistic_themes: Vec<f32>,
    /// The theme memory's votes, one per theme (empty without a memory).
    pub memory_votes: Vec<f32>,
}

impl HeadScores {
    pub fn best_stance(&self) -> (Stance, f32) {
        let (i, p) = self
            .stance
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
            .expect("four stances");
        (Stance::ALL[i], *p)
    }
}

impl Heads {
    pub fn feature_count(&self) -> usize {
        self.mean.len()
    }

    pub fn theme_count(&self) -> usize {
        self.theme_bias.len()
    }

    /// Standardised features.
    pub fn standardise(&self, x: &[f32]) -> Vec<f32> {
        x.iter()
            .zip(self.mean.iter().zip(&self.scale))
            .map(|(v, (m, s))| (v - m) / s)
            .collect()
    }

    /// Scores one feature vector.
    pub fn score(&self, features: &[f32]) -> HeadScores {
        assert_eq!(features.len(), self.feature_count(), "feature length");
        let z = self.standardise(features);
        let linear = |weight: &[Vec<f32>], bias: &[f32]| {
            let mut out = bias.to_vec();
            for (xi, row) in z.iter().zip(weight) {
                for (o, w) in out.iter_mut().zip(row) {
                    *o += xi * w;
                }
            }
            out
        };
        let logits = linear(&self.stance_weight, &self.stance_bias);
        let max = logits.iter().copied().fold(f32::MIN, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let total: f32 = exp.iter().sum();
        let logistic_themes: Vec<f32> = linear(&self.theme_weight, &self.theme_bias)
            .into_iter()
            .map(sigmoid)
            .collect();
        let (themes, memory_votes) = match &self.memory {
            Some(memory) => {
                let votes = memory.votes(features);
                (memory.blended(&logistic_themes, &votes), votes)
            }
            None => (logistic_themes.clone(), Vec::new()),
        };
        HeadScores {
            stance: exp.iter().map(|e| e / total).collect(),
            themes,
            logistic_themes,
            memory_votes,
        }
    }

    /// Each feature's share of a logit: standardised value times weight (for `explain`).
    pub fn contributions(
        &self,
        features: &[f32],
        stance: Option<usize>,
        theme: Option<usize>,
    ) -> Vec<f32> {
        let z = self.standardise(features);
        z.iter()
            .enumerate()
            .map(|(i, v)| match (stance, theme) {
                (Some(s), _) => v * self.stance_weight[i][s],
                (None, Some(t)) => v * self.theme_weight[i][t],
                (None, None) => 0.0,
            })
            .collect()
    }

    /// Fits both heads. `features`: one row per sentence; `stance`: its index in
    /// [`Stance::ALL`]; `themes`: one 0/1 row per sentence. Thresholds start at 0.5; see
    /// [`choose_thresholds`].
    pub fn train(
        features: &[Vec<f32>],
        stance: &[usize],
        themes: &[Vec<bool>],
        settings: &TrainSettings,
    ) -> Result<Heads> {
        Heads::train_with_soft(features, stance, themes, None, settings)
    }

    /// [`Heads::train`] with, beside the hand-labelled rows, rows whose targets are a
    /// teacher's probabilities ([`SoftTargets`], distillation). Class weights and the
    /// standardiser come from the hand-labelled rows; without soft rows this is `train`.
    pub fn train_with_soft(
        features: &[Vec<f32>],
        stance: &[usize],
        themes: &[Vec<bool>],
        soft: Option<&SoftTargets>,
        settings: &TrainSettings,
    ) -> Result<Heads> {
        let n = features.len();
        if n == 0 || stance.len() != n || themes.len() != n {
            bail!("training needs one stance and one theme row per feature row");
        }
        let d = features[0].len();
        let k = themes[0].len();
        if let Some(soft) = soft {
            soft.check(d, k)?;
        }
        let (mean, scale) = fit_standardiser(features);
        let device = Device::Cpu;
        let soft_rows = soft.map_or(&[][..], |s| s.features.as_slice());
        let x_data: Vec<f32> = features
            .iter()
            .map(Vec::as_slice)
            .chain(soft_rows.iter().copied())
            .flat_map(|row| {
                row.iter()
                    .zip(mean.iter().zip(&scale))
                    .map(|(v, (m, s))| (v - m) / s)
            })
            .collect();
        let x = Tensor::from_vec(x_data, (n + soft_rows.len(), d), &device)?;

        let classes = Stance::ALL.len();
        let (onehot, stance_scale) = stance_targets(stance, soft, settings, &device)?;
        let (y_themes, theme_sample_weight) = theme_targets(themes, soft, k, settings, &device)?;

        // Both heads in one weight matrix (d, classes + k): one product forward, one back.
        // Gradients are written out by hand (softmax and sigmoid cross-entropy have simple
        // ones), and Adam is applied to them; no autodiff graph per step.
        let x_t = x.t()?.contiguous()?;
        let width = classes + k;
        let mut weight = Tensor::zeros((d, width), DType::F32, &device)?;
        let mut bias = Tensor::zeros(width, DType::F32, &device)?;
        let mut adam_w = Adam::new(&weight)?;
        let mut adam_b = Adam::new(&bias)?;
        for step in 1..=settings.steps {
            let logits = x.matmul(&weight)?.broadcast_add(&bias)?;
            let stance_p =
                candle_nn::ops::softmax_last_dim(&logits.narrow(1, 0, classes)?.contiguous()?)?;
            let theme_p = candle_nn::ops::sigmoid(&logits.narrow(1, classes, k)?.contiguous()?)?;
            let stance_grad = (stance_p - &onehot)?.broadcast_mul(&stance_scale)?;
            let theme_grad = ((theme_p - &y_themes)? * &theme_sample_weight)?;
            let grad = Tensor::cat(&[&stance_grad, &theme_grad], 1)?;
            let grad_w = (x_t.matmul(&grad)? + weight.affine(2.0 * settings.l2, 0.0)?)?;
            let grad_b = grad.sum(0)?;
            weight = adam_w.step(&weight, &grad_w, step, settings.learning_rate)?;
            bias = adam_b.step(&bias, &grad_b, step, settings.learning_rate)?;
        }
        let weight: Vec<Vec<f32>> = weight.to_vec2()?;
        let bias: Vec<f32> = bias.to_vec1()?;
        let stance_w: Vec<Vec<f32>> = weight.iter().map(|r| r[..classes].to_vec()).collect();
        let theme_w: Vec<Vec<f32>> = weight.iter().map(|r| r[classes..].to_vec()).collect();
        Ok(Heads {
            mean,
            scale,
            stance_weight: stance_w,
            stance_bias: bias[..classes].to_vec(),
            theme_weight: theme_w,
            theme_bias: bias[classes..].to_vec(),
            theme_threshold: vec![0.5; k],
            combined_threshold_with_rule: vec![0.5; k],
            combined_threshold_without_rule: vec![0.5; k],
            memory: None,
        })
    }

    /// Writes the heads as safetensors.
    pub fn save(&self, path: &Path) -> Result<()> {
        let device = Device::Cpu;
        let d = self.feature_count();
        let mut tensors: HashMap<String, Tensor> = HashMap::new();
        tensors.insert(
            "features.mean".into(),
            Tensor::new(self.mean.as_slice(), &device)?,
        );
        tensors.insert(
            "features.scale".into(),
            Tensor::new(self.scale.as_slice(), &device)?,
        );
        let matrix =
            |rows: &[Vec<f32>], cols: usize| Tensor::from_vec(rows.concat(), (d, cols), &device);
        tensors.insert(
            "stance.weight".into(),
            matrix(&self.stance_weight, self.stance_bias.len())?,
        );
        tensors.insert(
            "stance.bias".into(),
            Tensor::new(self.stance_bias.as_slice(), &device)?,
        );
        tensors.insert(
            "themes.weight".into(),
            matrix(&self.theme_weight, self.theme_count())?,
        );
        tensors.insert(
            "themes.bias".into(),
            Tensor::new(self.theme_bias.as_slice(), &device)?,
        );
        tensors.insert(
            "themes.threshold".into(),
            Tensor::new(self.theme_threshold.as_slice(), &device)?,
        );
        tensors.insert(
            "combined.threshold_with_rule".into(),
            Tensor::new(self.combined_threshold_with_rule.as_slice(), &device)?,
        );
        tensors.insert(
            "combined.threshold_without_rule".into(),
            Tensor::new(self.combined_threshold_without_rule.as_slice(), &device)?,
        );
        if let Some(memory) = &self.memory {
            memory.save_into(&mut tensors)?;
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // Sorted by name, so the same heads always give the same bytes.
        let mut named: Vec<(&String, &Tensor)> = tensors.iter().collect();
        named.sort_by(|a, b| a.0.cmp(b.0));
        let bytes = safetensors::tensor::serialize(named, None)
            .with_context(|| format!("cannot serialise heads {}", path.display()))?;
        crate::files::atomic_write(path, |out| Ok(out.write_all(&bytes)?))
            .with_context(|| format!("cannot write heads {}", path.display()))
    }

    /// Reads heads written by [`Heads::save`], checking their shapes agree.
    pub fn load(path: &Path) -> Result<Heads> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu)
            .with_context(|| format!("cannot read heads {}", path.display()))?;
        check_finite(&tensors, path)?;
        let get = |name: &str| {
            tensors
                .get(name)
                .with_context(|| format!("heads file {} has no tensor {name}", path.display()))
        };
        let vector = |name: &str| -> Result<Vec<f32>> { Ok(get(name)?.to_vec1::<f32>()?) };
        let matrix = |name: &str| -> Result<Vec<Vec<f32>>> { Ok(get(name)?.to_vec2::<f32>()?) };
        let heads = Heads {
            mean: vector("features.mean")?,
            scale: vector("features.scale")?,
            stance_weight: matrix("stance.weight")?,
            stance_bias: vector("stance.bias")?,
            theme_weight: matrix("themes.weight")?,
            theme_bias: vector("themes.bias")?,
            theme_threshold: vector("themes.threshold")?,
            combined_threshold_with_rule: vector("combined.threshold_with_rule")?,
            combined_threshold_without_rule: vector("combined.threshold_without_rule")?,
            memory: ThemeMemory::load_from(&tensors)
                .with_context(|| format!("heads file {}", path.display()))?,
        };
        let d = heads.feature_count();
        let consistent = heads.scale.len() == d
            && heads.stance_weight.len() == d
            && heads.theme_weight.len() == d
            && heads.stance_bias.len() == Stance::ALL.len()
            && heads
                .stance_weight
                .iter()
                .all(|r| r.len() == Stance::ALL.len())
            && heads
                .theme_weight
                .iter()
                .all(|r| r.len() == heads.theme_count())
            && heads.theme_threshold.len() == heads.theme_count()
            && heads.combined_threshold_with_rule.len() == heads.theme_count()
            && heads.combined_threshold_without_rule.len() == heads.theme_count()
            && heads.memory.as_ref().is_none_or(|m| {
                m.blend.len() == heads.theme_count() && m.dim * (1 + m.context_blocks) <= d
            });
        if !consistent {
            bail!("heads file {} has inconsistent shapes", path.display());
        }
        Ok(heads)
    }
}

/// Refuses heads with a NaN or infinite number in any tensor, naming the tensor: such heads
/// give NaN scores, and so no theme or a failed save, far from the cause.
fn check_finite(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    for name in names {
        let tensor = &tensors[name];
        if !tensor.dtype().is_float() {
            continue;
        }
        let values = tensor
            .flatten_all()
            .and_then(|t| t.to_dtype(DType::F32))
            .and_then(|t| t.to_vec1::<f32>())
            .with_context(|| format!("heads file {}: cannot read tensor {name}", path.display()))?;
        if let Some((i, value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            bail!(
                "heads file {}: tensor {name} holds {value} (element {i}), not a finite number; \
                 retrain the heads or restore the file",
                path.display()
            );
        }
    }
    Ok(())
}

/// Sentences whose targets are a teacher's probabilities rather than hand-made labels,
/// learnt beside the labelled ones ([`Heads::train_with_soft`]).
pub struct SoftTargets<'a> {
    /// Feature rows, as the labelled rows'.
    pub features: Vec<&'a [f32]>,
    /// The teacher's stance probabilities, in [`Stance::ALL`] order.
    pub stance: Vec<&'a [f32]>,
    /// The teacher's theme probabilities.
    pub themes: Vec<&'a [f32]>,
    /// Each row's weight beside a hand-labelled row's.
    pub weight: f32,
}

impl SoftTargets<'_> {
    fn check(&self, features: usize, themes: usize) -> Result<()> {
        let n = self.features.len();
        if self.stance.len() != n || self.themes.len() != n {
            bail!("soft targets need one stance and one theme row per feature row");
        }
        if self.features.iter().any(|r| r.len() != features)
            || self.stance.iter().any(|r| r.len() != Stance::ALL.len())
            || self.themes.iter().any(|r| r.len() != themes)
        {
            bail!("soft targets are not as wide as the labelled rows");
        }
        Ok(())
    }
}

/// The stance targets: one-hot rows, and each row's weight (classes weighted by
/// (n / (classes × count))^power, normalised so the labelled rows' weights sum to one),
/// then the soft rows' probabilities, weighted by their expected class weight times
/// their own weight.
fn stance_targets(
    stance: &[usize],
    soft: Option<&SoftTargets>,
    settings: &TrainSettings,
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    let n = stance.len();
    let classes = Stance::ALL.len();
    let mut counts = vec![0usize; classes];
    for &s in stance {
        counts[s] += 1;
    }
    let class_weight: Vec<f32> = counts
        .iter()
        .map(|&c| {
            ((n as f64 / (classes as f64 * c.max(1) as f64)).powf(settings.class_weight_power))
                as f32
        })
        .collect();
    let mut onehot = vec![0f32; n * classes];
    let mut sample_weight = vec![0f32; n];
    for (i, &s) in stance.iter().enumerate() {
        onehot[i * classes + s] = 1.0;
        sample_weight[i] = class_weight[s];
    }
    let weight_total: f32 = sample_weight.iter().sum();
    if let Some(soft) = soft {
        for probabilities in &soft.stance {
            onehot.extend_from_slice(probabilities);
            let expected: f32 = probabilities
                .iter()
                .zip(&class_weight)
                .map(|(p, w)| p * w)
                .sum();
            sample_weight.push(soft.weight * expected);
        }
    }
    let rows = sample_weight.len();
    let onehot = Tensor::from_vec(onehot, (rows, classes), device)?;
    let sample_weight = Tensor::from_vec(sample_weight, (rows, 1), device)?;
    let stance_scale = sample_weight.affine(1.0 / weight_total as f64, 0.0)?;
    Ok((onehot, stance_scale))
}

/// The theme targets: 0/1 rows, and each cell's weight; then the soft rows'
/// probabilities, a cell weighted as a positive in proportion to its probability and as
/// a negative for the rest, times the rows' own weight.
fn theme_targets(
    themes: &[Vec<bool>],
    soft: Option<&SoftTargets>,
    k: usize,
    settings: &TrainSettings,
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    let n = themes.len();
    let mut y_themes: Vec<f32> = themes
        .iter()
        .flat_map(|row| row.iter().map(|&b| if b { 1.0 } else { 0.0 }))
        .collect();
    // Theme positives weighted by (negatives / positives)^power, the stance's power:
    // a rare theme's few positives are not drowned by its many negatives.
    let positive_weight: Vec<f32> = (0..k)
        .map(|t| {
            let positives = themes.iter().filter(|r| r[t]).count().max(1);
            (((n - positives.min(n - 1)) as f64 / positives as f64)
                .powf(settings.class_weight_power)) as f32
        })
        .collect();
    let mut theme_sample_weight: Vec<f32> = themes
        .iter()
        .flat_map(|row| {
            row.iter()
                .zip(&positive_weight)
                .map(|(&b, &w)| if b { w / n as f32 } else { 1.0 / n as f32 })
        })
        .collect();
    if let Some(soft) = soft {
        for probabilities in &soft.themes {
            y_themes.extend_from_slice(probabilities);
            theme_sample_weight.extend(
                probabilities
                    .iter()
                    .zip(&positive_weight)
                    .map(|(&y, &w)| soft.weight * (w * y + (1.0 - y)) / n as f32),
            );
        }
    }
    let rows = n + soft.map_or(0, |s| s.themes.len());
    let y_themes = Tensor::from_vec(y_themes, (rows, k), device)?;
    let theme_sample_weight = Tensor::from_vec(theme_sample_weight, (rows, k), device)?;
    Ok((y_themes, theme_sample_weight))
}

/// Adam's moment estimates for one parameter (Kingma and Ba; no weight decay).
struct Adam {
    m: Tensor,
    v: Tensor,
}

impl Adam {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPS: f64 = 1e-8;

    fn new(param: &Tensor) -> candle_core::Result<Adam> {
        Ok(Adam {
            m: param.zeros_like()?,
            v: param.zeros_like()?,
        })
    }

    /// The parameter after one step (`step` counts from 1).
    fn step(
        &mut self,
        param: &Tensor,
        grad: &Tensor,
        step: usize,
        lr: f64,
    ) -> candle_core::Result<Tensor> {
        self.m = ((&self.m * Self::BETA1)? + (grad * (1.0 - Self::BETA1))?)?;
        self.v = ((&self.v * Self::BETA2)? + (grad.sqr()? * (1.0 - Self::BETA2))?)?;
        let m_hat = (&self.m / (1.0 - Self::BETA1.powi(step as i32)))?;
        let v_hat = (&self.v / (1.0 - Self::BETA2.powi(step as i32)))?;
        param - ((m_hat / (v_hat.sqrt()? + Self::EPS)?)? * lr)?
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Mean and standard deviation per column; a constant column gets scale 1.
fn fit_standardiser(features: &[Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
    let n = features.len() as f64;
    let d = features[0].len();
    let mut mean = vec![0f64; d];
    for row in features {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64 / n;
        }
    }
    let mut var = vec![0f64; d];
    for row in features {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (*v as f64 - m).powi(2) / n;
        }
    }
    let scale = var
        .iter()
        .map(|v| {
            if v.sqrt() > 1e-6 {
                v.sqrt() as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), scale)
}

/// The threshold grid searched per theme, and the fewest positives a theme needs before
/// its threshold is moved off 0.5: with fewer, the F1-best cut is noise.
pub const THRESHOLD_GRID: std::ops::RangeInclusive<u32> = 10..=80;
pub const THRESHOLD_STEP: f32 = 0.01;
pub const MIN_POSITIVES_FOR_THRESHOLD: usize = 8;

/// Picks each theme's threshold to maximise its F1 on held-back (out-of-fold) scores.
pub fn choose_thresholds(held_back: &[Vec<f32>], truth: &[Vec<bool>]) -> Vec<f32> {
    let k = truth.first().map_or(0, |r| r.len());
    (0..k)
        .map(|t| {
            let scores: Vec<f32> = held_back.iter().map(|r| r[t]).collect();
            let truth: Vec<bool> = truth.iter().map(|r| r[t]).collect();
            best_cut(&scores, &truth).map_or(0.5, |(_, cut)| cut)
        })
        .collect()
}

/// The F1-best cut on one theme's held-back scores, with its F1; `None` when the theme has
/// too few positives for the choice to mean anything.
pub fn best_cut(scores: &[f32], truth: &[bool]) -> Option<(f32, f32)> {
    if truth.iter().filter(|&&b| b).count() < MIN_POSITIVES_FOR_THRESHOLD {
        return None;
    }
    let mut best = (f32::MIN, 0.5f32);
    for step in THRESHOLD_GRID.step_by(5) {
        let cut = step as f32 * THRESHOLD_STEP;
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (&score, &is) in scores.iter().zip(truth) {
            match (score >= cut, is) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                _ => {}
            }
        }
        let f1 = 2.0 * tp as f32 / (2 * tp + fp + fn_).max(1) as f32;
        // Ties go to the cut nearest 0.5, so flat regions do not drift to the edges.
        let better = f1 > best.0 + 1e-6
            || ((f1 - best.0).abs() <= 1e-6 && (cut - 0.5).abs() < (best.1 - 0.5).abs());
        if better {
            best = (f1, cut);
        }
    }
    Some(best)
}

/// Cuts tried for a theme the rules also give: down to 0, which is "trust the rules".
pub const RULE_BACKED_GRID: std::ops::RangeInclusive<u32> = 0..=80;

/// For the combined classifier: per theme, a pair of cuts, one for sentences where the
/// rules also give the theme (a cue phrase agrees, so a lower probability suffices) and
/// one for sentences where they do not, chosen together to maximise the theme's F1 on
/// held-back scores. `rule_gives[i][t]`: the rules' label of row i has theme t. Themes
/// with too few positives keep the model's own cut for both.
pub fn choose_rule_backed_thresholds(
    held_back: &[Vec<f32>],
    rule_gives: &[Vec<bool>],
    truth: &[Vec<bool>],
    model_cuts: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let k = truth.first().map_or(0, |r| r.len());
    let mut with_rule = model_cuts.to_vec();
    let mut without_rule = model_cuts.to_vec();
    for t in 0..k {
        let positives = truth.iter().filter(|r| r[t]).count();
        if positives < MIN_POSITIVES_FOR_THRESHOLD {
            continue;
        }
        // F1 is additive in (tp, fp, fn) over the two groups, so count each group per cut
        // once and combine.
        let counts =
            |backed: bool, grid: std::ops::RangeInclusive<u32>| -> Vec<(f32, [usize; 3])> {
                grid.step_by(5)
                    .map(|step| {
                        let cut = step as f32 * THRESHOLD_STEP;
                        let mut c = [0usize; 3];
                        for ((scores, row), rules) in held_back.iter().zip(truth).zip(rule_gives) {
                            if rules[t] != backed {
                                continue;
                            }
                            match (scores[t] >= cut, row[t]) {
                                (true, true) => c[0] += 1,
                                (true, false) => c[1] += 1,
                                (false, true) => c[2] += 1,
                                _ => {}
                            }
                        }
                        (cut, c)
                    })
                    .collect()
            };
        let backed = counts(true, RULE_BACKED_GRID);
        let alone = counts(false, THRESHOLD_GRID);
        // Ties go to the pair nearest the model's own cut, so flat regions do not drift.
        let mut best = (f32::MIN, f32::MAX, model_cuts[t], model_cuts[t]);
        for (cut_b, b) in &backed {
            for (cut_a, a) in &alone {
                let (tp, fp, fn_) = (b[0] + a[0], b[1] + a[1], b[2] + a[2]);
                let f1 = 2.0 * tp as f32 / (2 * tp + fp + fn_).max(1) as f32;
                let drift = (cut_b - model_cuts[t]).abs() + (cut_a - model_cuts[t]).abs();
                if f1 > best.0 + 1e-6 || ((f1 - best.0).abs() <= 1e-6 && drift < best.1) {
                    best = (f1, drift, *cut_b, *cut_a);
                }
            }
        }
        with_rule[t] = best.2;
        without_rule[t] = best.3;
    }
    (with_rule, without_rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A separable toy problem: feature 0 decides the stance, feature 1 the theme.
    fn toy() -> (Vec<Vec<f32>>, Vec<usize>, Vec<Vec<bool>>) {
        let mut x = Vec::new();
        let mut s = Vec::new();
        let mut t = Vec::new();
        for i in 0..80 {
            let a = (i % 4) as f32;
            let b = if i % 3 == 0 { 1.0 } else { -1.0 };
            x.push(vec![a, b, (i % 7) as f32 * 0.1]);
            s.push(i % 4);
            t.push(vec![b > 0.0, false]);
        }
        (x, s, t)
    }

    #[test]
    fn heads_learn_a_separable_problem() {
        let (x, s, t) = toy();
        let settings = TrainSettings {
            steps: 400,
            learning_rate: 0.05,
            l2: 1e-4,
            ..Default::default()
        };
        let heads = Heads::train(&x, &s, &t, &settings).unwrap();
        let mut right = 0;
        for ((row, &stance), themes) in x.iter().zip(&s).zip(&t) {
            let scores = heads.score(row);
            right += (scores.best_stance().0.index() == stance) as usize;
            assert_eq!(scores.themes[0] >= 0.5, themes[0]);
            assert!((scores.stance.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        assert!(right >= 76, "{right}/80 stances right");
    }

    #[test]
    fn soft_rows_teach_what_the_labelled_rows_do_not_show() {
        // Labelled rows: feature 1 alone tells the theme, feature 2 stays near zero. Soft
        // rows: a teacher that gives the theme exactly when feature 2 is high, and the
        // stance by feature 2 too. Only the student that learnt them follows feature 2.
        let (x, s, t) = toy();
        let settings = TrainSettings {
            steps: 300,
            learning_rate: 0.05,
            l2: 1e-3,
            ..Default::default()
        };
        let soft_x: Vec<Vec<f32>> = (0..60)
            .map(|i| vec![1.5, 0.0, if i % 2 == 0 { 3.0 } else { -3.0 }])
            .collect();
        let soft_stance: Vec<Vec<f32>> = (0..60)
            .map(|i| {
                if i % 2 == 0 {
                    vec![0.9, 0.1, 0.0, 0.0]
                } else {
                    vec![0.0, 0.0, 0.1, 0.9]
                }
            })
            .collect();
        let soft_themes: Vec<Vec<f32>> = (0..60)
            .map(|i| vec![if i % 2 == 0 { 0.95 } else { 0.05 }, 0.0])
            .collect();
        let soft = SoftTargets {
            features: soft_x.iter().map(Vec::as_slice).collect(),
            stance: soft_stance.iter().map(Vec::as_slice).collect(),
            themes: soft_themes.iter().map(Vec::as_slice).collect(),
            weight: 1.0,
        };
        let student = Heads::train_with_soft(&x, &s, &t, Some(&soft), &settings).unwrap();
        let plain = Heads::train(&x, &s, &t, &settings).unwrap();
        let high = student.score(&[1.5, 0.0, 3.0]);
        let low = student.score(&[1.5, 0.0, -3.0]);
        assert!(
            high.themes[0] > 0.7 && low.themes[0] < 0.3,
            "{high:?} {low:?}"
        );
        assert_eq!(high.best_stance().0, Stance::Strength);
        assert_eq!(low.best_stance().0, Stance::Context);
        let plain_gap =
            plain.score(&[1.5, 0.0, 3.0]).themes[0] - plain.score(&[1.5, 0.0, -3.0]).themes[0];
        assert!(
            plain_gap.abs() < high.themes[0] - low.themes[0],
            "{plain_gap}"
        );

        // Soft rows of weight 0 change nothing.
        let weightless = SoftTargets {
            weight: 0.0,
            ..soft
        };
        let same = Heads::train_with_soft(&x, &s, &t, Some(&weightless), &settings).unwrap();
        assert_eq!(same.stance_weight, plain.stance_weight);
        assert_eq!(same.theme_weight, plain.theme_weight);

        // Rows of the wrong width are refused.
        let narrow = SoftTargets {
            features: vec![&[1.0, 2.0]],
            stance: vec![&[0.25; 4]],
            themes: vec![&[0.5, 0.5]],
            weight: 1.0,
        };
        assert!(Heads::train_with_soft(&x, &s, &t, Some(&narrow), &settings).is_err());
    }

    #[test]
    fn heads_survive_a_save_and_load() {
        let (x, s, t) = toy();
        let mut heads = Heads::train(
            &x,
            &s,
            &t,
            &TrainSettings {
                steps: 20,
                ..Default::default()
            },
        )
        .unwrap();
        heads.theme_threshold = vec![0.3, 0.7];
        // A memory over feature 0 (a 1-wide "embedding" with no neighbour blocks).
        heads.memory = Some(ThemeMemory::build(&x, &t, 1, 0, MemorySettings::default()).unwrap());
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("heads.safetensors");
        heads.save(&path).unwrap();
        let back = Heads::load(&path).unwrap();
        assert_eq!(back.theme_threshold, vec![0.3, 0.7]);
        assert_eq!(back.stance_weight, heads.stance_weight);
        assert_eq!(back.memory, heads.memory);
        let scores = back.score(&x[5]);
        assert_eq!(scores, heads.score(&x[5]));
        assert_eq!(scores.memory_votes.len(), 2);
        // Saved for others to read, like every other output.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o044, 0o044, "mode {mode:o}");
        }
        // Saving the same heads again gives the same bytes.
        let again = tmp.path().join("again.safetensors");
        heads.save(&again).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&again).unwrap()
        );
    }

    #[test]
    fn training_is_deterministic() {
        let (x, s, t) = toy();
        let settings = TrainSettings {
            steps: 30,
            ..Default::default()
        };
        let a = Heads::train(&x, &s, &t, &settings).unwrap();
        let b = Heads::train(&x, &s, &t, &settings).unwrap();
        assert_eq!(a.theme_weight, b.theme_weight);
        assert_eq!(a.stance_bias, b.stance_bias);
    }

    /// NaN or infinite weights or thresholds give NaN scores (no theme, or a failed save far
    /// from the cause): refused on loading, naming the file and the tensor.
    #[test]
    fn heads_with_a_non_finite_number_are_refused_naming_the_tensor() {
        let (x, s, t) = toy();
        let settings = TrainSettings {
            steps: 5,
            ..Default::default()
        };
        let tmp = tempfile::tempdir().unwrap();
        for (k, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
            .into_iter()
            .enumerate()
        {
            let mut heads = Heads::train(&x, &s, &t, &settings).unwrap();
            heads.theme_threshold[1] = bad;
            let path = tmp.path().join(format!("nan{k}.safetensors"));
            heads.save(&path).unwrap();
            let err = format!("{:#}", Heads::load(&path).unwrap_err());
            assert!(err.contains(&format!("nan{k}.safetensors")), "{err}");
            assert!(err.contains("tensor themes.threshold holds"), "{err}");
            assert!(err.contains("not a finite number"), "{err}");
        }
    }

    #[test]
    fn a_broken_heads_file_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("bad.safetensors");
        std::fs::write(&path, b"not safetensors").unwrap();
        let err = Heads::load(&path).unwrap_err();
        assert!(format!("{err:#}").contains("bad.safetensors"));
    }

    #[test]
    fn thresholds_move_to_the_f1_best_cut() {
        // Positives score 0.3, negatives 0.1: any cut in (0.1, 0.3] is perfect; the one
        // nearest 0.5 is 0.30.
        let mut scores = Vec::new();
        let mut truth = Vec::new();
        for i in 0..40 {
            let positive = i % 4 == 0;
            scores.push(vec![if positive { 0.3 } else { 0.1 }, 0.9]);
            truth.push(vec![positive, i == 0]);
        }
        let cuts = choose_thresholds(&scores, &truth);
        assert!((cuts[0] - 0.3).abs() < 1e-6, "{cuts:?}");
        assert_eq!(cuts[1], 0.5, "too few positives keeps 0.5");
    }
}
