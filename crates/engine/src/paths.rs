//! Where kdrift keeps its files, by the XDG base directories (`etcetera`, which also ignores a
//! relative `XDG_*_HOME` as the spec asks), resolved once per run: the user's config
//! (`~/.config/kdrift`), repo mirrors (`~/.cache/kdrift`) and the log (`~/.local/state/kdrift`).

use etcetera::BaseStrategy;
use std::path::PathBuf;
use std::sync::OnceLock;

/// kdrift's directories; `None` where no home directory could be found.
#[derive(Debug, Clone, Default)]
pub struct Dirs {
    pub config: Option<PathBuf>,
    pub cache: Option<PathBuf>,
    pub state: Option<PathBuf>,
}

/// The directories of this run.
pub fn dirs() -> &'static Dirs {
    static DIRS: OnceLock<Dirs> = OnceLock::new();
    DIRS.get_or_init(|| match etcetera::choose_base_strategy() {
        Ok(base) => Dirs {
            config: Some(base.config_dir().join("kdrift")),
            cache: Some(base.cache_dir().join("kdrift")),
            state: base.state_dir().map(|d| d.join("kdrift")),
        },
        Err(_) => Dirs::default(),
    })
}
