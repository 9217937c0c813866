//! The end-to-end, compile-time and documentation tests, one binary: each
//! module a behaviour (tests/README.md maps them). Four tests keep binaries
//! of their own, for what a process shares: `allocations.rs` counts every
//! allocation of its process, `startup_log_line.rs` sets Kamal's environment
//! variables, and `both_forms.rs` and `redis.rs` install a global `tracing`
//! subscriber.

#[path = "../common/mod.rs"]
mod common;

mod abandoned;
mod bodies;
mod built_in_main;
mod diagnostics;
mod end_to_end;
mod hand_placed_inside;
mod hyper;
mod logging;
mod own_route;
mod probe_in_main;
mod probe_peer;
mod readiness;
mod readme;
mod route_at_constant_path_panics;
mod self_probe;
mod stop;
mod ui;
mod waiting;
mod whole_app;
