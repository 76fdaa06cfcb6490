//! The `watchsim` binary: parse the command line, call the library, report errors.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = watchsim::cli::Cli::parse();
    match watchsim::commands::execute(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::from(watchsim::commands::exit_code(&err))
        }
    }
}
