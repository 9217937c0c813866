// A check outlives the call, so it can neither use `self` nor borrow an argument.
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

#[kamal_healthcheck(check(db = db.ping()))]
fn borrowed(db: &Db) -> Router {
    let _ = db;
    Router::new()
}

fn main() {
    let _ = (App { db: Db }.router(), borrowed(&Db));
}
