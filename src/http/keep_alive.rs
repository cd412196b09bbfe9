//! Keep-alive connections that stay usable when roster answers before reading a request's body
//! (a 401 for a bad key, a 404 for another tenant's base URL, a 413).
//!
//! hyper reuses an HTTP/1.1 connection only once the request's body has been read to its end.
//! If it has not, hyper reads what is already buffered and otherwise closes the connection after
//! the answer, without saying so: a keep-alive client then sends its next request into a closed
//! connection. So every request's body is watched; after the answer, a body left unread is read
//! to its end and thrown away when that is cheap (at most [`BODY_LIMIT`] bytes in all, within
//! [`DRAIN_TIMEOUT`], as nginx discards the body of a request it refuses), and otherwise the
//! answer says `Connection: close`, so the client opens a new connection for its next request.

use super::json::BODY_LIMIT;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Version};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long the rest of an unread body may take to arrive before the connection is given up.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// What became of a request's body once the request was answered.
enum Fate {
    /// Something still holds the body (nothing in roster keeps one past its answer).
    Held,
    /// Read to its end: the connection can serve the next request.
    Finished,
    /// Dropped before its end, after `read` bytes; the rest is still on the connection.
    Unread { rest: Body, read: usize },
    /// Reading it failed; hyper closes such a connection itself.
    Broken,
}

/// A request body that reports its fate when it is dropped.
struct Watched {
    inner: Body,
    read: usize,
    finished: bool,
    broken: bool,
    fate: Arc<Mutex<Fate>>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let frame = std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &frame {
            Some(Ok(f)) => this.read += f.data_ref().map_or(0, Bytes::len),
            Some(Err(_)) => this.broken = true,
            None => this.finished = true,
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let fate = if self.broken {
            Fate::Broken
        } else if self.finished || self.inner.is_end_stream() {
            Fate::Finished
        } else {
            Fate::Unread {
                rest: std::mem::take(&mut self.inner),
                read: self.read,
            }
        };
        *self.fate.lock().unwrap_or_else(PoisonError::into_inner) = fate;
    }
}

/// The middleware: answers every request, then finishes or gives up its connection.
pub async fn finish_unread_bodies(req: Request, next: Next) -> Response {
    // HTTP/2 ends a stream without touching the connection; only HTTP/1 needs this.
    if req.version() >= Version::HTTP_2 {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let fate = Arc::new(Mutex::new(Fate::Held));
    let watched = fate.clone();
    let req = req.map(|inner| {
        Body::new(Watched {
            inner,
            read: 0,
            finished: false,
            broken: false,
            fate: watched,
        })
    });
    let mut res = next.run(req).await;
    let fate = std::mem::replace(
        &mut *fate.lock().unwrap_or_else(PoisonError::into_inner),
        Fate::Held,
    );
    let reusable = match fate {
        Fate::Finished => true,
        Fate::Held | Fate::Broken => false,
        Fate::Unread { rest, read } => {
            let budget = BODY_LIMIT.saturating_sub(read);
            let small = declared.is_none_or(|n| n <= BODY_LIMIT as u64) && budget > 0;
            small && drain(rest, budget).await
        }
    };
    if !reusable {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// Reads the rest of a body and throws it away; true if it ended within `budget` bytes in time.
async fn drain(rest: Body, budget: usize) -> bool {
    matches!(
        tokio::time::timeout(DRAIN_TIMEOUT, axum::body::to_bytes(rest, budget)).await,
        Ok(Ok(_))
    )
}
