// A method taking `&self`, returning a `Router` with state, through `let` bindings
// and a reassignment.
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

struct App {
    state: AppState,
}

impl App {
    #[kamal_healthcheck]
    fn router(&self) -> Router {
        let mut router = Router::new().route(
            "/",
            get(|State(state): State<AppState>| async move { state.greeting }),
        );
        router = router.route("/about", get(|| async { "about" }));
        let router = router.with_state(self.state.clone());
        router
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = App { state: AppState { greeting: "hi" } };
    let probe = http::Request::head("/up").body(Body::empty()).unwrap();
    let response = app.router().oneshot(probe).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], "2");
}
