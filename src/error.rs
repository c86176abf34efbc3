//! Errors that name the input and the reason, so a person can act on them.

use std::fmt;
use std::path::{Path, PathBuf};

/// The largest input file read, in bytes: far above any real report (the corpus's largest
/// PDF is a few megabytes), low enough that one file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why an input could not be used. The string form is what `errors.csv` and stderr show.
/// Serialisable, so a reader worker process can send it back (see `pipeline::worker`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InputProblem {
    /// The file could not be opened or read.
    Unreadable(String),
    /// A folder whose entries could not be listed.
    UnreadableFolder(String),
    /// A named pipe, device or socket: only regular files are read (a pipe would block and
    /// a device such as /dev/zero never ends). Says which kind it is.
    NotRegularFile(#[serde(deserialize_with = "file_kind")] FileKind),
    /// Larger than [`MAX_FILE_BYTES`]; the size in bytes.
    TooLarge(u64),
    Empty,
    /// Not one of the formats ofsted-themes reads.
    UnsupportedType,
    /// A text-like extension but the bytes are not text in any encoding we decode.
    NotText,
    /// The PDF is damaged or truncated.
    CorruptPdf(String),
    /// The PDF is encrypted and cannot be opened without a password.
    EncryptedPdf,
    /// A PDF with no text layer: a scanned image.
    NoTextLayer,
    /// The text yielded no sentences.
    NoSentences,
    /// A folder given on the command line that holds no supported file.
    NoSupportedFiles,
    /// The file does not exist.
    NotFound,
    /// A file ofsted-themes writes (an output, the store), named as an input: never read.
    OwnOutput,
    /// A report whose name begins with "." met in a folder: not read.
    Hidden,
    /// A folder whose name begins with "." met in a folder, holding this many reports: not
    /// read.
    HiddenFolder(usize),
    /// The classifier could not label the report (the encoder failed); it is not stored, so
    /// the next run tries it again.
    ClassifierFailed {
        classifier: String,
        why: String,
    },
    /// The PDF asks more of the reader than its limits allow (see `pdf::limits`): what is
    /// over which limit.
    PdfOverLimit(String),
    /// The reader process for this file died: what killed it ("signal 11", "a stack
    /// overflow") and which reader it was ("PDF", "text").
    ReaderCrashed {
        reader: String,
        why: String,
    },
    /// The reader process ran past the time allowed for a file this size, in seconds.
    ReaderTimedOut(u64),
    /// The reader process needed more memory than it may have, in MB.
    ReaderOutOfMemory(u64),
    /// Read, but not an Ofsted inspection of a local authority's children's services (nor a
    /// write-up of one); why. Taken anyway with `--accept-any-document`.
    NotChildrensServicesDocument(String),
    /// A bug in ofsted-themes met this file; the rest of the batch goes on.
    Internal(String),
}

/// What kind of thing a path that is not a regular file is ("a named pipe (FIFO)"). An
/// alias, so that serde does not take the field for one borrowed from its input.
pub type FileKind = &'static str;

