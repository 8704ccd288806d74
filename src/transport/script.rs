//! A transport for unit tests: answers from a script, in order, and keeps every request it was
//! asked to send, so a test can check what the driver sent (methods, headers, URLs) and feed
//! it the answers (or failures) a server would give.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use super::{BodyStream, Transport};
use crate::core::error::Result;
use crate::core::http::{Headers, Request, Response};

#[derive(Default)]
pub(crate) struct Script {
    answers: Mutex<VecDeque<Result<Response>>>,
    sent: Mutex<Vec<Request>>,
    slept: Mutex<Vec<Duration>>,
}

impl Script {
    pub(crate) fn new(answers: Vec<Result<Response>>) -> Arc<Script> {
        Arc::new(Script { answers: Mutex::new(answers.into()), sent: Mutex::default(), slept: Mutex::default() })
    }

    /// Every request sent so far, in order.
    pub(crate) fn sent(&self) -> Vec<Request> {
        self.sent.lock().unwrap().clone()
    }

    /// Every pause the driver asked for, in order (none is waited).
    pub(crate) fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }

    /// One header of every request sent (`None` where it was absent).
    pub(crate) fn header(&self, name: &str) -> Vec<Option<String>> {
        self.sent().iter().map(|r| r.headers.get(name).map(str::to_string)).collect()
    }
}

/// An answer for the script.
pub(crate) fn answer(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Result<Response> {
    let mut h = Headers::new();
    for (k, v) in headers {
        h.set(*k, *v);
    }
    Ok(Response::new(status, h, body))
}

/// The whole body at once.
pub(crate) struct Whole(Option<Bytes>);

impl BodyStream for Whole {
    async fn chunk(&mut self) -> Result<Option<Bytes>> {
        Ok(self.0.take().filter(|b| !b.is_empty()))
    }
}

impl Transport for Arc<Script> {
    type Body = Whole;

    async fn send_streaming(&self, req: Request) -> Result<(Response, Whole)> {
        self.sent.lock().unwrap().push(req);
        let mut r = self.answers.lock().unwrap().pop_front().expect("script ran out")?;
        let body = std::mem::take(&mut r.body);
        Ok((r, Whole(Some(body))))
    }

    async fn sleep(&self, d: Duration) {
        self.slept.lock().unwrap().push(d);
    }
}
