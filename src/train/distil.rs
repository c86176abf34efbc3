//! Distillation: heads on a stronger, slower encoder (the teacher, all-mpnet-base-v2) label
//! sentences of reports nobody labelled, and the heads being trained (the student, on
//! MiniLM) learn the teacher's probabilities beside the hand-made labels, so the fast
//! encoder gets some of the strong one's judgement.
//!
//! Cross-validation stays honest: in each fold the teacher is trained on that fold's
//! training rows only, and it labels no sentence of a group (report or authority) that is
//! held out, neither the fold's test groups nor the inner folds' held-back ones.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use super::{train_heads, GroupBy, TrainingSet};
use crate::classify::encoder::Encoder;
use crate::classify::heads::{SoftTargets, TrainSettings};
use crate::classify::RulesClassifier;
use crate::error::InputError;
use crate::eval::LabelledSentence;
use crate::types::{BlockKind, Stance};
use crate::{clean, ingest, segment};

/// The sentences of the reports under `dir` that are not headings, each once (a sentence
/// repeated across reports, as boilerplate is, is kept where it first appears) and none
/// that `labelled` holds, as rows with no labels (`stance` is a placeholder: nothing reads
/// it). `doc` is the file's path under `dir`, as in the labelled file, so folds group them
/// the same way. Files that cannot be read are returned beside them.
pub fn unlabelled_sentences(
    dir: &Path,
    labelled: &[LabelledSentence],
) -> (Vec<LabelledSentence>, Vec<InputError>) {
    let (files, mut errors) = ingest::discover(&[dir.to_path_buf()]);
    let read: Vec<Result<Vec<LabelledSentence>, InputError>> = files
        .par_iter()
        .map(|path| InputError::guard(path, || report_sentences(dir, path)))
        .collect();
    let mut seen: HashSet<String> = labelled.iter().map(|r| r.text.clone()).collect();
    let mut rows = Vec::new();
    for result in read {
        match result {
            Ok(sentences) => rows.extend(
                sentences
                    .into_iter()
                    .filter(|row| seen.insert(row.text.clone())),
            ),
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}

/// One report's sentences (headings left out), with their neighbours, as unlabelled rows.
fn report_sentences(dir: &Path, path: &Path) -> Result<Vec<LabelledSentence>, InputError> {
    let doc = ingest::read(path)?;
    let sentences = segment::segment(&clean::clean(&doc));
    let name = path
        .strip_prefix(dir)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let text = |i: Option<usize>| {
        i.and_then(|i| sentences.get(i))
            .map_or_else(String::new, |s| s.text.clone())
    };
    Ok(sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| s.block_kind != BlockKind::Heading)
        .map(|(i, s)| LabelledSentence {
            id: format!("{name}#{}", s.no),
            doc: name.clone(),
            text: s.text.clone(),
            prev: text(i.checked_sub(1)),
            next: text(Some(i + 1)),
            stance: Stance::Context,
            themes: Vec::new(),
            not_a_sentence: false,
        })
        .collect())
}

/// What distillation needs: the teacher's view of the labelled sentences, and both
/// encoders' view of the unlabelled ones.
pub struct Distillation {
    /// The labelled sentences on the teacher's encoder, rows in the student's order, with
    /// the features the teacher's settings ask for.
    teacher_labelled: TrainingSet,
    /// The unlabelled sentences on the teacher's encoder (its features) and on the
    /// student's (the student's features, as `train_heads` builds them).
    teacher_unlabelled: TrainingSet,
    student_unlabelled: TrainingSet,
    /// The group of each unlabelled row.
    groups: Vec<String>,
    pub teacher_settings: TrainSettings,
    /// A teacher-labelled row's weight beside a hand-labelled one's.
    pub weight: f32,
}

/// How the student set was built, for building the rest alike.
pub struct SetRecipe<'a> {
    pub rules: &'a RulesClassifier,
    pub use_prev: bool,
    pub cache: Option<&'a Path>,
    pub group_by: GroupBy,
    pub student_settings: &'a TrainSettings,
}

impl Distillation {
    /// Encodes the labelled rows with the teacher, and the unlabelled rows with both.
    pub fn build(
        labelled: &[LabelledSentence],
        unlabelled: &[LabelledSentence],
        teacher: &Encoder,
        student: &Encoder,
        recipe: &SetRecipe,
        teacher_settings: TrainSettings,
        weight: f32,
    ) -> Result<Distillation> {
        let set = |rows: &[LabelledSentence], encoder: &Encoder, settings: &TrainSettings| {
            log::info!(
                "encoding {} sentences with {}...",
                rows.len(),
                encoder.version()
            );
            TrainingSet::build(rows, encoder, recipe.rules, recipe.use_prev, recipe.cache)
                .map(|s| s.grouped_by(recipe.group_by).with_next(settings))
        };
        let teacher_labelled = set(labelled, teacher, &teacher_settings)?;
        let student_unlabelled = set(unlabelled, student, recipe.student_settings)?;
        let teacher_unlabelled = set(unlabelled, teacher, &teacher_settings)?;
        Ok(Distillation {
            groups: teacher_unlabelled.groups(),
            teacher_labelled,
            teacher_unlabelled,
            student_unlabelled,
            teacher_settings,
            weight,
        })
    }

