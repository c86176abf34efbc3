//! The self-contained HTML report `report.html`, written next to the CSVs from the same data.
//!
//! One file, no network: the stylesheet and script are compiled in (`src/page/`), the
//! sentences behind every figure are embedded once as a JSON blob and listed only when a
//! figure is clicked, so the page stays light at 150 authorities and 60,000 sentences.
//!
//! The heat map stands on each authority's latest full inspection by default (as
//! authorities.csv does), with a switch to its latest report of any kind; authorities with no
//! full inspection are named under the map, not mixed in. Each cell is the theme's share
//! (balance / sentences about the theme) with the number of sentences; cells with too few
//! sentences are hatched, not coloured. The "change" tables use all of an authority's reports,
//! as in themes.csv. The grades beside an
//! authority are those of its latest graded report (focused visits carry none), marked as such
//! when that is not the latest report. The same input gives a byte-identical page (no
//! timestamps, ordered data only).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::aggregate::{self, share_text, ReportSummary, StanceCounts, Summary};
use crate::codes::{self, REGIONS};
use crate::output::{Output, Outputs, RunResults};
use crate::taxonomy::{Taxonomy, Theme};
use crate::types::{Grade, Grades, LabelledReport, Stance};
use crate::write;

pub const PAGE_FILE: &str = "report.html";

const CSS: &str = include_str!("page/report.css");
const JS: &str = include_str!("page/report.js");
/// Runs first, so errors during the main script are recorded for the browser test.
const ERROR_TRAP_JS: &str = include_str!("page/error_trap.js");

/// Share buckets of the heat map: (lowest share in the bucket, CSS class, legend text); a
/// share of exactly 0 is "z". Fixed thresholds, so a colour means the same thing on every run.
pub const SHARE_BUCKETS: &[(f64, &str, &str)] = &[
    (f64::NEG_INFINITY, "n3", "−1 to −0.5"),
    (-0.5, "n2", "−0.5 to −0.2"),
    (-0.2, "n1", "−0.2 to 0"),
    (0.0, "p1", "0 to +0.2"),
    (0.2, "p2", "+0.2 to +0.5"),
    (0.5, "p3", "+0.5 to +1"),
];

/// Balance buckets of the change-over-time tables: (lowest balance in the bucket, CSS class,
/// legend text). Fixed thresholds, so a colour means the same thing on every run.
pub const HEAT_BUCKETS: &[(i64, &str, &str)] = &[
    (i64::MIN, "n3", "−5 or less"),
    (-4, "n2", "−4 to −2"),
    (-1, "n1", "−1"),
    (0, "z", "0"),
    (1, "p1", "+1"),
    (2, "p2", "+2 to +4"),
    (5, "p3", "+5 or more"),
];

/// The graded judgements shown beside each authority: (short header, full name).
const GRADE_HEADERS: [(&str, &str); 5] = [
    ("Overall", "Overall effectiveness"),
    ("Leaders", "Impact of leaders"),
    ("Help & protection", "Help and protection"),
    ("In care", "Children in care"),
    ("Care leavers", "Care leavers"),
];

/// How many themes the "at a glance" lists name.
const TOP_THEMES: usize = 5;

/// The page, `report.html`: the figures to read and compare in a browser.
pub struct Page;

impl Output for Page {
    fn files(&self) -> &'static [&'static str] {
        &[PAGE_FILE]
    }

    fn render(&self, results: &RunResults, outputs: &mut Outputs) -> Result<()> {
        let html = render(results.reports, results.summary, results.taxonomy);
        outputs.stage(PAGE_FILE, |out: &mut dyn Write| {
            out.write_all(html.as_bytes())?;
            Ok(())
        })?;
        Ok(())
    }
}

/// One authority: its reports in date order (indices into `Summary::reports`).
struct AuthorityView<'a> {
    name: &'a str,
    /// Position in the page's authority list, for anchors.
    no: usize,
    reports: Vec<usize>,
    latest: usize,
    /// The latest full inspection, if any: the heat map's row by default.
    full: Option<usize>,
    /// The latest report with any grade (focused visits have none), if any.
    graded: Option<usize>,
    /// Region from data/authority_codes.csv ("" when the name has no codes).
    region: &'static str,
}

struct View<'a> {
    reports: &'a [LabelledReport],
    summary: &'a Summary,
    taxonomy: &'a Taxonomy,
    authorities: Vec<AuthorityView<'a>>,
}

impl<'a> View<'a> {
    fn new(reports: &'a [LabelledReport], summary: &'a Summary, taxonomy: &'a Taxonomy) -> Self {
        let mut by_authority: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, rs) in summary.reports.iter().enumerate() {
            by_authority
                .entry(rs.authority.to_lowercase())
                .or_default()
                .push(i);
        }
        let authorities = summary
            .latest_by_authority
            .iter()
            .zip(&summary.latest_full_by_authority)
            .enumerate()
            .map(|(no, (&latest, &full))| {
                let rs = &summary.reports[latest];
                let list = by_authority
                    .get(&rs.authority.to_lowercase())
                    .cloned()
                    .unwrap_or_else(|| vec![latest]);
                let graded =
                    list.iter().rev().copied().find(|&i| {
                        has_grades(&reports[summary.reports[i].index].report.facts.grades)
                    });
                AuthorityView {
                    name: &rs.authority,
                    no,
                    reports: list,
                    latest,
                    full,
                    graded,
                    region: codes::lookup(&rs.authority).map_or("", |c| c.region.as_str()),
                }
            })
            .collect();
        View {
            reports,
            summary,
            taxonomy,
            authorities,
        }
    }

    fn summary_of(&self, i: usize) -> &'a ReportSummary {
        &self.summary.reports[i]
    }

    fn report_of(&self, i: usize) -> &'a LabelledReport {
        &self.reports[self.summary.reports[i].index]
    }

    /// Per theme: stance counts summed over the authorities' latest full inspections, and
    /// how many authorities have at least one sentence of each stance.
    /// How many authorities have a full inspection (the rows of the default heat map).
    fn with_full_inspection(&self) -> usize {
        self.authorities.iter().filter(|a| a.full.is_some()).count()
    }

    fn theme_totals(&self) -> Vec<(StanceCounts, [usize; 4])> {
        let mut totals = vec![(StanceCounts::default(), [0usize; 4]); self.taxonomy.themes.len()];
        for full in self.authorities.iter().filter_map(|a| a.full) {
            for (t, ts) in self.summary_of(full).themes.iter().enumerate() {
                let (sum, authorities) = &mut totals[t];
                let c = &ts.counts;
                sum.strengths += c.strengths;
                sum.weaknesses += c.weaknesses;
                sum.recommendations += c.recommendations;
                sum.context += c.context;
                for stance in Stance::ALL {
                    if c.get(stance) > 0 {
                        authorities[stance.index()] += 1;
                    }
                }
            }
        }
        totals
    }
}

