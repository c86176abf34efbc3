//! `ofsted-themes compare`: a quick look at an earlier run's results in the terminal.
//!
//! Reads themes.csv and reports.csv of a results folder (the table is [`ofsted_themes::results::table`]'s), so it
//! works on any earlier run without the reports themselves, in any view: each authority's
//! latest full inspection (the default: like for like), its latest report of any kind, or
//! with `--all-reports` every report in date order, to see how it changed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd::{exit, EXIT_OK};
use ofsted_themes::aggregate::View as ReportsView;
use ofsted_themes::results::query::{Measure, Query, View};
use ofsted_themes::results::table::compare;

/// Print a compact table of authorities × themes from a results folder: each theme's share
/// (strengths − weaknesses − recommendations, over every sentence about the theme) in each
/// authority's latest full inspection, or another figure, view or selection. "·" marks a theme
/// with no sentence; "few" a share from fewer than 3 sentences.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// A folder written by `ofsted-themes run` (holding themes.csv and reports.csv).
    #[arg(value_name = "OUTPUT_DIR")]
    pub dir: PathBuf,

    /// Only this authority (case-insensitive; a part of the name also matches). Repeatable.
    #[arg(long = "authority", value_name = "NAME")]
    pub authorities: Vec<String>,

    /// Only this theme, by id (e.g. early_help). Repeatable.
    #[arg(long = "theme", value_name = "ID")]
    pub themes: Vec<String>,

    /// Only authorities in this English region ("London", "north west", "yorkshire").
    #[arg(long, value_name = "NAME")]
    pub region: Option<String>,

    /// Which report of each authority: its latest full inspection (like for like; authorities
    /// with none are named under the table), or its latest report of any kind.
    #[arg(long, value_enum, default_value_t = ReportsView::FullInspection)]
    pub view: ReportsView,

    /// Every report of each authority, oldest first, instead of one: how it changed. With
    /// `--show share`, also each theme's change between the last two full inspections.
    #[arg(long)]
    pub all_reports: bool,

    /// The figure in each cell: the share, the number of sentences about the theme (n), the
    /// balance, or the number of sentences of one stance ("recommendations": which
    /// authorities were told to improve a theme).
    #[arg(long, value_enum, value_name = "FIGURE", default_value_t = Measure::Share)]
    pub show: Measure,
}

pub fn execute(args: CompareArgs) -> Result<ExitCode> {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let query = Query {
        authorities: args.authorities,
        themes: args.themes,
        region: args.region,
        view: if args.all_reports {
            View::EveryReport
        } else {
            View::OnePerAuthority(args.view)
        },
        measure: args.show,
    };
    let text = compare(&args.dir, &query, colour)?;
    print!("{text}");
    Ok(exit(EXIT_OK))
}
