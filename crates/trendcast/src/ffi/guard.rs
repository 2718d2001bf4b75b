//! The panic boundary and the per-thread last-error message.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::status::trendcast_status;
use crate::error::{Error, Result};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(msg: String) {
    let c = CString::new(msg.replace('\0', " ")).expect("NULs were replaced");
    LAST_ERROR.with_borrow_mut(|e| *e = c);
}

/// Runs an entry point's body: an error becomes its status code and the thread's last error, a
/// panic becomes TRENDCAST_STATUS_PANIC. Nothing unwinds into C.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> trendcast_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_last_error(String::new());
            trendcast_status::Ok
        }
        Ok(Err(e)) => {
            let status = trendcast_status::from(&e);
            set_last_error(e.to_string());
            status
        }
        Err(p) => {
            set_last_error(format!("internal error (panic): {}", crate::model::backend::panic_message(p)));
            trendcast_status::Panic
        }
    }
}

/// A caller's array of `len` values, borrowed for the call; NULL is a NullPointer error naming the
/// argument. Every array an entry point reads goes through here or [`slice_mut`].
pub(crate) fn slice<'a, T>(p: *const T, len: usize, name: &str) -> Result<&'a [T]> {
    non_null(p, name)?;
    // SAFETY: the C contract: a non-NULL array holds `len` values and outlives the call.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// As [`slice`], where an empty array may be NULL (a stock's bar arrays of length 0).
pub(crate) fn slice_or_empty<'a, T>(p: *const T, len: usize, name: &str) -> Result<&'a [T]> {
    if len == 0 { Ok(&[]) } else { slice(p, len, name) }
}

/// A caller's output array of `len` values, borrowed for the call; NULL is a NullPointer error.
pub(crate) fn slice_mut<'a, T>(p: *mut T, len: usize, name: &str) -> Result<&'a mut [T]> {
    non_null(p, name)?;
    // SAFETY: the C contract: a non-NULL output array holds `len` values, is not aliased during
    // the call and outlives it.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// A required pointer, or a NullPointer error naming the argument.
pub(crate) fn non_null<'a, T>(p: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: the caller of the C function promises that a non-NULL pointer is valid for the call.
    unsafe { p.as_ref() }.ok_or_else(|| Error::NullPointer { what: format!("{name} is NULL") })
}

/// The message of the last failed call on this thread ("" after a success).
///
/// Ownership: the string belongs to the library and stays valid until the next trendcast call on
/// the same thread. Copy it if you need it longer. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_last_error() -> *const c_char {
    LAST_ERROR.with_borrow(|e| e.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        // SAFETY: the library's own NUL-terminated string, read before the next call.
        unsafe { std::ffi::CStr::from_ptr(trendcast_last_error()) }.to_string_lossy().into_owned()
    }

    /// A panic inside an entry point's body becomes TRENDCAST_STATUS_PANIC with its message, an
    /// error its own status and message, and a success clears the message: nothing unwinds into C.
    #[test]
    fn panics_and_errors_become_statuses_and_messages() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {})); // the panic below is expected
        let status = guard(|| panic!("index {} out of range", 7));
        std::panic::set_hook(hook);
        assert_eq!(status, trendcast_status::Panic);
        assert_eq!(last_error(), "internal error (panic): index 7 out of range");

        assert_eq!(guard(|| Err(Error::shape("3 values for 2 stocks"))), trendcast_status::Shape);
        assert!(last_error().contains("3 values for 2 stocks"), "{}", last_error());

        assert_eq!(guard(|| Ok(())), trendcast_status::Ok);
        assert_eq!(last_error(), "");
    }
}
