package regate_test

import data.regate

test_decision_always_names_rule_and_reason if {
	inputs := [
		call(reader, "list_customers"), call(reader, "delete_customer"), call(reader, "zap"),
		method_call(reader, "initialize"), {}, {"principal": reader},
	]
	every i in inputs {
		d := regate.decision with input as i
		is_boolean(d.allow)
		startswith(d.rule, "regate.")
		d.reason != ""
	}
}

test_empty_input_is_denied_as_unauthenticated if {
	d := regate.decision with input as {}
	d.allow == false
	d.rule == "regate.auth.unauthenticated"
}

test_default_deny_when_no_candidate if {
	d := regate.decision with input as method_call(reader, "tools/call")
		with regate.denies as set()
		with regate.approvals as set()
		with regate.allows as set()
	d == {
		"allow": false,
		"rule": "regate.default_deny",
		"reason": "no policy rule allows this request, so it was denied; do not retry, ask a regate administrator",
	}
}

test_deny_wins_over_approval_and_allow if {
	d := regate.decision with input as call(reader, "list_customers")
		with regate.denies as {{"rule": "custom.deny", "reason": "no"}}
		with regate.approvals as {{"rule": "custom.approval", "reason": "maybe", "approval": {}}}
	d.allow == false
	d.rule == "custom.deny"
	not d.approval
}

test_approval_wins_over_allow if {
	d := regate.decision with input as call(reader, "list_customers")
		with regate.approvals as {{"rule": "custom.approval", "reason": "maybe", "approval": {"min_approvals": 1}}}
	d.allow == false
	d.rule == "custom.approval"
	d.approval.min_approvals == 1
}

test_deny_never_allows_even_if_a_candidate_says_allow if {
	d := regate.decision with input as call(reader, "list_customers")
		with regate.denies as {{"rule": "custom.deny", "reason": "no", "allow": true}}
	d.allow == false
}

test_audit_travels_with_denied_tool_calls if {
	d := regate.decision with input as call(outsider, "list_customers")
	d.allow == false
	d.audit.labels == {"connection": "crm", "tool": "list_customers", "class": "read_only"}
}

test_no_audit_outside_tool_calls if {
	d := regate.decision with input as method_call(reader, "ping")
	not d.audit
}
