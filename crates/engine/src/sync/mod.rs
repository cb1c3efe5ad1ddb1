//! Converging: a pure plan (what will be created, patched, pruned) and the executor that carries it out.

mod execute;
mod plan;

pub use execute::{SyncError, SyncEvent, run_sync};
pub use plan::{PlanItem, PlanOp, SyncPlan, applied_manifest, plan_sync, withhold_prunes};
