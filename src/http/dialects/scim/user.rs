//! roster's user as a SCIM User resource, and back. PATCH operations are applied to the
//! resource as JSON (RFC 7644 3.5.2), and the result is read back like a PUT: one path from
//! what the client wants to what roster changes.

use super::error::{ScimError, ScimType};
use super::filter::{matches, member, parse_path, Filter, Op, PatchPath};
use super::schema::{ENTERPRISE_USER, USER};
use crate::domain::fields::{Email, ExternalId, PersonName, Phone};
use crate::domain::user::{Change, NewUser, Roles, UserPatch};
use crate::domain::username::Username;
use crate::domain::{DomainError, FieldError, FieldErrors, Status};
use crate::service::UserView;
use serde_json::{json, Map, Value};

/// The wire form of a user.
pub fn resource(view: &UserView, base: &str) -> Value {
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
        name.insert("formatted".into(), json!(formatted));
        r["displayName"] = json!(formatted);
        r["name"] = Value::Object(name);
    }
    if let Some(e) = &u.email {
        r["emails"] = json!([{"value": e, "type": "work", "primary": true}]);
    }
    if let Some(p) = &u.phone_number {
        r["phoneNumbers"] = json!([{"value": p, "type": "work", "primary": true}]);
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
                w.first_name = errors.take(PersonName::parse("name.givenName", g));
            }
            if let Some(f) = text(member(name, "familyName"), "name.familyName", &mut errors) {
                w.last_name = errors.take(PersonName::parse("name.familyName", f));
            }
        }
        let phone = primary(member(r, "phoneNumbers"), "phoneNumbers", &mut errors);
        if let Some(p) = text(phone, "phoneNumbers.value", &mut errors) {
            w.phone = errors.take(Phone::parse("phoneNumbers", p));
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
            Err(DomainError::Invalid(fields)) => Err(invalid(&fields)),
            Err(other) => Err(other.into()),
        }
    }

    /// A new user: active unless `active` is false (then deactivated after the creation).
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

    /// The profile edit that makes a user this: every attribute set or cleared. (An email
    /// cannot be cleared: a user without `emails` keeps theirs.)
    pub fn replacement(&self) -> UserPatch {
        fn change<T: Clone>(v: &Option<T>) -> Change<T> {
            v.clone().map_or(Change::Clear, Change::Set)
        }
        UserPatch {
            email: self.email.clone(),
            username: change(&self.username),
            external_id: change(&self.external_id),
            first_name: change(&self.first_name),
            last_name: change(&self.last_name),
            phone_number: change(&self.phone),
            ..UserPatch::default()
        }
    }
}

fn invalid(errors: &[FieldError]) -> ScimError {
    ScimError::bad(
        ScimType::InvalidValue,
        errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Attributes a client may not write: changing them is refused, sending them as they are is not.
const READ_ONLY: &[&str] = &["id", "meta", "groups", "schemas"];

/// Applies PATCH operations (RFC 7644 3.5.2) to a resource.
pub fn apply_patch(resource: &mut Value, operations: &[Value]) -> Result<(), ScimError> {
    for (i, op) in operations.iter().enumerate() {
        let name = member(op, "op").and_then(Value::as_str).ok_or_else(|| {
            ScimError::bad(
                ScimType::InvalidSyntax,
                format!("Operations[{i}].op must be add, replace or remove"),
            )
        })?;
        // Entra sends "Replace", "Add", "Remove".
        let kind = match name.to_ascii_lowercase().as_str() {
            "add" => Kind::Add,
            "replace" => Kind::Replace,
            "remove" => Kind::Remove,
            _ => {
                return Err(ScimError::bad(
                    ScimType::InvalidSyntax,
                    format!("Operations[{i}].op {name:?} is not add, replace or remove"),
                ))
            }
        };
        let value = member(op, "value").cloned();
        let path = match member(op, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.trim().is_empty() => None,
            Some(Value::String(p)) => {
                Some(parse_path(p).map_err(|e| ScimError::bad(ScimType::InvalidPath, e))?)
            }
            Some(_) => {
                return Err(ScimError::bad(
                    ScimType::InvalidPath,
                    format!("Operations[{i}].path must be a string"),
                ))
            }
        };
        match (path, kind) {
            (None, Kind::Remove) => {
                return Err(ScimError::bad(
                    ScimType::NoTarget,
                    format!("Operations[{i}]: remove needs a path"),
                ))
            }
            (None, _) => {
                // No path: the value is an object of attributes (keys may be paths, or an
                // extension's URN holding its attributes).
                let Some(Value::Object(attrs)) = value else {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        format!("Operations[{i}]: without a path, value must be an object"),
                    ));
                };
                for (key, v) in attrs {
                    if key.eq_ignore_ascii_case(ENTERPRISE_USER) {
                        set_member(resource, ENTERPRISE_USER, v, kind);
                        continue;
                    }
                    let path =
                        parse_path(&key).map_err(|e| ScimError::bad(ScimType::InvalidPath, e))?;
                    apply_one(resource, &path, Some(v), kind)?;
                }
            }
            (Some(path), kind) => {
                if kind != Kind::Remove && value.is_none() {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        format!("Operations[{i}]: {name} needs a value"),
                    ));
                }
                apply_one(resource, &path, value, kind)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// The object a path's attribute lives in: the resource, or an extension's object.
fn container<'a>(resource: &'a mut Value, path: &PatchPath) -> Result<&'a mut Value, ScimError> {
    match &path.attr.uri {
        Some(uri) if uri.eq_ignore_ascii_case(ENTERPRISE_USER) => {
            let obj = resource.as_object_mut().expect("a resource is an object");
            let key = obj
                .keys()
                .find(|k| k.eq_ignore_ascii_case(ENTERPRISE_USER))
                .cloned()
                .unwrap_or_else(|| ENTERPRISE_USER.to_owned());
            let ext = obj.entry(key).or_insert_with(|| json!({}));
            if !ext.is_object() {
                *ext = json!({});
            }
            Ok(ext)
        }
        Some(uri) if !uri.eq_ignore_ascii_case(USER) => Err(ScimError::bad(
            ScimType::InvalidPath,
            format!("{uri} is not a schema of User"),
        )),
        _ => Ok(resource),
    }
}

