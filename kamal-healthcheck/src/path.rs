//! The healthcheck path: what makes a path usable, checked once when a layer is built.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::rules::path_problem;

/// The path kamal-proxy probes unless `proxy: healthcheck: path:` in Kamal's
/// `config/deploy.yml` says otherwise.
///
/// ```
/// assert_eq!(kamal_healthcheck::DEFAULT_PATH, "/up");
/// ```
pub const DEFAULT_PATH: &str = crate::rules::DEFAULT_PATH;

/// A validated healthcheck path. Cloning it never allocates, so neither does
/// cloning the service that holds it (hyper and axum clone services per request).
#[derive(Clone, Debug)]
pub(crate) enum HealthCheckPath {
    Static(&'static str),
    Shared(Arc<str>),
}

impl HealthCheckPath {
    pub(crate) fn new(path: Cow<'static, str>) -> Result<Self, InvalidPath> {
        if let Some(reason) = path_problem(&path) {
            return Err(InvalidPath {
                path: path.into_owned(),
                reason,
            });
        }
        Ok(match path {
            Cow::Borrowed(path) => Self::Static(path),
            Cow::Owned(path) => Self::Shared(path.into()),
        })
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Static(path) => path,
            Self::Shared(path) => path,
        }
    }
}

/// The error returned by [`HealthCheckLayer::try_with_path`](crate::HealthCheckLayer::try_with_path)
/// for a path that no request can match.
///
/// ```
/// use kamal_healthcheck::HealthCheckLayer;
///
/// let error = HealthCheckLayer::try_with_path("up").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid healthcheck path \"up\": it must start with `/`",
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPath {
    path: String,
    reason: &'static str,
}

impl fmt::Display for InvalidPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid healthcheck path {:?}: {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for InvalidPath {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_paths_a_request_line_can_carry() {
        for path in [
            "/up",
            "/",
            "/healthz",
            "/up/",
            "/_/health-check",
            "/%75p",
            "/a/b.c",
        ] {
            assert!(path_problem(path).is_none(), "{path} was rejected");
        }
    }

    #[test]
    fn rejects_paths_no_request_can_match() {
        for (path, expected) in [
            ("", "empty"),
            ("up", "start with `/`"),
            ("/up?x=1", "query string"),
            ("/up#x", "fragment"),
            ("/up here", "whitespace"),
            ("/up\n", "control"),
            ("/up\u{7f}", "control"),
            ("/héalth", "non-ASCII"),
            ("/up/.", "`.` or `..`"),
            ("/../up", "`.` or `..`"),
            ("/{id}", "route parameters"),
            ("/}", "route parameters"),
        ] {
            let reason = path_problem(path).unwrap_or_else(|| panic!("{path:?} was accepted"));
            assert!(reason.contains(expected), "{path:?}: {reason}");
        }
    }

    #[test]
    fn owned_paths_are_shared_and_static_paths_borrowed() {
        let path = HealthCheckPath::new(Cow::Owned("/ready".to_owned())).unwrap();
        assert!(matches!(path, HealthCheckPath::Shared(_)));
        assert_eq!(path.as_str(), "/ready");
        let path = HealthCheckPath::new(Cow::Borrowed("/up")).unwrap();
        assert!(matches!(path, HealthCheckPath::Static("/up")));
    }
}
