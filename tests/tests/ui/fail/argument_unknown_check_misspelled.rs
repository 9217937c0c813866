// An unknown argument, `chek` for `check`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[kamal_healthcheck(chek(db = state.ping()))]
fn misspelled(state: Db) -> Router { let _ = state; Router::new() }

fn main() {
    let _ = misspelled(Db);
}
