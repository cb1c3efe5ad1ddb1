//! Where a source sends its events. Each source owns its event type (`RepoEvent`, `KubeEvent`,
//! `LogEvent`, `SyncEvent`) and takes an `Outbox` of it; the front end decides which channel
//! that is and what message wraps the event, so no source ever names a front end's types.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;

type SendFn<E> = dyn Fn(E) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync;

pub struct Outbox<E>(Arc<SendFn<E>>);

impl<E> Clone for Outbox<E> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<E> std::fmt::Debug for Outbox<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbox")
    }
}

impl<E: Send + 'static> Outbox<E> {
    /// Events go into `tx` as whatever message type wraps them. The channel is bounded: a
    /// source waits when the reader falls behind (backpressure), never grows memory.
    pub fn new<M: From<E> + Send + 'static>(tx: mpsc::Sender<M>) -> Self {
        Self(Arc::new(move |event: E| {
            let tx = tx.clone();
            Box::pin(async move { tx.send(M::from(event)).await.is_ok() })
        }))
    }

    /// Events go into `tx` as `wrap` makes them (a message that says more than the event:
    /// which source sent it).
    pub fn wrapping<M: Send + 'static>(
        tx: mpsc::Sender<M>,
        wrap: impl Fn(E) -> M + Send + Sync + 'static,
    ) -> Self {
        let wrap = Arc::new(wrap);
        Self(Arc::new(move |event: E| {
            let (tx, wrap) = (tx.clone(), wrap.clone());
            Box::pin(async move { tx.send(wrap(event)).await.is_ok() })
        }))
    }

    /// Delivers one event; `false` once the reader is gone (the source should stop).
    pub async fn send(&self, event: E) -> bool {
        (self.0)(event).await
    }
}
