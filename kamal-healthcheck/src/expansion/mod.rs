//! What only the expansion of `#[kamal_healthcheck]` uses, re-exported under
//! `__private`, not public API: the route the attribute installs in a router
//! (`route`), the settings deploy.yml gives the container (`deployment`), the
//! wrapper it hands `axum::serve` (`serving`), the server that
//! stops on signals (`stopping`), and the questions about types it asks rustc
//! (`inspect`).

pub(crate) mod deployment;
pub(crate) mod inspect;
pub(crate) mod route;
pub(crate) mod serving;
pub(crate) mod stopping;
