//! `deploy_probe!("config/deploy.yml")`: kamal-proxy's probe with the path and
//! timeout deploy.yml sets, so that a test probes what the deploy will probe.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::errors::Message;

/// The `Probe` expression for the deploy.yml named by `input`, or the error to
/// show on it.
pub(crate) fn expand(input: TokenStream) -> Result<TokenStream, syn::Error> {
    let file: LitStr = syn::parse2(input).map_err(|error| {
        Message::new(
            "expected the path of Kamal's config file",
            "it is read at compile time, relative to this crate's Cargo.toml",
            "write `deploy_probe!(\"config/deploy.yml\")`",
        )
        .at(error.span())
    })?;
    let deploy = crate::deploy::read(&file, "`deploy_probe!`")?;
    let path = &deploy.path;
    let timeout = deploy.timeout.map(|timeout| {
        let millis = timeout.as_millis() as u64;
        quote::quote!(.timeout(::core::time::Duration::from_millis(#millis)))
    });
    let tracking = deploy.tracking();
    Ok(quote::quote!({
        #tracking
        ::kamal_healthcheck::Probe::new().path(#path) #timeout
    }))
}
