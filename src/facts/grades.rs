//! Graded judgements: the table at the top of an inspection report, or what a news
//! article says the grades were.
//!
//! All functions take flattened text (see `crate::text::flatten`).

use regex::Regex;
use std::sync::LazyLock;

use crate::types::{Grade, Grades};

/// The grade a phrase at the start of `text` names, and the phrase's length in bytes.
/// A word that merely starts like a grade ("good-quality", "goodwill") is not one.
pub fn grade_at(text: &str) -> Option<(Grade, usize)> {
    Grade::PHRASES.iter().find_map(|&(phrase, grade, _)| {
        let candidate = text.get(..phrase.len())?;
        if !candidate.eq_ignore_ascii_case(phrase) {
            return None;
        }
        let next = text[phrase.len()..].chars().next();
        let word_goes_on = next.is_some_and(|c| c.is_alphanumeric() || c == '-');
        (!word_goes_on).then_some((grade, phrase.len()))
    })
}

/// One of the graded judgements of [`Grades`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judgement {
    Overall,
    Leaders,
    HelpAndProtection,
    ChildrenInCare,
    CareLeavers,
    Adoption,
    Lscb,
}

fn slot(grades: &mut Grades, judgement: Judgement) -> &mut Option<Grade> {
    match judgement {
        Judgement::Overall => &mut grades.overall_effectiveness,
        Judgement::Leaders => &mut grades.impact_of_leaders,
        Judgement::HelpAndProtection => &mut grades.help_and_protection,
        Judgement::ChildrenInCare => &mut grades.children_in_care,
        Judgement::CareLeavers => &mut grades.care_leavers,
        Judgement::Adoption => &mut grades.adoption,
        Judgement::Lscb => &mut grades.lscb,
    }
}

/// How each judgement is labelled in a report's grade table, ILACS (2018 on) and SIF
/// (2013-2018). The grade follows the label directly, after a colon or dash at most.
/// Children in care "and care leavers" was one judgement until 2023: it is read as the
/// children-in-care grade, and care leavers are left ungraded.
const TABLE_LABELS: &[(Judgement, &str)] = &[
    (Judgement::Overall, r"overall effectiveness"),
    (
        Judgement::Leaders,
        r"impact of leaders on social work practice with children and families",
    ),
    (
        Judgement::Leaders,
        r"leadership,? management and governance",
    ),
    (
        Judgement::HelpAndProtection,
        r"children who need help and protection",
    ),
    (
        Judgement::ChildrenInCare,
        r"children looked after and achieving permanence",
    ),
    (
        Judgement::ChildrenInCare,
        r"experiences (?:and progress )?of children in care(?: and care leavers)?",
    ),
    (
        Judgement::CareLeavers,
        r"experiences (?:and progress )?of (?:children )?care leavers",
    ),
    (Judgement::Adoption, r"adoption performance"),
    (
        Judgement::Lscb,
        r"(?:effectiveness of )?the local safeguarding children(?:'?s)?(?: board)?(?: \(lscb\))?(?: is| are)?",
    ),
];

/// SIF reports state the overall judgement in a sentence: "Children's services in
/// <authority> are inadequate", "Children's services in <authority> requires improvement
/// to be good", "The overall judgement is that children's services require improvement".
/// Words (the authority's name) may stand between these and the grade.
static OVERALL_SENTENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:children'?s services in|the overall judgement is)\b")
        .expect("valid overall sentence regex")
});

static TABLE_REGEXES: LazyLock<Vec<(Judgement, Regex)>> = LazyLock::new(|| {
    TABLE_LABELS
        .iter()
        .map(|&(j, label)| {
            let re = Regex::new(&format!(r"(?i)\b{label}")).expect("valid judgement label");
            (j, re)
        })
        .collect()
});

/// Skips what may stand between a table label and its grade: spaces, a colon, a dash.
fn skip_separators(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—'))
}

/// Grades from a report's judgement table (or judgement headings), first statement of
/// each judgement winning.
pub fn from_report(text: &str) -> Grades {
    let mut grades = Grades::default();
    for (judgement, label) in TABLE_REGEXES.iter() {
        if slot(&mut grades, *judgement).is_some() {
            continue;
        }
        let found = label
            .find_iter(text)
            .find_map(|m| grade_at(skip_separators(&text[m.end()..])).map(|(g, _)| g));
        if found.is_some() {
            *slot(&mut grades, *judgement) = found;
        }
    }
    if grades.overall_effectiveness.is_none() {
        grades.overall_effectiveness = overall_sentence(text);
    }
    grades
}