/// "inspection of 2023-05-04", or "inspection, undated".
fn describe(view: &View, i: usize) -> String {
    let kind = view.report_of(i).report.facts.kind.as_str();
    match view.summary_of(i).date {
        Some(d) => format!("{kind} of {d}"),
        None => format!("{kind}, undated"),
    }
}

fn has_grades(g: &Grades) -> bool {
    grade_list(g).iter().any(Option::is_some)
}

fn grade_list(g: &Grades) -> [Option<Grade>; 5] {
    [
        g.overall_effectiveness,
        g.impact_of_leaders,
        g.help_and_protection,
        g.children_in_care,
        g.care_leavers,
    ]
}

/// Renders the whole page.
pub fn render(reports: &[LabelledReport], summary: &Summary, taxonomy: &Taxonomy) -> String {
    let view = View::new(reports, summary, taxonomy);
    let mut html = String::with_capacity(1 << 20);
    head(&mut html, &view);
    intro(&mut html, &view);
    heat_map(&mut html, &view);
    theme_focus(&mut html, &view);
    themes_overall(&mut html, &view);
    profiles(&mut html, &view);
    tail(&mut html, &view);
    html
}

fn head(html: &mut String, view: &View) {
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"ofsted-themes {}\">\n\
         <title>Ofsted themes: {} authorities compared</title>\n\
         <script>{}</script>\n<style>{}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        view.authorities.len(),
        ERROR_TRAP_JS,
        CSS
    );
}

fn intro(html: &mut String, view: &View) {
    let dates: Vec<String> = view
        .summary
        .reports
        .iter()
        .filter_map(|r| r.date)
        .map(|d| d.to_string())
        .collect();
    let span = match (dates.iter().min(), dates.iter().max()) {
        (Some(a), Some(b)) if a != b => format!(", dated {a} to {b}"),
        (Some(a), _) => format!(", dated {a}"),
        _ => String::new(),
    };
    let sentences: usize = view.reports.iter().map(|r| r.labels.len()).sum();
    let mut classifiers: Vec<&str> = view.reports.iter().map(|r| r.classifier.as_str()).collect();
    classifiers.sort_unstable();
    classifiers.dedup();
    let _ = write!(
        html,
        "<header class=\"top\">\n<h1>Ofsted themes in children's social care</h1>\n\
         <p class=\"lede\">{} authorities, {} reports{}, {} sentences labelled by stance and theme \
         (classifier: {}).</p>\n\
         <nav><a href=\"#heatmap\">Heat map</a> <a href=\"#focus\">Improve / done well</a> \
         <a href=\"#themes\">Themes overall</a> <a href=\"#profiles\">Authority profiles</a></nav>\n\
         <p class=\"how\">Each heat-map figure is the <b>share</b> of a theme in an authority's latest \
         full inspection (or, with the switch above the map, its latest report of any kind): sentences \
         praising it (strengths) minus those criticising it (weaknesses) \
         or asking for improvement (recommendations), divided by every sentence about the theme \
         (<i>n</i>, shown small), so +1 is all praise, −1 all criticism, and long reports do not win \
         by length; as in authorities.csv. A share from fewer than 3 sentences is hatched: too few \
         to compare. Grades are those of the report in the row. Click any number to read the \
         sentences behind it.</p>\n</header>\n",
        view.authorities.len(),
        view.summary.reports.len(),
        esc(&span),
        sentences,
        esc(&classifiers.join(", "))
    );
}

fn heat_class(balance: i64) -> &'static str {
    HEAT_BUCKETS
        .iter()
        .rev()
        .find(|(low, _, _)| balance >= *low)
        .map(|(_, class, _)| *class)
        .unwrap_or("z")
}

/// The colour class of a share; "z" for exactly 0.
fn share_class(share: f64) -> &'static str {
    if share == 0.0 {
        return "z";
    }
    SHARE_BUCKETS
        .iter()
        .rev()
        // Each bucket holds its upper bound: -0.5 is "n3", +0.5 is "p2".
        .find(|(low, _, _)| share > *low)
        .map(|(_, class, _)| *class)
        .unwrap_or("z")
}

fn legend(html: &mut String) {
    html.push_str(
        "<div class=\"legend\" aria-label=\"legend\"><span class=\"lg-title\">Share:</span>",
    );
    for (_, class, text) in SHARE_BUCKETS {
        let _ = write!(html, "<span class=\"sw {class}\">{}</span>", esc(text));
    }
    let _ = writeln!(
        html,
        "<span class=\"sw few\">fewer than {} sentences: too few to compare</span>\
         <span class=\"sw empty-key\">no sentences</span>\
         <span class=\"lg-sep\"></span><span class=\"lg-title\">Grades:</span>\
         <span class=\"g g1\">1</span> outstanding <span class=\"g g2\">2</span> good \
         <span class=\"g g3\">3</span> requires improvement <span class=\"g g4\">4</span> inadequate \
         <span class=\"g g0\">–</span> not graded</div>",
        aggregate::MIN_SENTENCES_TO_COMPARE
    );
}

fn grade_cell(html: &mut String, grade: Option<Grade>, title: &str) {
    match grade {
        Some(g) => {
            let _ = write!(
                html,
                "<td class=\"gc\"><span class=\"g g{}\" title=\"{}: {}\">{}</span></td>",
                g.number(),
                esc(title),
                g.as_str(),
                g.number()
            );
        }
        None => {
            let _ = write!(
                html,
                "<td class=\"gc\"><span class=\"g g0\" title=\"{}: not graded\">–</span></td>",
                esc(title)
            );
        }
    }
}

