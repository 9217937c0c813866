// `deploy_probe!` with a destination that has no file.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!("deploy/destinations.yml", destination = "qa");
}
