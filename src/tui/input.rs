//! Terminal input as messages: key presses and resizes.

use crate::app::Msg;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::Sender;

pub fn spawn_input(tx: Sender<Msg>) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let msg = match event {
                Event::Key(k) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Event::Resize(_, _) => Msg::Resize,
                _ => continue,
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
}
