//! PDF text extraction, page by page, in pure Rust.
//!
//! The file is parsed once with lopdf; pdf-extract then renders each page's text from that
//! document. pdf-extract can panic on malformed files: every call into either library is
//! fenced with `catch_unwind`, so a bad PDF becomes an [`InputProblem`], never a crash of
//! the batch, and a panic hook keeps fenced panics from printing to stderr.

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
}
