"""can_use_tool rewrites a tool's input (tool_permission_callback.py: redirect writes)."""
# expect: wrote into safe/: True
# expect: original path untouched: True

import asyncio
from pathlib import Path

from claude_agent_sdk import (
    ClaudeAgentOptions,
    PermissionResultAllow,
    ToolPermissionContext,
    query,
)


async def redirect_writes(tool_name: str, input_data: dict, context: ToolPermissionContext):
    if tool_name == "Write" and not input_data["file_path"].startswith("safe/"):
        return PermissionResultAllow(
            updated_input={**input_data, "file_path": "safe/" + input_data["file_path"]}
        )
    return PermissionResultAllow()


async def main():
    Path("safe").mkdir()
    options = ClaudeAgentOptions(tools=["Write"], can_use_tool=redirect_writes)
    prompt = 'Use Write {"file_path": "report.txt", "content": "quarterly numbers"}'
    async for _ in query(prompt=prompt, options=options):
        pass
    print(f"wrote into safe/: {Path('safe/report.txt').read_text() == 'quarterly numbers'}")
    print(f"original path untouched: {not Path('report.txt').exists()}")


asyncio.run(main())
