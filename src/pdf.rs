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

/// What one PDF may ask of the reader: past these it is refused with
/// [`InputProblem::PdfOverLimit`], never read until memory or time runs out. Real reports are
/// far inside them (the corpus's largest: about 60 pages, a few MB inflated).
pub mod limits {
    /// Bytes one stream may inflate to.
    pub const STREAM_INFLATED_BYTES: usize = 64 * 1024 * 1024;
    /// Bytes all of a document's streams may inflate to together.
    pub const DOCUMENT_INFLATED_BYTES: usize = 256 * 1024 * 1024;
    /// Pages one document may have.
    pub const PAGES: usize = 10_000;
    /// Form XObjects nested in one another (a form that draws a form that draws ...).
    pub const FORM_DEPTH: usize = 32;
    /// Form XObjects one page may draw, every repeat of a nested one counted.
    pub const FORM_DRAWS_PER_PAGE: u64 = 10_000;
    /// The page size assumed for a page that has none (US Letter, in points), as other
    /// readers do.
    pub const DEFAULT_MEDIA_BOX: [i64; 4] = [0, 0, 612, 792];
}

/// Like [`pages`], trusting the file's own cross-reference table.
fn read_pages(bytes: &[u8]) -> Result<Vec<String>, InputProblem> {
    // lopdf opens a PDF encrypted with an empty user password (an owner password only)
    // by itself; one that needs a password stays encrypted.
    let mut doc = match quietly(|| lopdf::Document::load_mem(bytes)) {
        Some(Ok(doc)) => doc,
        Some(Err(lopdf::Error::Decryption(_))) => return Err(InputProblem::EncryptedPdf),
        Some(Err(e)) => return Err(InputProblem::CorruptPdf(e.to_string())),
        None => return Err(InputProblem::CorruptPdf("the PDF parser failed".into())),
    };
    if doc.is_encrypted() {
        return Err(InputProblem::EncryptedPdf);
    }
    // Made safe for the extractor before it sees the document: every page found without
    // following a loop, every stream inflated within bounds, no form that draws itself, and
    // a page tree one level deep whose pages carry what they inherit.
    let tree = match quietly(|| page_tree(&doc)) {
        Some(tree) => tree?,
        None => return Err(InputProblem::CorruptPdf("the page tree is damaged".into())),
    };
    quietly(|| inflate_streams(&mut doc))
        .unwrap_or_else(|| Err(InputProblem::CorruptPdf("a stream is damaged".into())))?;
    quietly(|| check_forms(&doc, &tree)).unwrap_or_else(|| {
        Err(InputProblem::CorruptPdf(
            "the form XObjects are damaged".into(),
        ))
    })?;
    let page_count = tree.pages.len();
    if quietly(|| flatten_page_tree(&mut doc, tree)).is_none() {
        return Err(InputProblem::CorruptPdf("the page tree is damaged".into()));
    }
    extract_texts(&doc, page_count)
}

/// The text of each of the document's `page_count` pages, in one pass over the document
/// (time linear in pages); from a page the pass fails on, page by page.
fn extract_texts(doc: &lopdf::Document, page_count: usize) -> Result<Vec<String>, InputProblem> {
    let mut splitter = PageSplitter::default();
    let whole = quietly(|| pdf_extract::output_doc(doc, &mut splitter));
    let mut texts = splitter.done;
    if matches!(whole, Some(Ok(()))) && texts.len() == page_count {
        return Ok(texts);
    }
    let mut first_failure = None;
    for number in texts.len() + 1..=page_count {
        let number = number as u32;
        match quietly(|| page_text(doc, number)) {
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

/// One page's text as it is written: what pdf-extract's plain-text output makes of it, a
/// fresh output for each page, exactly as when pages are extracted one at a time.
#[derive(Clone, Default)]
struct PageBuffer(std::rc::Rc<std::cell::RefCell<String>>);

impl std::fmt::Write for PageBuffer {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.borrow_mut().push_str(s);
        Ok(())
    }
}

impl pdf_extract::ConvertToFmt for PageBuffer {
    type Writer = PageBuffer;
    fn convert(self) -> PageBuffer {
        self
    }
}

/// Splits a whole-document pass into pages: each page gets a fresh plain-text output, and
/// its text is kept when the page ends.
#[derive(Default)]
struct PageSplitter {
    page: Option<(PageBuffer, pdf_extract::PlainTextOutput<PageBuffer>)>,
    done: Vec<String>,
}

impl PageSplitter {
    fn output(
        &mut self,
    ) -> Result<&mut pdf_extract::PlainTextOutput<PageBuffer>, pdf_extract::OutputError> {
        match &mut self.page {
            Some((_, output)) => Ok(output),
            None => Err(pdf_extract::OutputError::FormatError(std::fmt::Error)),
        }
    }
}

impl pdf_extract::OutputDev for PageSplitter {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &pdf_extract::MediaBox,
        art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), pdf_extract::OutputError> {
        let buffer = PageBuffer::default();
        let mut output = pdf_extract::PlainTextOutput::new(buffer.clone());
        output.begin_page(page_num, media_box, art_box)?;
        self.page = Some((buffer, output));
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.output()?.end_page()?;
        let (buffer, output) = self.page.take().expect("a page was begun");
        drop(output);
        self.done.push(buffer.0.take());
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &pdf_extract::Transform,
        width: f64,
        spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), pdf_extract::OutputError> {
        self.output()?
            .output_character(trm, width, spacing, font_size, char)
    }
    fn begin_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.output()?.begin_word()
    }
    fn end_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.output()?.end_word()
    }
    fn end_line(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.output()?.end_line()
    }
}

