//! Rooms and their members, whose ownership the deactivation rules care about.

use super::error::FieldError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    Channel,
    Private,
    /// A direct-message room: it has no owner to hand over.
    Direct,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Channel => "channel",
            RoomKind::Private => "private",
            RoomKind::Direct => "direct",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw {
            "channel" => Ok(RoomKind::Channel),
            "private" => Ok(RoomKind::Private),
            "direct" => Ok(RoomKind::Direct),
            _ => Err(FieldError::new(
                field,
                "must be \"channel\", \"private\" or \"direct\"",
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Owner,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Member => "member",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw {
            "owner" => Ok(MemberRole::Owner),
            "member" => Ok(MemberRole::Member),
            _ => Err(FieldError::new(field, "must be \"owner\" or \"member\"")),
        }
    }
}

impl std::str::FromStr for RoomKind {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        RoomKind::parse("type", s)
    }
}

impl std::str::FromStr for MemberRole {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        MemberRole::parse("role", s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: Uuid,
    pub name: String,
    pub kind: RoomKind,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMember {
    pub user_id: Uuid,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
}

/// What the deactivation rule needs to know of one room the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomFacts {
    pub room_id: Uuid,
    pub name: String,
    pub kind: RoomKind,
    pub role: MemberRole,
    /// Owners of the room other than the user who are still active.
    pub other_active_owners: i64,
    /// Members of the room other than the user, whatever their status.
    pub other_members: i64,
    /// The active member, other than the user, who joined the room first.
    pub oldest_active_member: Option<Uuid>,
}

/// A room whose ownership passes to another member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub room_id: Uuid,
    pub room_name: String,
    pub new_owner: Uuid,
}

/// A room that would have no owner left and is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub room_id: Uuid,
    pub room_name: String,
}

/// What deactivating a user does to the rooms they own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelinquishPlan {
    pub transfers: Vec<Transfer>,
    pub removals: Vec<Removal>,
}

impl RelinquishPlan {
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty() && self.removals.is_empty()
    }
}

/// The room-ownership rule of deactivation: for every room that is not a direct-message room
/// and of which the user is the only active owner, the other member with the oldest membership
/// who is active becomes owner; with no such member, or no other member at all, the room is
/// removed. Rooms with another active owner, and direct-message rooms, are left as they are.
pub fn relinquish_plan(rooms: &[RoomFacts]) -> RelinquishPlan {
    let mut plan = RelinquishPlan::default();
    for room in rooms {
        let sole_owner = room.role == MemberRole::Owner && room.other_active_owners == 0;
        if room.kind == RoomKind::Direct || !sole_owner {
            continue;
        }
        match room.oldest_active_member.filter(|_| room.other_members > 0) {
            Some(new_owner) => plan.transfers.push(Transfer {
                room_id: room.room_id,
                room_name: room.name.clone(),
                new_owner,
            }),
            None => plan.removals.push(Removal {
                room_id: room.room_id,
                room_name: room.name.clone(),
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        name: &str,
        kind: RoomKind,
        role: MemberRole,
        owners: i64,
        members: i64,
        oldest: Option<Uuid>,
    ) -> RoomFacts {
        RoomFacts {
            room_id: Uuid::new_v4(),
            name: name.into(),
            kind,
            role,
            other_active_owners: owners,
            other_members: members,
            oldest_active_member: oldest,
        }
    }

    #[test]
    fn the_oldest_active_member_inherits_a_sole_owners_room() {
        let heir = Uuid::new_v4();
        let plan = relinquish_plan(&[facts(
            "general",
            RoomKind::Channel,
            MemberRole::Owner,
            0,
            3,
            Some(heir),
        )]);
        assert_eq!(plan.transfers.len(), 1);
        assert_eq!(plan.transfers[0].new_owner, heir);
        assert!(plan.removals.is_empty());
    }

    #[test]
    fn rooms_with_no_active_heir_or_no_one_else_are_removed() {
        let plan = relinquish_plan(&[
            facts("alone", RoomKind::Private, MemberRole::Owner, 0, 0, None),
            facts("idle", RoomKind::Channel, MemberRole::Owner, 0, 2, None),
        ]);
        let removed: Vec<_> = plan.removals.iter().map(|r| r.room_name.as_str()).collect();
        assert_eq!(removed, ["alone", "idle"]);
    }

    #[test]
    fn co_owned_member_and_direct_rooms_are_untouched() {
        let someone = Some(Uuid::new_v4());
        let plan = relinquish_plan(&[
            facts(
                "shared",
                RoomKind::Channel,
                MemberRole::Owner,
                1,
                4,
                someone,
            ),
            facts(
                "joined",
                RoomKind::Channel,
                MemberRole::Member,
                0,
                4,
                someone,
            ),
            facts("dm", RoomKind::Direct, MemberRole::Owner, 0, 1, someone),
        ]);
        assert!(plan.is_empty());
    }
}
