"""A custom subagent through agents= (examples/agents.py, code_reviewer_example)."""
# expect: Task call: code-reviewer
# expect: subagent message: True
# expect: parent got the review: True

from pathlib import Path

import anyio
from claude_agent_sdk import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    ToolUseBlock,
    query,
)


async def code_reviewer_example():
    Path("types.py").write_text("def f(x):\n    return x*2\n")
    options = ClaudeAgentOptions(
        agents={
            "code-reviewer": AgentDefinition(
                description="Reviews code for best practices and potential issues",
                prompt="You are a code reviewer. Analyze code for bugs and best practices.",
                tools=["Read", "Grep"],
                model="sonnet",
            ),
        },
    )
    task_id = None
    from_subagent = False
    async for message in query(
        prompt='Use the code-reviewer agent: Read {"file_path": "types.py"} and review it',
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            if message.parent_tool_use_id is None:
                for block in message.content:
                    if isinstance(block, ToolUseBlock) and block.name == "Task":
                        task_id = block.id
                        print(f"Task call: {block.input['subagent_type']}")
            elif message.parent_tool_use_id == task_id:
                from_subagent = True
        elif isinstance(message, ResultMessage):
            print(f"subagent message: {from_subagent}")
            print(f"parent got the review: {message.result.startswith('Based on Task:')}")


anyio.run(code_reviewer_example)
