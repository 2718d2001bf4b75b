//! The bar loader on arbitrary bytes, under each bad-bar policy: an error or series that are
//! valid, never a panic. With `skip` and `repair`, every bar kept passes the validation the loader
//! applies (a broken bar must never slip through a policy).

use trendcast::bars::{BadBarPolicy, LoadOptions, read_bars};

pub fn run(data: &[u8]) {
    for on_bad_bar in [BadBarPolicy::Fail, BadBarPolicy::Skip, BadBarPolicy::Repair] {
        let opts = LoadOptions { on_bad_bar, ..Default::default() };
        if let Ok((series, notes)) = read_bars(data, std::path::Path::new("fuzz.csv"), &opts) {
            for s in &series {
                s.validate().expect("a loaded series is valid");
            }
            assert!(on_bad_bar != BadBarPolicy::Fail || notes.is_empty(), "fail records nothing");
        }
    }
}
