package regate_test

import data.regate

read_only_tools := ["list_customers", "get_customer", "search_customers"]

test_read_only_tools_are_allowed_for_readers if {
	every t in read_only_tools {
		d := regate.decision with input as call(reader, t)
		d.allow == true
		d.rule == "regate.tools.read_only"
		contains(d.reason, t)
	}
}

test_read_only_tools_are_denied_to_non_readers if {
	every t in read_only_tools {
		d := regate.decision with input as call(outsider, t)
		d.allow == false
		d.rule == "regate.tools.reader_required"
		contains(d.reason, "mcp-readers")
	}
}

test_customer_lists_are_masked if {
	d := regate.decision with input as call(reader, "list_customers")
	{"path": "$.structuredContent.customers[*].card_number", "style": "last4"} in d.mask
	{"path": "$.structuredContent.customers[*].email", "style": "hash"} in d.mask
	{"path": "$.structuredContent.customers[*].phone", "style": "redact"} in d.mask
	{"detector": "credit_card", "style": "redact"} in d.mask
}

test_single_customer_is_masked if {
	d := regate.decision with input as call(reader, "get_customer")
	{"path": "$.structuredContent.customer.card_number", "style": "last4"} in d.mask
	{"detector": "email", "style": "redact"} in d.mask
}

test_no_mask_when_connection_has_none if {
	d := regate.decision with input as message(reader, "everything", {"method": "tools/call", "tool": {"name": "echo"}})
		with data.regate.config.connections.everything.detectors as []
	d.allow == true
	not d.mask
}

test_search_query_is_redacted_in_audit if {
	d := regate.decision with input as call(reader, "search_customers")
	d.audit.redact_arguments == ["$.query"]
}

test_unknown_tool_is_denied_with_its_name if {
	d := regate.decision with input as call(reader, "export_everything")
	d.allow == false
	d.rule == "regate.tools.unknown"
	contains(d.reason, "'export_everything'")
	d.audit.labels.class == "unknown"
}

test_forbidden_tool_is_denied_even_for_readers if {
	d := regate.decision with input as message(reader, "everything", {"method": "tools/call", "tool": {"name": "get-env"}})
	d.allow == false
	d.rule == "regate.tools.denied"
}

test_forbidden_wins_over_read_only_listing if {
	d := regate.decision with input as call(reader, "list_customers")
		with data.regate.config.connections.crm.denied_tools as ["list_customers"]
	d.rule == "regate.tools.denied"
}

test_tool_call_without_name_is_denied if {
	every tool in [{}, {"name": ""}, {"name": 7}] {
		d := regate.decision with input as message(reader, "crm", {"method": "tools/call", "tool": tool})
		d.allow == false
		d.rule == "regate.tools.missing_name"
	}
}

test_read_only_hint_is_ignored_unless_connection_trusts_annotations if {
	d := regate.decision with input as call_with_annotations(reader, "export_all", {"readOnlyHint": true})
	d.rule == "regate.tools.unknown"
}

test_read_only_hint_is_honoured_when_connection_trusts_annotations if {
	d := regate.decision with input as call_with_annotations(reader, "export_all", {"readOnlyHint": true})
		with data.regate.config.connections.crm.trust_annotations as true
	d.allow == true
	d.rule == "regate.tools.read_only"
}

destructive_names := ["delete_customer", "drop_table", "remove-user", "Purge_Cache", "truncate_logs", "revoke_token"]

test_destructive_names_need_approval if {
	every t in destructive_names {
		d := regate.decision with input as call(reader, t)
		d.allow == false
		d.rule == "regate.tools.destructive"
		d.audit.labels.class == "destructive"
	}
}

test_destructive_hint_needs_approval_even_for_listed_read_only_tools if {
	d := regate.decision with input as call_with_annotations(reader, "list_customers", {"destructiveHint": true})
	d.allow == false
	d.rule == "regate.tools.destructive"
	contains(d.reason, "destructiveHint")
}

test_destructive_hint_false_changes_nothing if {
	d := regate.decision with input as call_with_annotations(reader, "list_customers", {"destructiveHint": false})
	d.allow == true
}

test_tools_listed_for_approval_need_approval if {
	d := regate.decision with input as call(reader, "archive_customer")
		with data.regate.config.connections.crm.approval_tools as ["archive_customer"]
	d.rule == "regate.tools.destructive"
	contains(d.reason, "lists it as needing approval")
}

test_every_pii_field_of_a_customer_record_is_masked if {
	d := regate.decision with input as call(reader, "get_customer")
	paths := {m.path | some m in d.mask; m.path}
	paths == {
		"$.structuredContent.customer.card_number", "$.structuredContent.customer.iban",
		"$.structuredContent.customer.email", "$.structuredContent.customer.phone",
	}
	{"path": "$.structuredContent.customer.iban", "style": "last4"} in d.mask
}

test_bulk_export_of_customers_is_forbidden if {
	d := regate.decision with input as call(reader, "export_customers_csv")
	d.allow == false
	d.rule == "regate.tools.denied"
	contains(d.reason, "use another tool")
}

test_customer_tier_update_needs_approval if {
	d := regate.decision with input as call(reader, "update_customer_tier")
	d.rule == "regate.tools.destructive"
	d.approval.approvers == ["mcp-approvers"]
}

test_binary_tools_are_denied_on_masked_connections if {
	d := regate.decision with input as message(reader, "everything", {"method": "tools/call", "tool": {"name": "get-tiny-image"}})
		with data.regate.config.connections.everything.binary_tools as ["get-tiny-image"]
	d.allow == false
	d.rule == "regate.tools.binary_masked"
	contains(d.reason, "get-tiny-image")
	contains(d.reason, "masked")
}

test_binary_tools_are_allowed_where_nothing_is_masked if {
	d := regate.decision with input as message(reader, "everything", {"method": "tools/call", "tool": {"name": "get-tiny-image"}})
		with data.regate.config.connections.everything.binary_tools as ["get-tiny-image"]
		with data.regate.config.connections.everything.detectors as []
	d.allow == true
	not d.mask
}

test_binary_tools_not_listed_are_allowed_and_masked if {
	d := regate.decision with input as message(reader, "everything", {"method": "tools/call", "tool": {"name": "get-tiny-image"}})
	d.allow == true
	{"detector": "secret", "style": "redact"} in d.mask
}
