//! `ofsted-themes explain`: why a sentence gets its labels. Either a stored sentence
//! (`--report ID --sentence N`: exactly the label in sentences.csv, with the neighbours it
//! was labelled with) or a sentence given as text, explained by the model (the work is
//! [`ofsted_themes::classify::explain`]'s), which says what context it lacks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::cmd::{exit, load_taxonomy, EXIT_OK};
use ofsted_themes::classify::explain::explain;
use ofsted_themes::classify::ModelArgs;
use ofsted_themes::store::{self, Store};
use ofsted_themes::types::{LabelledReport, SentenceInput};
use ofsted_themes::write;

/// Show why a sentence has its labels.
///
/// `explain --report ID --sentence N [--out DIR]` shows a stored sentence's label exactly as
/// sentences.csv has it (stance, score, themes, evidence), with the sentences before and after
/// it and the section it was labelled in. `explain "a sentence"` scores a sentence given as
/// text with rules, model and combined, and the features behind each score; without the
/// report around it, its label can differ from the stored one.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The sentence to explain, as text (or use --report and --sentence).
    #[arg(value_name = "SENTENCE", required_unless_present = "report")]
    pub text: Option<String>,

    /// A stored report's id (reports.csv's report_id) whose sentence to show.
    #[arg(
        long,
        value_name = "ID",
        requires = "sentence_no",
        conflicts_with = "text"
    )]
    pub report: Option<String>,

    /// The sentence's number in that report (sentences.csv's sentence_no).
    #[arg(long = "sentence", value_name = "N", requires = "report")]
    pub sentence_no: Option<usize>,

    /// The output folder whose store holds the report (its store.sqlite).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,

    /// The store file, when it is not in the output folder.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,

    /// The sentence before it, as context.
    #[arg(long, default_value = "")]
    pub prev: String,

    /// The sentence after it, as context.
    #[arg(long, default_value = "")]
    pub next: String,

    /// Treat the sentence as an item under an improvement heading ("What needs to improve?").
    #[arg(long)]
    pub in_improvement_list: bool,

    #[command(flatten)]
    pub model: ModelArgs,

    /// A taxonomy file to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
}

pub fn execute(args: ExplainArgs) -> Result<ExitCode> {
    if let (Some(report), Some(no)) = (&args.report, args.sentence_no) {
        let store_path = args
            .store
            .clone()
            .unwrap_or_else(|| args.out.join(store::DEFAULT_FILE_NAME));
        let shown =
            show_stored(&store_path, report, no).map_err(|e| store::advise(e, &store_path))?;
        print!("{shown}");
        return Ok(exit(EXIT_OK));
    }
    let text = args
        .text
        .as_deref()
        .context("give a sentence, or --report ID --sentence N")?;
    let taxonomy = load_taxonomy(args.taxonomy.as_deref())?;
    let input = SentenceInput {
        text,
        prev: &args.prev,
        next: &args.next,
        section: "",
        in_improvement_list: args.in_improvement_list,
    };
    let model = args.model.load(taxonomy)?;
    print!("{}", explain(&model, &input)?);
    print!("{}", missing_context(&input));
    Ok(exit(EXIT_OK))
}

/// What a sentence given as text lacks that a sentence in a report has.
fn missing_context(input: &SentenceInput) -> String {
    let mut missing = Vec::new();
    if input.prev.is_empty() {
        missing.push("no previous sentence (--prev)");
    }
    if input.next.is_empty() {
        missing.push("no next sentence (--next)");
    }
    missing.push("no section heading");
    if !input.in_improvement_list {
        missing.push("not in an improvement list (--in-improvement-list)");
    }
    format!(
        "\ncontext: explained as a lone sentence: {}. In a report the same words can be \
         labelled otherwise; `ofsted-themes explain --report ID --sentence N --out DIR` shows \
         a stored sentence's label.\n",
        missing.join(", ")
    )
}

/// The stored label of sentence `no` of report `id`, as sentences.csv has it, with the
/// context it was labelled in.
fn show_stored(store_path: &Path, id: &str, no: usize) -> Result<String> {
    if !store_path.is_file() {
        bail!(
            "there is no store at {} (give --out DIR of a run, or --store FILE)",
            store_path.display()
        );
    }
    let store = Store::open(store_path)?;
    let matches = store.find(Path::new(id))?;
    let sha = match matches.as_slice() {
        [sha] => sha,
        [] => bail!(
            "no report {id:?} in {} (report ids are reports.csv's report_id)",
            store_path.display()
        ),
        _ => bail!(
            "{id:?} names {} reports: give more of the id",
            matches.len()
        ),
    };
    let labelled_by = store
        .index()?
        .get(sha)
        .map(|entry| entry.classifier_version.clone())
        .unwrap_or_default();
    let lr = store.load(sha)?;
    let count = lr.report.sentences.len();
    let Some(i) = lr.report.sentences.iter().position(|s| s.no == no) else {
        bail!("report {id} has sentences 1 to {count}; there is no sentence {no}");
    };
    Ok(describe(&lr, i, &labelled_by))
}

fn describe(lr: &LabelledReport, i: usize, labelled_by: &str) -> String {
    let r = &lr.report;
    let s = &r.sentences[i];
    let label = &lr.labels[i];
    let input = r.input(i);
    let or_none = |text: &str, none: &str| {
        if text.is_empty() {
            format!("(none: {none})")
        } else {
            text.to_string()
        }
    };
    let authority = r
        .facts
        .local_authority
        .as_deref()
        .unwrap_or("authority unknown");
    let themes: Vec<&str> = label.themes.iter().map(|t| t.id.as_str()).collect();
    let theme_scores: Vec<String> = label
        .themes
        .iter()
        .map(|t| format!("{}={}", t.id, write::score(t.score)))
        .collect();
    let when = r
        .facts
        .report_date()
        .map_or(String::new(), |date| format!(" {date}"));
    let mut out = format!(
        "report: {} ({authority}, {}{when}), {}\n",
        r.id,
        r.facts.kind.as_str(),
        r.source.display()
    );
    out += &format!(
        "sentence {} of {}, section {:?}{}\n",
        s.no,
        r.sentences.len(),
        s.section,
        if s.in_improvement_list {
            ", in an improvement list"
        } else {
            ""
        }
    );
    out += &format!("labelled by: {} ({labelled_by})\n\n", lr.classifier);
    out += &format!(
        "previous: {}\n",
        or_none(input.prev, "the report's first sentence")
    );
    out += &format!("sentence: {}\n", s.text);
    out += &format!(
        "next:     {}\n\n",
        or_none(input.next, "the report's last sentence")
    );
    out += "stored label (as in sentences.csv):\n";
    out += &format!("stance: {}\n", label.stance.as_str());
    out += &format!("stance_score: {}\n", write::score(label.stance_score));
    out += &format!("themes: {}\n", themes.join(";"));
    out += &format!("theme_scores: {}\n", theme_scores.join(";"));
    out += &format!("evidence: {}\n", label.evidence.join("; "));
    out
}
