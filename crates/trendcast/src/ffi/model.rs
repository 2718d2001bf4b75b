//! The model handle: open, inspect, predict, free.

use std::ffi::{CStr, CString, c_char};
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;

use super::bars::trendcast_bars;
use super::guard::{guard, non_null, slice, slice_mut};
use super::handles;
use super::status::trendcast_status;
use crate::error::{Error, Result};
use crate::model::{BackendKind, Device, Model, ModelKind, OpenOptions};

/// Backends, for trendcast_open_options.backend.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum trendcast_backend {
    /// ONNX Runtime when its library loads, tract otherwise.
    Auto = 0,
    /// ONNX Runtime only (an error if it cannot be loaded).
    Ort = 1,
    /// tract (pure Rust, CPU, always available).
    Tract = 2,
}

/// Model kinds, as trendcast_model_kind reports them.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum trendcast_kind {
    /// Down / flat / up probabilities per stock: use trendcast_direction.
    Direction = 0,
    /// One score per stock of a universe: use trendcast_rank.
    Ranking = 1,
}

/// Options for trendcast_model_open. Create with trendcast_open_options_default() and change the
/// fields you need: new fields are only ever appended, and `struct_size` tells the library which
/// fields your build of the header knows.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct trendcast_open_options {
    /// sizeof(trendcast_open_options) in the caller's build; set by trendcast_open_options_default().
    pub struct_size: u32,
    /// A trendcast_backend value. Default TRENDCAST_BACKEND_AUTO.
    pub backend: u32,
    /// -1 (default): CPU. >= 0: ask ONNX Runtime for the CUDA execution provider on this GPU; where
    /// CUDA is unavailable the model runs on the CPU and trendcast_model_fallback_reason says why.
    pub cuda_device: i32,
    /// Path of the ONNX Runtime library (libonnxruntime.so.1.31.x), or NULL: then the environment
    /// variable TRENDCAST_ORT_LIB, then a copy beside libtrendcast.so (make install ORT_LIB=...
    /// puts one there), then the system loader's libonnxruntime.so.1.
    /// Borrowed for the duration of trendcast_model_open.
    pub ort_library_path: *const c_char,
}

/// The default options: automatic backend, CPU, library found as described above.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_open_options_default() -> trendcast_open_options {
    trendcast_open_options {
        struct_size: std::mem::size_of::<trendcast_open_options>() as u32,
        backend: trendcast_backend::Auto as u32,
        cuda_device: -1,
        ort_library_path: std::ptr::null(),
    }
}

/// A loaded model (opaque). Immutable once opened: a `const trendcast_model*` may be used by many
/// threads at once.
pub struct trendcast_model {
    /// Shared with the universes made from this handle, which keep the model alive.
    pub(super) model: std::sync::Arc<Model>,
    /// Calls in flight on this handle (`handles`): a free waits for them.
    in_flight: AtomicUsize,
    name: CString,
    backend: CString,
    provider: CString,
    fallback: Option<CString>,
    manifest_json: CString,
}

pub(super) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).expect("NULs were replaced")
}

fn read_options(p: *const trendcast_open_options) -> Result<OpenOptions> {
    let Some(o) = (unsafe { p.as_ref() }) else {
        return Ok(OpenOptions::default());
    };
    // Fields past the caller's struct_size do not exist in its build: keep their defaults.
    let size = o.struct_size as usize;
    let has = |end: usize| size >= end;
    let mut out = OpenOptions::default();
    if size < std::mem::size_of::<u32>() * 2 {
        return Err(Error::InvalidArgument {
            what: format!("options.struct_size is {size}: create options with trendcast_open_options_default()"),
        });
    }
    out.backend = match o.backend {
        0 => BackendKind::Auto,
        1 => BackendKind::Ort,
        2 => BackendKind::Tract,
        b => {
            return Err(Error::InvalidArgument { what: format!("options.backend {b} is not a trendcast_backend") });
        }
    };
    if has(std::mem::offset_of!(trendcast_open_options, cuda_device) + 4) && o.cuda_device >= 0 {
        out.device = Device::Cuda(o.cuda_device as u32);
    }
    if has(std::mem::offset_of!(trendcast_open_options, ort_library_path) + std::mem::size_of::<*const c_char>())
        && !o.ort_library_path.is_null()
    {
        // SAFETY: a non-NULL path is a NUL-terminated string (the documented contract).
        let s = unsafe { CStr::from_ptr(o.ort_library_path) };
        let s = s.to_str().map_err(|_| Error::InvalidArgument { what: "options.ort_library_path is not UTF-8".into() })?;
        out.ort_library = Some(PathBuf::from(s));
    }
    Ok(out)
}

