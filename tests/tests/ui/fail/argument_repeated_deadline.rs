// `deadline` given twice.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[kamal_healthcheck(check(db = state.ping()), deadline = "1s", deadline = "1500ms")]
fn deadline_twice(state: Db) -> Router { let _ = state; Router::new() }

fn main() {
    let _ = deadline_twice(Db);
}
