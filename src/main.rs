//! The `ofsted-themes` command line: parses arguments and hands them to `ofsted_themes::cmd`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ofsted_themes::cmd;

/// Reads Ofsted reports on children's social care and labels every sentence by stance and
/// theme, with summaries that compare local authorities. With no command: `run` on seeds/.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Run(Default::default())) {
        Command::Run(args) => cmd::run::execute(args),
        Command::Eval(args) => cmd::eval::execute(args),
        Command::Compare(args) => cmd::compare::execute(args),
        Command::Forget(args) => cmd::forget::execute(args),
        Command::Train(args) => cmd::train::execute(args),
        Command::Explain(args) => cmd::explain::execute(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        cmd::exit(cmd::EXIT_FAILED)
    })
}
