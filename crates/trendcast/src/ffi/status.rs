//! Status codes: one per error category. Values are never renumbered; new ones are appended.

use crate::error::Error;

/// The result of every fallible call. On anything but TRENDCAST_STATUS_OK, out-parameters are
/// untouched and trendcast_last_error() describes the failure.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum trendcast_status {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL.
    NullPointer = 1,
    /// An argument is outside its domain (an unknown option value, ...).
    InvalidArgument = 2,
    /// Lengths or shapes do not fit together (zero stocks, columns of different lengths, an output
    /// buffer of the wrong size).
    Shape = 3,
    /// A bar that cannot be real: NaN or infinite values, a price <= 0, high < low, volume < 0; or a
    /// last bar whose features are not finite.
    InvalidBar = 4,
    /// Dates not strictly increasing (unsorted or duplicate).
    Unsorted = 5,
    /// Fewer bars than the model needs (see trendcast_model_min_bars).
    TooLittleHistory = 6,
    /// A file could not be read or written (a bundle's missing manifest or ONNX file among them).
    Io = 7,
    /// A value could not be parsed (a YYYYMMDD that is not a date, a malformed file).
    Parse = 8,
    /// A model file reads but is not a usable model (truncated, not ONNX, a graph that fails to load).
    Model = 9,
    /// The bundle's manifest disagrees with its ONNX file (sha256, inputs, outputs) or asks for what
    /// this library cannot honour.
    Contract = 10,
    /// The call does not fit the model's kind (a direction call on a ranking model).
    WrongKind = 11,
    /// The inference backend failed or could not be loaded.
    Backend = 12,
    /// An internal error was caught at the boundary (a bug: please report it with the message).
    Panic = 13,
}

impl From<&Error> for trendcast_status {
    fn from(e: &Error) -> Self {
        match e {
            Error::Io { .. } | Error::Write { .. } => trendcast_status::Io,
            Error::Parse { .. } => trendcast_status::Parse,
            Error::InvalidBar { .. } => trendcast_status::InvalidBar,
            Error::Unsorted { .. } => trendcast_status::Unsorted,
            Error::TooLittleHistory { .. } => trendcast_status::TooLittleHistory,
            Error::NullPointer { .. } => trendcast_status::NullPointer,
            Error::Shape { .. } => trendcast_status::Shape,
            Error::InvalidArgument { .. } => trendcast_status::InvalidArgument,
            Error::Model { .. } => trendcast_status::Model,
            Error::Contract { .. } => trendcast_status::Contract,
            Error::WrongKind { .. } => trendcast_status::WrongKind,
            Error::Backend { .. } => trendcast_status::Backend,
        }
    }
}
