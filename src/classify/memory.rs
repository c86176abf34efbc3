//! The theme memory: the themes of the labelled sentences most like a sentence, blended
//! into the logistic theme probabilities.
//!
//! A logistic head draws one straight boundary per theme in embedding space. Reports reuse
//! stock phrasing ("care leavers benefit from ...", "return home interviews are ..."), and
//! the nearest labelled sentences catch such local patterns where one boundary does not.
//! The memory holds no text: one embedding (rounded to half precision) and one row of
//! 0/1 themes per training sentence.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};

/// How the memory is built and read; part of [`crate::classify::heads::TrainSettings`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MemorySettings {
    /// The largest share of the memory's vote in a theme's probability (0 leaves the
    /// memory out). Each theme's share is chosen on held-back folds from 0, half this and
    /// this, as the votes help common themes and can drown rare ones.
    pub blend: f32,
    /// How many of the most similar labelled sentences vote.
    pub neighbours: usize,
    /// Votes are weighted by exp(temperature × cosine similarity): higher trusts the very
    /// closest sentences more.
    pub temperature: f32,
    /// The look-up vector is the sentence's embedding plus this times each neighbouring
    /// sentence's, as the labels of a sentence depend on where it stands.
    pub context_weight: f32,
}

impl Default for MemorySettings {
    /// The committed heads' settings. In a prototype on the same grouped 5-fold split,
    /// with one blend for every theme: 0.3 beat 0.5; 15 neighbours beat 8 and 30;
    /// temperatures 10 and 20 were level; the neighbours' embeddings at half weight in the
    /// look-up gained 0.7 points of theme micro-F1. In `ofsted-themes train`, a largest
    /// share of 0.5 instead of 0.3 measured the same.
    fn default() -> Self {
        MemorySettings {
            blend: 0.3,
            neighbours: 15,
            temperature: 10.0,
            context_weight: 0.5,
        }
    }
}

impl MemorySettings {
    /// Settings for heads without a memory (older cards have no `memory` entry).
    pub fn off() -> Self {
        MemorySettings {
            blend: 0.0,
            ..Self::default()
        }
    }
}

/// The labelled sentences the heads were trained on, as look-up vectors and themes.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeMemory {
    pub settings: MemorySettings,
    /// Each theme's share of the memory's vote, in [0, `settings.blend`].
    pub blend: Vec<f32>,
    /// Width of one sentence embedding.
    pub dim: usize,
    /// How many neighbour embeddings follow the sentence's in a feature row.
    pub context_blocks: usize,
    /// Unit-length look-up vectors, one per training sentence, rounded to half precision
    /// (as they are saved, so saved and unsaved heads score alike).
    pub keys: Vec<Vec<f32>>,
    /// The themes of each training sentence.
    pub themes: Vec<Vec<bool>>,
}

impl ThemeMemory {
    /// A memory of the rows whose features are `features` (sentence embedding first, then
    /// `context_blocks` neighbour embeddings of width `dim`) and whose themes are `themes`.
    pub fn build(
        features: &[Vec<f32>],
        themes: &[Vec<bool>],
        dim: usize,
        context_blocks: usize,
        settings: MemorySettings,
    ) -> Result<ThemeMemory> {
        let keys: Vec<Vec<f32>> = features
            .iter()
            .map(|f| look_up_vector(f, dim, context_blocks, settings.context_weight))
            .collect();
        let k = themes.first().map_or(0, |r| r.len());
        Ok(ThemeMemory {
            settings,
            blend: vec![settings.blend; k],
            dim,
            context_blocks,
            keys: round_to_half(&keys, dim)?,
            themes: themes.to_vec(),
        })
    }

