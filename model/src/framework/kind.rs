//! Whether a property must hold in every state or be reached in some.

/// `always` or `sometimes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Always,
    Sometimes,
}
