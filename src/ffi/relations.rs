//! A ranking model's inputs on a day (node features, A_L, A_S), for research from C and Python:
//! exactly what the ranking call feeds the model.

use super::bars::trendcast_bars;
use super::guard::{guard, non_null};
use super::model::trendcast_model;
use super::status::trendcast_status;
use crate::error::{Error, Result};
use crate::predict::{node_ids, ranking_inputs_with_ids, require_ranking_inputs};
use crate::relations::N_NODE_FEATURES;

/// The shapes of trendcast_ranking_inputs' outputs.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct trendcast_ranking_input_sizes {
    /// Nodes: the stocks, then their sub-industries, then their sectors.
    pub n_nodes: usize,
    pub n_stocks: usize,
    pub n_sub_industries: usize,
    pub n_sectors: usize,
    /// Days of the model's window (the inputs' first dimension).
    pub window: usize,
    /// Values per node and day.
    pub n_node_features: usize,
}

/// A ranking model's inputs on the latest date among the stocks' bars: what trendcast_rank feeds
/// the model, for research. Takes the stocks and ids as trendcast_rank does.
///
/// Call it twice: first with `out_node_ids`, `out_nodes`, `out_long` and `out_short` all NULL, to
/// get `out_sizes` only (cheap: no inputs are computed); then with all four arrays, of exactly
/// these lengths (N = n_nodes, T = window, F = n_node_features):
/// - `out_node_ids`: N int32: each stock's index, then the sub-industry ids, then the sector ids
///   (each ascending): the nodes' order in the other arrays.
/// - `out_nodes`: T * N * F floats, [day][node][feature], oldest day first: the node features.
/// - `out_long`: N * N floats: A_L, the long-term (industry) relations.
/// - `out_short`: T * N * N floats: A_S of each day of the window, oldest first.
/// - `out_date`: receives the latest date, YYYYMMDD (may be NULL).
///
/// The relation matrices are as the model receives them (normalised when its manifest says so).
/// Outputs are untouched on failure.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_ranking_inputs(
    model: *const trendcast_model,
    stocks: *const trendcast_bars,
    sector_ids: *const i32,
    sub_industry_ids: *const i32,
    n_stocks: usize,
    out_sizes: *mut trendcast_ranking_input_sizes,
    out_node_ids: *mut i32,
    out_nodes: *mut f32,
    out_long: *mut f32,
    out_short: *mut f32,
    out_date: *mut i32,
) -> trendcast_status {
    guard(|| {
        let handle = super::handles::lease(model, "model")?;
        let m = &handle.model;
        for (p, name) in [(stocks.cast::<u8>(), "stocks"), (sector_ids.cast(), "sector_ids"), (sub_industry_ids.cast(), "sub_industry_ids")]
        {
            non_null(p, name)?;
        }
        non_null(out_sizes, "out_sizes")?;
        if n_stocks == 0 {
            return Err(Error::shape("no stocks given"));
        }
        // SAFETY: non-NULL arrays of n_stocks elements (the C contract).
        let (stocks, sectors, subs) = unsafe {
            (
                std::slice::from_raw_parts(stocks, n_stocks),
                std::slice::from_raw_parts(sector_ids, n_stocks),
                std::slice::from_raw_parts(sub_industry_ids, n_stocks),
            )
        };
        require_ranking_inputs(m)?;
        let nodes = node_ids(sectors, subs);
        let sizes = trendcast_ranking_input_sizes {
            n_nodes: nodes.ids.len(),
            n_stocks,
            n_sub_industries: nodes.n_sub_industries,
            n_sectors: nodes.n_sectors,
            window: m.manifest().window,
            n_node_features: N_NODE_FEATURES,
        };
        let outs = [out_node_ids.cast::<u8>(), out_nodes.cast(), out_long.cast(), out_short.cast()];
        if outs.iter().all(|p| p.is_null()) {
            // SAFETY: checked non-NULL above.
            unsafe { *out_sizes = sizes };
            return Ok(());
        }
        if outs.iter().any(|p| p.is_null()) {
            return Err(Error::NullPointer {
                what: "give out_node_ids, out_nodes, out_long and out_short all, or none (sizes only)".into(),
            });
        }
        let (date, inputs) = ranking_inputs_with_ids(m, stocks, sectors, subs)?;
        let (n, t) = (sizes.n_nodes, sizes.window);
        check_len(inputs.n_nodes, n, "nodes")?;
        check_len(inputs.nodes.len(), t * n * N_NODE_FEATURES, "node features")?;
        check_len(inputs.long_rel.len(), n * n, "A_L")?;
        check_len(inputs.short_rel.len(), t * n * n, "A_S")?;
        // SAFETY: caller-owned arrays of the documented lengths (the C contract); written only now
        // that every input was computed.
        unsafe {
            std::slice::from_raw_parts_mut(out_node_ids, n).copy_from_slice(&nodes.ids);
            std::slice::from_raw_parts_mut(out_nodes, inputs.nodes.len()).copy_from_slice(&inputs.nodes);
            std::slice::from_raw_parts_mut(out_long, n * n).copy_from_slice(&inputs.long_rel);
            std::slice::from_raw_parts_mut(out_short, t * n * n).copy_from_slice(&inputs.short_rel);
            *out_sizes = sizes;
            if !out_date.is_null() {
                *out_date = date.yyyymmdd();
            }
        }
        Ok(())
    })
}

