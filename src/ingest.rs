//! Stage 1, ingest: a path becomes a [`RawDocument`] of decoded text pages.
//!
//! Contract: bytes in, text out as a reader sees it: decoded, every line ending `\n`, no
//! control or bidi characters ([`crate::text::as_read`]); HTML and Markdown rendered to
//! their visible text. Nothing else is interpreted: cleaning is the next stage's work.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{InputError, InputProblem};
use crate::files;
use crate::text::as_read;
use crate::types::{InputFormat, RawDocument};

/// The input format a path's extension names, if it is one we read.
pub fn format_of(path: &Path) -> Option<InputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => Some(InputFormat::Pdf),
        "txt" | "md" => Some(InputFormat::Text),
        "html" | "htm" => Some(InputFormat::Html),
        _ => None,
    }
}

pub use crate::error::MAX_FILE_BYTES;

/// The files a run writes (its outputs, temporaries, lock and store), which are never read
/// as inputs, wherever the inputs and the output folder lie.
#[derive(Debug, Clone, Default)]
pub struct OwnFiles {
    /// The output folder, canonical. Met inside an input folder, it is not walked; given as
    /// an input folder itself, only the files named below are left out of it.
    pub out_dir: Option<PathBuf>,
    /// File names the run writes in the output folder.
    pub out_names: Vec<String>,
    /// Beginnings of the names of files the run writes in the output folder (temporaries).
    pub out_prefixes: Vec<String>,
    /// Store files, canonical: each one, and any file beside it whose name begins with its
    /// name (SQLite's `-wal` and `-shm`, the `.lock`).
    pub stores: Vec<PathBuf>,
}

impl OwnFiles {
    /// Whether the file `name` in the folder `dir` (canonical) is one the run writes.
    fn owns(&self, dir: &Path, name: &str) -> bool {
        let in_out = self.out_dir.as_deref() == Some(dir)
            && (self.out_names.iter().any(|n| n == name)
                || self
                    .out_prefixes
                    .iter()
                    .any(|p| name.starts_with(p.as_str())));
        in_out
            || self.stores.iter().any(|store| {
                store.parent() == Some(dir)
                    && store
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| name.starts_with(n))
            })
    }

    /// Whether the file at `path` is one the run writes.
    fn owns_path(&self, path: &Path) -> bool {
        let Ok(canonical) = fs::canonicalize(path) else {
            return false;
        };
        match (
            canonical.parent(),
            canonical.file_name().and_then(|n| n.to_str()),
        ) {
            (Some(dir), Some(name)) => self.owns(dir, name),
            _ => false,
        }
    }
}

/// What [`discover_inputs`] found under the paths given.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The supported files to read, each once, sorted.
    pub files: Vec<PathBuf>,
    /// Inputs that cannot be used, for errors.csv: missing paths, empty folders, special
    /// files, hidden reports, files of the run's own.
    pub errors: Vec<InputError>,
    /// Hidden files and folders (names beginning with ".") met in folders and not read.
    pub hidden: Vec<PathBuf>,
    /// Files in folders of a type that is not read (.docx, .xlsx, …): not errors, but named.
    pub unsupported: Vec<PathBuf>,
}

/// How many names a one-line note lists before "and N more".
const NOTE_MAX_NAMES: usize = 10;

/// How many entries of a hidden folder are searched for reports, at most: a `.git` folder
/// is large and holds none.
const HIDDEN_FOLDER_SEARCH_LIMIT: usize = 20_000;

impl Discovery {
    /// Says on stderr, one line each, which hidden and which unsupported files were not
    /// read (unless `quiet`). Hidden reports are also rows of `errors`.
    pub fn announce(&self, quiet: bool) {
        if quiet {
            return;
        }
        if !self.hidden.is_empty() {
            log::warn!(
                "skipped {} hidden {} (name starts with \".\"; give one by name to read it): {}",
                self.hidden.len(),
                if self.hidden.len() == 1 {
                    "file or folder"
                } else {
                    "files and folders"
                },
                name_list(&self.hidden)
            );
        }
        if !self.unsupported.is_empty() {
            log::warn!(
                "not read: {} file{} of a type ofsted-themes does not read (only .pdf, .txt, .md, \
                 .html, .htm): {}",
                self.unsupported.len(),
                if self.unsupported.len() == 1 { "" } else { "s" },
                name_list(&self.unsupported)
            );
        }
    }
}

