package regate_test

import data.regate

server_message(p, m) := object.union(method_call(p, m), {"mcp": {"method": m, "direction": "server_to_client"}})

test_server_messages_are_delivered_with_the_connections_detectors if {
	every m in ["notifications/progress", "notifications/message", "sampling/createMessage", "elicitation/create", "rpc/response"] {
		d := regate.decision with input as server_message(reader, m)
		d.allow == true
		d.rule == "regate.server.allowed"
		d.mask == data.regate.config.connections.crm.detectors
	}
}

test_a_connection_may_refuse_server_methods if {
	d := regate.decision with input as server_message(reader, "sampling/createMessage")
		with data.regate.config.connections.crm.refused_server_methods as ["sampling/createMessage"]
	d.allow == false
	d.rule == "regate.server.refused"
	contains(d.reason, "sampling/createMessage")
}

test_server_messages_without_a_known_caller_are_not_delivered if {
	d := regate.decision with input as object.remove(server_message(reader, "notifications/progress"), ["principal"])
	d.allow == false
	d.rule == "regate.server.unknown_caller"
}

test_client_messages_are_not_server_messages if {
	d := regate.decision with input as method_call(reader, "sampling/createMessage")
	d.rule == "regate.protocol.unknown_method"
}
