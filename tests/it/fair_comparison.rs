//! Fair comparisons over the real corpus (`../shared/corpus`, rules classifier for speed): the
//! default views stand on each authority's latest full inspection, every row names its report's
//! kind and date, every authority has its DfE and ONS codes and region from the table, shares
//! are the CSV counts' arithmetic and lie in [−1, 1], and in a real browser the heat map holds
//! only full inspections and hatches cells with fewer than 3 sentences.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ofsted_themes::codes;

use crate::util::{csv_rows, BIN};

/// ../shared/corpus, or None (the test is skipped, saying so: see `util::shared`).
fn corpus() -> Option<PathBuf> {
    crate::util::shared("corpus")
}

/// One run over the corpus in the default view, shared by the tests of this file.
fn corpus_run() -> Option<&'static Path> {
    static RUN: OnceLock<tempfile::TempDir> = OnceLock::new();
    let corpus = corpus()?;
    let out = RUN.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        run(&corpus, out.path(), &[]);
        out
    });
    Some(out.path())
}

fn run(input: &Path, out: &Path, extra: &[&str]) {
    let result = Command::new(BIN)
        .arg("run")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--classifier", "rules"])
        .args(extra)
        .output()
        .expect("the binary runs");
    assert!(result.status.success(), "run failed: {result:?}");
}

fn theme_ids() -> Vec<String> {
    ofsted_themes::taxonomy::Taxonomy::bundled()
        .themes
        .iter()
        .map(|t| t.id.clone())
        .collect()
}

#[test]
fn authorities_csv_holds_each_authoritys_latest_full_inspection() {
    let Some(out) = corpus_run() else { return };
    let reports = csv_rows(&out.join("reports.csv"));
    let authorities = csv_rows(&out.join("authorities.csv"));
    // Expected from reports.csv: per authority, its latest inspection (reports.csv is in
    // authority then date order).
    let mut latest_full: BTreeMap<String, &BTreeMap<String, String>> = BTreeMap::new();
    let mut all: BTreeSet<String> = BTreeSet::new();
    for r in &reports {
        all.insert(r["local_authority"].to_lowercase());
        if r["document_kind"] == "inspection" {
            latest_full.insert(r["local_authority"].to_lowercase(), r);
        }
    }
    assert!(
        latest_full.len() > 50 && latest_full.len() < all.len(),
        "the corpus mixes kinds"
    );
    assert_eq!(
        authorities.len(),
        latest_full.len(),
        "one row per authority with a full inspection"
    );
    for row in &authorities {
        assert_eq!(row["document_kind"], "inspection", "{row:?}");
        assert!(
            !row["report_date"].is_empty(),
            "every row names its date: {row:?}"
        );
        let want = latest_full[&row["local_authority"].to_lowercase()];
        assert_eq!(
            row["report_id"], want["report_id"],
            "{}",
            row["local_authority"]
        );
    }

    // --view latest-report: one row per authority, its latest report of any kind.
    let latest_out = tempfile::tempdir().unwrap();
    run(
        &corpus().unwrap(),
        latest_out.path(),
        &["--view", "latest-report"],
    );
    let latest = csv_rows(&latest_out.path().join("authorities.csv"));
    assert_eq!(latest.len(), all.len());
    assert!(latest.iter().any(|r| r["document_kind"] != "inspection"));
    for row in &latest {
        let last = reports
            .iter()
            .rfind(|r| r["local_authority"] == row["local_authority"])
            .unwrap();
        assert_eq!(row["report_id"], last["report_id"]);
        assert!(!row["document_kind"].is_empty() && !row["report_date"].is_empty());
    }
}

#[test]
fn every_authority_has_its_codes_and_region_from_the_table() {
    let Some(out) = corpus_run() else { return };
    let table_rows: BTreeMap<&str, &codes::AuthorityCodes> = codes::table()
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for file in ["reports.csv", "authorities.csv"] {
        let rows = csv_rows(&out.join(file));
        assert!(!rows.is_empty());
        for row in rows {
            let name = row["local_authority"].as_str();
            let want = table_rows
                .get(name)
                .unwrap_or_else(|| panic!("{file}: {name} is not in data/authority_codes.csv"));
            assert_eq!(row["la_code"], want.la_code, "{file}: {name}");
            assert_eq!(row["ons_code"], want.ons_code, "{file}: {name}");
            assert_eq!(row["region"], want.region, "{file}: {name}");
            assert!(codes::REGIONS.contains(&row["region"].as_str()));
        }
    }
    // A few codes as DfE and the ONS publish them.
    let reports = csv_rows(&out.join("reports.csv"));
    let code_of = |name: &str| {
        let r = reports
            .iter()
            .find(|r| r["local_authority"] == name)
            .unwrap();
        (
            r["la_code"].clone(),
            r["ons_code"].clone(),
            r["region"].clone(),
        )
    };
    assert_eq!(
        code_of("Hartlepool"),
        ("805".into(), "E06000001".into(), "North East".into())
    );
    assert_eq!(
        code_of("Barnet"),
        ("302".into(), "E09000003".into(), "London".into())
    );
}

