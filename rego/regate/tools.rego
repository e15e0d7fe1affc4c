package regate

# tools/call. A tool is known when the connection lists it as read-only or as needing approval
# (or, on a connection that trusts upstream annotations, when it carries readOnlyHint). A name
# whose first word is a destructive verb (delete_*, drop-*, ...) or a destructiveHint annotation
# makes any tool need approval: annotations may only ever tighten the policy unless the
# connection opts in to trusting them (they are the upstream server's claims).

default calling_tool := false

calling_tool if {
	ready
	method == "tools/call"
}

tool_name := input.mcp.tool.name if {
	is_string(input.mcp.tool.name)
	input.mcp.tool.name != ""
}

# The verb of a tool name: its first word, whether the name is snake_case or kebab-case.
tool_verb := split(replace(lower(tool_name), "-", "_"), "_")[0]

default destructive_by_name := false

destructive_by_name if tool_verb in cfg.destructive_verbs

default destructive_by_annotation := false

destructive_by_annotation if input.mcp.tool.annotations.destructiveHint == true

default listed_for_approval := false

listed_for_approval if tool_name in object.get(conn, "approval_tools", [])

default needs_approval := false

needs_approval if listed_for_approval

needs_approval if destructive_by_name

needs_approval if destructive_by_annotation

default read_only := false

read_only if tool_name in object.get(conn, "read_only_tools", [])

read_only if {
	conn.trust_annotations == true
	input.mcp.tool.annotations.readOnlyHint == true
}

default known_tool := false

known_tool if read_only

known_tool if needs_approval

default may_request_approval := false

may_request_approval if is_reader

may_request_approval if is_approver

readers_text := concat(", ", cfg.groups.readers)

denies contains {
	"rule": "regate.tools.missing_name",
	"reason": "tools/call must name the tool in params.name; send the name of a tool from tools/list",
} if {
	calling_tool
	not tool_name
}

denies contains {
	"rule": "regate.tools.denied",
	"reason": concat("", [
		"tool '", tool_name, "' is forbidden on connection '", input.connection.name,
		"' by policy; do not retry, use another tool",
	]),
} if {
	calling_tool
	tool_name in object.get(conn, "denied_tools", [])
}

# Tools the connection's data names in binary_tools return images, audio or blobs, which no
# detector can inspect (regate withholds them from masked calls unless masking.binary is pass):
# where such a call would be masked, deny it with a reason instead of answering with a placeholder.
denies contains {
	"rule": "regate.tools.binary_masked",
	"reason": concat("", [
		"tool '", tool_name, "' returns images, audio or files that masking cannot inspect, and your calls on connection '",
		input.connection.name, "' are masked; do not retry, use a tool that returns text",
	]),
} if {
	calling_tool
	tool_name in object.get(conn, "binary_tools", [])
	count(mask_obligations) > 0
}

denies contains {
	"rule": "regate.tools.unknown",
	"reason": concat("", [
		"tool '", tool_name, "' is not on the allow-list of connection '", input.connection.name,
		"'; do not retry, ask a regate administrator to review and allow it",
	]),
} if {
	calling_tool
	tool_name
	not known_tool
}

denies contains {
	"rule": "regate.tools.reader_required",
	"reason": concat("", [
		"tool '", tool_name, "' is only available to members of ", readers_text,
		"; you are not a member, so do not retry, request membership instead",
	]),
} if {
	calling_tool
	read_only
	not needs_approval
	not is_reader
}

denies contains {
	"rule": "regate.tools.reader_required",
	"reason": concat("", [
		"tool '", tool_name, "' needs human approval, which only members of ", readers_text,
		" may request; you are not a member, so do not retry",
	]),
} if {
	calling_tool
	needs_approval
	not may_request_approval
}

allows contains {
	"rule": "regate.tools.read_only",
	"reason": concat("", ["tool '", tool_name, "' is read-only and you are a member of ", readers_text]),
} if {
	calling_tool
	read_only
	not needs_approval
	is_reader
}

# Mask obligations for what the tool returns: JSON paths of the PII fields of the records the
# tool returns, then the connection's detectors (which also catch PII inside text content).
mask_obligations := array.concat(object.get(conn, ["masks", tool_name], []), object.get(conn, "detectors", []))

tool_mask := {"mask": mask_obligations} if count(mask_obligations) > 0

else := {}

tool_class := "destructive" if needs_approval

else := "read_only" if read_only

else := "unknown"

tool_audit := {
	"labels": {"connection": input.connection.name, "tool": tool_name, "class": tool_class},
	"redact_arguments": object.get(conn, ["redact_arguments", tool_name], []),
} if {
	calling_tool
	tool_name
}
