package regate_test

import data.regate

test_destructive_call_asks_approvers if {
	d := regate.decision with input as call(reader, "delete_customer")
	d.allow == false
	d.rule == "regate.tools.destructive"
	d.approval == {
		"approvers": ["mcp-approvers"],
		"min_approvals": 1,
		"ttl_seconds": 900,
		"reason": "tool 'delete_customer' can change or destroy data (its name marks it as destructive), so it needs approval by 1 member(s) of mcp-approvers",
	}
}

test_approvers_may_request_approval if {
	d := regate.decision with input as call(approver, "delete_customer")
	d.rule == "regate.tools.destructive"
}

test_outsiders_may_not_request_approval if {
	d := regate.decision with input as call(outsider, "delete_customer")
	d.allow == false
	d.rule == "regate.tools.reader_required"
	not d.approval
}

test_connection_can_override_approval_settings if {
	d := regate.decision with input as call(reader, "delete_customer")
		with data.regate.config.connections.crm.approval as {"min_approvals": 2}
	d.approval.min_approvals == 2
	d.approval.ttl_seconds == 900
}

test_approved_call_is_allowed_and_masked if {
	d := regate.decision with input as approved_call(reader, {})
	d.allow == true
	d.rule == "regate.tools.approved"
	contains(d.reason, "alice")
	contains(d.reason, "ap-1")
	{"path": "$.structuredContent.customer.card_number", "style": "last4"} in d.mask
}

invalid_approvals := {
	"pending": {"status": "pending"},
	"denied": {"status": "denied"},
	"no status": {"status": null},
	"other tool": {"tool": "get_customer"},
	"no tool": {"tool": null},
	"expired": {"expires_unix_ns": now_ns},
	"no expiry": {"expires_unix_ns": null},
	"self approval": {"approved_by": [{"id": "dev-user", "groups": ["mcp-approvers"]}]},
	"approver not in group": {"approved_by": [{"id": "bob", "groups": ["mcp-readers"]}]},
	"no approvers": {"approved_by": []},
}

test_invalid_approvals_deny_with_the_problem if {
	every _, overrides in invalid_approvals {
		d := regate.decision with input as approved_call(reader, overrides)
		d.allow == false
		d.rule == "regate.approval.invalid"
		contains(d.reason, "request a new approval")
	}
}

test_approvals_missing_a_field_deny if {
	every field in ["status", "tool", "expires_unix_ns", "approved_by"] {
		d := regate.decision with input as object.union(
			call(reader, "delete_customer"),
			{"approval": object.remove(approval({}), [field])},
		)
		d.rule == "regate.approval.invalid"
	}
}

test_approval_without_time_in_input_is_expired if {
	d := regate.decision with input as object.remove(approved_call(reader, {}), ["time"])
	d.rule == "regate.approval.invalid"
	contains(d.reason, "expired")
}

test_invalid_approval_reason_names_each_problem if {
	d := regate.decision with input as approved_call(reader, {"status": "pending", "tool": "drop_db", "id": 5})
	contains(d.reason, "it is pending, not approved")
	contains(d.reason, "it was granted for tool 'drop_db'")
}

test_two_approvals_needed_when_configured if {
	one := regate.decision with input as approved_call(reader, {})
		with data.regate.config.approval.min_approvals as 2
	one.rule == "regate.approval.invalid"
	contains(one.reason, "has 1")

	two := regate.decision with input as approved_call(reader, {"approved_by": [
		{"id": "alice", "groups": ["mcp-approvers"]},
		{"id": "bob", "groups": ["mcp-approvers"]},
	]})
		with data.regate.config.approval.min_approvals as 2
	two.allow == true
}

test_same_approver_twice_counts_once if {
	d := regate.decision with input as approved_call(reader, {"approved_by": [
		{"id": "alice", "groups": ["mcp-approvers"]},
		{"id": "alice", "groups": ["mcp-approvers"]},
	]})
		with data.regate.config.approval.min_approvals as 2
	d.rule == "regate.approval.invalid"
}

test_approval_without_id_is_still_described if {
	d := regate.decision with input as approved_call(reader, {"id": null})
	contains(d.reason, "(no id)")
}
