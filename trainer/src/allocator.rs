//! How long the trainer's malloc (jemalloc, linked unprefixed by the binary, so libtorch's
//! allocations are its too) keeps freed pages. The ranking trainings allocate and free tensors of
//! tens of MB at every step: kept, those pages are reused instead of faulted in again (1-epoch GAT
//! run of 48 days: 0.31 M page faults and 0.11 s/day kept, 15.0 M and 0.25 s/day with jemalloc's
//! default decay; benches/README.md, "Ranking training"). Kept for good they also pile up, in pieces
//! that later allocations do not fit (a walk-forward process reached 21 GB after ten runs; the
//! direction trainer 12 GB in three short epochs), so a ranking training returns them once an epoch.

use std::ffi::{CStr, CString, c_void};

use anyhow::{Result, bail};

/// Freed pages are kept for reuse, not returned over time, in the arenas that exist and those made
/// later. For the ranking commands, which return them at each epoch's end ([`return_freed_pages`]).
pub fn keep_freed_pages() -> Result<()> {
    for key in [c"arenas.dirty_decay_ms", c"arenas.muzzy_decay_ms"] {
        mallctl::<(), isize>(key, None, Some(-1))?;
    }
    let mut arenas = 0u32;
    mallctl::<u32, ()>(c"arenas.narenas", Some(&mut arenas), None)?;
    // Arenas not made yet refuse the setting; they take the default set above.
    for i in 0..arenas {
        for kind in ["dirty", "muzzy"] {
            let _ = mallctl::<(), isize>(&CString::new(format!("arena.{i}.{kind}_decay_ms"))?, None, Some(-1));
        }
    }
    Ok(())
}

/// Returns every arena's freed pages to the system now (the next step faults its working set in
/// once). A no-op where jemalloc refuses.
pub fn return_freed_pages() {
    // 4096: jemalloc's index for "every arena".
    let _ = mallctl::<(), ()>(c"arena.4096.purge", None, None);
}

/// One mallctl call: reads the key's value into `old` and/or writes `new`, each of the key's type.
fn mallctl<R, W>(name: &CStr, old: Option<&mut R>, new: Option<W>) -> Result<()> {
    let mut old_len = std::mem::size_of::<R>();
    let (old_ptr, old_len_ptr) = match old {
        Some(r) => (std::ptr::from_mut(r).cast::<c_void>(), &raw mut old_len),
        None => (std::ptr::null_mut(), std::ptr::null_mut()),
    };
    let mut new = new;
    let (new_ptr, new_len) = match new.as_mut() {
        Some(w) => (std::ptr::from_mut(w).cast::<c_void>(), std::mem::size_of::<W>()),
        None => (std::ptr::null_mut(), 0),
    };
    // SAFETY: `name` is NUL-terminated; each pointer is null or points to a live value of the size
    // passed beside it, of the type the key takes.
    let rc = unsafe { tikv_jemalloc_sys::mallctl(name.as_ptr(), old_ptr, old_len_ptr, new_ptr, new_len) };
    if rc != 0 { bail!("jemalloc refused {} (error {rc})", name.to_string_lossy()) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings take: new arenas keep freed pages, and a purge is accepted.
    #[test]
    fn freed_pages_are_kept_then_returned() {
        keep_freed_pages().unwrap();
        for key in [c"arenas.dirty_decay_ms", c"arenas.muzzy_decay_ms"] {
            let mut ms = 0isize;
            mallctl::<isize, ()>(key, Some(&mut ms), None).unwrap();
            assert_eq!(ms, -1, "{key:?}");
        }
        mallctl::<(), ()>(c"arena.4096.purge", None, None).unwrap();
    }
}
