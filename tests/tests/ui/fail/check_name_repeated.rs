// Two checks with the same name.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[kamal_healthcheck(check(db = state.ping()), check(db = state.ping()))]
fn same_name(state: Db) -> Router { let _ = state; Router::new() }

fn main() {
    let _ = same_name(Db);
}
