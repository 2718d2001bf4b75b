//! One error type for the whole library. Every variant maps to exactly one C status code
//! (`ffi::status`), so a message never loses its category on the way across the boundary.

use std::path::PathBuf;

/// Where in a source file a bad value was found: file, 1-based line, ticker and date when known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: Option<PathBuf>,
    pub line: Option<u64>,
    pub ticker: Option<String>,
    pub date: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(format!("file {}", file.display()));
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(t) = &self.ticker {
            parts.push(format!("ticker {t}"));
        }
        if let Some(d) = &self.date {
            parts.push(format!("date {d}"));
        }
        if parts.is_empty() { f.write_str("input") } else { f.write_str(&parts.join(", ")) }
    }
}

/// Everything that can go wrong, by category. The categories are stable; the messages say the rest.
/// Not `non_exhaustive`: the C layer (another crate) matches it exhaustively, so that a new
/// category cannot compile without its status code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file or folder could not be created or written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A field could not be parsed, a column is missing, or a row has the wrong shape.
    #[error("{at}: {what}")]
    Parse { at: Location, what: String },

    /// A value that parses but cannot be a real bar: NaN, a non-positive price, high < low,
    /// negative volume.
    #[error("{at}: {what}")]
    InvalidBar { at: Location, what: String },

    /// Dates that are not strictly increasing within one series (unsorted or duplicate).
    #[error("{at}: {what}")]
    Unsorted { at: Location, what: String },

    /// Fewer bars than the computation needs.
    #[error("too little history: {what}")]
    TooLittleHistory { what: String },

    /// A NULL pointer where the C ABI requires one.
    #[error("null pointer: {what}")]
    NullPointer { what: String },

    /// Arrays whose lengths or shapes do not fit together.
    #[error("shape mismatch: {what}")]
    Shape { what: String },

    /// An argument outside its domain (an unknown ticker, a bad option value, ...).
    #[error("invalid argument: {what}")]
    InvalidArgument { what: String },

    /// A model file that is missing, truncated or not a model the backends can load.
    #[error("model: {what}")]
    Model { what: String },

    /// A bundle whose manifest disagrees with its ONNX file (sha256, inputs, outputs) or asks for
    /// something this library cannot honour (features, classes, version).
    #[error("model contract: {what}")]
    Contract { what: String },

    /// A call that does not fit the model's kind (a direction call on a ranking model).
    #[error("wrong model kind: {what}")]
    WrongKind { what: String },

    /// The inference backend failed (or could not be loaded) at run time.
    #[error("backend: {what}")]
    Backend { what: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Names the stock an error is about (where the error does not name one already), so a caller
    /// who passed many stocks knows which one was bad.
    pub fn for_stock(self, name: &str) -> Self {
        match self {
            Error::InvalidBar { mut at, what } => {
                at.ticker.get_or_insert_with(|| name.to_string());
                Error::InvalidBar { at, what }
            }
            Error::Unsorted { mut at, what } => {
                at.ticker.get_or_insert_with(|| name.to_string());
                Error::Unsorted { at, what }
            }
            Error::Parse { mut at, what } => {
                at.ticker.get_or_insert_with(|| name.to_string());
                Error::Parse { at, what }
            }
            Error::TooLittleHistory { what } => Error::TooLittleHistory { what: format!("{name}: {what}") },
            Error::Shape { what } => Error::Shape { what: format!("{name}: {what}") },
            Error::NullPointer { what } => Error::NullPointer { what: format!("{name}: {what}") },
            other => other,
        }
    }

    // Shorthands for the variants that carry a location and a message, or a message only.
    pub fn parse(at: Location, what: impl Into<String>) -> Self {
        Error::Parse { at, what: what.into() }
    }
    pub fn invalid_bar(at: Location, what: impl Into<String>) -> Self {
        Error::InvalidBar { at, what: what.into() }
    }
    pub fn argument(what: impl Into<String>) -> Self {
        Error::InvalidArgument { what: what.into() }
    }
    pub fn shape(what: impl Into<String>) -> Self {
        Error::Shape { what: what.into() }
    }
    pub fn model(what: impl Into<String>) -> Self {
        Error::Model { what: what.into() }
    }
    pub fn contract(what: impl Into<String>) -> Self {
        Error::Contract { what: what.into() }
    }
    pub fn backend(what: impl Into<String>) -> Self {
        Error::Backend { what: what.into() }
    }
}
