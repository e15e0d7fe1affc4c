package regate

# Who is calling, and which groups of the configuration they belong to. App-only tokens carry
# app roles instead of groups, so both count as memberships.
#
# Boolean helpers in this package have `default ... := false`: a rule that is undefined is
# evaluated again at every reference, one that is false is computed once per decision.

cfg := data.regate.config

default authenticated := false

authenticated if {
	is_string(input.principal.id)
	input.principal.id != ""
}

# Membership is checked against the token's lists directly: building a set of them would hash
# every group on every decision (tokens can carry hundreds).
member_of(groups) if {
	some g in groups
	g in input.principal.groups
}

member_of(groups) if {
	some g in groups
	g in input.principal.roles
}

default is_reader := false

is_reader if member_of(cfg.groups.readers)

default is_approver := false

is_approver if member_of(cfg.groups.approvers)

# The connection's settings; undefined for a connection the policy does not know.
conn := cfg.connections[input.connection.name]

denies contains {
	"rule": "regate.auth.unauthenticated",
	"reason": "regate could not identify the caller; send a valid bearer token and retry",
} if {
	not authenticated
}

denies contains {
	"rule": "regate.connection.unknown",
	"reason": concat("", [
		"connection '", connection_name,
		"' is not described by the policy, so every message to it is denied; ask a regate administrator to add it",
	]),
} if {
	authenticated
	not conn
	not regate_api
}

connection_name := input.connection.name if is_string(input.connection.name)

else := "(none)"

# Everything below assumes a known caller on a known connection.
default ready := false

ready if {
	authenticated
	conn
}
