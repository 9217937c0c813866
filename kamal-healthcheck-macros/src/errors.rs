//! The attribute's errors: each one a [`Message`] in rustc's shape (a short
//! headline that names the fault, then `= note:` with what it would do at
//! deploy time and `= help:` with the fix), placed on the tokens at fault, and
//! [`Errors`], which collects them so that every mistake is reported at once.

use std::fmt;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// One diagnostic, before it is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    headline: String,
    note: String,
    help: String,
}

impl Message {
    /// `headline` names the fault in a few words; `note` says what it would do;
    /// `help` says what to write instead.
    pub(crate) fn new(
        headline: impl Into<String>,
        note: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            headline: headline.into(),
            note: note.into(),
            help: help.into(),
        }
    }

    /// The same message, its note naming the file it is about (the
    /// headline names the fault; the error stands on the file's literal).
    #[cfg(feature = "deploy-yml")]
    pub(crate) fn in_file(mut self, name: &str) -> Self {
        self.note = format!("in {name}: {}", self.note);
        self
    }

    /// The error, at `span`.
    pub(crate) fn at(&self, span: Span) -> syn::Error {
        syn::Error::new(span, self)
    }

    /// The error, on all of `tokens`.
    pub(crate) fn on(&self, tokens: impl ToTokens) -> syn::Error {
        syn::Error::new_spanned(tokens, self)
    }
}

/// rustc renders a message's later lines under its headline, as it does its
/// own notes.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n= note: {}\n= help: {}",
            self.headline, self.note, self.help
        )
    }
}

/// Several errors, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    #[cfg(test)]
    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }

    /// `item` (the function as written, or its stand-in), followed by the
    /// errors: the user sees these errors only, not a cascade about a
    /// function that was not expanded.
    pub(crate) fn emit(self, mut item: TokenStream) -> TokenStream {
        if let Some(errors) = self.0 {
            item.extend(errors.to_compile_error());
        }
        item
    }
}
