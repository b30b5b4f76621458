//! The deployment link: who deployed, where, who triggered and authorized it.

use vouch_core::Digest;
use vouch_manifest::{ApprovalRole, Deployment, IdentityId, IdentityKind};

use super::{Eval, short};
use crate::attest::{Attested, Covers};
use crate::ci_token::{CI_TOKEN_LEEWAY_SECS, verify_ci_token};
use crate::error::Reason;
use crate::policy::{CiTokenRule, DeploymentPolicy, TimeRule};
use crate::trace::{LinkKind, Placement, TimeKind, TraceCiToken, TraceNode};

impl<'a> Eval<'a> {
    pub(super) fn deployment(&mut self, digest: &Digest) -> TraceNode {
        let index = self.index;
        let mut node = TraceNode::new(LinkKind::Deployment, short(digest));
        let missing = || Reason::DeploymentMissing { digest: *digest };
        let Some((groups, mut failures)) =
            self.statements(index.deployments.get(digest), &mut node, missing)
        else {
            return node;
        };
        let Some(group) = groups.into_iter().next() else {
            return node;
        };
        let d = group[0].unverified().predicate();
        let t = &d.target;
        node.name = format!(
            "{}/{}/{}/{}",
            d.environment, t.cluster, t.namespace, t.service
        );
        node.statement = Some(*digest);
        self.placement_found = Some(Placement {
            environment: Some(d.environment.clone()),
            cluster: Some(t.cluster.clone()),
            namespace: Some(t.namespace.clone()),
            service: Some(t.service.clone()),
        });
        self.check_placement(d, &mut failures);

        let Some(pol) = &self.policy.deployment else {
            node.note =
                Some("the policy has no deployment stage: only the image is checked".into());
            node.failures = failures;
            let (child, _) = self.image(&d.image);
            node.children.push(child);
            node.settle();
            return node;
        };

        let proof = self.prove(&group, d.time, pol.time, &mut failures);
        let signers = self.attester.statement(
            &group,
            d.time,
            proof.time.as_ref().map(|p| p.at),
            Covers::statement(digest),
            &mut failures,
        );
        node.time = Some(Self::timed(d.time, &signers, &proof));
        self.check_time(d.time, pol.max_age, &mut failures);
        if !pol.environments.contains(&d.environment) {
            failures.push(Reason::EnvironmentNotAllowed {
                environment: d.environment.clone(),
                allowed: pol.environments.clone(),
            });
        }
        failures.extend(self.rules.check(&pol.signers, &signers));
        Self::workload_signed("deployer", &d.deployer, &signers, &mut failures);

        let approvals = self.approvals(digest, d, &signers, &mut failures);
        self.check_people(d, &approvals, &mut failures);
        // The statement's time as the policy takes it: proven when it
        // requires proven time (and a witness proved one), else claimed.
        let (at, checked_at) = match (pol.time, &proof.time) {
            (TimeRule::Proven, Some(p)) => (p.at, TimeKind::Proven),
            _ => (d.time, TimeKind::Claimed),
        };
        node.ci_token = self.check_ci_token(d, pol, &signers, at, checked_at, &mut failures);

        for s in &signers {
            let capacity = if s.identity.id == d.deployer {
                "signer"
            } else {
                "co-signer"
            };
            node.signers.push(self.trace_signer(s, capacity));
        }
        for (r, s, statement) in &approvals {
            let capacity = match r {
                ApprovalRole::Trigger => "triggered by",
                ApprovalRole::Authorize => "authorized by",
            };
            let mut signer = self.trace_signer(s, capacity);
            signer.statement = *statement;
            node.signers.push(signer);
        }
        let (child, finished_at) = self.image(&d.image);
        if let Some(finished) = finished_at {
            Self::check_order(
                || "the deployment".into(),
                d.time,
                || "the image build it deploys".into(),
                finished,
                &mut failures,
            );
        }
        node.failures = failures;
        node.children.push(child);
        node.settle();
        node
    }

    /// Each field of where the deployment is about to run that the caller
    /// gave must equal the statement's.
    fn check_placement(&self, d: &Deployment, failures: &mut Vec<Reason>) {
        let t = &d.target;
        let fields = [
            ("environment", &self.placement.environment, &d.environment),
            ("cluster", &self.placement.cluster, &t.cluster),
            ("namespace", &self.placement.namespace, &t.namespace),
            ("service", &self.placement.service, &t.service),
        ];
        for (field, expected, found) in fields {
            if let Some(e) = expected
                && e != found
            {
                failures.push(Reason::WrongPlacement {
                    field,
                    expected: e.clone(),
                    found: found.clone(),
                });
            }
        }
    }

