//! `deploy_probe!("config/deploy.yml")`: kamal-proxy's probe with the path and
//! timeout deploy.yml sets, so that a test probes what the deploy will probe.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::errors::Message;

/// The `Probe` expression for the deploy.yml named by `input`, or the error to
/// show on it.
pub(crate) fn expand(input: TokenStream) -> Result<TokenStream, syn::Error> {
    let (file, destination) = syn::parse::Parser::parse2(arguments, input)?;
    let which = match &destination {
        Some(destination) => crate::deploy::Which::Destination(destination),
        None => crate::deploy::Which::Base,
    };
    let deploy = crate::deploy::read(&file, "`deploy_probe!`", which)?;
    let path = &deploy.path;
    let timeout = deploy.timeout.map(|timeout| {
        let millis = timeout.as_millis() as u64;
        quote::quote!(.timeout(::core::time::Duration::from_millis(#millis)))
    });
    let tracking = crate::expand::tracking(&deploy.files);
    Ok(quote::quote!({
        #tracking
        ::kamal_healthcheck::Probe::new().path(#path) #timeout
    }))
}

/// `"config/deploy.yml"`, then optionally `, destination = "staging"`.
fn arguments(input: syn::parse::ParseStream<'_>) -> syn::Result<(LitStr, Option<LitStr>)> {
    let usage = |span| {
        Message::new(
            "expected the path of Kamal's config file",
            "it is read at compile time, relative to this crate's Cargo.toml",
            "write `deploy_probe!(\"config/deploy.yml\")`, or with a destination: \
             `deploy_probe!(\"config/deploy.yml\", destination = \"staging\")`",
        )
        .at(span)
    };
    let file: LitStr = input.parse().map_err(|error| usage(error.span()))?;
    if input.is_empty() {
        return Ok((file, None));
    }
    input
        .parse::<syn::Token![,]>()
        .map_err(|error| usage(error.span()))?;
    let key: syn::Ident = input.parse().map_err(|error| usage(error.span()))?;
    if key != "destination" {
        return Err(usage(key.span()));
    }
    input
        .parse::<syn::Token![=]>()
        .map_err(|error| usage(error.span()))?;
    let destination: LitStr = input.parse().map_err(|error| usage(error.span()))?;
    if !input.is_empty() {
        return Err(usage(input.span()));
    }
    Ok((file, Some(destination)))
}
