//! Regpack's request and answer bodies. Regpack sends ids as numbers and shows them back as
//! strings (`user_info`, `meta_info`); roster reads either form and answers as Regpack does.
//! Every answer's members are in the order roster has always sent them: it built these bodies
//! as sorted JSON maps, so they read alphabetically.
//!
//! The users call has one shape per `action`. Each shape takes its members as sent
//! ([`Member`]) and keeps those it does not read apart (`unknown`), so that the handler judges
//! the whole request and names every bad, misplaced or unknown member at once.

use crate::domain::membership::Price;
use crate::http::dialects::kit::Member;
use crate::service::memberships::Member as GroupMember;
use crate::service::sessions::Login;
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::fmt;
use utoipa::ToSchema;

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

/// The `action` of each shape of the users call: its one value, which picks the shape.
pub mod action {
    use serde::Deserialize;
    use utoipa::ToSchema;

    /// The variant is named as the wire value: utoipa does not read a `rename` a macro passes in.
    macro_rules! action {
        ($name:ident, $value:ident) => {
            #[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
            #[allow(non_camel_case_types)]
            pub enum $name {
                $value,
            }

            impl $name {
                pub fn name(self) -> &'static str {
                    stringify!($value)
                }
            }
        };
    }

    action!(Create, create);
    action!(CreateChild, create_child);
    action!(Login, login);
    action!(Update, update);
    action!(AddEmail, add_email);
    action!(AddProduct, add_product);
    action!(GetInfo, get_info);
    action!(SetStatus, set_status);
}

/// Every action, as the unknown-action error lists them.
pub const ACTIONS: &str =
    "create, create_child, login, update, add_email, add_product, get_info, set_status";

/// Every member a users call can have (each action reads some of them).
pub const MEMBERS: &[&str] = &[
    "action",
    "group_id",
    "clogin_id",
    "doc",
    "connected_to",
    "submit_forms",
    "disable_email_sending",
    "status_id",
];

/// The body of `POST /reg/api2/users`: one schema per `action`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(as = RegpackUsersRequest, discriminator(property_name = "action", mapping(
    ("create" = "#/components/schemas/RegpackCreateRequest"),
    ("create_child" = "#/components/schemas/RegpackCreateChildRequest"),
    ("login" = "#/components/schemas/RegpackLoginRequest"),
    ("update" = "#/components/schemas/RegpackUpdateRequest"),
    ("add_email" = "#/components/schemas/RegpackAddEmailRequest"),
    ("add_product" = "#/components/schemas/RegpackAddProductRequest"),
    ("get_info" = "#/components/schemas/RegpackGetInfoRequest"),
    ("set_status" = "#/components/schemas/RegpackSetStatusRequest"),
)))]
pub enum UsersRequest {
    Create(CreateRequest),
    CreateChild(CreateChildRequest),
    Login(LoginRequest),
    Update(UpdateRequest),
    AddEmail(AddEmailRequest),
    AddProduct(AddProductRequest),
    GetInfo(GetInfoRequest),
    SetStatus(SetStatusRequest),
    /// No `action`, or one Regpack does not have, which the handler refuses in its words. It
    /// is no shape of the contract: utoipa leaves out a variant serde would not serialize.
    #[serde(skip_serializing)]
    Unknown(UnknownAction),
}

/// A users call whose `action` is none of Regpack's.
#[derive(Debug, Deserialize)]
pub struct UnknownAction {
    #[serde(default)]
    pub action: Member,
}

