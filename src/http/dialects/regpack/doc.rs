//! Doc-only types: the contract's account of the users call, one schema per action (the
//! handler reads one `wire::UsersBody` and judges it per action in `command`), and of the
//! answers `wire::users_answer`, `statuses` and the error envelope build with `json!`.
//! Nothing constructs them; a change to those must change them too.
#![allow(dead_code)]

use serde::Serialize;
use serde_json::{json, Value};

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

/// One single-valued `action` per schema: the discriminator of the users call.
/// The variant is named as the wire value: utoipa does not read a `rename` a macro passes in.
macro_rules! action {
    ($name:ident, $value:ident) => {
        #[derive(Serialize, utoipa::ToSchema)]
        #[allow(non_camel_case_types)]
        enum $name {
            $value,
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

/// The body of `POST /reg/api2/users`: one schema per `action`.
#[derive(Serialize, utoipa::ToSchema)]
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
}

/// `create`: a new person in the group, or an existing person of the organization (by
/// primary or secondary email) joining it. With a password the new user is active; without,
/// invited (and sent the invite email unless `disable_email_sending`).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackCreateRequest, example = json!({
    "action": "create",
    "group_id": 100909072,
    "doc": {"email": "miles@example.com", "first_name": "Miles", "last_name": "Davis",
            "phone": "+15555555555"},
    "disable_email_sending": true
}))]
pub struct CreateRequest {
    #[schema(inline)]
    action: Create,
    /// The group (project); it must belong to the organization of `Api-id`. An integer or
    /// a string of digits, as every id here.
    group_id: i64,
    doc: NewUserDoc,
    /// Accepted and ignored: roster has no forms.
    submit_forms: Option<bool>,
    /// `true`: no invite email. Default `false`.
    disable_email_sending: Option<bool>,
}

/// The profile of a new user. `email` is required by `create` only.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackNewUserDoc)]
struct NewUserDoc {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(example = "miles@example.com", format = Email, max_length = 254)]
    email: Option<String>,
    /// Letters, spaces, hyphens, apostrophes and periods; at most 100 characters.
    #[schema(example = "Miles", min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(example = "Davis", min_length = 1, max_length = 100)]
    last_name: Option<String>,
    /// International format, `+` and 8 to 15 digits (spaces, hyphens, dots and parentheses
    /// between them are dropped).
    #[schema(example = "+15555555555", pattern = r"^\+[0-9]{8,15}$")]
    phone: Option<String>,
    /// 8 to 255 characters; makes the new user active at once.
    #[schema(min_length = 8, max_length = 255)]
    password: Option<String>,
}

/// `create_child`: a new user linked to a parent, in the group. The parent is the acting
/// `clogin_id` (which Regpack requires on every call but `create`) or `connected_to`; send
/// either, or both naming the same parent (a 400 otherwise).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackCreateChildRequest, example = json!({
    "action": "create_child",
    "group_id": 100909072,
    "clogin_id": 102670540,
    "connected_to": 102670540,
    "doc": {"first_name": "Erin", "last_name": "Davis"}
}))]
pub struct CreateChildRequest {
    #[schema(inline)]
    action: CreateChild,
    group_id: i64,
    /// The parent's `clogin_id`: the person acting for the child.
    clogin_id: Option<i64>,
    /// The parent's `clogin_id` again, as Regpack's family systems link a child.
    connected_to: Option<i64>,
    doc: Option<NewUserDoc>,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

/// `login`: opens a session for a member of the group. `clogin_id` is required, as on every
/// call but `create`, and the email must be that user's (401 otherwise).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackLoginRequest, example = json!({
    "action": "login",
    "group_id": 100909072,
    "clogin_id": 102670540,
    "doc": {"email": "miles@example.com", "password": "kind-of-blue-1959"}
}))]
pub struct LoginRequest {
    #[schema(inline)]
    action: Login,
    group_id: i64,
    clogin_id: i64,
    doc: LoginDoc,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackLoginDoc)]
