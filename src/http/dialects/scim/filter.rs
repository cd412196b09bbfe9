//! SCIM's filter language (RFC 7644 3.4.2.2) and PATCH paths (3.5.2), parsed into an AST by a
//! small recursive-descent parser. Precedence: `or` < `and` < `not` / parentheses / value paths.
//! Attribute names and operators are case-insensitive.

use serde_json::Value;
use std::fmt;

/// `urn:...:User:name.givenName` = uri `urn:...:User`, attr `name`, sub `givenName`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    pub uri: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Whether this path names `attr` (ignoring case).
    pub fn is(&self, attr: &str) -> bool {
        self.attr.eq_ignore_ascii_case(attr)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// SCIM's comparison operators are roster's query comparisons.
pub use crate::domain::query::Compare as Op;

/// Reads an operator, ignoring case.
fn operator(word: &str) -> Option<Op> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "co" => Op::Co,
        "sw" => Op::Sw,
        "ew" => Op::Ew,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(AttrPath, Op, Value),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some value of the multi-valued attribute matches.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH operation's `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    /// `emails[type eq "work"]`: the values of `attr` the operation targets.
    pub filter: Option<Filter>,
    /// `emails[...].value`: the sub-attribute of the filtered values.
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Text(String),
}

fn tokens(input: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            '"' => {
                // A JSON string: find its closing quote, then let serde unescape it.
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("a string is not closed".into());
                }
                i += 1;
                let raw: String = chars[start..i].iter().collect();
                let text: String = serde_json::from_str(&raw)
                    .map_err(|_| format!("{raw} is not a valid string"))?;
                out.push(Token::Text(text));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '(' | ')' | '[' | ']' | '"')
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

/// Reads an attribute path: `userName`, `name.givenName`, `urn:...:User:userName`.
pub fn attr_path(word: &str) -> Result<AttrPath, String> {
    let (uri, rest) = if word.to_ascii_lowercase().starts_with("urn:") {
        match word.rsplit_once(':') {
            Some((uri, rest)) => (Some(uri.to_owned()), rest),
            None => (None, word),
        }
    } else {
        (None, word)
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let valid = |s: &str| {
        let mut cs = s.chars();
        cs.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !valid(attr) || sub.is_some_and(|s| !valid(s)) {
        return Err(format!("{word:?} is not an attribute path"));
    }
    Ok(AttrPath {
        uri,
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            _ => Err(format!("expected {what}")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.at += 1;
            self.expect(Token::Open, "( after not")?;
            let inner = self.or()?;
            self.expect(Token::Close, ")")?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close, ")")?;
                Ok(inner)
            }
            Some(Token::Word(w)) => {
                let path = attr_path(&w)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.at += 1;
                    let inner = self.or()?;
                    self.expect(Token::CloseBracket, "]")?;
                    return Ok(Filter::ValuePath(path, Box::new(inner)));
                }
                self.comparison(path)
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("the filter ends too early".into()),
        }
    }

    fn comparison(&mut self, path: AttrPath) -> Result<Filter, String> {
        let op = match self.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("pr") => {
                return Ok(Filter::Present(path))
            }
            Some(Token::Word(w)) => {
                operator(&w).ok_or_else(|| format!("{w:?} is not an operator"))?
            }
            _ => return Err(format!("expected an operator after {path}")),
        };
        let value = match self.next() {
            Some(Token::Text(t)) => Value::String(t),
            Some(Token::Word(w)) => match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                number => serde_json::from_str::<serde_json::Number>(number)
                    .map(Value::Number)
                    .map_err(|_| format!("{number:?} is not a value (quote strings)"))?,
            },
            _ => return Err(format!("expected a value after {path}")),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a filter; the error says what is wrong, for an `invalidFilter`.
pub fn parse_filter(input: &str) -> Result<Filter, String> {
    let mut p = Parser {
        tokens: tokens(input)?,
        at: 0,
    };
    let f = p.or()?;
    match p.peek() {
        None => Ok(f),
        Some(t) => Err(format!("unexpected {t:?} after a complete filter")),
    }
}

/// The `filter` parameter of a list: None when absent or blank; an `invalidFilter` when it
/// does not parse.
pub fn filter_param(raw: Option<&str>) -> Result<Option<Filter>, super::error::ScimError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(f) => parse_filter(f)
            .map(Some)
            .map_err(|e| super::error::ScimError::bad(super::error::ScimType::InvalidFilter, e)),
    }
}

