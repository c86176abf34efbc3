//! The results store through the real binary: incremental runs, moved and new files,
//! re-labelling, `forget`, a run killed part way, a store in use, and old or foreign stores.
//!
//! Inputs are the real PDFs committed under tests/fixtures and the bundled seeds.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ofsted_themes::store::{Store, DEFAULT_FILE_NAME, SCHEMA_VERSION};

use crate::util::{assert_same_csvs, fixture, fixture_pdfs, root, BIN};

/// `count` fixture PDFs, taken evenly from the sorted inspections and focused visits, as
/// paths relative to the project root (so output paths are the same in every run).
fn sample_pdfs(count: usize) -> Vec<PathBuf> {
    let (inspections, visits): (Vec<PathBuf>, Vec<PathBuf>) = fixture_pdfs()
        .into_iter()
        .partition(|p| p.starts_with("tests/fixtures/ilacs"));
    let half = count / 2;
    let mut picked = Vec::new();
    for (list, n) in [(inspections, count - half), (visits, half)] {
        assert!(list.len() >= n, "the fixtures have too few PDFs");
        let step = list.len() / n;
        picked.extend(list.into_iter().step_by(step).take(n));
    }
    picked
}

/// Every fixture PDF and every seed article: 13 reports, enough for a run with one worker
/// to be caught part way.
fn many_inputs() -> Vec<PathBuf> {
    let mut inputs = fixture_pdfs();
    let mut seeds: Vec<PathBuf> = fs::read_dir(root().join("seeds"))
        .unwrap()
        .map(|e| Path::new("seeds").join(e.unwrap().file_name()))
        .collect();
    seeds.sort();
    inputs.extend(seeds);
    inputs
}

/// Two fixture PDFs about the same authority from different dates (from the fixtures'
/// manifest.csv), neither of them in `avoid`.
fn same_authority_pair(avoid: &[PathBuf]) -> (PathBuf, PathBuf) {
    let manifest = fixture("manifest.csv");
    let text = fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let path = |f: &str| Path::new("tests/fixtures").join(f);
    let mut by_authority: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let file = path(cells[0]);
        if !avoid.contains(&file) {
            by_authority
                .entry(cells[3].to_string())
                .or_default()
                .push(file);
        }
    }
    let files = by_authority
        .into_values()
        .find(|files| files.len() >= 2)
        .expect("the manifest has an authority with two reports");
    (files[0].clone(), files[1].clone())
}

/// The binary with `args`. Runs use the rules classifier: these tests are about the store,
/// and the encoder would make each of their many runs take minutes on 2 cores.
fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd).args(args);
    if args.first() == Some(&"run") {
        cmd.args(["--classifier", "rules"]);
    }
    cmd
}

fn run_ok(cwd: &Path, args: &[&str]) -> String {
    let out = command(cwd, args).output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "ofsted-themes {args:?} failed ({}):\n{stderr}",
        out.status
    );
    stderr
}

fn run_failing(cwd: &Path, args: &[&str]) -> Output {
    let out = command(cwd, args).output().expect("the binary runs");
    assert!(
        !out.status.success(),
        "ofsted-themes {args:?} should have failed"
    );
    out
}

