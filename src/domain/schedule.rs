//! Status changes in time: a ban or deactivation that ends by itself (its lift), and a change
//! scheduled for later.

use super::status::{Status, Transition};
use super::{FieldError, Outcome};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Why a change is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Ends a ban or a deactivation that was given an `until`.
    Lift,
    /// Asked for at a future time.
    Scheduled,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Lift => "lift",
            ChangeKind::Scheduled => "scheduled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ChangeKind::Lift, ChangeKind::Scheduled]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A change waiting for its time, or what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledChange {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: ChangeKind,
    pub transition: Transition,
    pub due_at: DateTime<Utc>,
    /// For a scheduled ban or deactivation: when it is lifted in turn.
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub reference_id: Option<String>,
    /// `pending`, `done`, `skipped` or `cancelled`.
    pub status: String,
    pub outcome: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// The transition that ends one with an end time: unban a ban, reactivate a deactivation.
pub fn lift_of(transition: Transition) -> Option<Transition> {
    match transition {
        Transition::Ban => Some(Transition::Unban),
        Transition::Deactivate => Some(Transition::Reactivate),
        Transition::Activate
        | Transition::Reactivate
        | Transition::Unban
        | Transition::RevokeInvite
        | Transition::Reinvite => None,
    }
}

/// The transitions a client may schedule by name.
pub fn schedulable(name: &str) -> Option<Transition> {
    match name {
        "ban" => Some(Transition::Ban),
        "unban" => Some(Transition::Unban),
        "deactivate" => Some(Transition::Deactivate),
        "reactivate" => Some(Transition::Reactivate),
        _ => None,
    }
}

/// An end time must come after the change it ends, and only bans and deactivations end.
pub fn check_until(
    transition: Transition,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Transition, FieldError> {
    let lift = lift_of(transition)
        .ok_or_else(|| FieldError::new("until", "applies to ban and deactivate only"))?;
    if until <= from {
        return Err(FieldError::new(
            "until",
            "must be later than the change it ends",
        ));
    }
    Ok(lift)
}

/// What to do with a lift when its time comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiftDecision {
    Apply(Status),
    /// Not legal any more, or superseded: recorded, never forced.
    Skip(String),
}

/// A lift is applied only if the user's status is still the one it ends and nothing changed
/// the status since; otherwise it is skipped with the reason.
pub fn decide_lift(lift: Transition, current: Status, status_changed_since: bool) -> LiftDecision {
    if status_changed_since {
        return LiftDecision::Skip(format!(
            "the user's status changed since (now {current}); the {} is not forced",
            lift.as_str()
        ));
    }
    match super::status::apply(current, lift) {
        Ok(Outcome::Changed(to)) => LiftDecision::Apply(to),
        Ok(Outcome::Unchanged) => LiftDecision::Skip(format!("the user is already {current}")),
        Err(_) => LiftDecision::Skip(format!("cannot {} a user who is {current}", lift.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lift_applies_only_while_its_status_holds() {
        assert_eq!(
            decide_lift(Transition::Unban, Status::Banned, false),
            LiftDecision::Apply(Status::Active)
        );
        assert!(matches!(
            decide_lift(Transition::Unban, Status::Deactivated, false),
            LiftDecision::Skip(_)
        ));
        assert!(matches!(
            decide_lift(Transition::Unban, Status::Banned, true),
            LiftDecision::Skip(_)
        ));
    }

    #[test]
    fn until_applies_to_ban_and_deactivate_after_now() {
        let now = Utc::now();
        let later = now + chrono::Duration::days(7);
        assert_eq!(
            check_until(Transition::Ban, now, later),
            Ok(Transition::Unban)
        );
        assert_eq!(
            check_until(Transition::Deactivate, now, later),
            Ok(Transition::Reactivate)
        );
        assert!(check_until(Transition::Unban, now, later).is_err());
        assert!(check_until(Transition::Ban, now, now).is_err());
    }
}
