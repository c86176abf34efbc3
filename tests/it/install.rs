//! Issue 26: the tool used as an installed program, never surprising. Where the model lives
//! (the same from any folder, never downloaded again), a store never silently re-labelled
//! by another classifier, what a run reads, documents that are not Ofsted children's
//! services documents, `forget` and `explain --report --sentence`. All through the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{csv_rows, errors_by_name, fixture, model_dir, root, text_pdf, BIN};

/// The binary run from `cwd` with `args`, its model cache, user cache and OFSTED_THEMES_HOME
/// pointed into `home` so no test reads or fills the real user's cache.
fn binary_in(cwd: &Path, home: &Path, args: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .args(args)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("OFSTED_THEMES_HOME");
    cmd
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(|a| a.into()).collect()
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the binary runs");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// `ofsted-themes ARGS` from the project root, with a private home.
fn binary(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let args = os(args);
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    run(&mut binary_in(root(), home, &refs))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

fn column(out: &Path, file: &str, name: &str) -> Vec<String> {
    csv_rows(&out.join(file))
        .into_iter()
        .map(|r| r[name].clone())
        .collect()
}

const LUTON: &str = "focused-visit/luton_2019-06-04_fv.pdf";
const WALSALL: &str = "focused-visit/walsall_2018-10-18_fv.pdf";

#[test]
fn a_run_from_another_folder_uses_the_same_model_without_downloading() {
    model_dir(); // the project's copy, beside the binary's project
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("elsewhere");
    std::fs::create_dir(&cwd).unwrap();
    // No python3 on the PATH: a download could not even start.
    let no_python = tmp.path().join("bin");
    std::fs::create_dir(&no_python).unwrap();
    let input = fixture(LUTON);
    let args = os(&["run", path_str(&input), "--out", "results"]);
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (code, _, stderr) = run(binary_in(&cwd, tmp.path(), &refs).env("PATH", &no_python));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("fetching"), "{stderr}");
    assert!(!stderr.contains("unavailable"), "{stderr}");
    assert!(
        !cwd.join("models").exists(),
        "nothing is put in the current folder"
    );
    let classifiers = column(&cwd.join("results"), "reports.csv", "classifier");
    assert_eq!(classifiers, ["combined"], "{stderr}");
}

#[test]
fn without_python_a_model_labelled_store_is_not_relabelled_with_the_rules() {
    model_dir();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, stderr) = binary(
        tmp.path(),
        &["run", path_str(&fixture(LUTON)), "--out", path_str(&out)],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(column(&out, "reports.csv", "classifier"), ["combined"]);
    let before = std::fs::read(out.join("sentences.csv")).unwrap();

    // The model nowhere to be found (an empty OFSTED_THEMES_HOME) and no python3 to fetch
    // it: the run would fall back to the rules, and so re-label the stored report.
    let empty_home = tmp.path().join("empty-home");
    let no_python = tmp.path().join("bin");
    std::fs::create_dir_all(&no_python).unwrap();
    let without_model = |extra: &[&str]| {
        let mut args = os(&[
            "run",
            path_str(&fixture(WALSALL)),
            "--out",
            path_str(&out),
            "--quiet",
        ]);
        args.extend(os(extra));
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        run(binary_in(root(), tmp.path(), &refs)
            .env("PATH", &no_python)
            .env("OFSTED_THEMES_HOME", &empty_home))
    };
    let (code, _, stderr) = without_model(&[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("--relabel") && stderr.contains("rules"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(out.join("sentences.csv")).unwrap(),
        before,
        "nothing is written"
    );
    assert_eq!(column(&out, "reports.csv", "classifier"), ["combined"]);

    // Asked for, it re-labels.
    let (code, _, stderr) = without_model(&["--relabel"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        column(&out, "reports.csv", "classifier"),
        ["rules", "rules"]
    );
}

#[test]
fn documents_that_are_not_ofsted_childrens_services_documents_are_named_in_errors_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(root().join("README.md"), input.join("README.md")).unwrap();
    std::fs::copy(fixture(LUTON), input.join("luton.pdf")).unwrap();
    std::fs::write(
        input.join("invoice.pdf"),
        text_pdf(concat!(
            "Invoice 2291 for the repair of the boiler at 14 Station Road, Doncaster.\n",
            "The engineer replaced the pump and the pressure valve.\n",
            "Parts came to 260 pounds.\n",
            "Labour came to 160 pounds.\n",
            "The boiler was tested and left running.\n",
            "Payment is due within thirty days of this invoice.\n",
            "Thank you for your custom.\n",
        )),
    )
    .unwrap();
    std::fs::write(
        input.join("page.html"),
        "<html><body><h1>Barnet Football Club</h1><p>Barnet won two nil at home on Saturday.</p>\
         <p>The first goal came after ten minutes.</p><p>The second half was played in heavy \
         rain.</p><p>The crowd was the largest of the season.</p><p>The next match is away at \
         Woking.</p><p>Tickets go on sale on Monday.</p></body></html>",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let (code, _, stderr) = binary(
        tmp.path(),
        &[
            "run",
            path_str(&input),
            "--out",
            path_str(&out),
            "--classifier",
            "rules",
            "--quiet",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    let errors = errors_by_name(&out);
    for name in ["README.md", "invoice.pdf", "page.html"] {
        let reason = errors
            .get(name)
            .unwrap_or_else(|| panic!("{name}: {errors:?}"));
        assert!(
            reason.contains("not an Ofsted children's services document")
                && reason.contains("--accept-any-document"),
            "{name}: {reason}"
        );
    }
    let sources = column(&out, "reports.csv", "source_file");
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert!(sources[0].ends_with("luton.pdf"), "{sources:?}");

    // Asked to, it reads them.
    let (code, _, stderr) = binary(
        tmp.path(),
        &[
            "run",
            path_str(&input),
            "--out",
            path_str(&out),
            "--classifier",
            "rules",
            "--quiet",
            "--accept-any-document",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(column(&out, "reports.csv", "source_file").len(), 4);
}

/// A store with the Luton and Walsall letters, labelled by the rules.
fn rules_store(tmp: &Path) -> PathBuf {
    let out = tmp.join("out");
    let (code, _, stderr) = binary(
        tmp,
        &[
            "run",
            path_str(&fixture(LUTON)),
            path_str(&fixture(WALSALL)),
            "--out",
            path_str(&out),
            "--classifier",
            "rules",
            "--quiet",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    out
}

#[test]
fn run_with_no_paths_on_a_store_adds_nothing_and_rewrites_the_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rules_store(tmp.path());
    let sentences = std::fs::read(out.join("sentences.csv")).unwrap();
    std::fs::remove_file(out.join("sentences.csv")).unwrap();
    let (code, _, stderr) = binary(
        tmp.path(),
        &["run", "--out", path_str(&out), "--classifier", "rules"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("0 new"), "{stderr}");
    assert!(stderr.contains("nothing is added"), "{stderr}");
    assert_eq!(column(&out, "reports.csv", "report_id").len(), 2);
    assert_eq!(
        std::fs::read(out.join("sentences.csv")).unwrap(),
        sentences,
        "the outputs are rewritten as they were"
    );
}

#[test]
fn forget_rewrites_the_outputs_without_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rules_store(tmp.path());
    let ids = column(&out, "reports.csv", "report_id");
    assert_eq!(ids.len(), 2);
    let (code, _, stderr) = binary(tmp.path(), &["forget", &ids[0], "--out", path_str(&out)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(column(&out, "reports.csv", "report_id"), [ids[1].clone()]);
    let in_sentences = column(&out, "sentences.csv", "report_id");
    assert!(!in_sentences.is_empty());
    assert!(in_sentences.iter().all(|id| *id == ids[1]), "{stderr}");
}

#[test]
fn explain_of_a_stored_sentence_equals_its_row_in_sentences_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rules_store(tmp.path());
    let rows = csv_rows(&out.join("sentences.csv"));
    let picks = [0, rows.len() / 3, rows.len() / 2, rows.len() - 1];
    for row in picks.map(|i| &rows[i]) {
        let (code, stdout, stderr) = binary(
            tmp.path(),
            &[
                "explain",
                "--report",
                &row["report_id"],
                "--sentence",
                &row["sentence_no"],
                "--out",
                path_str(&out),
            ],
        );
        assert_eq!(code, Some(0), "{stderr}");
        let shown: BTreeMap<&str, &str> = stdout
            .lines()
            .filter_map(|line| line.split_once(": "))
            .collect();
        assert_eq!(shown["sentence"], row["text"].trim_start_matches('\''));
        for field in ["stance", "stance_score", "themes", "theme_scores"] {
            assert_eq!(
                shown.get(field).copied().unwrap_or(""),
                row[field],
                "{field}"
            );
        }
        let evidence = shown.get("evidence").copied().unwrap_or("");
        assert_eq!(
            evidence,
            row["evidence"].trim_start_matches('\''),
            "evidence"
        );
        // The neighbours it was labelled with are shown.
        assert!(
            stdout.contains("previous: ") && stdout.contains("next: "),
            "{stdout}"
        );
    }
}

#[test]
fn a_missing_input_path_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let missing = tmp.path().join("no-such-folder");
    let (code, _, stderr) = binary(
        tmp.path(),
        &[
            "run",
            path_str(&fixture(LUTON)),
            path_str(&missing),
            "--out",
            path_str(&out),
            "--classifier",
            "rules",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no-such-folder"), "{stderr}");
    assert!(!out.exists(), "nothing is written: {stderr}");
}

#[test]
fn bare_ofsted_themes_prints_help_and_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let args: [&std::ffi::OsStr; 0] = [];
    let (code, stdout, stderr) = run(&mut binary_in(tmp.path(), tmp.path(), &args));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("Usage") && stdout.contains("run"),
        "{stdout}"
    );
    assert!(
        std::fs::read_dir(tmp.path())
            .unwrap()
            .all(|e| e.unwrap().file_name() != "output"),
        "no output folder is made"
    );
}

#[test]
fn explain_of_a_lone_sentence_says_what_context_it_lacks() {
    model_dir();
    let tmp = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = binary(
        tmp.path(),
        &[
            "explain",
            "Plans are not always reviewed.",
            "--prev",
            "Leaders know the service.",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("no next sentence"), "{stdout}");
    assert!(!stdout.contains("no previous sentence"), "{stdout}");
    assert!(
        stdout.contains("explain --report ID --sentence N"),
        "{stdout}"
    );
}
