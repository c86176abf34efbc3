//! Runs that say what they did (issue 27: cases 01, 02, 18, 19, 20, 21, 22, 24, 26, 27),
//! each through the release binary.

use super::*;

use calamine::{open_workbook, Reader, Xlsx};

/// A short focused-visit letter about `authority`: a report the rules read in milliseconds.
fn letter(authority: &str) -> String {
    format!(
        "Focused visit to {authority} children\u{2019}s services\n\n\
         This letter summarises the findings of a focused visit to {authority} children\u{2019}s \
         services on 9 and 10 May 2019.\n\n\
         Leaders have improved the quality of practice for children in care.\n\n\
         Management oversight of casework is not always effective.\n"
    )
}

/// A folder `name` under `dir` holding `files` (relative name → authority), folders made.
fn folder(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join(name);
    for (file, authority) in files {
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, letter(authority)).unwrap();
    }
    fs::create_dir_all(&root).unwrap();
    root
}

/// reports.csv's source_file column.
fn sources(out: &Path) -> Vec<String> {
    column(&csv_rows(&out.join("reports.csv")), "source_file")
}

/// `ofsted-themes ARGS` without --quiet, one minute at most.
fn run_args(args: &[&OsStr]) -> Ran {
    run_binary(args, Duration::from_secs(60))
}

fn os(parts: &[&str]) -> Vec<std::ffi::OsString> {
    parts.iter().map(|p| p.into()).collect()
}

// ---- 01, 02: the run's own files are never inputs ----

/// Case 01: `--out` equal to the input folder read its own report.html back on every run.
#[test]
fn case_01_out_equal_to_the_input_folder_reads_no_output_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    for run in 1..=3 {
        let ran = run_rules(&[&input], &input, &[]);
        assert_eq!(ran.code, Some(0), "run {run}: {}", ran.stderr);
    }
    let sources = sources(&input);
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert!(sources[0].ends_with("luton.txt"), "{sources:?}");
    assert!(errors_by_name(&input).is_empty());
}

/// Case 02: `--out` inside the input folder read the last run's report.html as a report.
#[test]
fn case_02_out_inside_the_input_folder_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    let out = input.join("results");
    for run in 1..=3 {
        let ran = run_rules(&[&input], &out, &[]);
        assert_eq!(ran.code, Some(0), "run {run}: {}", ran.stderr);
    }
    assert_eq!(sources(&out).len(), 1, "{:?}", sources(&out));
    assert!(errors_by_name(&out).is_empty());
}

/// An output named as an input is an error naming it, and a store elsewhere in the input
/// folder is not read either.
#[test]
fn an_output_file_given_as_input_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(0);
    let page = out.join("report.html");
    let store = input.join("kept.sqlite");
    let store_arg = format!("--store={}", store.display());
    let ran = run_rules(&[&input, &page], &out, &[&store_arg]);
    ran.expect_code(2);
    let errors = errors_by_name(&out);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors["report.html"].contains("a file that ofsted-themes writes"),
        "{errors:?}"
    );
    assert_eq!(sources(&out).len(), 1);
}

/// `--store` naming an output of the run, or the output folder, is refused before anything
/// is written.
#[test]
fn a_store_named_like_an_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    let out = dir.path().join("out");
    for store in [
        out.join("reports.csv"),
        out.join("report.html"),
        out.clone(),
    ] {
        let store_arg = format!("--store={}", store.display());
        let ran = run_rules(&[&input], &out, &[&store_arg]);
        ran.expect_code(1);
        assert!(ran.stderr.contains("--store"), "{}", ran.stderr);
        assert!(!out.join("reports.csv").exists(), "nothing written");
    }
}

// ---- 18: a store too large for one sheet ----

