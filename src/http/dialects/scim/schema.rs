//! Discovery (RFC 7644 4, RFC 7643 5-7): what this service provider supports, exactly.

use serde_json::{json, Value};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The most resources one list answers, and the most operations of one bulk request.
pub const MAX_RESULTS: u32 = 200;
pub const MAX_OPERATIONS: usize = 100;
pub const MAX_PAYLOAD: usize = 64 * 1024;

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC],
        "documentationUri": "https://github.com/roster/roster#scim-20",
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API key",
            "description": "The tenant's roster API key, as Authorization: Bearer <key>",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    })
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A person of the tenant",
            "schema": USER,
            "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")}
        }),
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A group of the tenant's users",
            "schema": GROUP,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")}
        }),
    ]
}

#[derive(Clone, Copy)]
struct A {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &'static str,
    uniqueness: &'static str,
}

const fn a(name: &'static str) -> A {
    A {
        name,
        kind: "string",
        multi: false,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        uniqueness: "none",
    }
}

fn attr(x: A, description: &str, subs: &[Value]) -> Value {
    let mut v = json!({
        "name": x.name,
        "type": x.kind,
        "multiValued": x.multi,
        "description": description,
        "required": x.required,
        "caseExact": x.case_exact,
        "mutability": x.mutability,
        "returned": "default",
        "uniqueness": x.uniqueness,
    });
    if !subs.is_empty() {
        v["subAttributes"] = json!(subs);
    }
    v
}

fn multi(name: &'static str, description: &str) -> Value {
    attr(
        A {
            kind: "complex",
            multi: true,
            ..a(name)
        },
        description,
        &[
            attr(a("value"), "The value", &[]),
            attr(
                A {
                    mutability: "readOnly",
                    ..a("type")
                },
                "Always \"work\": roster keeps one",
                &[],
            ),
            attr(
                A {
                    kind: "boolean",
                    mutability: "readOnly",
                    ..a("primary")
                },
                "Always true: roster keeps one",
                &[],
            ),
        ],
    )
}

pub fn schemas(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": [SCHEMA],
        "id": USER,
        "name": "User",
        "description": "A roster user",
        "attributes": [
            attr(A { required: true, uniqueness: "server", ..a("userName") }, "The username, unique in the tenant, compared ignoring case", &[]),
            attr(a("name"), "The person's name", &[]).as_object().cloned().map(|mut o| {
                o.insert("type".into(), json!("complex"));
                o.insert("subAttributes".into(), json!([
                    attr(a("givenName"), "First name", &[]),
                    attr(a("familyName"), "Last name", &[]),
                ]));
                Value::Object(o)
            }).unwrap_or_default(),
            attr(A { mutability: "readOnly", ..a("displayName") }, "First and last name", &[]),
            multi("emails", "The primary one is the user's email, unique in the tenant"),
            multi("phoneNumbers", "The primary one is the user's phone"),
            attr(A { kind: "boolean", required: true, ..a("active") }, "false deactivates the user (sessions end), true reactivates. Required because every roster user is active or not: it cannot be removed, and a POST without it creates an active user", &[]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER}")}
    });
    let group = json!({
        "schemas": [SCHEMA],
        "id": GROUP,
        "name": "Group",
        "description": "A roster group",
        "attributes": [
            attr(A { required: true, ..a("displayName") }, "The group's name", &[]),
            attr(A { kind: "complex", multi: true, ..a("members") }, "The users in the group", &[
                attr(A { mutability: "immutable", ..a("value") }, "A user's id", &[]),
                attr(A { mutability: "immutable", kind: "reference", ..a("$ref") }, "The user's URL", &[])
                    .as_object().cloned().map(|mut o| {
                        o.insert("referenceTypes".into(), json!(["User"]));
                        Value::Object(o)
                    }).unwrap_or_default(),
                attr(A { mutability: "readOnly", ..a("type") }, "Always \"User\"", &[]),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP}")}
    });
    let enterprise = json!({
        "schemas": [SCHEMA],
        "id": ENTERPRISE_USER,
        "name": "EnterpriseUser",
        "description": "Enterprise User: kept as the identity provider sends it; roster does not interpret it",
        "attributes": [
            attr(a("employeeNumber"), "The employee number", &[]),
            attr(a("costCenter"), "The cost center", &[]),
            attr(a("organization"), "The organization", &[]),
            attr(a("division"), "The division", &[]),
            attr(a("department"), "The department", &[]),
            attr(A { kind: "complex", ..a("manager") }, "The user's manager", &[
                attr(a("value"), "The manager's id", &[]),
                attr(A { kind: "reference", ..a("$ref") }, "The manager's URL", &[])
                    .as_object().cloned().map(|mut o| {
                        o.insert("referenceTypes".into(), json!(["User"]));
                        Value::Object(o)
                    }).unwrap_or_default(),
                attr(A { mutability: "readOnly", ..a("displayName") }, "The manager's name", &[]),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{ENTERPRISE_USER}")}
    });
    vec![user, enterprise, group]
}
