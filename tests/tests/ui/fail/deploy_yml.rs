// Kamal's config/deploy.yml and the attribute disagree, or the file cannot be used.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/healthz.yml", path = "/up")]
fn other_path() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/healthz.yml", check(db = async { Ok::<(), String>(()) }), deadline = "3s")]
fn deadline_at_the_timeout() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/missing.yml")]
fn missing() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/erb.yml")]
fn erb() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/broken.yml")]
fn broken() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/roles.yml")]
fn roles_disagree() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/bad_path.yml")]
fn invalid_path() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/destinations.yml")]
fn destinations_disagree() -> Router { Router::new() }

fn main() {
    let _ = (other_path(), deadline_at_the_timeout(), missing(), erb(), broken(), roles_disagree());
    let _ = (invalid_path(), destinations_disagree());
}
