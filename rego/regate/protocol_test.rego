package regate_test

import data.regate

plumbing_methods := [
	"initialize", "ping", "tools/list", "resources/list", "resources/templates/list", "prompts/list",
	"completion/complete", "logging/setLevel", "http/get_stream", "http/delete_session", "rpc/response",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed", "server/discover", "subscriptions/listen",
]

test_plumbing_is_allowed_for_any_identified_caller if {
	every m in plumbing_methods {
		every p in [reader, outsider] {
			d := regate.decision with input as method_call(p, m)
			d.allow == true
			d.rule == "regate.protocol.plumbing"
			contains(d.reason, m)
		}
	}
}

# A 2026-07-28 request: no session id, the envelope's version and client in mcp.
modern_call(principal, mcp) := object.union(
	object.remove(message(principal, "crm", mcp), ["session"]),
	{"session": {"calls": 0}},
)

test_discover_and_listen_are_plumbing_in_the_stateless_era if {
	every m in ["server/discover", "subscriptions/listen"] {
		d := regate.decision with input as modern_call(reader, {
			"method": m, "protocol_version": "2026-07-28",
			"client": {"name": "agent", "version": "2.4.0", "capabilities": {}},
		})
		d.allow == true
		d.rule == "regate.protocol.plumbing"
	}
}

test_tools_are_decided_the_same_without_a_session if {
	d := regate.decision with input as modern_call(reader, {
		"method": "tools/call", "protocol_version": "2026-07-28",
		"tool": {"name": "export_customers_csv", "arguments": {}},
	})
	d2 := regate.decision with input as call(reader, "export_customers_csv")
	d.allow == false
	d.rule == "regate.tools.denied"
	d.reason == d2.reason
}

test_plumbing_is_denied_without_identity if {
	every m in plumbing_methods {
		d := regate.decision with input as object.remove(method_call(reader, m), ["principal"])
		d.allow == false
		d.rule == "regate.auth.unauthenticated"
	}
}

test_unknown_method_is_denied_with_its_name if {
	d := regate.decision with input as method_call(reader, "sampling/createMessage")
	d.allow == false
	d.rule == "regate.protocol.unknown_method"
	contains(d.reason, "'sampling/createMessage'")
}

test_missing_method_is_denied if {
	d := regate.decision with input as message(reader, "crm", {})
	d.rule == "regate.protocol.unknown_method"
	contains(d.reason, "(none)")
}

test_session_call_limit_denies_tool_calls if {
	d := regate.decision with input as call(reader, "list_customers")
		with input.session.calls as 10000
	d.allow == false
	d.rule == "regate.session.call_limit"
	contains(d.reason, "10000")
}

test_session_call_limit_leaves_plumbing_alone if {
	d := regate.decision with input as method_call(reader, "ping")
		with input.session.calls as 10000
	d.allow == true
}

test_below_the_call_limit_is_allowed if {
	d := regate.decision with input as call(reader, "list_customers")
		with input.session.calls as 9999
	d.allow == true
}

# Protocol answers (a completion, a listing, initialize instructions) can carry PII too: they are
# masked with the connection's detectors like any content.
test_plumbing_answers_carry_the_connections_detectors if {
	every m in ["completion/complete", "tools/list", "initialize", "resources/templates/list"] {
		d := regate.decision with input as method_call(reader, m)
		d.allow == true
		d.mask == data.regate.config.connections.crm.detectors
	}
}