/// What a page inherits from the page-tree nodes above it: (attribute, value).
type Inherited = Vec<(&'static [u8], lopdf::Object)>;

/// Page attributes a page inherits from the page-tree nodes above it.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// The pages of a document in order, found by walking the page tree from the catalogue
/// without recursion and without visiting a node twice (a node that is its own ancestor,
/// or kids that loop, cannot hang the walk), each with the attributes it inherits.
struct PageTree {
    pages: Vec<(lopdf::ObjectId, Inherited)>,
}

fn page_tree(doc: &lopdf::Document) -> Result<PageTree, InputProblem> {
    let damaged = |why: &str| InputProblem::CorruptPdf(why.to_string());
    let root = doc
        .catalog()
        .ok()
        .and_then(|catalog| catalog.get(b"Pages").ok())
        .and_then(|pages| pages.as_reference().ok())
        .ok_or_else(|| damaged("no page tree"))?;
    let declared = doc
        .get_dictionary(root)
        .ok()
        .and_then(|node| node.get(b"Count").ok())
        .and_then(|count| count.as_i64().ok());
    let mut visited = std::collections::HashSet::new();
    let mut pages = Vec::new();
    // (node, what it inherits from above); kids pushed in reverse so pages come in order.
    let mut stack: Vec<(lopdf::ObjectId, Inherited)> = vec![(root, vec![])];
    while let Some((id, inherited)) = stack.pop() {
        if !visited.insert(id) {
            continue;
        }
        let Ok(node) = doc.get_dictionary(id) else {
            continue;
        };
        let kids = node
            .get_deref(b"Kids", doc)
            .ok()
            .and_then(|kids| kids.as_array().ok());
        let is_page = match node.get_type() {
            Ok(kind) => kind == b"Page",
            Err(_) => kids.is_none(),
        };
        if is_page {
            pages.push((id, inherited));
            if pages.len() > limits::PAGES {
                return Err(InputProblem::PdfOverLimit(format!(
                    "over {} pages",
                    limits::PAGES
                )));
            }
            continue;
        }
        let mut passed_down = inherited;
        for key in INHERITED {
            if let Ok(value) = node.get(key) {
                passed_down.retain(|(k, _)| *k != key);
                passed_down.push((key, value.clone()));
            }
        }
        for kid in kids.into_iter().flatten().rev() {
            if let Ok(kid) = kid.as_reference() {
                if !visited.contains(&kid) {
                    stack.push((kid, passed_down.clone()));
                }
            }
        }
    }
    if pages.is_empty() {
        return Err(damaged("the PDF has no pages"));
    }
    if let Some(declared) = declared {
        if (pages.len() as i64) < declared {
            return Err(damaged(&format!(
                "its page tree reaches {} of the {declared} pages it declares (/Count)",
                pages.len()
            )));
        }
    }
    Ok(PageTree { pages })
}

/// Replaces the page tree with one node holding every page in order, each page carrying
/// what it inherited and a page size, so that the extractor's own page walk (which stops
/// 256 levels down) finds every page and its walk up `/Parent` links cannot loop.
fn flatten_page_tree(doc: &mut lopdf::Document, tree: PageTree) {
    use lopdf::{dictionary, Object};
    let root = doc.new_object_id();
    let kids: Vec<Object> = tree
        .pages
        .iter()
        .map(|(id, _)| Object::Reference(*id))
        .collect();
    let count = kids.len() as i64;
    for (id, inherited) in tree.pages {
        let Ok(page) = doc.get_dictionary_mut(id) else {
            continue;
        };
        page.set("Parent", Object::Reference(root));
        for (key, value) in inherited {
            if !page.has(key) {
                page.set(key, value);
            }
        }
        if !page.has(b"MediaBox") {
            let media_box: Vec<Object> = limits::DEFAULT_MEDIA_BOX.map(Object::Integer).into();
            page.set("MediaBox", media_box);
        }
    }
    doc.objects.insert(
        root,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    if let Ok(catalog) = doc.catalog_mut() {
        catalog.set("Pages", Object::Reference(root));
    }
}

/// Inflates every Flate-compressed stream within [`limits`], keeping the inflated bytes in
/// place of the compressed ones (so the extractor never inflates without a bound), and
/// empties image streams, whose pixels carry no text. A stream with other filters is left
/// to the extractor.
fn inflate_streams(doc: &mut lopdf::Document) -> Result<(), InputProblem> {
    use lopdf::Object;
    let mut total = 0usize;
    for (id, object) in doc.objects.iter_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let is = |key: &[u8], value: &[u8]| {
            stream
                .dict
                .get(key)
                .and_then(|v| v.as_name())
                .is_ok_and(|name| name == value)
        };
        if is(b"Type", b"XRef") || is(b"Type", b"ObjStm") {
            // Read when the file was loaded.
            continue;
        }
        if is(b"Subtype", b"Image") {
            stream.dict.remove(b"Filter");
            stream.dict.remove(b"DecodeParms");
            stream.set_content(Vec::new());
            continue;
        }
        let Ok(filters) = stream.filters() else {
            continue;
        };
        if filters.is_empty() || filters.iter().any(|f| f != b"FlateDecode") {
            continue;
        }
        let layers = filters.len();
        let inflated = inflate_bounded(&stream.content, layers).ok_or_else(|| {
            InputProblem::PdfOverLimit(format!(
                "stream {} {} R inflates to over {} MB",
                id.0,
                id.1,
                limits::STREAM_INFLATED_BYTES >> 20
            ))
        })?;
        total += inflated.len();
        if total > limits::DOCUMENT_INFLATED_BYTES {
            return Err(InputProblem::PdfOverLimit(format!(
                "its streams inflate to over {} MB",
                limits::DOCUMENT_INFLATED_BYTES >> 20
            )));
        }
        // A predictor (DecodeParms) is applied by lopdf itself, to bytes now known small.
        if !stream.dict.has(b"DecodeParms") {
            stream.dict.remove(b"Filter");
            stream.set_content(inflated);
        }
    }
    Ok(())
}

/// `layers` rounds of zlib inflation, `None` when a round comes to over
/// [`limits::STREAM_INFLATED_BYTES`]. Damaged data gives what inflated before the damage,
/// as lopdf does (raw deflate tried when the zlib header is bad).
fn inflate_bounded(compressed: &[u8], layers: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let cap = limits::STREAM_INFLATED_BYTES as u64;
    let mut data = compressed.to_vec();
    for _ in 0..layers {
        let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(cap as usize));
        let zlib = flate2::read::ZlibDecoder::new(data.as_slice())
            .take(cap + 1)
            .read_to_end(&mut out);
        if zlib.is_err() && out.is_empty() && data.len() > 2 {
            let _ = flate2::read::DeflateDecoder::new(&data[2..])
                .take(cap + 1)
                .read_to_end(&mut out);
        }
        if out.len() as u64 > cap {
            return None;
        }
        data = out;
    }
    Some(data)
}

