//! Live handles. Every model and universe handle is registered while it exists, and each call
//! holds a lease on its handle for as long as it runs, so that:
//! - freeing a handle while calls on it are in flight waits for them (as the Python binding's
//!   close() does) instead of freeing memory they still read;
//! - a call on a handle that was freed (or never opened) is refused by name instead of reading
//!   freed memory, and a second free does nothing.
//!
//! A call costs one uncontended read lock, one hash lookup and two atomic counts: nothing is
//! allocated. An address freed and then reused by a new handle is that new handle: a call with the
//! stale pointer then reaches it (the caller's bug, but not a crash).

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, RwLock};

use crate::error::{Error, Result};

/// The addresses of the live handles.
static LIVE: LazyLock<RwLock<HashSet<usize>>> = LazyLock::new(|| RwLock::new(HashSet::new()));

/// A handle type: its count of calls in flight.
pub(crate) trait Handle {
    fn in_flight(&self) -> &AtomicUsize;
}

/// Registers a new handle and gives its pointer to the caller.
pub(crate) fn register<T: Handle>(handle: Box<T>) -> *mut T {
    let p = Box::into_raw(handle);
    LIVE.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(p as usize);
    p
}

/// A call's hold on a live handle; released on drop.
pub(crate) struct Lease<'a, T: Handle>(&'a T);

impl<T: Handle> Deref for Lease<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
    }
}

impl<T: Handle> Drop for Lease<'_, T> {
    fn drop(&mut self) {
        self.0.in_flight().fetch_sub(1, Ordering::Release);
    }
}

/// The handle `p` (named `name` in errors) for the length of a call: NULL, a freed handle or a
/// pointer this library did not give out is an error.
pub(crate) fn lease<'a, T: Handle>(p: *const T, name: &str) -> Result<Lease<'a, T>> {
    if p.is_null() {
        return Err(Error::NullPointer { what: format!("{name} is NULL") });
    }
    let live = LIVE.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !live.contains(&(p as usize)) {
        return Err(Error::InvalidArgument { what: format!("{name} is not a live handle: it was freed, or never opened") });
    }
    // SAFETY: registered, so not yet released; the count taken under the lock keeps a release
    // that starts after this from freeing it until the lease is dropped.
    let handle = unsafe { &*p };
    handle.in_flight().fetch_add(1, Ordering::Acquire);
    Ok(Lease(handle))
}

/// Unregisters `p` (new calls on it are refused from now), waits for the calls in flight on it,
/// then frees it. NULL, or a handle already released, is ignored.
pub(crate) fn release<T: Handle>(p: *mut T) {
    if p.is_null() || !LIVE.write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&(p as usize)) {
        return;
    }
    // SAFETY: it was registered until now, and no new lease can be taken on it.
    let handle = unsafe { &*p };
    while handle.in_flight().load(Ordering::Acquire) > 0 {
        std::thread::sleep(std::time::Duration::from_micros(50));
    }
    // SAFETY: from Box::into_raw in `register`, removed from the registry once, no lease left.
    drop(unsafe { Box::from_raw(p) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    struct Probe {
        calls: AtomicUsize,
        dropped: Arc<AtomicBool>,
    }

    impl Handle for Probe {
        fn in_flight(&self) -> &AtomicUsize {
            &self.calls
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    /// A release waits for the lease in flight; calls after it and a second release are refused
    /// or ignored by name, never read freed memory.
    #[test]
    fn a_release_waits_for_calls_in_flight_and_later_calls_are_refused() {
        let dropped = Arc::new(AtomicBool::new(false));
        let p = register(Box::new(Probe { calls: AtomicUsize::new(0), dropped: dropped.clone() }));
        let addr = p as usize;
        let lease1 = lease(p as *const Probe, "probe").unwrap();
        let releaser = std::thread::spawn(move || release(addr as *mut Probe));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!dropped.load(Ordering::SeqCst), "freed while a call was in flight");
        let e = lease(p as *const Probe, "probe").err().unwrap();
        assert!(matches!(&e, Error::InvalidArgument { what } if what.contains("not a live handle")), "{e}");
        drop(lease1);
        releaser.join().unwrap();
        assert!(dropped.load(Ordering::SeqCst));
        release(p); // a second free: nothing happens
        assert!(matches!(lease(std::ptr::null::<Probe>(), "probe"), Err(Error::NullPointer { .. })));
    }
}