/// [`InputProblem::NotRegularFile`]'s kind, read back as one of the kinds that
/// `ingest` names (a `&'static str` cannot borrow from the reply).
fn file_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let kind = <String as serde::Deserialize>::deserialize(d)?;
    Ok([
        "a named pipe (FIFO)",
        "a device",
        "a socket",
        "a folder",
        "a special file",
    ]
    .into_iter()
    .find(|known| *known == kind)
    .unwrap_or("a special file"))
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputProblem::Unreadable(why) => write!(
                f,
                "cannot read the file: {why}; check that it exists and that you may read it"
            ),
            InputProblem::UnreadableFolder(why) => write!(
                f,
                "cannot read the folder: {why}; check that you may list it"
            ),
            InputProblem::NotRegularFile(kind) => write!(
                f,
                "{kind}, not a regular file: only regular files are read; copy the report \
                 into a file"
            ),
            InputProblem::TooLarge(bytes) => write!(
                f,
                "the file is {} MiB, over the {} MiB a report may be",
                bytes / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            InputProblem::Empty => write!(f, "the file is empty"),
            InputProblem::UnsupportedType => {
                write!(f, "not a supported type (.pdf, .txt, .md, .html, .htm)")
            }
            InputProblem::NotText => write!(
                f,
                "the file has a text extension but holds binary data, not text"
            ),
            InputProblem::CorruptPdf(why) => write!(f, "the PDF is damaged or truncated: {why}"),
            InputProblem::EncryptedPdf => write!(f, "the PDF is encrypted"),
            InputProblem::NoTextLayer => write!(
                f,
                "the PDF has no text layer (a scanned image?); run it through OCR first"
            ),
            InputProblem::NoSentences => write!(f, "no sentences could be read from the text"),
            InputProblem::NoSupportedFiles => {
                write!(
                    f,
                    "the folder holds no .pdf, .txt, .md, .html or .htm files"
                )
            }
            InputProblem::NotFound => write!(f, "no such file or folder"),
            InputProblem::OwnOutput => write!(
                f,
                "a file that ofsted-themes writes (an output or the store of this run), not a \
                 report: never read"
            ),
            InputProblem::Hidden => write!(
                f,
                "a hidden file (its name starts with \".\"): not read; give it by name, or \
                 rename it, to read it"
            ),
            InputProblem::HiddenFolder(reports) => write!(
                f,
                "a hidden folder (its name starts with \".\") holding {reports} report file{}: \
                 not read; give it by name, or rename it, to read them",
                if *reports == 1 { "" } else { "s" }
            ),
            InputProblem::ClassifierFailed { classifier, why } => write!(
                f,
                "the {classifier} classifier could not label it ({why}); it is tried again on \
                 the next run (or give --classifier rules)"
            ),
            InputProblem::PdfOverLimit(why) => write!(
                f,
                "the PDF is over a limit of the reader ({why}): damaged or built to exhaust \
                 readers"
            ),
            InputProblem::ReaderCrashed { reader, why } => write!(
                f,
                "the {reader} reader crashed ({why}): the file is damaged or built to crash \
                 readers; the rest of the batch went on"
            ),
            InputProblem::ReaderTimedOut(seconds) => write!(
                f,
                "reading ran over {seconds} s, the limit for a file this size, and was \
                 stopped: the file is damaged or built to hang readers"
            ),
            InputProblem::ReaderOutOfMemory(mb) => write!(
                f,
                "reading needed over {mb} MB of memory and was stopped: the file is damaged \
                 or built to exhaust readers"
            ),
            InputProblem::NotChildrensServicesDocument(why) => write!(
                f,
                "not an Ofsted children's services document: {why}; give \
                 --accept-any-document to read it anyway"
            ),
            InputProblem::Internal(why) => write!(
                f,
                "ofsted-themes failed on this file (please report it): {why}"
            ),
        }
    }
}

/// An input that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct InputError {
    pub path: PathBuf,
    pub problem: InputProblem,
}

impl InputError {
    pub fn new(path: &Path, problem: InputProblem) -> InputError {
        InputError {
            path: path.to_path_buf(),
            problem,
        }
    }

    /// Runs `work` on the file at `path`, a panic in it reported against that file
    /// ([`InputProblem::Internal`]), so one bad input can never take a batch down with it.
    pub fn guard<T>(
        path: &Path,
        work: impl FnOnce() -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unexpected panic".to_string());
            Err(InputError::new(path, InputProblem::Internal(why)))
        })
    }

    /// Tells the user this input was skipped: one line on stderr, unless `quiet`. Every
    /// stage that skips an input says it this way.
    pub fn announce(&self, quiet: bool) {
        if !quiet {
            log::warn!("skipped {self}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_under_guard_is_an_error_against_the_file() {
        let path = Path::new("reports/leeds.pdf");
        let err = InputError::guard(path, || -> Result<(), InputError> { panic!("bad table") })
            .unwrap_err();
        assert_eq!(err.path, path);
        assert_eq!(err.problem, InputProblem::Internal("bad table".into()));
        assert_eq!(InputError::guard(path, || Ok(7)), Ok(7));
        let skipped = InputError::new(path, InputProblem::NoSentences);
        assert_eq!(
            InputError::guard(path, || Err::<u8, _>(skipped.clone())),
            Err(skipped)
        );
    }
}
