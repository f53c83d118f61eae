//! Settings: `config.toml` in the user's config directory (`netlens config path`). A bad
//! file is reported with the line and key, and netlens goes on with the defaults.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;
use widgets::Theme;

/// What the config file can set; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `dark` (default), `light`, or a theme file; `NO_COLOR` in the environment wins.
    pub theme: Option<Spanned<String>>,
    /// Packets a capture pane keeps (the command line's `--ring` wins).
    pub ring: Option<Spanned<usize>>,
    /// More UDP ports the capture pane decodes as VXLAN.
    #[serde(default)]
    pub vxlan_ports: Vec<u16>,
    /// Seconds a plan that moves the host's address waits for confirmation in the UI.
    pub confirm_secs: Option<Spanned<u64>>,
    /// Where applied plans are recorded (`NETLENS_DATA_DIR` wins).
    pub plan_dir: Option<PathBuf>,
    /// Extra keys: an action's name → a key that does it too.
    #[serde(default)]
    pub keys: BTreeMap<String, Spanned<String>>,
}

/// The commented default file (`netlens config default`).
pub const DEFAULT: &str = r#"# netlens settings (netlens config path says where this file goes). Every key is
# optional: remove the # to set one. A mistake is reported with its line, and netlens starts
# with the defaults.

# Colours: "dark", "light", or the path of a theme file (copy one from netlens's
# assets/themes). NO_COLOR in the environment turns colour off whatever this says.
# theme = "dark"

# Packets a capture pane keeps for scrolling back (--ring on the command line wins).
# ring = 10000

# More UDP ports the capture pane decodes as VXLAN (4789, 8472 and the dstports of the
# captured namespace's vxlan devices always are).
# vxlan_ports = [4899]

# Seconds a plan that moves the host's address or default route waits for `y` in the UI
# before it is reverted.
# confirm_secs = 60

# Where applied plans are recorded for undo (NETLENS_DATA_DIR wins).
# plan_dir = "/var/lib/netlens"

# Extra keys: ACTION = "KEY" makes KEY do ACTION too (the built-in key still works).
# Actions: quit, help, capture, act, plans, doctor, topology, trace, filter, switch,
# next-tab, prev-tab, sort, next-step, prev-step, recheck.
[keys]
# capture = "x"
# next-step = "."
"#;

/// The actions a key can be bound to, and their built-in key.
pub const ACTIONS: &[(&str, char)] = &[
    ("quit", 'q'),
    ("help", '?'),
    ("capture", 'c'),
    ("act", 'a'),
    ("plans", 'P'),
    ("doctor", 'D'),
    ("topology", 'T'),
    ("trace", 't'),
    ("filter", '/'),
    ("switch", ':'),
    ("next-tab", ']'),
    ("prev-tab", '['),
    ("sort", 's'),
    ("next-step", 'n'),
    ("prev-step", 'p'),
    ("recheck", 'r'),
];

/// The built-in themes (`assets/themes`).
pub const THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../assets/themes/dark.toml")),
    ("light", include_str!("../../assets/themes/light.toml")),
];

/// The config file's path.
pub fn path() -> Option<PathBuf> {
    std::env::var_os("NETLENS_CONFIG")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "netlens")
                .map(|p| p.config_dir().join("config.toml"))
        })
}

/// What the UI takes from the settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub theme: Theme,
    pub ring: Option<usize>,
    pub vxlan_ports: Vec<u16>,
    pub confirm_secs: Option<u64>,
    /// The key pressed → the built-in key it stands for.
    pub keymap: HashMap<char, char>,
    /// What was wrong with the file, said once (the defaults are used).
    pub warning: Option<String>,
}

/// Reads the config: the defaults when there is no file; with a bad file, the defaults and
/// a warning naming the line and key. Sets the plan store's directory when the file names
/// one and `NETLENS_DATA_DIR` is not set.
pub fn load() -> Settings {
    let defaults = |warning| Settings {
        theme: Theme::from_env(),
        ring: None,
        vxlan_ports: Vec::new(),
        confirm_secs: None,
        keymap: HashMap::new(),
        warning,
    };
    let Some(p) = path() else {
        return defaults(None);
    };
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return defaults(None),
        Err(e) => return defaults(Some(format!("default settings used: {}: {e}", p.display()))),
    };
    match settings(&text) {
        Ok(s) => s,
        Err(e) => defaults(Some(format!("default settings used: {}: {e}", p.display()))),
    }
}

/// The line (from 1) a span starts on.
fn line_of(text: &str, span: std::ops::Range<usize>) -> usize {
    text.get(..span.start)
        .map_or(0, |t| t.matches('\n').count())
        + 1
}

