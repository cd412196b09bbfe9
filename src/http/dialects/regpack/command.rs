//! A users call judged whole before anything is read or written: every bad, misplaced or
//! unknown member is named in one 400, in the order the action reads them.

use super::error::RegpackError;
use super::wire::{
    AddEmailRequest, AddProductRequest, CreateChildRequest, CreateRequest, EmailDoc, EmptyDoc,
    GetInfoRequest, Id, LoginDoc, LoginRequest, NewUserDoc, ProductDoc, SetStatusRequest,
    UpdateDoc, UpdateRequest, UsersRequest, ACTIONS, MEMBERS,
};
use crate::domain::fields::{Email, Password, PersonName, Phone};
use crate::domain::membership::status_choice;
use crate::domain::user::{Change, NewUser, UserPatch};
use crate::domain::{FieldError, FieldErrors, Status};
use crate::http::dialects::kit::{Failure, Member};
use crate::service::memberships::Enrollee;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A users call, judged.
pub struct Call {
    pub group: i64,
    /// The `clogin_id` sent, for the errors that name it.
    pub clogin: Option<i64>,
    pub command: Command,
}

pub enum Command {
    Enroll {
        enrollee: Enrollee,
        /// Whether an invited new user is sent the invite email.
        emails: bool,
        /// Where the caller named the parent of a child: the service calls it `connected_to`.
        parent_field: &'static str,
    },
    Login {
        email: Email,
        password: Password,
        clogin_id: i64,
    },
    Update(i64, UserPatch),
    AddEmail(i64, Email),
    AddProduct(i64, i64),
    GetInfo(i64),
    SetStatus(i64, Option<i64>),
}

/// Judges a users call, naming every bad field at once.
pub fn command(request: &UsersRequest) -> Result<Call, RegpackError> {
    match request {
        UsersRequest::Create(r) => create(r),
        UsersRequest::CreateChild(r) => create_child(r),
        UsersRequest::Login(r) => login(r),
        UsersRequest::Update(r) => update(r),
        UsersRequest::AddEmail(r) => add_email(r),
        UsersRequest::AddProduct(r) => add_product(r),
        UsersRequest::GetInfo(r) => get_info(r),
        UsersRequest::SetStatus(r) => set_status(r),
        UsersRequest::Unknown(r) => Err(unknown_action(&r.action)),
    }
}

/// No `action`, or one Regpack does not have: in the words serde and roster have always used.
fn unknown_action(action: &Member) -> RegpackError {
    match &action.0 {
        None => Failure::new(StatusCode::BAD_REQUEST, "missing field `action`"),
        Some(v) => RegpackError::field(
            "action",
            match String::deserialize(v) {
                Ok(a) => format!("unknown action {a:?}; valid actions: {ACTIONS}"),
                Err(e) => e.to_string(),
            },
        ),
    }
}

fn create(r: &CreateRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    if r.unknown.contains_key("clogin_id") {
        j.refuse(
            "clogin_id",
            format!(
                "is not read by {}: a new user gets one, shown in user_info",
                r.action.name()
            ),
        );
    }
    let new = j
        .doc::<NewUserDoc>(&r.doc)
        .and_then(|doc| j.new_user(&doc, true));
    j.misplaced(&r.unknown, &["connected_to", "status_id"]);
    let command = new.map(|new| Command::Enroll {
        enrollee: Enrollee::Person(new),
        emails: j.emails,
        parent_field: "clogin_id",
    });
    j.finish(group, None, command)
}

fn create_child(r: &CreateChildRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let new = j
        .doc::<NewUserDoc>(&r.doc)
        .and_then(|doc| j.new_user(&doc, false));
    let acting = j.read::<Id>("clogin_id", &r.clogin_id);
    let linked = j.read::<Id>("connected_to", &r.connected_to);
    let parent = j.child_parent(r, acting, linked);
    j.misplaced(&r.unknown, &["status_id"]);
    // The service names the parent `connected_to`; the caller may have sent it as the acting
    // `clogin_id`.
    let parent_field = if present(&r.connected_to) {
        "connected_to"
    } else {
        "clogin_id"
    };
    let command = new.zip(parent).map(|(new, parent)| Command::Enroll {
        enrollee: Enrollee::Child { parent, new },
        emails: j.emails,
        parent_field,
    });
    j.finish(group, acting.map(|Id(n)| n), command)
}

