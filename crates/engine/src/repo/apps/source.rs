//! Is a definition's source this repository? Its URL is compared with the repo's remotes, read
//! the way a person would say "the same repo": scheme, user, `.git`, a trailing slash and the
//! host's case do not matter, and `git@host:org/repo` is `https://host/org/repo`.

use crate::repo::repo_url::is_url;

/// The repo's remote URLs, normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Remotes {
    urls: Vec<String>,
}

/// How a source URL relates to this repo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Same {
    /// One of the repo's remotes.
    Yes,
    /// The repo has no network remote to compare with (a local clone or none): taken to be it.
    Assumed,
    /// Another repository.
    No,
}

impl Remotes {
    /// The remotes of `repo` (every remote's fetch URL).
    pub fn of(repo: &gix::Repository) -> Self {
        let urls = repo
            .remote_names()
            .iter()
            .filter_map(|name| {
                repo.find_remote(AsRef::<gix::bstr::BStr>::as_ref(name))
                    .ok()
            })
            .filter_map(|r| {
                r.url(gix::remote::Direction::Fetch)
                    .map(|u| u.to_bstring().to_string())
            })
            .collect::<Vec<_>>();
        Self::from_urls(&urls)
    }

    pub fn from_urls(urls: &[String]) -> Self {
        Self {
            urls: urls
                .iter()
                .filter(|u| is_url(u))
                .filter_map(|u| normalize(u))
                .collect(),
        }
    }

    pub fn same(&self, url: &str) -> Same {
        if self.urls.is_empty() {
            return Same::Assumed;
        }
        match normalize(url) {
            Some(n) if self.urls.contains(&n) => Same::Yes,
            _ => Same::No,
        }
    }
}

/// `host/path` in lower-case host, without scheme, user, port 22/443, `.git` or slashes at the end.
fn normalize(url: &str) -> Option<String> {
    let url = url.trim();
    let (host, path) = if let Some((_, rest)) = url.split_once("://") {
        let rest = rest.rsplit_once('@').map_or(rest, |(user, r)| {
            // an `@` after the first `/` is part of the path, not userinfo
            if user.contains('/') { rest } else { r }
        });
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority
            .strip_suffix(":22")
            .or_else(|| authority.strip_suffix(":443"))
            .unwrap_or(authority);
        (host.to_string(), path.to_string())
    } else {
        // scp-like user@host:path
        let (_, rest) = url.split_once('@')?;
        let (host, path) = rest.split_once(':')?;
        (host.to_string(), path.to_string())
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path).trim_matches('/');
    if host.is_empty() {
        return None;
    }
    Some(format!("{}/{}", host.to_ascii_lowercase(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_repo_however_its_url_is_written() {
        let r = Remotes::from_urls(&["git@github.com:Org/GitOps.git".into()]);
        assert_eq!(r.same("https://github.com/Org/GitOps"), Same::Yes);
        assert_eq!(r.same("https://GitHub.com/Org/GitOps.git/"), Same::Yes);
        assert_eq!(r.same("ssh://git@github.com:22/Org/GitOps.git"), Same::Yes);
        assert_eq!(r.same("https://github.com/Org/other"), Same::No);
        // paths are case-sensitive on most servers
        assert_eq!(r.same("https://github.com/org/gitops"), Same::No);
        let local = Remotes::from_urls(&["/srv/git/gitops".into()]);
        assert_eq!(local.same("https://github.com/org/gitops"), Same::Assumed);
    }
}
