"""output_format with a JSON schema: ResultMessage.structured_output."""
# expect: keys: ['capital', 'country']
# expect: subtype: success

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query

SCHEMA = {
    "type": "object",
    "properties": {"country": {"type": "string"}, "capital": {"type": "string"}},
    "required": ["country", "capital"],
}


async def main():
    options = ClaudeAgentOptions(output_format={"type": "json_schema", "schema": SCHEMA})
    async for message in query(prompt="What is the capital of France?", options=options):
        if isinstance(message, ResultMessage):
            print(f"keys: {sorted(message.structured_output)}")
            print(f"subtype: {message.subtype}")


anyio.run(main)
