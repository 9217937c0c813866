// `deploy_probe!` on a deploy.yml whose healthcheck path is ERB.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!("deploy/erb.yml");
}
