//! Admin commands that do more than print a setting: user import.

use std::io::{IsTerminal, Write};
use std::path::Path;

use latchkey_core::{Caller, Core, Project};

use crate::config::Fallible;

/// `latchkey users import FILE`: every user that cannot be stored is named on stderr; the exit
/// status is non-zero when any was.
pub async fn import_users(core: &Core, project: &Project, path: &Path) -> Fallible<()> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let records = latchkey_core::parse_import_file(&bytes).map_err(|e| e.message)?;
    let total = records.len();
    let mut bar = Progress::new(total);
    let caller = Caller { ip: None, user_agent: Some("latchkey users import".into()) };
    let report =
        core.import_users(project, records, false, &caller, &mut |done| bar.show(done)).await.map_err(|e| e.message)?;
    bar.finish();
    for failure in &report.failures {
        eprintln!("not imported: {}: {}", display_login_id(&failure.login_id), failure.reason);
    }
    println!("imported {} of {total} users", report.imported.len());
    if report.failures.is_empty() { Ok(()) } else { Err(format!("{} users were not imported", report.failures.len())) }
}

fn display_login_id(login_id: &str) -> &str {
    if login_id.is_empty() { "(no loginId)" } else { login_id }
}

/// A one-line progress bar on stderr, drawn only on a terminal.
struct Progress {
    total: usize,
    visible: bool,
}

impl Progress {
    const WIDTH: usize = 30;

    fn new(total: usize) -> Progress {
        Progress { total, visible: std::io::stderr().is_terminal() && total > 0 }
    }

    fn show(&mut self, done: usize) {
        if !self.visible {
            return;
        }
        let filled = done * Self::WIDTH / self.total;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(Self::WIDTH - filled));
        eprint!("\r[{bar}] {done}/{} users ({}%)", self.total, done * 100 / self.total);
        let _ = std::io::stderr().flush();
    }

    fn finish(&self) {
        if self.visible {
            eprintln!();
        }
    }
}