/// Case 18: more sentences than a sheet holds failed the workbook, and so the whole run and
/// every later one. With the sheet's limit lowered to 8 rows, the Sentences go on over
/// several sheets, every sentence once, and a rerun works.
#[test]
fn case_18_sentences_over_a_sheets_rows_go_on_over_more_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(
        dir.path(),
        "r",
        &[
            ("luton.txt", "Luton Borough Council"),
            ("bedford.txt", "Bedford Borough Council"),
        ],
    );
    let out = dir.path().join("out");
    for run in 1..=2 {
        let log = tempfile::NamedTempFile::new().unwrap();
        let status = Command::new(BIN)
            .args([OsStr::new("run"), input.as_os_str(), "--out".as_ref()])
            .arg(&out)
            .args(["--classifier", "rules"])
            .env(ofsted_themes::workbook::SHEET_ROWS_VARIABLE, "8")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .status()
            .unwrap();
        let stderr = fs::read_to_string(log.path()).unwrap();
        assert_eq!(status.code(), Some(0), "run {run}: {stderr}");
        assert!(stderr.contains("goes on over"), "{stderr}");
    }
    let sentences = csv_rows(&out.join("sentences.csv")).len();
    assert!(sentences > 7, "{sentences} sentences: too few to split");
    let mut book: Xlsx<_> = open_workbook(out.join("ofsted-themes.xlsx")).unwrap();
    let parts: Vec<String> = book
        .sheet_names()
        .into_iter()
        .filter(|n| n.starts_with("Sentences"))
        .collect();
    assert_eq!(parts.len(), sentences.div_ceil(7), "{parts:?}");
    assert_eq!(parts[1], "Sentences 2");
    let mut rows = 0;
    for name in &parts {
        let range = book.worksheet_range(name).unwrap();
        assert!(range.height() <= 8, "{name}: {} rows", range.height());
        assert_eq!(
            range.get((0, 0)).unwrap().to_string(),
            "local_authority",
            "{name} has the header"
        );
        rows += range.height() - 1;
    }
    assert_eq!(rows, sentences);
    for page in ["report.html", "reports.csv", "themes.csv"] {
        assert!(out.join(page).is_file(), "{page}");
    }
}

// ---- 19: usage errors ----

/// Case 19: a mistyped option exited 2, the status for "some inputs skipped".
#[test]
fn case_19_a_usage_error_exits_1_and_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    let out = dir.path().join("out");
    let ran = run_args(&[
        "run".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--clasifier".as_ref(),
        "rules".as_ref(),
    ]);
    ran.expect_code(1);
    assert!(ran.stderr.contains("--clasifier"), "{}", ran.stderr);
    assert!(!out.exists(), "nothing ran");
    for ok in [&["--help"][..], &["--version"], &["run", "--help"]] {
        let args = os(ok);
        let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        run_args(&refs).expect_code(0);
    }
}

// ---- 20: compare on part of a results folder ----

/// Case 20: compare without reports.csv showed every grade as "-" and exited 0.
#[test]
fn case_20_compare_refuses_a_results_folder_it_cannot_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(
        dir.path(),
        "r",
        &[
            ("luton.txt", "Luton Borough Council"),
            ("bedford.txt", "Bedford Borough Council"),
        ],
    );
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(0);
    run_args(&["compare".as_ref(), out.as_os_str()]).expect_code(0);

    let reports = out.join("reports.csv");
    let full = fs::read_to_string(&reports).unwrap();
    // Short: the header and one of the two reports.
    let short: String = full.lines().take(2).map(|l| format!("{l}\n")).collect();
    fs::write(&reports, short).unwrap();
    let ran = run_args(&["compare".as_ref(), out.as_os_str()]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("reports.csv has no row for report"),
        "{}",
        ran.stderr
    );

    fs::remove_file(&reports).unwrap();
    let ran = run_args(&["compare".as_ref(), out.as_os_str()]);
    ran.expect_code(1);
    assert!(ran.stderr.contains("no reports.csv"), "{}", ran.stderr);
}

// ---- 21: non-finite numbers in settings ----