/// Grades from the judgement headings in a report's body ("The experiences and progress
/// of children in care: good"), for a judgement whose table row could not be read. A
/// heading's grade ends it: what follows starts a new paragraph, so "protection: good
/// practice was seen" is not a heading.
pub fn from_headings(text: &str) -> Grades {
    let mut grades = Grades::default();
    for (judgement, label) in TABLE_REGEXES.iter() {
        if *judgement == Judgement::Overall || slot(&mut grades, *judgement).is_some() {
            continue;
        }
        let found = label.find_iter(text).find_map(|m| {
            // "…protection: good", "…protection is: Good", "…protection is outstanding".
            let rest = text[m.end()..].trim_start();
            let after_is = ["is ", "is:", "are ", "are:"].iter().find_map(|verb| {
                rest.get(..verb.len())
                    .filter(|w| w.eq_ignore_ascii_case(verb))
                    .map(|_| &rest[verb.len() - 1..])
            });
            let after_verb = after_is.unwrap_or(rest).trim_start();
            let after_colon = after_verb.strip_prefix(':');
            if after_is.is_none() && after_colon.is_none() {
                return None;
            }
            let value = after_colon.unwrap_or(after_verb).trim_start();
            let (grade, len) = grade_at(value)?;
            let after_grade = value[len..].trim_start();
            let next = after_grade
                .trim_start_matches('.')
                .trim_start()
                .chars()
                .next();
            let ends_heading = next.is_none_or(|c| c.is_uppercase() || c.is_ascii_digit());
            ends_heading.then_some(grade)
        });
        *slot(&mut grades, *judgement) = found;
    }
    grades
}

/// The grade in "Children's services in <authority> are <grade>".
fn overall_sentence(text: &str) -> Option<Grade> {
    OVERALL_SENTENCE.find_iter(text).find_map(|m| {
        let rest = &text[m.end()..];
        let sentence_end = rest.find(['.', ':', ';']).unwrap_or(rest.len());
        let clause = crate::text::head(&rest[..sentence_end], 100);
        // Try the grade at each word after the name, allowing a verb before it.
        clause
            .char_indices()
            .filter(|&(_, c)| c == ' ')
            .find_map(|(i, _)| {
                let word = clause[i + 1..].trim_start();
                let word = [
                    "are ", "is ", "was ", "were ", "remain ", "remains ", "that ",
                ]
                .iter()
                .find_map(|verb| {
                    word.get(..verb.len())
                        .filter(|w| w.eq_ignore_ascii_case(verb))
                        .map(|_| &word[verb.len()..])
                })
                .unwrap_or(word);
                grade_at(word).map(|(g, _)| g)
            })
    })
}

/// What a news article calls each judgement.
const PROSE_LABELS: &[(Judgement, &str)] = &[
    (Judgement::Overall, r"overall effectiveness"),
    (Judgement::Overall, r"children'?s services"),
    (Judgement::Overall, r"children'?s social care services"),
    (Judgement::Leaders, r"impact of leaders"),
    (
        Judgement::Leaders,
        r"leadership,? management and governance",
    ),
    (
        Judgement::HelpAndProtection,
        r"(?:need|needing|in need of) help and protection",
    ),
    (
        Judgement::ChildrenInCare,
        r"children in care(?: and care leavers)?",
    ),
    (Judgement::ChildrenInCare, r"children looked after"),
    (Judgement::CareLeavers, r"care leavers"),
    (Judgement::Adoption, r"adoption performance"),
    (Judgement::Lscb, r"safeguarding children board|\blscb\b"),
];

/// Words that make a grade word a verdict on the judgement before it ("was rated good")
/// rather than a description ("receive good support").
static VERDICT_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:rated|judged|graded|found|as|is|are|was|were|be|remains?)\b")
        .expect("valid verdict cue regex")
});

/// Sentences about an earlier inspection state old grades, not this report's.
static EARLIER_INSPECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:last|previous|previously|earlier|prior)\b[^.]{0,40}\b(?:inspect|judged|rated|visit)")
        .expect("valid earlier inspection regex")
});

