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
    #[error("{file}: {detail}")]
    File { file: String, detail: String },
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    normal: BTreeMap<String, Action>,
    #[serde(default)]
    dialog: BTreeMap<String, Action>,
}

impl Keymap {
    pub fn defaults() -> Self {
        Self::from_toml(DEFAULT_KEYMAP, None).expect("embedded keymap is valid")
    }

    /// Parses `base`, then applies `user` on top (a user key replaces the same key's binding).
    pub fn from_toml(base: &str, user: Option<(&str, &str)>) -> Result<Self> {
        let parse = |name: &str, text: &str| {
            toml::from_str::<KeymapFile>(text).map_err(|e| KeymapError::File {
                file: name.to_string(),
                detail: e.to_string(),
            })
        };
        let mut file = parse("the default keymap", base)?;
        if let Some((name, text)) = user {
            let over = parse(name, text)?;
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
}
