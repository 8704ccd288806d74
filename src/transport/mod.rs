//! Transports move [`crate::core::http::Request`]s and bring back responses.
