//! The rows picked to act on together, as file managers do it: a click picks one
//! row, Ctrl+click adds or takes away one, Shift+click picks the rows from the
//! last one clicked to this one (in the order shown), Ctrl+A picks every row
//! shown.

use std::collections::BTreeSet;

use iced::keyboard::Modifiers;

use ferry::engine::OperationId;

#[derive(Debug, Default)]
pub struct Selection {
    picked: BTreeSet<OperationId>,
    /// Where a Shift+click range starts: the last row clicked without Shift.
    anchor: Option<OperationId>,
}

impl Selection {
    /// A click on row `id` with `modifiers` held; `shown`: the rows in view order.
    pub fn click(&mut self, id: OperationId, modifiers: Modifiers, shown: &[OperationId]) {
        if modifiers.shift()
            && let Some(range) = self.anchor.and_then(|anchor| range(shown, anchor, id))
        {
            if !modifiers.command() {
                self.picked.clear();
            }
            self.picked.extend(range);
            return;
        }
        if modifiers.command() {
            if !self.picked.remove(&id) {
                self.picked.insert(id);
            }
        } else {
            self.picked.clear();
            self.picked.insert(id);
        }
        self.anchor = Some(id);
    }

    pub fn all(&mut self, shown: &[OperationId]) {
        self.picked = shown.iter().copied().collect();
    }

    pub fn clear(&mut self) {
        self.picked.clear();
        self.anchor = None;
    }

    /// The row left the list.
    pub fn forget(&mut self, id: OperationId) {
        self.picked.remove(&id);
        if self.anchor == Some(id) {
            self.anchor = None;
        }
    }

    pub fn contains(&self, id: OperationId) -> bool {
        self.picked.contains(&id)
    }

    pub fn len(&self) -> usize {
        self.picked.len()
    }

    pub fn ids(&self) -> Vec<OperationId> {
        self.picked.iter().copied().collect()
    }
}

/// The rows from `a` to `b` (either order), both included, when both are shown.
fn range(shown: &[OperationId], a: OperationId, b: OperationId) -> Option<&[OperationId]> {
    let a = shown.iter().position(|id| *id == a)?;
    let b = shown.iter().position(|id| *id == b)?;
    Some(&shown[a.min(b)..=a.max(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn click_ctrl_click_shift_click_and_all() {
        let rows: Vec<OperationId> = (0..6).map(|_| OperationId::new()).collect();
        let picked = |s: &Selection| -> Vec<usize> {
            (0..rows.len()).filter(|i| s.contains(rows[*i])).collect()
        };
        let mut s = Selection::default();
        s.click(rows[1], Modifiers::empty(), &rows);
        assert_eq!(picked(&s), [1]);
        s.click(rows[3], Modifiers::CTRL, &rows);
        assert_eq!(picked(&s), [1, 3]);
        // Shift: from the last click (3) to here, instead of what was picked.
        s.click(rows[5], Modifiers::SHIFT, &rows);
        assert_eq!(picked(&s), [3, 4, 5]);
        // Backwards too; Ctrl+Shift adds the range.
        s.click(rows[0], Modifiers::CTRL | Modifiers::SHIFT, &rows);
        assert_eq!(picked(&s), [0, 1, 2, 3, 4, 5]);
        // Ctrl+click takes one away.
        s.click(rows[2], Modifiers::CTRL, &rows);
        assert_eq!(picked(&s), [0, 1, 3, 4, 5]);
        // A plain click picks one again.
        s.click(rows[4], Modifiers::empty(), &rows);
        assert_eq!(picked(&s), [4]);
        s.all(&rows[..3]);
        assert_eq!(picked(&s), [0, 1, 2]);
        s.forget(rows[1]);
        assert_eq!(s.len(), 2);
        s.clear();
        assert_eq!(s.len(), 0);
        // Shift with no row clicked before picks that one.
        s.click(rows[2], Modifiers::SHIFT, &rows);
        assert_eq!(picked(&s), [2]);
    }
}
