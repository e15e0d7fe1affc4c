package regate

# Messages the upstream sends to the client of its own accord: its requests (sampling,
# elicitation, roots), its notifications (progress, logging, list changes) and answers regate
# cannot tie to a request it forwarded (replayed on a resumed stream). regate presents them with
# input.mcp.direction == "server_to_client". A connection lists the server methods it refuses in
# `refused_server_methods`; everything else the upstream sends is delivered, masked with the
# connection's detectors. A refused server request is answered upstream with an error; a refused
# notification is dropped.

default server_to_client := false

server_to_client if input.mcp.direction == "server_to_client"

default server_refused := false

server_refused if method in object.get(conn, "refused_server_methods", [])

server_decision := {
	"allow": false,
	"rule": "regate.server.refused",
	"reason": concat("", [
		"connection '", connection_name, "' may not send '", method_name,
		"' to its clients; the policy refuses it",
	]),
} if {
	ready
	server_refused
} else := object.union(
	{
		"allow": true,
		"rule": "regate.server.allowed",
		"reason": concat("", ["server message '", method_name, "' is delivered"]),
	},
	detector_mask,
) if {
	ready
} else := {
	"allow": false,
	"rule": "regate.server.unknown_caller",
	"reason": "regate could not tie this server message to an identified caller on a known connection, so it was not delivered",
}
