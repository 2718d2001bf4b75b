//! A ranking model's inputs on a day (node features, A_L, A_S), for research from C and Python:
//! exactly what the ranking call feeds the model.

use super::bars::trendcast_bars;
use super::guard::{guard, non_null, slice, slice_mut};
use super::model::trendcast_model;
use super::status::trendcast_status;
use crate::error::{Error, Result};
use crate::predict::{node_ids, ranking_inputs_with_ids, require_ranking_inputs};

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
        let (stocks, sectors, subs) = (
            slice(stocks, n_stocks, "stocks")?,
            slice(sector_ids, n_stocks, "sector_ids")?,
            slice(sub_industry_ids, n_stocks, "sub_industry_ids")?,
        );
        require_ranking_inputs(m)?;
        let nodes = node_ids(sectors, subs);
        let sizes = trendcast_ranking_input_sizes {
            n_nodes: nodes.ids.len(),
            n_stocks,
            n_sub_industries: nodes.n_sub_industries,
            n_sectors: nodes.n_sectors,
            window: m.manifest().window,
            n_node_features: m.node_width(),
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
        check_len(inputs.nodes.len(), t * n * sizes.n_node_features, "node features")?;
        check_len(inputs.long_rel.len(), n * n, "A_L")?;
        check_len(inputs.short_rel.len(), t * n * n, "A_S")?;
        // Written only now that every input was computed (each array checked non-NULL above).
        slice_mut(out_node_ids, n, "out_node_ids")?.copy_from_slice(&nodes.ids);
        slice_mut(out_nodes, inputs.nodes.len(), "out_nodes")?.copy_from_slice(&inputs.nodes);
        slice_mut(out_long, n * n, "out_long")?.copy_from_slice(&inputs.long_rel);
        slice_mut(out_short, t * n * n, "out_short")?.copy_from_slice(&inputs.short_rel);
        // SAFETY: out_sizes was checked non-NULL; out_date is written only when not NULL.
        unsafe {
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
