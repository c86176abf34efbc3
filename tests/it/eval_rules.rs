//! The rules classifier, the taxonomy file and the eval metrics, tested on hand-computed
//! examples, on LABELLING.md's own examples and on the shared labelled sentences.

use std::path::Path;

use ofsted_themes::classify::RulesClassifier;
use ofsted_themes::eval::{self, StanceMetrics, ThemeMetrics};
use ofsted_themes::taxonomy::{Taxonomy, DEFAULT_TOML};
use ofsted_themes::types::{SentenceInput, Stance};

fn rules() -> RulesClassifier {
    RulesClassifier::new(Taxonomy::bundled())
}

fn sentence(text: &str) -> SentenceInput<'_> {
    SentenceInput {
        text,
        ..SentenceInput::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// ---- metrics on a toy example, computed by hand ----

#[test]
fn stance_metrics_match_a_hand_computed_example() {
    use Stance::*;
    let pairs = [
        (Strength, Strength),
        (Strength, Strength),
        (Strength, Weakness),
        (Weakness, Weakness),
        (Weakness, Strength),
        (Recommendation, Recommendation),
        (Context, Strength),
        (Context, Context),
    ];
    let m = StanceMetrics::compute(&pairs);
    assert_eq!(m.n, 8);
    assert_eq!(
        m.confusion,
        [[2, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]]
    );
    let s = m.class(Strength);
    assert!(close(s.precision, 0.5) && close(s.recall, 2.0 / 3.0));
    assert!(close(s.f1, 4.0 / 7.0), "strength F1 {}", s.f1);
    assert_eq!((s.support, s.predicted), (3, 4));
    let w = m.class(Weakness);
    assert!(close(w.precision, 0.5) && close(w.recall, 0.5) && close(w.f1, 0.5));
    let r = m.class(Recommendation);
    assert!(close(r.f1, 1.0));
    let c = m.class(Context);
    assert!(close(c.precision, 1.0) && close(c.recall, 0.5) && close(c.f1, 2.0 / 3.0));
    assert!(close(m.macro_f1, (4.0 / 7.0 + 0.5 + 1.0 + 2.0 / 3.0) / 4.0));
    assert!(close(m.accuracy, 5.0 / 8.0));
}

#[test]
fn theme_metrics_match_a_hand_computed_example() {
    let pairs: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["a", "b"], vec!["a"]),
        (vec!["a"], vec!["a", "c"]),
        (vec![], vec![]),
        (vec!["b"], vec!["b"]),
    ];
    let m = ThemeMetrics::compute(&pairs);
    let a = m.per_theme["a"];
    assert!(close(a.precision, 1.0) && close(a.recall, 1.0) && close(a.f1, 1.0));
    let b = m.per_theme["b"];
    assert!(close(b.precision, 1.0) && close(b.recall, 0.5) && close(b.f1, 2.0 / 3.0));
    assert_eq!(b.support, 2);
    let c = m.per_theme["c"];
    assert!(close(c.precision, 0.0) && close(c.f1, 0.0));
    assert_eq!((c.support, c.predicted), (0, 1));
    assert!(close(m.micro.precision, 0.75) && close(m.micro.recall, 0.75));
    assert!(close(m.micro.f1, 0.75));
    // Macro over themes with support: a and b, not c.
    assert!(
        close(m.macro_f1, (1.0 + 2.0 / 3.0) / 2.0),
        "macro {}",
        m.macro_f1
    );
    assert!(close(m.exact_match, 0.5));
}

// ---- the classifier ----

#[test]
fn labelling_guide_examples_are_classified_as_the_guide_says() {
    let c = rules();
    let examples: [(&str, Stance, &[&str]); 6] = [
        (
            "Early help arrangements are good.",
            Stance::Strength,
            &["early_help"],
        ),
        (
            "Some plans focus too much on the needs of adults.",
            Stance::Weakness,
            &["planning"],
        ),
        (
            "The quality of return home interviews should improve.",
            Stance::Recommendation,
            &["exploitation_missing"],
        ),
        (
            "Inspectors looked at the local authority's arrangements for the front door.",
            Stance::Context,
            &["front_door"],
        ),
        (
            "Management oversight is effective.",
            Stance::Strength,
            &["management_oversight"],
        ),
        (
            "Senior leaders have a clear vision for improving services.",
            Stance::Strength,
            &["leadership"],
        ),
    ];
    for (text, stance, themes) in examples {
        let label = c.classify(&sentence(text));
        assert_eq!(label.stance, stance, "{text:?}: {:?}", label.evidence);
        let got: Vec<&str> = label.themes.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(got, themes, "{text:?}: {:?}", label.evidence);
    }
}

