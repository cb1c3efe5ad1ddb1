//! Repos given as URLs: a bare mirror per URL in a local cache, refreshed by fetching.
//!
//! The mirror maps the remote's `refs/heads/*` and `refs/tags/*` onto the same names (forced, so
//! force-pushes are followed), and its `HEAD` is set to what the remote's `HEAD` points at, so the
//! local readers (`read_snapshot`, the follower) work on the cache directory unchanged: no `--rev`
//! means the remote's default branch, `--rev main` means the remote's `main`.
//!
//! Credentials: a URL may carry `user:password@` (e.g. an access token). The URL is only ever handed
//! to gix for the connection — the cache repo's config never stores it (the remote is anonymous) and
//! the cache directory's name is derived from the redacted URL. Everything meant for display or logs
//! goes through [`redact_url`], and every error message through [`scrub`].
//!
//! Scope of this module, on purpose:
//! - The cache repo is opened *isolated*: the user's global/system git config is not read, so
//!   credential helpers, `url.*.insteadOf`, proxies and `core.sshCommand` do not apply. Credentials
//!   come from the URL (https) or from ssh itself (agent, keys, `~/.ssh/config`).
//! - No interactive prompts: a server asking for credentials the URL does not carry fails the fetch.
//!   (ssh is spawned as-is, so ssh's own passphrase or host-key prompt can still reach the terminal.)
//! - Branches and tags deleted on the remote are pruned from the mirror, like `git fetch --prune`.
//! - https uses reqwest with rustls and the `ring` provider kube uses (see Cargo.toml).

use super::error::{RepoError, Result};
use super::repo_url::{redact_url, scrub};
use gix::bstr::ByteSlice;
use gix::protocol::handshake::Ref;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// The mirror's refspecs: branches and tags under their own names, forced.
const MIRROR_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// Namespaces the mirror owns (and prunes).
const MIRRORED_PREFIXES: [&str; 2] = ["refs/heads/", "refs/tags/"];

/// What a [`fetch_mirror`] call did to the cache repo.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchOutcome {
    /// The cache repo did not exist and was created by this call.
    pub created: bool,
    /// Full names of the refs created, moved or pruned by this fetch, plus `HEAD` when the remote's
    /// default branch changed (or was first learnt), sorted.
    pub updated: Vec<String>,
    /// The ref the remote's `HEAD` points at (e.g. `refs/heads/main`), or `None` when the remote did
    /// not advertise a symbolic `HEAD` (detached, or hidden by the server).
    pub remote_head: Option<String>,
}

impl FetchOutcome {
    /// Whether any ref in the cache repo changed.
    pub fn changed(&self) -> bool {
        !self.updated.is_empty()
    }
}

