//! The theme taxonomy and the rules' cue phrases, loaded from one editable TOML file.
//!
//! The default, `taxonomy.toml` at the project root, is compiled in; `--taxonomy FILE`
//! loads a user's copy. A bad file is an error naming the file and the line.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The bundled taxonomy file.
pub const DEFAULT_TOML: &str = include_str!("../taxonomy.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    /// Changes whenever the cues or thresholds change, so stored labels can be redone.
    pub version: String,
    pub stance: StanceCues,
    #[serde(rename = "theme")]
    pub themes: Vec<Theme>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StanceCues {
    pub strength: Vec<String>,
    pub weakness: Vec<String>,
    pub recommendation: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub id: String,
    pub name: String,
    pub description: String,
    pub cues: Vec<String>,
}

impl Taxonomy {
    /// The bundled taxonomy.
    pub fn bundled() -> Taxonomy {
        Taxonomy::parse(DEFAULT_TOML, "taxonomy.toml").expect("the bundled taxonomy is valid")
    }

    pub fn load(path: &Path) -> Result<Taxonomy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read taxonomy file {}", path.display()))?;
        Taxonomy::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a taxonomy; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Taxonomy> {
        let taxonomy: Taxonomy = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            match line {
                Some(line) => anyhow::anyhow!("{origin}, line {line}: {}", e.message()),
                None => anyhow::anyhow!("{origin}: {}", e.message()),
            }
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for theme in &taxonomy.themes {
            if !seen.insert(theme.id.as_str()) {
                bail!("{origin}: theme id {:?} appears twice", theme.id);
            }
        }
        Ok(taxonomy)
    }

    pub fn theme_ids(&self) -> impl Iterator<Item = &str> {
        self.themes.iter().map(|t| t.id.as_str())
    }

    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }
}
