// `deploy_probe!` on a deploy.yml whose healthcheck path lacks its leading `/`.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!("deploy/bad_path.yml");
}
