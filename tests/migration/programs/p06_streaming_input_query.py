"""Streaming input: query() fed by an async generator of user messages."""
# expect: answers=2
# expect: first: The capital of France is **Paris**

import anyio
from claude_agent_sdk import ResultMessage, query


async def messages():
    yield {
        "type": "user",
        "message": {"role": "user", "content": "What is the capital of France?"},
        "parent_tool_use_id": None,
        "session_id": "default",
    }
    await anyio.sleep(0.1)
    yield {
        "type": "user",
        "message": {"role": "user", "content": [{"type": "text", "text": "Write a haiku"}]},
        "parent_tool_use_id": None,
        "session_id": "default",
    }


async def main():
    results = []
    async for message in query(prompt=messages()):
        if isinstance(message, ResultMessage):
            results.append(message.result)
    print(f"answers={len(results)}")
    print(f"first: {results[0][:40]}")


anyio.run(main)