struct LoginDoc {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(example = "miles@example.com", format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 8, max_length = 255)]
    password: String,
}

/// `update`: edits the person's profile (the same in every group). The email cannot change
/// here (see `add_email`).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackUpdateRequest, example = json!({
    "action": "update",
    "group_id": 100909072,
    "clogin_id": 102670540,
    "doc": {"phone": "+15555550123", "last_name": "Davis"}
}))]
pub struct UpdateRequest {
    #[schema(inline)]
    action: Update,
    group_id: i64,
    clogin_id: i64,
    doc: UpdateDoc,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

/// At least one member (an empty `doc` is a 400); null clears a name or the phone.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackUpdateDoc)]
struct UpdateDoc {
    #[schema(min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    last_name: Option<String>,
    #[schema(pattern = r"^\+[0-9]{8,15}$")]
    phone: Option<String>,
    /// 8 to 255 characters. Cannot be null: a password cannot be cleared.
    #[schema(required = false, min_length = 8, max_length = 255)]
    password: String,
}

/// `add_email`: gives the person another address they can be found (and enrolled) by.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackAddEmailRequest, example = json!({
    "action": "add_email",
    "group_id": 100909072,
    "clogin_id": 102670540,
    "doc": {"email": "miles.davis@example.org"}
}))]
pub struct AddEmailRequest {
    #[schema(inline)]
    action: AddEmail,
    group_id: i64,
    clogin_id: i64,
    doc: EmailDoc,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackEmailDoc)]
struct EmailDoc {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(example = "miles.davis@example.org", format = Email, max_length = 254)]
    email: String,
}

/// `add_product`: adds a product of the organization to the member's order in the group.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackAddProductRequest, example = json!({
    "action": "add_product",
    "group_id": 100909072,
    "clogin_id": 102670540,
    "doc": {"product_id": 5521}
}))]
pub struct AddProductRequest {
    #[schema(inline)]
    action: AddProduct,
    group_id: i64,
    clogin_id: i64,
    doc: ProductDoc,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackProductDoc)]
struct ProductDoc {
    /// An integer or a string of digits.
    product_id: i64,
}

/// An empty `doc`: the actions that read none refuse any member.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackEmptyDoc, max_properties = 0)]
struct EmptyDoc {}

/// `get_info`: the member, unchanged.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackGetInfoRequest, example = json!({
    "action": "get_info",
    "group_id": 100909072,
    "clogin_id": 102670540
}))]
pub struct GetInfoRequest {
    #[schema(inline)]
    action: GetInfo,
    group_id: i64,
    clogin_id: i64,
    doc: Option<EmptyDoc>,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

/// `set_status`: sets the member's organization-defined status in the group.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackSetStatusRequest, example = json!({
    "action": "set_status",
    "group_id": 100909072,
    "clogin_id": 102670540,
    "doc": {},
    "status_id": 0
}))]
pub struct SetStatusRequest {
    #[schema(inline)]
    action: SetStatus,
    group_id: i64,
    clogin_id: i64,
    /// `0` removes the member's status; any other value is the id of a status of the
    /// organization (from `POST /reg/api2/statuses`).
    #[schema(minimum = 0)]
    status_id: i64,
    doc: Option<EmptyDoc>,
    submit_forms: Option<bool>,
    disable_email_sending: Option<bool>,
}

/// `{"msg_type": "success"}`, on every users answer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum SuccessType {
    Success,
}

/// `{"msg_type": "info"}`, on a status created.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum InfoType {
    Info,
}

/// `{"msg_type": "error"}`, on every error.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum ErrorType {
    Error,
}

/// Who the answer is about, in which group. Ids as strings.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackUserInfo)]
struct UserInfo {
    #[schema(example = "102670540")]
    clogin_id: String,
    #[schema(example = "100909072")]
    group_id: String,
    /// The parent's `clogin_id` for a child; the user's own for everyone else.
    #[schema(example = "102670540")]
    connected_to: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackProduct)]
