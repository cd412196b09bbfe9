//! Regpack's request and answer bodies. Regpack sends ids as numbers and shows them back as
//! strings (`user_info`, `meta_info`); roster reads either form and answers as Regpack does.

use crate::service::memberships::Member;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::fmt;

/// A numeric id, sent as a JSON integer or as a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer id (a number or a string of digits)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .map(Id)
                    .map_err(|_| E::custom("the id is too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                v.trim().parse().map(Id).map_err(|_| {
                    E::custom("expected an integer id (a number or a string of digits)")
                })
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// `POST /reg/api2/users/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersBody {
    pub action: String,
    pub group_id: Option<Id>,
    pub clogin_id: Option<Id>,
    pub doc: Option<Map<String, Value>>,
    pub connected_to: Option<Id>,
    /// Accepted (it must be a boolean) and ignored: roster has no forms (see the README).
    #[serde(rename = "submit_forms")]
    pub _submit_forms: Option<bool>,
    pub disable_email_sending: Option<bool>,
    pub status_id: Option<Id>,
}

/// `POST /reg/api2/statuses/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusesBody {
    pub action: String,
    /// Optional; when sent, it must be a group of the organization.
    pub group_id: Option<Id>,
    pub doc: Option<StatusDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusDoc {
    pub status_name: String,
    pub color: String,
    #[serde(default)]
    pub is_excluded: bool,
}

/// `user_info`: who the answer is about, in which group.
fn user_info(m: &Member) -> Value {
    json!({
        "clogin_id": m.user.number.to_string(),
        "group_id": m.group.id.to_string(),
        "connected_to": m.connected_to.to_string(),
    })
}

/// `meta_info`: a summary of the membership. Roster has no forms, so their counts are "0".
fn meta_info(m: &Member) -> Value {
    let name = [m.user.first_name.as_deref(), m.user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let status = m.membership.status.as_ref();
    json!({
        "u_name": name,
        "total_forms": "0",
        "completed_forms": "0",
        "status_id": status.map_or("0".to_owned(), |s| s.id.to_string()),
        "status_name": status.map(|s| s.name.clone()),
        "status_color": status.map(|s| s.color.clone()),
        "total_order": m.membership.total.to_string(),
        "products": m.products.iter().map(|p| json!({
            "product_id": p.product_id.to_string(),
            "name": p.name,
            "price": crate::domain::membership::Price::from_cents(p.price_cents).to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// The person's profile (the same in every group).
fn profile(m: &Member) -> Value {
    json!({
        "email": m.user.email,
        "secondary_emails": m.secondary_emails,
        "first_name": m.user.first_name,
        "last_name": m.user.last_name,
        "phone": m.user.phone_number,
    })
}

/// A successful users answer about one member. `changed`: whether the call changed them.
pub fn users_answer(msg: &str, m: &Member, changed: bool) -> Value {
    json!({
        "msg": msg,
        "msg_type": "success",
        "success": true,
        "users": [m.user.number],
        "effected_users": u8::from(changed),
        "user_info": user_info(m),
        "meta_info": meta_info(m),
        "profile": profile(m),
    })
}
