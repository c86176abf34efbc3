//! Reading each document where a crash, a hang or a memory blow-up costs that file only.
//!
//! PDF parsing above all can go wrong in ways no `catch_unwind` catches: a stack overflow
//! aborts the process, a loop never returns, an allocation failure aborts. So the binary's
//! `run` reads each file in a child process, the binary itself re-invoked with the hidden
//! subcommand [`READ_SUBCOMMAND`]: the child limits its own address space, then for each
//! path it is sent runs [`prepare`](super::prepare) and sends back the [`Report`] (or the
//! [`InputProblem`]) as JSON. Each thread of the run keeps one such worker for the files it
//! reads. The parent waits at most [`time_limit`] for each file, kills the worker on overrun,
//! and turns a death into an [`InputError`] against that file; the next file gets a fresh
//! worker. Library callers (tests,
//! benchmarks, training) read in-process with [`Reader::InProcess`].

use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::StageTimes;
use crate::error::{InputError, InputProblem};
use crate::types::Report;

/// The limits one reader process runs under. Values people may want to change live here.
pub mod limits {
    /// Address space a reader process may map, in MB. The largest report in the corpus
    /// needs well under a quarter of it (see docs/reliability.md); a PDF bomb needs more.
    pub const MEMORY_MB: u64 = 1024;
    /// Time any file may take to read, in seconds, before its size is counted...
    pub const BASE_SECONDS: u64 = 30;
    /// ...and the time each started megabyte of the file adds.
    pub const SECONDS_PER_MB: u64 = 10;
}

/// The hidden subcommand that reads one file in a worker process.
pub const READ_SUBCOMMAND: &str = "__read";

/// How a run reads each document into a [`Report`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Reader {
    /// In this process: no process start per file, but a reader that crashes or hangs takes
    /// the whole process with it. For tests, benchmarks and training on known files.
    #[default]
    InProcess,
    /// In a child process of this executable (its [`READ_SUBCOMMAND`]) under [`limits`].
    Worker(PathBuf),
}

impl Reader {
    /// A worker reader running the executable of this process.
    pub fn worker_of_this_executable() -> std::io::Result<Reader> {
        std::env::current_exe().map(Reader::Worker)
    }

    /// Reads the file at `path` into a report, as [`prepare`](super::prepare) does.
    pub fn read(&self, path: &Path, times: &StageTimes) -> Result<Report, InputError> {
        match self {
            Reader::InProcess => super::prepare(path, times),
            Reader::Worker(executable) => read_in_worker(executable, path, times),
        }
    }
}

/// How long a file of `bytes` may take to read.
pub fn time_limit(bytes: u64) -> Duration {
    let started_mb = bytes.div_ceil(1024 * 1024);
    Duration::from_secs(limits::BASE_SECONDS + limits::SECONDS_PER_MB * started_mb)
}

/// What a worker writes to stdout.
#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    result: Result<Report, InputProblem>,
    /// Nanoseconds spent in each stage ([`StageTimes::NAMES`]).
    stage_nanos: Vec<u64>,
}

/// A worker process kept for the files its thread reads, so that a process start and the
/// reader's set-up (compiled patterns) are paid once per thread, not once per file.
struct Worker {
    executable: PathBuf,
    child: Child,
    requests: ChildStdin,
    /// Each reply's bytes, or the end of stdout (the worker died).
    replies: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    /// The worker's stderr: read after a death, for what it said about it.
    stderr: std::fs::File,
}