/// A clickable figure: reveals the sentences of report `r` ("L" = every latest report),
/// theme `t` and stance `s` ("" = strengths, weaknesses and recommendations).
fn figure(html: &mut String, value: &str, r: &str, t: usize, s: &str, class: &str, title: &str) {
    let _ = write!(
        html,
        "<button type=\"button\" class=\"ev {class}\" data-r=\"{r}\" data-t=\"{t}\" data-s=\"{s}\" \
         title=\"{}\">{}</button>",
        esc(title),
        esc(value)
    );
}

/// A clickable count of authorities: reveals the same sentences as [`figure`] over every
/// latest report, and counts the authorities they come from.
fn authorities_figure(html: &mut String, n: usize, t: usize, stance: Stance) {
    let _ = write!(
        html,
        "<button type=\"button\" class=\"ev\" data-r=\"L\" data-t=\"{t}\" data-s=\"{}\" \
         data-count=\"authorities\" title=\"authorities: click to read the sentences\">{n}</button>",
        stance.as_str()
    );
}

fn heat_map(html: &mut String, view: &View) {
    html.push_str("<section id=\"heatmap\">\n<h2>Heat map: themes × authorities</h2>\n");
    heat_map_controls(html, view);
    legend(html);
    heat_map_header(html, view);
    html.push_str("</tr></thead>\n<tbody>\n");
    for a in &view.authorities {
        // The full-inspection row first; a second row for the latest report when that is
        // another report (a focused visit since), shown by the page's switch.
        match a.full {
            Some(full) if full == a.latest => heat_row(html, view, a, full, "full latest"),
            Some(full) => {
                heat_row(html, view, a, full, "full");
                heat_row(html, view, a, a.latest, "latest");
            }
            None => heat_row(html, view, a, a.latest, "latest"),
        }
    }
    html.push_str("</tbody></table></div>\n");
    missing_full_inspections(html, view);
    html.push_str("</section>\n");
}

/// The heat map's switches: which reports, authority, region, grade, sort order.
fn heat_map_controls(html: &mut String, view: &View) {
    // Like for like by default; a set with no full inspection at all (news articles only, say)
    // opens on the latest reports, which are then all of one kind too.
    let (full_selected, latest_selected) = if view.with_full_inspection() > 0 {
        (" selected", "")
    } else {
        ("", " selected")
    };
    let _ = write!(
        html,
        "<div class=\"controls\">\
         <label>Reports <select id=\"hm-view\">\
         <option value=\"full\"{full_selected}>latest full inspection (like for like)</option>\
         <option value=\"latest\"{latest_selected}>latest report of any kind</option></select></label>\
         <label>Authority <input type=\"search\" id=\"hm-filter\" placeholder=\"type a name\"></label>\
         <label>Region <select id=\"hm-region\"><option value=\"\">any</option>",
    );
    for region in REGIONS {
        let _ = write!(html, "<option>{}</option>", esc(region));
    }
    html.push_str(
        "</select></label>\
         <label>Overall grade <select id=\"hm-grade\"><option value=\"\">any</option>\
         <option value=\"1\">outstanding</option><option value=\"2\">good</option>\
         <option value=\"3\">requires improvement</option><option value=\"4\">inadequate</option>\
         <option value=\"0\">not graded</option></select></label>\
         <label>Sort by <select id=\"hm-sort\"><option value=\"name\">authority name</option>\
         <option value=\"grade\">overall grade, best first</option>\
         <option value=\"grade-desc\">overall grade, worst first</option>",
    );
    for (t, theme) in view.taxonomy.themes.iter().enumerate() {
        let _ = write!(
            html,
            "<option value=\"t{t}\">{}: most criticised first</option>\
             <option value=\"t{t}-desc\">{}: most praised first</option>",
            esc(&theme.name),
            esc(&theme.name)
        );
    }
    html.push_str("</select></label><span id=\"hm-count\" class=\"count\"></span></div>\n");
}

/// The heat map's header row: authority, grades, one rotated column per theme.
fn heat_map_header(html: &mut String, view: &View) {
    html.push_str(
        "<div class=\"hm-wrap\"><table class=\"hm\" id=\"hm\">\n<thead><tr>\
         <th class=\"an sortable\" data-sort=\"name\">Authority</th>",
    );
    for (short, full) in GRADE_HEADERS {
        let _ = write!(
            html,
            "<th class=\"rot gh sortable\" data-sort=\"grade\" title=\"{}\"><span>{}</span></th>",
            esc(full),
            esc(short)
        );
    }
    for (t, theme) in view.taxonomy.themes.iter().enumerate() {
        let _ = write!(
            html,
            "<th class=\"rot th sortable\" data-sort=\"t{t}\" title=\"{}: {}\"><span>{}</span></th>",
            esc(&theme.name),
            esc(&theme.description),
            esc(&theme.name)
        );
    }
}

/// Names the authorities that the like-for-like map leaves out, with a link to each.
fn missing_full_inspections(html: &mut String, view: &View) {
    let without: Vec<&AuthorityView> = view
        .authorities
        .iter()
        .filter(|a| a.full.is_none())
        .collect();
    if !without.is_empty() {
        let _ = write!(
            html,
            "<p class=\"note\" id=\"hm-missing\"><b>{} of {} authorities have no full inspection</b> \
             among these reports, so the like-for-like map leaves them out (choose \"latest report \
             of any kind\" to see them): ",
            without.len(),
            view.authorities.len()
        );
        for (i, a) in without.iter().enumerate() {
            let _ = write!(
                html,
                "{}<a href=\"#a{}\">{}</a> ({})",
                if i > 0 { ", " } else { "" },
                a.no,
                esc(a.name),
                esc(&describe(view, a.latest))
            );
        }
        html.push_str(".</p>\n");
    }
}

