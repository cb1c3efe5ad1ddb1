//! Raw mode and the alternate screen, undone on quit, on error (Drop) and on panic (ratatui's hook,
//! which chains the one installed here). A panic in any task, not only the one drawing, ends
//! kdrift: after the terminal is restored it says so in one sanitized line naming the log file,
//! and exits, rather than drawing on over a screen that is no longer its own.

use anyhow::Result;
use ratatui::DefaultTerminal;

pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
    active: bool,
}

impl TerminalGuard {
    pub fn enter() -> Result<Self> {
        install_exit_on_panic();
        Ok(Self {
            terminal: ratatui::try_init()?,
            active: true,
        })
    }

    pub fn leave(&mut self) -> Result<()> {
        if self.active {
            self.active = false;
            ratatui::try_restore()?;
        }
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.active {
            ratatui::restore();
        }
    }
}

/// Exit status after a panic (EX_SOFTWARE).
pub const PANIC_EXIT: i32 = 70;

fn install_exit_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic = %what, location = %at, "kdrift stopped after an internal error");
        let log = crate::logging::log_path()
            .map(|p| format!("; the log is {}", p.display()))
            .unwrap_or_default();
        let line = format!("kdrift: internal error (a bug){at}: {what}{log}");
        eprintln!("{}", kdrift_engine::text::sanitize(&line));
        std::process::exit(PANIC_EXIT);
    }));
}
