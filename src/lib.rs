//! Roster: a multi-tenant service that owns the lifecycle of a platform's users.

pub mod config;
pub mod domain;
pub mod http;
pub mod mail;
pub mod service;
pub mod store;
pub mod webhooks;
