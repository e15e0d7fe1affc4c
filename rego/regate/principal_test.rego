package regate_test

import data.regate

test_missing_principal_is_unauthenticated if {
	d := regate.decision with input as object.remove(call(reader, "list_customers"), ["principal"])
	d.rule == "regate.auth.unauthenticated"
	contains(d.reason, "bearer token")
}

test_empty_principal_id_is_unauthenticated if {
	d := regate.decision with input as call(object.union(reader, {"id": ""}), "list_customers")
	d.rule == "regate.auth.unauthenticated"
}

test_unknown_connection_is_denied_with_its_name if {
	d := regate.decision with input as message(reader, "billing", {"method": "initialize"})
	d.allow == false
	d.rule == "regate.connection.unknown"
	contains(d.reason, "'billing'")
}

test_missing_connection_name_is_denied if {
	d := regate.decision with input as object.remove(method_call(reader, "ping"), ["connection"])
	d.rule == "regate.connection.unknown"
	contains(d.reason, "(none)")
}

test_app_roles_count_as_group_membership if {
	app := object.union(reader, {"type": "app", "id": "app-1", "groups": [], "roles": ["mcp-readers"]})
	d := regate.decision with input as call(app, "list_customers")
	d.allow == true
	d.rule == "regate.tools.read_only"
}

test_reader_group_names_come_from_data if {
	d := regate.decision with input as call(reader, "list_customers")
		with data.regate.config.groups.readers as ["crm-users"]
	d.rule == "regate.tools.reader_required"
	contains(d.reason, "crm-users")
}
