package regate_test

# Inputs shaped like the ones regate's input builder produces, for the tests of this package.

reader := {
	"type": "user", "id": "dev-user", "name": "Dev User", "tenant": "dev",
	"groups": ["mcp-readers"], "roles": [], "scopes": [], "client_id": "dev",
}

approver := object.union(reader, {"id": "alice", "groups": ["mcp-approvers"]})

outsider := object.union(reader, {"id": "mallory", "groups": ["contractors"]})

# 2025-01-01T00:00:00Z
now_ns := 1735689600000000000

message(principal, connection, mcp) := {
	"principal": principal,
	"connection": {"name": connection, "tags": []},
	"mcp": mcp,
	"session": {"id": "s-1", "calls": 0},
	"http": {"method": "POST", "path": concat("", ["/mcp/", connection]), "remote_addr": "127.0.0.1", "headers": {}},
	"time": {"rfc3339": "2025-01-01T00:00:00Z", "unix_ns": now_ns},
}

call(principal, tool) := message(principal, "crm", {"method": "tools/call", "tool": {"name": tool, "arguments": {}}})

call_with_annotations(principal, tool, annotations) := message(principal, "crm", {
	"method": "tools/call",
	"tool": {"name": tool, "arguments": {}, "annotations": annotations},
})

method_call(principal, method) := message(principal, "crm", {"method": method})

approval(overrides) := object.union(
	{
		"id": "ap-1", "status": "approved", "tool": "delete_customer",
		"approved_by": [{"id": "alice", "groups": ["mcp-approvers"]}],
		"expires_unix_ns": now_ns + 60000000000,
	},
	overrides,
)

approved_call(principal, overrides) := object.union(call(principal, "delete_customer"), {"approval": approval(overrides)})
