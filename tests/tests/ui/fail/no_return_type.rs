// A function that returns nothing has no router to install the healthcheck in.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn app(router: &mut Router) {
    let _ = router;
}

fn main() {
    app(&mut Router::new());
}
