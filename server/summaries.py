"""After the meeting: the summary (JSON, Markdown, HTML page), concerns and ratings."""

from __future__ import annotations

import json
from dataclasses import replace

from aiohttp import web

from analytics import rules
from analytics.events import ROLES
from analytics.report import render_html_fragment, render_markdown, to_json
from analytics.session import SessionState
from analytics.summary import Summary, summarise
from server.auth import require_session_access
from server.endpoints import act, decode_body, session_or_404
from server.errors import json_error
from server.keys import CONFIG
from server.pages import error_page, render
from server.schemas import ConcernRequest, RatingRequest

__all__ = ["routes"]

routes = web.RouteTableDef()


async def ended_summary(request: web.Request, state: SessionState, actor: str) -> Summary:
    """The session's summary as ``actor`` may read it, or 409 before the end.

    Concerns go to the MPM: a participant sees their own, not the other's.
    """
    if state.status != "ended":
        raise json_error(web.HTTPConflict, f"the session is {state.status}: no summary yet")
    summary = summarise(state, request.app[CONFIG].summary)
    if actor not in ROLES:
        return summary
    return replace(summary, concerns=tuple(c for c in summary.concerns if c.role == actor))


async def readable_session(request: web.Request) -> tuple[str, SessionState]:
    session_id = request.match_info["session_id"]
    actor = require_session_access(request.app[CONFIG], request, session_id, token_in_query=True)
    return actor, await session_or_404(request, session_id)


@routes.get("/api/sessions/{session_id}/summary")
async def summary_json(request: web.Request) -> web.Response:
    actor, state = await readable_session(request)
    return web.json_response(to_json(await ended_summary(request, state, actor)))


@routes.get("/api/sessions/{session_id}/summary.md")
async def summary_markdown(request: web.Request) -> web.Response:
    actor, state = await readable_session(request)
    markdown = render_markdown(await ended_summary(request, state, actor))
    return web.Response(text=markdown, content_type="text/markdown")


@routes.get("/s/{session_id}/summary")
async def participant_summary_page(request: web.Request) -> web.Response:
    """The summary page at the participants' address, which answers errors as pages too."""
    try:
        return await summary_page(request)
    except web.HTTPError as error:
        message = json.loads(error.text or "{}").get("error") or error.reason
        return error_page(request, error.status, "No summary to show", f"{message.capitalize()}.")


@routes.get("/api/sessions/{session_id}/summary.html")
async def summary_page(request: web.Request) -> web.Response:
    """The summary as a page; participants can also rate the meeting and raise concerns."""
    actor, state = await readable_session(request)
    summary = await ended_summary(request, state, actor)
    rating = state.ratings.get(actor) if actor in ROLES else None
    return render(
        request,
        "summary.html",
        {
            "summary": summary,
            "fragment": render_html_fragment(summary),
            "actor": actor,
            "rating": rating,
        },
    )


@routes.post("/api/sessions/{session_id}/concerns")
async def raise_concern(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    actor = require_session_access(request.app[CONFIG], request, session_id)
    body = await decode_body(request, ConcernRequest)
    text = body.text.strip()
    state = await act(
        request, session_id, lambda state, at: rules.raise_concern(state, actor, text, at)
    )
    return web.json_response({"concerns": len(state.concerns)}, status=201)


@routes.post("/api/sessions/{session_id}/rating")
async def rate_meeting(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    actor = require_session_access(request.app[CONFIG], request, session_id)
    body = await decode_body(request, RatingRequest)
    comment = body.comment.strip()
    await act(
        request,
        session_id,
        lambda state, at: rules.rate_meeting(state, actor, body.score, comment, at),
    )
    return web.json_response({"score": body.score, "comment": comment})
