//! The user status state machine: one exhaustive match over (status, transition).

use super::error::DomainError;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The account exists; the person has not joined yet.
    Invited,
    Active,
    Deactivated,
    Banned,
    /// The invite was withdrawn before it was accepted.
    Revoked,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Invited,
        Status::Active,
        Status::Deactivated,
        Status::Banned,
        Status::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Invited => "invited",
            Status::Active => "active",
            Status::Deactivated => "deactivated",
            Status::Banned => "banned",
            Status::Revoked => "revoked",
        }
    }

    /// Whether a person in this status may hold a session.
    pub fn may_log_in(self) -> bool {
        matches!(self, Status::Active)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// What a client asks to happen to a user's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// The person joins: an invite accepted (invited -> active).
    Activate,
    Deactivate,
    Reactivate,
    Ban,
    Unban,
    RevokeInvite,
    /// Creating a revoked user again invites them anew.
    Reinvite,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Activate => "activate",
            Transition::Deactivate => "deactivate",
            Transition::Reactivate => "reactivate",
            Transition::Ban => "ban",
            Transition::Unban => "unban",
            Transition::RevokeInvite => "revoke-invite",
            Transition::Reinvite => "reinvite",
        }
    }

    /// The audit action recorded when this transition changes a status.
    pub fn event_action(self) -> &'static str {
        match self {
            Transition::Activate => "activated",
            Transition::Deactivate => "deactivated",
            Transition::Reactivate => "reactivated",
            Transition::Ban => "banned",
            Transition::Unban => "unbanned",
            Transition::RevokeInvite => "invite_revoked",
            Transition::Reinvite => "reinvited",
        }
    }

    /// Whether applying this transition kills the user's open invites.
    /// An invite is for joining: any way out of `invited` ends it, so a leftover link can
    /// never set the password of a user who is past joining.
    pub fn ends_invites(self) -> bool {
        match self {
            Transition::Reinvite => false,
            Transition::Activate
            | Transition::Deactivate
            | Transition::Reactivate
            | Transition::Ban
            | Transition::Unban
            | Transition::RevokeInvite => true,
        }
    }

    /// Whether applying this transition ends every session of the user.
    pub fn revokes_sessions(self) -> bool {
        matches!(self, Transition::Deactivate | Transition::Ban)
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What applying a transition does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user moves to this status.
    Changed(Status),
    /// The user already has the status the transition leads to: nothing changes.
    Unchanged,
}

/// The state machine. Every (status, transition) pair is listed, so a new status or transition
/// does not compile until each of its cases is decided.
pub fn apply(from: Status, transition: Transition) -> Result<Outcome, DomainError> {
    use Outcome::{Changed, Unchanged};
    use Status::*;
    use Transition::*;
    let refused = Err(DomainError::Transition { from, transition });
    match (from, transition) {
        (Invited, Activate) => Ok(Changed(Active)),
        (Active, Activate) => Ok(Unchanged),
        (Deactivated | Banned | Revoked, Activate) => refused,

        (Active | Invited, Deactivate) => Ok(Changed(Deactivated)),
        (Deactivated, Deactivate) => Ok(Unchanged),
        (Banned | Revoked, Deactivate) => refused,

        (Deactivated, Reactivate) => Ok(Changed(Active)),
        (Active, Reactivate) => Ok(Unchanged),
        (Invited | Banned | Revoked, Reactivate) => refused,

        (Invited | Active | Deactivated | Revoked, Ban) => Ok(Changed(Banned)),
        (Banned, Ban) => Ok(Unchanged),

        (Banned, Unban) => Ok(Changed(Active)),
        (Active, Unban) => Ok(Unchanged),
        (Invited | Deactivated | Revoked, Unban) => refused,

        (Invited, RevokeInvite) => Ok(Changed(Revoked)),
        (Revoked, RevokeInvite) => Ok(Unchanged),
        (Active | Deactivated | Banned, RevokeInvite) => refused,

        (Revoked, Reinvite) => Ok(Changed(Invited)),
        (Invited, Reinvite) => Ok(Unchanged),
        (Active | Deactivated | Banned, Reinvite) => refused,
    }
}

/// The transition that makes a user active again from `current`: an invited user joins, any
/// other is reactivated (which the state machine refuses for banned and revoked users).
pub fn activation_for(current: Status) -> Transition {
    match current {
        Status::Invited => Transition::Activate,
        Status::Active | Status::Deactivated | Status::Banned | Status::Revoked => {
            Transition::Reactivate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    use Transition::*;

    fn to(from: Status, t: Transition) -> Option<Status> {
        match apply(from, t) {
            Ok(Outcome::Changed(s)) => Some(s),
            Ok(Outcome::Unchanged) => Some(from),
            Err(_) => None,
        }
    }

    #[test]
    fn the_documented_paths() {
        assert_eq!(to(Invited, Activate), Some(Active));
        assert_eq!(to(Invited, RevokeInvite), Some(Revoked));
        assert_eq!(to(Active, Deactivate), Some(Deactivated));
        assert_eq!(to(Invited, Deactivate), Some(Deactivated));
        assert_eq!(to(Deactivated, Reactivate), Some(Active));
        assert_eq!(to(Banned, Unban), Some(Active));
        assert_eq!(to(Revoked, Reinvite), Some(Invited));
        for s in Status::ALL {
            assert_eq!(to(s, Ban), Some(Banned), "{s} -> banned");
        }
    }

    #[test]
    fn banned_leaves_only_through_unban() {
        for t in [Activate, Deactivate, Reactivate, RevokeInvite, Reinvite] {
            assert_eq!(to(Banned, t), None, "{t}");
        }
    }

    #[test]
    fn repeating_a_transition_changes_nothing() {
        assert_eq!(apply(Banned, Ban), Ok(Outcome::Unchanged));
        assert_eq!(apply(Deactivated, Deactivate), Ok(Outcome::Unchanged));
        assert_eq!(apply(Revoked, RevokeInvite), Ok(Outcome::Unchanged));
        assert_eq!(apply(Active, Reactivate), Ok(Outcome::Unchanged));
    }

    #[test]
    fn refusals_name_the_current_status() {
        let err = apply(Active, RevokeInvite).unwrap_err();
        assert_eq!(err.to_string(), "cannot revoke-invite a user who is active");
    }

    #[test]
    fn status_round_trips_through_text() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert!("gone".parse::<Status>().is_err());
    }
}