fn apply_one(
    resource: &mut Value,
    path: &PatchPath,
    value: Option<Value>,
    kind: Kind,
) -> Result<(), ScimError> {
    let attr = path.attr.attr.as_str();
    if READ_ONLY.iter().any(|r| attr.eq_ignore_ascii_case(r)) {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("{attr} is read-only"),
        ));
    }
    let target = container(resource, path)?;
    let value = value.unwrap_or(Value::Null);
    if let Some(filter) = &path.filter {
        return apply_filtered(target, attr, filter, path.sub.as_deref(), value, kind);
    }
    match &path.attr.sub {
        None => set_member(target, attr, value, kind),
        Some(sub) => {
            let parent = member_mut_or_insert(target, attr);
            if !parent.is_object() {
                *parent = json!({});
            }
            set_member(parent, sub, value, kind);
        }
    }
    Ok(())
}

/// `emails[type eq "work"].value`: changes the values of `attr` that match `filter`. An add or
/// replace that matches none adds a value made from the filter's equalities (identity
/// providers write a work email that way).
fn apply_filtered(
    target: &mut Value,
    attr: &str,
    filter: &Filter,
    sub: Option<&str>,
    value: Value,
    kind: Kind,
) -> Result<(), ScimError> {
    let list = member_mut_or_insert(target, attr);
    if !list.is_array() {
        *list = json!([]);
    }
    let items = list.as_array_mut().expect("made an array");
    let hits: Vec<usize> = (0..items.len())
        .filter(|i| matches(filter, &items[*i]))
        .collect();
    match (kind, sub) {
        (Kind::Remove, None) => {
            let mut i = 0;
            items.retain(|_| {
                i += 1;
                !hits.contains(&(i - 1))
            });
        }
        (Kind::Remove, Some(sub)) => {
            for &i in &hits {
                if let Some(o) = items[i].as_object_mut() {
                    o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                }
            }
        }
        (_, sub) if hits.is_empty() => {
            let mut item = equalities(filter);
            match sub {
                Some(sub) => {
                    item.insert(sub.to_owned(), value);
                }
                None => {
                    if let Value::Object(o) = value {
                        item.extend(o);
                    }
                }
            }
            items.push(Value::Object(item));
        }
        (_, Some(sub)) => {
            for &i in &hits {
                set_member(&mut items[i], sub, value.clone(), Kind::Replace);
            }
        }
        (_, None) => {
            for &i in &hits {
                match (&mut items[i], &value) {
                    (Value::Object(o), Value::Object(v)) => o.extend(v.clone()),
                    (slot, v) => *slot = v.clone(),
                }
            }
        }
    }
    Ok(())
}

/// The `attr eq value` conditions a filter requires, as an object.
fn equalities(filter: &Filter) -> Map<String, Value> {
    let mut out = Map::new();
    fn walk(f: &Filter, out: &mut Map<String, Value>) {
        match f {
            Filter::Compare(p, Op::Eq, v) => {
                out.insert(p.attr.clone(), v.clone());
            }
            Filter::And(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            _ => {}
        }
    }
    walk(filter, &mut out);
    out
}

fn member_mut_or_insert<'a>(obj: &'a mut Value, name: &str) -> &'a mut Value {
    let o = obj.as_object_mut().expect("an object");
    let key = o
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned());
    o.entry(key).or_insert(Value::Null)
}

/// Adds, replaces or removes one member. Adding to a multi-valued attribute appends; adding
/// an object to an object merges.
fn set_member(obj: &mut Value, name: &str, value: Value, kind: Kind) {
    if !obj.is_object() {
        *obj = json!({});
    }
    if kind == Kind::Remove {
        if let Some(o) = obj.as_object_mut() {
            o.retain(|k, _| !k.eq_ignore_ascii_case(name));
        }
        return;
    }
    let slot = member_mut_or_insert(obj, name);
    match (kind, &mut *slot, value) {
        (Kind::Add, Value::Array(items), Value::Array(new)) => {
            for v in new {
                if !items.contains(&v) {
                    items.push(v);
                }
            }
        }
        (Kind::Add, Value::Array(items), v) => items.push(v),
        (_, Value::Object(o), Value::Object(new)) => {
            for (k, v) in new {
                let key = o
                    .keys()
                    .find(|x| x.eq_ignore_ascii_case(&k))
                    .cloned()
                    .unwrap_or(k);
                o.insert(key, v);
            }
        }
        (_, slot, v) => *slot = v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
