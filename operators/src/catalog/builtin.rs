//! The built-in catalogue: the YAML files of `datasets/catalog/`, embedded in the binary and named
//! by their path in the repository (as diagnostics print them).

use crate::catalog::load::CatalogSource;

/// The embedded files: (path in the repository, text).
const FILES: [(&str, &str); 5] = [
    ("datasets/catalog/data.yaml", include_str!("../../../datasets/catalog/data.yaml")),
    ("datasets/catalog/control.yaml", include_str!("../../../datasets/catalog/control.yaml")),
    ("datasets/catalog/structural.yaml", include_str!("../../../datasets/catalog/structural.yaml")),
    ("datasets/catalog/behavioral.yaml", include_str!("../../../datasets/catalog/behavioral.yaml")),
    ("datasets/catalog/security.yaml", include_str!("../../../datasets/catalog/security.yaml")),
];

/// The built-in catalogue's files.
pub fn builtin_sources() -> Vec<CatalogSource> {
    FILES.iter().map(|(name, text)| CatalogSource { name: name.to_string(), text: text.to_string() }).collect()
}
