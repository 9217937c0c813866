//! The crate's tasks on the app's runtime (the watch of the deploy, the
//! start-up question to the app, the stop's deadline). tokio compiles its task
//! machinery once for every future type spawned, for each of its schedulers:
//! spawned boxed, the crate's tasks share one type, compiled once, here,
//! rather than once per task and per app.

use std::future::Future;
use std::pin::Pin;

/// A task of the crate's.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `task` on `runtime`, detached.
pub(crate) fn spawn(
    runtime: &tokio::runtime::Handle,
    task: impl Future<Output = ()> + Send + 'static,
) {
    spawn_boxed(runtime, Box::pin(task));
}

fn spawn_boxed(runtime: &tokio::runtime::Handle, task: Task) {
    runtime.spawn(task);
}