    /// Unlabelled sentences the teacher can label.
    pub fn unlabelled_len(&self) -> usize {
        self.groups.len()
    }

    /// The teacher trained on `rows` of the labelled set, and its probabilities for the
    /// unlabelled rows from none of the `held_out` groups.
    pub fn teach(&self, rows: &[usize], held_out: &BTreeSet<&str>) -> Result<Taught<'_>> {
        let teacher = train_heads(&self.teacher_labelled, rows, &self.teacher_settings, None)?;
        let taught: Vec<usize> = (0..self.groups.len())
            .filter(|&i| !held_out.contains(self.groups[i].as_str()))
            .collect();
        let scores: Vec<_> = taught
            .par_iter()
            .map(|&i| teacher.score(&self.teacher_unlabelled.features[i]))
            .collect();
        let (stance, themes) = scores.into_iter().map(|s| (s.stance, s.themes)).unzip();
        Ok(Taught {
            distillation: self,
            rows: taught,
            stance,
            themes,
        })
    }
}

/// A teacher's probabilities for some unlabelled rows.
pub struct Taught<'a> {
    distillation: &'a Distillation,
    rows: Vec<usize>,
    stance: Vec<Vec<f32>>,
    themes: Vec<Vec<f32>>,
}

impl Taught<'_> {
    /// The student's soft targets: the taught rows from none of the `held_out` groups.
    pub fn targets(&self, held_out: &BTreeSet<&str>) -> SoftTargets<'_> {
        let d = self.distillation;
        let mut targets = SoftTargets {
            features: Vec::new(),
            stance: Vec::new(),
            themes: Vec::new(),
            weight: d.weight,
        };
        for (k, &i) in self.rows.iter().enumerate() {
            if !held_out.contains(d.groups[i].as_str()) {
                targets.features.push(&d.student_unlabelled.features[i]);
                targets.stance.push(&self.stance[k]);
                targets.themes.push(&self.themes[k]);
            }
        }
        targets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::memory::MemorySettings;
    use crate::train::tests::toy_set;

    #[test]
    fn unlabelled_sentences_are_named_as_labelled_docs_are_and_a_bad_file_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        std::fs::create_dir(tmp.path().join("ilacs")).unwrap();
        for name in [
            "blackpool_2019-01-17_ilacs.pdf",
            "walsall_2017-09-04_ilacs.pdf",
        ] {
            std::fs::copy(
                fixtures.join("ilacs").join(name),
                tmp.path().join("ilacs").join(name),
            )
            .unwrap();
        }
        std::fs::write(
            tmp.path().join("ilacs/broken_2020-01-01_ilacs.pdf"),
            b"%PDF-1.4 no",
        )
        .unwrap();

        let (all, errors) = unlabelled_sentences(tmp.path(), &[]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .contains("broken_2020-01-01_ilacs.pdf"),
            "{}",
            errors[0]
        );
        let docs: BTreeSet<&str> = all.iter().map(|r| r.doc.as_str()).collect();
        assert_eq!(
            docs,
            BTreeSet::from([
                "ilacs/blackpool_2019-01-17_ilacs.pdf",
                "ilacs/walsall_2017-09-04_ilacs.pdf"
            ])
        );
        assert!(all.len() > 200, "{} sentences", all.len());
        let texts: HashSet<&str> = all.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts.len(), all.len(), "each sentence once");
        // Neighbours are the report's own sentences around it.
        let following = all
            .windows(2)
            .filter(|w| w[0].doc == w[1].doc && w[0].next == w[1].text && w[1].prev == w[0].text)
            .count();
        assert!(following * 2 > all.len(), "{following} of {}", all.len());

        // A labelled sentence is not taken again.
        let labelled = LabelledSentence {
            text: all[10].text.clone(),
            ..all[0].clone()
        };
        let (without, _) = unlabelled_sentences(tmp.path(), &[labelled]);
        assert_eq!(without.len(), all.len() - 1);
        assert!(without.iter().all(|r| r.text != all[10].text));
    }

    #[test]
    fn the_teacher_labels_no_sentence_of_a_held_out_group() {
        let labelled = toy_set();
        let mut unlabelled = toy_set();
        unlabelled.docs = (0..unlabelled.len())
            .map(|i| format!("report-{}", i % 8))
            .collect();
        let settings = TrainSettings {
            memory: MemorySettings::off(),
            ..Default::default()
        };
        let distillation = Distillation {
            groups: unlabelled.groups(),
            teacher_labelled: labelled,
            teacher_unlabelled: unlabelled.with_next(&settings),
            student_unlabelled: unlabelled,
            teacher_settings: settings,
            weight: 0.5,
        };
        let all: Vec<usize> = (0..80).collect();
        let taught = distillation
            .teach(&all, &BTreeSet::from(["report-1"]))
            .unwrap();
        assert_eq!(taught.rows.len(), 70);
        assert!(taught
            .rows
            .iter()
            .all(|&i| distillation.groups[i] != "report-1"));
        for stance in &taught.stance {
            assert!((stance.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        let targets = taught.targets(&BTreeSet::from(["report-2"]));
        assert_eq!(targets.features.len(), 60);
        assert_eq!(targets.weight, 0.5);
        assert_eq!(taught.targets(&BTreeSet::new()).features.len(), 70);
    }
}
