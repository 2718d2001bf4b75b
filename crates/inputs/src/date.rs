//! Trading dates as days since 1970-01-01: cheap to compare, hash and store in a panel.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar date, stored as the number of days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Date(i32);

const UNIX_EPOCH_CE_DAYS: i32 = 719_163; // NaiveDate(1970-01-01).num_days_from_ce()

impl Date {
    /// The date of year/month/day, or None when it does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(year, month, day).map(|d| Date(d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS))
    }

    /// Parses `YYYY-MM-DD` exactly (the format of every data file and command-line flag).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
        };
        Date::from_ymd(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    }

    /// The date written as the integer YYYYMMDD (the C ABI's form), or None when it is not a date.
    pub fn from_yyyymmdd(v: i32) -> Option<Date> {
        if v < 0 {
            return None;
        }
        Date::from_ymd(v / 10000, (v / 100 % 100) as u32, (v % 100) as u32)
    }

    /// The date as the integer YYYYMMDD.
    pub fn yyyymmdd(self) -> i32 {
        let d = self.naive();
        d.year() * 10000 + d.month() as i32 * 100 + d.day() as i32
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    pub fn from_days_since_epoch(days: i32) -> Date {
        Date(days)
    }

    pub fn naive(self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.0 + UNIX_EPOCH_CE_DAYS).expect("date in chrono's range")
    }

    pub fn year(self) -> i32 {
        self.naive().year()
    }

    /// 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday).
    fn weekday_index(self) -> i32 {
        (self.0 + 3).rem_euclid(7)
    }

    /// A Saturday or a Sunday, when no market trades.
    pub fn is_weekend(self) -> bool {
        self.weekday_index() >= 5
    }

    /// "Monday" .. "Sunday".
    pub fn weekday_name(self) -> &'static str {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][self.weekday_index() as usize]
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.naive();
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s).ok_or_else(|| format!("not a date (YYYY-MM-DD): {s:?}"))
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Date::parse("1970-01-01").unwrap().days_since_epoch(), 0);
        assert_eq!(Date::parse("1970-01-02").unwrap().days_since_epoch(), 1);
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2023-2-28").is_none());
        assert!(Date::parse("2023-02-2x").is_none());
        assert!(Date::parse("2023-02-28") < Date::parse("2023-03-01"));
    }

    #[test]
    fn yyyymmdd_round_trips_and_refuses_what_is_not_a_date() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.yyyymmdd(), 20240229);
        assert_eq!(Date::from_yyyymmdd(20240229), Some(d));
        for bad in [20230229, 20241301, 20240100, -20240101, 0] {
            assert_eq!(Date::from_yyyymmdd(bad), None, "{bad}");
        }
    }

    #[test]
    fn weekdays_follow_the_calendar() {
        // 2024-12-28 is a Saturday; chrono agrees on every day of a few years around the epoch.
        let sat = Date::parse("2024-12-28").unwrap();
        assert!(sat.is_weekend() && sat.weekday_name() == "Saturday");
        assert_eq!(Date::parse("2024-12-30").unwrap().weekday_name(), "Monday");
        for days in -800..800 {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.weekday_index() as u32, d.naive().weekday().num_days_from_monday(), "{d}");
        }
    }
}