/// An error for display: `what` about the redacted URL, then the error's message chain, all
/// scrubbed (gix messages can quote the URL with its userinfo, e.g. `input="https://u:p@…"`).
/// The error is flattened into text on purpose: kept as a source, `{:#}` would print it raw.
fn failure(what: &str, url: &str, err: &(dyn std::error::Error + 'static)) -> RepoError {
    let text = format!("{what} {}: {}", redact_url(url), crate::error::chain(err));
    RepoError::Fetch(scrub(&text, url))
}

/// Opens the cache repo at `dir`, creating it (bare) when `dir` is missing or empty.
fn open_or_init(url: &str, dir: &Path) -> Result<(gix::Repository, bool)> {
    let options = gix::open::Options::isolated();
    if let Ok(repo) = gix::open_opts(dir, options.clone()) {
        return Ok((repo, false));
    }
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(failure("cannot read the cache directory for", url, &e)),
    };
    if !empty {
        return Err(RepoError::Mirror(format!(
            "the cache directory {} for {} exists but is not a git repository; remove it to re-create the cache",
            dir.display(),
            redact_url(url)
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| failure("cannot create the cache directory for", url, &e))?;
    gix::init_bare(dir).map_err(|e| failure("cannot create the cache repo for", url, &e))?;
    // Re-open with the same options as every later fetch.
    let repo = gix::open_opts(dir, options)
        .map_err(|e| failure("cannot open the new cache repo for", url, &e))?;
    Ok((repo, true))
}

/// Fetches `url` into the bare mirror at `dir` (created on first use) and points the mirror's `HEAD`
/// where the remote's `HEAD` points. Blocking: call it from `spawn_blocking`.
///
/// The URL is used for this connection only; the cache repo's config does not record it.
/// Every error message is scrubbed of the URL's credentials.
/// How long a fetch may take by default (`--git-timeout`): connecting, listing and receiving.
pub const FETCH_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// `fetch_mirror` with a deadline: past `limit` the fetch reports that no answer came, whatever the
/// server does. The transfer itself is interrupted (gix checks the flag between reads) and its
/// sockets time out after `limit` without data, so a stalled server does not keep the thread.
pub async fn fetch_mirror_within(
    url: &str,
    dir: &Path,
    limit: std::time::Duration,
) -> Result<FetchOutcome> {
    let interrupt = InterruptOnDrop(std::sync::Arc::new(AtomicBool::new(false)));
    let (u, d, flag) = (url.to_string(), dir.to_path_buf(), interrupt.0.clone());
    let task =
        tokio::task::spawn_blocking(move || fetch_mirror_interruptible(&u, &d, &flag, limit));
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(RepoError::Fetch(scrub(
            &format!("fetching {}: {e}", redact_url(url)),
            url,
        ))),
        Err(_) => {
            drop(interrupt);
            Err(RepoError::Fetch(format!(
                "fetching {}: no answer in {}s (--git-timeout)",
                redact_url(url),
                limit.as_secs()
            )))
        }
    }
}

/// Sets the fetch's interrupt flag when the waiting future goes away, however it goes: past the
/// deadline, or dropped because the user quit or asked for a new fetch (the fetcher drops the
/// running one), so the blocking transfer stops at its next read instead of running on.
struct InterruptOnDrop(std::sync::Arc<AtomicBool>);

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

pub fn fetch_mirror(url: &str, dir: &Path) -> Result<FetchOutcome> {
    fetch_mirror_interruptible(url, dir, &AtomicBool::new(false), FETCH_LIMIT)
}

fn fetch_mirror_interruptible(
    url: &str,
    dir: &Path,
    interrupt: &AtomicBool,
    limit: std::time::Duration,
) -> Result<FetchOutcome> {
    // https goes through reqwest's rustls, which has no provider of its own: use kube's (ring).
    // Installing twice is harmless (the first one stays).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Parse first, so that a malformed URL does not leave an empty cache repo behind.
    let parsed = gix::Url::try_from(url).map_err(|e| failure("invalid repo URL", url, &e))?;
    let (repo, created) = open_or_init(url, dir)?;
    let remote = repo
        .remote_at(parsed)
        .map_err(|e| failure("invalid repo URL", url, &e))?
        .with_fetch_tags(gix::remote::fetch::Tags::None)
        .with_refspecs(MIRROR_REFSPECS, gix::remote::Direction::Fetch)
        .map_err(|e| failure("invalid refspecs for", url, &e))?;
    // `HEAD` as an extra, destination-less refspec makes the server list it (protocol v2 filters
    // refs by prefix), so the handshake tells where it points; it never writes a local ref.
    let head_spec = gix::refspec::parse("HEAD".into(), gix::refspec::parse::Operation::Fetch)
        .map_err(|e| failure("invalid refspec for", url, &e))?
        .to_owned();
    let transport = match git_daemon_transport(&remote, limit) {
        Some(made) => made.map_err(|e| failure("cannot connect to", url, &e))?,
        None => {
            let connection = remote
                .connect(gix::remote::Direction::Fetch)
                .map_err(|e| failure("cannot connect to", url, &e))?;
            let options = http_options(&repo, url, limit);
            return finish(&repo, url, created, interrupt, head_spec, {
                let c = connection.with_credentials(|_action| Ok(None));
                match options {
                    Some(o) => c.with_transport_options(o),
                    None => c,
                }
            });
        }
    };
    let connection = remote
        .to_connection_with_transport(transport)
        .with_credentials(|_action| Ok(None));
    finish(&repo, url, created, interrupt, head_spec, connection)
}

/// A git:// connection made here rather than by gix, whose daemon transport sets no read
/// timeout: a server that accepts and stays silent would hold the fetch's thread forever.
/// `None` for other schemes.
fn git_daemon_transport(
    remote: &gix::Remote<'_>,
    limit: std::time::Duration,
) -> Option<std::io::Result<Box<dyn gix::protocol::transport::client::blocking_io::Transport + Send>>>
{
    use std::net::ToSocketAddrs;
    let url = remote.url(gix::remote::Direction::Fetch)?;
    if url.scheme != gix::url::Scheme::Git {
        return None;
    }
    let host = url.host()?.to_string();
    let port = url.port;
    let made = (|| {
        // The protocol has no use for userinfo; refuse it as gix does, without echoing it.
        if url.user().is_some() || url.password().is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "git:// URLs carry no credentials",
            ));
        }
        let addr = (host.as_str(), port.unwrap_or(9418))
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other(format!("{host} has no address")))?;
        let read = std::net::TcpStream::connect_timeout(&addr, limit.min(CONNECT_LIMIT))?;
        read.set_read_timeout(Some(limit))?;
        read.set_write_timeout(Some(limit))?;
        let write = read.try_clone()?;
        let connection = gix::protocol::transport::client::git::blocking_io::Connection::new(
            read,
            write,
            gix::protocol::transport::Protocol::V2,
            url.path.clone(),
            Some((host.clone(), port)),
            gix::protocol::transport::client::git::ConnectMode::Daemon,
            false,
        );
        Ok(Box::new(connection)
            as Box<
                dyn gix::protocol::transport::client::blocking_io::Transport + Send,
            >)
    })();
    Some(made)
}

