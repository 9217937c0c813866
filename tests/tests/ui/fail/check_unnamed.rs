// A check without a name, `check(future)`.
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

fn main() {
    let _ = unnamed(Db);
}
