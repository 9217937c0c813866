//! `deploy_probe!("config/deploy.yml")`: kamal-proxy's probe with the path and
//! timeout deploy.yml sets, so that a test probes what the deploy will probe.

use proc_macro2::TokenStream;
use syn::LitStr;

/// The `Probe` expression for the deploy.yml named by `input`, or the error to
/// show on it.
pub(crate) fn expand(input: TokenStream) -> Result<TokenStream, syn::Error> {
    let file: LitStr = syn::parse2(input).map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected the path of Kamal's config file, relative to this crate's Cargo.toml: \
             `deploy_probe!(\"config/deploy.yml\")`",
        )
    })?;
    from_file(&file)
}

#[cfg(not(feature = "deploy-yml"))]
fn from_file(file: &LitStr) -> Result<TokenStream, syn::Error> {
    Err(syn::Error::new(
        file.span(),
        "`deploy_probe!` reads Kamal's config/deploy.yml at compile time, which needs the \
         `deploy-yml` feature: kamal-healthcheck = { version = \"0.1\", features = \
         [\"deploy-yml\"] }",
    ))
}

#[cfg(feature = "deploy-yml")]
fn from_file(file: &LitStr) -> Result<TokenStream, syn::Error> {
    let deploy = crate::deploy::read(file)?;
    if let Some(error) = crate::deploy::invalid_path(file, &deploy) {
        return Err(error);
    }
    let path = &deploy.path;
    let timeout = deploy.timeout.map(|timeout| {
        let millis = timeout.as_millis() as u64;
        quote::quote!(.timeout(::core::time::Duration::from_millis(#millis)))
    });
    // Rebuild when deploy.yml changes: rustc tracks the files it includes.
    let absolute = deploy.file.display().to_string();
    Ok(quote::quote!({
        const _: &[u8] = ::core::include_bytes!(#absolute);
        ::kamal_healthcheck::Probe::new().path(#path) #timeout
    }))
}
