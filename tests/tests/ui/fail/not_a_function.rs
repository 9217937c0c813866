// The attribute goes on a function.
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
struct App {
    port: u16,
}

fn main() {
    let _ = App { port: 80 }.port;
}
