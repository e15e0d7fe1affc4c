# METADATA
# title: regate default policy
# description: |
#   The decision regate asks for on every MCP message (entrypoint regate/decision).
#   Rules elsewhere in this package add candidate outcomes to three sets: denies, approvals
#   and allows. This file picks one: deny wins over approval, approval wins over allow, and a
#   message that no rule speaks about is denied (regate.default_deny). To tighten the policy,
#   add `denies contains {"rule": ..., "reason": ...} if { ... }` in your own file.
package regate

default decision := {
	"allow": false,
	"rule": "regate.default_deny",
	"reason": "no policy rule allows this request, so it was denied; do not retry, ask a regate administrator",
}

decision := server_decision if {
	server_to_client
} else := finish(pick(denies), false) if {
	count(denies) > 0
} else := finish(pick(approvals), false) if {
	count(approvals) > 0
} else := finish(pick(allows), true) if {
	count(allows) > 0
}

# Several candidates of one kind only arise from added rules; sorting keeps the pick stable.
pick(outcomes) := sort(outcomes)[0]

# The winning candidate plus what its rule obliges regate to do (mask, approval), and the audit
# obligations of a tools/call whatever the outcome (transcripts record denied calls too).
# Candidates stay small ({rule, reason}) and obligations are built for the winner only: sets
# hash every member on insert, which dominated evaluation time otherwise.
finish(outcome, allow) := object.union(outcome, object.union(obligations(outcome.rule), {"allow": allow, "audit": tool_audit})) if {
	tool_audit
} else := object.union(outcome, object.union(obligations(outcome.rule), {"allow": allow}))

obligations("regate.tools.read_only") := tool_mask

obligations("regate.tools.approved") := tool_mask

obligations("regate.tools.destructive") := {"approval": approval_request}

# Protocol answers (initialize instructions, listings, completions, templates) can carry what the
# connection's detectors look for too: masked like any content.
obligations("regate.protocol.plumbing") := detector_mask

obligations("regate.prompts.allowed") := detector_mask

obligations("regate.resources.allowed") := detector_mask

default obligations(_) := {}
