//! Hostile inputs and stale stores (issues 13 and 27): each numbered case of issue 13 is a test
//! here, run through the release binary where the case is about a run, plus a seeded fuzz
//! run and the guard that keeps the stage revisions honest.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ofsted_themes::classify::rules::RULES_REVISION;
use ofsted_themes::classify::{Classifier, RulesClassifier};
use ofsted_themes::error::InputProblem;
use ofsted_themes::pipeline::{self, StageTimes};
use ofsted_themes::store::{self, EXTRACTOR_VERSION};
use ofsted_themes::taxonomy::Taxonomy;
use ofsted_themes::types::{Label, SentenceInput, Stance};

// ---- helpers ----

use crate::util::{csv_rows, errors_by_name, root, text_pdf, XorShift, BIN};

// Issue 27's cases, one file for each class.
mod contained;
mod readers;
mod runs;

/// What a run of the binary did.
struct Ran {
    /// `None` when it was killed for running past its time.
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

impl Ran {
    fn expect_code(&self, code: i32) -> &Ran {
        assert_eq!(
            self.code,
            Some(code),
            "exit status (None = killed after the time limit); stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs the binary with `args`, killing it after `limit`. Stderr goes to a file, so a
/// chatty run cannot block on a full pipe.
fn run_binary<I, S>(args: I, limit: Duration) -> Ran
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_killed_after(Command::new(BIN).args(args), limit)
}

/// Runs `command` in the project root, killing it after `limit`; stderr goes to a file.
fn run_killed_after(command: &mut Command, limit: Duration) -> Ran {
    let log = tempfile::NamedTempFile::new().unwrap();
    let start = Instant::now();
    let mut child = command
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .expect("start the binary");
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().or(Some(-1));
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code,
        stderr: fs::read_to_string(log.path()).unwrap_or_default(),
        took: start.elapsed(),
    }
}

/// `ofsted-themes run INPUTS --out OUT --quiet --classifier rules`, one minute at most.
fn run_rules(inputs: &[&Path], out: &Path, extra: &[&str]) -> Ran {
    let mut args: Vec<&OsStr> = vec!["run".as_ref()];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend(["--out".as_ref(), out.as_os_str()]);
    args.extend(["--quiet", "--classifier", "rules"].map(OsStr::new));
    args.extend(extra.iter().map(OsStr::new));
    run_binary(args, Duration::from_secs(60))
}

fn column(rows: &[BTreeMap<String, String>], name: &str) -> Vec<String> {
    rows.iter().map(|r| r[name].clone()).collect()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

// ---- 1: a long "sentence" ----

/// Issue 13 case 1: an HTML table of 1,500 cells without full stops was one sentence of
/// 40,000 characters, over Excel's cell limit: the workbook failed and every later run on
/// that --out failed with it.
#[test]
fn case_1_an_overlong_sentence_is_cut_and_the_workbook_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r1");
    fs::create_dir(&input).unwrap();
    let cells: String = (0..1500)
        .map(|i| format!("<td>cell {i} children in care</td>"))
        .collect();
    write(
        &input,
        "table.html",
        format!("<h1>Ofsted inspection of X</h1><table><tr>{cells}</tr></table>"),
    );
    let out = dir.path().join("o1");
    run_rules(&[&input], &out, &[]).expect_code(0);
    assert!(out.join("ofsted-themes.xlsx").is_file());
    let sentences = csv_rows(&out.join("sentences.csv"));
    let cut: Vec<_> = sentences
        .iter()
        .filter(|r| r["text"].contains("[…]"))
        .collect();
    assert!(cut.len() > 30, "{} pieces", cut.len());
    for row in &sentences {
        assert!(row["text"].chars().count() <= 1000, "{}", row["text"].len());
    }
    for row in &cut {
        assert!(
            row["evidence"].contains("a piece of a sentence over 1000 characters"),
            "{}",
            row["evidence"]
        );
    }
    // Every cell's words are still there, in order.
    let all: String = column(&sentences, "text").join(" ");
    assert!(all.contains("cell 0 children in care") && all.contains("cell 1499 children"));
    // And a second run on the same --out works.
    run_rules(&[&input], &out, &[]).expect_code(0);
}

// ---- 2: deep nesting ----

/// Issue 13 case 2: 10,000 nested <div>s overflowed the stack and aborted the whole batch.
#[test]
fn case_2_deeply_nested_html_is_read_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r2");
    fs::create_dir(&input).unwrap();
    let depth = 50_000;
    write(
        &input,
        "deep.html",
        format!(
            "<p>x.</p>{}<p>Leaders are good.</p>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        ),
    );
    write(&input, "a.txt", "Social workers are good.\n");
    let out = dir.path().join("o2");
    run_rules(&[&input], &out, &[]).expect_code(0);
    let texts = column(&csv_rows(&out.join("sentences.csv")), "text");
    assert!(
        texts.contains(&"Leaders are good.".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"Social workers are good.".to_string()));
}

// ---- 3: files that are not regular files ----

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path and a mode; no memory is shared.
    let rc = unsafe { libc::mkfifo(name.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Issue 13 case 3: a FIFO in the input folder blocked for ever, a link to /dev/zero ran
/// until killed, and a FIFO named on the command line was "no such file or folder".
#[cfg(unix)]
#[test]
fn case_3_pipes_and_devices_are_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r3");
    fs::create_dir(&input).unwrap();
    mkfifo(&input.join("x.txt"));
    std::os::unix::fs::symlink("/dev/zero", input.join("zero.txt")).unwrap();
    write(&input, "a.txt", "Social workers are good.\n");
    let fifo_given = dir.path().join("given.txt");
    mkfifo(&fifo_given);
    let out = dir.path().join("o3");
    let ran = run_rules(&[&input, &fifo_given], &out, &[]);
    ran.expect_code(2);
    assert!(ran.took < Duration::from_secs(30), "{:?}", ran.took);
    let errors = errors_by_name(&out);
    assert!(errors["x.txt"].contains("a named pipe (FIFO), not a regular file"));
    assert!(errors["given.txt"].contains("a named pipe (FIFO), not a regular file"));
    assert!(errors["zero.txt"].contains("a device, not a regular file"));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(csv_rows(&out.join("reports.csv")).len(), 1);
}

// ---- 4: symlink loops ----

/// Issue 13 case 4: two links to "." grew memory without bound; one gave the same files at
/// 40 depths, as errors.
#[cfg(unix)]
#[test]
fn case_4_linked_folders_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r4");
    fs::create_dir_all(input.join("sub")).unwrap();
    write(&input, "a.txt", "Social workers are good.\n");
    write(
        &input.join("sub"),
        "b.txt",
        "Plans are not always reviewed.\n",
    );
    write(&input, "empty.txt", "");
    std::os::unix::fs::symlink(".", input.join("s1")).unwrap();
    std::os::unix::fs::symlink(".", input.join("s2")).unwrap();
    std::os::unix::fs::symlink("..", input.join("sub/up")).unwrap();
    let out = dir.path().join("o4");
    let ran = run_rules(&[&input], &out, &[]);
    ran.expect_code(2);
    // The one bad file once, not once per depth.
    let errors = csv_rows(&out.join("errors.csv"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["path"].ends_with("r4/empty.txt"), "{errors:?}");
    assert_eq!(csv_rows(&out.join("reports.csv")).len(), 2);
}

// ---- 5: text after a facts line ----

/// Issue 13 case 5: in a .txt, a line starting "Inspection dates:" took the rest of its
/// paragraph with it, silently.
#[test]
fn case_5_a_facts_line_does_not_swallow_the_sentences_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "r5.txt",
        "Social workers do not always visit children.\nInspection dates: 1 to 5 March 2021.\n\
         Leaders should ensure that plans are reviewed.\nCare leavers are well supported.\n",
    );
    let out = dir.path().join("o5");
    run_rules(&[&input], &out, &[]).expect_code(0);
    let texts = column(&csv_rows(&out.join("sentences.csv")), "text");
    assert_eq!(
        texts,
        [
            "Social workers do not always visit children.",
            "Leaders should ensure that plans are reviewed.",
            "Care leavers are well supported.",
        ]
    );
    // The facts line is read as facts.
    let reports = csv_rows(&out.join("reports.csv"));
    assert_eq!(reports[0]["end_date"], "2021-03-05", "{reports:?}");
}

// ---- 6: bad files with the same bytes ----

/// Issue 13 case 6: bad files with identical bytes were reported once; the copies were in
/// neither errors.csv nor the skipped count.
#[test]
fn case_6_each_copy_of_a_bad_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r6");
    fs::create_dir(&input).unwrap();
    for name in ["a.pdf", "b.txt", "c.html"] {
        write(&input, name, "");
    }
    // The same bytes that fail as a PDF read as text: that copy is used.
    let text = "Social workers are good.\n";
    write(&input, "d.pdf", text);
    write(&input, "e.txt", text);
    let out = dir.path().join("o6");
    let ran = run_rules(&[&input], &out, &[]);
    ran.expect_code(2);
    let errors = errors_by_name(&out);
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        ["a.pdf", "b.txt", "c.html", "d.pdf"],
        "{errors:?}"
    );
    assert_eq!(errors["b.txt"], "the file is empty");
    assert!(errors["d.pdf"].contains("PDF"), "{errors:?}");
    assert!(ran.stderr.contains("4 skipped"), "{}", ran.stderr);
    assert_eq!(csv_rows(&out.join("reports.csv")).len(), 1);
}

