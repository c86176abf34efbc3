//! `ofsted-themes __read FILE` (hidden): reads one file in a worker process for `run`, under
//! the limits it is given, and writes the report to stdout. The work is
//! [`ofsted_themes::pipeline::worker::serve`]'s.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd::{exit, EXIT_OK};
use ofsted_themes::pipeline::worker;

#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// The file to read.
    pub path: PathBuf,

    /// Address space this process may have, in MB.
    #[arg(long, default_value_t = worker::limits::MEMORY_MB)]
    pub memory_mb: u64,

    /// CPU seconds this process may use (the parent kills it at this wall-clock time).
    #[arg(long, default_value_t = worker::limits::BASE_SECONDS)]
    pub seconds: u64,
}

pub fn execute(args: ReadArgs) -> Result<ExitCode> {
    worker::serve(&args.path, args.memory_mb, args.seconds)?;
    Ok(exit(EXIT_OK))
}
