// `deploy_probe!` on a deploy.yml that cannot be used, or without a file name.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!("deploy/missing.yml");
    let _ = deploy_probe!("deploy/bad_path.yml");
    let _ = deploy_probe!("deploy/erb.yml");
    let _ = deploy_probe!(config / deploy.yml);
    let _ = deploy_probe!("deploy/destinations.yml", destination = "qa");
    let _ = deploy_probe!("deploy/destinations.yml", stage = "staging");
}