/// "a, b, c and 4 more": the paths as given, at most [`NOTE_MAX_NAMES`] of them.
fn name_list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .take(NOTE_MAX_NAMES)
        .map(|p| p.display().to_string())
        .collect();
    let more = paths.len().saturating_sub(NOTE_MAX_NAMES);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// [`discover_inputs`] without outputs to leave out, for callers that only need the files
/// and the errors.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let found = discover_inputs(paths, &OwnFiles::default());
    (found.files, found.errors)
}

/// Whether a text file is Markdown (`.md`), read by [`crate::markdown`] rather than as
/// plain text.
fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

/// Expands files and folders (recursively) into the supported files under them, each once
/// and sorted, so that every run sees the same order. Problems (missing paths, empty folders,
/// files that are not regular files, hidden reports) are returned beside the files rather
/// than stopping the batch; files the run itself writes (`own`) are never inputs.
///
/// Symbolic links are followed, but each folder is walked once, by its canonical path, so
/// a link back up the tree (`ln -s . loop`) adds nothing, and overlapping inputs (`r r/sub`,
/// a folder twice, a file inside a folder also given) are read once.
pub fn discover_inputs(paths: &[PathBuf], own: &OwnFiles) -> Discovery {
    let mut walker = Walker {
        own,
        found: Discovery::default(),
        seen_files: HashSet::new(),
        reports_under: HashMap::new(),
    };
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let errors_before = walker.found.errors.len();
                let reports = walker.walk(path);
                if reports == 0 && walker.found.errors.len() == errors_before {
                    walker
                        .found
                        .errors
                        .push(InputError::new(path, InputProblem::NoSupportedFiles));
                }
            }
            Ok(meta) if meta.is_file() => {
                if own.owns_path(path) {
                    walker
                        .found
                        .errors
                        .push(InputError::new(path, InputProblem::OwnOutput));
                } else {
                    // A file named explicitly is always tried, so an unsupported one is
                    // reported, and a hidden one read.
                    walker.add_file(path.clone());
                }
            }
            Ok(meta) => walker
                .found
                .errors
                .push(InputError::new(path, not_regular(&meta))),
            Err(e) => walker
                .found
                .errors
                .push(InputError::new(path, problem_opening(&e))),
        }
    }
    let mut found = walker.found;
    found.files.sort();
    found.errors.sort_by(|a, b| a.path.cmp(&b.path));
    // An empty folder given twice is one error.
    found.errors.dedup();
    found.hidden.sort();
    found.unsupported.sort();
    found
}

struct Walker<'a> {
    own: &'a OwnFiles,
    found: Discovery,
    /// Canonical paths of the files taken, so that a file reached twice is read once.
    seen_files: HashSet<PathBuf>,
    /// Supported files found under each folder walked (canonical), so that a folder met
    /// again counts as holding what it held the first time.
    reports_under: HashMap<PathBuf, usize>,
}

