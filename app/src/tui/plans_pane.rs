//! The Plans view: the plans recorded on this host (as `netlens plan undo --list`), and
//! undo with its preview, the drift check and a y/n, as the CLI does it.

use actions::Plan;
use crossterm::event::{KeyCode, KeyEvent};

use super::event::{Effect, PaneKey as Key};

/// One recorded plan, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub id: String,
    pub status: String,
    pub netns: String,
    pub user: String,
    pub applied: String,
    pub title: String,
}

/// An undo previewed: its commands, and what changed since the plan was applied.
#[derive(Debug, Clone)]
pub struct Preview {
    pub id: String,
    pub undo: Plan,
    pub drift: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Loading,
    Listing,
    Previewing,
    /// "undo plan ID? y/n".
    Asking,
    Undoing,
}

pub struct PlansPane {
    pub rows: Vec<PlanRow>,
    pub selected: usize,
    pub phase: Phase,
    pub preview: Option<Result<Preview, String>>,
    pub message: Option<String>,
}

impl PlansPane {
    /// A pane waiting for the list it asked for.
    pub fn loading() -> (PlansPane, Effect) {
        (
            PlansPane {
                rows: Vec::new(),
                selected: 0,
                phase: Phase::Loading,
                preview: None,
                message: None,
            },
            Effect::LoadPlans,
        )
    }

    /// The list came (newest first).
    pub fn listed(&mut self, r: Result<Vec<PlanRow>, String>) {
        match r {
            Ok(rows) => {
                self.rows = rows;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            Err(e) => self.message = Some(format!("cannot read the plan store: {e}")),
        }
        if self.phase == Phase::Loading {
            self.phase = Phase::Listing;
        }
    }

    /// An undo preview came.
    pub fn previewed(&mut self, r: Result<Preview, String>) {
        self.phase = Phase::Listing;
        self.message = match &r {
            Ok(p) if !p.drift.is_empty() => Some(format!(
                "plan {} changed since it was applied: not undone here (the CLI's `netlens plan undo {} --force` undoes the rest)",
                p.id, p.id
            )),
            Ok(p) => Some(format!(
                "u undoes plan {} ({} steps, shown below)",
                p.id,
                p.undo.steps.len()
            )),
            Err(e) => Some(e.clone()),
        };
        self.preview = Some(r);
    }

    /// An undo ended.
    pub fn undone(&mut self, id: &str, r: Result<(), String>) -> Effect {
        self.phase = Phase::Loading;
        self.preview = None;
        self.message = Some(match r {
            Ok(()) => format!("plan {id} undone"),
            Err(e) => format!("plan {id}: {e}"),
        });
        Effect::LoadPlans
    }

    fn selected_id(&self) -> Option<String> {
        self.rows.get(self.selected).map(|r| r.id.clone())
    }

    pub fn on_key(&mut self, k: KeyEvent) -> Key {
        if self.phase == Phase::Asking {
            let ready = self.preview.as_ref().and_then(|p| p.as_ref().ok()).cloned();
            if let (KeyCode::Char('y'), Some(p)) = (k.code, ready) {
                self.phase = Phase::Undoing;
                self.message = Some(format!("undoing plan {}…", p.id));
                return Key::Effect(Box::new(Effect::ApplyUndo {
                    id: p.id,
                    undo: Box::new(p.undo),
                }));
            }
            self.phase = Phase::Listing;
            self.message = Some("not undone".into());
            return Key::Changed;
        }
        if self.phase == Phase::Undoing {
            return Key::Unused;
        }
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => return Key::Close,
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1));
                self.preview = None;
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = self.selected.saturating_sub(1);
                self.preview = None;
            }
            KeyCode::Char('r') => {
                self.phase = Phase::Loading;
                return Key::Effect(Box::new(Effect::LoadPlans));
            }
            KeyCode::Enter => {
                let Some(id) = self.selected_id() else {
                    return Key::Unused;
                };
                self.phase = Phase::Previewing;
                self.message = Some(format!("previewing the undo of plan {id}…"));
                return Key::Effect(Box::new(Effect::PreviewUndo { id }));
            }
            KeyCode::Char('u') => match &self.preview {
                Some(Ok(p)) if p.drift.is_empty() && Some(&p.id) == self.selected_id().as_ref() => {
                    self.phase = Phase::Asking;
                    self.message = Some(format!(
                        "undo plan {} ({} steps)? y/n",
                        p.id,
                        p.undo.steps.len()
                    ));
                }
                Some(Ok(p)) if !p.drift.is_empty() => {
                    self.message = Some(format!(
                        "plan {} changed since it was applied: not undone here",
                        p.id
                    ));
                }
                _ => self.message = Some("Enter previews the undo first".into()),
            },
            _ => return Key::Unused,
        }
        Key::Changed
    }
}
