//! Running the core: the executor (commands into tasks) and the one driver loop around
//! `update`, shared by the TUI and the tests.

mod driver;
mod executor;
mod frames;

pub use driver::{CHANNEL_CAPACITY, Driver, MAX_BATCH, TimedOut};
pub use executor::Executor;
pub use frames::{DIFF_GRACE, FRAME, FramePacer};
