// The attribute on a function that returns `Option<()>`: it neither returns a router nor serves one.
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn optional() -> Option<()> {
    None
}

fn main() {
    let _ = optional();
}
