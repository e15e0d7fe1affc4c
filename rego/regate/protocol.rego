package regate

# Protocol plumbing: the messages an MCP session needs to exist at all (initialize, ping,
# notifications, the list calls whose responses regate filters, and the HTTP-level GET stream /
# DELETE session that the proxy presents as methods). Any identified caller may send them.

method := input.mcp.method

default plumbing := false

plumbing if method in cfg.plumbing_methods

plumbing if startswith(method, "notifications/")

# Methods that other files of this package decide.
# A helper rather than `not method in ...`: with an undefined method that expression would be
# undefined instead of true.
default decided_elsewhere_method := false

decided_elsewhere_method if method == "tools/call"

decided_elsewhere_method if method == "prompts/get"

decided_elsewhere_method if resource_method

allows contains {
	"rule": "regate.protocol.plumbing",
	"reason": concat("", ["protocol message '", method, "' is allowed for every identified caller"]),
} if {
	ready
	plumbing
}

denies contains {
	"rule": "regate.protocol.unknown_method",
	"reason": concat("", [
		"MCP method '", method_name,
		"' is not allowed through regate; use tools/call, prompts/get or resources/read instead",
	]),
} if {
	ready
	not plumbing
	not decided_elsewhere_method
}

method_name := method if is_string(method)

else := "(none)"

denies contains {
	"rule": "regate.session.call_limit",
	"reason": concat("", [
		"this session already made ", format_int(input.session.calls, 10),
		" calls, the limit of the policy; start a new session to continue",
	]),
} if {
	ready
	method == "tools/call"
	is_number(input.session.calls)
	input.session.calls >= cfg.limits.max_calls_per_session
}
