//! The executor's watches: a replaced watch's events, queued ones too, are marked stale.

use super::*;
use kdrift_engine::cluster::{Resolver, WatchRequest};
use std::time::Duration;
use tokio::sync::mpsc;

fn configmaps(restart: bool) -> WatchRequest {
    WatchRequest {
        gvk: Gvk {
            group: String::new(),
            version: "v1".into(),
            kind: "ConfigMap".into(),
        },
        selector: None,
        restart,
        namespaces: vec!["a".into()],
    }
}

/// The next event of a watch, with the flag it came with.
async fn next_watched(rx: &mut mpsc::Receiver<Msg>) -> Arc<AtomicBool> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a watch event within 10 s")
            .expect("the channel is open");
        if let Msg::Watched { current, .. } = msg {
            return current;
        }
    }
}

#[tokio::test]
async fn a_watch_started_again_marks_what_the_old_one_sent_as_stale() {
    // nothing answers here: each watch says "reconnecting" over and over, which is all this needs
    let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let mut executor = Executor::new(Resolver::new(client), tx);

    executor.run(Cmd::Watch(vec![configmaps(false)]));
    let old = next_watched(&mut rx).await;
    assert!(old.load(Ordering::Acquire), "the only watch is current");

    // asked again without a restart: the same watch goes on
    executor.run(Cmd::Watch(vec![configmaps(false)]));
    assert!(old.load(Ordering::Acquire), "not replaced");

    executor.run(Cmd::Watch(vec![configmaps(true)]));
    assert!(
        !old.load(Ordering::Acquire),
        "replaced: what it sent is stale"
    );
    // what is still queued from the old watch is marked with its flag; the new one's is current
    let new = loop {
        let flag = next_watched(&mut rx).await;
        if !Arc::ptr_eq(&flag, &old) {
            break flag;
        }
    };
    assert!(new.load(Ordering::Acquire), "the new watch is current");
    executor.shutdown();
}
