//! PDF text extraction, page by page, in pure Rust.
//!
//! pdf-extract can panic on malformed files; every call is fenced with `catch_unwind` so a
//! bad PDF becomes an [`InputProblem`], never a crash of the batch.

use std::panic::{self, AssertUnwindSafe};

use crate::error::InputProblem;

/// The text of each page of a PDF.
pub fn pages(bytes: &[u8]) -> Result<Vec<String>, InputProblem> {
    if !bytes.starts_with(b"%PDF")
        && !bytes[..bytes.len().min(1024)]
            .windows(4)
            .any(|w| w == b"%PDF")
    {
        return Err(InputProblem::CorruptPdf("no PDF header".into()));
    }
    let doc = match quietly(|| lopdf::Document::load_mem(bytes)) {
        Some(Ok(doc)) => doc,
        Some(Err(e)) => return Err(InputProblem::CorruptPdf(e.to_string())),
        None => return Err(InputProblem::CorruptPdf("the PDF parser failed".into())),
    };
    if doc.is_encrypted() {
        return Err(InputProblem::EncryptedPdf);
    }
    match quietly(|| pdf_extract::extract_text_from_mem_by_pages(bytes)) {
        Some(Ok(pages)) => Ok(pages),
        Some(Err(e)) => Err(InputProblem::CorruptPdf(e.to_string())),
        None => Err(InputProblem::CorruptPdf("the text extractor failed".into())),
    }
}

/// Runs `f`, turning a panic into `None` without printing the panic message.
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    panic::catch_unwind(AssertUnwindSafe(f)).ok()
}
