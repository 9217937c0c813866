//! Compile-time behaviour of `#[kamal_healthcheck]`: every supported function shape
//! compiles and answers the probe (`pass/`, each case runs), and every mistake is
//! one spanned error (`fail/`, with its `.stderr`).

/// The `deploy = "..."` cases read their deploy.yml relative to the crate being
/// compiled, which for trybuild is its project under the target directory: the
/// fixtures are copied there first.
fn place_deploy_fixtures() {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let project = target.join("tests/trybuild/kamal-healthcheck-tests/deploy");
    std::fs::create_dir_all(&project).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/deploy");
    for fixture in std::fs::read_dir(fixtures).unwrap() {
        let fixture = fixture.unwrap().path();
        std::fs::copy(&fixture, project.join(fixture.file_name().unwrap())).unwrap();
    }
}

#[test]
fn ui() {
    place_deploy_fixtures();
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