/// `/Name Do`: a content stream drawing an XObject.
static DRAW: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
    // Comments may stand between the name and the operator.
    regex::bytes::Regex::new(
        r"(?-u)/([^\x00\t\n\x0c\r /\[\]<>(){}%]+)(?:[\x00\t\n\x0c\r ]|%[^\r\n]*)*Do\b",
    )
    .expect("valid regex")
});

/// The extractor draws a form XObject by recursing into it: refuses forms that draw
/// themselves (at any remove), nest over [`limits::FORM_DEPTH`] deep, or make a page draw
/// over [`limits::FORM_DRAWS_PER_PAGE`] forms. Each form is costed once per resources it is
/// drawn with, so the check is linear in the document.
fn check_forms(doc: &lopdf::Document, tree: &PageTree) -> Result<(), InputProblem> {
    let mut forms = FormCheck {
        doc,
        memo: Default::default(),
        drawing: Default::default(),
    };
    for (number, (id, inherited)) in tree.pages.iter().enumerate() {
        let Ok(page) = doc.get_dictionary(*id) else {
            continue;
        };
        let resources = page
            .get(b"Resources")
            .ok()
            .or_else(|| {
                inherited
                    .iter()
                    .find(|(key, _)| *key == b"Resources")
                    .map(|(_, value)| value)
            })
            .and_then(|r| resolve_dict(doc, r));
        let Some(resources) = resources else {
            continue;
        };
        let content = doc.get_page_content(*id).unwrap_or_default();
        let draws = forms.draws_in(&content, resources, 0)?;
        if draws > limits::FORM_DRAWS_PER_PAGE {
            return Err(InputProblem::PdfOverLimit(format!(
                "page {} draws over {} form XObjects",
                number + 1,
                limits::FORM_DRAWS_PER_PAGE
            )));
        }
    }
    Ok(())
}

