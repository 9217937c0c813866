//! Serves one variant of the benchmark app (see the crate's `src/lib.rs`)
//! with `axum::serve` on 127.0.0.1, for load generators.
//!
//! ```text
//! cargo run --release -p kamal-healthcheck-perf --bin serve -- <variant> <port>
//! ```

use axum::ServiceExt;
use axum::extract::Request;
use kamal_healthcheck_perf::{self as apps, VARIANTS};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [variant, port] = args.as_slice() else {
        eprintln!("usage: serve <variant> <port>; the variants are {VARIANTS:?}");
        std::process::exit(2);
    };
    // One worker thread: the load generator has the machine's other core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port.parse().unwrap())).await?;
        match variant.as_str() {
            "bare" => axum::serve(listener, apps::bare()).await,
            "attribute" => axum::serve(listener, apps::annotated()).await,
            "layer" => {
                let app = ServiceExt::<Request>::into_make_service(apps::layered());
                axum::serve(listener, app).await
            }
            "checks" => {
                let app = ServiceExt::<Request>::into_make_service(apps::layered_with_checks());
                axum::serve(listener, app).await
            }
            "handwritten" => axum::serve(listener, apps::handwritten()).await,
            other => panic!("unknown variant {other}; the variants are {VARIANTS:?}"),
        }
    })
}