/// Declares one shape of the users call: its `action`, the members it reads of its own, and
/// those every shape has: `group_id`, `submit_forms`, `disable_email_sending`, and the members
/// it does not read, kept apart to be refused by name.
macro_rules! users_call {
    (
        $(#[$($attr:tt)*])*
        pub struct $name:ident(action::$action:ident) { $($members:tt)* }
    ) => {
        #[derive(Debug, Deserialize, ToSchema)]
        $(#[$($attr)*])*
        pub struct $name {
            #[schema(inline)]
            pub action: action::$action,
            /// The group (project); it must belong to the organization of `Api-id`. An integer or
            /// a string of digits, as every id here.
            #[serde(default)]
            #[schema(value_type = i64, required = true)]
            pub group_id: Member,
            $($members)*
            /// Accepted and ignored: roster has no forms.
            #[serde(default)]
            #[schema(value_type = Option<bool>)]
            pub submit_forms: Member,
            /// `true`: no invite email. Default `false`.
            #[serde(default)]
            #[schema(value_type = Option<bool>)]
            pub disable_email_sending: Member,
            #[serde(flatten)]
            #[schema(ignore)]
            pub unknown: Map<String, Value>,
        }
    };
}

users_call! {
    /// `create`: a new person in the group, or an existing person of the organization (by
    /// primary or secondary email) joining it. With a password the new user is active; without,
    /// invited (and sent the invite email unless `disable_email_sending`).
    #[schema(as = RegpackCreateRequest, example = json!({
        "action": "create",
        "group_id": 100909072,
        "doc": {"email": "miles@example.com", "first_name": "Miles", "last_name": "Davis",
                "phone": "+15555555555"},
        "disable_email_sending": true
    }))]
    pub struct CreateRequest(action::Create) {
        #[serde(default)]
        #[schema(value_type = NewUserDoc, required = true)]
        pub doc: Member,
    }
}

/// The profile of a new user. `email` is required by `create` only.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = RegpackNewUserDoc)]
pub struct NewUserDoc {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "miles@example.com", format = Email, max_length = 254)]
    pub email: Member,
    /// Letters, spaces, hyphens, apostrophes and periods; at most 100 characters.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Miles", min_length = 1, max_length = 100)]
    pub first_name: Member,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "Davis", min_length = 1, max_length = 100)]
    pub last_name: Member,
    /// International format, `+` and 8 to 15 digits (spaces, hyphens, dots and parentheses
    /// between them are dropped).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "+15555555555", pattern = r"^\+[0-9]{8,15}$")]
    pub phone: Member,
    /// 8 to 255 characters; makes the new user active at once.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 8, max_length = 255)]
    pub password: Member,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

users_call! {
    /// `create_child`: a new user linked to a parent, in the group. The parent is the acting
    /// `clogin_id` (which Regpack requires on every call but `create`) or `connected_to`; send
    /// either, or both naming the same parent (a 400 otherwise).
    #[schema(as = RegpackCreateChildRequest, example = json!({
        "action": "create_child",
        "group_id": 100909072,
        "clogin_id": 102670540,
        "connected_to": 102670540,
        "doc": {"first_name": "Erin", "last_name": "Davis"}
    }))]
    pub struct CreateChildRequest(action::CreateChild) {
        /// The parent's `clogin_id`: the person acting for the child.
        #[serde(default)]
        #[schema(value_type = Option<i64>)]
        pub clogin_id: Member,
        /// The parent's `clogin_id` again, as Regpack's family systems link a child.
        #[serde(default)]
        #[schema(value_type = Option<i64>)]
        pub connected_to: Member,
        #[serde(default)]
        #[schema(value_type = Option<NewUserDoc>)]
        pub doc: Member,
    }
}

users_call! {
    /// `login`: opens a session for a member of the group. `clogin_id` is required, as on every
    /// call but `create`, and the email must be that user's (401 otherwise).
    #[schema(as = RegpackLoginRequest, example = json!({
        "action": "login",
        "group_id": 100909072,
        "clogin_id": 102670540,
        "doc": {"email": "miles@example.com", "password": "kind-of-blue-1959"}
    }))]
    pub struct LoginRequest(action::Login) {
        #[serde(default)]
        #[schema(value_type = i64, required = true)]
        pub clogin_id: Member,
        #[serde(default)]
        #[schema(value_type = LoginDoc, required = true)]
        pub doc: Member,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = RegpackLoginDoc)]
pub struct LoginDoc {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "miles@example.com", format = Email, max_length = 254)]
    pub email: Member,
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 8, max_length = 255)]
    pub password: Member,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

