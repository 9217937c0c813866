// A function that neither returns a router nor serves one, whatever it
// returns: one error each, never one about the expansion.
use kamal_healthcheck::kamal_healthcheck;

async fn run() -> std::io::Result<()> {
    Ok(())
}

#[kamal_healthcheck]
#[tokio::main]
async fn main() -> Result<(), std::io::Error> {
    run().await
}

#[kamal_healthcheck]
fn unit() -> () {}

#[kamal_healthcheck]
fn optional() -> Option<()> {
    None
}
