// A check that uses `self`, which it cannot outlive.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[derive(Clone)]
struct Db;
impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

struct App {
    db: Db,
}

impl App {
    #[kamal_healthcheck(check(db = self.db.ping()))]
    fn router(&self) -> Router {
        Router::new()
    }
}

fn main() {
    let _ = App { db: Db }.router();
}
