//! Forge audit events turned into a proposed repository policy version.
//!
//! A forge records what its admins changed: GitHub's audit log (the REST
//! API's `GET /orgs/{org}/audit-log` export, a JSON array of events named
//! by `action`) and GitLab's audit events (`GET /projects/:id/audit_events`,
//! a JSON array named by `event_name` with a `details` object). Each event
//! that touches what a [`RepoPolicy`] governs becomes a [`Change`]; applied
//! to the signed version in force it gives the next version for the admins
//! to review and sign. An event the signed version does not reflect (a
//! webhook it does not allow, a force-push it forbids, a deploy key it does
//! not list, a membership change) is an *unattributed change*: the forge
//! did it, and no admin signed for it.
//!
//! Fields read (everything else is ignored; an event of another action is
//! counted as not relevant, never an error):
//!
//! | GitHub `action` | fields |
//! |---|---|
//! | `protected_branch.create`, `.update`, `.destroy` | `name` (the branch), `allow_force_pushes_enforcement_level`, `required_approving_review_count` |
//! | `hook.create`, `hook.config_changed`, `hook.destroy` | `config.url` (or `url`) |
//! | `public_key.create`, `.update`, `.delete` (deploy keys) | `title`, `fingerprint` (or `key`), `read_only` |
//! | `repo.add_member`, `.remove_member`, `.update_member` | `user`, `permission` |
//!
//! | GitLab `event_name` | `details` fields |
//! |---|---|
//! | `protected_branch_created`, `_updated`, `_removed` (or `details.add`/`remove` = `protected_branch`) | `target_details` (the branch), `allow_force_push` |
//! | `project_hook_created`, `_updated`, `_destroyed` | `target_details` (the URL) |
//! | `deploy_key_added`, `deploy_key_removed` | `target_details` (the title), `fingerprint` |
//! | `member_created`, `member_updated`, `member_destroyed` (or `details.add` = `user_access`) | `target_details` (the user), `as` |
//!
//! Every event also gives `actor` / `details.author_name` (who) and
//! `@timestamp` / `created_at` (when), reported as the forge wrote them.

use serde_json::Value;

use crate::repo_policy::{DeployKey, ProtectedRef, RepoPolicy};

/// The largest export read, in bytes.
pub const MAX_EXPORT: usize = 16 << 20;
/// The most events read from one export.
pub const MAX_EVENTS: usize = 100_000;
/// The longest string kept from an event (longer ones are cut).
const MAX_FIELD: usize = 512;

/// Which forge an export comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Forge {
    /// GitHub's audit log.
    GitHub,
    /// GitLab's audit events.
    GitLab,
}

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Larger than [`MAX_EXPORT`].
    #[error("audit export of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More events than [`MAX_EVENTS`].
    #[error("audit export holds {len} events; at most {max} are read")]
    TooManyEvents {
        /// How many.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a JSON array of objects.
    #[error("audit export is not a JSON array of event objects")]
    Shape,
    /// Not JSON.
    #[error("audit export is not JSON")]
    Json(#[from] serde_json::Error),
}

/// What one event changed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A branch protection created or updated.
    Protect {
        /// The ref (`refs/heads/<branch>`).
        pattern: String,
        /// Force-pushes allowed, when the event says.
        force_push: Option<bool>,
        /// Approvals required, when the event says.
        approvals: Option<u32>,
    },
    /// A branch protection removed.
    Unprotect {
        /// The ref.
        pattern: String,
    },
    /// A webhook created or its configuration changed.
    AddWebhook {
        /// Its URL.
        url: String,
    },
    /// A webhook removed.
    RemoveWebhook {
        /// Its URL (empty when the event names none).
        url: String,
    },
    /// A deploy key added or updated.
    AddDeployKey {
        /// Its title.
        title: String,
        /// Its fingerprint.
        key: String,
        /// Whether it may push.
        write: bool,
    },
    /// A deploy key removed.
    RemoveDeployKey {
        /// Its fingerprint (or title when that is all the event gives).
        key: String,
    },
    /// A member added, removed or given another permission: roles live in
    /// the roster, so the forge's change has no counterpart in the policy.
    Member {
        /// The user.
        user: String,
        /// The operation (`added`, `removed`, `updated`).
        operation: &'static str,
        /// The permission given, when the event says.
        permission: Option<String>,
    },
}

/// One relevant event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What it changed.
    pub kind: ChangeKind,
    /// Who, as the forge names them.
    pub actor: String,
    /// When, as the forge wrote it.
    pub at: String,
    /// The event's action or event name.
    pub action: String,
}

/// The outcome of [`import`].
#[derive(Clone, Debug)]
pub struct Import {
    /// The next version: the version in force with every change applied
    /// (version + 1, `previous` set by the caller, not yet signed).
    pub proposed: RepoPolicy,
    /// Every relevant event, in export order.
    pub changes: Vec<Change>,
    /// The indices (into `changes`) of the events the version in force does not reflect.
    pub unattributed: Vec<usize>,
    /// Events of other actions.
    pub ignored: usize,
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_FIELD).collect()
}