/// Parses a config text into settings; an error names the line and key.
pub fn settings(text: &str) -> Result<Settings, String> {
    let c: Config = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => format!("line {}: {}", line_of(text, span), e.message().trim()),
        None => e.message().trim().to_owned(),
    })?;
    let at = |key: &str, span: std::ops::Range<usize>, why: String| {
        format!("line {}, key {key}: {why}", line_of(text, span))
    };
    let theme = match &c.theme {
        None => Theme::dark(),
        Some(t) => {
            let name = t.get_ref();
            let body = match THEMES.iter().find(|(n, _)| n == name) {
                Some((_, b)) => (*b).to_owned(),
                None => std::fs::read_to_string(name).map_err(|e| {
                    at(
                        "theme",
                        t.span(),
                        format!("{name:?} is not dark, light nor a readable theme file ({e})"),
                    )
                })?,
            };
            parse_theme(&body).map_err(|e| at("theme", t.span(), format!("{name}: {e}")))?
        }
    };
    let theme = match std::env::var_os("NO_COLOR") {
        Some(v) if !v.is_empty() => Theme::plain(),
        _ => theme,
    };
    if let Some(r) = &c.ring {
        if *r.get_ref() == 0 {
            return Err(at("ring", r.span(), "0: keep at least one packet".into()));
        }
    }
    if let Some(s) = &c.confirm_secs {
        if !(5..=3600).contains(s.get_ref()) {
            return Err(at(
                "confirm_secs",
                s.span(),
                format!("{}: between 5 and 3600 seconds", s.get_ref()),
            ));
        }
    }
    let mut keymap = HashMap::new();
    for (action, key) in &c.keys {
        let Some((_, builtin)) = ACTIONS.iter().find(|(n, _)| n == action) else {
            return Err(at(
                &format!("keys.{action}"),
                key.span(),
                format!(
                    "no such action (one of {})",
                    ACTIONS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let mut chars = key.get_ref().chars();
        let (Some(k), None) = (chars.next(), chars.next()) else {
            return Err(at(
                &format!("keys.{action}"),
                key.span(),
                format!("{:?}: one character", key.get_ref()),
            ));
        };
        keymap.insert(k, *builtin);
    }
    if let Some(d) = &c.plan_dir {
        if std::env::var_os("NETLENS_DATA_DIR").is_none() {
            // Read by the plan store (and the revert guard it starts), in this process only.
            std::env::set_var("NETLENS_DATA_DIR", d);
        }
    }
    Ok(Settings {
        theme,
        ring: c.ring.map(Spanned::into_inner),
        vxlan_ports: c.vxlan_ports,
        confirm_secs: c.confirm_secs.map(Spanned::into_inner),
        keymap,
        warning: None,
    })
}

/// One style: `"yellow bold"`, `"black on green"`, `"reversed"`.
fn parse_style(s: &str) -> Result<Style, String> {
    let mut style = Style::new();
    let mut words = s.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let m = match w {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underlined" => Some(Modifier::UNDERLINED),
            "reversed" => Some(Modifier::REVERSED),
            _ => None,
        };
        if let Some(m) = m {
            style = style.add_modifier(m);
        } else if w == "on" {
            let c = words.next().ok_or("\"on\" needs a colour after it")?;
            style = style.bg(c
                .parse::<Color>()
                .map_err(|_| format!("{c:?} is not a colour"))?);
        } else {
            style = style.fg(w.parse::<Color>().map_err(|_| {
                format!("{w:?} is not a colour nor bold/dim/italic/underlined/reversed")
            })?);
        }
    }
    Ok(style)
}

/// A theme file: every key a style; missing keys keep the dark theme's.
pub fn parse_theme(text: &str) -> Result<Theme, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        header: Option<String>,
        focus_border: Option<String>,
        key: Option<String>,
        dim: Option<String>,
        error: Option<String>,
        warn: Option<String>,
        ok: Option<String>,
        changed: Option<String>,
        selected: Option<String>,
        up: Option<String>,
        down: Option<String>,
        no_carrier: Option<String>,
    }
    let f: File = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
    let mut t = Theme::dark();
    for (name, v, slot) in [
        ("header", &f.header, &mut t.header),
        ("focus_border", &f.focus_border, &mut t.focus_border),
        ("key", &f.key, &mut t.key),
        ("dim", &f.dim, &mut t.dim),
        ("error", &f.error, &mut t.error),
        ("warn", &f.warn, &mut t.warn),
        ("ok", &f.ok, &mut t.ok),
        ("changed", &f.changed, &mut t.changed),
        ("selected", &f.selected, &mut t.selected),
        ("up", &f.up, &mut t.up),
        ("down", &f.down, &mut t.down),
        ("no_carrier", &f.no_carrier, &mut t.no_carrier),
    ] {
        if let Some(v) = v {
            *slot = parse_style(v).map_err(|e| format!("{name} = {v:?}: {e}"))?;
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_parses_and_bad_files_name_the_line_and_key() {
        assert!(settings(DEFAULT).is_ok());
        let e = settings("ring = 5\nrnig = 6\n").expect_err("unknown key");
        assert!(e.contains("line 2") && e.contains("rnig"), "{e}");
        let e = settings("\ntheme = \"pink\"").expect_err("bad theme");
        assert!(e.contains("line 2") && e.contains("theme"), "{e}");
        let e = settings("ring = 0").expect_err("ring 0");
        assert!(e.contains("line 1") && e.contains("ring"), "{e}");
        let e = settings("[keys]\ncapture = \"xy\"\n").expect_err("two chars");
        assert!(e.contains("line 2") && e.contains("keys.capture"), "{e}");
        let e = settings("[keys]\n\nfly = \"x\"\n").expect_err("no such action");
        assert!(e.contains("line 3") && e.contains("keys.fly"), "{e}");
        let s =
            settings("ring = 500\nvxlan_ports = [4899]\n[keys]\ncapture = \"x\"\n").expect("good");
        assert_eq!((s.ring, s.vxlan_ports), (Some(500), vec![4899]));
        assert_eq!(s.keymap.get(&'x'), Some(&'c'));
    }

    #[test]
    fn the_theme_files_are_the_themes() {
        let dark = THEMES.iter().find(|(n, _)| *n == "dark").map(|(_, t)| *t);
        assert_eq!(parse_theme(dark.unwrap_or_default()), Ok(Theme::dark()));
        let light = THEMES.iter().find(|(n, _)| *n == "light").map(|(_, t)| *t);
        let light = parse_theme(light.unwrap_or_default()).expect("light parses");
        assert_ne!(light, Theme::dark());
        assert_eq!(
            light.header,
            Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD)
        );
        let e = parse_theme("ok = \"greeen\"").expect_err("bad colour");
        assert!(e.contains("ok") && e.contains("greeen"), "{e}");
    }
}
