//! What a group membership carries beyond belonging: an organisation-defined status and the
//! products ordered in that group (Regpack's projects), and the values they are built from.

use super::error::FieldError;
use std::fmt;

/// An amount of money in cents. Never a float: prices are added, and floats cannot add cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Price(i64);

/// The largest price accepted: ten million (in the tenant's currency), so that sums of many
/// lines stay far from overflowing.
const MAX_CENTS: i64 = 1_000_000_000;

impl Price {
    /// Parses a non-negative decimal string with at most two decimals: "12", "12.5", "12.50".
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "must be a decimal string with at most two decimals, such as \"12.50\"",
            )
        };
        let s = raw.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
            return Err(bad());
        }
        if s.contains('.') && frac.is_empty() {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let cents = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac))
            .filter(|c| *c <= MAX_CENTS)
            .ok_or_else(|| FieldError::new(field, "must be at most 10000000.00"))?;
        Ok(Self(cents))
    }

    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }
}

/// Always two decimals: "12.50", "0.00".
impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let c = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", c / 100, c % 100)
    }
}

/// A status colour: `#rgb` or `#rrggbb`, kept lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Color(String);

impl Color {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let hex = s.strip_prefix('#').unwrap_or("");
        if matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(FieldError::new(
                field,
                "must be a hex colour such as \"#ff8800\" or \"#f80\"",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a membership's status becomes: 0 clears it, any other id must be one of the
/// organisation's statuses (which only the store can tell).
pub fn status_choice(field: &str, id: i64) -> Result<Option<i64>, FieldError> {
    match id {
        0 => Ok(None),
        n if n > 0 => Ok(Some(n)),
        _ => Err(FieldError::new(
            field,
            "must be 0 (no status) or the id of one of the organization's statuses",
        )),
    }
}

/// An organisation-defined status as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatus {
    pub id: i64,
    pub name: String,
    pub color: String,
    pub is_excluded: bool,
}

/// A product of the tenant's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub price: Price,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A membership's status and the sum of its products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub status: Option<MemberStatus>,
    pub total: Price,
}

/// One product line of a membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberProduct {
    pub product_id: i64,
    pub name: String,
    pub price_cents: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_cents() {
        let p = |s| Price::parse("price", s).map(Price::cents);
        assert_eq!(p("12"), Ok(1200));
        assert_eq!(p("12.5"), Ok(1250));
        assert_eq!(p("0.07"), Ok(7));
        assert_eq!(p(" 3.10 "), Ok(310));
        for bad in ["", "-1", "1.234", "1.", ".5", "1e3", "abc", "10000000.01"] {
            assert!(p(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(Price::from_cents(1250).to_string(), "12.50");
        assert_eq!(Price::from_cents(0).to_string(), "0.00");
        assert_eq!(Price::from_cents(7).to_string(), "0.07");
    }

    #[test]
    fn colours_and_status_choices() {
        assert_eq!(
            Color::parse("color", "#FF8800").unwrap().as_str(),
            "#ff8800"
        );
        assert!(Color::parse("color", "#f80").is_ok());
        assert!(Color::parse("color", "red").is_err());
        assert!(Color::parse("color", "#ff880").is_err());
        assert_eq!(status_choice("status_id", 0), Ok(None));
        assert_eq!(status_choice("status_id", 7), Ok(Some(7)));
        assert!(status_choice("status_id", -1).is_err());
    }
}
