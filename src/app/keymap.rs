//! Keymap as data: TOML with defaults embedded, user file merged on top, keys parsed to crossterm events.

use super::action::Action;
use super::mode::KeyTable;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// A keymap file that cannot be used, named by its file.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{file}{}: {detail}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        file: String,
        line: Option<usize>,
        detail: String,
    },
    #[error("unknown key {0:?}")]
    UnknownKey(String),
}

type Result<T, E = KeymapError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    pub normal: Vec<(KeySpec, Action)>,
    pub dialog: Vec<(KeySpec, Action)>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    normal: BTreeMap<String, Action>,
    #[serde(default)]
    dialog: BTreeMap<String, Action>,
}

/// The `[keys]` table of config.toml, read as a keymap (the rest of the file is the engine's).
#[derive(Deserialize)]
struct ConfigKeys {
    #[serde(default)]
    keys: KeymapFile,
}

impl Keymap {
    pub fn defaults() -> Self {
        Self::from_toml(DEFAULT_KEYMAP, None).expect("embedded keymap is valid")
    }

    /// Parses `base`, then applies `user` on top (a user key replaces the same key's binding).
    pub fn from_toml(base: &str, user: Option<(&str, &str)>) -> Result<Self> {
        Self::layered(base, user, None)
    }

    /// `base`, then a keymap file over it, then the `[keys]` of the user's config.toml over
    /// both. Each is named by its file, with the line, when a key or an action is unknown.
    pub fn layered(
        base: &str,
        keymap: Option<(&str, &str)>,
        config: Option<(&str, &str)>,
    ) -> Result<Self> {
        fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T> {
            kdrift_engine::config::parse(text).map_err(|e| KeymapError::File {
                file: name.to_string(),
                line: e.line,
                detail: e.message,
            })
        }
        let mut file: KeymapFile = parse("the default keymap", base)?;
        let mut over = Vec::new();
        if let Some((name, text)) = keymap {
            over.push(checked(name, text, parse::<KeymapFile>(name, text)?)?);
        }
        if let Some((name, text)) = config {
            // only its [keys] table: the engine checks the rest of the file
            over.push(checked(name, text, parse::<ConfigKeys>(name, text)?.keys)?);
        }
        for over in over {
            file.normal.extend(over.normal);
            file.dialog.extend(over.dialog);
        }
        Ok(Self {
            normal: parse_section(file.normal)?,
            dialog: parse_section(file.dialog)?,
        })
    }

    pub fn normal_action(&self, key: &KeyEvent) -> Option<Action> {
        lookup(&self.normal, key)
    }

    pub fn dialog_action(&self, key: &KeyEvent) -> Option<Action> {
        lookup(&self.dialog, key)
    }

    pub fn table(&self, table: KeyTable) -> &[(KeySpec, Action)] {
        match table {
            KeyTable::Normal => &self.normal,
            KeyTable::Dialog => &self.dialog,
        }
    }

    /// The first key bound to `action` in `table`, as the user would type it.
    pub fn key_for(&self, table: KeyTable, action: Action) -> Option<String> {
        self.table(table)
            .iter()
            .find(|(_, a)| *a == action)
            .map(|(k, _)| display_key(k))
    }
}

/// `file` with every key it names known, else the first unknown one with its line.
fn checked(name: &str, text: &str, file: KeymapFile) -> Result<KeymapFile> {
    for key in file.normal.keys().chain(file.dialog.keys()) {
        if parse_key(key).is_err() {
            let quoted = format!("\"{key}\"");
            let line = text
                .lines()
                .position(|l| {
                    let l = l.trim_start();
                    l.starts_with(&quoted) || l.starts_with(&format!("{key} "))
                })
                .map(|i| i + 1);
            return Err(KeymapError::File {
                file: name.to_string(),
                line,
                detail: format!(
                    "unknown key {key:?} (a character, or up, down, pageup, enter, esc, tab, space, …, with ctrl- in front)"
                ),
            });
        }
    }
    Ok(file)
}