fn field<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn string(v: &Value, path: &[&str]) -> Option<String> {
    match field(v, path)? {
        Value::String(s) => Some(cut(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn branch_ref(name: &str) -> String {
    if name.starts_with("refs/") {
        name.to_owned()
    } else {
        format!("refs/heads/{name}")
    }
}

fn github(e: &Value) -> Option<ChangeKind> {
    let action = e.get("action")?.as_str()?;
    let s = |p: &[&str]| string(e, p).unwrap_or_default();
    Some(match action {
        "protected_branch.create" | "protected_branch.update" => ChangeKind::Protect {
            pattern: branch_ref(&s(&["name"])),
            force_push: string(e, &["allow_force_pushes_enforcement_level"])
                .map(|l| l != "off" && l != "0" && l != "false"),
            approvals: field(e, &["required_approving_review_count"])
                .and_then(Value::as_u64)
                .map(|n| n.min(u64::from(u32::MAX)) as u32),
        },
        "protected_branch.destroy" => ChangeKind::Unprotect {
            pattern: branch_ref(&s(&["name"])),
        },
        "hook.create" | "hook.config_changed" => ChangeKind::AddWebhook {
            url: string(e, &["config", "url"]).or_else(|| string(e, &["url"]))?,
        },
        "hook.destroy" => ChangeKind::RemoveWebhook {
            url: string(e, &["config", "url"])
                .or_else(|| string(e, &["url"]))
                .unwrap_or_default(),
        },
        "public_key.create" | "public_key.update" => ChangeKind::AddDeployKey {
            title: s(&["title"]),
            key: string(e, &["fingerprint"]).or_else(|| string(e, &["key"]))?,
            write: field(e, &["read_only"]).and_then(Value::as_bool) == Some(false),
        },
        "public_key.delete" => ChangeKind::RemoveDeployKey {
            key: string(e, &["fingerprint"]).or_else(|| string(e, &["title"]))?,
        },
        "repo.add_member" | "repo.remove_member" | "repo.update_member" => ChangeKind::Member {
            user: s(&["user"]),
            operation: match action {
                "repo.add_member" => "added",
                "repo.remove_member" => "removed",
                _ => "updated",
            },
            permission: string(e, &["permission"]),
        },
        _ => return None,
    })
}

fn gitlab(e: &Value) -> Option<ChangeKind> {
    let name = e.get("event_name").and_then(Value::as_str).unwrap_or("");
    let d = e.get("details")?;
    let target = string(d, &["target_details"]).unwrap_or_default();
    let added = d.get("add").and_then(Value::as_str);
    let removed = d.get("remove").and_then(Value::as_str);
    Some(match (name, added, removed) {
        ("protected_branch_created" | "protected_branch_updated", _, _)
        | (_, Some("protected_branch"), _) => ChangeKind::Protect {
            pattern: branch_ref(&target),
            force_push: d.get("allow_force_push").and_then(Value::as_bool),
            approvals: None,
        },
        ("protected_branch_removed", _, _) | (_, _, Some("protected_branch")) => {
            ChangeKind::Unprotect {
                pattern: branch_ref(&target),
            }
        }
        ("project_hook_created" | "project_hook_updated", _, _) => {
            ChangeKind::AddWebhook { url: target }
        }
        ("project_hook_destroyed", _, _) => ChangeKind::RemoveWebhook { url: target },
        ("deploy_key_added", _, _) => ChangeKind::AddDeployKey {
            key: string(d, &["fingerprint"]).unwrap_or_else(|| target.clone()),
            title: target,
            write: d.get("can_push").and_then(Value::as_bool).unwrap_or(false),
        },
        ("deploy_key_removed", _, _) => ChangeKind::RemoveDeployKey {
            key: string(d, &["fingerprint"]).unwrap_or(target),
        },
        ("member_created" | "member_updated" | "member_destroyed", _, _)
        | (_, Some("user_access"), _)
        | (_, _, Some("user_access")) => ChangeKind::Member {
            user: target,
            operation: match (name, removed) {
                ("member_destroyed", _) | (_, Some(_)) => "removed",
                ("member_updated", _) => "updated",
                _ => "added",
            },
            permission: string(d, &["as"]),
        },
        _ => return None,
    })
}

/// Reads an export of `forge` and proposes the version after `current`.
pub fn import(forge: Forge, json: &[u8], current: &RepoPolicy) -> Result<Import, AuditError> {
    if json.len() > MAX_EXPORT {
        return Err(AuditError::TooLarge {
            len: json.len(),
            max: MAX_EXPORT,
        });
    }
    let events: Value = serde_json::from_slice(json)?;
    let Value::Array(events) = events else {
        return Err(AuditError::Shape);
    };
    if events.len() > MAX_EVENTS {
        return Err(AuditError::TooManyEvents {
            len: events.len(),
            max: MAX_EVENTS,
        });
    }
    let mut out = Import {
        proposed: current.clone(),
        changes: Vec::new(),
        unattributed: Vec::new(),
        ignored: 0,
    };
    out.proposed.version = current.version.saturating_add(1);
    for e in &events {
        if !e.is_object() {
            return Err(AuditError::Shape);
        }
        let kind = match forge {
            Forge::GitHub => github(e),
            Forge::GitLab => gitlab(e),
        };
        let Some(kind) = kind else {
            out.ignored += 1;
            continue;
        };
        let (actor, at, action) = match forge {
            Forge::GitHub => (
                string(e, &["actor"]),
                string(e, &["@timestamp"]).or_else(|| string(e, &["created_at"])),
                string(e, &["action"]),
            ),
            Forge::GitLab => (
                string(e, &["details", "author_name"]),
                string(e, &["created_at"]),
                string(e, &["event_name"]),
            ),
        };
        if !reflected(&kind, current) {
            out.unattributed.push(out.changes.len());
        }
        apply(&kind, &mut out.proposed);
        out.changes.push(Change {
            kind,
            actor: actor.unwrap_or_default(),
            at: at.unwrap_or_default(),
            action: action.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Whether the signed version already says what the event did.
fn reflected(kind: &ChangeKind, p: &RepoPolicy) -> bool {
    match kind {
        ChangeKind::Protect {
            pattern,
            force_push,
            approvals,
        } => p.protected_refs.iter().any(|r| {
            r.pattern == *pattern
                && force_push.is_none_or(|f| f == r.force_push)
                && approvals.is_none_or(|a| a == r.approvals)
        }),
        ChangeKind::Unprotect { pattern } => {
            !p.protected_refs.iter().any(|r| r.pattern == *pattern)
        }
        ChangeKind::AddWebhook { url } => p.allows_webhook(url),
        ChangeKind::RemoveWebhook { url } => !p.webhooks.contains(url),
        ChangeKind::AddDeployKey { key, write, .. } => p
            .deploy_keys
            .iter()
            .any(|k| k.key == *key && k.write == *write),
        ChangeKind::RemoveDeployKey { key } => !p
            .deploy_keys
            .iter()
            .any(|k| k.key == *key || k.title == *key),
        ChangeKind::Member { .. } => false,
    }
}

/// Applies a change to the proposed version (membership: nothing, roles
/// are the roster's).
fn apply(kind: &ChangeKind, p: &mut RepoPolicy) {
    match kind {
        ChangeKind::Protect {
            pattern,
            force_push,
            approvals,
        } => {
            if let Some(r) = p.protected_refs.iter_mut().find(|r| r.pattern == *pattern) {
                if let Some(f) = force_push {
                    r.force_push = *f;
                }
                if let Some(a) = approvals {
                    r.approvals = *a;
                }
            } else {
                // A new protection: who may push is not in the event; start
                // from the admins, for the reviewers to change.
                p.protected_refs.push(ProtectedRef {
                    pattern: pattern.clone(),
                    roles: Vec::new(),
                    identities: p.admins.identities.clone(),
                    approvals: approvals.unwrap_or(0),
                    force_push: force_push.unwrap_or(false),
                });
            }
        }
        ChangeKind::Unprotect { pattern } => p.protected_refs.retain(|r| r.pattern != *pattern),
        ChangeKind::AddWebhook { url } => {
            if !p.allows_webhook(url) {
                p.webhooks.push(url.clone());
            }
        }
        ChangeKind::RemoveWebhook { url } => p.webhooks.retain(|w| w != url),
        ChangeKind::AddDeployKey { title, key, write } => {
            p.deploy_keys.retain(|k| k.key != *key);
            p.deploy_keys.push(DeployKey {
                title: title.clone(),
                key: key.clone(),
                write: *write,
            });
        }
        ChangeKind::RemoveDeployKey { key } => {
            p.deploy_keys.retain(|k| k.key != *key && k.title != *key);
        }
        ChangeKind::Member { .. } => {}
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use vouch_core::text::escape as e;
        match self {
            ChangeKind::Protect {
                pattern,
                force_push,
                approvals,
            } => {
                write!(f, "protect {}", e(pattern))?;
                if let Some(fp) = force_push {
                    write!(
                        f,
                        ", force-push {}",
                        if *fp { "allowed" } else { "forbidden" }
                    )?;
                }
                if let Some(a) = approvals {
                    write!(f, ", {a} approval(s)")?;
                }
                Ok(())
            }
            ChangeKind::Unprotect { pattern } => write!(f, "unprotect {}", e(pattern)),
            ChangeKind::AddWebhook { url } => write!(f, "webhook {}", e(url)),
            ChangeKind::RemoveWebhook { url } => write!(f, "remove webhook {}", e(url)),
            ChangeKind::AddDeployKey { title, key, write } => write!(
                f,
                "deploy key {} {} ({})",
                e(title),
                e(key),
                if *write { "read-write" } else { "read-only" }
            ),
            ChangeKind::RemoveDeployKey { key } => write!(f, "remove deploy key {}", e(key)),
            ChangeKind::Member {
                user,
                operation,
                permission,
            } => {
                write!(f, "member {} {operation}", e(user))?;
                if let Some(p) = permission {
                    write!(f, " as {}", e(p))?;
                }
                Ok(())
            }
        }
    }
}
