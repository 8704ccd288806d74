//! The fsspec-style facade over any [`Store`].

pub mod store;

pub use store::{Capabilities, DeleteFailure, GetResult, Store};
