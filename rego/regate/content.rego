package regate

# prompts/get and resources/*: allowed for readers when the connection lists the prompt or a
# prefix of the resource URI. Prompt and resource contents get the connection's detectors as masks.

prompt_name := input.mcp.prompt.name if is_string(input.mcp.prompt.name)

else := "(none)"

resource_uri := input.mcp.resource.uri if is_string(input.mcp.resource.uri)

else := "(none)"

# Rule bodies rather than a set literal: a literal set is built (and hashed) on every evaluation.
default resource_method := false

resource_method if method == "resources/read"

resource_method if method == "resources/subscribe"

resource_method if method == "resources/unsubscribe"

default getting_prompt := false

getting_prompt if {
	ready
	method == "prompts/get"
}

default using_resource := false

using_resource if {
	ready
	resource_method
}

default prompt_known := false

prompt_known if prompt_name in object.get(conn, "prompts", [])

default resource_known := false

resource_known if {
	some prefix in object.get(conn, "resource_prefixes", [])
	startswith(resource_uri, prefix)
}

allows contains {
	"rule": "regate.prompts.allowed",
	"reason": concat("", ["prompt '", prompt_name, "' is listed for readers and you are a member of ", readers_text]),
} if {
	getting_prompt
	prompt_known
	is_reader
}

denies contains {
	"rule": "regate.prompts.unknown",
	"reason": concat("", [
		"prompt '", prompt_name, "' is not on the allow-list of connection '", input.connection.name,
		"'; do not retry, use a prompt from prompts/list",
	]),
} if {
	getting_prompt
	not prompt_known
}

allows contains {
	"rule": "regate.resources.allowed",
	"reason": concat("", ["resource '", resource_uri, "' is listed for readers and you are a member of ", readers_text]),
} if {
	using_resource
	resource_known
	is_reader
}

denies contains {
	"rule": "regate.resources.unknown",
	"reason": concat("", [
		"resource '", resource_uri, "' is not on the allow-list of connection '", input.connection.name,
		"'; do not retry, use a resource from resources/list",
	]),
} if {
	using_resource
	not resource_known
}

denies contains {
	"rule": "regate.content.reader_required",
	"reason": concat("", [
		"prompts and resources of connection '", input.connection.name, "' are only available to members of ",
		readers_text, "; you are not a member, so do not retry, request membership instead",
	]),
} if {
	listed_content
	not is_reader
}

default listed_content := false

listed_content if {
	getting_prompt
	prompt_known
}

listed_content if {
	using_resource
	resource_known
}

detector_mask := {"mask": conn.detectors} if count(object.get(conn, "detectors", [])) > 0

else := {}
