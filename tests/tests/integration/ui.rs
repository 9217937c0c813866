//! Compile-time behaviour of `#[kamal_healthcheck]`: every supported function shape
//! compiles and answers the probe (`pass/`, each case runs), and every mistake is
//! one spanned error (`fail/`, with its `.stderr`).
//!
//! The `deploy = "deploy/.."` cases name their deploy.yml relative to the crate
//! being compiled, which for trybuild is its project under cargo's target
//! folder, wherever that is (`CARGO_TARGET_DIR` may put it outside the
//! workspace): `deploy` there is a link to `tests/ui/deploy`, so the fixtures
//! are read in place.

use std::path::Path;

/// Links `deploy` in trybuild's project folder to the fixtures.
fn link_deploy_fixtures() {
    // `CARGO_TARGET_TMPDIR` is `<target>/tmp`; trybuild's project is
    // `<target>/tests/trybuild/<crate>`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target folder");
    let project = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&project).expect("trybuild's project folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/deploy");
    let link = project.join("deploy");
    if std::fs::read_link(&link).ok().as_deref() == Some(fixtures.as_path()) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_dir_all(&link);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&fixtures, &link).expect("a link to the deploy.yml fixtures");
    #[cfg(windows)]
    std::os::windows::fs::symlink_dir(&fixtures, &link).expect("a link to the deploy.yml fixtures");
}

#[test]
fn ui() {
    link_deploy_fixtures();
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