#[test]
fn shares_are_the_counts_arithmetic_and_within_one() {
    let Some(out) = corpus_run() else { return };
    let mut checked = 0;
    let mut few = 0;
    for row in csv_rows(&out.join("authorities.csv")) {
        for id in theme_ids() {
            let count = |part: &str| -> i64 { row[&format!("{id}_{part}")].parse().unwrap() };
            let n = count("n");
            let (s, w, r) = (
                count("strengths"),
                count("weaknesses"),
                count("recommendations"),
            );
            assert_eq!(count("balance"), s - w - r);
            assert!(n >= s + w + r, "n counts context too");
            let share = &row[&format!("{id}_share")];
            if n == 0 {
                assert_eq!(share, "", "no share without sentences");
                continue;
            }
            let value: f64 = share.parse().unwrap();
            assert!((-1.0..=1.0).contains(&value), "{id}: {share}");
            let expected = (s - w - r) as f64 / n as f64;
            assert!(
                (value - expected).abs() <= 0.005 + 1e-9,
                "{id}: {share} vs {expected}"
            );
            assert_eq!(share.len(), 5, "two decimals and a sign: {share}");
            checked += 1;
            few += usize::from(n < 3);
        }
    }
    assert!(checked > 1000, "{checked} shares");
    assert!(few > 0, "some cells rest on fewer than 3 sentences");
}

#[test]
fn compare_filters_by_region_and_shows_change_between_inspections() {
    let Some(out) = corpus_run() else { return };
    let compare = |args: &[&str]| -> String {
        let result = Command::new(BIN)
            .arg("compare")
            .arg(out)
            .args(args)
            .output()
            .unwrap();
        assert!(result.status.success(), "{result:?}");
        String::from_utf8(result.stdout).unwrap()
    };
    let text = compare(&["--region", "London", "--theme", "early_help"]);
    let names: Vec<&str> = text
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("No full") && !l.starts_with("Some "))
        .map(|l| l.split("  ").next().unwrap().trim())
        .collect();
    assert!(names.len() > 3, "{text}");
    for name in names {
        assert_eq!(codes::lookup(name).unwrap().region, "London", "{text}");
    }
    let text = compare(&[
        "--authority",
        "doncaster",
        "--all-reports",
        "--show",
        "share",
    ]);
    let change = text
        .lines()
        .find(|l| l.starts_with("Δ Doncaster"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(change.contains("2022-02-25 → 2025-01-31"), "{change}");
    assert!(change.contains("req. impr. → good"), "{change}");
}

fn chromium_dump(url: &str) -> String {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium is installed (scripts/test installs it)");
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(240) {
            let _ = child.kill();
            panic!("chromium took too long on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

/// The heat map in a real browser: the page opens on full inspections only (one row per
/// authority of authorities.csv), the page's self-check finds every share equal to its
/// sentences and every cell with fewer than 3 sentences hatched, not coloured.
#[test]
fn the_heat_map_in_chromium_compares_like_with_like() {
    let Some(out) = corpus_run() else { return };
    let page = out.join("report.html");
    let dom = chromium_dump(&format!("file://{}#self-check", page.display()));
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script finished"
    );
    let check = dom
        .split("<pre id=\"self-check\" hidden=\"\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("no self-check result"));
    assert!(check.ends_with(", 0 wrong"), "{check}");
    let errors = dom.split("<pre id=\"console-errors\"").nth(1).unwrap();
    let errors = &errors[errors.find('>').unwrap() + 1..errors.find("</pre>").unwrap()];
    assert!(errors.trim().is_empty(), "console errors: {errors}");

    // The rows shown once the script has run (the others carry hidden="").
    let body = dom.split("<table class=\"hm\" id=\"hm\">").nth(1).unwrap();
    let body = &body[..body.find("</table>").unwrap()];
    let shown: Vec<&str> = body
        .split("<tr ")
        .skip(1)
        .filter(|r| !r[..r.find('>').unwrap()].contains("hidden"))
        .collect();
    let authorities = csv_rows(&out.join("authorities.csv"));
    assert_eq!(
        shown.len(),
        authorities.len(),
        "one row per authority with a full inspection"
    );
    for row in &shown {
        assert!(row.contains("data-kind=\"inspection\""), "{}", &row[..200]);
        assert!(
            row.contains("<small>inspection of 20"),
            "names its kind and date"
        );
    }
    let few = body.matches("<td class=\"hc few\"").count();
    assert!(few > 0, "some cells are hatched");
    // Authorities with no full inspection are named under the map, not mixed in.
    let missing = dom
        .split("id=\"hm-missing\"")
        .nth(1)
        .expect("the list of those left out");
    assert!(missing.contains("Brent"), "Brent has only a focused visit");
}
