//! Colours on screen. The panes draw with a few named colours; a theme says what each shows as
//! (`assets/themes/`: the default and a high-contrast one, or a file of the user's), and with
//! colour off (`NO_COLOR`, `--color never`, or not a terminal's worth of colours) nothing is
//! coloured at all: a cell drawn on a background (the selection bar, a badge) is shown in reverse
//! video instead, so what was marked stays marked. Applied to each frame's buffer after the panes
//! drew it, so no pane needs to know.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::str::FromStr;

/// The colours the panes draw with, by the names a theme file uses.
const NAMED: [(&str, Color); 11] = [
    ("black", Color::Black),
    ("blue", Color::Blue),
    ("cyan", Color::Cyan),
    ("dark_gray", Color::DarkGray),
    ("green", Color::Green),
    ("light_red", Color::LightRed),
    ("magenta", Color::Magenta),
    ("red", Color::Red),
    ("white", Color::White),
    ("yellow", Color::Yellow),
    ("selection", SELECTION),
];

/// The selected row's background, as the panes draw it.
pub const SELECTION: Color = Color::Rgb(40, 44, 52);

pub const THEMES: [(&str, &str); 2] = [
    ("default", include_str!("../../assets/themes/default.toml")),
    (
        "high-contrast",
        include_str!("../../assets/themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Clone, PartialEq)]
pub enum Palette {
    /// No colour at all.
    Plain,
    /// Each drawn colour to what it shows as; colours not listed stay as drawn.
    Themed(Vec<(Color, Color)>),
}

impl Default for Palette {
    fn default() -> Self {
        Palette::Themed(Vec::new())
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file}:{line}: {message}")]
pub struct ThemeError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl Palette {
    /// A built-in theme by name, or a theme file (over the default).
    pub fn theme(name_or_file: &str) -> Result<Palette, ThemeError> {
        let builtin = THEMES.iter().find(|(name, _)| *name == name_or_file);
        let (file, text) = match builtin {
            Some((name, text)) => (format!("theme {name}"), text.to_string()),
            None => {
                let text = std::fs::read_to_string(name_or_file).map_err(|e| ThemeError {
                    file: name_or_file.to_string(),
                    line: 0,
                    message: format!(
                        "{e} (a theme is a file or one of: {})",
                        THEMES.map(|t| t.0).join(", ")
                    ),
                })?;
                (name_or_file.to_string(), text)
            }
        };
        Palette::parse(&file, &text)
    }

    /// A theme file's text: `name = "colour"` lines. An unknown name or a colour that does not
    /// parse is an error naming the file, line and key.
    pub fn parse(file: &str, text: &str) -> Result<Palette, ThemeError> {
        let error = |line: usize, message: String| ThemeError {
            file: file.to_string(),
            line,
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .unwrap_or(0);
            error(line, e.message().to_string())
        })?;
        let mut map = Vec::new();
        for (key, value) in table {
            let line = line_of(text, &key);
            let Some((_, drawn)) = NAMED.iter().find(|(name, _)| *name == key) else {
                let names: Vec<&str> = NAMED.iter().map(|n| n.0).collect();
                return Err(error(
                    line,
                    format!("unknown colour {key:?} (known: {})", names.join(", ")),
                ));
            };
            let Some(text) = value.as_str() else {
                return Err(error(line, format!("{key}: a colour is a string")));
            };
            let shown = Color::from_str(text)
                .map_err(|_| error(line, format!("{key}: {text:?} is not a colour")))?;
            map.push((*drawn, shown));
        }
        Ok(Palette::Themed(map))
    }

    /// Recolours a drawn frame.
    pub fn apply(&self, buffer: &mut Buffer) {
        match self {
            Palette::Themed(map) if map.is_empty() => {}
            Palette::Themed(map) => {
                let shown = |c: Color| map.iter().find(|(d, _)| *d == c).map_or(c, |(_, s)| *s);
                for cell in buffer.content.iter_mut() {
                    cell.fg = shown(cell.fg);
                    cell.bg = shown(cell.bg);
                }
            }
            Palette::Plain => {
                for cell in buffer.content.iter_mut() {
                    if cell.bg != Color::Reset {
                        cell.modifier.insert(Modifier::REVERSED);
                    }
                    cell.fg = Color::Reset;
                    cell.bg = Color::Reset;
                }
            }
        }
    }
}

/// The line a top-level key is on (1-based; 0 when not found).
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .or_else(|| l.strip_prefix(&format!("\"{key}\"")))
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

/// Whether colour is drawn: `--color` over `NO_COLOR` (set and not empty, as no-color.org says).
pub fn colour_on(flag: ColorChoice, no_color: Option<&std::ffi::OsStr>) -> bool {
    match flag {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => no_color.is_none_or(|v| v.is_empty()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn every_builtin_theme_parses_and_names_only_known_colours() {
        for (name, _) in THEMES {
            assert!(
                matches!(Palette::theme(name), Ok(Palette::Themed(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn a_bad_theme_names_the_file_line_and_key() {
        let err = Palette::parse("t.toml", "green = \"green\"\npurple = \"red\"\n").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("t.toml", 2));
        assert!(err.message.contains("\"purple\""), "{err}");
        let err = Palette::parse("t.toml", "\n\nred = \"reddish\"\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("red: \"reddish\""), "{err}");
        let err = Palette::parse("t.toml", "red = 3\n").unwrap_err();
        assert!(err.message.contains("a colour is a string"), "{err}");
        let err = Palette::parse("t.toml", "red = \n").unwrap_err();
        assert_eq!(err.line, 1, "{err}");
        let err = Palette::theme("/nonexistent/theme.toml").unwrap_err();
        assert!(err.to_string().contains("high-contrast"), "{err}");
    }

    #[test]
    fn a_theme_recolours_and_plain_keeps_marks_as_reverse_video() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        buf.set_string(0, 0, "a", Style::new().fg(Color::DarkGray));
        buf.set_string(1, 0, "b", Style::new().fg(Color::Green).bg(SELECTION));
        let mut themed = buf.clone();
        Palette::theme("high-contrast").unwrap().apply(&mut themed);
        assert_eq!(themed.content[0].fg, Color::White);
        assert_eq!(
            (themed.content[1].fg, themed.content[1].bg),
            (Color::LightGreen, Color::Blue)
        );
        Palette::Plain.apply(&mut buf);
        assert!(
            buf.content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
        );
        assert!(buf.content[1].modifier.contains(Modifier::REVERSED));
        assert!(!buf.content[0].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn no_color_turns_colour_off_unless_asked_for() {
        let set = Some(std::ffi::OsStr::new("1"));
        assert!(!colour_on(ColorChoice::Auto, set));
        assert!(colour_on(ColorChoice::Auto, Some(std::ffi::OsStr::new(""))));
        assert!(colour_on(ColorChoice::Auto, None));
        assert!(colour_on(ColorChoice::Always, set));
        assert!(!colour_on(ColorChoice::Never, None));
    }
}
