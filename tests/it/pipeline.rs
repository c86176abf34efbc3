//! The `run` command end to end, through the real binary: outputs, determinism, exit codes and
//! bad inputs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{fixture, read_csv, root, run_rules as run, CSVS};

#[test]
fn seeds_give_five_csvs_with_bom_and_intact_text() {
    let out = tempfile::tempdir().unwrap();
    let result = run(&[Path::new("seeds")], out.path());
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    for name in CSVS {
        let bytes = fs::read(out.path().join(name)).unwrap();
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "{name} lacks the UTF-8 BOM"
        );
    }
    let sentences = fs::read_to_string(out.path().join("sentences.csv")).unwrap();
    // The seeds use curly apostrophes; they must survive as UTF-8.
    assert!(sentences.contains('’'), "curly quotes lost");
    let rows = read_csv(&out.path().join("sentences.csv"));
    assert!(
        rows.len() > 50,
        "only {} sentences from five articles",
        rows.len()
    );
    let reports = read_csv(&out.path().join("reports.csv"));
    assert_eq!(reports.len(), 5);
    assert!(read_csv(&out.path().join("errors.csv")).is_empty());
    let summary = String::from_utf8_lossy(&result.stderr);
    assert!(summary.contains("5 reports"), "summary line: {summary}");
}

#[test]
fn same_input_gives_byte_identical_output() {
    // Inspections of two frameworks, focused visits, an HTML page and the news seeds.
    let inputs: Vec<PathBuf> = vec![fixture(""), root().join("seeds")];
    let args: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    assert_eq!(run(&args, first.path()).status.code(), Some(0));
    // A different thread count must not change the output either.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ofsted-themes"));
    cmd.current_dir(root())
        .arg("run")
        .args(&args)
        .arg("--out")
        .arg(second.path());
    let result = cmd
        .args(["--quiet", "--jobs", "1", "--classifier", "rules"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(0));
    for name in CSVS {
        let a = fs::read(first.path().join(name)).unwrap();
        let b = fs::read(second.path().join(name)).unwrap();
        assert!(a == b, "{name} differs between two runs of the same input");
    }
}

#[test]
fn bad_inputs_are_reported_and_the_batch_completes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    fs::copy(root().join("seeds/000_0acf5d652a6d567f.txt"), &good).unwrap();
    fs::write(dir.path().join("empty.txt"), b"").unwrap();
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    fs::write(dir.path().join("junk.txt"), &junk).unwrap();
    fs::write(
        dir.path().join("broken.pdf"),
        b"%PDF-1.7\n1 0 obj << /Type /Catalog",
    )
    .unwrap();
    fs::write(dir.path().join("notes.docx"), b"PK\x03\x04").unwrap();
    let out = tempfile::tempdir().unwrap();
    let result = run(&[dir.path(), &dir.path().join("notes.docx")], out.path());
    assert_eq!(result.status.code(), Some(2), "some inputs skipped: exit 2");

    let errors = read_csv(&out.path().join("errors.csv"));
    let reason = |file: &str| {
        errors
            .iter()
            .find(|r| r[0].ends_with(file))
            .map(|r| r[1].to_string())
            .unwrap_or_else(|| panic!("{file} missing from errors.csv: {errors:?}"))
    };
    assert!(reason("empty.txt").contains("empty"));
    assert!(reason("junk.txt").contains("binary"));
    assert!(reason("broken.pdf").contains("PDF"));
    assert!(reason("notes.docx").contains("not a supported type"));
    assert_eq!(errors.len(), 4);
    // The good file still made it through.
    assert_eq!(read_csv(&out.path().join("reports.csv")).len(), 1);
    // Each skipped file is also named on stderr... unless --quiet, which this run used.
}

#[test]
fn nothing_usable_exits_1_and_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readme.rtf"), b"{\\rtf1}").unwrap();
    let out = tempfile::tempdir().unwrap();
    let result = run(&[dir.path()], out.path());
    assert_eq!(result.status.code(), Some(1));
    let errors = read_csv(&out.path().join("errors.csv"));
    assert_eq!(errors.len(), 1);
    assert!(errors[0][1].contains("no .pdf"), "{:?}", errors[0]);
}

#[test]
fn missing_input_is_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let result = run(&[Path::new("seeds"), Path::new("no/such/folder")], &out);
    // A mistyped path stops the run before anything is written (issue 26).
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("no/such/folder") && stderr.contains("no such file"),
        "{stderr}"
    );
    assert!(!out.exists(), "{stderr}");
}

#[test]
fn unwritable_output_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, b"x").unwrap();
    let result = run(&[Path::new("seeds")], &file.join("out"));
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("cannot create output folder") && stderr.contains("a-file"),
        "{stderr}"
    );
}

