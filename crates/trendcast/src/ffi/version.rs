//! Versions. The macros in the header and the functions agree (a test checks it); the ABI's major
//! version changes with any incompatible change.

use std::ffi::c_char;

/// Major version of the library and of its ABI.
pub const TRENDCAST_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const TRENDCAST_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const TRENDCAST_VERSION_PATCH: u32 = 0;
/// (major << 16) | (minor << 8) | patch.
pub const TRENDCAST_VERSION_NUMBER: u32 = 0x0000_0100;

static VERSION_C: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version as "major.minor.patch". Static storage: never freed, never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_version() -> *const c_char {
    VERSION_C.as_ptr().cast()
}

/// The library's version packed as TRENDCAST_VERSION_NUMBER is: compare the two to detect a
/// header/library mismatch at run time.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_version_number() -> u32 {
    let v = |s: &str| s.parse::<u32>().expect("Cargo version parts are numbers");
    (v(env!("CARGO_PKG_VERSION_MAJOR")) << 16) | (v(env!("CARGO_PKG_VERSION_MINOR")) << 8) | v(env!("CARGO_PKG_VERSION_PATCH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constants_match_the_crate_version() {
        assert_eq!(TRENDCAST_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(TRENDCAST_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(TRENDCAST_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
        assert_eq!(TRENDCAST_VERSION_NUMBER, (TRENDCAST_VERSION_MAJOR << 16) | (TRENDCAST_VERSION_MINOR << 8) | TRENDCAST_VERSION_PATCH);
        assert_eq!(trendcast_version_number(), TRENDCAST_VERSION_NUMBER);
        let s = unsafe { std::ffi::CStr::from_ptr(trendcast_version()) };
        assert_eq!(s.to_str().unwrap(), crate::VERSION);
    }
}