/// One heat-map row: authority `a`'s report `i`, in the views named by `views`
/// ("full", "latest" or both).
fn heat_row(html: &mut String, view: &View, a: &AuthorityView, i: usize, views: &str) {
    let themes = &view.taxonomy.themes;
    let rs = view.summary_of(i);
    // A full inspection's own grades; otherwise those of the latest graded report.
    let graded = if has_grades(&view.report_of(i).report.facts.grades) {
        Some(i)
    } else {
        a.graded
    };
    let grades = graded
        .map(|g| grade_list(&view.report_of(g).report.facts.grades))
        .unwrap_or_default();
    let shares: Vec<String> = rs
        .themes
        .iter()
        .map(|ts| {
            if ts.counts.too_few() {
                String::new()
            } else {
                share_text(ts.counts.share())
            }
        })
        .collect();
    let _ = write!(
        html,
        "<tr data-name=\"{}\" data-views=\"{views}\" data-kind=\"{}\" data-region=\"{}\" \
         data-grade=\"{}\" data-b=\"{}\"><th class=\"an\" scope=\"row\">\
         <a href=\"#a{}\" title=\"{}\">{}</a><small>{}{}</small></th>",
        esc(&a.name.to_lowercase()),
        esc(rs.kind.as_str()),
        esc(a.region),
        grades[0].map_or(0, Grade::number),
        shares.join(","),
        a.no,
        esc(a.name),
        esc(a.name),
        esc(&describe(view, i)),
        if a.reports.len() > 1 {
            format!(" · {} reports", a.reports.len())
        } else {
            String::new()
        }
    );
    let graded_note = match graded {
        Some(g) if g != i => format!(
            " (from the {} of {})",
            view.report_of(g).report.facts.kind.as_str(),
            write::date(view.summary_of(g).date)
        ),
        _ => String::new(),
    };
    for (grade, (_, full)) in grades.iter().zip(GRADE_HEADERS) {
        grade_cell(html, *grade, &format!("{full}{graded_note}"));
    }
    for (t, (theme, ts)) in themes.iter().zip(&rs.themes).enumerate() {
        heat_cell(html, a.name, theme, &ts.counts, i, t);
    }
    html.push_str("</tr>\n");
}

/// One heat-map cell: the share of theme `t` (`theme`) in report `i` of `authority`,
/// clickable, or empty when no sentence is about it.
fn heat_cell(
    html: &mut String,
    authority: &str,
    theme: &Theme,
    c: &StanceCounts,
    i: usize,
    t: usize,
) {
    let Some(share) = c.share() else {
        html.push_str("<td class=\"hc empty\"></td>");
        return;
    };
    let class = if c.too_few() {
        "few"
    } else {
        share_class(share)
    };
    let _ = write!(html, "<td class=\"hc {class}\" data-n=\"{}\">", c.n());
    figure_share(
        html,
        &share_text(Some(share)),
        i,
        t,
        &format!(
            "{}, {}: share {} from {} sentences ({} strengths, {} weaknesses, {} recommendations, \
             {} context){}",
            authority,
            theme.name,
            share_text(Some(share)),
            c.n(),
            c.strengths,
            c.weaknesses,
            c.recommendations,
            c.context,
            if c.too_few() {
                ": too few to compare"
            } else {
                ""
            }
        ),
    );
    let _ = write!(html, "<small class=\"n\">{}</small></td>", c.n());
}

/// A clickable share: reveals the strengths, weaknesses and recommendations about theme `t`
/// in report `r`; the page's self-check recomputes the share from every sentence about it.
fn figure_share(html: &mut String, value: &str, r: usize, t: usize, title: &str) {
    let _ = write!(
        html,
        "<button type=\"button\" class=\"ev\" data-r=\"{r}\" data-t=\"{t}\" data-s=\"\" \
         data-share=\"1\" title=\"{}\">{}</button>",
        esc(title),
        esc(value)
    );
}

/// "Which authorities were told to improve X, and which do Y well": a theme for each list,
/// filled in by the script from the embedded sentences.
fn theme_focus(html: &mut String, view: &View) {
    // Each list opens on the theme it has most of: most recommendations, most strengths.
    let totals = view.theme_totals();
    let most = |stance: Stance| {
        (0..totals.len())
            .max_by_key(|&t| (totals[t].0.get(stance), std::cmp::Reverse(t)))
            .unwrap_or(0)
    };
    let (most_recommended, most_praised) = (most(Stance::Recommendation), most(Stance::Strength));
    let options = |html: &mut String, selected: usize| {
        for (t, theme) in view.taxonomy.themes.iter().enumerate() {
            let _ = write!(
                html,
                "<option value=\"{t}\"{}>{}</option>",
                if t == selected { " selected" } else { "" },
                esc(&theme.name)
            );
        }
    };
    html.push_str(
        "<section id=\"focus\">\n<h2>Who was told to improve a theme, who does one well</h2>\n\
         <div class=\"focus-cols\"><div><h3>Told to improve \
         <select id=\"focus-improve-theme\" aria-label=\"theme to improve\">",
    );
    options(html, most_recommended);
    html.push_str(
        "</select></h3><p class=\"note\">Authorities whose report (as chosen above the heat map: \
         latest full inspection, or latest report) makes recommendations (or finds weaknesses) on \
         this theme, most recommendations first.</p>\
         <ol id=\"focus-improve\"></ol></div><div><h3>Done well \
         <select id=\"focus-well-theme\" aria-label=\"theme done well\">",
    );
    options(html, most_praised);
    html.push_str(
        "</select></h3><p class=\"note\">Authorities whose report finds strengths on \
         this theme, most first.</p><ol id=\"focus-well\"></ol></div></div>\n</section>\n",
    );
}

fn themes_overall(html: &mut String, view: &View) {
    let themes = &view.taxonomy.themes;
    let totals = view.theme_totals();
    themes_at_a_glance(html, view, &totals);
    html.push_str("</div>\n<table class=\"tt sortable-table\" id=\"tt\"><thead><tr><th data-k=\"text\">Theme</th>");
    for head in [
        "Strengths",
        "Authorities",
        "Weaknesses",
        "Authorities",
        "Recommendations",
        "Authorities",
        "Balance",
    ] {
        let _ = write!(html, "<th data-k=\"num\">{head}</th>");
    }
    html.push_str("</tr></thead><tbody>\n");
    for (t, theme) in themes.iter().enumerate() {
        theme_totals_row(html, t, &theme.name, &totals[t]);
    }
    html.push_str("</tbody></table>\n<p class=\"note\">Sentences in each authority's latest full inspection; \
                   \"Authorities\": how many have at least one such sentence. Click a column heading to sort.</p>\n</section>\n");
}

