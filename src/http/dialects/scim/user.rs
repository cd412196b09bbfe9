//! roster's user as a SCIM User resource, and back. PATCH operations are applied to the
//! resource as JSON (RFC 7644 3.5.2), and the result is read back like a PUT: one path from
//! what the client wants to what roster changes.

use super::error::{ScimError, ScimType};
use super::filter::member;
use super::schema::{ENTERPRISE_USER, USER};
use crate::domain::extension::Extension;
use crate::domain::fields::{Email, ExternalId, PersonName, Phone};
use crate::domain::user::{Change, NewUser, Roles, UserPatch};
use crate::domain::username::Username;
use crate::domain::{DomainError, FieldError, FieldErrors, Status};
use crate::service::UserView;
use serde_json::{json, Map, Value};

/// The wire form of a user.
pub fn resource(view: &UserView, base: &str, enterprise: Option<&Map<String, Value>>) -> Value {
    let u = &view.user;
    let mut r = json!({
        "schemas": [USER],
        "id": u.id.to_string(),
        "userName": u.username.clone().or_else(|| u.email.clone()).unwrap_or_else(|| u.id.to_string()),
        "active": u.status == Status::Active,
        "meta": {
            "resourceType": "User",
            "created": u.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lastModified": u.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "location": format!("{base}/Users/{}", u.id),
            "version": etag(u.version),
        }
    });
    if let Some(x) = &u.external_id {
        r["externalId"] = json!(x);
    }
    if u.first_name.is_some() || u.last_name.is_some() {
        let mut name = Map::new();
        if let Some(g) = &u.first_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &u.last_name {
            name.insert("familyName".into(), json!(f));
        }
        let formatted = [&u.first_name, &u.last_name]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        r["displayName"] = json!(formatted);
        r["name"] = Value::Object(name);
    }
    if let Some(e) = &u.email {
        r["emails"] = json!([{ "value": e }]);
    }
    if let Some(p) = &u.phone_number {
        r["phoneNumbers"] = json!([{ "value": p }]);
    }
    if let Some(attrs) = enterprise.filter(|a| !a.is_empty()) {
        r["schemas"] = json!([USER, ENTERPRISE_USER]);
        r[ENTERPRISE_USER] = Value::Object(attrs.clone());
    }
    r
}

/// The user as PATCH operations see them: the one email and phone are the primary work ones,
/// so that `emails[type eq "work"]` and `emails[primary eq true]` find them.
pub fn patch_target(r: &Value) -> Value {
    let mut r = r.clone();
    for attr in ["emails", "phoneNumbers"] {
        if let Some(Value::Object(one)) = r.get_mut(attr).and_then(|v| v.get_mut(0)) {
            one.insert("type".into(), json!("work"));
            one.insert("primary".into(), json!(true));
        }
    }
    r
}

/// The weak entity tag of a user version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// A user as a client wants them: every attribute roster keeps, from a whole resource.
#[derive(Debug, Default)]
pub struct Wanted {
    pub username: Option<Username>,
    pub email: Option<Email>,
    pub external_id: Option<ExternalId>,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub active: Option<bool>,
    /// The Enterprise User extension's attributes, kept as sent.
    pub enterprise: Map<String, Value>,
}

/// `true`, `false`, or Entra's `"True"` / `"False"`.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn text<'a>(v: Option<&'a Value>, field: &str, errors: &mut FieldErrors) -> Option<&'a str> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

/// The value of the primary (else the first) of a multi-valued attribute.
fn primary<'a>(v: Option<&'a Value>, field: &str, errors: &mut FieldErrors) -> Option<&'a Value> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let pick = items
                .iter()
                .find(|i| member(i, "primary").and_then(boolean) == Some(true))
                .or_else(|| items.first())?;
            match member(pick, "value") {
                Some(v) => Some(v),
                None => {
                    errors.push(FieldError::new(field, "each value must have a \"value\""));
                    None
                }
            }
        }
        Some(_) => {
            errors.push(FieldError::new(field, "must be an array"));
            None
        }
    }
}