thread_local! {
    /// This thread's worker, started on first use and again after one dies or is killed.
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

impl Worker {
    fn start(executable: &Path) -> std::io::Result<Worker> {
        // Stderr goes to a file, read only after a death: it says why ("memory allocation
        // ... failed", "overflowed its stack") and cannot fill a pipe.
        let stderr = tempfile::tempfile()?;
        let mut child = Command::new(executable)
            .arg(READ_SUBCOMMAND)
            .arg("--memory-mb")
            .arg(limits::MEMORY_MB.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.try_clone()?)
            .spawn()?;
        let requests = child.stdin.take().expect("stdin is piped");
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (sender, replies) = mpsc::channel();
        std::thread::spawn(move || loop {
            let reply = read_frame(&mut stdout);
            let ended = reply.is_err();
            // The parent may have stopped waiting (and killed the worker): nobody listens.
            if sender.send(reply).is_err() || ended {
                break;
            }
        });
        Ok(Worker {
            executable: executable.to_path_buf(),
            child,
            requests,
            replies,
            stderr,
        })
    }

    /// Kills and reaps the worker: no zombie, no orphan.
    fn stop(mut self) -> Option<std::process::ExitStatus> {
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}

/// Writes one length-prefixed frame.
fn write_frame(to: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    to.write_all(&(bytes.len() as u64).to_le_bytes())?;
    to.write_all(bytes)?;
    to.flush()
}

/// Reads one length-prefixed frame; an error at the end of the stream.
fn read_frame(from: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 8];
    from.read_exact(&mut length)?;
    let mut bytes = vec![0; u64::from_le_bytes(length) as usize];
    from.read_exact(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn path_of(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_of(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// The parent's side: hands `path` to this thread's worker and waits for the reply, at most
/// [`time_limit`] of the file's size.
fn read_in_worker(
    executable: &Path,
    path: &Path,
    times: &StageTimes,
) -> Result<Report, InputError> {
    let fail = |problem| InputError::new(path, problem);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let limit = time_limit(size);
    WORKER.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_some_and(|w| w.executable != executable) {
            slot.take().map(Worker::stop);
        }
        if slot.is_none() {
            let worker = Worker::start(executable).map_err(|e| {
                fail(InputProblem::Internal(format!(
                    "cannot start a reader process ({}): {e}",
                    executable.display()
                )))
            })?;
            *slot = Some(worker);
        }
        let worker = slot.as_mut().expect("started above");
        let said_before = worker.stderr.metadata().map(|m| m.len()).unwrap_or(0);
        let sent = write_frame(&mut worker.requests, &path_bytes(path));
        let reply = match sent {
            Ok(()) => worker.replies.recv_timeout(limit),
            Err(_) => Err(mpsc::RecvTimeoutError::Disconnected),
        };
        match reply {
            Ok(Ok(bytes)) => match serde_json::from_slice::<Reply>(&bytes) {
                Ok(reply) => {
                    times.add_nanos(&reply.stage_nanos);
                    reply.result.map_err(fail)
                }
                Err(e) => {
                    slot.take().map(Worker::stop);
                    Err(fail(InputProblem::Internal(format!(
                        "the reader's reply could not be read: {e}"
                    ))))
                }
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                slot.take().map(Worker::stop);
                Err(fail(InputProblem::ReaderTimedOut(limit.as_secs())))
            }
            // The worker died while reading this file.
            Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let mut worker = slot.take().expect("a worker was running");
                let mut said = String::new();
                if worker.stderr.seek(SeekFrom::Start(said_before)).is_ok() {
                    let _ = (&mut worker.stderr)
                        .take(64 * 1024)
                        .read_to_string(&mut said);
                }
                let status = worker.stop();
                Err(fail(death_problem(path, status.as_ref(), &said)))
            }
        }
    })
}

/// What a worker that ended with `status`, having written `stderr`, ran into.
fn death_problem(
    path: &Path,
    status: Option<&std::process::ExitStatus>,
    stderr: &str,
) -> InputProblem {
    if stderr.contains("memory allocation of") || stderr.contains("capacity overflow") {
        return InputProblem::ReaderOutOfMemory(limits::MEMORY_MB);
    }
    let reader = match crate::ingest::format_of(path) {
        Some(crate::types::InputFormat::Pdf) => "PDF",
        Some(crate::types::InputFormat::Html) => "HTML",
        _ => "text",
    }
    .to_string();
    let why = if stderr.contains("overflowed its stack") {
        "a stack overflow".to_string()
    } else {
        status
            .and_then(signal_of)
            .map(|signal| format!("signal {signal}"))
            .or_else(|| {
                status
                    .and_then(|s| s.code())
                    .map(|code| format!("exit status {code}"))
            })
            .unwrap_or_else(|| "no reply".to_string())
    };
    InputProblem::ReaderCrashed { reader, why }
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// The worker's side (the hidden subcommand): limits this process to `memory_mb` of
/// address space, ends it with its parent, then reads each path framed on stdin and writes
/// each reply framed to stdout, until stdin ends.
pub fn serve(memory_mb: u64) -> std::io::Result<()> {
    limit_this_process(memory_mb);
    let mut requests = std::io::stdin().lock();
    let mut replies = std::io::stdout().lock();
    while let Ok(path) = read_frame(&mut requests) {
        let path = path_of(path);
        let bytes = serde_json::to_vec(&read_here(&path))?;
        write_frame(&mut replies, &bytes)?;
    }
    Ok(())
}

/// Reads one file in this process, as the reply a worker sends.
fn read_here(path: &Path) -> Reply {
    inject_fault(path);
    let times = StageTimes::default();
    let result = super::prepare(path, &times).map_err(|e| e.problem);
    Reply {
        result,
        stage_nanos: times
            .totals()
            .iter()
            .map(|(_, d)| d.as_nanos() as u64)
            .collect(),
    }
}

/// The environment variable that makes a worker fail on purpose, for the tests of
/// containment: `crash:NAME`, `hang:NAME` or `memory:NAME` makes the worker reading the file
/// named NAME abort, loop, or allocate without end.
pub const FAULT_VARIABLE: &str = "OFSTED_THEMES_READER_FAULT";

fn inject_fault(path: &Path) {
    let Some(fault) = std::env::var_os(FAULT_VARIABLE) else {
        return;
    };
    let fault = fault.to_string_lossy();
    let Some((kind, name)) = fault.split_once(':') else {
        return;
    };
    if path.file_name().is_none_or(|n| n.to_string_lossy() != name) {
        return;
    }
    match kind {
        "crash" => std::process::abort(),
        "hang" => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![0; 64 * 1024 * 1024]);
            }
        }
        _ => {}
    }
}

