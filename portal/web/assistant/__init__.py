"""The AI helpers: the portal as a Model Context Protocol server, for the assistant the MSP already uses.

It ships no model and sends nothing anywhere: an assistant (any MCP client) calls its tools, which
answer from the same services, authorization rule and row-level security scope as the pages and
``/api/v1``, for the one user and membership a personal API token acts as.

- ``/mcp`` on the web app: the streamable HTTP transport (:mod:`.http`), bearer tokens only.
- ``posture mcp``: the same tools over stdio, for a desktop assistant (:mod:`.stdio`).
- :mod:`.tools`: the tools; :mod:`.schemas`: what they answer.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from portal.web.assistant.tools import READ_TOOLS, WRITE_TOOLS, TokenOf, add_tools
from portal.web.runtime import WebRuntime

__all__ = ["INSTRUCTIONS", "READ_TOOLS", "WRITE_TOOLS", "assistant_server"]

INSTRUCTIONS = (
    "Microsoft 365 security posture of the customers of a managed service provider, scanned against CISA SCuBA "
    "and CIS checks. Answers are live and limited to what the API token's user may see. Start with fleet_summary "
    "or find_customers; search_findings answers cross-customer questions; customer_posture, finding_detail and "
    "drift_since go deeper, each result carrying the ids to follow up with. The write tools act in the MSP's name "
    "and are audited: say what you will do before calling them."
)


def assistant_server(web: WebRuntime, token_of: TokenOf, *, endpoint: str) -> MCPServer:
    """A server with every tool, over ``web``; ``token_of`` finds a call's API token."""
    server = MCPServer("m365-posture", title="Microsoft 365 posture", instructions=INSTRUCTIONS, version="1",
                       log_level="WARNING")
    add_tools(server, web, token_of, endpoint=endpoint)
    return server
