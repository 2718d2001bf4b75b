//! The 13 direction features of one stock's bars, for research from C and Python: the numbers the
//! training pipeline and the direction call compute (one implementation, `features`).

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use super::bars::trendcast_bars;
use super::guard::{guard, non_null, slice_mut};
use super::status::trendcast_status;
use crate::features::{FEATURE_NAMES, N_FEATURES, compute_into};

/// Features per bar in trendcast_features' output.
pub const TRENDCAST_N_FEATURES: usize = 13;
// A literal for the header; the library's count, checked at compile time.
const _: () = assert!(TRENDCAST_N_FEATURES == N_FEATURES);

/// The name of feature `k` in model-input order ("daily_return", "log_return", ...,
/// "momentum_10"), or NULL when `k` >= TRENDCAST_N_FEATURES. Static storage: never freed.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_feature_name(k: usize) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let names = NAMES.get_or_init(|| FEATURE_NAMES.iter().map(|n| CString::new(*n).expect("no NUL in a name")).collect());
    names.get(k).map_or(std::ptr::null(), |n| n.as_ptr())
}

/// The 13 direction features of every bar of one stock, as the model and its training computed
/// them: bar t's feature k at `out[t * TRENDCAST_N_FEATURES + k]` (names from
/// trendcast_feature_name). A feature that needs more bars than come before t is NaN (the first 20
/// bars have some), as is one undefined by the data (a volume change after a zero volume).
///
/// - `stock`: the bars, borrowed for the call; all of them are validated (finite, prices > 0,
///   high >= low, volume >= 0, dates strictly increasing) and none may be missing (`len` >= 1).
/// - `out`: caller-owned, `out_len` doubles, at least 13 * `stock->len`. Untouched on failure.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_features(stock: *const trendcast_bars, out: *mut f64, out_len: usize) -> trendcast_status {
    guard(|| {
        let stock = non_null(stock, "stock")?;
        let out = slice_mut(out, out_len, "out")?;
        compute_into(stock, out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::synthetic::{SyntheticSpec, generate};
    use crate::features::compute;
    use crate::ffi::trendcast_last_error;

    fn last_error() -> String {
        // SAFETY: the library's own NUL-terminated string, read before the next call.
        unsafe { std::ffi::CStr::from_ptr(trendcast_last_error()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn names_are_the_thirteen_then_null() {
        for (k, want) in FEATURE_NAMES.iter().enumerate() {
            // SAFETY: a static NUL-terminated name.
            assert_eq!(unsafe { std::ffi::CStr::from_ptr(trendcast_feature_name(k)) }.to_str().unwrap(), *want);
        }
        assert!(trendcast_feature_name(N_FEATURES).is_null());
    }

    #[test]
    fn features_are_those_of_compute_bit_for_bit_and_a_failed_call_writes_nothing() {
        let u = generate(&SyntheticSpec {
            sectors: 1,
            sub_industries_per_sector: 1,
            stocks_per_sub_industry: 1,
            days: 60,
            ..Default::default()
        });
        let s = &u.series[0];
        let dates: Vec<i32> = s.dates.iter().map(|d| d.yyyymmdd()).collect();
        let bars = trendcast_bars::of_series(s, &dates);
        let mut out = vec![0.0; s.len() * N_FEATURES];
        assert_eq!(trendcast_features(&bars, out.as_mut_ptr(), out.len()), trendcast_status::Ok);
        let want: Vec<f64> = compute(s).concat();
        assert!(out.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));

        let sentinel = vec![7.0; out.len()];
        let mut short = sentinel.clone();
        assert_eq!(trendcast_features(&bars, short.as_mut_ptr(), short.len() - 1), trendcast_status::Shape);
        assert!(last_error().contains("feature values"), "{}", last_error());
        assert_eq!(short, sentinel);

        let mut bad = s.clone();
        bad.high[40] = bad.low[40] * 0.5;
        let mut out_bad = sentinel.clone();
        assert_eq!(
            trendcast_features(&trendcast_bars::of_series(&bad, &dates), out_bad.as_mut_ptr(), out_bad.len()),
            trendcast_status::InvalidBar
        );
        assert!(last_error().contains("below low") && last_error().contains(&s.dates[40].to_string()), "{}", last_error());
        assert_eq!(out_bad, sentinel, "a failed call changed the output");

        let mut swapped = dates.clone();
        swapped.swap(10, 11);
        let mut out_unsorted = sentinel.clone();
        assert_eq!(
            trendcast_features(&trendcast_bars::of_series(s, &swapped), out_unsorted.as_mut_ptr(), out_unsorted.len()),
            trendcast_status::Unsorted
        );
        assert_eq!(out_unsorted, sentinel);

        assert_eq!(trendcast_features(std::ptr::null(), out.as_mut_ptr(), out.len()), trendcast_status::NullPointer);
        assert_eq!(trendcast_features(&bars, std::ptr::null_mut(), out.len()), trendcast_status::NullPointer);
        let empty = trendcast_bars { len: 0, ..bars };
        assert_eq!(trendcast_features(&empty, out.as_mut_ptr(), out.len()), trendcast_status::Shape);
    }
}
