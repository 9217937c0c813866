//! The rules and defaults both crates apply, written once: the runtime crate
//! checks a layer's settings with them at run time, and the macro crate
//! (through a symlink to this file) the attribute's at compile time, so both
//! accept exactly the same paths and deadlines.

use std::time::Duration;

/// The path kamal-proxy probes unless deploy.yml's `proxy: healthcheck: path:`
/// says otherwise.
pub(crate) const DEFAULT_PATH: &str = "/up";

/// kamal-proxy gives each probe 5 seconds unless deploy.yml's `proxy:
/// healthcheck: timeout:` says otherwise.
pub(crate) const PROXY_TIMEOUT: Duration = Duration::from_secs(5);

/// kamal-proxy gives a new container 30 seconds to answer a probe with a 2xx
/// unless deploy.yml's `deploy_timeout` says otherwise; then the deploy fails.
pub(crate) const DEPLOY_TIMEOUT: Duration = Duration::from_secs(30);

/// `docker stop` sends SIGKILL 10 seconds after SIGTERM unless deploy.yml's
/// `stop_timeout` says otherwise.
#[allow(dead_code)]
pub(crate) const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// When a stop cuts what still runs: a second before `docker stop`'s SIGKILL
/// (half the timeout when it is under two seconds), so the app returns first.
/// (The runtime crate's; the macro crate passes the timeout on.)
#[allow(dead_code)]
pub(crate) fn stop_deadline(stop_timeout: Duration) -> Duration {
    stop_timeout.saturating_sub(Duration::from_secs(1).min(stop_timeout / 2))
}

/// The `Host` of kamal-proxy's probe: Kamal registers a target as the short
/// container id and the app's port, and the probe carries it. (The runtime
/// crate's.)
#[allow(dead_code)]
pub(crate) const CONTAINER_HOST: &str = "7c7168a662c1:80";

/// How long the readiness checks may take unless set.
pub(crate) const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);

/// Why checks with `deadline` cannot answer within kamal-proxy's `timeout`,
/// if they cannot: the headline and the note of the error; the caller, who
/// knows where each value came from, adds the fix.
pub(crate) fn deadline_problem(deadline: Duration, timeout: Duration) -> Option<(String, String)> {
    (deadline >= timeout).then(|| {
        (
            format!("a check deadline of {deadline:?} is not below the timeout of {timeout:?}"),
            format!(
                "kamal-proxy gives up on a probe after {timeout:?}, before the checks are done"
            ),
        )
    })
}

/// Returns why `path` can never equal the path of a request line, if it cannot.
///
/// The healthcheck compares the request's path with this one byte for byte, so a
/// path that a request line cannot carry (or that clients rewrite before sending)
/// would never be answered and every deploy would time out.
pub(crate) fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("it is empty");
    }
    if !path.starts_with('/') {
        return Some("it must start with `/`");
    }
    for c in path.chars() {
        let reason = match c {
            '?' => "`?` starts the query string, which is not part of the path",
            '#' => "`#` starts a fragment, which clients never send",
            '{' | '}' => {
                "`{` and `}` are axum route parameters; the healthcheck path is matched literally"
            }
            c if c.is_whitespace() || c.is_control() => {
                "it contains whitespace or a control character, which a request line cannot carry"
            }
            c if !c.is_ascii() => {
                "it contains a non-ASCII character, which clients percent-encode; write the path as it is sent"
            }
            _ => continue,
        };
        return Some(reason);
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Some("a `.` or `..` segment is resolved away by clients and never sent");
    }
    if path
        .split('/')
        .any(|segment| segment.starts_with(':') || segment.starts_with('*'))
    {
        return Some(
            "a segment starting with `:` or `*` is axum's old capture syntax, which axum 0.8 \
             refuses with a panic at start-up; the healthcheck path is matched literally",
        );
    }
    None
}