fn login(r: &LoginRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let n = j.clogin(&r.clogin_id, r.action.name());
    let doc = j.doc::<LoginDoc>(&r.doc);
    let (email, password) = match &doc {
        Some(doc) => {
            j.only(&doc.unknown, &["email", "password"], r.action.name());
            let email = j
                .required_text("email", &doc.email)
                .and_then(|e| j.take(Email::parse("doc.email", e)));
            let password = j
                .required_text("password", &doc.password)
                .and_then(|p| j.take(Password::parse("doc.password", p)));
            (email, password)
        }
        None => (None, None),
    };
    j.misplaced(&r.unknown, &["connected_to", "status_id"]);
    let command = match (n, email, password) {
        (Some(clogin_id), Some(email), Some(password)) => Some(Command::Login {
            email,
            password,
            clogin_id,
        }),
        _ => None,
    };
    j.finish(group, n, command)
}

fn update(r: &UpdateRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let n = j.clogin(&r.clogin_id, r.action.name());
    let patch = j.doc::<UpdateDoc>(&r.doc).map(|doc| j.patch(&doc));
    j.misplaced(&r.unknown, &["connected_to", "status_id"]);
    let command = n.zip(patch).map(|(n, patch)| Command::Update(n, patch));
    j.finish(group, n, command)
}

fn add_email(r: &AddEmailRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let n = j.clogin(&r.clogin_id, r.action.name());
    let email = j.doc::<EmailDoc>(&r.doc).and_then(|doc| {
        j.only(&doc.unknown, &["email"], r.action.name());
        j.required_text("email", &doc.email)
            .and_then(|e| j.take(Email::parse("doc.email", e)))
    });
    j.misplaced(&r.unknown, &["connected_to", "status_id"]);
    let command = n.zip(email).map(|(n, email)| Command::AddEmail(n, email));
    j.finish(group, n, command)
}

fn add_product(r: &AddProductRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let n = j.clogin(&r.clogin_id, r.action.name());
    let product = j.doc::<ProductDoc>(&r.doc).and_then(|doc| {
        j.only(&doc.unknown, &["product_id"], r.action.name());
        j.required::<Id>("doc.product_id", &doc.product_id, "is required")
    });
    j.misplaced(&r.unknown, &["connected_to", "status_id"]);
    let command = n
        .zip(product)
        .map(|(n, Id(product))| Command::AddProduct(n, product));
    j.finish(group, n, command)
}

fn get_info(r: &GetInfoRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let n = j.clogin(&r.clogin_id, r.action.name());
    if let Some(doc) = j.doc::<EmptyDoc>(&r.doc) {
        j.only(&doc.unknown, &[], r.action.name());
    }
    j.misplaced(&r.unknown, &["connected_to", "status_id"]);
    j.finish(group, n, n.map(Command::GetInfo))
}

fn set_status(r: &SetStatusRequest) -> Result<Call, RegpackError> {
    let mut j = Judge::new(&r.unknown, &r.submit_forms, &r.disable_email_sending);
    let group = j.group(&r.group_id);
    let n = j.clogin(&r.clogin_id, r.action.name());
    if let Some(doc) = j.doc::<EmptyDoc>(&r.doc) {
        j.only(&doc.unknown, &[], r.action.name());
    }
    let status = j
        .required::<Id>(
            "status_id",
            &r.status_id,
            "is required by set_status (0 clears the status)",
        )
        .and_then(|Id(s)| j.take(status_choice("status_id", s)));
    j.misplaced(&r.unknown, &["connected_to"]);
    let command = n
        .zip(status)
        .map(|(n, status)| Command::SetStatus(n, status));
    j.finish(group, n, command)
}

/// Whether a member was sent with a value.
fn present(member: &Member) -> bool {
    !matches!(member.0, None | Some(Value::Null))
}

/// Judges the members of one call, collecting every error.
struct Judge {
    errors: FieldErrors,
    /// Whether the call may send email: not with `disable_email_sending: true`.
    emails: bool,
}

impl Judge {
    /// Starts with what every action refuses or only checks: members no action reads (as
    /// serde has always worded them), `submit_forms`, which must be a boolean and is then
    /// ignored (roster has no forms), and `disable_email_sending`.
    fn new(unknown: &Map<String, Value>, submit_forms: &Member, quiet: &Member) -> Self {
        let mut j = Judge {
            errors: FieldErrors::new(),
            emails: true,
        };
        let expected = MEMBERS
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        for name in unknown.keys().filter(|k| !MEMBERS.contains(&k.as_str())) {
            j.refuse(
                name,
                format!("unknown field `{name}`, expected one of {expected}"),
            );
        }
        j.read::<bool>("submit_forms", submit_forms);
        j.emails = !j
            .read::<bool>("disable_email_sending", quiet)
            .unwrap_or(false);
        j
    }