/// Opens the model bundle in directory `path` (manifest.json + the ONNX file it names), checks its
/// contract, and loads it on a backend.
///
/// - `path`: NUL-terminated UTF-8, borrowed for the call. Required.
/// - `options`: NULL for the defaults; borrowed for the call.
/// - `out_model`: receives the new handle on success (untouched otherwise). The caller owns it and
///   must release it with trendcast_model_free.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_open(
    path: *const c_char,
    options: *const trendcast_open_options,
    out_model: *mut *mut trendcast_model,
) -> trendcast_status {
    guard(|| {
        non_null(path, "path")?;
        if out_model.is_null() {
            return Err(Error::NullPointer { what: "out_model is NULL".into() });
        }
        // SAFETY: non-NULL and NUL-terminated by contract.
        let dir = unsafe { CStr::from_ptr(path) }.to_str().map_err(|_| Error::InvalidArgument { what: "path is not UTF-8".into() })?;
        let model = Model::open(dir, &read_options(options)?)?;
        let handle = Box::new(trendcast_model {
            name: c_string(&model.manifest().name),
            backend: c_string(model.backend().name()),
            provider: c_string(model.execution_provider()),
            fallback: model.fallback_reason().map(c_string),
            manifest_json: c_string(&serde_json::to_string(model.manifest()).expect("manifests serialise")),
            model: std::sync::Arc::new(model),
            in_flight: AtomicUsize::new(0),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out_model = handles::register(handle) };
        Ok(())
    })
}

/// Releases a model opened by trendcast_model_open. NULL, or a model already released, is
/// accepted and ignored. Calls in flight on the model on other threads finish first (this call
/// waits for them); calls made after it are refused with TRENDCAST_STATUS_INVALID_ARGUMENT. No
/// string the model returned may be used afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_free(model: *mut trendcast_model) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handles::release(model)));
}

impl handles::Handle for trendcast_model {
    fn in_flight(&self) -> &AtomicUsize {
        &self.in_flight
    }
}

/// Writes the model's kind (a trendcast_kind value) into `*out_kind`.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_kind(model: *const trendcast_model, out_kind: *mut u32) -> trendcast_status {
    guard(|| {
        let m = handles::lease(model, "model")?;
        non_null(out_kind, "out_kind")?;
        let kind = match m.model.kind() {
            ModelKind::Direction => trendcast_kind::Direction,
            ModelKind::Ranking => trendcast_kind::Ranking,
        };
        // SAFETY: checked non-NULL.
        unsafe { *out_kind = kind as u32 };
        Ok(())
    })
}

/// Writes into `*out_bars` how many trailing bars per stock a call needs at least (the window plus
/// the features' warm-up). Passing more is fine: only the trailing bars are read.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_min_bars(model: *const trendcast_model, out_bars: *mut usize) -> trendcast_status {
    guard(|| {
        let m = handles::lease(model, "model")?;
        non_null(out_bars, "out_bars")?;
        // SAFETY: checked non-NULL.
        unsafe { *out_bars = m.model.min_bars() };
        Ok(())
    })
}

/// A string owned by a live model, or NULL for a NULL or released model.
fn string_of(model: *const trendcast_model, field: impl Fn(&trendcast_model) -> &CString) -> *const c_char {
    handles::lease(model, "model").map_or(std::ptr::null(), |m| field(&m).as_ptr())
}

/// The model's name from its manifest.
/// Owned by the model and valid until trendcast_model_free; NULL if `model` is NULL or released.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_name(model: *const trendcast_model) -> *const c_char {
    string_of(model, |m| &m.name)
}

/// The backend in use: "ort" or "tract".
/// Owned by the model and valid until trendcast_model_free; NULL if `model` is NULL or released.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_backend(model: *const trendcast_model) -> *const c_char {
    string_of(model, |m| &m.backend)
}

/// The execution provider running the graph: "CPUExecutionProvider",
/// "CUDAExecutionProvider" or "tract-cpu".
/// Owned by the model and valid until trendcast_model_free; NULL if `model` is NULL or released.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_execution_provider(model: *const trendcast_model) -> *const c_char {
    string_of(model, |m| &m.provider)
}

/// The manifest (the model's contract) as JSON.
/// Owned by the model and valid until trendcast_model_free; NULL if `model` is NULL or released.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_manifest_json(model: *const trendcast_model) -> *const c_char {
    string_of(model, |m| &m.manifest_json)
}

