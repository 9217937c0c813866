//! Compile-time behaviour of `#[kamal_healthcheck]`: every supported function shape
//! compiles and answers the probe (`pass/`, each case runs), and every mistake is
//! one spanned error (`fail/`, with its `.stderr`).
//!
//! The `deploy = ".."` cases name their deploy.yml relative to the crate being
//! compiled, which for trybuild is its project under the target directory
//! (`target/tests/trybuild/kamal-healthcheck-tests`): four levels up is the
//! workspace, where the fixtures are, read in place.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
