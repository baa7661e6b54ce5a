//! The one loader of kaibo's data files (`data/`), whichever crate reads them.
//!
//! Every file carries a `version`; a file of a version its reader does not know, or one that does
//! not parse, is an error naming the file and the problem. Files compiled into the binary are
//! parsed once, on first use, by [`compiled`]: a broken one is a mistake of the build, not of the
//! input, so it stops kaibo loudly (and the data tests of each crate load every file before a
//! release). Files read at run time (a downloaded RDAP bootstrap) go through [`toml()`] or
//! [`json`] and return the error.

use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// What is wrong with a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    pub problem: String,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "data file {}: {}", self.file, self.problem)
    }
}

impl std::error::Error for DataError {}

fn error(file: &str, problem: impl std::fmt::Display) -> DataError {
    DataError { file: file.to_string(), problem: problem.to_string() }
}

/// Parses a TOML data file whose top-level `version` must be `version`.
pub fn toml<T: DeserializeOwned>(file: &str, text: &str, version: u32) -> Result<T, DataError> {
    #[derive(Deserialize)]
    struct Versioned {
        version: Option<u32>,
    }
    let found = ::toml::from_str::<Versioned>(text).map_err(|e| error(file, e))?.version;
    match found {
        Some(v) if v == version => ::toml::from_str(text).map_err(|e| error(file, e)),
        Some(v) => Err(error(file, format!("version {v}, this kaibo reads version {version}"))),
        None => Err(error(file, "no `version`")),
    }
}

/// Parses a JSON data file; `version` is the value its top-level `version` must have (the IANA
/// RDAP bootstrap says `"1.0"`).
pub fn json<T: DeserializeOwned>(file: &str, text: &str, version: &str) -> Result<T, DataError> {
    #[derive(Deserialize)]
    struct Versioned {
        version: Option<String>,
    }
    let found = serde_json::from_str::<Versioned>(text).map_err(|e| error(file, e))?.version;
    match found.as_deref() {
        Some(v) if v == version => serde_json::from_str(text).map_err(|e| error(file, e)),
        Some(v) => Err(error(file, format!("version {v}, this kaibo reads version {version}"))),
        None => Err(error(file, "no `version`")),
    }
}

/// Data compiled into the binary, parsed (and prepared for lookups) by `load` on first use.
pub fn compiled<T>(cell: &'static OnceLock<T>, load: impl FnOnce() -> Result<T, DataError>) -> &'static T {
    cell.get_or_init(|| match load() {
        Ok(v) => v,
        // A broken compiled-in file is a build mistake; every crate's data test loads its files.
        Err(e) => panic!("{e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Small {
        words: Vec<String>,
    }

    #[test]
    fn versions_are_checked_and_errors_name_the_file() {
        let ok: Small = toml("small.toml", "version = 1\nwords = [\"a\"]", 1).unwrap();
        assert_eq!(ok.words, ["a"]);
        let e = toml::<Small>("small.toml", "version = 2\nwords = []", 1).unwrap_err();
        assert_eq!(e.to_string(), "data file small.toml: version 2, this kaibo reads version 1");
        assert!(toml::<Small>("small.toml", "words = []", 1).unwrap_err().problem.contains("no `version`"));
        assert!(toml::<Small>("small.toml", "version = 1\nwords = 3", 1).unwrap_err().file == "small.toml");
        let j: serde_json::Value =
            json("boot.json", "{\"version\": \"1.0\", \"services\": []}", "1.0").unwrap();
        assert!(j["services"].is_array());
        assert!(json::<serde_json::Value>("boot.json", "{\"version\": \"2.0\"}", "1.0").is_err());
    }
}
