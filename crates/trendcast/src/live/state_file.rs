//! The live universe's state on disk: a magic line, the format version, the sha256 of the payload,
//! then the payload: the state with what it was made for (each model's name and graphs' sha256,
//! each stock's ticker and industries) in bincode. A restore refuses a file of another format, one
//! whose payload does not match its sha256 (corrupted), or one made for other models or stocks.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ranking::RankingStream;
use super::{LiveUniverse, State};
use crate::bars::Industries;
use crate::error::{Error, Location, Result};
use crate::model::Model;

/// The file's first bytes.
const MAGIC: &[u8; 16] = b"trendcast-live\n\0";
/// The state format this library writes and reads (3: the payload's sha256 after the version;
/// 2 had none, so a corrupted file could restore; 1 kept a ranking model's encodings twice).
pub const STATE_FORMAT: u32 = 3;
/// Bytes before the payload: magic, format, sha256.
const HEADER: usize = MAGIC.len() + 4 + 32;

/// What a state was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    /// Per model: name, the main graph's sha256 and the encoder's (empty for a direction model).
    models: Vec<(String, String, String)>,
    /// Per stock: ticker, sector, sub-industry.
    stocks: Vec<(String, String, String)>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    library_version: String,
    identity: Identity,
    state: State,
}

fn identity(models: &[Arc<Model>], industries: &Industries, tickers: &[String]) -> Identity {
    Identity {
        models: models
            .iter()
            .map(|m| {
                let man = m.manifest();
                (man.name.clone(), man.onnx_sha256.clone(), man.encoder.as_ref().map_or(String::new(), |e| e.onnx_sha256.clone()))
            })
            .collect(),
        stocks: tickers
            .iter()
            .map(|t| {
                let (sec, sub) = industries.of(t).expect("checked when the universe was made");
                (t.clone(), industries.sectors[sec].clone(), industries.sub_industries[sub].clone())
            })
            .collect(),
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

impl LiveUniverse {
    /// Writes the state to `path` (through a temporary file renamed into place, so that a crash
    /// never leaves half a state).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut state = self.state.clone();
        state.ranking.iter_mut().flatten().for_each(RankingStream::clear_spare_slot);
        let saved =
            Saved { library_version: crate::VERSION.into(), identity: identity(&self.models, &self.industries, &self.tickers), state };
        let io = |source| Error::Write { path: path.to_path_buf(), source };
        let payload =
            bincode::serde::encode_to_vec(&saved, config()).map_err(|e| Error::argument(format!("the state does not encode: {e}")))?;
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(MAGIC).map_err(io)?;
        f.write_all(&STATE_FORMAT.to_le_bytes()).map_err(io)?;
        f.write_all(&Sha256::digest(&payload)).map_err(io)?;
        f.write_all(&payload).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    /// The universe saved in `path`, for the same models (same names and graphs, in the same
    /// order) and the same stocks with the same industries.
    pub fn restore(models: Vec<Arc<Model>>, industries: Industries, path: &Path) -> Result<LiveUniverse> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let at = || Location { file: Some(path.to_path_buf()), ..Default::default() };
        if bytes.len() < MAGIC.len() + 4 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::Parse { at: at(), what: "not a trendcast live-universe state file".into() });
        }
        let format = u32::from_le_bytes(bytes[MAGIC.len()..MAGIC.len() + 4].try_into().expect("4 bytes"));
        if format != STATE_FORMAT {
            let why = if format < STATE_FORMAT {
                "; it was written by an earlier release: build the universe again from its history and save it"
            } else {
                ""
            };
            return Err(Error::Contract {
                what: format!("{}: state format {format}, this library reads format {STATE_FORMAT}{why}", path.display()),
            });
        }
        if bytes.len() < HEADER || Sha256::digest(&bytes[HEADER..])[..] != bytes[MAGIC.len() + 4..HEADER] {
            return Err(Error::Parse {
                at: at(),
                what: "the state does not match the sha256 it was saved with: the file is corrupted or truncated".into(),
            });
        }
        let (saved, used): (Saved, usize) = bincode::serde::decode_from_slice(&bytes[HEADER..], config())
            .map_err(|e| Error::Parse { at: at(), what: format!("the state does not decode: {e}") })?;
        if used != bytes.len() - HEADER {
            return Err(Error::Parse { at: at(), what: "bytes after the state".into() });
        }
        let tickers: Vec<String> = saved.identity.stocks.iter().map(|(t, _, _)| t.clone()).collect();
        let mut u = LiveUniverse::new(models, industries, tickers)?;
        let ours = identity(&u.models, &u.industries, &u.tickers);
        if ours.models != saved.identity.models {
            return Err(Error::Contract {
                what: format!(
                    "{}: saved for the models {:?}, this universe has {:?} (names and sha256 of their graphs differ)",
                    path.display(),
                    saved.identity.models.iter().map(|m| &m.0).collect::<Vec<_>>(),
                    ours.models.iter().map(|m| &m.0).collect::<Vec<_>>()
                ),
            });
        }
        if ours.stocks != saved.identity.stocks {
            return Err(Error::Contract {
                what: format!("{}: the industries table gives the saved stocks other industries", path.display()),
            });
        }
        let mut state = saved.state;
        if !state.fits(&u) {
            return Err(Error::Parse { at: at(), what: "the state's sizes do not fit its models and stocks".into() });
        }
        for (r, fresh) in state.ranking.iter_mut().zip(u.state.ranking.iter_mut()) {
            if let (Some(r), Some(fresh)) = (r, fresh) {
                r.take_work_from(fresh)?;
            }
        }
        u.state = state;
        Ok(u)
    }
}

impl State {
    /// Whether every per-stock and per-model part has the sizes `u` needs (a decoded file could
    /// hold anything).
    fn fits(&self, u: &LiveUniverse) -> bool {
        let n = u.tickers.len();
        let per_model = self.direction.len() == u.models.len()
            && self.ranking.len() == u.models.len()
            && u.models.iter().enumerate().all(|(i, m)| match m.kind() {
                crate::model::ModelKind::Direction => self.direction[i].as_ref().is_some_and(|d| d.fits(m, n)) && self.ranking[i].is_none(),
                crate::model::ModelKind::Ranking => self.ranking[i].as_ref().is_some_and(|r| r.fits(m)) && self.direction[i].is_none(),
            });
        per_model
            && self.first_day.len() == n
            && self.features.len() == n
            && self.traded_today.len() == n
            && self.complete_today.len() == n
            && self.trail.tickers == u.tickers
            && self.trail.n_days() <= super::TRAILING_DAYS
            && [&self.trail.open, &self.trail.high, &self.trail.low, &self.trail.close, &self.trail.volume]
                .iter()
                .all(|c| c.len() == n * self.trail.n_days())
            && self.trail.present.len() == n * self.trail.n_days()
    }
}
