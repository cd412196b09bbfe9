//! Every answer under a dialect's paths is in that dialect's envelope, at the root and under
//! the tenant base URL: an unknown path, a method the route does not answer, a segment that is
//! not UTF-8. Paths no dialect owns still answer as native problems.

use crate::backend_tests;
use crate::snapshot::Transcript;
use crate::support::{read, Backend, Reply, TestApp};
use reqwest::Method;

backend_tests!(unrouted_requests_answer_in_the_envelope_of_their_paths);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Envelope {
    Native,
    Village,
    Publica,
    RocketChat,
    Regpack,
}

/// Which envelope an answer is in, judged by its shape.
fn envelope(r: &Reply) -> Option<Envelope> {
    let b = &r.body;
    let json = r.header("content-type") == Some("application/json");
    if r.header("content-type") == Some("application/problem+json") && b["type"].is_string() {
        Some(Envelope::Native)
    } else if json && b["error"]["code"].is_string() && b["error"]["message"].is_string() {
        Some(Envelope::Village)
    } else if json && b["success"] == false && b["msg_type"] == "error" && b["msg"].is_string() {
        Some(Envelope::Regpack)
    } else if json && b["success"] == false && b["error"].is_string() {
        Some(Envelope::RocketChat)
    } else if json && b.as_object().is_some_and(|o| o.len() == 1) && b["message"].is_string() {
        Some(Envelope::Publica)
    } else {
        None
    }
}

async fn unrouted_requests_answer_in_the_envelope_of_their_paths(b: Backend) {
    let app = TestApp::spawn(b).await;
    use Envelope::*;
    // (method, path, status, envelope)
    let cases = [
        (Method::GET, "/networks/acme/user_status", 405, Village),
        (Method::GET, "/networks/acme/no-such-endpoint", 404, Village),
        (Method::POST, "/networks", 404, Village),
        (Method::POST, "/networks/%FF/user_status", 404, Village),
        (
            Method::PATCH,
            "/integration-api/v1/dashboard/users",
            405,
            Publica,
        ),
        (
            Method::GET,
            "/integration-api/v2/dashboard/users",
            404,
            Publica,
        ),
        (Method::GET, "/api/v1/login", 405, RocketChat),
        (Method::GET, "/api/v1/users.list", 404, RocketChat),
        (Method::GET, "/reg/api2/users/", 405, Regpack),
        (Method::POST, "/reg/api2/no-such-endpoint", 404, Regpack),
        (Method::GET, "/v1/no-such-resource", 404, Native),
        (Method::DELETE, "/v1/users", 405, Native),
        (Method::GET, "/networksx/acme/user_status", 404, Native),
        (Method::GET, "/no-such-api", 404, Native),
        (Method::GET, "/t/acme/no-such-api", 404, Native),
    ];
    let mut t = Transcript::new(app.addr);
    for (method, path, status, expected) in cases {
        // A dialect answers the same at the root and under the tenant base URL, of this
        // tenant or of one whose name is not UTF-8.
        let bases: &[&str] = match expected {
            Native => &[""],
            _ => &["", "/t/acme", "/t/%FF"],
        };
        for base in bases {
            let path = format!("{base}{path}");
            let req = app.http.request(method.clone(), app.url(&path));
            let r = read(req.try_clone().unwrap().send().await.unwrap()).await;
            assert_eq!(r.status, status, "{method} {path}: {:?}", r.body);
            assert_eq!(
                envelope(&r),
                Some(expected),
                "{method} {path}: {:?}",
                r.body
            );
            if status == 405 {
                assert!(r.header("allow").is_some(), "{method} {path}: Allow");
            }
            if base.is_empty() {
                t.send(&app.http, req).await;
            }
        }
    }
    insta::assert_json_snapshot!("unrouted", t.take());
}