impl Walker<'_> {
    /// Takes a file unless it was taken already (by another path to it).
    fn add_file(&mut self, path: PathBuf) {
        let key = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if self.seen_files.insert(key) {
            self.found.files.push(path);
        }
    }

    /// The output folder met inside an input folder is the run's own, not an input (given
    /// itself as an input folder, it is walked, less the files the run writes).
    fn is_out_dir(&self, dir: &Path) -> bool {
        self.own.out_dir.is_some()
            && fs::canonicalize(dir).ok().as_deref() == self.own.out_dir.as_deref()
    }

    /// Walks `dir` and returns how many supported files are under it, including those taken
    /// before by another path.
    fn walk(&mut self, dir: &Path) -> usize {
        let canonical = match fs::canonicalize(dir) {
            Ok(canonical) => canonical,
            Err(e) => {
                self.found.errors.push(InputError::new(
                    dir,
                    InputProblem::UnreadableFolder(e.to_string()),
                ));
                return 0;
            }
        };
        if let Some(&reports) = self.reports_under.get(&canonical) {
            return reports;
        }
        self.reports_under.insert(canonical.clone(), 0);
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.found.errors.push(InputError::new(
                    dir,
                    InputProblem::UnreadableFolder(e.to_string()),
                ));
                return 0;
            }
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(e) => self.found.errors.push(InputError::new(
                    dir,
                    InputProblem::UnreadableFolder(e.to_string()),
                )),
            }
        }
        // Sorted, so that which of two links to one folder is walked does not depend on the
        // order the file system lists them in.
        paths.sort();
        let mut reports = 0;
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if self.own.owns(&canonical, &name) {
                continue;
            }
            let supported = format_of(&path).is_some();
            let meta = fs::metadata(&path);
            let is_dir = meta.as_ref().is_ok_and(|m| m.is_dir());
            if is_dir && self.is_out_dir(&path) {
                continue;
            }
            if name.starts_with('.') {
                self.skip_hidden(path, meta.ok(), supported);
                continue;
            }
            match meta {
                Ok(meta) if meta.is_dir() => reports += self.walk(&path),
                Ok(meta) if meta.is_file() => {
                    if supported {
                        reports += 1;
                        self.add_file(path);
                    } else {
                        self.found.unsupported.push(path);
                    }
                }
                Ok(meta) => {
                    if supported {
                        self.found
                            .errors
                            .push(InputError::new(&path, not_regular(&meta)));
                    }
                }
                Err(e) => {
                    if supported {
                        self.found
                            .errors
                            .push(InputError::new(&path, problem_opening(&e)));
                    }
                }
            }
        }
        self.reports_under.insert(canonical, reports);
        reports
    }

    /// A hidden file or folder is not read, but named: on stderr always, and in errors.csv
    /// when it is (or holds) a report.
    fn skip_hidden(&mut self, path: PathBuf, meta: Option<fs::Metadata>, supported: bool) {
        let problem = match meta {
            Some(meta) if meta.is_dir() => match reports_in_hidden_folder(&path) {
                0 => None,
                n => Some(InputProblem::HiddenFolder(n)),
            },
            Some(meta) if meta.is_file() && supported => Some(InputProblem::Hidden),
            _ => None,
        };
        if let Some(problem) = problem {
            self.found.errors.push(InputError::new(&path, problem));
        }
        self.found.hidden.push(path);
    }
}

/// How many supported files a hidden folder holds, at any depth (links not followed),
/// searching at most [`HIDDEN_FOLDER_SEARCH_LIMIT`] entries.
fn reports_in_hidden_folder(dir: &Path) -> usize {
    let mut pending = vec![dir.to_path_buf()];
    let mut searched = 0usize;
    let mut reports = 0usize;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            searched += 1;
            if searched > HIDDEN_FOLDER_SEARCH_LIMIT {
                return reports;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                Ok(t) if t.is_file() && format_of(&entry.path()).is_some() => reports += 1,
                _ => {}
            }
        }
    }
    reports
}

/// What kind of thing a path is when it is neither a regular file nor a folder.
fn not_regular(meta: &fs::Metadata) -> InputProblem {
    #[cfg(unix)]
    let kind = {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a named pipe (FIFO)"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_dir() {
            "a folder"
        } else {
            "a special file"
        }
    };
    #[cfg(not(unix))]
    let kind = if meta.is_dir() {
        "a folder"
    } else {
        "a special file"
    };
    InputProblem::NotRegularFile(kind)
}

fn problem_opening(e: &std::io::Error) -> InputProblem {
    match e.kind() {
        std::io::ErrorKind::NotFound => InputProblem::NotFound,
        _ => InputProblem::Unreadable(e.to_string()),
    }
}