fn strs(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

/// The summary line's count for `what` ("new", "re-labelled", "unchanged").
fn count_of(summary: &str, what: &str) -> usize {
    let line = summary
        .lines()
        .find(|l| l.contains(" new, "))
        .unwrap_or_else(|| panic!("no summary line in:\n{summary}"));
    let before = line
        .split(", ")
        .map(|part| part.split("; ").last().unwrap())
        .find(|part| part.ends_with(&format!(" {what}")))
        .unwrap_or_else(|| panic!("no {what:?} in {line:?}"));
    before.split(' ').next().unwrap().parse().unwrap()
}

fn stored_reports(store: &Path) -> usize {
    try_stored_reports(store).unwrap_or_else(|e| panic!("{}: {e}", store.display()))
}

/// The store's report count, read as another process would while a run writes it.
fn try_stored_reports(store: &Path) -> rusqlite::Result<usize> {
    let conn =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.query_row("SELECT count(*) FROM reports", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|n| n as usize)
}

/// Waits until a running `child` has stored at least `count` reports.
fn wait_for_reports(child: &mut std::process::Child, store: &Path, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(300);
    // Before the run has created its tables the count cannot be read: that is "none yet".
    while try_stored_reports(store).unwrap_or(0) < count {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before storing {count} reports"
        );
        assert!(Instant::now() < deadline, "no report was stored in time");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// reports.csv rows (after the header) as (report_id, source_file).
fn report_rows(out: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(out.join("reports.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].trim_start_matches('\u{feff}').to_string(),
                r[1].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_run_killed_part_way_then_resumed_writes_what_a_clean_run_writes() {
    let inputs = many_inputs();
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    let resumed = tmp.path().join("resumed");

    let mut args = vec!["run", "--quiet", "--out", clean.to_str().unwrap()];
    args.extend(strs(&inputs));
    run_ok(root(), &args);

    // One worker, so the run is slow enough to be caught part way.
    let mut args = vec![
        "run",
        "--quiet",
        "--jobs",
        "1",
        "--out",
        resumed.to_str().unwrap(),
    ];
    args.extend(strs(&inputs));
    let mut child = command(root(), &args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = resumed.join(DEFAULT_FILE_NAME);
    wait_for_reports(&mut child, &store, 2);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let committed = stored_reports(&store);
    assert!(
        (2..inputs.len()).contains(&committed),
        "killed after {committed} of {} reports",
        inputs.len()
    );

    let mut args = vec!["run", "--quiet", "--out", resumed.to_str().unwrap()];
    args.extend(strs(&inputs));
    let summary = run_ok(root(), &args);
    assert_eq!(
        count_of(&summary, "new"),
        inputs.len() - committed,
        "{summary}"
    );
    assert_eq!(count_of(&summary, "unchanged"), committed, "{summary}");
    assert_same_csvs(&clean, &resumed);
}

#[test]
fn only_new_files_are_read_and_moved_or_copied_files_are_the_same_report() {
    let pdfs = sample_pdfs(4);
    let (older, newer) = same_authority_pair(&pdfs);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("in")).unwrap();
    let copy = |from: &Path, to: &str| fs::copy(root().join(from), dir.join(to)).unwrap();
    copy(&pdfs[0], "in/a.pdf");
    copy(&pdfs[1], "in/b.pdf");
    copy(&older, "in/same-la-older.pdf");
    copy(&newer, "in/same-la-newer.pdf");

    let summary = run_ok(dir, &["run", "in", "--out", "out"]);
    assert_eq!(count_of(&summary, "new"), 4, "{summary}");
    let first = report_rows(&dir.join("out"));
    assert_eq!(
        first.len(),
        4,
        "the same authority's two reports stay separate"
    );

    // Nothing changed: nothing read.
    let summary = run_ok(dir, &["run", "in", "--out", "out"]);
    assert_eq!(count_of(&summary, "new"), 0, "{summary}");
    assert_eq!(count_of(&summary, "unchanged"), 4, "{summary}");
    assert_eq!(report_rows(&dir.join("out")), first);

    // Rename one, copy another, add one new file: one report is read.
    fs::rename(dir.join("in/a.pdf"), dir.join("in/a-renamed.pdf")).unwrap();
    fs::copy(dir.join("in/b.pdf"), dir.join("in/b-copy.pdf")).unwrap();
    copy(&pdfs[2], "in/c.pdf");
    let summary = run_ok(dir, &["run", "in", "--out", "out"]);
    assert_eq!(count_of(&summary, "new"), 1, "{summary}");
    assert_eq!(count_of(&summary, "unchanged"), 4, "{summary}");
    let rows = report_rows(&dir.join("out"));
    assert_eq!(rows.len(), 5, "no duplicate rows: {rows:?}");
    let sources: Vec<&str> = rows.iter().map(|(_, s)| s.as_str()).collect();
    assert!(sources.contains(&"in/a-renamed.pdf"), "{sources:?}");
    assert!(!sources.contains(&"in/a.pdf"), "{sources:?}");
    assert!(
        sources.contains(&"in/b.pdf"),
        "the stored path stays: {sources:?}"
    );

    // Reports not among the inputs stay in the summaries: the comparison grows.
    copy(&pdfs[3], "d.pdf");
    let summary = run_ok(dir, &["run", "d.pdf", "--out", "out"]);
    assert_eq!(count_of(&summary, "new"), 1, "{summary}");
    assert_eq!(report_rows(&dir.join("out")).len(), 6);

    // forget by path (file, by its bytes), by folder, and by report id.
    run_ok(dir, &["forget", "d.pdf", "--out", "out"]);
    assert_eq!(stored_reports(&dir.join("out").join(DEFAULT_FILE_NAME)), 5);
    let c_id = rows
        .iter()
        .find(|(_, s)| s == "in/c.pdf")
        .map(|(id, _)| id.clone())
        .unwrap();
    run_ok(dir, &["forget", &c_id, "--out", "out"]);
    assert_eq!(stored_reports(&dir.join("out").join(DEFAULT_FILE_NAME)), 4);
    let out = run_failing(dir, &["forget", "no-such.pdf", "--out", "out"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the store: no-such.pdf"));
    fs::remove_file(dir.join("in/c.pdf")).unwrap();
    let summary = run_ok(dir, &["run", "in", "--out", "out"]);
    assert_eq!(count_of(&summary, "new"), 0, "{summary}");
    assert_eq!(report_rows(&dir.join("out")).len(), 4);
    run_ok(dir, &["forget", "in", "--out", "out"]);
    assert_eq!(stored_reports(&dir.join("out").join(DEFAULT_FILE_NAME)), 0);
}

#[test]
fn a_new_taxonomy_version_relabels_from_the_store_as_a_fresh_run_would() {
    let pdfs = sample_pdfs(3);
    let tmp = tempfile::tempdir().unwrap();
    let taxonomy = tmp.path().join("taxonomy.toml");
    let bundled = fs::read_to_string(root().join("taxonomy.toml")).unwrap();
    let mut changed = String::new();
    for line in bundled.lines() {
        if line.starts_with("version") {
            changed.push_str("version = \"store-test-changed\"\n");
        } else {
            changed.push_str(line);
            changed.push('\n');
        }
    }
    // A changed cue list, so the new labels really differ.
    let changed = changed.replacen("strength = [", "strength = [\"the\", ", 1);
    assert!(changed.contains("store-test-changed") && changed.contains("\"the\", "));
    fs::write(&taxonomy, changed).unwrap();

    let stored = tmp.path().join("stored");
    let fresh = tmp.path().join("fresh");
    let mut args = vec!["run", "--quiet", "--out", stored.to_str().unwrap()];
    args.extend(strs(&pdfs));
    run_ok(root(), &args);
    let before = fs::read(stored.join("sentences.csv")).unwrap();

    args.extend(["--taxonomy", taxonomy.to_str().unwrap()]);
    let summary = run_ok(root(), &args);
    assert_eq!(count_of(&summary, "re-labelled"), 3, "{summary}");
    assert_eq!(count_of(&summary, "new"), 0, "{summary}");
    assert_ne!(before, fs::read(stored.join("sentences.csv")).unwrap());

    let mut args = vec!["run", "--quiet", "--out", fresh.to_str().unwrap()];
    args.extend(strs(&pdfs));
    args.extend(["--taxonomy", taxonomy.to_str().unwrap()]);
    run_ok(root(), &args);
    assert_same_csvs(&fresh, &stored);
}

#[test]
fn a_store_in_use_is_refused_at_once() {
    let pdfs = sample_pdfs(2);
    let tmp = tempfile::tempdir().unwrap();
    let store_path = tmp.path().join("elsewhere.sqlite");
    let out = tmp.path().join("out");
    let mut args = vec![
        "run",
        "--out",
        out.to_str().unwrap(),
        "--store",
        store_path.to_str().unwrap(),
    ];
    args.extend(strs(&pdfs));

    // This test process holds the store, as a running `run` does.
    let held = Store::open(&store_path).unwrap();
    let started = Instant::now();
    let result = run_failing(root(), &args);
    assert!(started.elapsed() < Duration::from_secs(30), "it waited");
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains(&format!(
            "store {} is in use by another run",
            store_path.display()
        )),
        "{stderr}"
    );
    drop(held);

    // Two runs of the binary: the second is refused while the first works.
    let mut slow = vec!["run", "--quiet", "--jobs", "1"];
    slow.extend(&args[1..]);
    let many = many_inputs();
    slow.extend(strs(&many));
    let mut first = command(root(), &slow)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_reports(&mut first, &store_path, 1);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run ended too soon"
    );
    let second = run_failing(root(), &args);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("is in use by another run"), "{stderr}");
    first.kill().unwrap();
    first.wait().unwrap();

    // The store is intact and free once the first run is gone.
    run_ok(root(), &args);
}

#[test]
fn old_newer_and_foreign_stores_are_upgraded_or_refused_with_advice() {
    let pdfs = sample_pdfs(2);
    let tmp = tempfile::tempdir().unwrap();
    let run_with_store = |store: &Path| {
        let out = tmp.path().join("out");
        let mut args = vec![
            "run".to_string(),
            "--quiet".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--store".into(),
            store.to_str().unwrap().into(),
        ];
        args.extend(strs(&pdfs).iter().map(|s| s.to_string()));
        command(root(), &args.iter().map(String::as_str).collect::<Vec<_>>())
            .output()
            .unwrap()
    };

    // Schema version 0 with no tables (an empty SQLite file): upgraded in place.
    let empty = tmp.path().join("v0.sqlite");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("PRAGMA user_version = 0; VACUUM;")
        .unwrap();
    let out = run_with_store(&empty);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version: u32 = rusqlite::Connection::open(&empty)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(stored_reports(&empty), 2);

    // Version 0 with tables: a pre-versioning or foreign database, refused untouched.
    let foreign = tmp.path().join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE reports (path TEXT, labels TEXT);")
        .unwrap();
    let out = run_with_store(&foreign);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not an ofsted-themes store") && stderr.contains("--store FILE"),
        "{stderr}"
    );

    // A newer schema than this build knows: refused, saying what to do.
    let newer = tmp.path().join("newer.sqlite");
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch(&format!(
            "CREATE TABLE reports (sha256 TEXT); PRAGMA user_version = {};",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    let out = run_with_store(&newer);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("newer ofsted-themes"), "{stderr}");

    // Not SQLite at all.
    let text = tmp.path().join("notes.sqlite");
    fs::write(
        &text,
        "these are my notes, not a database, and they are long enough\n".repeat(20),
    )
    .unwrap();
    let out = run_with_store(&text);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not an SQLite database"), "{stderr}");
    assert!(fs::read_to_string(&text)
        .unwrap()
        .starts_with("these are my notes"));
}