fn parse_section(section: BTreeMap<String, Action>) -> Result<Vec<(KeySpec, Action)>> {
    let mut out: Vec<(KeySpec, Action)> = section
        .into_iter()
        .map(|(k, a)| Ok((parse_key(&k)?, a)))
        .collect::<Result<_>>()?;
    // Letters before named keys, so the footer shows "j" rather than "down".
    out.sort_by_key(|(k, _)| (!matches!(k.code, KeyCode::Char(_)), k.ctrl, display_key(k)));
    Ok(out)
}

fn lookup(table: &[(KeySpec, Action)], key: &KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let code = match key.code {
        // Terminals report Shift+Tab as BackTab; shifted letters arrive upper-case already.
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    table
        .iter()
        .find(|(k, _)| k.code == code && k.ctrl == ctrl)
        .map(|(_, a)| *a)
}

pub fn parse_key(text: &str) -> Result<KeySpec> {
    let (ctrl, rest) = match text.strip_prefix("ctrl-") {
        Some(r) if !r.is_empty() => (true, r),
        _ => (false, text),
    };
    let code = match rest {
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        s if s.chars().count() == 1 => KeyCode::Char(s.chars().next().unwrap_or(' ')),
        other => return Err(KeymapError::UnknownKey(other.to_string())),
    };
    Ok(KeySpec { code, ctrl })
}

pub fn display_key(k: &KeySpec) -> String {
    let base = match k.code {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        other => format!("{other:?}"),
    };
    if k.ctrl { format!("^{base}") } else { base }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_core_actions() {
        let km = Keymap::defaults();
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(km.normal_action(&key('q')), Some(Action::Quit));
        assert_eq!(km.normal_action(&key('S')), Some(Action::SyncAll));
        assert_eq!(
            km.normal_action(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.dialog_action(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Confirm)
        );
    }

    #[test]
    fn user_file_overrides_and_bad_files_name_themselves() {
        let km = Keymap::from_toml(
            DEFAULT_KEYMAP,
            Some(("my.toml", "[normal]\nx = \"quit\"\n")),
        )
        .unwrap();
        assert_eq!(
            km.normal_action(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        let err = Keymap::from_toml(DEFAULT_KEYMAP, Some(("my.toml", "[normal]\nx = \"fly\"\n")))
            .unwrap_err();
        assert!(err.to_string().contains("my.toml"), "{err}");
    }

    /// config.toml's `[keys]` go over keymap.toml, which goes over the defaults; the rest of
    /// config.toml is not the keymap's to judge; a bad action or key names file and line.
    #[test]
    fn config_keys_go_over_the_keymap_file() {
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let config = "theme = \"high-contrast\"\n[[ignore]]\nkind = \"X\"\npaths = [\"/a\"]\n\n[keys.normal]\n\"x\" = \"sort\"\n\"z\" = \"help\"\n";
        let km = Keymap::layered(
            DEFAULT_KEYMAP,
            Some(("keymap.toml", "[normal]\nx = \"quit\"\ny = \"top\"\n")),
            Some(("config.toml", config)),
        )
        .unwrap();
        assert_eq!(
            km.normal_action(&key('x')),
            Some(Action::Sort),
            "config wins"
        );
        assert_eq!(
            km.normal_action(&key('y')),
            Some(Action::Top),
            "keymap.toml kept"
        );
        assert_eq!(km.normal_action(&key('z')), Some(Action::Help));
        assert_eq!(
            km.normal_action(&key('q')),
            Some(Action::Quit),
            "defaults kept"
        );

        let bad_action = "theme = \"default\"\n[keys.normal]\n\"x\" = \"fly\"\n";
        let err = Keymap::layered(DEFAULT_KEYMAP, None, Some(("config.toml", bad_action)))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config.toml:3: "), "{err}");
        assert!(err.contains("fly"), "{err}");
        let bad_key = "[keys.dialog]\n\"y\" = \"confirm\"\n\"hyper-q\" = \"cancel\"\n";
        let err = Keymap::layered(DEFAULT_KEYMAP, None, Some(("config.toml", bad_key)))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config.toml:3: unknown key"), "{err}");
    }
}