    /// The people's own proof of their part: a co-signature on the
    /// deployment, or an approval statement naming its digest. Each with
    /// the approval statement that proves it (none for a co-signature).
    fn approvals(
        &self,
        digest: &Digest,
        d: &Deployment,
        signers: &[Attested<'a>],
        failures: &mut Vec<Reason>,
    ) -> Vec<(ApprovalRole, Attested<'a>, Option<Digest>)> {
        let pol_max_age = self.policy.deployment.as_ref().and_then(|p| p.max_age);
        // Approvals are held to the deployment stage's rule on time.
        let pol_time = self
            .policy
            .deployment
            .as_ref()
            .map(|p| p.time)
            .unwrap_or_default();
        let mut approvals = Vec::new();
        for s in signers {
            if s.identity.id == d.triggered_by {
                approvals.push((ApprovalRole::Trigger, s.clone(), None));
            }
            if d.authorized_by.contains(&s.identity.id) {
                approvals.push((ApprovalRole::Authorize, s.clone(), None));
            }
        }
        let entries = self
            .index
            .approvals
            .get(digest)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for group in self.decode(entries, failures) {
            let a = group[0].unverified().predicate();
            // The subject binding (checked on decode) makes `a.statement`
            // this deployment's digest.
            let approval_digest = group[0].digest();
            let proof = self.prove(&group, a.time, pol_time, failures);
            let approvers = self.attester.statement(
                &group,
                a.time,
                proof.time.as_ref().map(|p| p.at),
                Covers::statement(&approval_digest),
                failures,
            );
            self.check_time(a.time, pol_max_age, failures);
            Self::check_order(
                || format!("the approval by {}", a.identity),
                a.time,
                || "the deployment it approves".into(),
                d.time,
                failures,
            );
            // An approval proves only what the deployment itself claims: the
            // trigger by the person named in triggeredBy, an authorization by
            // a person named in authorizedBy. Anyone else's approval is not
            // part of this deployment and must not count toward its rules.
            let named = match a.role {
                ApprovalRole::Trigger => a.identity == d.triggered_by,
                ApprovalRole::Authorize => d.authorized_by.contains(&a.identity),
            };
            if !named {
                continue;
            }
            for s in approvers
                .into_iter()
                .filter(|s| s.identity.id == a.identity)
            {
                approvals.push((a.role, s, Some(approval_digest)));
            }
        }
        approvals
    }

    /// Trigger and authorizers: proven, people, in role, separated.
    fn check_people(
        &self,
        d: &Deployment,
        approvals: &[(ApprovalRole, Attested<'a>, Option<Digest>)],
        failures: &mut Vec<Reason>,
    ) {
        let Some(pol) = &self.policy.deployment else {
            return;
        };
        let proven = |role: ApprovalRole, id: &IdentityId| {
            approvals
                .iter()
                .any(|(r, s, _)| *r == role && s.identity.id == *id)
        };
        if !proven(ApprovalRole::Trigger, &d.triggered_by) {
            failures.push(Reason::NotProven {
                field: "triggeredBy",
                identity: d.triggered_by.clone(),
            });
        }
        if d.triggered_by.kind() != IdentityKind::Person {
            failures.push(Reason::NotAPerson {
                field: "triggeredBy",
                identity: d.triggered_by.clone(),
            });
        }
        // The trigger role must be held when the deployment was made.
        if !pol
            .trigger_roles
            .iter()
            .any(|r| self.roster.has_role_at(&d.triggered_by, r, d.time))
        {
            failures.push(Reason::RoleNotHeld {
                field: "triggeredBy",
                identity: d.triggered_by.clone(),
                roles: pol.trigger_roles.clone(),
            });
        }
        for a in &d.authorized_by {
            if !proven(ApprovalRole::Authorize, a) {
                failures.push(Reason::NotProven {
                    field: "authorizedBy",
                    identity: a.clone(),
                });
            }
            if a.kind() != IdentityKind::Person {
                failures.push(Reason::NotAPerson {
                    field: "authorizedBy",
                    identity: a.clone(),
                });
            }
            if pol.separate_trigger_and_authorizer && *a == d.triggered_by {
                failures.push(Reason::SelfAuthorized {
                    identity: a.clone(),
                });
            }
        }
        // The authorizer rule counts only people named in authorizedBy who
        // proved it, and never the person who triggered the deployment.
        let authorizers: Vec<Attested<'a>> = approvals
            .iter()
            .filter(|(r, s, _)| {
                *r == ApprovalRole::Authorize
                    && s.identity.kind() == IdentityKind::Person
                    && !(pol.separate_trigger_and_authorizer && s.identity.id == d.triggered_by)
            })
            .map(|(_, s, _)| s.clone())
            .collect();
        failures.extend(self.rules.check(&pol.authorizers, &authorizers));
    }

    /// The CI provider's ID token (docs/ci-identity.md): signed by a
    /// trusted issuer, for a key that signed this statement, valid at the
    /// statement's time `at` (never the wall clock: the roster's JWKS makes
    /// the token verifiable long after it expired), and agreeing with the
    /// deployer, run and trigger the statement names. The trigger it proves
    /// is an additional check: the trigger's own signature (check_people)
    /// is still required. Returns the claims for the trace when every check
    /// passes.
    fn check_ci_token(
        &self,
        d: &Deployment,
        pol: &DeploymentPolicy,
        signers: &[Attested<'a>],
        at: vouch_core::Timestamp,
        checked_at: TimeKind,
        failures: &mut Vec<Reason>,
    ) -> Option<TraceCiToken> {
        let Some(token) = &d.ci_token else {
            if pol.ci_token == CiTokenRule::Required {
                failures.push(Reason::CiTokenMissing);
            }
            return None;
        };
        let claims = match verify_ci_token(token, &self.roster.roster().ci) {
            Ok(c) => c,
            Err(r) => {
                failures.push(r);
                return None;
            }
        };
        let before = failures.len();
        let t = at.unix_seconds();
        if claims.exp.saturating_add(CI_TOKEN_LEEWAY_SECS) < t {
            failures.push(Reason::CiTokenExpired {
                exp: claims.exp,
                at,
            });
        }
        for (claim, value) in [("nbf", claims.nbf), ("iat", Some(claims.iat))] {
            if let Some(v) = value
                && v.saturating_sub(CI_TOKEN_LEEWAY_SECS) > t
            {
                failures.push(Reason::CiTokenNotYetValid {
                    claim,
                    value: v,
                    at,
                });
            }
        }
        let mut expected: Vec<String> = signers
            .iter()
            .map(|s| format!("vouch:{}", s.key_id))
            .collect();
        expected.dedup();
        if !claims.audience.iter().any(|a| expected.contains(a)) {
            failures.push(Reason::CiTokenWrongAudience {
                audience: claims.audience.clone(),
                expected,
            });
        }
        // verify_ci_token found the issuer; look it up again for its mappings.
        if let Some(issuer) = self.roster.roster().ci.issuer(&claims.issuer) {
            match issuer.workload(&claims.repository, &claims.workflow) {
                None => failures.push(Reason::CiTokenUnmapped {
                    what: "repository+workflow",
                    value: format!("{} {}", claims.repository, claims.workflow),
                }),
                Some(w) if *w != d.deployer => failures.push(Reason::CiTokenMismatch {
                    field: "deployer",
                    claim: "repository+workflow",
                    token: w.to_string(),
                    statement: d.deployer.to_string(),
                }),
                Some(_) => {}
            }
            if claims.run_id != d.pipeline.run_id {
                failures.push(Reason::CiTokenMismatch {
                    field: "pipeline.runId",
                    claim: claims.run_id_claim(),
                    token: claims.run_id.clone(),
                    statement: d.pipeline.run_id.clone(),
                });
            }
            let url = issuer
                .provider
                .run_url(&issuer.web_url, &claims.repository, &claims.run_id);
            if url != d.pipeline.url {
                failures.push(Reason::CiTokenMismatch {
                    field: "pipeline.url",
                    claim: "run URL",
                    token: url,
                    statement: d.pipeline.url.clone(),
                });
            }
            match issuer.person(&claims.actor) {
                None => failures.push(Reason::CiTokenUnmapped {
                    what: "login",
                    value: claims.actor.clone(),
                }),
                Some(p) if *p != d.triggered_by => failures.push(Reason::CiTokenMismatch {
                    field: "triggeredBy",
                    claim: claims.actor_claim(),
                    token: p.to_string(),
                    statement: d.triggered_by.to_string(),
                }),
                Some(_) => {}
            }
        }
        (failures.len() == before).then_some(TraceCiToken { claims, checked_at })
    }
}
