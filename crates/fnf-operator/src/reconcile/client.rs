//! Which client serves an object now, and what that means for the problem
//! its view records.

use jiff::Timestamp;

use super::context::Context;
use crate::crd::FlowExecution;
use crate::decide::classify;
use crate::decide::view::ProblemKind;
use crate::watch::key::TrackKey;
use fnf_client::Client;

/// The client for `fe` as its credentials are now. Problems with the old
/// ones are over once they change: a missing Secret that now exists, keys
/// the cloud refused that were replaced. With no client (a missing Secret,
/// a bad region) nothing is called with credentials that are gone, polls
/// included.
pub async fn current(ctx: &Context, key: &TrackKey, fe: &FlowExecution) -> Option<Client> {
    let now = Timestamp::now();
    match ctx.cloud.client_for(fe).await {
        Ok(client) => {
            let changed = ctx.tracker.set_client(key, &client);
            ctx.tracker.update(key, |view| {
                let over = view.problem.as_ref().is_some_and(|p| {
                    !p.from_call || (changed && p.kind == ProblemKind::Credentials)
                });
                if over {
                    view.problem = None;
                }
            });
            Some(client)
        }
        Err(access) => {
            ctx.tracker.update(key, |view| {
                view.problem = Some(classify::local_problem(
                    access.kind,
                    access.reason,
                    access.message.clone(),
                    view.problem.as_ref(),
                    now,
                ));
            });
            if access.kind != ProblemKind::Transient {
                ctx.tracker.stop_polling(key);
            }
            None
        }
    }
}