static PROSE_REGEX: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = PROSE_LABELS
        .iter()
        .map(|(_, label)| format!("({label})"))
        .collect();
    Regex::new(&format!(r"(?i)\b(?:{})", alternatives.join("|"))).expect("valid prose regex")
});

/// "Rated as good overall", "judged to be inadequate overall".
static GRADE_OVERALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:rated|judged|graded)\s+(?:as\s+|to\s+be\s+)?'?(outstanding|good|inadequate|requires? improvement(?: to be good)?|requiring improvement(?: to be good)?)'?\s+overall\b",
    )
    .expect("valid grade-overall regex")
});

/// The most characters between a judgement's name and its grade in prose.
const PROSE_MAX_GAP: usize = 70;

/// Grades a news article states, sentence by sentence: a judgement named, then within a
/// few words a verdict ("was rated as good", "is inadequate"). Sentences about an earlier
/// inspection are skipped.
pub fn from_prose(text: &str) -> Grades {
    let mut grades = Grades::default();
    for sentence in text.split_inclusive(['.', '!', '?', '\n']) {
        if EARLIER_INSPECTION.is_match(sentence) {
            continue;
        }
        if let Some(c) = GRADE_OVERALL.captures(sentence) {
            if grades.overall_effectiveness.is_none() {
                grades.overall_effectiveness = grade_at(&c[1]).map(|(g, _)| g);
            }
        }
        let mentions: Vec<(Judgement, usize, usize)> = PROSE_REGEX
            .captures_iter(sentence)
            .filter_map(|c| {
                let whole = c.get(0)?;
                let index = (1..c.len()).find(|&i| c.get(i).is_some())?;
                Some((PROSE_LABELS[index - 1].0, whole.start(), whole.end()))
            })
            .collect();
        for (i, &(judgement, _, end)) in mentions.iter().enumerate() {
            let next_start = mentions.get(i + 1).map_or(sentence.len(), |m| m.1);
            let gap = &sentence[end..next_start];
            let verdict = gap.char_indices().take(PROSE_MAX_GAP).find_map(|(at, _)| {
                let starts_word = at == 0 || !gap[..at].ends_with(char::is_alphanumeric);
                if !starts_word {
                    return None;
                }
                grade_at(&gap[at..]).map(|(g, _)| (g, at))
            });
            let Some((grade, at)) = verdict else { continue };
            if !VERDICT_CUE.is_match(&gap[..at]) {
                continue;
            }
            let slot = slot(&mut grades, judgement);
            if slot.is_none() {
                *slot = Some(grade);
            }
        }
    }
    grades
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_phrases_read_whole_and_only_as_words() {
        assert_eq!(
            grade_at("Requires improvement to be good. Next"),
            Some((Grade::RequiresImprovement, 31))
        );
        assert_eq!(
            grade_at("requires improvement"),
            Some((Grade::RequiresImprovement, 20))
        );
        assert_eq!(grade_at("Outstanding"), Some((Grade::Outstanding, 11)));
        assert_eq!(grade_at("good-quality plans"), None);
        assert_eq!(grade_at("goodwill"), None);
        assert_eq!(grade_at("Inadequate The"), Some((Grade::Inadequate, 10)));
    }

    #[test]
    fn ilacs_table() {
        let table = "Judgement Grade The impact of leaders on social work practice with children \
            and families Good The experiences and progress of children who need help and \
            protection Requires improvement to be good The experiences and progress of children \
            in care Outstanding The experiences and progress of care leavers Inadequate \
            Overall effectiveness Good Since the last inspection";
        let g = from_report(table);
        assert_eq!(g.impact_of_leaders, Some(Grade::Good));
        assert_eq!(g.help_and_protection, Some(Grade::RequiresImprovement));
        assert_eq!(g.children_in_care, Some(Grade::Outstanding));
        assert_eq!(g.care_leavers, Some(Grade::Inadequate));
        assert_eq!(g.overall_effectiveness, Some(Grade::Good));
    }

    #[test]
    fn ilacs_table_before_2023_grades_children_in_care_and_care_leavers_together() {
        let table = "The experiences and progress of children in care and care leavers Good \
            Overall effectiveness Requires improvement to be good";
        let g = from_report(table);
        assert_eq!(g.children_in_care, Some(Grade::Good));
        assert_eq!(g.care_leavers, None);
        assert_eq!(g.overall_effectiveness, Some(Grade::RequiresImprovement));
    }

    #[test]
    fn sif_table_and_overall_sentences() {
        let table = "Children's services in Southtown Borough Council are inadequate Services \
            fail children. 1. Children who need help and protection Inadequate 2. Children \
            looked after and achieving permanence Requires improvement 2.1 Adoption performance \
            Good 2.2 Experiences and progress of care leavers Good 3. Leadership, management and \
            governance Inadequate The effectiveness of the Local Safeguarding Children Board \
            (LSCB) requires improvement";
        let g = from_report(table);
        assert_eq!(g.overall_effectiveness, Some(Grade::Inadequate));
        assert_eq!(g.help_and_protection, Some(Grade::Inadequate));
        assert_eq!(g.children_in_care, Some(Grade::RequiresImprovement));
        assert_eq!(g.adoption, Some(Grade::Good));
        assert_eq!(g.care_leavers, Some(Grade::Good));
        assert_eq!(g.impact_of_leaders, Some(Grade::Inadequate));
        assert_eq!(g.lscb, Some(Grade::RequiresImprovement));

        let sif = "Children's services in Northtown requires improvement to be good 1. Children";
        assert_eq!(
            from_report(sif).overall_effectiveness,
            Some(Grade::RequiresImprovement)
        );
        for (early, want) in [
            (
                "The overall judgement is requires improvement",
                Grade::RequiresImprovement,
            ),
            (
                "The overall judgement is that children's services are inadequate",
                Grade::Inadequate,
            ),
            (
                "The overall judgement is that children's services require improvement The",
                Grade::RequiresImprovement,
            ),
        ] {
            assert_eq!(
                from_report(early).overall_effectiveness,
                Some(want),
                "{early}"
            );
        }
    }

    #[test]
    fn body_headings_give_grades_but_narrative_colons_do_not() {
        let body = "The experiences and progress of children who need help and protection: \
            requires improvement to be good 1. Children are seen. The experiences and progress \
            of children in care and care leavers: good practice was seen in some teams.";
        let g = from_headings(body);
        assert_eq!(g.help_and_protection, Some(Grade::RequiresImprovement));
        assert_eq!(g.children_in_care, None);
        assert_eq!(g.overall_effectiveness, None);
        let body = "The impact of leaders on social work practice with children and families is \
            outstanding 1. Leaders are. The experiences of children in care is: Good 12. Care. \
            The experiences and progress of care leavers are good at cooking.";
        let g = from_headings(body);
        assert_eq!(g.impact_of_leaders, Some(Grade::Outstanding));
        assert_eq!(g.children_in_care, Some(Grade::Good));
        assert_eq!(g.care_leavers, None);
    }

    #[test]
    fn narrative_mentions_are_not_grades() {
        let text = "Children who need help and protection receive good support. Most children \
            in care live in good-quality homes.";
        assert_eq!(from_report(text), Grades::default());
    }

    #[test]
    fn news_article_verdicts() {
        let text = "Ofsted has rated children's services in Northtown as 'good', and singled out \
            the 'outstanding' work of the leaving care team for children in care and care \
            leavers. The experiences and progress of children who need help and protection was \
            rated as requiring improvement to be good. The impact of leaders on social work \
            practice with children and families is inadequate and the experiences and progress \
            of children in care and care leavers was rated outstanding.";
        let g = from_prose(text);
        assert_eq!(g.overall_effectiveness, Some(Grade::Good));
        assert_eq!(g.help_and_protection, Some(Grade::RequiresImprovement));
        assert_eq!(g.impact_of_leaders, Some(Grade::Inadequate));
        assert_eq!(g.children_in_care, Some(Grade::Outstanding));
        assert_eq!(g.care_leavers, None);
    }

    #[test]
    fn news_article_old_grades_and_descriptions_are_skipped() {
        let text = "At the last Ofsted inspection in 2017, the local authority was judged to be \
            good overall. Children in care receive good support. The quality of plans requires \
            some improvement.";
        assert_eq!(from_prose(text), Grades::default());
        let now = "Southtown was judged to be inadequate overall by inspectors.";
        assert_eq!(
            from_prose(now).overall_effectiveness,
            Some(Grade::Inadequate)
        );
    }
}
