package regate_test

import data.regate

everything(principal, mcp) := message(principal, "everything", mcp)

test_listed_prompt_is_allowed_for_readers if {
	d := regate.decision with input as everything(reader, {"method": "prompts/get", "prompt": {"name": "simple-prompt"}})
	d.allow == true
	d.rule == "regate.prompts.allowed"
}

test_unlisted_prompt_is_denied if {
	d := regate.decision with input as everything(reader, {"method": "prompts/get", "prompt": {"name": "other"}})
	d.allow == false
	d.rule == "regate.prompts.unknown"
	contains(d.reason, "'other'")
}

test_prompt_without_name_is_denied if {
	d := regate.decision with input as everything(reader, {"method": "prompts/get"})
	d.rule == "regate.prompts.unknown"
	contains(d.reason, "(none)")
}

test_listed_prompt_is_denied_to_non_readers if {
	d := regate.decision with input as everything(outsider, {"method": "prompts/get", "prompt": {"name": "simple-prompt"}})
	d.rule == "regate.content.reader_required"
}

test_resource_under_listed_prefix_is_allowed_and_scanned if {
	every m in ["resources/read", "resources/subscribe", "resources/unsubscribe"] {
		d := regate.decision with input as everything(reader, {"method": m, "resource": {"uri": "demo://resource/static/document/a.md"}})
		d.allow == true
		d.rule == "regate.resources.allowed"
		d.mask == [{"detector": "secret", "style": "redact"}]
	}
}

test_resource_without_detectors_has_no_mask if {
	d := regate.decision with input as everything(reader, {"method": "resources/read", "resource": {"uri": "demo://resource/static/a"}})
		with data.regate.config.connections.everything.detectors as []
	d.allow == true
	not d.mask
}

test_resource_outside_listed_prefixes_is_denied if {
	d := regate.decision with input as everything(reader, {"method": "resources/read", "resource": {"uri": "file:///etc/passwd"}})
	d.allow == false
	d.rule == "regate.resources.unknown"
	contains(d.reason, "file:///etc/passwd")
}

test_resource_without_uri_is_denied if {
	d := regate.decision with input as everything(reader, {"method": "resources/read"})
	d.rule == "regate.resources.unknown"
}

test_listed_resource_is_denied_to_non_readers if {
	d := regate.decision with input as everything(outsider, {"method": "resources/read", "resource": {"uri": "demo://resource/static/a"}})
	d.rule == "regate.content.reader_required"
}

test_customer_summary_prompt_is_allowed_and_scanned if {
	d := regate.decision with input as method_call(reader, "prompts/get")
		with input.mcp.prompt.name as "summarize_customer"
	d.allow == true
	{"detector": "credit_card", "style": "redact"} in d.mask
}

test_customer_resources_are_allowed_and_scanned if {
	d := regate.decision with input as method_call(reader, "resources/read")
		with input.mcp.resource.uri as "customers://cus_007"
	d.allow == true
	{"detector": "iban", "style": "redact"} in d.mask
}