/// The themes most often a strength and most often a recommendation.
fn themes_at_a_glance(html: &mut String, view: &View, totals: &[(StanceCounts, [usize; 4])]) {
    let themes = &view.taxonomy.themes;
    let ranked = |stance: Stance| {
        let mut order: Vec<usize> = (0..themes.len())
            .filter(|&t| totals[t].0.get(stance) > 0)
            .collect();
        order.sort_by_key(|&t| std::cmp::Reverse(totals[t].0.get(stance)));
        order.truncate(TOP_THEMES);
        order
    };
    html.push_str(
        "<section id=\"themes\">\n<h2>Themes across all authorities</h2>\n<div class=\"glance\">",
    );
    for (stance, title) in [
        (Stance::Strength, "Most often a strength"),
        (Stance::Recommendation, "Most often a recommendation"),
    ] {
        let _ = write!(html, "<div><h3>{title}</h3><ol>");
        let top = ranked(stance);
        if top.is_empty() {
            html.push_str("<li class=\"note\">none</li>");
        }
        for t in top {
            let (sum, authorities) = &totals[t];
            let _ = write!(html, "<li>{} ", esc(&themes[t].name));
            figure(
                html,
                &sum.get(stance).to_string(),
                "L",
                t,
                stance.as_str(),
                "big",
                "sentences: click to read them",
            );
            html.push_str(" sentences in ");
            authorities_figure(html, authorities[stance.index()], t, stance);
            let _ = write!(html, " of {} authorities</li>", view.with_full_inspection());
        }
        html.push_str("</ol></div>");
    }
}

/// One theme's row of the totals table: sentences and authorities by stance, and balance.
fn theme_totals_row(html: &mut String, t: usize, name: &str, totals: &(StanceCounts, [usize; 4])) {
    let (sum, authorities) = totals;
    let _ = write!(html, "<tr><td>{}</td>", esc(name));
    for stance in [Stance::Strength, Stance::Weakness, Stance::Recommendation] {
        let n = sum.get(stance);
        let _ = write!(html, "<td data-v=\"{n}\">");
        if n > 0 {
            figure(
                html,
                &n.to_string(),
                "L",
                t,
                stance.as_str(),
                "",
                "click to read them",
            );
        } else {
            html.push('0');
        }
        let a = authorities[stance.index()];
        let _ = write!(html, "</td><td data-v=\"{a}\" class=\"muted\">");
        if a > 0 {
            authorities_figure(html, a, t, stance);
        } else {
            html.push('0');
        }
        html.push_str("</td>");
    }
    let b = sum.balance();
    let _ = write!(html, "<td data-v=\"{b}\" class=\"hc {}\">", heat_class(b));
    if sum.strengths + sum.weaknesses + sum.recommendations > 0 {
        figure(
            html,
            &b.to_string(),
            "L",
            t,
            "",
            "",
            "click to read the sentences",
        );
    } else {
        html.push_str(&b.to_string());
    }
    html.push_str("</td></tr>\n");
}

const STANCE_CLASSES: [&str; 4] = ["s", "w", "r", "c"];

fn profiles(html: &mut String, view: &View) {
    // One scale for every bar, so profiles compare at a glance.
    let max_total = view
        .authorities
        .iter()
        .flat_map(|a| view.summary_of(a.latest).themes.iter())
        .map(|ts| ts.counts.total())
        .max()
        .unwrap_or(0)
        .max(1);
    html.push_str(
        "<section id=\"profiles\">\n<h2>Authority profiles</h2>\n<p class=\"note\">For each authority: \
         its reports, the themes of its latest report split by stance \
         (<span class=\"key s\">strengths</span> <span class=\"key w\">weaknesses</span> \
         <span class=\"key r\">recommendations</span> <span class=\"key c\">context</span>), and where \
         it has several reports, each theme's balance in every report in date order.</p>\n",
    );
    for a in &view.authorities {
        let _ = write!(
            html,
            "<article class=\"profile\" id=\"a{}\">\n<h3>{}</h3>\n",
            a.no,
            esc(a.name)
        );
        authority_codes(html, a.name);
        reports_table(html, view, a);
        latest_themes(html, view, a, max_total);
        html.push_str("</div>");
        if a.reports.len() > 1 {
            html.push_str("<div class=\"pcol\">");
            inspection_change(html, view, a);
            trend(html, view, a);
            html.push_str("</div>");
        }
        html.push_str("</div></article>\n");
    }
    html.push_str("</section>\n");
}

/// An authority's region and codes, when it has them.
fn authority_codes(html: &mut String, name: &str) {
    if let Some(c) = codes::lookup(name) {
        let _ = writeln!(
            html,
            "<p class=\"codes note\">{} · DfE LA code {} · ONS code {}</p>",
            esc(&c.region),
            esc(&c.la_code),
            esc(&c.ons_code)
        );
    }
}

/// An authority's reports with their grades.
fn reports_table(html: &mut String, view: &View, a: &AuthorityView) {
    html.push_str("<table class=\"reports\"><thead><tr><th>Date</th><th>Kind</th>");
    for (short, full) in GRADE_HEADERS {
        let _ = write!(
            html,
            "<th class=\"gh\" title=\"{}\">{}</th>",
            esc(full),
            esc(short)
        );
    }
    html.push_str("<th>Report id</th></tr></thead><tbody>");
    for &i in &a.reports {
        let lr = view.report_of(i);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td>",
            esc(&write::date(view.summary_of(i).date)),
            esc(lr.report.facts.kind.as_str())
        );
        for (g, (_, full)) in grade_list(&lr.report.facts.grades)
            .iter()
            .zip(GRADE_HEADERS)
        {
            grade_cell(html, *g, full);
        }
        let _ = write!(html, "<td class=\"mono\">{}</td></tr>", esc(&lr.report.id));
    }
    html.push_str("</tbody></table>\n");
}

/// The latest report's themes, most criticised first, each a bar split by stance on the
/// common scale `max_total`.
fn latest_themes(html: &mut String, view: &View, a: &AuthorityView, max_total: usize) {
    let themes = &view.taxonomy.themes;
    let rs = view.summary_of(a.latest);
    let mut used: Vec<usize> = (0..themes.len())
        .filter(|&t| rs.themes[t].counts.total() > 0)
        .collect();
    used.sort_by_key(|&t| (rs.themes[t].counts.balance(), t));
    let _ = writeln!(
        html,
        "<div class=\"pbody\"><div class=\"pcol\">\
         <h4>Themes of the latest report ({}), most criticised first</h4>",
        esc(&describe(view, a.latest))
    );
    if used.is_empty() {
        html.push_str("<p class=\"note\">No sentence of this report was given a theme.</p>\n");
    } else {
        html.push_str("<table class=\"prof\"><tbody>\n");
        for t in used {
            theme_stance_row(html, view, a, t, max_total);
        }
        html.push_str("</tbody></table>\n");
    }
}

