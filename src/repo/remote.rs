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
//! - https uses reqwest with native-tls (OpenSSL), see Cargo.toml for why not rustls.

use anyhow::{Result, anyhow};
use gix::bstr::ByteSlice;
use gix::protocol::handshake::Ref;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// The mirror's refspecs: branches and tags under their own names, forced.
const MIRROR_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// Namespaces the mirror owns (and prunes).
const MIRRORED_PREFIXES: [&str; 2] = ["refs/heads/", "refs/tags/"];

/// Schemes accepted as `scheme://…` URLs.
const SCHEMES: [&str; 7] = ["https", "http", "ssh", "git", "file", "git+ssh", "ssh+git"];

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

/// True for `https://`, `http://`, `ssh://`, `git://`, `file://` (and `git+ssh://`, `ssh+git://`)
/// URLs, and for scp-like `user@host:path`. Anything else is a local path: absolute, relative,
/// `./x`, and also `host:path` without a user (git would read that as ssh; kdrift asks for the
/// explicit `user@` or `ssh://` form so that a local directory with a colon stays a directory).
pub fn is_url(s: &str) -> bool {
    if let Some((scheme, rest)) = s.split_once("://") {
        return !rest.is_empty() && SCHEMES.iter().any(|k| k.eq_ignore_ascii_case(scheme));
    }
    scp_like(s).is_some()
}

/// Splits an scp-like `user@host:path` into `(user, host, path)`.
fn scp_like(s: &str) -> Option<(&str, &str, &str)> {
    if s.starts_with(['/', '.', '~']) || s.contains("://") {
        return None;
    }
    let (user, rest) = s.split_once('@')?;
    if user.is_empty() || user.contains(['/', ':']) {
        return None;
    }
    // `user@[::1]:path` — a bracketed host may contain colons.
    let host_end = if rest.starts_with('[') {
        rest.find(']')? + 1
    } else {
        rest.find(':')?
    };
    let (host, path) = rest.split_at(host_end);
    let path = path.strip_prefix(':')?;
    if host.is_empty() || host.contains('/') || path.is_empty() {
        return None;
    }
    Some((user, host, path))
}