users_call! {
    /// `update`: edits the person's profile (the same in every group). The email cannot change
    /// here (see `add_email`).
    #[schema(as = RegpackUpdateRequest, example = json!({
        "action": "update",
        "group_id": 100909072,
        "clogin_id": 102670540,
        "doc": {"phone": "+15555550123", "last_name": "Davis"}
    }))]
    pub struct UpdateRequest(action::Update) {
        #[serde(default)]
        #[schema(value_type = i64, required = true)]
        pub clogin_id: Member,
        #[serde(default)]
        #[schema(value_type = UpdateDoc, required = true)]
        pub doc: Member,
    }
}

/// At least one member (an empty `doc` is a 400); null clears a name or the phone.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = RegpackUpdateDoc)]
pub struct UpdateDoc {
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub first_name: Member,
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub last_name: Member,
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = r"^\+[0-9]{8,15}$")]
    pub phone: Member,
    /// 8 to 255 characters. Cannot be null: a password cannot be cleared.
    #[serde(default)]
    #[schema(value_type = String, required = false, min_length = 8, max_length = 255)]
    pub password: Member,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

users_call! {
    /// `add_email`: gives the person another address they can be found (and enrolled) by.
    #[schema(as = RegpackAddEmailRequest, example = json!({
        "action": "add_email",
        "group_id": 100909072,
        "clogin_id": 102670540,
        "doc": {"email": "miles.davis@example.org"}
    }))]
    pub struct AddEmailRequest(action::AddEmail) {
        #[serde(default)]
        #[schema(value_type = i64, required = true)]
        pub clogin_id: Member,
        #[serde(default)]
        #[schema(value_type = EmailDoc, required = true)]
        pub doc: Member,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = RegpackEmailDoc)]
pub struct EmailDoc {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "miles.davis@example.org", format = Email, max_length = 254)]
    pub email: Member,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

users_call! {
    /// `add_product`: adds a product of the organization to the member's order in the group.
    #[schema(as = RegpackAddProductRequest, example = json!({
        "action": "add_product",
        "group_id": 100909072,
        "clogin_id": 102670540,
        "doc": {"product_id": 5521}
    }))]
    pub struct AddProductRequest(action::AddProduct) {
        #[serde(default)]
        #[schema(value_type = i64, required = true)]
        pub clogin_id: Member,
        #[serde(default)]
        #[schema(value_type = ProductDoc, required = true)]
        pub doc: Member,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = RegpackProductDoc)]
pub struct ProductDoc {
    /// An integer or a string of digits.
    #[serde(default)]
    #[schema(value_type = i64, required = true)]
    pub product_id: Member,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

/// An empty `doc`: the actions that read none refuse any member.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = RegpackEmptyDoc, max_properties = 0)]
pub struct EmptyDoc {
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

users_call! {
    /// `get_info`: the member, unchanged.
    #[schema(as = RegpackGetInfoRequest, example = json!({
        "action": "get_info",
        "group_id": 100909072,
        "clogin_id": 102670540
    }))]
    pub struct GetInfoRequest(action::GetInfo) {
        #[serde(default)]
        #[schema(value_type = i64, required = true)]
        pub clogin_id: Member,
        #[serde(default)]
        #[schema(value_type = Option<EmptyDoc>)]
        pub doc: Member,
    }
}

users_call! {
    /// `set_status`: sets the member's organization-defined status in the group.
    #[schema(as = RegpackSetStatusRequest, example = json!({
        "action": "set_status",
        "group_id": 100909072,
        "clogin_id": 102670540,
        "doc": {},
        "status_id": 0
    }))]
    pub struct SetStatusRequest(action::SetStatus) {
        #[serde(default)]
        #[schema(value_type = i64, required = true)]
        pub clogin_id: Member,
        /// `0` removes the member's status; any other value is the id of a status of the
        /// organization (from `POST /reg/api2/statuses`).
        #[serde(default)]
        #[schema(value_type = i64, required = true, minimum = 0)]
        pub status_id: Member,
        #[serde(default)]
        #[schema(value_type = Option<EmptyDoc>)]
        pub doc: Member,
    }
}

