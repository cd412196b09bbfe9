//! Plans: a tenant's subscription plans (Publica.la's), and the plans a user holds.

use super::error::FieldError;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A plan a user holds. `valid_to` None means no end; a past one is kept, as history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPlan {
    pub plan_id: i64,
    pub name: String,
    pub valid_to: Option<NaiveDate>,
    pub granted_at: DateTime<Utc>,
}

impl UserPlan {
    /// Whether the plan still holds on `today` (its last valid day included).
    pub fn is_current(&self, today: NaiveDate) -> bool {
        self.valid_to.is_none_or(|end| today <= end)
    }
}

/// The command to give a user a plan, until an optional last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanGrant {
    pub plan_id: i64,
    pub valid_to: Option<NaiveDate>,
}

/// A plan's last valid day, as `YYYY-MM-DD` (a real calendar date).
pub fn valid_to(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let bad = || FieldError::new(field, "must be a real date as YYYY-MM-DD");
    if raw.len() != 10 {
        return Err(bad());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_to_is_a_real_date() {
        assert!(valid_to("d", "2026-02-28").is_ok());
        for bad in [
            "2026-02-30",
            "2026-2-3",
            "28/02/2026",
            "",
            "2026-02-28T00:00:00",
        ] {
            assert!(valid_to("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_expired_plan_is_not_current_but_its_last_day_is() {
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = UserPlan {
            plan_id: 1,
            name: "Gold".into(),
            valid_to: Some(day("2026-01-31")),
            granted_at: Utc::now(),
        };
        assert!(p.is_current(day("2026-01-31")));
        assert!(!p.is_current(day("2026-02-01")));
    }
}