/// One theme's row of [`latest_themes`]: bar, counts by stance, balance.
fn theme_stance_row(html: &mut String, view: &View, a: &AuthorityView, t: usize, max_total: usize) {
    let rs = view.summary_of(a.latest);
    let c = &rs.themes[t].counts;
    let _ = write!(
        html,
        "<tr><th scope=\"row\">{}</th><td class=\"bar\">",
        esc(&view.taxonomy.themes[t].name)
    );
    for stance in Stance::ALL {
        let n = c.get(stance);
        if n > 0 {
            let _ = write!(
                html,
                "<span class=\"seg {}\" style=\"width:{:.2}%\"></span>",
                STANCE_CLASSES[stance.index()],
                100.0 * n as f64 / max_total as f64
            );
        }
    }
    html.push_str("</td><td class=\"nums\">");
    for stance in Stance::ALL {
        let n = c.get(stance);
        let class = format!("k {}", STANCE_CLASSES[stance.index()]);
        if n > 0 {
            figure(
                html,
                &n.to_string(),
                &a.latest.to_string(),
                t,
                stance.as_str(),
                &class,
                &format!("{} {}", n, stance.as_str()),
            );
        } else {
            let _ = write!(html, "<span class=\"{class} zero\">0</span>");
        }
    }
    let _ = writeln!(
        html,
        "</td><td class=\"hc {}\">{}</td></tr>",
        heat_class(c.balance()),
        c.balance()
    );
}

/// For an authority with two or more full inspections: each theme's share in the latest
/// against the one before, with the change in each grade above.
fn inspection_change(html: &mut String, view: &View, a: &AuthorityView) {
    let fulls = view.summary.full_inspections_of(a.name);
    let [.., before, latest] = fulls[..] else {
        return;
    };
    let (old, new) = (view.summary_of(before), view.summary_of(latest));
    let _ = write!(
        html,
        "<h4>Change between full inspections: {} → {}</h4>\n<p class=\"gchange\">",
        esc(&write::date(old.date)),
        esc(&write::date(new.date))
    );
    let old_grades = grade_list(&view.report_of(before).report.facts.grades);
    let new_grades = grade_list(&view.report_of(latest).report.facts.grades);
    for ((o, n), (_, name)) in old_grades.iter().zip(&new_grades).zip(GRADE_HEADERS) {
        let word = |g: &Option<Grade>| g.map_or("not graded", Grade::as_str);
        let _ = write!(
            html,
            "<span class=\"gc-item\">{}: {} → {}</span> ",
            esc(name),
            word(o),
            word(n)
        );
    }
    html.push_str(
        "</p>\n<table class=\"trend change\"><thead><tr><th>Theme</th><th>Share before (n)</th>\
         <th>Share now (n)</th><th>Change</th></tr></thead><tbody>\n",
    );
    for (t, theme) in view.taxonomy.themes.iter().enumerate() {
        let (c0, c1) = (&old.themes[t].counts, &new.themes[t].counts);
        if c0.n() == 0 && c1.n() == 0 {
            continue;
        }
        let _ = write!(html, "<tr><th scope=\"row\">{}</th>", esc(&theme.name));
        for (c, i) in [(c0, before), (c1, latest)] {
            match c.share() {
                None => html.push_str("<td class=\"hc empty\"></td>"),
                Some(share) => {
                    let class = if c.too_few() {
                        "few"
                    } else {
                        share_class(share)
                    };
                    let _ = write!(html, "<td class=\"hc {class}\" data-n=\"{}\">", c.n());
                    figure_share(
                        html,
                        &share_text(Some(share)),
                        i,
                        t,
                        "click to read the sentences",
                    );
                    let _ = write!(html, "<small class=\"n\">{}</small></td>", c.n());
                }
            }
        }
        let text = change_cell(c0, c1);
        let _ = writeln!(html, "{text}</tr>");
    }
    html.push_str("</tbody></table>\n");
}

/// The change-of-share cell between two reports' counts of a theme.
fn change_cell(c0: &StanceCounts, c1: &StanceCounts) -> String {
    match (c0.share(), c1.share()) {
        (Some(s0), Some(s1)) if !c0.too_few() && !c1.too_few() => {
            let d = s1 - s0;
            let class = if d > 0.0 {
                "up"
            } else if d < 0.0 {
                "down"
            } else {
                "flat"
            };
            let arrow = if d > 0.0 {
                "▲ "
            } else if d < 0.0 {
                "▼ "
            } else {
                "= "
            };
            format!(
                "<td class=\"chg {class}\">{arrow}{}</td>",
                share_text(Some(d))
            )
        }
        (Some(_), Some(_)) => "<td class=\"chg flat\">too few sentences</td>".to_string(),
        _ => "<td class=\"chg flat\">in one only</td>".to_string(),
    }
}

