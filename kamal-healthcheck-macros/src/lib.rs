//! The `#[kamal_healthcheck]` attribute and `deploy_probe!`; use them through
//! the `kamal-healthcheck` crate, which re-exports and documents them.
//!
//! An attribute goes one way through the crate: its arguments are parsed
//! (`args`), the annotated item is read as a function (`function`) and its body
//! into a model of the routers it returns or serves (`model`, which finds
//! `serve` calls with `serve`), every rule runs over what was read and gives a
//! plan or the errors (`check`, which reads deploy.yml with `deploy`), and the
//! function is written anew from the plan (`expand`). Errors are collected and
//! shaped as rustc's in `errors`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod check;
mod deploy;
mod errors;
mod expand;
mod function;
mod model;
// The runtime crate's file (a symlink): the rules and defaults both apply.
mod probe;
mod rules;
mod serve;
mod syntax;

use proc_macro2::TokenStream;

/// Installs kamal-proxy's healthcheck ahead of everything the annotated
/// function adds. See the `kamal-healthcheck` crate.
#[proc_macro_attribute]
pub fn kamal_healthcheck(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    attribute(args.into(), item.into()).into()
}

/// kamal-proxy's probe as config/deploy.yml sets it: a `kamal_healthcheck::probe::Probe`
/// of its healthcheck path and timeout, read at compile time. See the
/// `kamal-healthcheck` crate.
#[proc_macro]
pub fn deploy_probe(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    match probe::expand(input.into()) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
    .into()
}

/// The attribute on `proc_macro2` tokens: parse, read, check, expand. On any
/// mistake it returns the function as written with the errors beside it, so
/// callers see those errors only.
fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = errors::Errors::default();
    let args = args::parse(args, &mut errors);
    let function = match function::read(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.emit(item);
        }
    };
    let model = model::Model::read(&function.item.block);
    match check::plan(args, &function, &model, &mut errors) {
        Some(plan) if errors.is_empty() => expand::expand(&function, &plan, &model.serve),
        _ => errors.emit(item),
    }
}

#[cfg(test)]
mod tests;
