//! Roster's integration tests: one binary, one module per API area. Every test runs once per
//! backend (see `support::backend_tests!`).

mod snapshot;
mod support;

mod bulk;
mod catalog;
mod concurrency;
mod conformance;
mod console;
mod contract;
mod errors;
mod groups_rooms;
mod hostile;
mod idempotency;
mod isolation;
mod key_cache;
mod lifecycle;
mod mail;
mod native_snapshots;
mod permissions;
mod publica;
mod regpack;
mod resilience;
mod rocketchat;
mod round_trips;
mod scim;
mod self_service;
mod sessions;
mod settings;
mod smtp;
mod tenants;
mod unrouted;
mod users;
mod village;
mod webhooks;
