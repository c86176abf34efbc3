//! Stage 1, ingest: a path becomes a [`RawDocument`] of decoded text pages.
//!
//! Contract: bytes in, text out as a reader sees it: decoded, every line ending `\n`, no
//! control or bidi characters ([`crate::text::as_read`]); HTML and Markdown rendered to
//! their visible text. Nothing else is interpreted: cleaning is the next stage's work.

use std::collections::HashSet;
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

/// Whether a text file is Markdown (`.md`), read by [`crate::markdown`] rather than as
/// plain text.
fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

/// Expands files and folders (recursively) into the supported files under them, sorted so
/// that every run sees the same order. Problems (missing paths, empty folders, files that
/// are not regular files) are returned beside the files rather than stopping the batch.
///
/// Symbolic links are followed, but each folder is walked once, by its canonical path, so
/// a link back up the tree (`ln -s . loop`) adds nothing.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut walked = HashSet::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let before = (files.len(), errors.len());
                walk(path, &mut walked, &mut files, &mut errors);
                if (files.len(), errors.len()) == before {
                    errors.push(InputError::new(path, InputProblem::NoSupportedFiles));
                }
            }
            // A file named explicitly is always tried, so an unsupported one is reported.
            Ok(meta) if meta.is_file() => files.push(path.clone()),
            Ok(meta) => errors.push(InputError::new(path, not_regular(&meta))),
            Err(e) => errors.push(InputError::new(path, problem_opening(&e))),
        }
    }
    files.sort();
    files.dedup();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

fn walk(
    dir: &Path,
    walked: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
) {
    match fs::canonicalize(dir) {
        Ok(canonical) => {
            if !walked.insert(canonical) {
                return;
            }
        }
        Err(e) => {
            errors.push(InputError::new(
                dir,
                InputProblem::UnreadableFolder(e.to_string()),
            ));
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError::new(
                dir,
                InputProblem::UnreadableFolder(e.to_string()),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(e) => errors.push(InputError::new(
                dir,
                InputProblem::UnreadableFolder(e.to_string()),
            )),
        }
    }
    // Sorted, so that which of two links to one folder is walked does not depend on the
    // order the file system lists them in.
    paths.sort();
    for path in paths {
        let is_hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if is_hidden {
            continue;
        }
        let supported = format_of(&path).is_some();
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, walked, files, errors),
            Ok(meta) if meta.is_file() => {
                if supported {
                    files.push(path);
                }
            }
            Ok(meta) => {
                if supported {
                    errors.push(InputError::new(&path, not_regular(&meta)));
                }
            }
            Err(e) => {
                if supported {
                    errors.push(InputError::new(&path, problem_opening(&e)));
                }
            }
        }
    }
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
