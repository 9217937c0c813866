//! What one run of the readiness checks found, as plain data: the run writes
//! it, the answer, the report and the log read it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// What one run of the checks found: the failed checks, in the order they were
/// added, and how long the run took.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) failures: Vec<Failed>,
    pub(crate) elapsed: Duration,
}

/// A check that did not pass.
#[derive(Debug)]
pub(crate) struct Failed {
    /// The check's index among the configured checks; `None` for the timer.
    pub(crate) check: Option<usize>,
    pub(crate) name: Cow<'static, str>,
    pub(crate) failure: Failure,
    /// From the start of the run to the failure.
    pub(crate) elapsed: Duration,
}

#[derive(Debug)]
pub(crate) enum Failure {
    Failed(String),
    TimedOut,
    /// With the panic's message, when it is a string.
    Panicked(Option<String>),
}

/// A panic's message, when it is a string (`panic!("...")`, `expect`).
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> Option<String> {
    match payload.downcast::<String>() {
        Ok(message) => Some(*message),
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|message| (*message).to_owned()),
    }
}

/// The guarded value, also after a panic elsewhere while it was held: nothing
/// here is left half-changed by one.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One line per failed check (`None` when all passed): the body of a `503`
/// with `details` as configured, and with every error's text for an
/// in-process `ProbeReport`.
pub(crate) fn report(outcome: &Outcome, deadline: Duration, details: bool) -> Option<String> {
    if outcome.failures.is_empty() {
        return None;
    }
    let mut report = String::new();
    for failed in &outcome.failures {
        let name = &failed.name;
        // Writing to a `String` cannot fail.
        let _ = match &failed.failure {
            Failure::Failed(error) if details => writeln!(report, "{name}: failed: {error}"),
            Failure::Failed(_) => writeln!(report, "{name}: failed"),
            Failure::TimedOut => {
                writeln!(report, "{name}: timed out after {:?}", deadline)
            }
            Failure::Panicked(Some(message)) if details => {
                writeln!(report, "{name}: panicked: {message}")
            }
            Failure::Panicked(_) => writeln!(report, "{name}: panicked"),
        };
    }
    Some(report)
}