/// How long connecting to a git server may take, within the fetch's own limit.
const CONNECT_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The repo's own http options with deadlines: connecting within `CONNECT_LIMIT`, and every
/// request (reqwest's blocking client reads the body inside it) within `limit`.
fn http_options(
    repo: &gix::Repository,
    url: &str,
    limit: std::time::Duration,
) -> Option<Box<dyn std::any::Any>> {
    use gix::protocol::transport::client::blocking_io::http;
    let mut options = repo
        .transport_options(gix::bstr::BStr::new(url.as_bytes()), None)
        .ok()??;
    let http_options = options.downcast_mut::<http::Options>()?;
    http_options.connect_timeout = Some(limit.min(CONNECT_LIMIT));
    let backend = http::reqwest::Options {
        configure_client: Some(Box::new(move |b: reqwest::blocking::ClientBuilder| {
            Ok(b.timeout(limit))
        })),
        configure_request: None,
    };
    http_options.backend = Some(std::sync::Arc::new(std::sync::Mutex::new(backend)));
    Some(options)
}

/// The rest of a fetch once connected: list, receive, update the mirror's refs and `HEAD`.
fn finish<T: gix::protocol::transport::client::blocking_io::Transport>(
    repo: &gix::Repository,
    url: &str,
    created: bool,
    interrupt: &AtomicBool,
    head_spec: gix::refspec::RefSpec,
    connection: gix::remote::Connection<'_, '_, '_, T>,
) -> Result<FetchOutcome> {
    let options = gix::remote::ref_map::Options {
        extra_refspecs: vec![head_spec],
        ..Default::default()
    };
    let outcome = connection
        .prepare_fetch(gix::progress::Discard, options)
        .map_err(|e| failure("cannot list the refs of", url, &e))?
        .with_reflog_message(gix::remote::fetch::RefLogMessage::Override {
            message: "kdrift: fetch".into(),
        })
        .receive(gix::progress::Discard, interrupt)
        .map_err(|e| failure("cannot fetch", url, &e))?;

    let update_refs = match &outcome.status {
        gix::remote::fetch::Status::Change { update_refs, .. }
        | gix::remote::fetch::Status::NoPackReceived { update_refs, .. } => update_refs,
    };
    use gix::remote::fetch::refs::update::Mode;
    let mut updated = Vec::new();
    let mut rejected = Vec::new();
    for (update, mapping, _, edit) in update_refs.iter_mapping_updates(
        &outcome.ref_map.mappings,
        &outcome.ref_map.refspecs,
        &outcome.ref_map.extra_refspecs,
    ) {
        let name = edit
            .map(|e| e.name.as_bstr().to_string())
            .or_else(|| mapping.local.as_ref().map(|l| l.to_string()));
        match &update.mode {
            Mode::NoChangeNeeded | Mode::ImplicitTagNotSentByRemote => {}
            Mode::FastForward | Mode::Forced | Mode::New => updated.extend(name),
            other => rejected.push(format!(
                "{}: {other}",
                name.unwrap_or_else(|| "(unnamed ref)".into())
            )),
        }
    }
    if !rejected.is_empty() {
        return Err(RepoError::Fetch(scrub(
            &format!(
                "fetching {} left refs behind: {}",
                redact_url(url),
                rejected.join(", ")
            ),
            url,
        )));
    }

    updated.extend(prune(repo, url, &outcome.ref_map.remote_refs)?);
    let (remote_head, head_changed) = set_head(repo, url, &outcome.ref_map.remote_refs)?;
    if head_changed {
        updated.push("HEAD".into());
    }
    updated.sort();
    updated.dedup();
    Ok(FetchOutcome {
        created,
        updated,
        remote_head,
    })
}

