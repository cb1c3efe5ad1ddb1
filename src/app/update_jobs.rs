//! Replies from background jobs: used only when they answer the newest request of their kind.

use super::mode::Mode;
use super::msg::{Cmd, JobReply};
use super::state::{CommitFiles, NoticeKind, State};
use super::update_engine::on_facts;
use kdrift_engine::drift::DiffText;
use kdrift_engine::error::chain;
use kdrift_engine::repo::RepoEvent;

pub fn on_reply(state: &mut State, reply: JobReply, cmds: &mut Vec<Cmd>) {
    match reply {
        JobReply::Commit { ticket, result } if state.jobs.commit.accepts(ticket) => {
            let facts = match result {
                Ok(snap) => state.inv.travel(*snap),
                Err(e) => state.inv.on_repo(RepoEvent::Failed(e)),
            };
            on_facts(state, facts, cmds);
        }
        JobReply::Files { ticket, result } if state.jobs.files.accepts(ticket) => match result {
            Ok((commit, files, cut)) => {
                state.commit_files = Some(CommitFiles { commit, files, cut })
            }
            Err(e) => state.notify(NoticeKind::Error, format!("repo: files: {}", chain(&e))),
        },
        JobReply::History { ticket, result } if state.jobs.history.accepts(ticket) => {
            match result {
                Ok((key, entries)) => {
                    if let Mode::History(view) = &mut state.mode
                        && view.key == key
                    {
                        view.entries = Some(entries);
                    }
                }
                Err(e) => {
                    // the overlay would wait for ever: close it and say why
                    if matches!(state.mode, Mode::History(_)) {
                        state.mode = Mode::Normal;
                    }
                    state.notify(NoticeKind::Error, format!("repo: history: {}", chain(&e)));
                }
            }
        }
        JobReply::Diff { ticket, text } if state.jobs.diff.accepts(ticket) => {
            let text = text.unwrap_or_else(|e| DiffText::note(&e.to_string()));
            state.diff.arrived(text);
        }
        // a late reply to a request a newer one replaced
        _ => {}
    }
}
