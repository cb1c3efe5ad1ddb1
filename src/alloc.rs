//! The allocator's settings. The binary's global allocator is mimalloc (`main.rs`).

use std::os::unix::process::CommandExt;

/// mimalloc's variable for how long freed memory waits before it goes back to the system.
pub const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";

/// Memory freed goes back to the system at once instead of 10 ms later: mimalloc purges what is
/// due only when the thread that freed it allocates again, so a TUI that goes idle once its lists
/// are in kept what the lists freed: 27 MB of the 126 MB a 10k-object view held (its full view
/// took as long, 0.78–0.91 s against 0.90–1.09 s, within the plane's noise). mimalloc reads its
/// variables as the process starts, and setting one in code takes `unsafe` (forbidden here), so
/// the binary runs itself again with the variable set, once (a user's own value is kept).
pub fn purge_freed_memory_at_once() {
    if std::env::var_os(PURGE_DELAY).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut again = std::process::Command::new(exe);
    if let Some(name) = args.next() {
        again.arg0(name);
    }
    // `exec` returns only when it failed: then this process goes on with mimalloc's default
    let _ = again.args(args).env(PURGE_DELAY, "0").exec();
}