#[test]
fn labelling_guide_hard_cases() {
    let c = rules();
    let cases = [
        (
            "Assessments are timely, but their quality is variable.",
            Stance::Weakness,
        ),
        ("Plans are not time-bound.", Stance::Weakness),
        ("Plans should be time-bound.", Stance::Recommendation),
        (
            "Practice has improved since the last inspection.",
            Stance::Strength,
        ),
        (
            "Leaders have taken action, but it is too early to see impact.",
            Stance::Weakness,
        ),
        (
            "At the last inspection in 2017 the authority was judged good.",
            Stance::Context,
        ),
        ("Overall effectiveness is good.", Stance::Strength),
        (
            "The service was rated as requires improvement to be good.",
            Stance::Weakness,
        ),
    ];
    for (text, stance) in cases {
        let label = c.classify(&sentence(text));
        assert_eq!(label.stance, stance, "{text:?}: {:?}", label.evidence);
    }
}

#[test]
fn scores_are_in_range_and_evidence_names_the_cues() {
    let c = rules();
    let label = c.classify(&sentence(
        "Return home interviews are not always completed for children who go missing.",
    ));
    assert_eq!(label.stance, Stance::Weakness);
    assert!((0.0..=1.0).contains(&label.stance_score));
    assert!(label.themes.len() <= 3);
    for t in &label.themes {
        assert!((0.0..=1.0).contains(&t.score), "{t:?}");
    }
    assert!(
        label.evidence.iter().any(|e| e == "weakness: 'not always'"),
        "{:?}",
        label.evidence
    );
    assert!(
        label
            .evidence
            .iter()
            .any(|e| e.starts_with("theme exploitation_missing: 'return home interview")),
        "{:?}",
        label.evidence
    );
}

#[test]
fn cues_respect_word_boundaries_and_match_plurals() {
    let c = rules();
    let goodbye = c.classify(&sentence(
        "The children said goodbye to their social worker today.",
    ));
    assert!(
        !goodbye.evidence.iter().any(|e| e.contains("'good")),
        "'good' fired inside 'goodbye': {:?}",
        goodbye.evidence
    );
    let leavers = c.classify(&sentence(
        "Care leavers are supported by personal advisers.",
    ));
    assert!(
        leavers.themes.iter().any(|t| t.id == "care_leavers"),
        "{:?}",
        leavers.evidence
    );
    // "send" (special educational needs) must not fire inside "sending" or "resend".
    let sending = c.classify(&sentence(
        "The team is sending letters to families each week.",
    ));
    assert!(!sending.themes.iter().any(|t| t.id == "disabled_children"));
    // Curly apostrophes match straight ones in cues.
    let views = c.classify(&sentence(
        "Children\u{2019}s views are recorded in their plans.",
    ));
    assert!(
        views.themes.iter().any(|t| t.id == "voice_of_child"),
        "{:?}",
        views.evidence
    );
}

#[test]
fn improvement_list_items_are_recommendations() {
    let c = rules();
    let item = SentenceInput {
        text: "The quality of plans for children in need.",
        section: "What needs to improve?",
        in_improvement_list: true,
        ..SentenceInput::default()
    };
    let label = c.classify(&item);
    assert_eq!(label.stance, Stance::Recommendation);
    assert!(label
        .evidence
        .iter()
        .any(|e| e == "structure: improvement list"));
    assert!(label.themes.iter().any(|t| t.id == "planning"));
    // The heading alone (section) is enough, even for a positive-sounding item.
    let by_section = SentenceInput {
        text: "Effective management oversight of children's cases.",
        section: "Areas for priority action",
        ..SentenceInput::default()
    };
    assert_eq!(c.classify(&by_section).stance, Stance::Recommendation);
    // The same text outside the list is not a recommendation.
    let plain = sentence("Effective management oversight of children's cases.");
    assert_ne!(c.classify(&plain).stance, Stance::Recommendation);
}

