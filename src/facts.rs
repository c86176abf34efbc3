//! Report facts: authority, kind of document, dates, lead inspector and grades.
//!
//! Contract: read what the text states; leave a fact `None` rather than guess.

use crate::types::{Block, DocumentKind, RawDocument, ReportFacts};

/// Extracts the facts of a report from its raw pages and cleaned blocks.
pub fn extract(doc: &RawDocument, _blocks: &[Block]) -> ReportFacts {
    let first = doc.pages.first().map(String::as_str).unwrap_or("");
    let kind = if first.contains("focused visit") {
        DocumentKind::FocusedVisit
    } else if first.contains("Inspection of") {
        DocumentKind::Inspection
    } else {
        DocumentKind::Other
    };
    ReportFacts {
        kind,
        ..ReportFacts::default()
    }
}
