//! Bad input never crashes the batch: every broken, empty, encrypted, image-only or
//! unreadable file gives an `InputError` that names the file and the reason.
//!
//! The PDFs used here are made at test time: small ones built with lopdf, and damaged
//! copies (truncated, bytes flipped) of the real fixture PDFs written to a temporary folder.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use lopdf::content::{Content, Operation};
use lopdf::{
    dictionary, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream,
};

use ofsted_themes::error::{InputError, InputProblem};
use ofsted_themes::ingest;

use crate::util::XorShift;

fn fixture_pdf(relative: &str) -> Vec<u8> {
    let path = crate::util::fixture(relative);
    fs::read(&path).unwrap_or_else(|e| panic!("cannot read {} ({e})", path.display()))
}

fn write(dir: &impl AsRef<Path>, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.as_ref().join(name);
    fs::write(&path, bytes).expect("write a test file");
    path
}

/// `ingest::read`, with any panic that escapes it turned into a test failure naming
/// what was being read.
fn read_without_panic(path: &Path, what: &str) -> Result<Vec<String>, InputError> {
    match panic::catch_unwind(AssertUnwindSafe(|| ingest::read(path))) {
        Ok(result) => result.map(|doc| doc.pages),
        Err(_) => panic!("ingest::read panicked on {what}"),
    }
}

fn expect_problem(path: &Path, expected: &InputProblem) -> InputError {
    let err = ingest::read(path).expect_err("a bad input must be an error");
    assert_eq!(&err.problem, expected, "{err}");
    let message = err.to_string();
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        message.contains(&*name),
        "the message names the file: {message}"
    );
    err
}

// ---- PDFs built at test time ----

/// The parts of a one-page PDF: the document, its Pages id and its Resources id.
fn one_page_pdf(operations: Vec<Operation>, resources: lopdf::Dictionary) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let resources_id = doc.add_object(resources);
    let content = Content { operations };
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("encode content"),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let id = Object::string_literal(b"0123456789abcdef".to_vec());
    doc.trailer.set("ID", vec![id.clone(), id]);
    doc
}

fn text_pdf(text: &str) -> Document {
    let mut font = lopdf::Dictionary::new();
    font.set("Type", "Font");
    font.set("Subtype", "Type1");
    font.set("BaseFont", "Helvetica");
    font.set("Encoding", "WinAnsiEncoding");
    one_page_pdf(
        vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![72.into(), 700.into()]),
            Operation::new("Tj", vec![Object::string_literal(text)]),
            Operation::new("ET", vec![]),
        ],
        dictionary! { "Font" => dictionary! { "F1" => font } },
    )
}

/// A "scan": one page that paints a grey image and has no text at all.
fn image_only_pdf() -> Document {
    let image = Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => 4,
            "Height" => 4,
            "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 8,
        },
        vec![128u8; 16],
    );
    let mut doc = one_page_pdf(vec![], lopdf::Dictionary::new());
    let image_id = doc.add_object(image);
    let content = Content {
        operations: vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    400.into(),
                    0.into(),
                    0.into(),
                    400.into(),
                    90.into(),
                    200.into(),
                ],
            ),
            Operation::new("Do", vec!["Im1".into()]),
            Operation::new("Q", vec![]),
        ],
    };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let resources_id = doc.add_object(dictionary! {
        "XObject" => dictionary! { "Im1" => image_id },
    });
    // Point the page at the image content and resources.
    let page_id = *doc.get_pages().values().next().unwrap();
    let page = doc.get_object_mut(page_id).unwrap().as_dict_mut().unwrap();
    page.set("Contents", content_id);
    page.set("Resources", resources_id);
    doc
}

fn encrypted(mut doc: Document, user_password: &str) -> Document {
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    })
    .expect("encryption state");
    doc.encrypt(&state).expect("encrypt");
    doc
}

fn saved(mut doc: Document) -> Vec<u8> {
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save PDF");
    bytes
}

#[test]
fn a_pdf_built_here_reads_back_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "hello.pdf",
        &saved(text_pdf("Children are seen regularly.")),
    );
    let pages = ingest::read(&path).expect("a good PDF");
    assert_eq!(pages.pages.len(), 1);
    assert!(
        pages.pages[0].contains("Children are seen regularly."),
        "{pages:?}"
    );
}

#[test]
fn an_encrypted_pdf_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let locked = saved(encrypted(text_pdf("Secret text."), "user-secret"));
    let path = write(&dir, "locked.pdf", &locked);
    let err = expect_problem(&path, &InputProblem::EncryptedPdf);
    assert!(err.to_string().contains("encrypted"), "{err}");
}

#[test]
fn a_pdf_with_only_an_owner_password_is_read() {
    // An empty user password: any reader opens it, so we do too.
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "owner-only.pdf",
        &saved(encrypted(text_pdf("Plans are clear."), "")),
    );
    let doc = ingest::read(&path).expect("readable without a password");
    assert!(doc.pages[0].contains("Plans are clear."), "{:?}", doc.pages);
}