/// Opens a path for reading only if it is a regular file (after following links), without
/// blocking: opening a named pipe would wait for a writer for ever.
fn open_regular(path: &Path) -> Result<fs::File, InputProblem> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| problem_opening(&e))?;
    let meta = file
        .metadata()
        .map_err(|e| InputProblem::Unreadable(e.to_string()))?;
    if meta.is_dir() {
        return Err(InputProblem::Unreadable("it is a folder".into()));
    }
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(InputProblem::TooLarge(meta.len()));
    }
    Ok(file)
}

/// Reads a whole regular file, at most [`MAX_FILE_BYTES`] of it (a file that grows while it
/// is read is refused rather than read without end).
fn read_regular(path: &Path) -> Result<Vec<u8>, InputProblem> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputProblem::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(InputProblem::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads one file into text pages.
pub fn read(path: &Path) -> Result<RawDocument, InputError> {
    let fail = |problem| InputError::new(path, problem);
    let format = format_of(path).ok_or_else(|| fail(InputProblem::UnsupportedType))?;
    let bytes = read_regular(path).map_err(fail)?;
    if bytes.is_empty() {
        return Err(fail(InputProblem::Empty));
    }
    let text = || {
        decode_text(&bytes)
            .map(|t| as_read(&t))
            .ok_or_else(|| fail(InputProblem::NotText))
    };
    let pages = match format {
        InputFormat::Pdf => crate::pdf::pages(&bytes).map_err(fail)?,
        InputFormat::Text if is_markdown(path) => vec![crate::markdown::plain_text(&text()?)],
        InputFormat::Text => vec![text()?],
        InputFormat::Html => vec![crate::html::body_text(&text()?)],
    };
    // Whatever the format, no control or bidi character goes further: character references
    // in HTML and Markdown, and PDF text, can hold them too.
    let pages: Vec<String> = pages.iter().map(|p| as_read(p)).collect();
    if pages.iter().all(|p| p.trim().is_empty()) {
        return Err(fail(match format {
            InputFormat::Pdf => InputProblem::NoTextLayer,
            _ => InputProblem::Empty,
        }));
    }
    Ok(RawDocument {
        path: path.to_path_buf(),
        sha256: files::sha256_hex(&bytes),
        format,
        pages,
    })
}

/// The SHA-256 of a file's bytes (lower-case hex), without decoding it: the report's identity,
/// used to tell whether a file is already in the store.
pub fn hash_file(path: &Path) -> Result<String, InputError> {
    let fail = |problem| InputError::new(path, problem);
    let file = open_regular(path).map_err(fail)?;
    let (sha, copied) = files::sha256_of(file.take(MAX_FILE_BYTES + 1))
        .map_err(|e| fail(InputProblem::Unreadable(e.to_string())))?;
    if copied > MAX_FILE_BYTES {
        return Err(fail(InputProblem::TooLarge(copied)));
    }
    Ok(sha)
}

/// Decodes text in UTF-8 (with or without BOM), UTF-16 (with BOM, or without one when
/// the zero bytes of ASCII text give it away), or Windows-1252, line by line: a line that
/// is not valid UTF-8 keeps its valid UTF-8 characters and has only its stray bytes read as
/// Windows-1252, so one bad byte in a UTF-8 file costs that byte, not the whole file (a
/// Windows-1252 file, whose lines hold no UTF-8 characters, is read as Windows-1252).
/// Returns `None` for bytes that are not text (binary junk with a text extension).
///
/// The text comes back as read, line endings and control characters included: see
/// [`crate::text::as_read`].
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let text = if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        text.into_owned()
    } else if let Some(encoding) = bomless_utf16(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        text.into_owned()
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        text.to_owned()
    } else {
        decode_by_line(bytes)
    };
    looks_like_text(&text).then_some(text)
}

