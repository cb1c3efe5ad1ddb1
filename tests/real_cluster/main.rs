//! Tests against the real control plane (`tests/testbed/`: kube-apiserver, etcd, controllers,
//! kwok), in one binary. They fail, never skip, when it is not running.

#[path = "../common/mod.rs"]
mod common;

mod alerts;
mod auth;
mod bad_input;
mod cluster;
mod converge;
mod corpus;
mod deploy;
mod events;
mod extras;
mod faults;
mod gitops_apps;
mod jaeger;
mod load;
mod many;
mod mutations;
mod owners;
mod prometheus;
mod remote;
mod render;
mod restart;
mod schema;
mod scopes;
mod secrets;
mod stages;
mod tmux_converge;
mod watch;
