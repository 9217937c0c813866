//! The `#[kamal_healthcheck]` attribute; use it through the `kamal-healthcheck` crate,
//! which re-exports it and documents it.
//!
//! An attribute goes through four stages, one module each: its arguments are
//! parsed ([`args`]), the annotated item is read as a function ([`function`]), the
//! function body is read into a model of the routers it returns ([`model`]), every
//! check runs over that model ([`checks`]), and the function is written anew with
//! the healthcheck installed ([`expand`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod checks;
mod expand;
mod function;
mod model;
// The runtime crate's file (a symlink), so both crates accept the same paths.
mod path_rules;
mod readiness;

use proc_macro2::TokenStream;

/// Installs kamal-proxy's healthcheck in the axum `Router` the function returns,
/// ahead of everything the function added to it. See the `kamal-healthcheck` crate.
#[proc_macro_attribute]
pub fn kamal_healthcheck(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    attribute(args.into(), item.into()).into()
}

/// The attribute on `proc_macro2` tokens. On any mistake it returns the function
/// as written with the errors beside it, so callers see those errors only.
fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = args::Errors::default();
    let (args, parsed) = args::parse(args);
    errors.extend(parsed);
    let function = match function::read(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.with(item);
        }
    };
    let model = model::Model::read(&function.item.block);
    let path = args.path();
    let plan = match checks::check(&model, &path, args.path.is_some()) {
        Ok(plan) => plan,
        Err(error) => {
            errors.push(error);
            return errors.with(item);
        }
    };
    let readiness = &args.readiness;
    if !plan.install && !readiness.is_empty() {
        errors.push(readiness.error(
            "the attribute's readiness checks answer on the route it installs, but a hand-placed \
             `HealthCheckLayer` answers the probe first and would never run them; remove that \
             layer, or give it the checks (`HealthCheckLayer::new().check(..)`) instead",
        ));
    }
    let route = if readiness.is_empty() {
        Ok(None)
    } else {
        readiness
            .layer(&args.krate(), &readiness::inputs(&function.item.sig))
            .map(Some)
    };
    match route {
        Ok(_) if !errors.is_empty() => errors.with(item),
        Ok(_) if !plan.install => item,
        Ok(checked) => expand::expand(&function, &path, &args.krate(), checked),
        Err(error) => {
            errors.push(error);
            errors.with(item)
        }
    }
}

#[cfg(test)]
mod tests;