/// Case 21: NaN or infinity in a --taxonomy file gave no themes (exit 0) or a bare SQLite
/// error. Each is refused naming the file, the line and the key.
#[test]
fn case_21_non_finite_taxonomy_numbers_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    let bundled = fs::read_to_string(root().join("taxonomy.toml")).unwrap();
    let cases = [
        (
            "theme_saturation = 1.0",
            "theme_saturation = nan",
            "thresholds.theme_saturation",
        ),
        (
            "strength_cue = 1.0",
            "strength_cue = inf",
            "weights.strength_cue",
        ),
        (
            "strength_cue = 1.0",
            "strength_cue = -inf",
            "weights.strength_cue",
        ),
    ];
    for (k, (from, to, key)) in cases.into_iter().enumerate() {
        let line = bundled
            .lines()
            .position(|l| l.starts_with(from))
            .unwrap_or_else(|| panic!("taxonomy.toml has no line {from:?}"));
        let edited = bundled.replacen(from, to, 1);
        let taxonomy = write(dir.path(), &format!("tax{k}.toml"), edited);
        let out = dir.path().join(format!("out{k}"));
        let tax_arg = format!("--taxonomy={}", taxonomy.display());
        let ran = run_rules(&[&input], &out, &[&tax_arg]);
        ran.expect_code(1);
        let expected = format!("tax{k}.toml, line {}: {key} is", line + 1);
        assert!(ran.stderr.contains(&expected), "{expected}: {}", ran.stderr);
        assert!(ran.stderr.contains("not a finite number"), "{}", ran.stderr);
    }
}

// ---- 22: formula guard ----

/// Case 22: a theme name beginning with "=" reached themes.csv as a formula. Every free-text
/// cell of every CSV is guarded, theme names included.
#[test]
fn case_22_theme_names_and_every_free_text_cell_are_formula_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    write(
        &input,
        "-minus.txt",
        letter("Walsall").replace("Leaders have", "@Leaders have"),
    );
    let bundled = fs::read_to_string(root().join("taxonomy.toml")).unwrap();
    let hostile = r#"name = "=HYPERLINK(\"http://example.invalid\",\"Early help\")""#;
    assert!(bundled.contains("name = \"Early help\""));
    let edited = bundled.replacen("name = \"Early help\"", hostile, 1);
    let taxonomy = write(dir.path(), "tax.toml", edited);
    let out = dir.path().join("out");
    let tax_arg = format!("--taxonomy={}", taxonomy.display());
    run_rules(&[&input], &out, &[&tax_arg]).expect_code(0);

    let names = column(&csv_rows(&out.join("themes.csv")), "theme_name");
    assert!(
        names.iter().any(|n| n.starts_with("'=HYPERLINK")),
        "{names:?}"
    );
    let free_text = [
        ("themes.csv", "theme_name"),
        ("themes.csv", "local_authority"),
        ("sentences.csv", "text"),
        ("sentences.csv", "section"),
        ("sentences.csv", "evidence"),
        ("sentences.csv", "local_authority"),
        ("reports.csv", "source_file"),
        ("reports.csv", "local_authority"),
        ("reports.csv", "lead_inspector"),
        ("authorities.csv", "local_authority"),
    ];
    for (file, name) in free_text {
        for value in column(&csv_rows(&out.join(file)), name) {
            assert!(
                !value.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{file} {name}: {value:?}"
            );
        }
    }
    let texts = column(&csv_rows(&out.join("sentences.csv")), "text");
    assert!(
        texts.iter().any(|t| t.starts_with("'@Leaders")),
        "{texts:?}"
    );
    let sources = sources(&out);
    assert!(
        sources.iter().any(|s| s.contains("-minus.txt")),
        "{sources:?}"
    );
}

// ---- 24: hidden and unsupported files are named ----