/// Deletes mirrored branches and tags that the remote no longer advertises. The advertisement is
/// complete for these namespaces (they are exactly the prefixes asked for), so absence means deleted.
fn prune(repo: &gix::Repository, url: &str, remote_refs: &[Ref]) -> Result<Vec<String>> {
    let advertised: HashSet<&[u8]> = remote_refs
        .iter()
        .map(|r| {
            let (name, _, _) = r.unpack();
            name.as_bytes()
        })
        .collect();
    let platform = repo
        .references()
        .map_err(|e| failure("cannot list the cached refs of", url, &e))?;
    let mut edits = Vec::new();
    for prefix in MIRRORED_PREFIXES {
        let refs = platform
            .prefixed(prefix)
            .map_err(|e| failure("cannot list the cached refs of", url, &e))?;
        for r in refs {
            let r = r.map_err(|e| {
                RepoError::Fetch(scrub(&format!("cannot read a cached ref: {e}"), url))
            })?;
            if !advertised.contains(r.name().as_bstr().as_bytes()) {
                edits.push(RefEdit {
                    change: Change::Delete {
                        expected: PreviousValue::MustExist,
                        log: RefLog::AndReference,
                    },
                    name: r.name().to_owned(),
                    deref: false,
                });
            }
        }
    }
    let names = edits.iter().map(|e| e.name.as_bstr().to_string()).collect();
    if !edits.is_empty() {
        repo.edit_references(edits)
            .map_err(|e| failure("cannot prune deleted refs of", url, &e))?;
    }
    Ok(names)
}

/// Points the mirror's `HEAD` where the remote's points: symbolically at a branch (even one not
/// yet born), or detached at a commit. Leaves it alone if the remote does not advertise `HEAD`.
/// Returns the remote's symbolic target and whether the local `HEAD` changed.
fn set_head(
    repo: &gix::Repository,
    url: &str,
    remote_refs: &[Ref],
) -> Result<(Option<String>, bool)> {
    let remote_head = remote_refs.iter().find_map(|r| match r {
        Ref::Symbolic {
            full_ref_name,
            target,
            ..
        }
        | Ref::Unborn {
            full_ref_name,
            target,
        } if full_ref_name == "HEAD" => Some(Ok(target.clone())),
        Ref::Direct {
            full_ref_name,
            object,
        } if full_ref_name == "HEAD" => Some(Err(*object)),
        _ => None,
    });
    let new = match remote_head {
        None => return Ok((None, false)),
        Some(Ok(target)) => {
            let name = gix::refs::FullName::try_from(target.clone()).map_err(|e| {
                failure(
                    &format!("the remote HEAD points at an invalid ref {target:?} in"),
                    url,
                    &e,
                )
            })?;
            gix::refs::Target::Symbolic(name)
        }
        Some(Err(id)) => gix::refs::Target::Object(id),
    };
    let current = repo
        .find_reference("HEAD")
        .ok()
        .map(|r| r.inner.target.clone());
    let symbolic = match &new {
        gix::refs::Target::Symbolic(name) => Some(name.as_bstr().to_string()),
        gix::refs::Target::Object(_) => None,
    };
    if current.as_ref() == Some(&new) {
        return Ok((symbolic, false));
    }
    repo.edit_reference(RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: "kdrift: remote HEAD".into(),
            },
            expected: PreviousValue::Any,
            new,
        },
        name: "HEAD".try_into().expect("HEAD is a valid ref name"),
        deref: false,
    })
    .map_err(|e| failure("cannot set HEAD of the cache of", url, &e))?;
    Ok((symbolic, true))
}