#[test]
fn the_model_path_is_deterministic_across_thread_counts() {
    let outs: Vec<tempfile::TempDir> = ["1", "2"]
        .iter()
        .map(|jobs| {
            let out = tempfile::tempdir().unwrap();
            let result = Command::new(env!("CARGO_BIN_EXE_ofsted-themes"))
                .current_dir(root())
                .args([
                    "run",
                    "seeds",
                    "--quiet",
                    "--classifier",
                    "combined",
                    "--jobs",
                    jobs,
                ])
                .arg("--out")
                .arg(out.path())
                .output()
                .unwrap();
            assert_eq!(
                result.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&result.stderr)
            );
            out
        })
        .collect();
    for name in CSVS {
        let a = fs::read(outs[0].path().join(name)).unwrap();
        let b = fs::read(outs[1].path().join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between 1 and 2 threads with the model"
        );
    }
    let reports = read_csv(&outs[0].path().join("reports.csv"));
    assert!(reports.iter().all(|r| &r[r.len() - 1] == "combined"));
}

/// `compare --all-reports` on the real reports of one authority (Walsall's four, in the fixtures): one row per report, oldest
/// first, with the grades of `manifest.csv`, and its last row is the row `compare` shows for
/// that authority's latest report (the two views read different files: themes.csv and
/// authorities.csv).
#[test]
fn compare_all_reports_shows_an_authority_over_time() {
    let corpus = fixture("");
    let reports = [
        "ilacs/walsall_2017-09-04_ilacs.pdf",
        "focused-visit/walsall_2018-10-18_fv.pdf",
        "focused-visit/walsall_2019-12-18_fv.pdf",
        "ilacs/walsall_2025-07-08_ilacs.pdf",
    ]
    .map(|r| corpus.join(r));
    let out = tempfile::tempdir().unwrap();
    let paths: Vec<&Path> = reports.iter().map(PathBuf::as_path).collect();
    let result = run(&paths, out.path());
    assert!(result.status.success(), "{result:?}");

    let compare = |extra: &[&str]| {
        let result = Command::new(env!("CARGO_BIN_EXE_ofsted-themes"))
            .arg("compare")
            .arg(out.path())
            .args(["--authority", "walsall"])
            .args(extra)
            .output()
            .unwrap();
        assert!(result.status.success(), "{result:?}");
        String::from_utf8(result.stdout).unwrap()
    };
    let every = compare(&["--all-reports"]);
    let rows: Vec<&str> = every.lines().filter(|l| l.starts_with("Walsall")).collect();
    let dates: Vec<&str> = rows
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(dates.len(), 4, "{every}");
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "oldest first: {every}");
    assert!(
        dates[0].starts_with("2017") && dates[3].starts_with("2025"),
        "{every}"
    );
    assert!(every.contains("every report, oldest first"), "{every}");

    // Each row carries its report's date, kind and grade as reports.csv has them (the 2017
    // inspection and the 2025 one graded, the focused visits not).
    let reports_csv = out.path().join("reports.csv");
    let header = csv::Reader::from_path(&reports_csv)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let facts = read_csv(&reports_csv);
    for (row, report) in rows.iter().zip(&reports) {
        let file = report.file_name().unwrap().to_str().unwrap();
        let fact = facts
            .iter()
            .find(|f| f[col("source_file")].ends_with(file))
            .unwrap_or_else(|| panic!("{file} is in reports.csv"));
        let grade = match &fact[col("overall_effectiveness")] {
            "" => "-",
            "requires improvement" => "req. impr.",
            other => other,
        };
        let cells = format!(
            "{}  {:<14}  {grade:<11}",
            &fact[col("report_date")],
            &fact[col("document_kind")]
        );
        assert!(row.contains(&cells), "{file}: {row:?} lacks {cells:?}");
    }
    assert!(
        rows[0].contains("req. impr.") && rows[3].contains("outstanding"),
        "{every}"
    );

    // The latest report's figures are the same in both views.
    let latest = compare(&[]);
    let latest_row = latest.lines().find(|l| l.starts_with("Walsall")).unwrap();
    let figures = |line: &str| -> Vec<String> {
        line.split_whitespace()
            .rev()
            .take(26)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(figures(latest_row), figures(rows[3]), "{latest}\n{every}");
    assert!(
        latest.contains("--all-reports shows each"),
        "the latest view points to the history: {latest}"
    );
    assert!(
        rows.iter().any(|r| figures(r) != figures(rows[3])),
        "the reports differ, so the comparison means something"
    );

    // Which reports told Walsall to improve what: counts of recommendations.
    let told = compare(&["--all-reports", "--show", "recommendations"]);
    assert!(
        told.starts_with("Recommendations about each theme"),
        "{told}"
    );
    assert_eq!(
        told.lines().filter(|l| l.starts_with("Walsall")).count(),
        4,
        "{told}"
    );
    let counts: Vec<String> = told
        .lines()
        .filter(|l| l.starts_with("Walsall"))
        .flat_map(figures)
        .collect();
    assert!(
        counts.iter().all(|c| c == "·" || c.parse::<u32>().is_ok()),
        "counts, not signed balances: {told}"
    );
    assert!(
        counts.iter().any(|c| c != "·"),
        "Walsall was told to improve something: {told}"
    );
}
