//! Raw mode and the alternate screen, undone on quit, on error (Drop) and on panic (ratatui's hook,
//! which chains the previously installed one).

use anyhow::Result;
use ratatui::DefaultTerminal;

pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
    active: bool,
}

impl TerminalGuard {
    pub fn enter() -> Result<Self> {
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
