// A check written `check = future`, not `check(name = future)`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[kamal_healthcheck(check = state.ping())]
fn not_a_list(state: Db) -> Router { let _ = state; Router::new() }

fn main() {
    let _ = not_a_list(Db);
}
