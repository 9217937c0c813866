// Mistakes in the readiness arguments, each on its own tokens.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[kamal_healthcheck(check(state.ping()))]
fn unnamed(state: Db) -> Router { let _ = state; Router::new() }

#[kamal_healthcheck(check = state.ping())]
fn not_a_list(state: Db) -> Router { let _ = state; Router::new() }

#[kamal_healthcheck(check(db = state.ping()), check(db = state.ping()))]
fn same_name(state: Db) -> Router { let _ = state; Router::new() }

#[kamal_healthcheck(deadline = "5s")]
fn at_the_proxy_timeout() -> Router { Router::new() }

#[kamal_healthcheck(deadline = "0ms")]
fn zero_deadline() -> Router { Router::new() }

#[kamal_healthcheck(cache_for = "1.5s")]
fn fractional() -> Router { Router::new() }

#[kamal_healthcheck(deadline = 2)]
fn not_a_string() -> Router { Router::new() }

#[kamal_healthcheck(error_details = "yes")]
fn not_a_bool() -> Router { Router::new() }

#[kamal_healthcheck(gate)]
fn no_gate() -> Router { Router::new() }

#[kamal_healthcheck(chek(db = state.ping()))]
fn misspelled(state: Db) -> Router { let _ = state; Router::new() }

#[kamal_healthcheck(check(db = state.ping()), deadline = "1s", deadline = "1500ms")]
fn deadline_twice(state: Db) -> Router { let _ = state; Router::new() }

#[kamal_healthcheck(gate = gate(), error_details = true, gate = gate(), error_details = false)]
fn gate_and_details_twice() -> Router { Router::new() }

#[kamal_healthcheck(cache_for = "1s", timeout = "5s", cache_for = "0s", timeout = "6s")]
fn cache_and_timeout_twice() -> Router { Router::new() }

fn main() {
    let _ = (unnamed(Db), not_a_list(Db), same_name(Db), at_the_proxy_timeout(), zero_deadline());
    let _ = (fractional(), not_a_string(), not_a_bool(), no_gate(), misspelled(Db));
    let _ = (deadline_twice(Db), gate_and_details_twice(), cache_and_timeout_twice());
}
