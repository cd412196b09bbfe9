//! A SCIM filter on Users, as roster's [`UserQuery`]: the attribute names SCIM uses, mapped to
//! the whitelist the store translates. An attribute roster does not keep is an invalidFilter.

use super::error::{ScimError, ScimType};
use super::filter::{matches, AttrPath, Filter, Op};
use super::schema::USER;
use super::user::boolean;
use crate::domain::query::{Operand, UserField, UserOrder, UserQuery};
use serde_json::{json, Value};

fn refuse(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

/// The user attribute a path names; None for one roster does not keep.
pub fn field(p: &AttrPath) -> Option<UserField> {
    if p.uri
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case(USER))
    {
        return None;
    }
    let sub = p.sub.as_deref().map(str::to_ascii_lowercase);
    Some(
        match (p.attr.to_ascii_lowercase().as_str(), sub.as_deref()) {
            ("id", None) => UserField::Id,
            ("username", None) => UserField::Username,
            ("externalid", None) => UserField::ExternalId,
            ("emails", None | Some("value")) => UserField::Email,
            ("phonenumbers", None | Some("value")) => UserField::Phone,
            ("name", Some("givenname")) => UserField::FirstName,
            ("name", Some("familyname")) => UserField::LastName,
            ("active", None) => UserField::Active,
            ("meta", Some("created")) => UserField::Created,
            ("meta", Some("lastmodified")) => UserField::Modified,
            _ => return None,
        },
    )
}

/// The query a filter on Users means.
pub fn user_query(f: &Filter) -> Result<UserQuery, ScimError> {
    Ok(match f {
        Filter::And(a, b) => user_query(a)?.and(user_query(b)?),
        Filter::Or(a, b) => user_query(a)?.or(user_query(b)?),
        Filter::Not(a) => user_query(a)?.not(),
        Filter::Present(p) => UserQuery::Present(known(p)?),
        Filter::Compare(p, o, v) => comparison(known(p)?, *o, v, p)?,
        Filter::ValuePath(p, inner) => {
            let f = known(p)?;
            if !matches!(f, UserField::Email | UserField::Phone) || p.sub.is_some() {
                return Err(refuse(format!("{p} has no values to filter with [...]")));
            }
            value_filter(f, inner)?
        }
    })
}

fn known(p: &AttrPath) -> Result<UserField, ScimError> {
    field(p).ok_or_else(|| refuse(format!("{p} is not an attribute roster can filter on")))
}

fn comparison(f: UserField, o: Op, v: &Value, p: &AttrPath) -> Result<UserQuery, ScimError> {
    let operand = match (f, v) {
        // `eq null` is "has no value" (RFC 7644 3.4.2.2).
        (_, Value::Null) => {
            return match o {
                Op::Eq => Ok(UserQuery::Present(f).not()),
                Op::Ne => Ok(UserQuery::Present(f)),
                _ => Err(refuse(format!("{p}: only eq and ne compare with null"))),
            }
        }
        (UserField::Active, v) => {
            let b = boolean(v).ok_or_else(|| refuse("active compares with true or false"))?;
            if !matches!(o, Op::Eq | Op::Ne) {
                return Err(refuse("active compares with eq or ne"));
            }
            Operand::Bool(b)
        }
        (UserField::Created | UserField::Modified, Value::String(s)) => {
            let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
                refuse(format!(
                    "{p} compares with a date-time such as 2026-01-31T00:00:00Z"
                ))
            })?;
            Operand::Time(t.with_timezone(&chrono::Utc))
        }
        (UserField::Created | UserField::Modified, _) => {
            return Err(refuse(format!("{p} compares with a date-time string")))
        }
        (_, Value::String(s)) => Operand::Text(s.clone()),
        (_, Value::Number(n)) => Operand::Text(n.to_string()),
        (_, Value::Bool(_)) => return Err(refuse(format!("{p} compares with a string"))),
        (_, _) => return Err(refuse(format!("{p}: not a comparable value"))),
    };
    if f == UserField::Id && !matches!(o, Op::Eq | Op::Ne) {
        return Err(refuse("id compares with eq or ne"));
    }
    Ok(UserQuery::Match(f, o, operand))
}

/// `emails[...]`: roster keeps one email (type work, primary), so a condition on `type` or
/// `primary` is decided by that one value's fixed sub-attributes; one on `value` queries it.
fn value_filter(f: UserField, inner: &Filter) -> Result<UserQuery, ScimError> {
    let fixed = json!({"type": "work", "primary": true});
    Ok(match inner {
        Filter::And(a, b) => value_filter(f, a)?.and(value_filter(f, b)?),
        Filter::Or(a, b) => value_filter(f, a)?.or(value_filter(f, b)?),
        Filter::Not(a) => value_filter(f, a)?.not(),
        Filter::ValuePath(p, _) => return Err(refuse(format!("{p}: value paths do not nest"))),
        Filter::Present(p) | Filter::Compare(p, ..) if p.is("value") => match inner {
            Filter::Present(_) => UserQuery::Present(f),
            Filter::Compare(p, o, v) => comparison(f, *o, v, p)?,
            _ => unreachable!("matched above"),
        },
        other => {
            if matches(other, &fixed) {
                UserQuery::Present(f)
            } else {
                UserQuery::Nothing
            }
        }
    })
}

/// `sortBy` as an order; an attribute roster cannot sort by is an invalidValue.
pub fn order(sort_by: Option<&str>, sort_order: Option<&str>) -> Result<UserOrder, ScimError> {
    let descending = match sort_order.map(str::to_ascii_lowercase).as_deref() {
        None | Some("ascending") => false,
        Some("descending") => true,
        Some(_) => {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "sortOrder must be ascending or descending",
            ))
        }
    };
    let by = match sort_by {
        None => None,
        Some(s) => {
            let p = super::filter::attr_path(s)
                .map_err(|e| ScimError::bad(ScimType::InvalidValue, e))?;
            Some(field(&p).ok_or_else(|| {
                ScimError::bad(ScimType::InvalidValue, format!("cannot sort by {s}"))
            })?)
        }
    };
    Ok(UserOrder { by, descending })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::Compare;
    use crate::http::dialects::scim::filter::parse_filter;

    fn q(s: &str) -> Result<UserQuery, ScimError> {
        user_query(&parse_filter(s).unwrap())
    }

    #[test]
    fn attributes_map_to_the_whitelist() {
        assert_eq!(
            q(r#"userName eq "Ada""#).unwrap(),
            UserQuery::Match(
                UserField::Username,
                Compare::Eq,
                Operand::Text("Ada".into())
            )
        );
        assert_eq!(
            q(r#"emails[type eq "work" and value co "@x.org"]"#).unwrap(),
            UserQuery::Present(UserField::Email).and(UserQuery::Match(
                UserField::Email,
                Compare::Co,
                Operand::Text("@x.org".into())
            ))
        );
        assert_eq!(q(r#"emails[type eq "home"]"#).unwrap(), UserQuery::Nothing);
        assert_eq!(
            q(r#"active eq "False""#).unwrap(),
            UserQuery::Match(UserField::Active, Compare::Eq, Operand::Bool(false))
        );
        assert!(q(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).is_ok());
    }

    #[test]
    fn unknown_attributes_and_bad_values_are_invalid_filters() {
        for bad in [
            r#"title eq "x""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#,
            r#"active gt true"#,
            r#"meta.created gt "yesterday""#,
            r#"id co "1""#,
        ] {
            let e = q(bad).unwrap_err();
            assert_eq!(e.code.scim_type, Some(ScimType::InvalidFilter), "{bad}");
        }
    }
}
