// A check that borrows an argument taken by reference, which it cannot outlive.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[kamal_healthcheck(check(db = db.ping()))]
fn borrowed(db: &Db) -> Router {
    let _ = db;
    Router::new()
}

fn main() {
    let _ = borrowed(&Db);
}
