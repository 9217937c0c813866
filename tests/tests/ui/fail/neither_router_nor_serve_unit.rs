// The attribute on a function that returns `()`: it neither returns a router nor serves one.
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn unit() -> () {}

fn main() {
    unit();
}
