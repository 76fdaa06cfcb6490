//! The `watchsim` binary: parse the command line, call the library, report errors.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Like other command-line tools, stop quietly when the reader of our output goes
    // away (`watchsim run | head`) instead of failing on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default action of a signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = watchsim::cli::Cli::parse();
    match watchsim::commands::execute(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err}");
            ExitCode::from(err.exit_status())
        }
    }
}