/// The balance of each theme in each of an authority's reports, in date order, and the change
/// from the first report to the last.
fn trend(html: &mut String, view: &View, a: &AuthorityView) {
    let themes = &view.taxonomy.themes;
    html.push_str("<h4>Change over time</h4>\n<table class=\"trend\"><thead><tr><th>Theme</th>");
    for &i in &a.reports {
        let _ = write!(
            html,
            "<th>{}<br><small>{}</small></th>",
            esc(&write::date(view.summary_of(i).date)),
            esc(view.report_of(i).report.facts.kind.as_str())
        );
    }
    html.push_str("<th>Change</th></tr></thead><tbody>\n");
    for (t, theme) in themes.iter().enumerate() {
        let counts: Vec<&StanceCounts> = a
            .reports
            .iter()
            .map(|&i| &view.summary_of(i).themes[t].counts)
            .collect();
        if counts.iter().all(|c| c.total() == 0) {
            continue;
        }
        let _ = write!(html, "<tr><th scope=\"row\">{}</th>", esc(&theme.name));
        for (&i, c) in a.reports.iter().zip(&counts) {
            if c.total() == 0 {
                html.push_str("<td class=\"hc empty\"></td>");
                continue;
            }
            let _ = write!(html, "<td class=\"hc {}\">", heat_class(c.balance()));
            figure(
                html,
                &c.balance().to_string(),
                &i.to_string(),
                t,
                "",
                "",
                "click to read the sentences",
            );
            html.push_str("</td>");
        }
        // Change between the first and the last report that mention the theme.
        let present: Vec<i64> = counts
            .iter()
            .filter(|c| c.total() > 0)
            .map(|c| c.balance())
            .collect();
        let change = match (present.first(), present.last()) {
            (Some(first), Some(last)) if present.len() > 1 => last - first,
            _ => 0,
        };
        let (class, text) = match change {
            _ if present.len() < 2 => ("flat", "in one report".to_string()),
            d if d > 0 => ("up", format!("▲ +{d}")),
            d if d < 0 => ("down", format!("▼ {d}")),
            _ => ("flat", "= 0".to_string()),
        };
        let _ = writeln!(html, "<td class=\"chg {class}\">{text}</td></tr>");
    }
    html.push_str("</tbody></table>\n");
}

/// See [`PageData::sentences`].
type SentenceRow<'a> = (usize, usize, usize, Vec<usize>, usize, &'a str);

#[derive(Serialize)]
struct PageData<'a> {
    /// [id, name]
    themes: Vec<[&'a str; 2]>,
    stances: [&'static str; 4],
    /// [authority, kind, date, report id], indexed like `Summary::reports`.
    reports: Vec<[String; 4]>,
    /// Indices into `reports` of each authority's latest full inspection ("full") and latest
    /// report ("latest"), in heat-map order: the reports of each view of the heat map. "L" in a
    /// figure means the "full" list.
    views: BTreeMap<&'static str, Vec<usize>>,
    sections: Vec<&'a str>,
    /// [report, sentence no, stance index, [theme indices], section index, text]; only
    /// sentences with a theme, as only they stand behind a figure.
    sentences: Vec<SentenceRow<'a>>,
}

fn page_data<'a>(view: &View<'a>) -> PageData<'a> {
    let taxonomy = view.taxonomy;
    let theme_index: BTreeMap<&str, usize> = taxonomy
        .themes
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut sections: Vec<&str> = Vec::new();
    let mut section_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut sentences = Vec::new();
    for (i, rs) in view.summary.reports.iter().enumerate() {
        let lr = &view.reports[rs.index];
        for (s, label) in lr.report.sentences.iter().zip(&lr.labels) {
            let mut themes: Vec<usize> = label
                .themes
                .iter()
                .filter_map(|t| theme_index.get(t.id.as_str()).copied())
                .collect();
            themes.dedup();
            if themes.is_empty() {
                continue;
            }
            let section = *section_index.entry(s.section.as_str()).or_insert_with(|| {
                sections.push(s.section.as_str());
                sections.len() - 1
            });
            sentences.push((
                i,
                s.no,
                label.stance.index(),
                themes,
                section,
                s.text.as_str(),
            ));
        }
    }
    PageData {
        themes: taxonomy
            .themes
            .iter()
            .map(|t| [t.id.as_str(), t.name.as_str()])
            .collect(),
        stances: Stance::ALL.map(Stance::as_str),
        reports: view
            .summary
            .reports
            .iter()
            .map(|rs| {
                let lr = &view.reports[rs.index];
                [
                    rs.authority.clone(),
                    lr.report.facts.kind.as_str().to_string(),
                    write::date(rs.date),
                    lr.report.id.clone(),
                ]
            })
            .collect(),
        views: BTreeMap::from([
            (
                "full",
                view.authorities.iter().filter_map(|a| a.full).collect(),
            ),
            (
                "latest",
                view.authorities.iter().map(|a| a.latest).collect(),
            ),
        ]),
        sections,
        sentences,
    }
}

fn tail(html: &mut String, view: &View) {
    html.push_str(
        "<div id=\"evidence\" class=\"evidence\" hidden role=\"dialog\" aria-modal=\"true\" \
         aria-labelledby=\"ev-title\"><div class=\"ev-box\"><div class=\"ev-head\">\
         <h2 id=\"ev-title\"></h2><button type=\"button\" id=\"ev-close\" aria-label=\"close\">×</button>\
         </div><div id=\"ev-body\"></div></div></div>\n",
    );
    html.push_str(
        "<footer><p>Made by ofsted-themes from the same data as the CSVs next to this file. \
         Labels are a machine's reading: check the sentences before you quote a figure.</p></footer>\n",
    );
    let data = page_data(view);
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_string());
    let _ = write!(
        html,
        "<script type=\"application/json\" id=\"page-data\">{}</script>\n\
         <pre id=\"console-errors\" hidden></pre>\n<script>{}</script>\n</body>\n</html>\n",
        json_for_script(&json),
        JS
    );
}

