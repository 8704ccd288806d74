//! The listing pager: which page to ask for next. Providers page differently (S3's
//! continuation token, GCS's pageToken, Azure's marker) but the loop is the same, and its
//! failure modes (a server repeating a token, a token on a page that said it was the last)
//! are decided here once rather than in every driver.

use super::error::{Error, Result};
use super::types::{ListPage, ListRequest};

#[derive(Debug)]
pub struct ListPager {
    req: ListRequest,
    done: bool,
    pages: usize,
}

impl ListPager {
    pub fn new(req: ListRequest) -> Self {
        ListPager { req, done: false, pages: 0 }
    }

    /// The next page to request, or `None` when the listing is complete.
    pub fn next_request(&self) -> Option<&ListRequest> {
        (!self.done).then_some(&self.req)
    }

    /// Record a page. A server that hands back the token it was just given would loop forever:
    /// that is an error, not a hang.
    pub fn feed(&mut self, page: &ListPage) -> Result<()> {
        self.pages += 1;
        match &page.next_token {
            Some(t) if self.req.token.as_ref() == Some(t) => {
                self.done = true;
                Err(Error::invalid_response("listing returned the same continuation token twice"))
            }
            Some(t) => {
                self.req.token = Some(t.clone());
                // start-after only applies to the first page.
                self.req.start_after = None;
                Ok(())
            }
            None => {
                self.done = true;
                Ok(())
            }
        }
    }

    pub fn pages(&self) -> usize {
        self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_tokens_and_refuses_loops() {
        let mut p = ListPager::new(ListRequest { start_after: Some("a".into()), ..Default::default() });
        assert_eq!(p.next_request().unwrap().token, None);
        p.feed(&ListPage { next_token: Some("t1".into()), ..Default::default() }).unwrap();
        let r = p.next_request().unwrap();
        assert_eq!((r.token.as_deref(), r.start_after.as_deref()), (Some("t1"), None));
        assert!(p.feed(&ListPage { next_token: Some("t1".into()), ..Default::default() }).is_err());
        assert!(p.next_request().is_none());

        let mut p = ListPager::new(ListRequest::default());
        p.feed(&ListPage::default()).unwrap();
        assert!(p.next_request().is_none());
        assert_eq!(p.pages(), 1);
    }
}