/// The body of `POST /reg/api2/statuses`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackStatusesRequest, example = json!({
    "action": "create",
    "group_id": 100909072,
    "doc": {"status_name": "Paid in full", "color": "#2e7d32", "is_excluded": false}
}))]
pub struct StatusesBody {
    // A string, so that another action is refused in Regpack's words, not serde's.
    #[schema(inline, value_type = action::Create)]
    pub action: String,
    /// Optional; when sent, it must be a group of the organization.
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<Id>,
    #[schema(required = true, nullable = false)]
    pub doc: Option<StatusDoc>,
}

/// A new status of the organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackStatusDoc)]
pub struct StatusDoc {
    /// Unique in the organization; at most 200 characters.
    #[schema(example = "Paid in full", min_length = 1, max_length = 200)]
    pub status_name: String,
    /// `#rgb` or `#rrggbb`.
    #[schema(example = "#2e7d32", pattern = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    pub color: String,
    /// Default `false`.
    #[serde(default)]
    #[schema(required = false)]
    pub is_excluded: bool,
}

/// `{"msg_type": "success"}`, on every users answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum SuccessType {
    Success,
}

/// `{"msg_type": "info"}`, on a status created.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum InfoType {
    Info,
}

/// The answer of every users action: the member after the call.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RegpackUsersAnswer)]
pub struct UsersAnswer {
    /// 1 when the call changed the member; 0 for `login` and `get_info`.
    #[schema(minimum = 0, maximum = 1)]
    effected_users: u8,
    meta_info: MetaInfo,
    #[schema(value_type = String)]
    msg: &'static str,
    #[schema(inline)]
    msg_type: SuccessType,
    profile: Profile,
    /// Always `true`.
    success: bool,
    /// `login` only: the session token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    token: Option<String>,
    /// `login` only: when the session ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    token_expires_at: Option<DateTime<Utc>>,
    user_info: UserInfo,
    /// The member's `clogin_id`.
    users: Vec<i64>,
}

impl UsersAnswer {
    /// The answer about one member after a call that says `msg`. `changed`: whether the call
    /// changed them.
    pub fn new(msg: &'static str, m: &GroupMember, changed: bool) -> Self {
        Self {
            effected_users: u8::from(changed),
            meta_info: MetaInfo::from(m),
            msg,
            msg_type: SuccessType::Success,
            profile: Profile::from(m),
            success: true,
            token: None,
            token_expires_at: None,
            user_info: UserInfo::from(m),
            users: vec![m.user.number],
        }
    }

    /// The answer to a login: the member and their session.
    pub fn logged_in(m: &GroupMember, login: Login) -> Self {
        Self {
            token: Some(login.token),
            token_expires_at: Some(login.session.expires_at),
            ..Self::new("User logged in successfully.", m, false)
        }
    }
}

/// Who the answer is about, in which group. Ids as strings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RegpackUserInfo)]
struct UserInfo {
    #[schema(example = "102670540")]
    clogin_id: String,
    /// The parent's `clogin_id` for a child; the user's own for everyone else.
    #[schema(example = "102670540")]
    connected_to: String,
    #[schema(example = "100909072")]
    group_id: String,
}

impl From<&GroupMember> for UserInfo {
    fn from(m: &GroupMember) -> Self {
        Self {
            clogin_id: m.user.number.to_string(),
            connected_to: m.connected_to.to_string(),
            group_id: m.group.id.to_string(),
        }
    }
}

/// A summary of the membership. Roster has no forms: their counts are always `"0"`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RegpackMetaInfo)]
struct MetaInfo {
    #[schema(example = "0")]
    completed_forms: &'static str,
    products: Vec<Product>,
    /// `#rrggbb`
    status_color: Option<String>,
    /// `"0"`: no status.
    #[schema(example = "0")]
    status_id: String,
    status_name: Option<String>,
    #[schema(example = "0")]
    total_forms: &'static str,
    /// The sum of the products' prices.
    #[schema(example = "120.00")]
    total_order: String,
    /// First and last name.
    #[schema(example = "Miles Davis")]
    u_name: String,
}