struct Product {
    #[schema(example = "5521")]
    product_id: String,
    name: String,
    /// In the currency's units, two decimals: `"120.00"`.
    #[schema(example = "120.00")]
    price: String,
}

/// A summary of the membership. Roster has no forms: their counts are always `"0"`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackMetaInfo)]
struct MetaInfo {
    /// First and last name.
    #[schema(example = "Miles Davis")]
    u_name: String,
    #[schema(example = "0")]
    total_forms: String,
    #[schema(example = "0")]
    completed_forms: String,
    /// `"0"`: no status.
    #[schema(example = "0")]
    status_id: String,
    status_name: Option<String>,
    /// `#rrggbb`
    status_color: Option<String>,
    /// The sum of the products' prices.
    #[schema(example = "120.00")]
    total_order: String,
    products: Vec<Product>,
}

/// The person's profile, the same in every group.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackProfile)]
struct Profile {
    email: Option<String>,
    secondary_emails: Vec<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
}

/// The answer of every users action: the member after the call.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackUsersAnswer)]
pub struct UsersAnswer {
    msg: String,
    #[schema(inline)]
    msg_type: SuccessType,
    /// Always `true`.
    success: bool,
    /// The member's `clogin_id`.
    users: Vec<i64>,
    /// 1 when the call changed the member; 0 for `login` and `get_info`.
    #[schema(minimum = 0, maximum = 1)]
    effected_users: u8,
    user_info: UserInfo,
    meta_info: MetaInfo,
    profile: Profile,
    /// `login` only: the session token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    token: Option<String>,
    /// `login` only: when the session ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The answer of `POST /reg/api2/statuses`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackStatusCreated, example = json!({
    "msg": "Status created successfully.", "msg_type": "info", "status_id": 76867, "success": true
}))]
pub struct StatusCreated {
    msg: String,
    #[schema(inline)]
    msg_type: InfoType,
    /// The new status's id, for `set_status`.
    status_id: i64,
    success: bool,
}

/// The body of `POST /reg/api2/statuses`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackStatusesRequest, example = json!({
    "action": "create",
    "group_id": 100909072,
    "doc": {"status_name": "Paid in full", "color": "#2e7d32", "is_excluded": false}
}))]
pub struct StatusesRequest {
    #[schema(inline)]
    action: Create,
    /// Optional; when sent, it must be a group of the organization.
    group_id: Option<i64>,
    doc: StatusDoc,
}

/// A new status of the organization.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegpackStatusDoc)]
struct StatusDoc {
    /// Unique in the organization; at most 200 characters.
    #[schema(example = "Paid in full", min_length = 1, max_length = 200)]
    status_name: String,
    /// `#rgb` or `#rrggbb`.
    #[schema(example = "#2e7d32", pattern = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    color: String,
    /// Default `false`.
    #[schema(required = false)]
    is_excluded: bool,
}

/// A field the request got wrong, named by its path (`doc.email`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackFieldError)]
struct FieldError {
    #[schema(example = "doc.email")]
    field: String,
    #[schema(example = "is required")]
    message: String,
}

/// Regpack's error envelope (error.rs): `errors` names the fields when the error is about
/// some.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegpackError, example = json!({
    "msg": "doc.email: is required",
    "msg_type": "error",
    "success": false,
    "errors": [{"field": "doc.email", "message": "is required"}]
}))]
pub struct Error {
    /// Every field error, `field: message`, joined by `; `; or the one reason.
    msg: String,
    #[schema(inline)]
    msg_type: ErrorType,
    /// Always `false`.
    success: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    errors: Vec<FieldError>,
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
        let actions: Vec<&str> = super::super::ACTIONS.split(", ").collect();
        assert_eq!(mapping.len(), actions.len());
        for action in actions {
            let target = mapping[action].as_str().unwrap();
            let name = target.trim_start_matches("#/components/schemas/");
            let allowed = &schemas[name]["properties"]["action"]["enum"];
            assert_eq!(allowed, &Value::from(vec![action]), "{name}");
        }
    }
}