    /// Each theme's share of the similarity-weighted votes of the nearest labelled
    /// sentences, in [0, 1].
    pub fn votes(&self, features: &[f32]) -> Vec<f32> {
        let k = self.themes.first().map_or(0, |r| r.len());
        let query = look_up_vector(
            features,
            self.dim,
            self.context_blocks,
            self.settings.context_weight,
        );
        let mut similar: Vec<(f32, usize)> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, key)| (dot(key, &query), i))
            .collect();
        // Most similar first; ties by training order, so the result never depends on sorting.
        let n = self.settings.neighbours.min(similar.len());
        if n == 0 {
            return vec![0.0; k];
        }
        similar.select_nth_unstable_by(n - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        similar.truncate(n);
        similar.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top = similar.iter().map(|s| s.0).fold(f32::MIN, f32::max);
        let mut votes = vec![0f32; k];
        let mut total = 0f32;
        for &(sim, i) in &similar {
            let w = (self.settings.temperature * (sim - top)).exp();
            total += w;
            for (v, &has) in votes.iter_mut().zip(&self.themes[i]) {
                if has {
                    *v += w;
                }
            }
        }
        votes.iter().map(|v| v / total).collect()
    }

    /// The candidate shares of the memory's vote, for choosing each theme's.
    pub fn blend_grid(&self) -> [f32; 3] {
        let b = self.settings.blend;
        [0.0, b / 2.0, b]
    }

    /// Logistic probabilities with the memory's votes blended in, theme by theme.
    pub fn blended(&self, logistic: &[f32], votes: &[f32]) -> Vec<f32> {
        logistic
            .iter()
            .zip(votes)
            .zip(&self.blend)
            .map(|((&p, &v), &share)| blend(share, p, v))
            .collect()
    }

    /// Adds the memory's tensors to `tensors` (for the heads file).
    pub fn save_into(&self, tensors: &mut HashMap<String, Tensor>) -> Result<()> {
        let device = Device::Cpu;
        let n = self.keys.len();
        let k = self.themes.first().map_or(0, |r| r.len());
        tensors.insert(
            "memory.keys".into(),
            Tensor::from_vec(self.keys.concat(), (n, self.dim), &device)?.to_dtype(DType::F16)?,
        );
        let themes: Vec<u8> = self
            .themes
            .iter()
            .flat_map(|r| r.iter().map(|&b| b as u8))
            .collect();
        tensors.insert(
            "memory.themes".into(),
            Tensor::from_vec(themes, (n, k), &device)?,
        );
        tensors.insert(
            "memory.blend".into(),
            Tensor::new(self.blend.as_slice(), &device)?,
        );
        let s = &self.settings;
        tensors.insert(
            "memory.settings".into(),
            Tensor::new(
                &[
                    s.blend,
                    s.neighbours as f32,
                    s.temperature,
                    s.context_weight,
                    self.context_blocks as f32,
                ],
                &device,
            )?,
        );
        Ok(())
    }

    /// The memory in a heads file, if it has one.
    pub fn load_from(tensors: &HashMap<String, Tensor>) -> Result<Option<ThemeMemory>> {
        let (Some(keys), Some(themes), Some(blend), Some(settings)) = (
            tensors.get("memory.keys"),
            tensors.get("memory.themes"),
            tensors.get("memory.blend"),
            tensors.get("memory.settings"),
        ) else {
            return Ok(None);
        };
        let keys: Vec<Vec<f32>> = keys.to_dtype(DType::F32)?.to_vec2()?;
        let themes: Vec<Vec<bool>> = themes
            .to_vec2::<u8>()?
            .into_iter()
            .map(|r| r.into_iter().map(|b| b != 0).collect())
            .collect();
        let blend: Vec<f32> = blend.to_vec1().context("memory.blend")?;
        let s: Vec<f32> = settings.to_vec1().context("memory.settings")?;
        if s.len() != 5
            || keys.len() != themes.len()
            || themes.iter().any(|r| r.len() != blend.len())
        {
            bail!("the theme memory's tensors do not agree");
        }
        Ok(Some(ThemeMemory {
            settings: MemorySettings {
                blend: s[0],
                neighbours: s[1] as usize,
                temperature: s[2],
                context_weight: s[3],
            },
            blend,
            dim: keys.first().map_or(0, |r| r.len()),
            context_blocks: s[4] as usize,
            keys,
            themes,
        }))
    }
}

/// A probability with `share` of it taken from the memory's vote.
pub fn blend(share: f32, logistic: f32, vote: f32) -> f32 {
    (1.0 - share) * logistic + share * vote
}

