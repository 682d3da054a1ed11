//! What the sidebar and the narrow window's pick lists filter by: the kinds of
//! file and the groups the list holds, with their counts.

use ferry::engine::Category;

use super::Transfers;
use crate::i18n::{Tr, tr};
use crate::ui::form::Choice;
use crate::ui::format;

impl Transfers {
    /// "All kinds", then every category that has operations, with their count.
    pub fn category_choices(&self, tr: &Tr) -> Vec<Choice<Option<Category>>> {
        std::iter::once(Choice {
            value: None,
            label: tr!(tr, "filter-all-categories"),
        })
        .chain(
            self.category_counts()
                .into_iter()
                .map(|(category, n)| Choice {
                    value: Some(category),
                    label: format!("{} ({n})", format::category(tr, category)),
                }),
        )
        .collect()
    }

    /// "All groups", then every group that has operations, by name.
    pub fn group_choices(&self, tr: &Tr) -> Vec<Choice<Option<String>>> {
        std::iter::once(Choice {
            value: None,
            label: tr!(tr, "filter-all-groups"),
        })
        .chain(self.group_counts().into_iter().map(|(name, _)| Choice {
            value: Some(name.clone()),
            label: name.clone(),
        }))
        .collect()
    }

    /// Every category that has operations (and the one in force), with its count.
    pub fn category_counts(&self) -> Vec<(Category, usize)> {
        Category::ALL
            .into_iter()
            .map(|c| (c, self.rows.iter().filter(|s| s.category == c).count()))
            .filter(|(c, n)| *n > 0 || self.category == Some(*c))
            .collect()
    }

    /// Every group that has operations, by name, with its count.
    pub fn group_counts(&self) -> Vec<(&String, usize)> {
        let mut counts: Vec<(&String, usize)> = Vec::new();
        let mut names: Vec<&String> = self.rows.iter().filter_map(|s| s.group.as_ref()).collect();
        names.sort();
        for name in names {
            match counts.last_mut() {
                Some((last, n)) if *last == name => *n += 1,
                _ => counts.push((name, 1)),
            }
        }
        counts
    }
}