impl From<&GroupMember> for MetaInfo {
    fn from(m: &GroupMember) -> Self {
        let status = m.membership.status.as_ref();
        Self {
            completed_forms: "0",
            products: m
                .products
                .iter()
                .map(|p| Product {
                    name: p.name.clone(),
                    price: Price::from_cents(p.price_cents).to_string(),
                    product_id: p.product_id.to_string(),
                })
                .collect(),
            status_color: status.map(|s| s.color.clone()),
            status_id: status.map_or("0".to_owned(), |s| s.id.to_string()),
            status_name: status.map(|s| s.name.clone()),
            total_forms: "0",
            total_order: m.membership.total.to_string(),
            u_name: [m.user.first_name.as_deref(), m.user.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RegpackProduct)]
struct Product {
    name: String,
    /// In the currency's units, two decimals: `"120.00"`.
    #[schema(example = "120.00")]
    price: String,
    #[schema(example = "5521")]
    product_id: String,
}

/// The person's profile, the same in every group.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RegpackProfile)]
struct Profile {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    secondary_emails: Vec<String>,
}

impl From<&GroupMember> for Profile {
    fn from(m: &GroupMember) -> Self {
        Self {
            email: m.user.email.clone(),
            first_name: m.user.first_name.clone(),
            last_name: m.user.last_name.clone(),
            phone: m.user.phone_number.clone(),
            secondary_emails: m.secondary_emails.clone(),
        }
    }
}

/// The answer of `POST /reg/api2/statuses`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RegpackStatusCreated, example = json!({
    "msg": "Status created successfully.", "msg_type": "info", "status_id": 76867, "success": true
}))]
pub struct StatusCreated {
    #[schema(value_type = String)]
    msg: &'static str,
    #[schema(inline)]
    msg_type: InfoType,
    /// The new status's id, for `set_status`.
    status_id: i64,
    success: bool,
}

impl StatusCreated {
    pub fn new(status_id: i64) -> Self {
        Self {
            msg: "Status created successfully.",
            msg_type: InfoType::Info,
            status_id,
            success: true,
        }
    }
}

/// The answer the examples show: the member Miles Davis after a call that says `msg`, with
/// `changes` laid over it (objects merge, anything else replaces).
pub fn answer_example(msg: &str, effected_users: u8, changes: Value) -> Value {
    let mut answer = json!({
        "msg": msg, "msg_type": "success", "success": true,
        "users": [102670540], "effected_users": effected_users,
        "user_info": {"clogin_id": "102670540", "group_id": "100909072", "connected_to": "102670540"},
        "meta_info": {"u_name": "Miles Davis", "total_forms": "0", "completed_forms": "0",
            "status_id": "0", "status_name": null, "status_color": null, "total_order": "0.00",
            "products": []},
        "profile": {"email": "miles@example.com", "secondary_emails": [], "first_name": "Miles",
            "last_name": "Davis", "phone": "+15555555555"}
    });
    overlay(&mut answer, changes);
    answer
}

fn overlay(base: &mut Value, changes: Value) {
    match (base, changes) {
        (Value::Object(base), Value::Object(changes)) => {
            for (key, value) in changes {
                overlay(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, value) => *base = value,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// The discriminator's mapping names schemas by hand: each must exist, with that action.
    #[test]
    fn every_action_maps_to_its_schema() {
        let doc = serde_json::to_value(super::super::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let mapping = schemas["RegpackUsersRequest"]["discriminator"]["mapping"]
            .as_object()
            .unwrap();
        let actions: Vec<&str> = super::ACTIONS.split(", ").collect();
        assert_eq!(mapping.len(), actions.len());
        for action in actions {
            let target = mapping[action].as_str().unwrap();
            let name = target.trim_start_matches("#/components/schemas/");
            let allowed = &schemas[name]["properties"]["action"]["enum"];
            assert_eq!(allowed, &Value::from(vec![action]), "{name}");
        }
    }
}
