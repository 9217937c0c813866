//! What the healthchecks of this process note about themselves, for one
//! another: the checks a router function's attribute offers to the
//! attribute on the function that serves (on this thread), the paths at
//! which a router function's attribute installed its route, and the paths a
//! serving function's attribute answers around what it serves (for
//! [`probe`](fn@crate::probe)'s report). Each is noted once, at start-up.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use crate::readiness::Readiness;

/// The paths `#[kamal_healthcheck]` on a function that serves answers in
/// this process, around what it serves: noted when that function starts.
static SERVED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Notes that the function that serves, now running, answers `path` ahead
/// of everything it serves (for [`probe`](fn@crate::probe)'s report).
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

thread_local! {
    /// The checks of the routes `#[kamal_healthcheck]` installed in router
    /// functions on this thread, by path, not yet taken by a serving form.
    static OFFERED: RefCell<Vec<(String, Weak<Readiness>)>> = const { RefCell::new(Vec::new()) };
}

/// Offers the checks of a route installed at `path` to the serving form.
pub(crate) fn offer(path: &str, readiness: &Arc<Readiness>) {
    OFFERED.with(|offered| {
        let mut offered = offered.borrow_mut();
        offered.retain(|(_, readiness)| readiness.strong_count() > 0);
        offered.push((path.to_owned(), Arc::downgrade(readiness)));
    });
}

/// Takes the checks offered at `path` (all of them go; the first still in
/// use is returned).
pub(crate) fn take_offered(path: &str) -> Option<Arc<Readiness>> {
    OFFERED.with(|offered| {
        let mut taken = None;
        offered.borrow_mut().retain(|(at, readiness)| {
            if at != path {
                return true;
            }
            taken = taken.take().or_else(|| readiness.upgrade());
            false
        });
        taken
    })
}

/// The paths at which the attribute on a router function installed its
/// route, in this process: that route inside an app the attribute on the
/// function that serves is around is the attribute's own, not a layer placed
/// by hand (see `serving::ask_own_route`).
static ROUTED: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

/// Notes the route the attribute on a router function installed at `path`.
pub(crate) fn route_installed(path: &'static str) {
    let mut routed = crate::outcome::lock(&ROUTED);
    if !routed.contains(&path) {
        routed.push(path);
    }
}

/// Whether the attribute on a router function installed its route at `path`.
#[cfg(feature = "tokio")]
pub(crate) fn routed(path: &str) -> bool {
    crate::outcome::lock(&ROUTED).contains(&path)
}
