//! The `cpt` binary: parses the command line and runs it (see `cpt --help`).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    cpt::run(cpt::Cli::parse())
}
