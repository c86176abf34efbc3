//! The codes analysts join on: each authority's DfE local-authority number, ONS code and
//! region, from `data/authority_codes.csv` (its source is named in the file).
//!
//! Looked up by the canonical names of `data/authorities.txt`, so any spelling the matcher
//! knows ("Hull", "BCP") finds its codes. A name with no row keeps empty codes.

use std::collections::BTreeMap;

use std::sync::LazyLock;

use crate::facts::authority;

const CODES_FILE: &str = include_str!("../data/authority_codes.csv");

/// The nine English regions, in the order the ONS lists them.
pub const REGIONS: [&str; 9] = [
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
];

/// The output columns that carry the codes, in this order.
pub const CODE_COLUMNS: [&str; 3] = ["la_code", "ons_code", "region"];

/// One authority's codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityCodes {
    /// As the table spells it (the canonical name).
    pub name: String,
    /// DfE three-digit local-authority number ("805").
    pub la_code: String,
    /// ONS (GSS) code ("E06000001").
    pub ons_code: String,
    /// One of [`REGIONS`].
    pub region: String,
}

impl AuthorityCodes {
    /// The three [`CODE_COLUMNS`] cells.
    pub fn cells(&self) -> [String; 3] {
        [
            self.la_code.clone(),
            self.ons_code.clone(),
            self.region.clone(),
        ]
    }
}

/// The three empty cells of a name with no codes.
pub const NO_CODES: [&str; 3] = ["", "", ""];

static TABLE: LazyLock<Vec<AuthorityCodes>> = LazyLock::new(|| parse(CODES_FILE));

/// Lower-cased canonical name → row of [`TABLE`].
static BY_NAME: LazyLock<BTreeMap<String, usize>> = LazyLock::new(|| {
    TABLE
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.to_lowercase(), i))
        .collect()
});

fn parse(text: &str) -> Vec<AuthorityCodes> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.expect("data/authority_codes.csv is valid CSV (checked by a test)");
            let cell = |i: usize| record.get(i).unwrap_or("").trim().to_string();
            AuthorityCodes {
                name: cell(0),
                la_code: cell(1),
                ons_code: cell(2),
                region: cell(3),
            }
        })
        .collect()
}

/// Every row of the table, current authorities first, then former ones.
pub fn table() -> &'static [AuthorityCodes] {
    &TABLE
}

/// The codes of an authority named as in the results (or any spelling the authority list
/// knows), or `None` for a name that is no authority in the table.
pub fn lookup(name: &str) -> Option<&'static AuthorityCodes> {
    let canonical = authority::canonical(name).unwrap_or_else(|| name.trim().to_string());
    BY_NAME.get(&canonical.to_lowercase()).map(|&i| &TABLE[i])
}

/// The [`CODE_COLUMNS`] cells for a name: its codes, or empty cells.
pub fn cells(name: &str) -> [String; 3] {
    lookup(name)
        .map(AuthorityCodes::cells)
        .unwrap_or_else(|| NO_CODES.map(String::from))
}

/// The region a user typed ("london", "yorkshire", "east of england"), matched
/// case-insensitively against [`REGIONS`] (whole name, else the one region containing it).
pub fn region_named(text: &str) -> Result<&'static str, String> {
    let wanted = text.trim().to_lowercase();
    if let Some(r) = REGIONS.iter().find(|r| r.to_lowercase() == wanted) {
        return Ok(r);
    }
    let partial: Vec<&str> = REGIONS
        .iter()
        .copied()
        .filter(|r| !wanted.is_empty() && r.to_lowercase().contains(&wanted))
        .collect();
    match partial.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "unknown region {text:?}: the regions are {}",
            REGIONS.join(", ")
        )),
        many => Err(format!(
            "region {text:?} could be any of {}: give more of the name",
            many.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_table_is_well_formed() {
        assert!(table().len() >= 153);
        let mut la = BTreeSet::new();
        let mut ons = BTreeSet::new();
        for row in table() {
            assert!(
                row.la_code.len() == 3 && row.la_code.bytes().all(|b| b.is_ascii_digit()),
                "{row:?}"
            );
            let prefix_ok = ["E06", "E08", "E09", "E10"]
                .iter()
                .any(|p| row.ons_code.starts_with(p));
            assert!(
                prefix_ok
                    && row.ons_code.len() == 9
                    && row.ons_code[1..].bytes().all(|b| b.is_ascii_digit()),
                "{row:?}"
            );
            assert!(REGIONS.contains(&row.region.as_str()), "{row:?}");
            assert!(la.insert(row.la_code.clone()), "LA code twice: {row:?}");
            assert!(ons.insert(row.ons_code.clone()), "ONS code twice: {row:?}");
            assert_eq!(
                authority::canonical(&row.name).as_deref(),
                Some(row.name.as_str()),
                "each name is a canonical name of data/authorities.txt"
            );
        }
    }

    #[test]
    fn every_authority_with_childrens_services_has_codes() {
        let list = include_str!("../data/authorities.txt");
        let current: Vec<&str> = list
            .lines()
            .take_while(|l| !l.starts_with("# Former"))
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .map(|l| l.split('|').next().unwrap().trim())
            .collect();
        assert_eq!(current.len(), 153);
        for name in current {
            assert!(lookup(name).is_some(), "{name} has no codes");
        }
        for region in REGIONS {
            assert!(
                table().iter().any(|r| r.region == region),
                "{region} has no authority"
            );
        }
    }

    #[test]
    fn known_codes_and_spellings() {
        let hartlepool = lookup("Hartlepool").unwrap();
        assert_eq!(
            (hartlepool.la_code.as_str(), hartlepool.ons_code.as_str()),
            ("805", "E06000001")
        );
        assert_eq!(hartlepool.region, "North East");
        assert_eq!(lookup("Hull").unwrap().la_code, "810");
        assert_eq!(lookup("BCP").unwrap().ons_code, "E06000058");
        assert_eq!(lookup("westmorland & furness").unwrap().la_code, "943");
        assert_eq!(lookup("Cumberland").unwrap().ons_code, "E06000063");
        assert_eq!(lookup("(unknown: x.pdf)"), None);
        assert_eq!(cells("Nowhere"), ["", "", ""]);
    }

    #[test]
    fn regions_match_in_part_and_whole() {
        assert_eq!(region_named("london"), Ok("London"));
        assert_eq!(region_named("Yorkshire"), Ok("Yorkshire and The Humber"));
        assert_eq!(region_named("north west"), Ok("North West"));
        assert!(region_named("north").unwrap_err().contains("North East"));
        assert!(region_named("Wales")
            .unwrap_err()
            .contains("unknown region"));
    }
}