/// A `scheme://` URL cut around its userinfo: `(prefix up to and including "://", userinfo, rest)`.
/// The authority ends at the first `/`, `?` or `#` (RFC 3986: userinfo cannot contain them unencoded).
fn split_userinfo(url: &str) -> Option<(&str, &str, &str)> {
    let start = url.find("://")? + 3;
    let after = &url[start..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let at = after[..authority_end].rfind('@')?;
    Some((&url[..start], &after[..at], &after[at + 1..]))
}

/// The URL for display and logs: `scheme://user:password@host/…` loses its whole userinfo
/// (`https://user:tok@host/a.git` → `https://host/a.git`; a lone user can be a token too).
/// An scp-like `git@host:path` is kept as is: its syntax cannot carry a password, and the user
/// is the ssh login, not a secret. Local paths are returned unchanged.
pub fn redact_url(url: &str) -> String {
    match split_userinfo(url) {
        Some((prefix, _, rest)) => format!("{prefix}{rest}"),
        None => url.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let hex = |b: u8| (b as char).to_digit(16);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every spelling of the URL's userinfo that a message might contain: `(whole userinfo forms,
/// single secrets)`. Spellings come from the URL as typed, percent-decoded, and as re-serialised by
/// gix and by the `url` crate (reqwest), which may percent-encode differently.
fn secrets(url: &str) -> (Vec<String>, Vec<String>) {
    fn add_userinfo(info: &str, whole: &mut Vec<String>, parts: &mut Vec<String>) {
        whole.push(info.to_string());
        let (user, password) = match info.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (info, None),
        };
        for s in std::iter::once(user).chain(password) {
            parts.push(s.to_string());
            parts.push(percent_decode(s));
        }
    }
    let mut whole = Vec::new();
    let mut parts = Vec::new();
    // Only `scheme://` URLs carry secrets; an scp-like user is the ssh login (see `redact_url`).
    if !url.contains("://") {
        return (whole, parts);
    }
    if let Some((_, info, _)) = split_userinfo(url) {
        add_userinfo(info, &mut whole, &mut parts);
    }
    if let Ok(parsed) = gix::Url::try_from(url) {
        parts.extend(parsed.user().map(str::to_string));
        parts.extend(parsed.password().map(str::to_string));
        let serialised = parsed.to_bstring().to_str_lossy().into_owned();
        if let Some((_, info, _)) = split_userinfo(&serialised) {
            add_userinfo(info, &mut whole, &mut parts);
        }
    }
    if let Ok(parsed) = url::Url::parse(url) {
        let user = parsed.username();
        match parsed.password() {
            Some(p) => add_userinfo(&format!("{user}:{p}"), &mut whole, &mut parts),
            None if !user.is_empty() => add_userinfo(user, &mut whole, &mut parts),
            None => {}
        }
    }
    let tidy = |mut v: Vec<String>| {
        v.retain(|s| !s.is_empty());
        v.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        v.dedup();
        v
    };
    (tidy(whole), tidy(parts))
}

/// `message` without the userinfo of `url` (user and password, as typed and percent-decoded):
/// `user:password@` is dropped wherever it appears, and any remaining user or password becomes
/// `***`. For an scp-like URL nothing is removed (see [`redact_url`]). A secret short enough to
/// occur in ordinary words is replaced there too: over-redaction is the safe failure.
pub fn scrub(message: &str, url: &str) -> String {
    let (whole, parts) = secrets(url);
    let mut out = message.to_string();
    for info in &whole {
        out = out.replace(&format!("{info}@"), "");
    }
    for secret in &parts {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// FNV-1a, 64 bit: a hash that stays the same across Rust versions and platforms.
fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The cache directory of `url` below `cache_root`: a readable name from the redacted URL plus a
/// hash of the redacted URL, e.g. `github.com-org-repo-1f0c…`. Credentials never reach the path, and
/// the same repo with rotated credentials keeps its cache.
pub fn cache_dir_for(cache_root: &Path, url: &str) -> PathBuf {
    let redacted = redact_url(url);
    let without_scheme = redacted
        .split_once("://")
        .map_or(redacted.as_str(), |(_, rest)| rest);
    let without_scheme = without_scheme
        .strip_suffix(".git")
        .unwrap_or(without_scheme);
    let mut name = String::new();
    for c in without_scheme.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            c
        } else {
            '-'
        };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let mut name: String = name.trim_matches(['-', '.']).chars().take(60).collect();
    name = name.trim_end_matches(['-', '.']).to_string();
    if name.is_empty() {
        name.push_str("repo");
    }
    let hash = stable_hash(redacted.as_bytes());
    cache_root.join(format!("{name}-{:012x}", hash >> 16))
}

/// `$XDG_CACHE_HOME/kdrift/repos`, else `~/.cache/kdrift/repos` (the temp dir if there is no home).
pub fn default_cache_root() -> PathBuf {
    cache_root_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

fn cache_root_from(xdg: Option<std::ffi::OsString>, home: Option<std::ffi::OsString>) -> PathBuf {
    // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    let base = xdg
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("kdrift").join("repos")
}

/// An error for display: `what` about the redacted URL, then the error's message chain, all
/// scrubbed (gix messages can quote the URL with its userinfo, e.g. `input="https://u:p@…"`).
/// The error is flattened into text on purpose: kept as a source, `{:#}` would print it raw.
fn failure(what: &str, url: &str, err: &(dyn std::error::Error + 'static)) -> anyhow::Error {
    let mut text = format!("{what} {}: {err}", redact_url(url));
    let mut source = err.source();
    while let Some(s) = source {
        let line = s.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = s.source();
    }
    anyhow!(scrub(&text, url))
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
        return Err(anyhow!(
            "the cache directory {} for {} exists but is not a git repository; remove it to re-create the cache",
            dir.display(),
            redact_url(url)
        ));
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
pub fn fetch_mirror(url: &str, dir: &Path) -> Result<FetchOutcome> {
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
    let connection = remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(|e| failure("cannot connect to", url, &e))?
        // No credential helpers and no prompts: what the URL carries is all there is.
        .with_credentials(|_action| Ok(None));
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
        .receive(gix::progress::Discard, &AtomicBool::new(false))
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
        return Err(anyhow!(scrub(
            &format!(
                "fetching {} left refs behind: {}",
                redact_url(url),
                rejected.join(", ")
            ),
            url
        )));
    }

    updated.extend(prune(&repo, url, &outcome.ref_map.remote_refs)?);
    let (remote_head, head_changed) = set_head(&repo, url, &outcome.ref_map.remote_refs)?;
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
            let r =
                r.map_err(|e| anyhow!(scrub(&format!("cannot read a cached ref: {e}"), url)))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        for url in [
            "https://github.com/org/repo.git",
            "http://127.0.0.1:8080/x",
            "HTTPS://example.com/x",
            "ssh://git@github.com/org/repo.git",
            "git://127.0.0.1:9418/repo",
            "file:///srv/git/repo.git",
            "git+ssh://host/x",
            "git@github.com:org/repo.git",
            "deploy@10.0.0.1:repos/app",
            "me@[::1]:repo",
        ] {
            assert!(is_url(url), "{url} is a URL");
        }
        for path in [
            "/srv/git/repo",
            "repo",
            "./repo",
            "../x/repo",
            "~/repo",
            "dir/sub",
            "host:path",
            "dir/user@host:path",
            "./user@host:path",
            "user@host",
            "user@host:",
            "@host:path",
            "ftp://host/x",
            "https://",
            "",
        ] {
            assert!(!is_url(path), "{path:?} is a local path");
        }
    }

    #[test]
    fn cache_root_follows_xdg_then_home() {
        let root = |x: Option<&str>, h: Option<&str>| {
            cache_root_from(x.map(Into::into), h.map(Into::into))
        };
        assert_eq!(
            root(Some("/xdg"), Some("/home/u")),
            PathBuf::from("/xdg/kdrift/repos")
        );
        assert_eq!(
            root(None, Some("/home/u")),
            PathBuf::from("/home/u/.cache/kdrift/repos")
        );
        // A relative XDG_CACHE_HOME is invalid per the spec.
        assert_eq!(
            root(Some("rel"), Some("/home/u")),
            PathBuf::from("/home/u/.cache/kdrift/repos")
        );
        assert_eq!(
            root(None, None),
            std::env::temp_dir().join("kdrift").join("repos")
        );
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
