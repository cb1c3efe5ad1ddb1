//! Object storage: the objects themselves, the global resourceVersion
//! counter, a bounded event history for watch resumption, and a broadcast
//! channel that feeds live watchers and the controllers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::resources::{ResId, def};

/// Events kept for resuming watches; older resourceVersions get 410 Expired.
pub const HISTORY_LIMIT: usize = 10_000;
/// Per-subscriber backlog before a slow watcher is told to re-list.
const BROADCAST_CAPACITY: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub res: ResId,
    pub ns: String,
    pub etype: EventType,
    pub object: Arc<Value>,
    /// State before a modification, so selector watches can turn "stopped
    /// matching" into DELETED.
    pub prev: Option<Arc<Value>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjKey {
    pub res: ResId,
    pub ns: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(res: ResId, ns: &str, name: &str) -> Self {
        ObjKey {
            res,
            ns: if def(res).namespaced {
                ns.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }
}

pub struct Store {
    rv: u64,
    objects: BTreeMap<ObjKey, Arc<Value>>,
    history: VecDeque<Arc<Event>>,
    /// Every event with rv > floor is still in `history`.
    history_floor: u64,
    history_limit: usize,
    tx: broadcast::Sender<Arc<Event>>,
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        Store {
            rv: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_floor: 0,
            history_limit,
            tx,
        }
    }

    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, key: &ObjKey) -> Option<Arc<Value>> {
        self.objects.get(key).cloned()
    }

    /// Objects of one resource, optionally in one namespace, ordered by
    /// (namespace, name) like the apiserver.
    pub fn list(&self, res: ResId, ns: Option<&str>) -> Vec<Arc<Value>> {
        let start = ObjKey {
            res,
            ns: ns.unwrap_or("").to_string(),
            name: String::new(),
        };
        self.objects
            .range(start..)
            .take_while(|(k, _)| k.res == res && ns.is_none_or(|n| k.ns == n))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// All objects of all kinds in a namespace (for namespace deletion).
    pub fn keys_in_namespace(&self, ns: &str) -> Vec<ObjKey> {
        self.objects
            .keys()
            .filter(|k| !k.ns.is_empty() && k.ns == ns)
            .cloned()
            .collect()
    }

    /// Keys of objects with an ownerReference to `uid`.
    pub fn dependents_of(&self, uid: &str) -> Vec<ObjKey> {
        self.objects
            .iter()
            .filter(|(_, v)| {
                v.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Stores `obj` under `key` with a fresh resourceVersion and emits the
    /// event. Callers have already decided this is a real change.
    pub fn put(&mut self, key: ObjKey, mut obj: Value) -> Arc<Value> {
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let obj = Arc::new(obj);
        let prev = self.objects.insert(key.clone(), obj.clone());
        let etype = if prev.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.emit(key, etype, obj.clone(), prev);
        obj
    }

    /// Removes the object; the DELETED event carries the deletion's RV.
    pub fn remove(&mut self, key: &ObjKey) -> Option<Arc<Value>> {
        let old = self.objects.remove(key)?;
        self.rv += 1;
        let mut last = (*old).clone();
        last["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let last = Arc::new(last);
        self.emit(key.clone(), EventType::Deleted, last.clone(), Some(old));
        Some(last)
    }

    fn emit(
        &mut self,
        key: ObjKey,
        etype: EventType,
        object: Arc<Value>,
        prev: Option<Arc<Value>>,
    ) {
        let ev = Arc::new(Event {
            rv: self.rv,
            res: key.res,
            ns: key.ns,
            etype,
            object,
            prev,
        });
        self.history.push_back(ev.clone());
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.history_floor = old.rv;
            }
        }
        // No receivers is fine: nobody is watching yet.
        let _ = self.tx.send(ev);
    }

    /// Live event subscription (controllers): changes after "now".
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Events after `rv` from history plus a live subscription, taken
    /// atomically so nothing is missed or duplicated. `Err` when `rv` is
    /// older than the history still held.
    #[allow(clippy::type_complexity)]
    pub fn subscribe_from(
        &self,
        rv: u64,
    ) -> Result<(Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>), u64> {
        if rv < self.history_floor {
            return Err(self.history_floor);
        }
        let backlog = self.history.iter().filter(|e| e.rv > rv).cloned().collect();
        Ok((backlog, self.tx.subscribe()))
    }
}
