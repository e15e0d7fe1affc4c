package regate

# regate's own API: reading a recorded session's timeline (GET /sessions/{id}). regate asks with
# `input.mcp.method == "sessions/read"`, `input.mcp.params.session_id`, and no connection (a
# session is read wherever it was recorded). Members of `groups.auditors` may read every session;
# nobody else may, agents included: a transcript holds what other principals ran and received.

default regate_api := false

# Only regate's own API asks so (no connection): on an MCP connection the method is an unknown one,
# never a way to read sessions through an upstream.
regate_api if {
	method == "sessions/read"
	input.connection.name == ""
}

decided_elsewhere_method if regate_api

default is_auditor := false

is_auditor if member_of(cfg.groups.auditors)

allows contains {
	"rule": "regate.sessions.auditor",
	"reason": "members of the auditors group may read recorded sessions",
} if {
	authenticated
	regate_api
	is_auditor
}

denies contains {
	"rule": "regate.sessions.auditor_required",
	"reason": "only members of the auditors group may read recorded sessions; ask a regate administrator",
} if {
	authenticated
	regate_api
	not is_auditor
}
