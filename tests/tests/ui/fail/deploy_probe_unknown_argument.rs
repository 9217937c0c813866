// `deploy_probe!` with an argument other than `destination`.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!("deploy/destinations.yml", stage = "staging");
}
