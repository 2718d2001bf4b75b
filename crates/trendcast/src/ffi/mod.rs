//! The C ABI (`include/trendcast.h`, generated from this module by cbindgen). It translates and
//! guards; the logic lives in the modules it calls. Conventions (docs/specs/c-abi.md): one
//! `trendcast_` prefix, opaque handles created and freed in pairs, a status code from every fallible
//! call with the message in `trendcast_last_error()`, no panic across the boundary, plain arrays.
#![allow(non_camel_case_types)]
// C callers cannot see `unsafe`: every entry point takes raw pointers and checks them (NULL is an
// error); what they must point to is the documented contract in the header.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod backtest;
mod bars;
mod features;
mod guard;
mod handles;
mod model;
mod relations;
mod status;
mod universe;
mod version;

pub use backtest::*;
pub use bars::*;
pub use features::*;
pub use guard::trendcast_last_error;
pub use model::*;
pub use relations::*;
pub use status::trendcast_status;
pub use universe::*;
pub use version::*;

#[cfg(test)]
mod tests {
    /// build.rs generates the header from this module; the repository's copy must be that one.
    #[test]
    fn checked_in_header_is_the_generated_one() {
        let generated = std::fs::read_to_string(env!("TRENDCAST_GENERATED_HEADER")).unwrap();
        let checked_in = include_str!("../../../../include/trendcast.h");
        assert!(generated == checked_in, "include/trendcast.h is stale: run scripts/update-header.sh and commit it");
    }
}
