//! Converging: a pure plan (what will be created, patched, pruned, in which order) and the
//! executor that carries it out step by step.

mod execute;
mod order;
mod owners;
mod ownership;
mod plan;

pub use execute::{SyncError, SyncEvent, SyncOutcome, run_sync};
pub use order::{Step, is_bootstrap, kind_rank, wave_of};
pub use owners::{OwnerEvent, answer, ask_owners, owner_key};
pub use ownership::{Stamp, applied_from, applied_manifest, gitops_owner};
pub use plan::{PlanInput, PlanItem, PlanOp, Precondition, SyncPlan, plan_sync, withhold_prunes};