/// Parses a PATCH path; the error says what is wrong, for an `invalidPath`.
pub fn parse_path(input: &str) -> Result<PatchPath, String> {
    let mut p = Parser {
        tokens: tokens(input)?,
        at: 0,
    };
    let Some(Token::Word(w)) = p.next() else {
        return Err(format!("{input:?} is not a path"));
    };
    let attr = attr_path(&w)?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if p.peek() == Some(&Token::OpenBracket) {
        p.at += 1;
        path.filter = Some(p.or()?);
        p.expect(Token::CloseBracket, "]")?;
        if let Some(Token::Word(w)) = p.peek().cloned() {
            let sub = w
                .strip_prefix('.')
                .ok_or_else(|| format!("unexpected {w:?} after ]"))?;
            path.sub = Some(attr_path(sub)?.attr);
            p.at += 1;
        }
    }
    match p.peek() {
        None => Ok(path),
        Some(t) => Err(format!("unexpected {t:?} in the path")),
    }
}

/// A member of a JSON object, its name matched ignoring case.
pub fn member<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The values a path names in a resource (or in one value of a multi-valued attribute): a
/// multi-valued attribute gives each value's `value` (or the named sub-attribute).
fn values<'a>(obj: &'a Value, p: &AttrPath) -> Vec<&'a Value> {
    let found: Vec<&Value> = match (member(obj, &p.attr), p.sub.as_deref()) {
        (None, _) => Vec::new(),
        (Some(Value::Array(items)), Some(sub)) => {
            items.iter().filter_map(|i| member(i, sub)).collect()
        }
        (Some(Value::Array(items)), None) => items
            .iter()
            .map(|i| member(i, "value").unwrap_or(i))
            .collect(),
        (Some(v), Some(sub)) => member(v, sub).into_iter().collect(),
        (Some(v), None) => vec![v],
    };
    found
        .into_iter()
        .filter(|v| !v.is_null() && *v != &Value::String(String::new()))
        .collect()
}

/// Whether a resource, or one value of a multi-valued attribute, matches `filter`, in memory:
/// PATCH value paths select among one resource's few values; the tenant's groups are few.
/// Users are never filtered here: their filters are SQL (see `query`).
pub fn matches(filter: &Filter, obj: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, obj) && matches(b, obj),
        Filter::Or(a, b) => matches(a, obj) || matches(b, obj),
        Filter::Not(a) => !matches(a, obj),
        Filter::Present(p) => !values(obj, p).is_empty(),
        Filter::ValuePath(p, inner) => match member(obj, &p.attr) {
            Some(Value::Array(items)) => items.iter().any(|i| matches(inner, i)),
            Some(o @ Value::Object(_)) => matches(inner, o),
            _ => false,
        },
        Filter::Compare(p, op, want) => {
            let found = values(obj, p);
            if found.is_empty() {
                return *op == Op::Ne;
            }
            found.into_iter().any(|have| compare_json(have, *op, want))
        }
    }
}

