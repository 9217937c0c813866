// Unknown, repeated and mistyped arguments, each reported on its own tokens.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(pth = "/up")]
fn misspelled() -> Router { Router::new() }

#[kamal_healthcheck(timeout = 5)]
fn unknown() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up", path = "/healthz")]
fn repeated() -> Router { Router::new() }

#[kamal_healthcheck("/healthz")]
fn positional() -> Router { Router::new() }

#[kamal_healthcheck(path("/healthz"))]
fn called() -> Router { Router::new() }

#[kamal_healthcheck(path)]
fn bare() -> Router { Router::new() }

#[kamal_healthcheck(crate = "not a path")]
fn bad_crate() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up";)]
fn unparsable() -> Router { Router::new() }

fn main() {
    let _ = (misspelled(), unknown(), repeated(), positional(), called(), bare());
    let _ = (bad_crate(), unparsable());
}
