package regate_test

import data.regate

auditor := object.union(reader, {"id": "audrey", "groups": ["mcp-auditors"]})

read_session(principal, connection) := message(principal, connection, {"method": "sessions/read", "params": {"session_id": "s-9"}})

test_auditor_reads_sessions_without_a_connection if {
	d := regate.decision with input as read_session(auditor, "")
	d.allow == true
	d.rule == "regate.sessions.auditor"
}

# On an MCP connection, sessions/read is just an unknown method: it never reaches an upstream.
test_sessions_cannot_be_read_through_an_mcp_connection if {
	every p in [auditor, reader] {
		d := regate.decision with input as read_session(p, "crm")
		d.allow == false
		d.rule == "regate.protocol.unknown_method"
	}
}

test_agents_cannot_read_sessions if {
	every p in [reader, approver, outsider] {
		d := regate.decision with input as read_session(p, "")
		d.allow == false
		d.rule == "regate.sessions.auditor_required"
	}
}

test_unauthenticated_callers_cannot_read_sessions if {
	d := regate.decision with input as read_session({}, "")
	d.allow == false
	d.rule == "regate.auth.unauthenticated"
}

test_auditors_get_no_other_rights if {
	d := regate.decision with input as call(auditor, "get_customer")
	d.allow == false
	d.rule == "regate.tools.reader_required"
}
