//! Who may do what to whom: the rules about admins, found here by name whichever API asks.

use super::error::DomainError;
use super::permission::BuiltinRole;
use super::status::Status;
use super::user::User;
use uuid::Uuid;

/// An admin who can act now: active, with the `admin` role.
pub fn is_active_admin(user: &User) -> bool {
    user.status == Status::Active && user.roles.contains(BuiltinRole::Admin)
}

/// The last-admin rule: a tenant keeps at least one active admin. `admins` are the tenant's
/// active admins (read under lock); `leaving` is the user about to stop being one.
pub fn keeps_an_active_admin(admins: &[Uuid], leaving: Uuid) -> Result<(), DomainError> {
    if admins.iter().any(|a| *a != leaving) {
        Ok(())
    } else {
        Err(DomainError::LastAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_admin_cannot_leave() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(keeps_an_active_admin(&[a], a), Err(DomainError::LastAdmin));
        assert_eq!(keeps_an_active_admin(&[], a), Err(DomainError::LastAdmin));
        assert_eq!(keeps_an_active_admin(&[a, b], a), Ok(()));
        // A user who is not among the admins leaves them all in place.
        assert_eq!(keeps_an_active_admin(&[a], b), Ok(()));
    }
}