/// Bytes that are not valid UTF-8 as a whole, decoded one line at a time (lines end at LF
/// or CR, so a file with classic Mac line endings is split too).
fn decode_by_line(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    for line in bytes.split_inclusive(|&b| b == b'\n' || b == b'\r') {
        match std::str::from_utf8(line) {
            Ok(valid) => text.push_str(valid),
            Err(_) if holds_utf8_characters(line) => {
                for chunk in line.utf8_chunks() {
                    text.push_str(chunk.valid());
                    push_windows_1252(&mut text, chunk.invalid());
                }
            }
            Err(_) => push_windows_1252(&mut text, line),
        }
    }
    text
}

/// Whether a line holds a valid multi-byte UTF-8 character: evidence that it is UTF-8 with
/// a stray byte rather than Windows-1252 (whose accented letters and quotes are single bytes
/// that rarely form valid UTF-8 sequences).
fn holds_utf8_characters(line: &[u8]) -> bool {
    line.utf8_chunks()
        .any(|chunk| chunk.valid().bytes().any(|b| b >= 0x80))
}

fn push_windows_1252(text: &mut String, bytes: &[u8]) {
    if !bytes.is_empty() {
        let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
        text.push_str(&decoded);
    }
}

/// UTF-16 without a byte-order mark: mostly-ASCII text has a zero in nearly every other
/// byte, on the odd side (little-endian) or the even side (big-endian).
fn bomless_utf16(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = bytes.len() / 2;
    let zeros_at = |parity: usize| {
        bytes
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 10 >= pairs * 9 && even * 10 < pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= pairs * 9 && odd * 10 < pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Text has few control characters; binary data decoded as Windows-1252 has many.
fn looks_like_text(text: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars() {
        total += 1;
        // Line endings of every convention (NEL, vertical tab, form feed) are text.
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{b}' | '\u{c}' | '\u{85}') {
            control += 1;
        }
    }
    total > 0 && control * 100 <= total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_and_without_bom() {
        assert_eq!(
            decode_text("£5 “quoted”".as_bytes()).unwrap(),
            "£5 “quoted”"
        );
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice("£5".as_bytes());
        assert_eq!(decode_text(&with_bom).unwrap(), "£5");
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        for unit in "£5 “q”".encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode_text(&le).unwrap(), "£5 “q”");
        let mut be = vec![0xFE, 0xFF];
        for unit in "£5 “q”".encode_utf16() {
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode_text(&be).unwrap(), "£5 “q”");
    }

    #[test]
    fn decodes_utf16_without_bom() {
        let text = "Children are seen regularly.";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_text(&le).unwrap(), text);
        assert_eq!(decode_text(&be).unwrap(), text);
    }

    #[test]
    fn decodes_windows_1252() {
        // "£5 “q”" in Windows-1252.
        let bytes = [0xA3, b'5', b' ', 0x93, b'q', 0x94];
        assert_eq!(decode_text(&bytes).unwrap(), "£5 “q”");
    }

    #[test]
    fn one_bad_byte_costs_that_byte_not_the_file() {
        let mut bytes = "Children\u{2019}s services.\nCosts were \u{a3}5.\n"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"Leaders\xe2\x80\x99 plans \xff work.\n");
        bytes.extend_from_slice("The authority\u{2019}s leaders.\n".as_bytes());
        assert_eq!(
            decode_text(&bytes).unwrap(),
            "Children\u{2019}s services.\nCosts were \u{a3}5.\nLeaders\u{2019} plans \u{ff} work.\n\
             The authority\u{2019}s leaders.\n"
        );
        // A Windows-1252 line in a UTF-8 file is read as Windows-1252, CR endings too.
        let mut mixed = "caf\u{e9} \u{2019}\r".as_bytes().to_vec();
        mixed.extend_from_slice(b"\x93quoted\x94 \xa35\r");
        assert_eq!(
            decode_text(&mixed).unwrap(),
            "caf\u{e9} \u{2019}\r\u{201c}quoted\u{201d} \u{a3}5\r"
        );
    }

    #[test]
    fn rejects_binary_junk() {
        let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert_eq!(decode_text(&junk), None);
    }
}