#[test]
fn features_are_stable_and_named() {
    let c = rules();
    let names = c.feature_names();
    let themes = c.taxonomy().themes.len();
    assert_eq!(names[0], "theme:early_help");
    assert!(names.contains(&"improvement_list".to_string()));
    let input = SentenceInput {
        text: "Leaders should ensure that early help assessments are not always delayed.",
        prev: "Plans are weak.",
        in_improvement_list: true,
        ..SentenceInput::default()
    };
    let f = c.features(&input);
    assert_eq!(f.len(), names.len());
    assert_eq!(f.len(), themes + 28);
    let at = |name: &str| f[names.iter().position(|n| n == name).unwrap()];
    assert!(at("theme:early_help") >= 1.0);
    assert_eq!(at("improvement_list"), 1.0);
    assert_eq!(at("modal_should"), 1.0);
    assert!(at("stance_cue:weakness") >= 1.0);
    assert!(at("prev:weakness") >= 1.0);
    let p: f32 = ["strength", "weakness", "recommendation", "context"]
        .iter()
        .map(|s| at(&format!("rules_p:{s}")))
        .sum();
    assert!((p - 1.0).abs() < 1e-4);
    assert_eq!(f, c.features(&input), "features are deterministic");
}

// ---- the taxonomy file ----

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

fn parse_error(text: &str) -> String {
    format!("{:#}", Taxonomy::parse(text, "my.toml").unwrap_err())
}

#[test]
fn bundled_taxonomy_has_the_26_themes_of_the_guide() {
    let t = Taxonomy::bundled();
    assert_eq!(t.themes.len(), 26);
    assert!(t.theme("early_help").is_some() && t.theme("recording").is_some());
    assert!(DEFAULT_TOML.contains("bump `version`"));
}

#[test]
fn taxonomy_errors_name_the_file_and_line() {
    // An unknown field.
    let text = DEFAULT_TOML.replacen("id = \"neglect\"", "id = \"neglect\"\ncolour = \"red\"", 1);
    let err = parse_error(&text);
    let line = line_of(&text, "colour = ");
    assert!(err.contains(&format!("my.toml, line {line}")), "{err}");
    assert!(err.contains("colour"), "{err}");

    // An empty cue.
    let text = DEFAULT_TOML.replacen("cues = [\"neglect\"", "cues = [\"\", \"neglect\"", 1);
    let err = parse_error(&text);
    let line = line_of(&text, "cues = [\"\", \"neglect\"");
    assert!(
        err.contains(&format!("my.toml, line {line}")) && err.contains("empty cue"),
        "{err}"
    );

    // A duplicate theme id.
    let text = DEFAULT_TOML.replacen("id = \"neglect\"", "id = \"domestic_abuse\"", 1);
    let err = parse_error(&text);
    let line = line_of(&text, "id = \"domestic_abuse\"\nname = \"Neglect\"");
    assert!(err.contains(&format!("my.toml, line {line}")), "{err}");
    assert!(err.contains("appears twice"), "{err}");

    // A theme with no cues.
    let text = DEFAULT_TOML.replacen(
        "cues = [\"private fostering\", \"privately fostered\", \"private foster*\"]",
        "cues = []",
        1,
    );
    assert_ne!(text, DEFAULT_TOML);
    let err = parse_error(&text);
    let line = line_of(&text, "cues = []");
    assert!(
        err.contains(&format!("my.toml, line {line}")) && err.contains("no cues"),
        "{err}"
    );

    // A TOML syntax error.
    let text = DEFAULT_TOML.replacen("weak_cue_weight = ", "weak_cue_weight = = ", 1);
    let err = parse_error(&text);
    let line = line_of(&text, "weak_cue_weight = =");
    assert!(err.contains(&format!("my.toml, line {line}")), "{err}");

    // A threshold out of range.
    let text = DEFAULT_TOML.replacen("min_theme_score = ", "min_theme_score = 7 #", 1);
    let err = parse_error(&text);
    assert!(err.contains("min_theme_score must be in [0, 1]"), "{err}");
}