/// Address space capped (never raised above what this process already has), and death with
/// the parent, so a reader left behind by a killed run cannot live on.
#[cfg(unix)]
fn limit_this_process(memory_mb: u64) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    type Resource = libc::__rlimit_resource_t;
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    type Resource = libc::c_int;
    fn lower(resource: Resource, to: u64) {
        // SAFETY: getrlimit/setrlimit only read and write the struct passed.
        unsafe {
            let mut current = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(resource, &mut current) != 0 {
                return;
            }
            let to = to as libc::rlim_t;
            let wanted = libc::rlimit {
                rlim_cur: to.min(current.rlim_max),
                rlim_max: current.rlim_max,
            };
            libc::setrlimit(resource, &wanted);
        }
    }
    lower(libc::RLIMIT_AS, memory_mb.saturating_mul(1024 * 1024));
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // The parent may have died before the call: then this process is an orphan now.
        if libc::getppid() == 1 {
            libc::_exit(1);
        }
    }
}

#[cfg(not(unix))]
fn limit_this_process(_: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_limit_grows_with_the_file() {
        assert_eq!(time_limit(0), Duration::from_secs(limits::BASE_SECONDS));
        assert_eq!(
            time_limit(1),
            Duration::from_secs(limits::BASE_SECONDS + limits::SECONDS_PER_MB)
        );
        assert_eq!(
            time_limit(5 * 1024 * 1024),
            Duration::from_secs(limits::BASE_SECONDS + 5 * limits::SECONDS_PER_MB)
        );
    }

    #[test]
    fn a_worker_problem_survives_the_reply() {
        for problem in [
            InputProblem::NotRegularFile("a named pipe (FIFO)"),
            InputProblem::PdfOverLimit("x".into()),
            InputProblem::EncryptedPdf,
        ] {
            let reply = Reply {
                result: Err(problem.clone()),
                stage_nanos: vec![0; 5],
            };
            let back: Reply = serde_json::from_slice(&serde_json::to_vec(&reply).unwrap()).unwrap();
            assert_eq!(back.result, Err(problem));
        }
    }
}
