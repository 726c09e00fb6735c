"""The Bash tool with env: extra variables reach the command, our secrets do not."""
# expect: Based on Bash: region=westeurope secret=
# expect: cwd has run.txt: True

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main():
    Path("run.txt").write_text("x")
    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        env={"DEPLOY_REGION": "westeurope"},
        cwd=".",
    )
    prompt = (
        'Run Bash {"command": "echo region=$DEPLOY_REGION secret=$AZURE_CLIENT_SECRET; ls run.txt"}'
    )
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, ResultMessage):
            print(message.result.splitlines()[0])
            print(f"cwd has run.txt: {'run.txt' in message.result}")


asyncio.run(main())
