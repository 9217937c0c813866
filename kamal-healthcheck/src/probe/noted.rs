//! What the healthchecks of this process note for `probe`, and nothing else
//! needs: the paths they answer (for `probe` to find the one an app answers)
//! and the paths the attribute on a function that serves answers around what
//! it serves (for its report). Each is noted once, at start-up; without the
//! `probe` feature nothing is noted.

use std::sync::{Arc, Mutex};

use crate::path::DEFAULT_PATH;

/// The paths other than [`DEFAULT_PATH`] that a healthcheck of this process
/// answers (a layer's, an attribute's route). Layers are made at start-up: a
/// short list.
static ANSWERED: Mutex<Vec<Arc<str>>> = Mutex::new(Vec::new());

/// The paths `#[kamal_healthcheck]` on a function that serves answers in
/// this process, around what it serves: noted when that function starts.
static SERVED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Notes that a healthcheck answers `path`.
pub(crate) fn answered_here(path: &str) {
    if path == DEFAULT_PATH {
        return;
    }
    let mut answered = crate::outcome::lock(&ANSWERED);
    if !answered.iter().any(|known| &**known == path) {
        answered.push(path.into());
    }
}

/// The paths noted by [`answered_here`], in the order they were first noted.
pub(crate) fn answered_paths() -> Vec<Arc<str>> {
    crate::outcome::lock(&ANSWERED).clone()
}

/// Notes that the function that serves, now running, answers `path` ahead
/// of everything it serves.
pub fn serves(path: &str) {
    let mut served = crate::outcome::lock(&SERVED);
    if !served.iter().any(|known| known == path) {
        served.push(path.to_owned());
    }
}

/// Whether a function that serves with the attribute answers `path`.
pub(crate) fn served_around(path: &str) -> bool {
    crate::outcome::lock(&SERVED)
        .iter()
        .any(|known| known == path)
}