// ---- 7: advice that works ----

/// A store with the seeds in it, closed.
fn seeded_store(dir: &Path) -> (PathBuf, PathBuf) {
    let out = dir.join("o7");
    run_rules(&[&root().join("seeds")], &out, &[]).expect_code(0);
    let store = out.join(store::DEFAULT_FILE_NAME);
    assert!(store.is_file());
    (out, store)
}

/// Follows the advice "move it out of the way" and checks the next run works.
fn follow_the_advice(out: &Path, store: &Path) {
    fs::rename(store, store.with_extension("damaged")).unwrap();
    run_rules(&[&root().join("seeds")], out, &[]).expect_code(0);
    assert_eq!(csv_rows(&out.join("reports.csv")).len(), 5);
}

/// Issue 13 case 7: junk over the middle of the store got the advice to `forget`, which
/// failed the same way; a truncated store got no advice; user_version -1 got "Integer -1
/// out of range".
#[test]
fn case_7_a_damaged_store_gets_advice_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let (out, store) = seeded_store(dir.path());
    let mut bytes = fs::read(&store).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 4..len * 3 / 4] {
        *b = 0x5A;
    }
    fs::write(&store, &bytes).unwrap();
    let ran = run_rules(&[&root().join("seeds")], &out, &[]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("is damaged: move it out of the way"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("forget"), "{}", ran.stderr);
    let forget = run_binary(
        [
            OsStr::new("forget"),
            OsStr::new("seeds/000_0acf5d652a6d567f.txt"),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
        Duration::from_secs(30),
    );
    forget.expect_code(1);
    assert!(forget.stderr.contains("is damaged"), "{}", forget.stderr);
    follow_the_advice(&out, &store);

    // Truncated to half.
    let bytes = fs::read(&store).unwrap();
    fs::write(&store, &bytes[..bytes.len() / 2]).unwrap();
    let ran = run_rules(&[&root().join("seeds")], &out, &[]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("is damaged: move it out of the way"),
        "{}",
        ran.stderr
    );
    follow_the_advice(&out, &store);

    // A schema version no store has.
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.pragma_update(None, "user_version", -1).unwrap();
    drop(conn);
    let ran = run_rules(&[&root().join("seeds")], &out, &[]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("schema version (-1)") && ran.stderr.contains("move it out of the way"),
        "{}",
        ran.stderr
    );
    follow_the_advice(&out, &store);
}

/// Issue 13 case 7, continued: an unreadable folder was "cannot read the file", and a failed
/// rename printed its reason twice.
#[cfg(unix)]
#[test]
fn case_7_folders_and_failed_renames_are_named_for_what_they_are() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r7");
    fs::create_dir_all(input.join("locked")).unwrap();
    write(&input, "a.txt", "Social workers are good.\n");
    write(&input.join("locked"), "b.txt", "Plans are reviewed.\n");
    fs::set_permissions(input.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any folder; the check only means something for other users.
    let locked_out = fs::read_dir(input.join("locked")).is_err();
    let out = dir.path().join("o7");
    let ran = run_rules(&[&input], &out, &[]);
    fs::set_permissions(input.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    if locked_out {
        ran.expect_code(2);
        let errors = errors_by_name(&out);
        assert!(
            errors["locked"].starts_with("cannot read the folder"),
            "{errors:?}"
        );
    } else {
        eprintln!("skipped the unreadable-folder part: this user reads every folder");
        ran.expect_code(0);
    }

    // A folder where report.html goes: the run fails, naming it, once, and changes nothing.
    let before = fs::read(out.join("sentences.csv")).unwrap();
    fs::remove_file(out.join("report.html")).unwrap();
    fs::create_dir_all(out.join("report.html/inside")).unwrap();
    write(&input, "c.txt", "Early help is strong.\n");
    let ran = run_rules(&[&input], &out, &[]);
    ran.expect_code(1);
    assert_eq!(
        ran.stderr.matches("report.html").count(),
        1,
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("a folder is in its place"),
        "{}",
        ran.stderr
    );
    assert_eq!(fs::read(out.join("sentences.csv")).unwrap(), before);
}

// ---- 8: leftovers and races ----

/// Issue 13 case 8: a run killed while writing left a hidden temporary file that no later
/// run removed; a failure at report.html left new CSVs beside an old page; two runs with
/// different stores both wrote one --out.
#[test]
fn case_8_outputs_are_all_new_or_all_old_and_the_folder_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r8");
    fs::create_dir(&input).unwrap();
    write(&input, "a.txt", "Social workers are good.\n");
    let out = dir.path().join("o8");
    run_rules(&[&input], &out, &[]).expect_code(0);

    // Leftovers of killed runs, this version's and an older one's, go; other files stay.
    write(&out, ".ofsted-themes-tmp-Ab12Cd", "half a csv");
    write(&out, ".tmpX1y2Z3", "half a csv");
    write(&out, ".tmp-notes.txt", "mine");
    run_rules(&[&input], &out, &[]).expect_code(0);
    let mut left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    left.sort();
    assert_eq!(left, [".ofsted-themes.lock", ".tmp-notes.txt"]);

    // A failure at the last output leaves every output as it was.
    let names = [
        "sentences.csv",
        "reports.csv",
        "themes.csv",
        "authorities.csv",
        "errors.csv",
        "ofsted-themes.xlsx",
    ];
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|n| fs::read(out.join(n)).unwrap())
        .collect();
    fs::remove_file(out.join("report.html")).unwrap();
    fs::create_dir_all(out.join("report.html/x")).unwrap();
    write(&input, "b.txt", "Plans are not always reviewed.\n");
    run_rules(&[&input], &out, &[]).expect_code(1);
    let after: Vec<Vec<u8>> = names
        .iter()
        .map(|n| fs::read(out.join(n)).unwrap())
        .collect();
    assert!(before == after, "an output changed although the run failed");
    fs::remove_dir_all(out.join("report.html")).unwrap();

    // The lock is on the folder, whatever store each run uses.
    let lock = fs::File::options()
        .write(true)
        .open(out.join(".ofsted-themes.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let other_store = dir.path().join("other.sqlite");
    let ran = run_rules(&[&input], &out, &["--store", other_store.to_str().unwrap()]);
    ran.expect_code(1);
    assert!(
        ran.stderr.contains("is in use by another run"),
        "{}",
        ran.stderr
    );
    drop(lock);
    run_rules(&[&input], &out, &["--store", other_store.to_str().unwrap()]).expect_code(0);
}

// ---- 9: damaged PDFs that other readers recover ----

/// Issue 13 case 9: one byte inserted after the header, or the last 20 bytes missing, was
/// "damaged"; poppler reads every word of both. Now the cross-reference table is rebuilt.
#[test]
fn case_9_pdfs_with_a_broken_cross_reference_table_are_read() {
    let original = fs::read(root().join(FIXTURE_PDFS[1])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let line_end = original.iter().position(|&b| b == b'\n').unwrap();
    let mut shifted = original.clone();
    shifted.insert(line_end + 1, b' ');
    // Both are refused by the cross-reference table alone (tested in src/pdf.rs); here the
    // whole run reads them.
    let cut = &original[..original.len() - 20];
    let texts = |name: &str, bytes: &[u8]| -> Vec<String> {
        let input = dir.path().join(name);
        fs::create_dir(&input).unwrap();
        write(&input, "report.pdf", bytes);
        let out = dir.path().join(format!("{name}-out"));
        run_rules(&[&input], &out, &[]).expect_code(0);
        column(&csv_rows(&out.join("sentences.csv")), "text")
    };
    let intact = texts("intact", &original);
    assert!(intact.len() > 50);
    assert_eq!(texts("shifted", &shifted), intact);
    assert_eq!(texts("cut", cut), intact);
}

// ---- 10: versions derived from what they depend on ----

/// The reading stages' output on the fixture reports, and the rules' labels of it, each as
/// one SHA-256.
struct StageOutputs {
    extractor: BTreeMap<&'static str, String>,
    rules: BTreeMap<&'static str, String>,
}

/// Committed fixture PDFs (tests/fixtures): an ILACS inspection, a focused-visit letter and
/// a single-inspection-framework report.
const FIXTURE_PDFS: [&str; 3] = [
    "tests/fixtures/ilacs/doncaster_2022-04-08_ilacs.pdf",
    "tests/fixtures/focused-visit/luton_2019-06-04_fv.pdf",
    "tests/fixtures/ilacs/walsall_2017-09-04_ilacs.pdf",
];

fn stage_outputs() -> StageOutputs {
    let mut sets: Vec<(&'static str, Vec<PathBuf>)> = Vec::new();
    let mut seeds: Vec<PathBuf> = fs::read_dir(root().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    seeds.sort();
    sets.push(("seeds", seeds));
    sets.push((
        "fixtures",
        FIXTURE_PDFS.iter().map(|f| root().join(f)).collect(),
    ));
    let rules = RulesClassifier::new(Taxonomy::bundled());
    let times = StageTimes::default();
    let mut outputs = StageOutputs {
        extractor: BTreeMap::new(),
        rules: BTreeMap::new(),
    };
    for (set, files) in sets {
        let (mut read, mut labelled) = (String::new(), String::new());
        for file in files {
            let report = pipeline::prepare(&file, &times).expect("a fixture report reads");
            read += &format!("{:?}\n", report.facts);
            for s in &report.sentences {
                read += &format!(
                    "{}\t{}\t{}\t{:?}\t{}\t{:?}\n",
                    s.no, s.text, s.section, s.judgement_area, s.in_improvement_list, s.block_kind
                );
            }
            let report = pipeline::label(report, &rules, &times).unwrap();
            for label in &report.labels {
                labelled += &format!("{label:?}\n");
            }
        }
        let hash = |text: &str| ofsted_themes::files::sha256_hex(text.as_bytes());
        outputs.extractor.insert(set, hash(&read));
        outputs.rules.insert(set, hash(&labelled));
    }
    outputs
}

/// Issue 13 case 10: re-reading was keyed on the crate's version (never raised) and
/// re-labelling on literals nobody bumped. The store's versions are now revision constants,
/// and this test fails when a stage's output on the fixture reports changes while its
/// revision did not: raise the constant and append an entry to tests/stage_revisions.toml.
/// (The taxonomy's version is a hash of its bytes, so it needs no guard.)
#[test]
fn case_10_stage_revisions_are_raised_when_output_changes() {
    let recorded: toml::Table =
        toml::from_str(&fs::read_to_string(root().join("tests/stage_revisions.toml")).unwrap())
            .unwrap();
    let now = stage_outputs();
    let taxonomy = Taxonomy::bundled().fingerprint;
    let rules_version = format!("rules r{RULES_REVISION}");
    for (stage, constant, current, outputs, keyed_by_taxonomy) in [
        (
            "extractor",
            "store::EXTRACTOR_VERSION",
            EXTRACTOR_VERSION.to_string(),
            &now.extractor,
            false,
        ),
        (
            "rules",
            "classify::rules::RULES_REVISION",
            rules_version,
            &now.rules,
            true,
        ),
    ] {
        let entries: &[toml::Value] = recorded
            .get(stage)
            .and_then(toml::Value::as_array)
            .map_or(&[], Vec::as_slice);
        let key = |e: &toml::Value| {
            let version = e["version"].as_str().unwrap().to_string();
            if keyed_by_taxonomy {
                (version, e["taxonomy"].as_str().unwrap().to_string())
            } else {
                (version, String::new())
            }
        };
        let keys: BTreeSet<_> = entries.iter().map(key).collect();
        assert_eq!(
            keys.len(),
            entries.len(),
            "tests/stage_revisions.toml: each {stage} version is recorded once (append, never edit)"
        );
        let wanted_key = (
            current.clone(),
            if keyed_by_taxonomy {
                taxonomy.clone()
            } else {
                String::new()
            },
        );
        let new_entry = || {
            let mut lines = format!("[[{stage}]]\nversion = \"{current}\"\n");
            if keyed_by_taxonomy {
                lines += &format!("taxonomy = \"{taxonomy}\"\n");
            }
            for (set, hash) in outputs {
                lines += &format!("{set} = \"{hash}\"\n");
            }
            lines
        };
        let Some(last) = entries.last() else {
            panic!(
                "tests/stage_revisions.toml has no {stage} entry: append\n{}",
                new_entry()
            );
        };
        if key(last) != wanted_key {
            panic!(
                "{constant} (or the taxonomy) is now {wanted_key:?} but the last {stage} entry of \
                 tests/stage_revisions.toml is {:?}: append\n{}",
                key(last),
                new_entry()
            );
        }
        for (set, hash) in outputs {
            let recorded_hash = last[*set].as_str().unwrap();
            if recorded_hash != hash {
                let advice = if keyed_by_taxonomy {
                    "raise classify::rules::RULES_REVISION (stored reports are re-labelled)"
                } else {
                    "raise store::EXTRACTOR_VERSION (stored reports are read again)"
                };
                panic!(
                    "the {stage} output on the {set} fixtures changed but {constant} did not: \
                     {advice}, then append to tests/stage_revisions.toml\n{}",
                    new_entry()
                );
            }
        }
    }
}

/// Issue 13 case 10, the taxonomy: a file with other bytes re-labels stored reports even
/// when its `version` line was not raised.
#[test]
fn case_10_a_changed_taxonomy_relabels_without_a_version_bump() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o10");
    let seeds = root().join("seeds");
    run_rules(&[&seeds], &out, &[]).expect_code(0);
    let mut edited = fs::read_to_string(root().join("taxonomy.toml")).unwrap();
    edited = edited.replacen("\"variable\"", "\"variable\", \"patchy\"", 1);
    assert!(edited.contains("\"patchy\""), "the edit took");
    let taxonomy = write(dir.path(), "taxonomy.toml", edited);
    assert_eq!(
        Taxonomy::load(&taxonomy).unwrap().version,
        Taxonomy::bundled().version
    );
    let ran = run_rules(&[&seeds], &out, &["--taxonomy", taxonomy.to_str().unwrap()]);
    ran.expect_code(0);
    assert!(ran.stderr.contains("5 re-labelled"), "{}", ran.stderr);
}

// ---- 11: a classifier that fails ----

/// An encoder that cannot run (out of memory, say): the contract under test is what the
/// pipeline does with a classifier's error, not any classifier's labels.
struct FailingModel;

impl Classifier for FailingModel {
    fn name(&self) -> &str {
        "model"
    }

    fn version(&self) -> String {
        "model that fails".into()
    }

    fn classify_batch(&self, _inputs: &[SentenceInput]) -> anyhow::Result<Vec<Label>> {
        anyhow::bail!("the encoder could not allocate its buffers")
    }
}

/// Issue 13 case 11: when the encoder failed, the report was labelled by the rules but
/// stored as labelled by the model, so it was never re-labelled. Now it is an error naming
/// the file, and nothing reaches the store.
#[test]
fn case_11_a_classifier_failure_is_an_error_not_other_labels() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.txt", "Social workers are good.\n");
    let b = write(dir.path(), "b.txt", "Plans are not always reviewed.\n");
    let saved = std::sync::atomic::AtomicUsize::new(0);
    let errors = pipeline::run_batch_each(
        &[a.clone(), b.clone()],
        &pipeline::Reader::InProcess,
        &FailingModel,
        true,
        &StageTimes::default(),
        |_| Ok(()),
        |_, _| {
            saved.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    assert_eq!(
        saved.into_inner(),
        0,
        "nothing labelled is handed to the store"
    );
    assert_eq!(errors.len(), 2);
    for (error, path) in errors.iter().zip([&a, &b]) {
        assert_eq!(&error.path, path);
        assert!(matches!(
            &error.problem,
            InputProblem::ClassifierFailed { classifier, why }
                if classifier == "model" && why.contains("could not allocate")
        ));
        assert!(error.to_string().contains("tried again on the next run"));
    }

    // A report refused once read (not a children's services document) is never labelled:
    // its error is the refusal, not the classifier's failure.
    let refused = pipeline::run_batch_each(
        std::slice::from_ref(&a),
        &pipeline::Reader::InProcess,
        &FailingModel,
        true,
        &StageTimes::default(),
        |report| {
            Err(ofsted_themes::error::InputError::new(
                &report.source,
                InputProblem::NotChildrensServicesDocument("a test".to_string()),
            ))
        },
        |_, _| Ok::<(), ()>(()),
    )
    .unwrap();
    assert!(
        matches!(&refused[..], [e] if matches!(e.problem, InputProblem::NotChildrensServicesDocument(_))),
        "{refused:?}"
    );
}

// ---- 12: the curly apostrophe ----

/// Issue 13: "don’t" with a curly apostrophe defeated the negation: a weakness read as a
/// strength.
#[test]
fn case_12_a_contraction_negates_with_either_apostrophe() {
    let rules = RulesClassifier::new(Taxonomy::bundled());
    for text in [
        "Social workers don\u{2019}t always visit children regularly enough.",
        "Social workers don't always visit children regularly enough.",
        "Social workers do not always visit children regularly enough.",
    ] {
        let label = rules.classify(&SentenceInput {
            text,
            ..Default::default()
        });
        assert_eq!(label.stance, Stance::Weakness, "{text}: {label:?}");
    }
}

// ---- fuzz ----

const WORDS: &[&str] = &[
    "children",
    "social",
    "workers",
    "are",
    "not",
    "always",
    "good",
    "plans",
    "leaders",
    "should",
    "ensure",
    "that",
    "care",
    "leavers",
    "early",
    "help",
    "is",
    "inadequate",
    "Inspection",
    "dates:",
    "Lead",
    "inspector:",
    "What",
    "needs",
    "to",
    "improve?",
    "don’t",
    "£5",
    "“quoted”",
    "e.g.",
    "Mr.",
    "1.",
    "a)",
    "•",
    "–",
    "=SUM(A1)",
    "<b>",
    "&amp;",
    "\u{0}",
    "\u{202e}",
    "ﬁ",
    "🙂",
];

fn random_text(rng: &mut XorShift) -> String {
    let mut text = String::new();
    let words = 1 + rng.below(400);
    for _ in 0..words {
        let word = *rng.pick(WORDS);
        text += word;
        text += match rng.below(20) {
            0 => ".\n",
            1 => "\n\n",
            2 => ". ",
            3 => "? ",
            4 => "\t",
            _ => " ",
        };
    }
    if rng.below(10) == 0 {
        // A long run without a full stop.
        text += &"children in care ".repeat(rng.below(3000));
    }
    text
}

fn random_html(rng: &mut XorShift) -> String {
    const TAGS: &[&str] = &[
        "div", "p", "li", "ul", "table", "tr", "td", "h2", "b", "span",
    ];
    let mut html = String::from("<html><body>");
    let mut open = Vec::new();
    for _ in 0..rng.below(300) {
        match rng.below(4) {
            0 => {
                let tag = *rng.pick(TAGS);
                html += &format!("<{tag}>");
                open.push(tag);
            }
            1 => {
                if let Some(tag) = open.pop() {
                    html += &format!("</{tag}>");
                }
            }
            _ => html += &random_text(rng)[..].chars().take(200).collect::<String>(),
        }
    }
    if rng.below(8) == 0 {
        let depth = rng.below(20_000);
        html += &"<div>".repeat(depth);
        html += "Care leavers are well supported.";
    }
    html
}

fn mutate(rng: &mut XorShift, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len().max(1);
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(16) {
                    let at = rng.below(len);
                    if let Some(b) = bytes.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
            1 => {
                let at = rng.below(len);
                let junk: Vec<u8> = (0..1 + rng.below(64)).map(|_| rng.next() as u8).collect();
                bytes.splice(at.min(bytes.len())..at.min(bytes.len()), junk);
            }
            2 => {
                let at = rng.below(len);
                let end = (at + rng.below(4096)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            3 => bytes.truncate(rng.below(len)),
            4 => {
                let at = rng.below(len);
                let end = (at + rng.below(2048)).min(bytes.len());
                let chunk = bytes[at.min(end)..end].to_vec();
                let to = rng.below(bytes.len().max(1)).min(bytes.len());
                bytes.splice(to..to, chunk);
            }
            _ => {
                // PDF syntax where it does not belong.
                let at = rng.below(len).min(bytes.len());
                let tokens: [&[u8]; 7] = [
                    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                    b"<<<<<<<<<<<<<<<<",
                    b"((((((((((((((((((((((((",
                    b" 999999999 0 R ",
                    b"stream\nendstream",
                    b"%%EOF",
                    b"1 0 obj",
                ];
                let token = *rng.pick(&tokens);
                bytes.splice(at..at, token.iter().copied());
            }
        }
    }
    bytes
}

/// Seeded fuzzing through the release binary: a few hundred mutated PDFs (made here, and
/// fixture PDFs) and random texts and pages in one run, which must
/// finish within its time limit without a crash, and account for every input: used (its
/// report id in reports.csv) or named in errors.csv.
#[test]
fn fuzzed_inputs_never_crash_or_hang_and_are_all_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fuzz");
    fs::create_dir(&input).unwrap();
    let mut rng = XorShift(0x5EED_0F13);
    let mut bases = vec![
        text_pdf("Leaders know their services well.\nPlans are not always reviewed."),
        text_pdf(&random_text(&mut rng)),
    ];
    for f in &FIXTURE_PDFS[..2] {
        bases.push(fs::read(root().join(f)).unwrap());
    }
    let mut inputs: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    for i in 0..200 {
        let base = &bases[i % bases.len()];
        inputs.insert(input.join(format!("pdf{i:03}.pdf")), mutate(&mut rng, base));
    }
    for i in 0..80 {
        let bytes = if i % 8 == 0 {
            {
                let text = random_text(&mut rng);
                mutate(&mut rng, text.as_bytes())
            }
        } else {
            random_text(&mut rng).into_bytes()
        };
        let ext = if i % 4 == 0 { "md" } else { "txt" };
        inputs.insert(input.join(format!("text{i:03}.{ext}")), bytes);
    }
    for i in 0..40 {
        inputs.insert(
            input.join(format!("page{i:03}.html")),
            random_html(&mut rng).into_bytes(),
        );
    }
    for (path, bytes) in &inputs {
        fs::write(path, bytes).unwrap();
    }
    let out = dir.path().join("out");
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), input.as_os_str()];
    args.extend(["--out".as_ref(), out.as_os_str()]);
    args.extend(["--quiet", "--classifier", "rules"].map(OsStr::new));
    let ran = run_binary(args, Duration::from_secs(120));
    assert!(
        matches!(ran.code, Some(0 | 2)),
        "exit {:?} after {:?} (None = killed at the time limit); stderr:\n{}",
        ran.code,
        ran.took,
        ran.stderr
    );
    let used: BTreeSet<String> = column(&csv_rows(&out.join("reports.csv")), "report_id")
        .into_iter()
        .collect();
    let named: BTreeSet<PathBuf> = column(&csv_rows(&out.join("errors.csv")), "path")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    let mut unaccounted = Vec::new();
    for (path, bytes) in &inputs {
        let id = &ofsted_themes::files::sha256_hex(bytes)[..12];
        if !used.contains(id) && !named.contains(path) {
            unaccounted.push(path.display().to_string());
        }
    }
    assert!(
        unaccounted.is_empty(),
        "neither used nor named: {unaccounted:?}"
    );
    eprintln!(
        "fuzz: {} inputs, {} reports, {} skipped, {:.1} s",
        inputs.len(),
        used.len(),
        named.len(),
        ran.took.as_secs_f64()
    );
}
