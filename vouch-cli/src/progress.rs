//! Progress indicators for long work, shown only when standard error is a
//! terminal, so scripts and logs never see them.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner or bar on standard error, or nothing when it is not a terminal.
/// It clears itself when dropped.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// A spinner with a message, for work whose length is unknown.
    pub(crate) fn spinner(message: impl Into<String>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner().with_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(bar))
    }

    /// A bar of `len` steps with a message.
    pub(crate) fn bar(len: u64, message: impl Into<String>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(len).with_message(message.into());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(Some(bar))
    }

    /// One step done.
    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
