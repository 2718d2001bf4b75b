//! The graph's nodes: the universe's stocks in the caller's order, then the sub-industries and the
//! sectors that have at least one of those stocks, each in name order.

use crate::bars::Industries;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSet {
    pub n_stocks: usize,
    /// Names of the sub-industry nodes, then of the sector nodes.
    pub sub_industries: Vec<String>,
    pub sectors: Vec<String>,
    /// For each stock: its sub-industry node index and sector node index (both < n_nodes).
    pub stock_sub: Vec<usize>,
    pub stock_sector: Vec<usize>,
    /// For each sub-industry node: its sector node index.
    pub sub_sector: Vec<usize>,
}

impl NodeSet {
    /// Nodes for `tickers` (every one must be in the industry table).
    pub fn new(tickers: &[String], industries: &Industries) -> Result<NodeSet> {
        let mut ids = Vec::with_capacity(tickers.len());
        for t in tickers {
            ids.push(industries.of(t).ok_or_else(|| Error::argument(format!("ticker {t} is not in the industry table")))?);
        }
        let mut used_subs: Vec<usize> = ids.iter().map(|&(_, u)| u).collect();
        used_subs.sort_unstable();
        used_subs.dedup();
        let mut used_secs: Vec<usize> = ids.iter().map(|&(s, _)| s).collect();
        used_secs.sort_unstable();
        used_secs.dedup();
        let n = tickers.len();
        let (first_sub, first_sec) = (n, n + used_subs.len());
        let sub_node = |u: usize| first_sub + used_subs.binary_search(&u).expect("collected above");
        let sec_node = |s: usize| first_sec + used_secs.binary_search(&s).expect("collected above");
        Ok(NodeSet {
            n_stocks: n,
            sub_industries: used_subs.iter().map(|&u| industries.sub_industries[u].clone()).collect(),
            sectors: used_secs.iter().map(|&s| industries.sectors[s].clone()).collect(),
            stock_sub: ids.iter().map(|&(_, u)| sub_node(u)).collect(),
            stock_sector: ids.iter().map(|&(s, _)| sec_node(s)).collect(),
            sub_sector: used_subs.iter().map(|&u| sec_node(industries.sub_industry_sector[u])).collect(),
        })
    }

    pub fn n_nodes(&self) -> usize {
        self.n_stocks + self.sub_industries.len() + self.sectors.len()
    }

    /// The stock indices of each industry node (sub-industries, then sectors), in node order.
    pub fn members(&self) -> Vec<Vec<usize>> {
        let first = self.n_stocks;
        let mut m = vec![Vec::new(); self.n_nodes() - first];
        for k in 0..self.n_stocks {
            m[self.stock_sub[k] - first].push(k);
            m[self.stock_sector[k] - first].push(k);
        }
        m
    }
}