/// Case 24: hidden reports and folders were skipped without a word (exit 0; in neither
/// reports.csv nor errors.csv). Now each hidden report, and each hidden folder holding
/// reports, is a row of errors.csv (exit 2), and all hidden and unsupported files are named
/// in one line each on stderr.
#[test]
fn case_24_hidden_and_unsupported_files_are_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(
        dir.path(),
        "r",
        &[
            (".luton.txt", "Luton Borough Council"),
            (".archive/walsall.txt", "Walsall"),
            ("bexley.txt", "Bexley"),
        ],
    );
    write(&input, "notes.docx", "not read");
    write(&input, "figures.xlsx", "not read");
    write(&input, ".DS_Store", "not read");
    let out = dir.path().join("out");
    let ran = run_args(&[
        "run".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--classifier".as_ref(),
        "rules".as_ref(),
    ]);
    ran.expect_code(2);
    let errors = errors_by_name(&out);
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        [".archive", ".luton.txt"],
        "{errors:?}"
    );
    assert!(errors[".luton.txt"].contains("hidden file"), "{errors:?}");
    assert!(
        errors[".archive"].contains("holding 1 report file"),
        "{errors:?}"
    );
    let hidden: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.contains("hidden file"))
        .filter(|l| l.starts_with("skipped 3 hidden"))
        .collect();
    assert_eq!(hidden.len(), 1, "{}", ran.stderr);
    for name in [".luton.txt", ".archive", ".DS_Store"] {
        assert!(hidden[0].contains(name), "{name}: {}", hidden[0]);
    }
    let unsupported: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("not read: 2 files"))
        .collect();
    assert_eq!(unsupported.len(), 1, "{}", ran.stderr);
    assert!(unsupported[0].contains("notes.docx") && unsupported[0].contains("figures.xlsx"));
    assert_eq!(sources(&out).len(), 1);

    // Given by name, a hidden report is read, and an unsupported file is an error saying why.
    let named = input.join(".luton.txt");
    let docx = input.join("notes.docx");
    let out2 = dir.path().join("out2");
    run_rules(&[&named, &docx], &out2, &[]).expect_code(2);
    assert_eq!(sources(&out2).len(), 1);
    let errors = errors_by_name(&out2);
    assert!(
        errors["notes.docx"].contains("not a supported type"),
        "{errors:?}"
    );
}

/// A folder holding only hidden reports is not called empty: its hidden report says why.
#[test]
fn a_folder_of_hidden_reports_is_not_called_empty() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[(".luton.txt", "Luton Borough Council")]);
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(1);
    let errors = errors_by_name(&out);
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        [".luton.txt"],
        "{errors:?}"
    );
}

// ---- 26: --jobs ----

/// Case 26: `--jobs 100000` panicked after two minutes. It is capped, with a note.
#[test]
fn case_26_a_huge_jobs_is_capped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(dir.path(), "r", &[("luton.txt", "Luton Borough Council")]);
    let out = dir.path().join("out");
    let ran = run_args(&[
        "run".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--classifier".as_ref(),
        "rules".as_ref(),
        "--jobs".as_ref(),
        "100000".as_ref(),
    ]);
    ran.expect_code(0);
    assert!(ran.stderr.contains("note: --jobs 100000"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
}

// ---- 27: overlapping inputs ----

/// Case 27: `run r r/sub`, or a folder twice, read everything yet exited 2 with a false
/// "holds no files". Overlapping inputs are read once, without an error.
#[test]
fn case_27_overlapping_inputs_are_read_once_without_a_false_empty() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(
        dir.path(),
        "r",
        &[
            ("luton.txt", "Luton Borough Council"),
            ("sub/walsall.txt", "Walsall"),
        ],
    );
    let sub = input.join("sub");
    let luton = input.join("luton.txt");
    let dotted = input.join(".").join("luton.txt");
    let overlapping: [&[&Path]; 5] = [
        &[&input, &sub],
        &[&sub, &input],
        &[&input, &input],
        &[&input, &luton],
        &[&dotted, &input],
    ];
    for (k, inputs) in overlapping.into_iter().enumerate() {
        let out = dir.path().join(format!("out{k}"));
        let ran = run_rules(inputs, &out, &[]);
        assert_eq!(ran.code, Some(0), "{inputs:?}: {}", ran.stderr);
        assert!(errors_by_name(&out).is_empty(), "{inputs:?}");
        assert_eq!(sources(&out).len(), 2, "{inputs:?}");
    }
}
