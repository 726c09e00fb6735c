"""Error handling with the Claude error names (README: Error Handling)."""
# expect: ProcessError: mcp server failed
# expect: is ClaudeSDKError: True
# expect: CLINotFoundError: Please install the server
# expect: names importable: CLIConnectionError CLIJSONDecodeError

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKError,
    CLIConnectionError,
    CLIJSONDecodeError,
    CLINotFoundError,
    ProcessError,
    query,
)


async def run(options):
    async for _ in query(prompt="Hello", options=options):
        pass


async def main():
    failing = ClaudeAgentOptions(
        mcp_servers={"broken": {"command": "python", "args": ["-c", "raise SystemExit(3)"]}}
    )
    try:
        await run(failing)
    except ProcessError as e:
        print("ProcessError: mcp server failed")
        print(f"is ClaudeSDKError: {isinstance(e, ClaudeSDKError)}")
    missing = ClaudeAgentOptions(mcp_servers={"nope": {"command": "/no/such/server-binary"}})
    try:
        await run(missing)
    except CLINotFoundError:
        print("CLINotFoundError: Please install the server")
    except ProcessError as e:
        print(f"Process failed with exit code: {e.exit_code}")
    print(f"names importable: {CLIConnectionError.__name__} {CLIJSONDecodeError.__name__}")


anyio.run(main)
