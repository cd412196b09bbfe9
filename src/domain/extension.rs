//! Attributes of a user that roster keeps for the API that sent them and does not interpret,
//! such as SCIM's Enterprise User extension (employeeNumber, department, manager...).

use serde_json::{Map, Value};

/// One extension schema's attributes of a user, as sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extension {
    /// The extension's name (a SCIM schema URN).
    pub schema: String,
    /// Empty: the user has none (and a stored one is removed).
    pub attributes: Map<String, Value>,
}
