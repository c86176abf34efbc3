//! report.html loaded in a real browser (headless chromium): it renders without script
//! errors, the heat map has one cell per authority and theme, every figure equals what the
//! sentences behind it add up to (the page's own #self-check), and a screenshot is saved.
//!
//! Needs chromium: `scripts/test` installs Debian's package. Without it this test fails and
//! says so; it never skips silently.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ofsted_themes::taxonomy::Taxonomy;

use crate::util::{project, BIN};

const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

fn browser() -> &'static str {
    BROWSERS
        .iter()
        .copied()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "chromium is not installed, and this test renders report.html in it: install it \
                 with `apt-get install chromium` (scripts/test does this), then run the tests again"
            )
        })
}

/// Runs headless chromium on `url` with `extra` arguments and returns its stdout.
fn chromium(url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed on {url}: {status}");
            break;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took over {BROWSER_TIMEOUT:?} on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

fn run(input: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(BIN)
        .arg("run")
        .arg(input)
        .arg("--out")
        .arg(out.path())
        .arg("--quiet")
        // Neither the seeds nor the focused visits hold a full inspection: authorities.csv
        // then has a row per authority only in this view, which is the page's opening one.
        .args(["--view", "latest-report"])
        .status()
        .expect("the binary runs");
    assert_eq!(status.code(), Some(0), "run on {} failed", input.display());
    out
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in the page"));
    let rest = &text[from + start.len()..];
    &rest[..rest
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))]
}

/// Data rows of authorities.csv: one per authority.
fn authority_rows(dir: &Path) -> usize {
    let text = std::fs::read_to_string(dir.join("authorities.csv")).unwrap();
    csv::Reader::from_reader(text.as_bytes()).records().count()
}

/// Loads the page with #self-check and checks what the browser made of it.
fn check_rendered_page(out: &Path) {
    let page = out.join("report.html");
    let url = format!("file://{}#self-check", page.display());
    let dom = chromium(&url, &["--dump-dom".to_string()]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not finish: {}",
        between(&dom, "<pre id=\"console-errors\"", "</pre>")
    );
    let errors = between(&dom, "<pre id=\"console-errors\"", "</pre>");
    let errors = errors.split_once('>').map_or("", |(_, text)| text);
    assert!(errors.trim().is_empty(), "console errors:\n{errors}");

    let check = between(&dom, "<pre id=\"self-check\" hidden=\"\">", "</pre>");
    let figures: usize = check
        .strip_prefix("checked ")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected self-check result {check:?}"));
    assert!(figures > 0, "{check}");
    assert!(check.ends_with(", 0 wrong"), "{check}");

    // One heat-map cell per authority and theme, one row per row of authorities.csv.
    let themes = Taxonomy::bundled().themes.len();
    let authorities = authority_rows(out);
    let heat_map = between(&dom, "<table class=\"hm\" id=\"hm\">", "</table>");
    let body = between(heat_map, "<tbody>", "</tbody>");
    let rows = body.matches("<tr ").count();
    assert_eq!(
        body.matches(" latest\"").count() + body.matches("\"latest\"").count(),
        authorities,
        "rows of the latest-report view"
    );
    assert_eq!(
        body.matches("<td class=\"hc ").count(),
        rows * themes,
        "cells: {rows} rows × {themes} themes"
    );
    let head = between(heat_map, "<thead>", "</thead>");
    assert_eq!(
        head.matches("class=\"rot th ").count(),
        themes,
        "theme columns"
    );
}

/// Opens the evidence behind the first heat-map figure of authorities.csv's first row (via the
/// page's #ev= link) and checks it lists as many sentences as the CSV counts.
fn check_evidence_panel(out: &Path) {
    let text = std::fs::read_to_string(out.join("authorities.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let first = reader.records().next().expect("an authority").unwrap();
    let name = first[0].to_lowercase();
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let row = between(&page, &format!("<tr data-name=\"{name}\""), "</tr>");
    let r = between(row, "data-r=\"", "\"");
    let t: usize = between(row, "data-t=\"", "\"").parse().unwrap();
    let theme = &Taxonomy::bundled().themes[t].id;
    let count = |part: &str| -> usize {
        let col = header
            .iter()
            .position(|h| *h == format!("{theme}_{part}"))
            .unwrap();
        first[col].parse().unwrap()
    };
    let expected = count("strengths") + count("weaknesses") + count("recommendations");
    assert!(expected > 0, "the first figure has sentences behind it");

    let url = format!("file://{}#ev={r},{t},", out.join("report.html").display());
    let dom = chromium(&url, &["--dump-dom".to_string()]);
    assert!(
        dom.contains("<div id=\"evidence\" class=\"evidence\" role=\"dialog\""),
        "the evidence panel is open (not hidden)"
    );
    let listed = between(&dom, "<div id=\"ev-body\">", "<footer>")
        .matches("class=\"ev-item ")
        .count();
    assert_eq!(listed, expected, "sentences listed for {name}, {theme}");
}

#[test]
fn report_on_the_seeds_renders_in_chromium() {
    let out = run(&project("seeds"));
    check_rendered_page(out.path());
    check_evidence_panel(out.path());

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-seeds.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &format!("file://{}", out.path().join("report.html").display()),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".to_string(),
            "--hide-scrollbars".to_string(),
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        png.len() > 20_000,
        "a screenshot of a drawn page, not a blank one"
    );
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn report_on_real_reports_renders_in_chromium() {
    // The fixtures: inspections of two frameworks, focused visits and an HTML page.
    let out = run(&crate::util::fixture(""));
    check_rendered_page(out.path());
}
