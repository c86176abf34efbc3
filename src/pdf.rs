//! PDF text extraction, page by page, in pure Rust.
//!
//! The file is parsed once with lopdf; pdf-extract then renders each page's text from that
//! document. pdf-extract can panic on malformed files: every call into either library is
//! fenced with `catch_unwind`, so a bad PDF becomes an [`InputProblem`], never a crash of
//! the batch, and a panic hook keeps fenced panics from printing to stderr.
//!
//! A PDF whose cross-reference table is broken (bytes inserted or cut off, an offset wrong)
//! is recovered as mature readers do: the objects are found by scanning the file for
//! `N G obj`, a fresh table is appended, and the file is read again ([`rebuild_xref`]). Only
//! when that yields no text either is the file reported damaged.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::InputProblem;

/// The text of each page of a PDF. A page whose text cannot be read becomes an empty
/// string (its neighbours are kept); a file with no readable page is an error.
pub fn pages(bytes: &[u8]) -> Result<Vec<String>, InputProblem> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(InputProblem::CorruptPdf("no PDF header".into()));
    }
    let first = read_pages(bytes);
    let has_text = |pages: &[String]| pages.iter().any(|p| !p.trim().is_empty());
    match &first {
        Ok(pages) if has_text(pages) => return first,
        Err(InputProblem::EncryptedPdf) => return first,
        _ => {}
    }
    // Nothing read: perhaps only the cross-reference table is broken.
    match rebuild_xref(bytes).map(|rebuilt| read_pages(&rebuilt)) {
        Some(Ok(pages)) if has_text(&pages) => Ok(pages),
        _ => first,
    }
}

/// Like [`pages`], trusting the file's own cross-reference table.
fn read_pages(bytes: &[u8]) -> Result<Vec<String>, InputProblem> {
    // lopdf opens a PDF encrypted with an empty user password (an owner password only)
    // by itself; one that needs a password stays encrypted.
    let doc = match quietly(|| lopdf::Document::load_mem(bytes)) {
        Some(Ok(doc)) => doc,
        Some(Err(lopdf::Error::Decryption(_))) => return Err(InputProblem::EncryptedPdf),
        Some(Err(e)) => return Err(InputProblem::CorruptPdf(e.to_string())),
        None => return Err(InputProblem::CorruptPdf("the PDF parser failed".into())),
    };
    if doc.is_encrypted() {
        return Err(InputProblem::EncryptedPdf);
    }
    let page_numbers: Vec<u32> = match quietly(|| doc.get_pages().into_keys().collect()) {
        Some(numbers) => numbers,
        None => return Err(InputProblem::CorruptPdf("the page tree is damaged".into())),
    };
    if page_numbers.is_empty() {
        return Err(InputProblem::CorruptPdf("the PDF has no pages".into()));
    }
    let mut texts = Vec::with_capacity(page_numbers.len());
    let mut first_failure = None;
    for number in page_numbers {
        match quietly(|| page_text(&doc, number)) {
            Some(Ok(text)) => texts.push(text),
            failed => {
                first_failure.get_or_insert_with(|| match failed {
                    Some(Err(why)) => format!("page {number}: {why}"),
                    _ => format!("page {number}: the text extractor failed"),
                });
                texts.push(String::new());
            }
        }
    }
    if let (Some(why), true) = (&first_failure, texts.iter().all(|t| t.is_empty())) {
        return Err(InputProblem::CorruptPdf(why.clone()));
    }
    Ok(texts)
}

/// `N G obj` where an indirect object begins (at the start of the file or after whitespace
/// or a delimiter).
static OBJECT_START: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"(?-u)(?:^|[\s>\]])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b",
    )
    .expect("valid regex")
});

/// The catalogue reference, as a trailer or cross-reference stream names it.
static ROOT_REF: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
    regex::bytes::Regex::new(r"(?-u)/Root\s*(\d{1,10})\s+(\d{1,5})\s+R").expect("valid regex")
});

