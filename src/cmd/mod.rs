//! One module per subcommand, each with its arguments and usage text beside its code.
//! `main.rs` only parses the command line and calls `execute`. The library does the work;
//! these files read arguments and print.

pub mod compare;
pub mod eval;
pub mod explain;
pub mod forget;
pub mod read;
pub mod run;
pub mod train;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ofsted_themes::taxonomy::Taxonomy;

/// Exit codes: every input used, nothing could be done, some inputs skipped.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_SOME_SKIPPED: u8 = 2;

/// `--jobs` is capped at this many threads per core: more only costs memory and start-up
/// (each thread has its own stack), and a huge number cannot even be started.
pub const MAX_JOBS_PER_CORE: usize = 4;
/// …and at this many in all, whatever the number of cores.
pub const MAX_JOBS: usize = 256;

/// The most worker threads `--jobs` may ask for on this machine.
pub fn jobs_cap() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * MAX_JOBS_PER_CORE).min(MAX_JOBS)
}

/// Sets the size of rayon's global thread pool (`--jobs`, capped at [`jobs_cap`] with a
/// note); 0 leaves rayon's default (one per core). A pool that cannot be started (the
/// system refuses the threads) is an error, not a panic later.
pub fn set_jobs(jobs: usize) -> Result<()> {
    if jobs == 0 {
        return Ok(());
    }
    let cap = jobs_cap();
    let threads = if jobs > cap {
        eprintln!(
            "note: --jobs {jobs} is more than this machine can use; using {cap} \
             ({MAX_JOBS_PER_CORE} per core, at most {MAX_JOBS})"
        );
        cap
    } else {
        jobs
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .with_context(|| format!("cannot start {threads} worker threads (--jobs): give fewer"))
}

pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}

/// The taxonomy of `--taxonomy FILE`, or the bundled one.
pub fn load_taxonomy(path: Option<&Path>) -> Result<Taxonomy> {
    match path {
        Some(path) => Taxonomy::load(path),
        None => Ok(Taxonomy::bundled()),
    }
}