/// JSON made safe inside a `<script>` element: no `</script>`, `<!--` or line separators
/// that would end it or break the script. The escapes are still valid JSON.
pub fn json_for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate;
    use crate::types::{
        BlockKind, Date, DocumentKind, InputFormat, JudgementArea, Label, Report, ReportFacts,
        Sentence, ThemeScore,
    };

    /// A made-up labelled report: `sentences` are (text, stance, theme ids).
    fn report(
        id: &str,
        authority: &str,
        kind: DocumentKind,
        date: (u16, u8, u8),
        overall: Option<Grade>,
        sentences: &[(&str, Stance, &[&str])],
    ) -> LabelledReport {
        let facts = ReportFacts {
            local_authority: Some(authority.to_string()),
            kind,
            end_date: Some(Date {
                year: date.0,
                month: date.1,
                day: date.2,
            }),
            grades: Grades {
                overall_effectiveness: overall,
                ..Grades::default()
            },
            ..ReportFacts::default()
        };
        LabelledReport {
            report: Report {
                id: id.to_string(),
                source: std::path::PathBuf::from(format!("{id}.txt")),
                sha256: id.to_string(),
                format: InputFormat::Text,
                facts,
                sentences: sentences
                    .iter()
                    .enumerate()
                    .map(|(i, (text, _, _))| Sentence {
                        no: i + 1,
                        text: text.to_string(),
                        section: "Findings".to_string(),
                        judgement_area: JudgementArea::None,
                        in_improvement_list: false,
                        block_kind: BlockKind::Paragraph,
                    })
                    .collect(),
            },
            labels: sentences
                .iter()
                .map(|(_, stance, themes)| Label {
                    stance: *stance,
                    stance_score: 0.9,
                    themes: themes
                        .iter()
                        .map(|id| ThemeScore {
                            id: id.to_string(),
                            score: 0.8,
                        })
                        .collect(),
                    evidence: Vec::new(),
                })
                .collect(),
            classifier: "rules".to_string(),
        }
    }

    fn render_all(mut reports: Vec<LabelledReport>) -> String {
        let taxonomy = Taxonomy::bundled();
        aggregate::sort_reports(&mut reports);
        let summary = aggregate::summarise(&reports, &taxonomy);
        render(&reports, &summary, &taxonomy)
    }

    #[test]
    fn hostile_text_stays_text() {
        let html = render_all(vec![report(
            "r1",
            "<b>Evil\" & Co",
            DocumentKind::Inspection,
            (2023, 5, 4),
            Some(Grade::Good),
            &[(
                "Plans are weak </script><script>alert(1)</script> <!-- \u{2028}",
                Stance::Weakness,
                &["planning"],
            )],
        )]);
        assert!(!html.contains("<script>alert"), "no injected script");
        assert!(!html.contains("<b>Evil"), "no injected markup");
        assert!(html.contains("&lt;b&gt;Evil&quot; &amp; Co"));
        // The embedded data still parses and holds the text unchanged.
        let start = html
            .find("<script type=\"application/json\" id=\"page-data\">")
            .unwrap();
        let json = &html[start..];
        let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
        let data: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            data["sentences"][0][5],
            "Plans are weak </script><script>alert(1)</script> <!-- \u{2028}"
        );
        assert_eq!(
            html.matches("</script>").count(),
            3,
            "only the page's own scripts close"
        );
    }

    #[test]
    fn the_page_needs_no_network() {
        let html = render_all(vec![report(
            "r1",
            "Northshire",
            DocumentKind::Inspection,
            (2023, 5, 4),
            Some(Grade::Good),
            &[(
                "Leaders know their services well.",
                Stance::Strength,
                &["leadership"],
            )],
        )]);
        for remote in [
            "src=", "<link", "@import", "url(", "http://", "https://", "fetch(",
        ] {
            assert!(
                !html.contains(remote),
                "report.html must not load anything: {remote}"
            );
        }
    }

    #[test]
    fn several_reports_show_change_in_date_order_and_latest_grades() {
        let html = render_all(vec![
            report(
                "late",
                "Northshire",
                DocumentKind::FocusedVisit,
                (2024, 3, 1),
                None,
                &[(
                    "Early help is now strong.",
                    Stance::Strength,
                    &["early_help"],
                )],
            ),
            report(
                "early",
                "Northshire",
                DocumentKind::Inspection,
                (2019, 6, 1),
                Some(Grade::Inadequate),
                &[
                    ("Early help is weak.", Stance::Weakness, &["early_help"]),
                    (
                        "Improve early help.",
                        Stance::Recommendation,
                        &["early_help"],
                    ),
                ],
            ),
        ]);
        let trend = &html[html.find("<h4>Change over time</h4>").unwrap()..];
        let trend = &trend[..trend.find("</table>").unwrap()];
        let first = trend.find("2019-06-01").unwrap();
        let second = trend.find("2024-03-01").unwrap();
        assert!(first < second, "date order");
        // Early help went from -2 to +1.
        assert!(trend.contains("▲ +3"), "{trend}");
        // The heat map's like-for-like row is the 2019 inspection with its own grades; the
        // latest report (the focused visit) has a row of its own for the page's other view,
        // with the grades of the latest graded report, saying where they come from.
        let rows: Vec<&str> = html
            .split("<tr data-name=\"northshire\"")
            .skip(1)
            .map(|r| &r[..r.find("</tr>").unwrap()])
            .collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].contains("data-views=\"full\""), "{}", rows[0]);
        assert!(rows[0].contains("inspection of 2019-06-01"));
        assert!(rows[0].contains("class=\"g g4\""));
        // Early help in 2019: (0 - 1 - 1) / 2 sentences: too few, so hatched.
        assert!(
            rows[0].contains("<td class=\"hc few\" data-n=\"2\">"),
            "{}",
            rows[0]
        );
        assert!(rows[0].contains(">-1.00</button><small class=\"n\">2</small>"));
        assert!(rows[1].contains("data-views=\"latest\""), "{}", rows[1]);
        assert!(rows[1].contains("focused visit of 2024-03-01"));
        assert!(
            rows[1].contains("class=\"g g4\""),
            "inadequate from 2019: {}",
            rows[1]
        );
        assert!(rows[1].contains("from the inspection of 2019-06-01"));
    }

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let json =
            serde_json::to_string(&["a </script><script>alert(1)</script> & <!-- b"]).unwrap();
        let safe = json_for_script(&json);
        assert!(!safe.contains("</script"));
        assert!(!safe.contains("<!--"));
        let back: Vec<String> = serde_json::from_str(&safe).unwrap();
        assert_eq!(back[0], "a </script><script>alert(1)</script> & <!-- b");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn share_buckets_hold_their_upper_bounds() {
        assert_eq!(share_class(-1.0), "n3");
        assert_eq!(share_class(-0.5), "n3");
        assert_eq!(share_class(-0.49), "n2");
        assert_eq!(share_class(-0.2), "n2");
        assert_eq!(share_class(-0.01), "n1");
        assert_eq!(share_class(0.0), "z");
        assert_eq!(share_class(0.2), "p1");
        assert_eq!(share_class(0.5), "p2");
        assert_eq!(share_class(0.51), "p3");
        assert_eq!(share_class(1.0), "p3");
    }

    #[test]
    fn balance_buckets_cover_every_value() {
        assert_eq!(heat_class(-100), "n3");
        assert_eq!(heat_class(-5), "n3");
        assert_eq!(heat_class(-4), "n2");
        assert_eq!(heat_class(-1), "n1");
        assert_eq!(heat_class(0), "z");
        assert_eq!(heat_class(3), "p2");
        assert_eq!(heat_class(5), "p3");
    }
}