/// The file with a cross-reference table rebuilt by scanning for objects, appended with a
/// trailer naming the catalogue, so that a reader that follows `startxref` finds every
/// object where it really is. `None` when no object or no catalogue can be found.
/// Offsets count from `%PDF-`, as the reader's do.
pub fn rebuild_xref(bytes: &[u8]) -> Option<Vec<u8>> {
    let start = bytes.windows(5).position(|w| w == b"%PDF-")?;
    let body = &bytes[start..];
    // The last definition of an object wins, as with incremental updates.
    let mut offsets: std::collections::BTreeMap<u32, (usize, u16)> = Default::default();
    for c in OBJECT_START.captures_iter(body) {
        let (Some(id), Some(generation)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let number = |m: regex::bytes::Match| -> Option<u64> {
            std::str::from_utf8(m.as_bytes()).ok()?.parse().ok()
        };
        let (Some(id), Some(generation)) = (number(id), number(generation)) else {
            continue;
        };
        let (Ok(id), Ok(generation)) = (u32::try_from(id), u16::try_from(generation)) else {
            continue;
        };
        if id == 0 || id >= u32::MAX / 2 {
            continue;
        }
        offsets.insert(id, (c.get(1)?.start(), generation));
    }
    let root = ROOT_REF
        .captures_iter(body)
        .last()
        .and_then(|c| {
            let id: u32 = std::str::from_utf8(c.get(1)?.as_bytes())
                .ok()?
                .parse()
                .ok()?;
            let generation: u16 = std::str::from_utf8(c.get(2)?.as_bytes())
                .ok()?
                .parse()
                .ok()?;
            offsets.contains_key(&id).then_some((id, generation))
        })
        .or_else(|| {
            // No trailer survived: the catalogue is the object that says it is one.
            offsets.iter().rev().find_map(|(&id, &(at, generation))| {
                let window = &body[at..body.len().min(at + 512)];
                let end = window
                    .windows(6)
                    .position(|w| w == b"endobj")
                    .unwrap_or(window.len());
                let object = &window[..end];
                let is_catalog = object.windows(8).any(|w| w == b"/Catalog");
                is_catalog.then_some((id, generation))
            })
        })?;
    let max_id = *offsets.keys().next_back()?;
    let mut out = Vec::with_capacity(body.len() + 40 * offsets.len() + 128);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\n");
    let xref_at = out.len();
    out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f\r\n");
    for (id, (at, generation)) in &offsets {
        out.extend_from_slice(format!("{id} 1\n{at:010} {generation:05} n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root {} {} R >>\nstartxref\n{xref_at}\n%%EOF\n",
            max_id + 1,
            root.0,
            root.1
        )
        .as_bytes(),
    );
    Some(out)
}

fn page_text(doc: &lopdf::Document, number: u32) -> Result<String, String> {
    let mut text = String::new();
    {
        let mut output = pdf_extract::PlainTextOutput::new(&mut text);
        pdf_extract::output_doc_page(doc, &mut output, number).map_err(|e| e.to_string())?;
    }
    Ok(text)
}

thread_local! {
    /// True while this thread runs fenced code whose panics are expected and handled.
    static FENCED: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once, a panic hook that stays silent for panics inside [`quietly`] and hands
/// every other panic to the hook that was there before.
fn install_quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !FENCED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `None` without printing the panic message.
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    install_quiet_hook();
    let was_fenced = FENCED.with(|fenced| fenced.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    FENCED.with(|fenced| fenced.set(was_fenced));
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_fence_is_caught() {
        assert_eq!(quietly(|| -> u8 { panic!("expected") }), None);
        assert_eq!(quietly(|| 7), Some(7));
        // The flag is reset after a caught panic.
        assert!(!FENCED.with(Cell::get));
    }

    #[test]
    fn bytes_without_a_header_are_not_a_pdf() {
        assert!(matches!(
            pages(b"hello, world"),
            Err(InputProblem::CorruptPdf(_))
        ));
        assert!(matches!(pages(b""), Err(InputProblem::CorruptPdf(_))));
    }

    #[test]
    fn a_header_with_nothing_after_it_is_corrupt() {
        assert!(matches!(
            pages(b"%PDF-1.7\n%%EOF"),
            Err(InputProblem::CorruptPdf(_))
        ));
    }

    /// A one-page PDF with the given text, made here with lopdf.
    fn small_pdf(text: &str) -> Vec<u8> {
        use lopdf::content::{Content, Operation};
        use lopdf::{dictionary, Document, Object, Stream};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new("Td", vec![72.into(), 700.into()]),
                Operation::new("Tj", vec![Object::string_literal(text)]),
                Operation::new("ET", vec![]),
            ],
        };
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

    fn words(pages: &[String]) -> String {
        pages
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_broken_cross_reference_table_is_rebuilt() {
        let good = small_pdf("Leaders know their services well.");
        assert_eq!(
            words(&pages(&good).unwrap()),
            "Leaders know their services well."
        );
        // One byte inserted after the header: every offset in the table is one short.
        let mut shifted = good.clone();
        let line_end = shifted.iter().position(|&b| b == b'\n').unwrap();
        shifted.insert(line_end + 1, b'\n');
        assert_eq!(
            words(&pages(&shifted).unwrap()),
            "Leaders know their services well."
        );
        // The end cut off: no table, no trailer, no %%EOF.
        let cut = &good[..good.len() - 20];
        assert_eq!(
            words(&pages(cut).unwrap()),
            "Leaders know their services well."
        );
        // Cut before the objects end: nothing to recover.
        assert!(matches!(
            pages(&good[..good.len() / 3]),
            Err(InputProblem::CorruptPdf(_))
        ));
    }
}