/// The sentence's embedding plus `context_weight` times each of the `context_blocks`
/// neighbour embeddings after it in `features`, scaled to unit length.
fn look_up_vector(
    features: &[f32],
    dim: usize,
    context_blocks: usize,
    context_weight: f32,
) -> Vec<f32> {
    let mut v = features[..dim].to_vec();
    for block in 1..=context_blocks {
        for (x, n) in v.iter_mut().zip(&features[block * dim..(block + 1) * dim]) {
            *x += context_weight * n;
        }
    }
    let norm = dot(&v, &v).sqrt().max(1e-12);
    v.iter().map(|x| x / norm).collect()
}

/// Dot product in eight lanes, which the compiler turns into vector instructions (a plain
/// sum is kept in order and is not): a look-up is one dot product per labelled sentence.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The vectors as they come back from half precision.
fn round_to_half(rows: &[Vec<f32>], dim: usize) -> Result<Vec<Vec<f32>>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(
        Tensor::from_vec(rows.concat(), (rows.len(), dim), &Device::Cpu)?
            .to_dtype(DType::F16)?
            .to_dtype(DType::F32)?
            .to_vec2()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four labelled sentences in a 3-wide embedding space, with one neighbour block each
    /// (the neighbour is the sentence itself, so the look-up is the sentence's direction).
    fn memory(settings: MemorySettings) -> ThemeMemory {
        let rows = [
            ([1.0, 0.0, 0.0], [true, false]),
            ([0.9, 0.1, 0.0], [true, false]),
            ([0.0, 1.0, 0.0], [false, true]),
            ([0.0, 0.0, 1.0], [false, false]),
        ];
        let features: Vec<Vec<f32>> = rows
            .iter()
            .map(|(e, _)| [e.as_slice(), e.as_slice(), &[7.0]].concat())
            .collect();
        let themes: Vec<Vec<bool>> = rows.iter().map(|(_, t)| t.to_vec()).collect();
        ThemeMemory::build(&features, &themes, 3, 1, settings).unwrap()
    }

    #[test]
    fn the_nearest_sentences_vote_for_their_themes() {
        let m = memory(MemorySettings {
            neighbours: 2,
            temperature: 1.0,
            ..MemorySettings::default()
        });
        // Next to the first two sentences: both have theme 0, neither theme 1.
        let votes = m.votes(&[1.0, 0.05, 0.0, 1.0, 0.05, 0.0, 0.0]);
        assert!((votes[0] - 1.0).abs() < 1e-6, "{votes:?}");
        assert_eq!(votes[1], 0.0);
        // Nearer sentence 3 than sentence 2: both vote, sentence 3 (theme 1) the more.
        let votes = m.votes(&[0.5, 1.0, 0.0, 0.5, 1.0, 0.0, 0.0]);
        assert!(votes[1] > votes[0], "{votes:?}");
        assert!(votes[0] > 0.3 && votes[1] > 0.3, "{votes:?}");
        assert!((votes.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn the_neighbouring_sentence_moves_the_look_up() {
        let m = memory(MemorySettings {
            neighbours: 1,
            context_weight: 2.0,
            ..MemorySettings::default()
        });
        // The sentence alone would be nearest sentence 4 (no theme); its neighbour, weighted
        // twice, pulls the look-up to sentence 3 (theme 1).
        let votes = m.votes(&[0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(votes, vec![0.0, 1.0]);
    }

    #[test]
    fn blends_mix_theme_by_theme() {
        let mut m = memory(MemorySettings::default());
        m.blend = vec![0.0, 0.5];
        assert_eq!(m.blended(&[0.2, 0.2], &[1.0, 1.0]), vec![0.2, 0.6]);
        assert_eq!(m.blend_grid(), [0.0, 0.15, 0.3]);
    }

    #[test]
    fn the_memory_survives_a_save_and_load() {
        let mut m = memory(MemorySettings::default());
        m.blend = vec![0.3, 0.15];
        let mut tensors = HashMap::new();
        m.save_into(&mut tensors).unwrap();
        assert_eq!(ThemeMemory::load_from(&tensors).unwrap(), Some(m));
        assert_eq!(ThemeMemory::load_from(&HashMap::new()).unwrap(), None);
    }
}
