//! What a CLI owes the shell it runs in: completion scripts and a man page, both generated from
//! the same clap definition as `--help`, so they never fall behind the flags.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;

/// The completion script for `shell`, as `kdrift completions SHELL` prints it.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kdrift", &mut out);
    out
}

/// `kdrift.1` in roff, as `kdrift man` prints it.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

/// Writes `bytes` to stdout; a closed pipe (`kdrift man | head`) is not an error.
pub fn print(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
