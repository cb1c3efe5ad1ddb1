//! Errors as text for people: the message and every cause after it, as `what: why: why`.

use std::error::Error;

/// Any error a library or the OS hands back, kept as the source of one of kdrift's errors.
pub type Cause = Box<dyn Error + Send + Sync + 'static>;

/// `e` and its sources joined by ": ", skipping a cause whose text the message already holds.
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let line = s.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the tree")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn joins_causes_once() {
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&e), "reading the tree: disk on fire");
    }
}
