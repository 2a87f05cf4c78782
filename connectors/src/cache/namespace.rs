//! Namespaces: the engine and analysis configuration that entries were written under. Each has a
//! table of its own, named by a hash of the namespace and the record format, so that an entry is
//! found only by the engine and configuration that wrote it (an upgrade or another setting never
//! reuses it); the table [`NAMESPACES`] describes every entry table, for `cpt cache stats` and
//! for pruning the namespaces this build cannot use.

use crate::config_hash::config_hash;
use cpt_operators::model::AnalysisConfig;
use redb::TableDefinition;
use serde::{Deserialize, Serialize};

/// Entry table name → the namespace, as JSON.
pub const NAMESPACES: TableDefinition<&str, &str> = TableDefinition::new("namespaces");

/// The version of the stored record (see `record`); part of every entry table's name.
const RECORD_FORMAT: u32 = 2;

/// Who wrote a set of entries, and with which analysis settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// The analysis engine (see [`cpt_operators::engine::identity`]).
    pub engine: String,
    /// The hash of the analysis configuration (the manifest's kind of configuration hash).
    pub config: String,
}

impl Namespace {
    /// This build's namespace for contents analysed with `analysis`.
    pub fn current(analysis: &AnalysisConfig) -> Namespace {
        Namespace { engine: cpt_operators::engine::identity(), config: config_hash(analysis) }
    }

    /// True when this build did not write it: its entries can never be read again by this build.
    pub fn is_stale(&self) -> bool {
        self.engine != cpt_operators::engine::identity()
    }

    /// The name of the table of its entries.
    pub fn table_name(&self) -> String {
        format!("content-{}", config_hash(&(RECORD_FORMAT, self)))
    }

    /// The JSON form stored in [`NAMESPACES`].
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a namespace serialises")
    }

    /// Reads the JSON form stored in [`NAMESPACES`].
    pub fn from_json(json: &str) -> Result<Namespace, String> {
        serde_json::from_str(json).map_err(|e| format!("a namespace record is not valid: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Namespace;
    use cpt_operators::model::AnalysisConfig;

    #[test]
    fn another_configuration_or_engine_is_another_table() {
        let current = Namespace::current(&AnalysisConfig::default());
        assert!(!current.is_stale());
        let narrower = Namespace::current(&AnalysisConfig { max_mean_line_length: 100, ..AnalysisConfig::default() });
        let older = Namespace { engine: "cpt 0.0.1 (analysis 0, grammars 0)".into(), ..current.clone() };
        assert!(older.is_stale());
        assert_ne!(current.table_name(), narrower.table_name());
        assert_ne!(current.table_name(), older.table_name());
        assert_eq!(Namespace::from_json(&current.to_json()), Ok(current));
    }
}