#[test]
fn an_image_only_pdf_has_no_text_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "scan.pdf", &saved(image_only_pdf()));
    let err = expect_problem(&path, &InputProblem::NoTextLayer);
    assert!(err.to_string().contains("OCR"), "{err}");
}

#[test]
fn empty_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["empty.pdf", "empty.txt", "empty.html"] {
        let path = write(&dir, name, b"");
        expect_problem(&path, &InputProblem::Empty);
    }
    // Whitespace only is empty too.
    let path = write(&dir, "blank.txt", b"  \n\n \t\n");
    expect_problem(&path, &InputProblem::Empty);
}

#[test]
fn binary_junk_with_a_text_extension_is_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for name in ["junk.txt", "junk.md", "junk.html", "junk.htm"] {
        let path = write(&dir, name, &rng.bytes(4096));
        expect_problem(&path, &InputProblem::NotText);
    }
}

#[test]
fn junk_and_damaged_pdfs_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "not-a-pdf.pdf", b"this is plain text, not a PDF");
    let err = expect_problem(&path, &InputProblem::CorruptPdf("no PDF header".into()));
    assert!(err.to_string().contains("damaged or truncated"), "{err}");

    let path = write(
        &dir,
        "header-only.pdf",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog",
    );
    let err = ingest::read(&path).expect_err("a truncated PDF");
    assert!(matches!(err.problem, InputProblem::CorruptPdf(_)), "{err}");
}

#[test]
fn missing_unsupported_and_unreadable_paths_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    expect_problem(&dir.path().join("absent.pdf"), &InputProblem::NotFound);
    let path = write(&dir, "report.docx", b"PK\x03\x04");
    expect_problem(&path, &InputProblem::UnsupportedType);

    // A folder with a PDF's name cannot be read as a file, whoever runs the test.
    let folder = dir.path().join("folder.pdf");
    fs::create_dir(&folder).unwrap();
    let err = ingest::read(&folder).expect_err("a folder is not a file");
    assert!(matches!(err.problem, InputProblem::Unreadable(_)), "{err}");
    assert!(err.to_string().contains("folder.pdf"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_file_without_read_permission_is_unreadable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "private.txt", b"Children are seen.");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(&path).is_ok() {
        // Running as root: permissions do not stop the read, so there is nothing to test
        // here (the folder case above covers the Unreadable path).
        eprintln!("skipped: this user can read files without read permission (root)");
        return;
    }
    let err = ingest::read(&path).expect_err("no read permission");
    assert!(matches!(err.problem, InputProblem::Unreadable(_)), "{err}");
    assert!(err.to_string().contains("private.txt"), "{err}");
}

/// Random bytes, with and without a PDF header, never panic.
#[test]
fn random_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for round in 0..200 {
        let len = 1 + rng.below(8192);
        let mut bytes = rng.bytes(len);
        if round % 2 == 0 {
            let header = b"%PDF-1.6\n";
            bytes.splice(0..0, header.iter().copied());
        }
        let extension = ["pdf", "txt", "html"][round % 3];
        let path = write(&dir, &format!("random-{round}.{extension}"), &bytes);
        let what = format!("random bytes, round {round}, .{extension}");
        if let Ok(pages) = read_without_panic(&path, &what) {
            // Whatever was read must at least be text.
            assert!(!pages.is_empty(), "{what}");
        }
    }
}

/// Real PDFs cut short at many offsets, and with bytes flipped, give Ok or Err but never
/// panic.
#[test]
fn damaged_real_pdfs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let sources = [
        "focused-visit/luton_2019-06-04_fv.pdf",
        "focused-visit/walsall_2018-10-18_fv.pdf",
        "ilacs/doncaster_2022-04-08_ilacs.pdf",
    ];
    let mut outcomes = (0usize, 0usize);
    for source in sources {
        let original = fixture_pdf(source);
        // Truncated: at fixed fractions and at random offsets.
        let mut cuts: Vec<usize> = (1..20).map(|i| original.len() * i / 20).collect();
        cuts.extend((0..20).map(|_| rng.below(original.len())));
        for cut in cuts {
            let path = write(&dir, "truncated.pdf", &original[..cut]);
            let what = format!("{source} truncated at byte {cut}");
            match read_without_panic(&path, &what) {
                Ok(_) => outcomes.0 += 1,
                Err(_) => outcomes.1 += 1,
            }
        }
        // Bytes flipped: a few, then many.
        for flips in [1, 4, 16, 64, 256] {
            for _ in 0..4 {
                let mut damaged = original.clone();
                for _ in 0..flips {
                    let at = rng.below(damaged.len());
                    damaged[at] ^= 1 << rng.below(8);
                }
                let path = write(&dir, "flipped.pdf", &damaged);
                let what = format!("{source} with {flips} bytes flipped");
                match read_without_panic(&path, &what) {
                    Ok(_) => outcomes.0 += 1,
                    Err(_) => outcomes.1 += 1,
                }
            }
        }
    }
    eprintln!(
        "damaged real PDFs: {} read, {} reported as errors",
        outcomes.0, outcomes.1
    );
    // Most truncations lose the cross-reference table, which must be reported.
    assert!(outcomes.1 > 0);
}