impl Wanted {
    /// Reads a whole User resource (POST, PUT, or the result of a PATCH).
    pub fn read(r: &Value) -> Result<Wanted, ScimError> {
        if !r.is_object() {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                "the body must be a User resource (a JSON object)",
            ));
        }
        let mut errors = FieldErrors::default();
        let mut w = Wanted::default();
        match text(member(r, "userName"), "userName", &mut errors) {
            Some(u) => w.username = errors.take(Username::parse("userName", u)),
            None => errors.push(FieldError::new("userName", "is required")),
        }
        let email = primary(member(r, "emails"), "emails", &mut errors);
        if let Some(e) = text(email, "emails.value", &mut errors) {
            w.email = errors.take(Email::parse("emails", e));
        } else if let Some(u) = &w.username {
            // An email-shaped userName with no emails is the email too.
            w.email = Email::parse("userName", u.as_str()).ok();
        }
        if let Some(x) = text(member(r, "externalId"), "externalId", &mut errors) {
            w.external_id = errors.take(ExternalId::parse("externalId", x));
        }
        if let Some(name) = member(r, "name").filter(|n| !n.is_null()) {
            if let Some(g) = text(member(name, "givenName"), "name.givenName", &mut errors) {
                w.first_name = errors.take(PersonName::from_directory("name.givenName", g));
            }
            if let Some(f) = text(member(name, "familyName"), "name.familyName", &mut errors) {
                w.last_name = errors.take(PersonName::from_directory("name.familyName", f));
            }
        }
        let phone = primary(member(r, "phoneNumbers"), "phoneNumbers", &mut errors);
        if let Some(p) = text(phone, "phoneNumbers.value", &mut errors) {
            w.phone = errors.take(Phone::from_directory("phoneNumbers", p));
        }
        match member(r, ENTERPRISE_USER) {
            None | Some(Value::Null) => {}
            Some(Value::Object(attrs)) => w.enterprise = attrs.clone(),
            Some(_) => errors.push(FieldError::new(ENTERPRISE_USER, "must be an object")),
        }
        match member(r, "active") {
            None | Some(Value::Null) => {}
            Some(v) => match boolean(v) {
                Some(b) => w.active = Some(b),
                None => errors.push(FieldError::new("active", "must be true or false")),
            },
        }
        match errors.finish() {
            Ok(()) => Ok(w),
            Err(DomainError::Invalid(fields)) => Err(ScimError::invalid(&fields)),
            Err(other) => Err(other.into()),
        }
    }

    /// The Enterprise User attributes the user ends with.
    pub fn extension(&self) -> Extension {
        Extension {
            schema: ENTERPRISE_USER.to_owned(),
            attributes: self.enterprise.clone(),
        }
    }

    /// A new user, active (an `active: false` creation deactivates them in the same transaction).
    pub fn new_user(&self) -> NewUser {
        NewUser {
            email: self.email.clone(),
            username: self.username.clone(),
            external_id: self.external_id.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            phone_number: self.phone.clone(),
            status: Status::Active,
            roles: Roles::default(),
            password: None,
            parent_id: None,
            sessions_limit: None,
            groups: Vec::new(),
        }
    }

    /// The profile edit that makes a user this: every attribute set or cleared (a user left
    /// with neither an email nor a username is refused by the domain).
    pub fn replacement(&self) -> UserPatch {
        fn change<T: Clone>(v: &Option<T>) -> Change<T> {
            v.clone().map_or(Change::Clear, Change::Set)
        }
        UserPatch {
            email: change(&self.email),
            username: change(&self.username),
            external_id: change(&self.external_id),
            first_name: change(&self.first_name),
            last_name: change(&self.last_name),
            phone_number: change(&self.phone),
            ..UserPatch::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::dialects::scim::patch::apply_patch;

    fn user() -> Value {
        json!({
            "schemas": [USER], "id": "x", "userName": "ada",
            "name": {"givenName": "Ada", "familyName": "King"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "active": true
        })
    }

    #[test]
    fn entra_patches_with_capitalised_ops_and_string_booleans() {
        let mut u = user();
        apply_patch(
            &mut u,
            &[
                json!({"op": "Replace", "path": "active", "value": "False"}),
                json!({"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "l@example.com"}),
                json!({"op": "Add", "path": "name.familyName", "value": "Lovelace"}),
            ],
        )
        .unwrap();
        let w = Wanted::read(&u).unwrap();
        assert_eq!(w.active, Some(false));
        assert_eq!(w.email.unwrap().as_str(), "l@example.com");
        assert_eq!(w.last_name.unwrap().as_str(), "Lovelace");
    }

    #[test]
    fn okta_patches_without_a_path() {
        let mut u = user();
        apply_patch(
            &mut u,
            &[json!({"op": "replace", "value": {"active": false, "name.givenName": "A"}})],
        )
        .unwrap();
        let w = Wanted::read(&u).unwrap();
        assert_eq!(w.active, Some(false));
        assert_eq!(w.first_name.unwrap().as_str(), "A");
    }

    #[test]
    fn a_missing_work_email_is_added_and_remove_clears() {
        let mut u = json!({"userName": "bob"});
        apply_patch(
            &mut u,
            &[
                json!({"op": "add", "path": "emails[type eq \"work\"].value", "value": "b@example.com"}),
                json!({"op": "remove", "path": "name.givenName"}),
                json!({"op": "add", "path": "phoneNumbers", "value": [{"value": "+15555550100"}]}),
            ],
        )
        .unwrap();
        let w = Wanted::read(&u).unwrap();
        assert_eq!(w.email.unwrap().as_str(), "b@example.com");
        assert!(w.phone.is_some());
    }

    #[test]
    fn bad_operations_are_typed() {
        let mut u = user();
        let e = apply_patch(&mut u, &[json!({"op": "move", "path": "x"})]).unwrap_err();
        assert_eq!(e.code.scim_type, Some(ScimType::InvalidSyntax));
        let e = apply_patch(&mut u, &[json!({"op": "remove"})]).unwrap_err();
        assert_eq!(e.code.scim_type, Some(ScimType::NoTarget));
        let e = apply_patch(
            &mut u,
            &[json!({"op": "replace", "path": "id", "value": "y"})],
        )
        .unwrap_err();
        assert_eq!(e.code.scim_type, Some(ScimType::Mutability));
        let e = apply_patch(
            &mut u,
            &[json!({"op": "replace", "path": "emails[type eq", "value": "y"})],
        )
        .unwrap_err();
        assert_eq!(e.code.scim_type, Some(ScimType::InvalidPath));
    }
}
