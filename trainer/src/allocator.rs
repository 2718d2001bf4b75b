//! How long the trainer's malloc (jemalloc, linked unprefixed by the binary, so libtorch's
//! allocations are its too) keeps freed pages. The ranking trainings allocate and free tensors of
//! tens of MB at every step: kept, those pages are reused instead of faulted in again (1-epoch GAT
//! run of 48 days: 0.31 M page faults and 0.11 s/day kept, 15.0 M and 0.25 s/day with jemalloc's
//! default decay; benches/README.md, "Ranking training"). Kept for good they also pile up, in pieces
//! that later allocations do not fit (a walk-forward process reached 21 GB after ten runs; the
//! direction trainer 12 GB in three short epochs), so a ranking training returns them once an epoch.

use std::ffi::{CString, c_void};

use anyhow::{Result, bail};

/// jemalloc's index for "every arena".
const ALL_ARENAS: u32 = 4096;

/// Freed pages are kept for reuse, not returned over time, in the arenas that exist and those made
/// later. For the ranking commands, which return them at each epoch's end ([`return_freed_pages`]).
pub fn keep_freed_pages() -> Result<()> {
    for key in ["arenas.dirty_decay_ms", "arenas.muzzy_decay_ms"] {
        write_ssize(key, -1)?;
    }
    let mut arenas: u32 = 0;
    let mut len = std::mem::size_of::<u32>();
    let key = CString::new("arenas.narenas")?;
    // SAFETY: reads an unsigned into a buffer of its size.
    let rc = unsafe { tikv_jemalloc_sys::mallctl(key.as_ptr(), (&raw mut arenas).cast(), &raw mut len, std::ptr::null_mut(), 0) };
    if rc != 0 {
        bail!("jemalloc: no arenas.narenas (error {rc})");
    }
    // Arenas not made yet refuse the setting; they take the default set above.
    for i in 0..arenas {
        let _ = write_ssize(&format!("arena.{i}.dirty_decay_ms"), -1).and_then(|()| write_ssize(&format!("arena.{i}.muzzy_decay_ms"), -1));
    }
    Ok(())
}

/// Returns every arena's freed pages to the system now (the next step faults its working set in
/// once). A no-op where jemalloc refuses.
pub fn return_freed_pages() {
    if let Ok(key) = CString::new(format!("arena.{ALL_ARENAS}.purge")) {
        // SAFETY: a mallctl that takes and gives no value.
        let _ = unsafe { tikv_jemalloc_sys::mallctl(key.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut(), 0) };
    }
}

fn write_ssize(name: &str, mut value: isize) -> Result<()> {
    let key = CString::new(name)?;
    // SAFETY: the key is a NUL-terminated mallctl name whose value is an ssize_t, as given.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            key.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            (&raw mut value).cast::<c_void>(),
            std::mem::size_of::<isize>(),
        )
    };
    if rc != 0 { bail!("jemalloc refused {name} = {value} (error {rc})") } else { Ok(()) }
}