fn compare_json(have: &Value, op: Op, want: &Value) -> bool {
    match (have, want) {
        (Value::String(h), Value::String(w)) => {
            let (h, w) = (h.to_lowercase(), w.to_lowercase());
            match op {
                Op::Eq => h == w,
                Op::Ne => h != w,
                Op::Co => h.contains(&w),
                Op::Sw => h.starts_with(&w),
                Op::Ew => h.ends_with(&w),
                Op::Gt => h > w,
                Op::Ge => h >= w,
                Op::Lt => h < w,
                Op::Le => h <= w,
            }
        }
        (Value::Bool(h), Value::Bool(w)) => match op {
            Op::Eq => h == w,
            Op::Ne => h != w,
            _ => false,
        },
        // Entra sends booleans as strings.
        (Value::Bool(h), Value::String(w)) => {
            compare_json(&Value::String(h.to_string()), op, &Value::String(w.clone()))
        }
        (h, w) => match op {
            Op::Eq => h == w,
            Op::Ne => h != w,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(attr: &str, op: Op, v: Value) -> Filter {
        Filter::Compare(attr_path(attr).unwrap(), op, v)
    }

    #[test]
    fn every_operator_parses() {
        for (word, op) in [
            ("eq", Op::Eq),
            ("NE", Op::Ne),
            ("co", Op::Co),
            ("Sw", Op::Sw),
            ("ew", Op::Ew),
            ("gt", Op::Gt),
            ("ge", Op::Ge),
            ("lt", Op::Lt),
            ("le", Op::Le),
        ] {
            assert_eq!(
                parse_filter(&format!("userName {word} \"a\"")).unwrap(),
                cmp("userName", op, json!("a"))
            );
        }
        assert_eq!(
            parse_filter("title pr").unwrap(),
            Filter::Present(attr_path("title").unwrap())
        );
        assert_eq!(
            parse_filter("active eq true").unwrap(),
            cmp("active", Op::Eq, json!(true))
        );
        assert_eq!(
            parse_filter("x eq null").unwrap(),
            cmp("x", Op::Eq, Value::Null)
        );
        assert_eq!(parse_filter("x gt 5").unwrap(), cmp("x", Op::Gt, json!(5)));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(cmp("a", Op::Eq, json!(1))),
                Box::new(Filter::And(
                    Box::new(cmp("b", Op::Eq, json!(2))),
                    Box::new(cmp("c", Op::Eq, json!(3)))
                ))
            )
        );
        let f = parse_filter("a eq 1 and b eq 2 or c eq 3").unwrap();
        assert!(matches!(f, Filter::Or(l, _) if matches!(*l, Filter::And(..))));
    }

    #[test]
    fn parentheses_and_not_group() {
        let f = parse_filter("(a eq 1 or b eq 2) and not (c pr)").unwrap();
        assert_eq!(
            f,
            Filter::And(
                Box::new(Filter::Or(
                    Box::new(cmp("a", Op::Eq, json!(1))),
                    Box::new(cmp("b", Op::Eq, json!(2)))
                )),
                Box::new(Filter::Not(Box::new(Filter::Present(
                    attr_path("c").unwrap()
                ))))
            )
        );
    }

    #[test]
    fn value_paths_and_urns() {
        let f = parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        assert!(matches!(f, Filter::ValuePath(p, _) if p.attr == "emails"));
        let f =
            parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Ada""#)
                .unwrap();
        let Filter::Compare(p, ..) = f else { panic!() };
        assert_eq!(
            p.uri.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("name", Some("givenName"))
        );
    }

    #[test]
    fn broken_filters_are_refused() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName xx \"a\"",
            "userName eq \"a",
            "(userName eq \"a\"",
            "not userName eq \"a\"",
            "userName eq \"a\" extra",
            "userName eq bare",
            "emails[type eq \"work\"",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_paths() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert!(p.attr.is("emails"));
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = parse_path("name.familyName").unwrap();
        assert_eq!(p.attr.sub.as_deref(), Some("familyName"));
        assert!(parse_path("emails[type eq").is_err());
    }

    #[test]
    fn value_filters_match_in_memory() {
        let f = parse_filter(r#"type eq "Work" and primary eq "True""#).unwrap();
        assert!(matches(&f, &json!({"type": "work", "primary": true})));
        assert!(!matches(&f, &json!({"type": "home", "primary": true})));
    }
}
