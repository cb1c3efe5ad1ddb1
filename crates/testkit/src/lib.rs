//! What kdrift's tests share: real git repos written with the git CLI in temp dirs, a remote
//! served by `git daemon` on loopback, and the real binary in a tmux pane.

pub mod git;
pub mod gitops;
pub mod layouts;
pub mod tmux;
pub mod upstream;