/// The library's own shapes agree with the sizes it reported (an internal check, not the caller's).
fn check_len(got: usize, want: usize, what: &str) -> Result<()> {
    if got != want {
        return Err(Error::shape(format!("internal: {what} hold {got} values, the sizes say {want}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::synthetic::{SyntheticSpec, generate};
    use crate::bars::{Industries, Panel};
    use crate::ffi::{trendcast_model_free, trendcast_model_open};
    use crate::model::export::{DirectionExport, write_ranking_probe};
    use crate::model::onnx::RankingProbe;
    use crate::relations::{NodeFeatures, RelationSpec, ranking_inputs};

    /// The C call with ids numbered in name order gives the Rust API's inputs on the named
    /// industries, bit for bit, and node ids in its node order.
    #[test]
    fn c_inputs_are_the_rust_apis_on_named_industries() {
        let u = generate(&SyntheticSpec { days: 120, late_listing_every: 7, ..Default::default() });
        let dir = tempfile::tempdir().unwrap();
        let rel = RelationSpec { node_features: NodeFeatures::Ratios, normalize_relations: true, ..Default::default() };
        let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
        write_ranking_probe(dir.path(), &probe, &DirectionExport::new("probe", 15), rel).unwrap();
        let path = std::ffi::CString::new(dir.path().to_str().unwrap()).unwrap();
        let mut handle = std::ptr::null_mut();
        assert_eq!(trendcast_model_open(path.as_ptr(), std::ptr::null(), &mut handle), trendcast_status::Ok);

        let dates: Vec<Vec<i32>> = u.series.iter().map(|s| s.dates.iter().map(|d| d.yyyymmdd()).collect()).collect();
        let bars: Vec<trendcast_bars> = u.series.iter().zip(&dates).map(|(s, d)| trendcast_bars::of_series(s, d)).collect();
        let ind: &Industries = &u.industries;
        let id_of = |names: &[String], name: &str| names.iter().position(|n| n == name).unwrap() as i32;
        let (sectors, subs): (Vec<i32>, Vec<i32>) = u
            .series
            .iter()
            .map(|s| {
                let (sec, sub) = ind.of(&s.ticker).unwrap();
                (id_of(&ind.sectors, &ind.sectors[sec]), id_of(&ind.sub_industries, &ind.sub_industries[sub]))
            })
            .unzip();
        let n = bars.len();
        let mut sizes = trendcast_ranking_input_sizes::default();
        let (nulli, nullf) = (std::ptr::null_mut::<i32>(), std::ptr::null_mut::<f32>());
        let call = |sizes: &mut trendcast_ranking_input_sizes, ids: *mut i32, x: *mut f32, l: *mut f32, s: *mut f32, date: *mut i32| {
            trendcast_ranking_inputs(handle, bars.as_ptr(), sectors.as_ptr(), subs.as_ptr(), n, sizes, ids, x, l, s, date)
        };
        assert_eq!(call(&mut sizes, nulli, nullf, nullf, nullf, nulli), trendcast_status::Ok);
        let (nn, t) = (sizes.n_nodes, sizes.window);
        let (mut ids, mut x, mut l, mut s, mut date) = (vec![0; nn], vec![0.0; t * nn * 5], vec![0.0; nn * nn], vec![0.0; t * nn * nn], 0);
        assert_eq!(call(&mut sizes, ids.as_mut_ptr(), x.as_mut_ptr(), l.as_mut_ptr(), s.as_mut_ptr(), &mut date), trendcast_status::Ok);
        // A partial set of outputs is refused.
        assert_eq!(call(&mut sizes, ids.as_mut_ptr(), nullf, l.as_mut_ptr(), s.as_mut_ptr(), &mut date), trendcast_status::NullPointer);

        let panel = Panel::from_series(&u.series);
        let want = ranking_inputs(&panel, ind, panel.n_days() - 1, 15, &rel).unwrap();
        assert_eq!(nn, want.n_nodes);
        assert_eq!(sizes.n_stocks + sizes.n_sub_industries + sizes.n_sectors, nn);
        let bits = |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(bits(&x, &want.nodes) && bits(&l, &want.long_rel) && bits(&s, &want.short_rel));
        assert_eq!(date, panel.calendar.last().unwrap().yyyymmdd());
        assert_eq!(&ids[..n], &(0..n as i32).collect::<Vec<_>>()[..]);
        trendcast_model_free(handle);
    }
}
