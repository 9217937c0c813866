// Paths no request can match: each error sits on the literal.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "")]
fn empty() -> Router { Router::new() }

#[kamal_healthcheck(path = "up")]
fn relative() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up?full=1")]
fn query() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up#top")]
fn fragment() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up now")]
fn space() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up\t")]
fn control() -> Router { Router::new() }

#[kamal_healthcheck(path = "/health/../up")]
fn dot_dot() -> Router { Router::new() }

#[kamal_healthcheck(path = "/up/.")]
fn dot() -> Router { Router::new() }

#[kamal_healthcheck(path = "/{probe}")]
fn parameter() -> Router { Router::new() }

#[kamal_healthcheck(path = "/santé")]
fn non_ascii() -> Router { Router::new() }

#[kamal_healthcheck(path = "/:health")]
fn old_capture() -> Router { Router::new() }

#[kamal_healthcheck(path = "/*health")]
fn old_wildcard() -> Router { Router::new() }

#[kamal_healthcheck(path = 42)]
fn not_a_string() -> Router { Router::new() }

#[kamal_healthcheck(path = concat!("/", "up"))]
fn not_a_literal() -> Router { Router::new() }

fn main() {
    let _ = (empty(), relative(), query(), fragment(), space(), control(), dot_dot());
    let _ = (dot(), parameter(), non_ascii(), not_a_string(), not_a_literal());
    let _ = (old_capture(), old_wildcard());
}