fn resolve_dict<'a>(
    doc: &'a lopdf::Document,
    object: &'a lopdf::Object,
) -> Option<&'a lopdf::Dictionary> {
    match object {
        lopdf::Object::Reference(id) => doc.get_dictionary(*id).ok(),
        other => other.as_dict().ok(),
    }
}

/// A name as written (`X#31`) as the parser reads it (`X1`).
fn unescape_name(written: &[u8]) -> Vec<u8> {
    let mut name = Vec::with_capacity(written.len());
    let mut i = 0;
    while i < written.len() {
        let hex = written
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (written[i], hex) {
            (b'#', Some(byte)) => {
                name.push(byte);
                i += 3;
            }
            (byte, _) => {
                name.push(byte);
                i += 1;
            }
        }
    }
    name
}

struct FormCheck<'a> {
    doc: &'a lopdf::Document,
    /// Forms drawn, each counted once, per (form, resources it was drawn with).
    memo: std::collections::HashMap<(lopdf::ObjectId, usize), u64>,
    /// The forms being drawn now, outermost first.
    drawing: Vec<lopdf::ObjectId>,
}

impl<'a> FormCheck<'a> {
    /// Forms drawn by `content` with `resources`, nested ones included.
    fn draws_in(
        &mut self,
        content: &[u8],
        resources: &'a lopdf::Dictionary,
        depth: usize,
    ) -> Result<u64, InputProblem> {
        let Some(xobjects) = resources
            .get(b"XObject")
            .ok()
            .and_then(|x| resolve_dict(self.doc, x))
        else {
            return Ok(0);
        };
        let mut total = 0u64;
        for found in DRAW.captures_iter(content) {
            let name = unescape_name(&found[1]);
            let Some(id) = xobjects.get(&name).ok().and_then(|x| x.as_reference().ok()) else {
                continue;
            };
            total = total.saturating_add(self.form_draws(id, resources, depth + 1)?);
            if total > limits::FORM_DRAWS_PER_PAGE {
                break;
            }
        }
        Ok(total)
    }

    /// 1 for the form `id`, drawn with `caller` resources, plus the forms it draws.
    fn form_draws(
        &mut self,
        id: lopdf::ObjectId,
        caller: &'a lopdf::Dictionary,
        depth: usize,
    ) -> Result<u64, InputProblem> {
        let doc = self.doc;
        let Ok(stream) = doc.get_object(id).and_then(|o| o.as_stream()) else {
            return Ok(0);
        };
        if stream
            .dict
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .is_ok_and(|s| s == b"Image")
        {
            return Ok(1);
        }
        if self.drawing.contains(&id) {
            return Err(InputProblem::CorruptPdf(format!(
                "form XObject {} {} R draws itself, a loop no reader can finish",
                id.0, id.1
            )));
        }
        if depth > limits::FORM_DEPTH {
            return Err(InputProblem::PdfOverLimit(format!(
                "form XObjects nested over {} deep",
                limits::FORM_DEPTH
            )));
        }
        // A form without resources of its own uses its caller's, as the extractor does.
        let resources = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|r| resolve_dict(doc, r))
            .unwrap_or(caller);
        let key = (id, resources as *const lopdf::Dictionary as usize);
        if let Some(&draws) = self.memo.get(&key) {
            return Ok(draws);
        }
        let content = if stream.dict.has(b"Filter") {
            stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone())
        } else {
            stream.content.clone()
        };
        self.drawing.push(id);
        let nested = self.draws_in(&content, resources, depth);
        self.drawing.pop();
        let draws = 1u64.saturating_add(nested?);
        self.memo.insert(key, draws);
        Ok(draws)
    }
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
