package regate

# Destructive tools need a human. Without input.approval the decision asks for one; when the
# proxy re-checks a call that was approved, input.approval carries the approval and the call is
# allowed only if the approval is granted, for this tool, unexpired, and by enough members of
# the approver groups other than the caller (nobody approves their own call).

approval_settings := object.union(cfg.approval, object.get(conn, "approval", {}))

approvers_text := concat(", ", cfg.groups.approvers)

destructive_cause := "its name marks it as destructive" if destructive_by_name

else := "its destructiveHint annotation marks it as destructive" if destructive_by_annotation

else := "the policy lists it as needing approval"

approval_reason := concat("", [
	"tool '", tool_name, "' can change or destroy data (", destructive_cause, "), so it needs approval by ",
	format_int(approval_settings.min_approvals, 10), " member(s) of ", approvers_text,
])

default has_approval := false

has_approval if is_object(input.approval)

approvals contains {
	"rule": "regate.tools.destructive",
	"reason": concat("", [approval_reason, " before it runs; wait for the approval or ask an approver"]),
} if {
	calling_tool
	needs_approval
	may_request_approval
	not has_approval
}

approval_request := {
	"approvers": cfg.groups.approvers,
	"min_approvals": approval_settings.min_approvals,
	"ttl_seconds": approval_settings.ttl_seconds,
	"reason": approval_reason,
}

allows contains {
	"rule": "regate.tools.approved",
	"reason": concat("", [
		"tool '", tool_name, "' was approved by ", concat(", ", sort(valid_approvers)),
		" (approval ", approval_id, ")",
	]),
} if {
	calling_tool
	needs_approval
	may_request_approval
	has_approval
	count(approval_problems) == 0
}

denies contains {
	"rule": "regate.approval.invalid",
	"reason": concat("", [
		"the approval presented for tool '", tool_name, "' cannot be used: ",
		concat("; ", sort(approval_problems)), "; request a new approval",
	]),
} if {
	calling_tool
	needs_approval
	has_approval
	count(approval_problems) > 0
}

approval_id := input.approval.id if is_string(input.approval.id)

else := "(no id)"

# Distinct approvers who count: members of an approver group, never the caller.
valid_approvers contains a.id if {
	some a in input.approval.approved_by
	is_string(a.id)
	a.id != input.principal.id
	some g in a.groups
	g in cfg.groups.approvers
}

# Problems are phrased as helpers that must hold, so that a missing field is a problem too.
default approval_granted := false

approval_granted if input.approval.status == "approved"

default approval_unexpired := false

approval_unexpired if input.approval.expires_unix_ns > input.time.unix_ns

approval_problems contains concat("", ["it is ", status_text, ", not approved"]) if {
	not approval_granted
}

approval_problems contains concat("", ["it was granted for tool '", granted_tool, "'"]) if {
	granted_tool != tool_name
}

approval_problems contains "it has expired" if {
	not approval_unexpired
}

approval_problems contains concat("", [
	"it needs ", format_int(approval_settings.min_approvals, 10), " approver(s) from ", approvers_text,
	" other than the caller and has ", format_int(count(valid_approvers), 10),
]) if {
	count(valid_approvers) < approval_settings.min_approvals
}

status_text := input.approval.status if is_string(input.approval.status)

else := "without a status"

granted_tool := input.approval.tool if is_string(input.approval.tool)

else := "(none)"