#[test]
fn a_missing_taxonomy_file_is_named() {
    let err = Taxonomy::load(Path::new("/no/such/taxonomy.toml")).unwrap_err();
    assert!(format!("{err:#}").contains("/no/such/taxonomy.toml"));
}

// ---- eval over the labelled sentences ----

#[test]
fn bad_jsonl_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(
        &path,
        "{\"id\": \"x1\", \"text\": \"Plans are weak.\", \"stance\": \"weakness\", \"themes\": [\"planning\"]}\n\n{\"id\": \"x2\", \"text\": \"oops\", \"stance\": \"great\"}\n",
    )
    .unwrap();
    let err = format!("{:#}", eval::read_labelled(&path).unwrap_err());
    assert!(err.contains("bad.jsonl, line 3"), "{err}");
}

/// The rules' scores on `path` (at least `min_rows` labelled sentences) must not fall under
/// the floors: floors just under what the bundled rules reach, so that a change to the cues
/// that lowers them is a conscious one.
fn rules_stay_above(path: &Path, min_rows: usize, stance_macro_f1: f64, theme_micro_f1: f64) {
    let rows = eval::read_labelled(path).expect("the labelled file reads");
    assert!(rows.len() >= min_rows, "only {} rows", rows.len());
    let report = eval::evaluate(&rules(), &rows).unwrap();
    println!("{report}");
    assert_eq!(report.stance.n, rows.len());
    assert!(
        report.stance.macro_f1 >= stance_macro_f1,
        "stance macro-F1 {:.3} fell under {stance_macro_f1}",
        report.stance.macro_f1
    );
    assert!(
        report.themes.micro.f1 >= theme_micro_f1,
        "theme micro-F1 {:.3} fell under {theme_micro_f1}",
        report.themes.micro.f1
    );
}

/// On the shared labelled file (6,858 sentences, 1,518 of them hard cases chosen where the
/// classifiers disagreed, and 1,203 of news) the rules score stance macro-F1 0.634 and theme
/// micro-F1 0.699 (`ofsted-themes eval --labels ../shared/training/labelled.jsonl
/// --rules-only`; 0.707 and 0.702 without the hard cases). The file of 4,652 sentences
/// before them gave 0.742 and 0.702.
const SHARED_STANCE_FLOOR: f64 = 0.62;
const SHARED_THEME_FLOOR: f64 = 0.69;

/// On the fixtures' 36 labelled sentences the rules score stance macro-F1 0.821 and theme
/// micro-F1 0.848.
const FIXTURE_STANCE_FLOOR: f64 = 0.80;
const FIXTURE_THEME_FLOOR: f64 = 0.82;

#[test]
fn eval_over_the_labelled_sentences_stays_above_the_floor() {
    let path = shared_or_skip!("training/labelled.jsonl");
    rules_stay_above(&path, 6000, SHARED_STANCE_FLOOR, SHARED_THEME_FLOOR);
}

/// The fixtures' own labelled sentences (tests/fixtures/labelled.jsonl, labelled for these
/// tests from the fixture reports): the same check in a clone without ../shared. Items of
/// improvement lists carry no structure there, so the rules miss some recommendations.
#[test]
fn eval_over_the_fixture_sentences_stays_above_the_floor() {
    let path = crate::util::fixture("labelled.jsonl");
    rules_stay_above(&path, 30, FIXTURE_STANCE_FLOOR, FIXTURE_THEME_FLOOR);
}

#[test]
fn an_edited_copy_of_the_taxonomy_changes_the_labels() {
    let text = "Young carers receive a prompt service.";
    let before = rules().classify(&sentence(text));
    assert!(!before.themes.iter().any(|t| t.id == "neglect"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-taxonomy.toml");
    let edited = DEFAULT_TOML.replacen(
        "cues = [\"neglect\"",
        "cues = [\"young carer\", \"neglect\"",
        1,
    );
    assert_ne!(edited, DEFAULT_TOML);
    std::fs::write(&path, edited).unwrap();
    let mine = RulesClassifier::new(Taxonomy::load(&path).expect("the edited copy loads"));
    let after = mine.classify(&sentence(text));
    assert!(
        after.themes.iter().any(|t| t.id == "neglect"),
        "{:?}",
        after.evidence
    );
    assert!(after
        .evidence
        .iter()
        .any(|e| e == "theme neglect: 'young carers'"));
}
