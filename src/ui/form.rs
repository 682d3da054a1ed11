//! Pieces every form shares: a value with its words (pick lists, segmented
//! buttons) and what a form asks its parent to do after an update.

use iced::Task;

/// A value with the words shown for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice<T> {
    pub value: T,
    pub label: String,
}

impl<T> std::fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

/// What the parent must do after a form's update: nothing, run a task, take
/// what the form made (`Out`: downloads, uploads, settings), or close it.
#[derive(Debug)]
pub enum Action<Message, Out> {
    None,
    Run(Task<Message>),
    Submit(Out),
    Close,
}