    fn refuse(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn take<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        self.errors.take(parsed)
    }

    /// A member read as `T`, or refused in serde's words; absent and null are None.
    fn read<T: DeserializeOwned>(&mut self, field: &str, member: &Member) -> Option<T> {
        match &member.0 {
            None | Some(Value::Null) => None,
            Some(v) => match T::deserialize(v) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.refuse(field, e.to_string());
                    None
                }
            },
        }
    }

    /// Like [`Judge::read`], but absent or null is refused with `missing`.
    fn required<T: DeserializeOwned>(
        &mut self,
        field: &str,
        member: &Member,
        missing: impl Into<String>,
    ) -> Option<T> {
        if !present(member) {
            self.refuse(field, missing);
            return None;
        }
        self.read(field, member)
    }

    fn group(&mut self, group_id: &Member) -> Option<i64> {
        self.required::<Id>("group_id", group_id, "is required")
            .map(|Id(g)| g)
    }

    /// The person the call acts on: every action but `create` names one.
    fn clogin(&mut self, clogin_id: &Member, action: &str) -> Option<i64> {
        self.required::<Id>("clogin_id", clogin_id, format!("is required by {action}"))
            .map(|Id(n)| n)
    }

    /// Members of other actions, each refused with what reads it.
    fn misplaced(&mut self, unknown: &Map<String, Value>, members: &[&str]) {
        for member in members.iter().filter(|m| unknown.contains_key(**m)) {
            let message = match *member {
                "connected_to" => {
                    "is read only by create_child, which links a new child to its parent"
                }
                _ => "is read only by set_status",
            };
            self.refuse(member, message);
        }
    }

    /// The `doc`, read as `D`; absent or null reads as an empty one. A `doc` that is not an
    /// object is refused, and its members are not judged.
    fn doc<D: DeserializeOwned>(&mut self, doc: &Member) -> Option<D> {
        let members = if present(doc) {
            self.read::<Map<String, Value>>("doc", doc)?
        } else {
            Map::new()
        };
        // Every member of `D` takes any value, and the others are kept apart: it reads any object.
        self.take(
            D::deserialize(Value::Object(members))
                .map_err(|e| FieldError::new("doc", e.to_string())),
        )
    }

    /// Refuses every doc member of `action` other than `allowed`.
    fn only(&mut self, unknown: &Map<String, Value>, allowed: &[&str], action: &str) {
        let expected = if allowed.is_empty() {
            "none".to_owned()
        } else {
            allowed.join(", ")
        };
        for field in unknown.keys() {
            self.refuse(
                &format!("doc.{field}"),
                format!("is not a field of {action} (its doc fields: {expected})"),
            );
        }
    }

    /// A doc member as text: None when absent, Some(None) when null; anything else is refused
    /// as not `expected`.
    fn text<'a>(
        &mut self,
        field: &str,
        member: &'a Member,
        expected: &str,
    ) -> Option<Option<&'a str>> {
        match member.0.as_ref()? {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.as_str())),
            _ => {
                self.refuse(&format!("doc.{field}"), expected);
                None
            }
        }
    }

    fn required_text<'a>(&mut self, field: &str, member: &'a Member) -> Option<&'a str> {
        if !present(member) {
            self.refuse(&format!("doc.{field}"), "is required");
            return None;
        }
        self.text(field, member, "must be a string").flatten()
    }

    /// The new user of a create (email required) or create_child (email optional). A password
    /// makes the user active at once; without one the user is invited (and, with an email and
    /// emails not disabled, gets the invite email).
    fn new_user(&mut self, doc: &NewUserDoc, email_required: bool) -> Option<NewUser> {
        for field in doc.unknown.keys() {
            self.refuse(
                &format!("doc.{field}"),
                "is not a profile field (email, first_name, last_name, phone, password)",
            );
        }
        let email = if email_required {
            self.required_text("email", &doc.email)
        } else {
            self.text("email", &doc.email, "must be a string").flatten()
        };
        let email = email.and_then(|e| self.take(Email::parse("doc.email", e)));
        const TEXT: &str = "must be a string";
        let first = self.text("first_name", &doc.first_name, TEXT).flatten();
        let last = self.text("last_name", &doc.last_name, TEXT).flatten();
        let phone = self.text("phone", &doc.phone, TEXT).flatten();
        let password = self.text("password", &doc.password, TEXT).flatten();
        let first_name = first.and_then(|n| self.take(PersonName::parse("doc.first_name", n)));
        let last_name = last.and_then(|n| self.take(PersonName::parse("doc.last_name", n)));
        let phone_number = phone.and_then(|p| self.take(Phone::parse("doc.phone", p)));
        let password = password.and_then(|p| self.take(Password::parse("doc.password", p)));
        if email_required && email.is_none() {
            return None;
        }
        let status = if password.is_some() {
            Status::Active
        } else {
            Status::Invited
        };
        Some(NewUser {
            email,
            username: None,
            external_id: None,
            first_name,
            last_name,
            phone_number,
            status,
            roles: Default::default(),
            password,
            parent_id: None,
            sessions_limit: None,
            groups: Vec::new(),
        })
    }

    /// The parent of a create_child. Regpack's page makes `clogin_id` mandatory on every call
    /// but `create`, so a client following it sends the acting parent's `clogin_id`; its own
    /// field for the link is `connected_to`. Either names the parent; when both are sent they
    /// must agree.
    fn child_parent(
        &mut self,
        r: &CreateChildRequest,
        acting: Option<Id>,
        linked: Option<Id>,
    ) -> Option<i64> {
        match (acting, linked) {
            (Some(Id(acting)), Some(Id(parent))) if acting != parent => {
                self.refuse(
                    "connected_to",
                    format!(
                        "must be the clogin_id of the parent the child is created for \
                         ({acting}), or be left out; it names {parent}"
                    ),
                );
                None
            }
            (Some(Id(parent)), _) | (None, Some(Id(parent))) => Some(parent),
            // Sent but not an id: already refused.
            (None, None) if present(&r.clogin_id) || present(&r.connected_to) => None,
            (None, None) => {
                self.refuse(
                    "clogin_id",
                    format!(
                        "is required by {}: the parent's clogin_id (or send it as connected_to)",
                        r.action.name()
                    ),
                );
                None
            }
        }
    }

    /// The profile edit of an update: names, phone and password; every other doc member is
    /// refused by name.
    fn patch(&mut self, doc: &UpdateDoc) -> UserPatch {
        let mut patch = UserPatch::default();
        let edits = [&doc.first_name, &doc.last_name, &doc.phone, &doc.password];
        if doc.unknown.is_empty() && edits.iter().all(|m| m.0.is_none()) {
            self.refuse(
                "doc",
                "send at least one of first_name, last_name, phone, password",
            );
        }
        const TEXT: &str = "must be a string or null";
        let first = self.text("first_name", &doc.first_name, TEXT);
        patch.first_name = Change::from_member(first, &mut self.errors, |t| {
            PersonName::parse("doc.first_name", t)
        });
        let last = self.text("last_name", &doc.last_name, TEXT);
        patch.last_name = Change::from_member(last, &mut self.errors, |t| {
            PersonName::parse("doc.last_name", t)
        });
        let phone = self.text("phone", &doc.phone, TEXT);
        patch.phone_number =
            Change::from_member(phone, &mut self.errors, |t| Phone::parse("doc.phone", t));
        match self.text("password", &doc.password, TEXT) {
            None => {}
            Some(Some(p)) => patch.password = self.take(Password::parse("doc.password", p)),
            Some(None) => self.refuse("doc.password", "cannot be cleared"),
        }
        for field in doc.unknown.keys() {
            let message = match field.as_str() {
                "email" => {
                    "is set by create and is the person's login in every group; \
                     add another address with add_email"
                }
                "connected_to" | "clogin_id" | "group_id" => {
                    "is fixed when the user is created and cannot be updated"
                }
                _ => "is not a profile field (first_name, last_name, phone, password)",
            };
            self.refuse(&format!("doc.{field}"), message);
        }
        patch
    }

    /// Every error at once; without any, the call.
    fn finish(
        self,
        group: Option<i64>,
        clogin: Option<i64>,
        command: Option<Command>,
    ) -> Result<Call, RegpackError> {
        self.errors.finish()?;
        match (group, command) {
            (Some(group), Some(command)) => Ok(Call {
                group,
                clogin,
                command,
            }),
            _ => Err(RegpackError::field(".", "the request is incomplete")),
        }
    }
}
