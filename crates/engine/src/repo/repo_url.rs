//! Repo URLs: which `--repo` values are URLs, how they are shown (never with credentials), how
//! credentials are scrubbed from any message, and where each URL's mirror lives.

use gix::bstr::ByteSlice;
use std::path::{Path, PathBuf};

/// Schemes accepted as `scheme://…` URLs.
const SCHEMES: [&str; 7] = ["https", "http", "ssh", "git", "file", "git+ssh", "ssh+git"];

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
    crate::paths::dirs()
        .cache
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("kdrift"))
        .join("repos")
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
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
