//! Background jobs where the newest request wins (gitui's `AsyncSingleJob` is the model).
//!
//! Two halves, so the deciding core stays free of tasks:
//! - [`Latest`] lives in the core. It issues a [`Ticket`] per request and accepts only the reply
//!   to the newest one, so a slow earlier reply that lands after a newer one is dropped.
//! - [`LatestJob`] lives in the executor. It runs one job at a time on the blocking pool; a
//!   request that arrives while one runs replaces any request still waiting, so a burst of
//!   requests (holding `j` over many commits) costs at most two runs, not one per key press.

use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Names one request; its reply carries it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ticket(u64);

/// The core's side of one kind of job.
#[derive(Debug, Default, Clone)]
pub struct Latest {
    issued: u64,
}

impl Latest {
    /// A ticket for a new request; every earlier ticket stops being accepted.
    pub fn issue(&mut self) -> Ticket {
        self.issued += 1;
        Ticket(self.issued)
    }

    /// Whether a reply with `ticket` answers the newest request.
    pub fn accepts(&self, ticket: Ticket) -> bool {
        ticket.0 == self.issued && ticket.0 != 0
    }

    /// Drops whatever reply is still on its way (the view it was for is gone).
    pub fn cancel(&mut self) {
        self.issued += 1;
    }
}

/// The job's thread stopped before it answered (it panicked); the reply says so instead of
/// leaving the requester waiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the background job stopped: {0}")]
pub struct JobFailed(pub String);

struct Slot<Req> {
    next: Mutex<Option<(Ticket, Req)>>,
    wake: Notify,
}

/// The executor's side: a worker task that runs `work` on the blocking pool for the newest
/// request and hands each result (or why there is none) to `reply`. Dropping it stops the worker (a running job
/// finishes on its thread; its reply is not sent).
pub struct LatestJob<Req> {
    slot: Arc<Slot<Req>>,
    worker: JoinHandle<()>,
}

impl<Req: Send + 'static> LatestJob<Req> {
    /// `reply` returns `false` when nobody listens any more; the worker then ends.
    pub fn spawn<Out, W, R, Fut>(work: W, reply: R) -> Self
    where
        Out: Send + 'static,
        W: Fn(Req) -> Out + Send + Sync + 'static,
        R: Fn(Ticket, Result<Out, JobFailed>) -> Fut + Send + 'static,
        Fut: Future<Output = bool> + Send,
    {
        let slot = Arc::new(Slot {
            next: Mutex::new(None),
            wake: Notify::new(),
        });
        let work = Arc::new(work);
        let shared = slot.clone();
        let worker = tokio::spawn(async move {
            loop {
                shared.wake.notified().await;
                let Some((ticket, req)) = take(&shared.next) else {
                    continue;
                };
                let work = work.clone();
                let out = tokio::task::spawn_blocking(move || work(req))
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "background job failed");
                        JobFailed(e.to_string())
                    });
                if !reply(ticket, out).await {
                    return;
                }
            }
        });
        Self { slot, worker }
    }

    /// Asks for `req`; a request still waiting (not yet started) is replaced.
    pub fn request(&self, ticket: Ticket, req: Req) {
        *self.slot.next.lock().unwrap_or_else(|p| p.into_inner()) = Some((ticket, req));
        // a stored permit wakes the worker even if it is busy now: it looks again when done
        self.slot.wake.notify_one();
    }
}

impl<Req> Drop for LatestJob<Req> {
    fn drop(&mut self) {
        self.worker.abort();
    }
}

fn take<T>(m: &Mutex<Option<T>>) -> Option<T> {
    m.lock().unwrap_or_else(|p| p.into_inner()).take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::mpsc;

    #[test]
    fn only_the_newest_ticket_is_accepted() {
        let mut latest = Latest::default();
        assert!(!latest.accepts(Ticket::default()), "nothing asked yet");
        let a = latest.issue();
        let b = latest.issue();
        assert!(!latest.accepts(a), "a late reply to an older request");
        assert!(latest.accepts(b));
        latest.cancel();
        assert!(!latest.accepts(b), "cancelled");
    }

    /// A job that panics still answers, so nobody waits on it for ever.
    #[tokio::test]
    async fn a_job_that_panics_still_answers() {
        let (tx, mut rx) = mpsc::channel(1);
        let job = LatestJob::spawn(
            |n: u32| if n == 0 { panic!("boom") } else { n },
            move |t, out| {
                let tx = tx.clone();
                async move { tx.send((t, out)).await.is_ok() }
            },
        );
        let mut latest = Latest::default();
        job.request(latest.issue(), 0);
        let (_, out) = rx.recv().await.unwrap();
        assert!(out.unwrap_err().to_string().contains("stopped"));
        job.request(latest.issue(), 7);
        assert_eq!(rx.recv().await.unwrap().1, Ok(7), "the worker goes on");
    }

    /// Requests arriving while a job runs collapse into one: the newest.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_during_a_run_collapse_into_the_newest() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let (tx, mut rx) = mpsc::channel(16);
        let job = LatestJob::spawn(
            move |n: u32| {
                counted.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
                n
            },
            move |t, n: Result<u32, JobFailed>| {
                let tx = tx.clone();
                async move { tx.send((t, n.unwrap())).await.is_ok() }
            },
        );
        let mut latest = Latest::default();
        job.request(latest.issue(), 1);
        tokio::time::sleep(Duration::from_millis(30)).await; // the first run has started
        for n in 2..=5 {
            job.request(latest.issue(), n);
        }
        let first = rx.recv().await.unwrap();
        let second = rx.recv().await.unwrap();
        assert_eq!((first.1, second.1), (1, 5), "2, 3 and 4 never ran");
        assert!(!latest.accepts(first.0) && latest.accepts(second.0));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