/// Why the model is not running where it was asked to (ONNX Runtime or CUDA unavailable), or NULL
/// when it is. Owned by the model.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_model_fallback_reason(model: *const trendcast_model) -> *const c_char {
    // SAFETY: NULL or a live handle (contract).
    unsafe { model.as_ref() }.and_then(|m| m.fallback.as_ref()).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Direction probabilities for `n_stocks` stocks, each as of its last bar.
///
/// - `stocks`: `n_stocks` bar sets (see trendcast_bars), borrowed for the call.
/// - `out_probs`: caller-owned, `out_len` floats; must be exactly 3 * n_stocks. On success, stock i's
///   probabilities of down, flat and up are at 3i, 3i+1, 3i+2 and sum to 1. Untouched on failure.
///
/// Safe to call from many threads on the same model.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_direction(
    model: *const trendcast_model,
    stocks: *const trendcast_bars,
    n_stocks: usize,
    out_probs: *mut f32,
    out_len: usize,
) -> trendcast_status {
    guard(|| {
        let m = handles::lease(model, "model")?;
        let stocks = slice(stocks, n_stocks, "stocks")?;
        let out = slice_mut(out_probs, out_len, "out_probs")?;
        m.model.direction_into(stocks, out)
    })
}

/// Scores a universe as of the latest date among its stocks' bars, with a ranking model.
///
/// - `stocks`: `n_stocks` bar sets (see trendcast_bars), borrowed for the call; at least two (a
///   ranking orders stocks against each other: one stock is an invalid-argument error). Every bar
///   is validated. Stocks may start and end on different days; a stock without a bar on the
///   latest date gets a NaN score and is left out of the order, as does a stock whose first bar
///   is fewer trading days back than the model's inputs read (its window plus the short-term
///   relations' lookback: 76 for the shipped model, counting the latest date). Such a stock takes
///   no part in the other stocks' scores: they are those of the same call without it (at least two
///   stocks must remain).
/// - `sector_ids`, `sub_industry_ids`: `n_stocks` caller-chosen integer ids each (for example GICS
///   codes): stocks with equal ids share an industry node. Every sub-industry must lie in one sector.
/// - `out_scores`: caller-owned, `n_stocks` floats: stock i's score at i (higher is better).
/// - `out_order`: caller-owned, `n_stocks` values: the indices of the scored stocks, best first,
///   followed by `SIZE_MAX` for each unscored stock.
/// - `out_date`: receives the date scored, as YYYYMMDD. May be NULL.
///
/// All outputs are written only on success. Safe to call from many threads on the same model.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_rank(
    model: *const trendcast_model,
    stocks: *const trendcast_bars,
    sector_ids: *const i32,
    sub_industry_ids: *const i32,
    n_stocks: usize,
    out_scores: *mut f32,
    out_order: *mut usize,
    out_date: *mut i32,
) -> trendcast_status {
    guard(|| {
        let m = handles::lease(model, "model")?;
        for (p, name) in [
            (stocks.cast::<u8>(), "stocks"),
            (sector_ids.cast(), "sector_ids"),
            (sub_industry_ids.cast(), "sub_industry_ids"),
            (out_scores.cast_const().cast(), "out_scores"),
            (out_order.cast_const().cast(), "out_order"),
        ] {
            non_null(p, name)?;
        }
        if n_stocks == 0 {
            return Err(Error::Shape { what: "no stocks given".into() });
        }
        let (stocks, sectors, subs) = (
            slice(stocks, n_stocks, "stocks")?,
            slice(sector_ids, n_stocks, "sector_ids")?,
            slice(sub_industry_ids, n_stocks, "sub_industry_ids")?,
        );
        let ranking = crate::predict::rank_with_ids(&m.model, stocks, sectors, subs)?;
        write_ranking(&ranking, out_scores, out_order, out_date)
    })
}

/// Writes a ranking of n stocks as the C calls return it: the scores, the order best first then
/// SIZE_MAX per unscored stock, the date (if `out_date` is not NULL). The arrays hold n values.
pub(super) fn write_ranking(
    ranking: &crate::predict::Ranking,
    out_scores: *mut f32,
    out_order: *mut usize,
    out_date: *mut i32,
) -> Result<()> {
    let n = ranking.scores.len();
    let (scores, order) = (slice_mut(out_scores, n, "out_scores")?, slice_mut(out_order, n, "out_order")?);
    scores.copy_from_slice(&ranking.scores);
    order.fill(usize::MAX);
    order[..ranking.order.len()].copy_from_slice(&ranking.order);
    if !out_date.is_null() {
        // SAFETY: checked non-NULL.
        unsafe { *out_date = ranking.date.yyyymmdd() };
    }
    Ok(())
}
