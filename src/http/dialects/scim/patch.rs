//! PATCH (RFC 7644 3.5.2): operations applied to a resource as JSON. The handler then reads
//! the result back like a PUT, so one path leads from what the client wants to what changes.

use super::error::{ScimError, ScimType};
use super::filter::{matches, member, parse_path, Filter, Op, PatchPath};
use super::schema::{ENTERPRISE_USER, GROUP, USER};
use serde_json::{json, Map, Value};

/// Attributes a client may not write: changing them is refused, sending them as they are is not.
const READ_ONLY: &[&str] = &["id", "meta", "groups", "schemas"];

/// The `Operations` of a PatchOp body.
pub fn operations(body: &Value) -> Result<Vec<Value>, ScimError> {
    match member(body, "Operations") {
        Some(Value::Array(ops)) => Ok(ops.clone()),
        _ => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "a PatchOp body has an Operations array",
        )),
    }
}

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
            // The extension's URN itself: its whole object.
            Some(Value::String(p)) if p.trim().eq_ignore_ascii_case(ENTERPRISE_USER) => {
                set_member(
                    resource,
                    ENTERPRISE_USER,
                    value.unwrap_or(Value::Null),
                    kind,
                );
                continue;
            }
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
        Some(uri) if !uri.eq_ignore_ascii_case(USER) && !uri.eq_ignore_ascii_case(GROUP) => {
            Err(ScimError::bad(
                ScimType::InvalidPath,
                format!("{uri} is not a schema of this resource"),
            ))
        }
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
        // Entra removes group members by value: `{"op": "Remove", "path": "members",
        // "value": [{"value": "<id>"}]}`.
        if let (Value::Array(gone), Some(Value::Array(items))) = (
            &value,
            obj.as_object_mut().and_then(|o| {
                o.iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            }),
        ) {
            let ids: Vec<Option<&Value>> = gone.iter().map(|g| member(g, "value")).collect();
            items.retain(|i| !ids.contains(&member(i, "value")));
            return;
        }
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
