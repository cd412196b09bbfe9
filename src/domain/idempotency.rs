//! `Idempotency-Key`: a retried request gets the first answer again instead of running twice.

/// The first answer to a request, kept to replay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// The headers worth replaying (content type, ETag, location), by lowercase name.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// This request is the first with the key: run it.
    Claimed,
    /// A request with the key is running right now.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
    /// The key's request already ran: replay this.
    Done(StoredResponse),
}
