//! Path parameters that do not decode to UTF-8 (`/v1/users/%FF`). Such a segment names
//! nothing, so every API answers it as "not found" in its own envelope, like any other
//! malformed id. Without this guard axum's `Path` would answer a plain-text 400 that no API's
//! contract describes. The check is a layer on each API's routes, so handlers keep extracting
//! `Path<String>`, which then cannot fail. It reads the path as the client sent it, so the
//! segments of a prefix a route is nested under (`/t/{tenant}`) are checked too.

use axum::extract::{OriginalUri, Request};
use axum::middleware::Next;
use axum::response::Response;
use percent_encoding::percent_decode_str;

/// Whether every segment of `path` decodes to UTF-8.
pub fn decodable(path: &str) -> bool {
    path.split('/')
        .all(|segment| percent_decode_str(segment).decode_utf8().is_ok())
}

/// Runs the request if its path decodes; otherwise answers `not_found()`.
pub async fn require_decodable(req: Request, next: Next, not_found: fn() -> Response) -> Response {
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map_or(req.uri(), |original| &original.0);
    if decodable(uri.path()) {
        next.run(req).await
    } else {
        not_found()
    }
}

#[cfg(test)]
mod tests {
    use super::decodable;

    #[test]
    fn only_utf8_segments_decode() {
        assert!(decodable("/v1/users/0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f"));
        assert!(decodable("/networks/acme/users/ana%40example.com"));
        assert!(decodable("/t/caf%C3%A9/x"));
        assert!(!decodable("/v1/users/%FF"));
        assert!(!decodable("/v1/rooms/%C3%28"));
    }
}
