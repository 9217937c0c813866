//! Compile-time behaviour of `#[kamal_healthcheck]`: every supported function shape
//! compiles and answers the probe (`pass/`, each case runs), and every mistake is
//! one spanned error (`fail/`, with its `.stderr`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
