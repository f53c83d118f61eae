//! The seam for applying plans: the netlink layer implements [`Apply`] for one
//! step; [`apply_plan`] runs a plan in order and, when a step fails, undoes the
//! steps already done in reverse.

use crate::plan::Plan;
use crate::step::Step;

/// Carries out one step against the kernel, with the same effect as its
/// `ip`/`bridge` command. Implemented by the netlink layer (one per namespace
/// handle, as [`Step::netns`] says), and by recorders in tests.
pub trait Apply {
    /// Failure of one step; [`crate::explain_errno`] turns an errno into words.
    type Error;

    /// Applies `step`.
    fn apply(&mut self, step: &Step) -> Result<(), Self::Error>;
}

/// A plan that stopped at a failed step, and what its rollback did.
#[derive(Debug)]
pub struct Failure<E> {
    /// Index of the failed step in the plan.
    pub index: usize,
    pub error: E,
    /// The inverse steps run, in order, each with its own result.
    pub rollback: Vec<(Step, Result<(), E>)>,
    /// Steps already applied that no inverse could undo.
    pub not_undone: Vec<Step>,
}

impl<E> Failure<E> {
    /// The rollback left the namespace as it was before the plan.
    pub fn rolled_back_cleanly(&self) -> bool {
        self.not_undone.is_empty() && self.rollback.iter().all(|(_, r)| r.is_ok())
    }
}

/// Applies the steps in order; on the first failure, applies the inverses of
/// the steps done so far in reverse order (carrying on past rollback failures)
/// and reports it all.
pub fn apply_plan<A: Apply>(plan: &Plan, applier: &mut A) -> Result<(), Failure<A::Error>> {
    for (index, step) in plan.steps.iter().enumerate() {
        if let Err(error) = applier.apply(step) {
            let mut rollback = Vec::new();
            let mut not_undone = Vec::new();
            for done in plan.steps[..index].iter().rev() {
                match done.inverse() {
                    Some(inv) => {
                        let result = applier.apply(&inv);
                        rollback.push((inv, result));
                    }
                    None if done.is_noop() => {}
                    None => not_undone.push(done.clone()),
                }
            }
            return Err(Failure {
                index,
                error,
                rollback,
                not_undone,
            });
        }
    }
    Ok(())
}

/// Applies every step in order, carrying on past failures, and reports each result. For
/// reverts (a confirm timer, `undo`): undoing as much as possible beats stopping at the
/// first step whose object is already gone.
pub fn apply_all<A: Apply>(plan: &Plan, applier: &mut A) -> Vec<(Step, Result<(), A::Error>)> {
    plan.steps
        .iter()
        .map(|s| (s.clone(), applier.apply(s)))
        .collect()
}
