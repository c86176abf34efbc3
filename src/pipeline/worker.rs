//! Reading each document where a crash, a hang or a memory blow-up costs that file only.
//!
//! PDF parsing above all can go wrong in ways no `catch_unwind` catches: a stack overflow
//! aborts the process, a loop never returns, an allocation failure aborts. So the binary's
//! `run` reads each file in a child process, the binary itself re-invoked with the hidden
//! subcommand [`READ_SUBCOMMAND`]: the child limits its own address space and CPU time,
//! runs [`prepare`](super::prepare) and writes the [`Report`] (or the [`InputProblem`]) to
//! stdout as JSON. The parent waits at most [`time_limit`] for it, kills it on overrun,
//! and turns a death into an [`InputError`] against that file. Library callers (tests,
//! benchmarks, training) read in-process with [`Reader::InProcess`].

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// The parent's side: runs the worker on `path` and waits for its reply, at most
/// [`time_limit`] of the file's size.
fn read_in_worker(
    executable: &Path,
    path: &Path,
    times: &StageTimes,
) -> Result<Report, InputError> {
    let fail = |problem| InputError::new(path, problem);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let limit = time_limit(size);
    // Stderr goes to a file, read only after the worker has ended: it says why a worker
    // died ("memory allocation ... failed", "overflowed its stack") and cannot fill a pipe.
    let mut stderr = tempfile::tempfile().map_err(|e| {
        fail(InputProblem::Internal(format!(
            "cannot make a temporary file for the reader: {e}"
        )))
    })?;
    let stderr_for_child = stderr.try_clone().map_err(|e| {
        fail(InputProblem::Internal(format!(
            "cannot make a temporary file for the reader: {e}"
        )))
    })?;
    let mut child = Command::new(executable)
        .arg(READ_SUBCOMMAND)
        .arg("--memory-mb")
        .arg(limits::MEMORY_MB.to_string())
        .arg("--seconds")
        .arg(limit.as_secs().to_string())
        .arg("--")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr_for_child)
        .spawn()
        .map_err(|e| {
            fail(InputProblem::Internal(format!(
                "cannot start a reader process ({}): {e}",
                executable.display()
            )))
        })?;
    let start = Instant::now();
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = mpsc::channel();
    let collector = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = stdout.read_to_end(&mut bytes).map(|_| bytes);
        // The parent may have stopped waiting; then nobody needs the bytes.
        let _ = sender.send(read);
    });
    let output = receiver.recv_timeout(limit);
    let mut overran = output.is_err();
    // The reply is complete when stdout closes; the worker exits right after. One that
    // closes stdout and lives on is held to the same deadline.
    let status = loop {
        if !overran {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if start.elapsed() < limit => {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                Ok(None) => overran = true,
                Err(_) => overran = true,
            }
        }
        // Killed and reaped: no zombie, no orphan.
        let _ = child.kill();
        let _ = child.wait();
        break None;
    };
    let _ = collector.join();
    if overran || status.is_none() {
        return Err(fail(InputProblem::ReaderTimedOut(limit.as_secs())));
    }
    let status = status.expect("checked above");
    let output = output.expect("checked above");
    if status.success() {
        let reply = output
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Reply>(&bytes).ok());
        if let Some(reply) = reply {
            times.add_nanos(&reply.stage_nanos);
            return reply.result.map_err(fail);
        }
    }
    let mut said = String::new();
    let _ = stderr.rewind();
    let _ = (&mut stderr).take(64 * 1024).read_to_string(&mut said);
    Err(fail(death_problem(path, &status, &said)))
}

/// What a worker that ended with `status`, having written `stderr`, ran into.
fn death_problem(path: &Path, status: &std::process::ExitStatus, stderr: &str) -> InputProblem {
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
        signal_of(status)
            .map(|signal| format!("signal {signal}"))
            .or_else(|| status.code().map(|code| format!("exit status {code}")))
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
/// address space and `seconds` of CPU time, ends it with its parent, reads `path` and writes
/// the reply to stdout. Returns when the reply is written.
pub fn serve(path: &Path, memory_mb: u64, seconds: u64) -> std::io::Result<()> {
    limit_this_process(memory_mb, seconds);
    inject_fault(path);
    let times = StageTimes::default();
    let result = super::prepare(path, &times).map_err(|e| e.problem);
    let reply = Reply {
        result,
        stage_nanos: times
            .totals()
            .iter()
            .map(|(_, d)| d.as_nanos() as u64)
            .collect(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &reply)?;
    out.flush()
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

/// Address space and CPU time capped (never raised above what this process already has),
/// and death with the parent, so a reader left behind by a killed run cannot live on.
#[cfg(unix)]
fn limit_this_process(memory_mb: u64, seconds: u64) {
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
    // A backstop for a parent that cannot kill: CPU time a little over the wall-clock limit.
    lower(libc::RLIMIT_CPU, seconds.saturating_add(5));
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
fn limit_this_process(_: u64, _: u64) {}

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
