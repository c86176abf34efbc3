//! `ofsted-themes __read` (hidden): a worker process for `run`, reading the files it is
//! sent on stdin under the memory limit it is given and sending back each report. The work
//! is [`ofsted_themes::pipeline::worker::serve`]'s.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd::{exit, EXIT_OK};
use ofsted_themes::pipeline::worker;

#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// Address space this process may have, in MB.
    #[arg(long, default_value_t = worker::limits::MEMORY_MB)]
    pub memory_mb: u64,
}

pub fn execute(args: ReadArgs) -> Result<ExitCode> {
    worker::serve(args.memory_mb)?;
    Ok(exit(EXIT_OK))
}
