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

use anyhow::Result;
use ofsted_themes::taxonomy::Taxonomy;

/// Exit codes: every input used, nothing could be done, some inputs skipped.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_SOME_SKIPPED: u8 = 2;

/// Sets the size of rayon's global thread pool (`--jobs`); 0 leaves rayon's default.
pub fn set_jobs(jobs: usize) {
    if jobs > 0 {
        // Fails only if the pool was already built, in which case the first size stands.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global();
    }
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
