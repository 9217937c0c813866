// The attribute on a `main` that returns `Result` and neither returns a router nor serves one.
use kamal_healthcheck::kamal_healthcheck;

async fn run() -> std::io::Result<()> {
    Ok(())
}

#[kamal_healthcheck]
#[tokio::main]
async fn main() -> Result<(), std::io::Error> {
    run().await
}
