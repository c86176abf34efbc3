//! The `ofsted-themes` command line: parses arguments and hands them to a module of `cmd`.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
mod cmd;

/// Reads Ofsted reports on children's social care and labels every sentence by stance and
/// theme, with summaries that compare local authorities. Start with `ofsted-themes run
/// REPORTS... --out results`.
#[derive(Debug, Parser)]
#[command(name = "ofsted-themes", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(cmd::run::RunArgs),
    Eval(cmd::eval::EvalArgs),
    Compare(cmd::compare::CompareArgs),
    Forget(cmd::forget::ForgetArgs),
    Train(cmd::train::TrainArgs),
    Explain(cmd::explain::ExplainArgs),
    /// Reads one file for `run` in a worker process (internal).
    #[command(name = "__read", hide = true)]
    Read(cmd::read::ReadArgs),
}

/// The library reports through `log`; its messages go to stderr as they are.
struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!("{}", record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: Stderr = Stderr;

fn main() -> ExitCode {
    // Only fails if a logger is already set, which nothing else does.
    let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Info));
    // Usage errors exit 1 ("nothing could be done"), not clap's 2, which this tool's exit
    // codes keep for "some inputs skipped"; --help and --version still exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return cmd::exit(if e.use_stderr() {
                cmd::EXIT_FAILED
            } else {
                cmd::EXIT_OK
            });
        }
    };
    // Bare `ofsted-themes` shows what it can do rather than running on anything.
    let Some(command) = cli.command else {
        let _ = Cli::command().print_help();
        return cmd::exit(cmd::EXIT_OK);
    };
    let result = match command {
        Command::Run(args) => cmd::run::execute(args),
        Command::Eval(args) => cmd::eval::execute(args),
        Command::Compare(args) => cmd::compare::execute(args),
        Command::Forget(args) => cmd::forget::execute(args),
        Command::Train(args) => cmd::train::execute(args),
        Command::Explain(args) => cmd::explain::execute(args),
        Command::Read(args) => cmd::read::execute(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        cmd::exit(cmd::EXIT_FAILED)
    })
}
