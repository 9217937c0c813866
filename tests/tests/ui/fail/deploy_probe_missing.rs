// `deploy_probe!` on a deploy.yml that does not exist.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!("deploy/missing.yml");
}
