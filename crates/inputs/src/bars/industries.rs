//! The GICS industry table: each ticker's sector and sub-industry, with stable integer ids.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One row of `industries.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndustryRow {
    pub ticker: String,
    pub sector: String,
    pub sub_industry: String,
}

/// Tickers mapped to sector and sub-industry ids. Ids index the sorted lists of names, so they do not
/// depend on row order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Industries {
    pub sectors: Vec<String>,
    pub sub_industries: Vec<String>,
    /// The sector each sub-industry belongs to (GICS nests them: one sector per sub-industry).
    pub sub_industry_sector: Vec<usize>,
    by_ticker: HashMap<String, (usize, usize)>,
}

impl Industries {
    pub fn new(rows: Vec<IndustryRow>) -> Result<Self> {
        let sectors: Vec<String> = rows.iter().map(|r| r.sector.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let subs: Vec<String> = rows.iter().map(|r| r.sub_industry.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let mut sub_sector = vec![usize::MAX; subs.len()];
        let mut by_ticker = HashMap::with_capacity(rows.len());
        for r in &rows {
            if r.ticker.is_empty() || r.sector.is_empty() || r.sub_industry.is_empty() {
                return Err(Error::argument(format!("industry row with an empty field: {r:?}")));
            }
            let sec = sectors.binary_search(&r.sector).expect("collected above");
            let sub = subs.binary_search(&r.sub_industry).expect("collected above");
            if sub_sector[sub] != usize::MAX && sub_sector[sub] != sec {
                return Err(Error::argument(format!(
                    "sub-industry {:?} appears under two sectors ({:?} and {:?})",
                    r.sub_industry, sectors[sub_sector[sub]], r.sector
                )));
            }
            sub_sector[sub] = sec;
            if by_ticker.insert(r.ticker.clone(), (sec, sub)).is_some() {
                return Err(Error::argument(format!("ticker {} appears twice in the industry table", r.ticker)));
            }
        }
        Ok(Industries { sectors, sub_industries: subs, sub_industry_sector: sub_sector, by_ticker })
    }

    /// (sector id, sub-industry id) of a ticker.
    pub fn of(&self, ticker: &str) -> Option<(usize, usize)> {
        self.by_ticker.get(ticker).copied()
    }

    /// The table's rows, by ticker.
    pub fn rows(&self) -> Vec<IndustryRow> {
        let mut rows: Vec<IndustryRow> = self
            .by_ticker
            .iter()
            .map(|(t, &(sec, sub))| IndustryRow {
                ticker: t.clone(),
                sector: self.sectors[sec].clone(),
                sub_industry: self.sub_industries[sub].clone(),
            })
            .collect();
        rows.sort_by(|a, b| a.ticker.cmp(&b.ticker));
        rows
    }

    pub fn n_tickers(&self) -> usize {
        self.by_ticker.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: &str, s: &str, u: &str) -> IndustryRow {
        IndustryRow { ticker: t.into(), sector: s.into(), sub_industry: u.into() }
    }

    #[test]
    fn ids_follow_sorted_names_and_nesting_is_checked() {
        let ind = Industries::new(vec![row("B", "Tech", "Chips"), row("A", "Energy", "Oil"), row("C", "Tech", "Apps")]).unwrap();
        assert_eq!(ind.sectors, ["Energy", "Tech"]);
        assert_eq!(ind.sub_industries, ["Apps", "Chips", "Oil"]);
        assert_eq!(ind.of("B"), Some((1, 1)));
        assert_eq!(ind.sub_industry_sector, [1, 1, 0]);
        assert!(Industries::new(vec![row("A", "X", "S"), row("B", "Y", "S")]).is_err());
        assert!(Industries::new(vec![row("A", "X", "S"), row("A", "X", "S")]).is_err());
    }
}
