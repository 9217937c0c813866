// `deploy_probe!` given a file name that is not a string literal.
use kamal_healthcheck::deploy_probe;

fn main() {
    let _ = deploy_probe!(config / deploy.yml);
}
